r"""``biject_to(constraint)``: a bijection from unconstrained reals onto the constraint's set.

A dispatch table keyed by constraint type, one small function per entry, as in NumPyro's
``ConstraintRegistry``. Inference uses it to move each latent site to the reals:
:math:`z = T(u)`, with :math:`\log|\det J_T(u)|` added to the log density.

Add an entry for a new constraint type with ``biject_to.register``::

    @biject_to.register(MyConstraint)
    def _(constraint):
        return MyTransform(...)
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from . import _constraints as c
from ._constraints import Constraint
from ._transforms import (
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IdentityTransform,
    IndependentTransform,
    SigmoidTransform,
    SoftplusTransform,
    Transform,
)
from ._transforms_matrix import (
    CholeskyTransform,
    CorrCholeskyTransform,
    CorrMatrixCholeskyTransform,
    LowerCholeskyTransform,
    ScaledUnitLowerCholeskyTransform,
    SoftplusLowerCholeskyTransform,
)
from ._transforms_vector import (
    L1BallTransform,
    OrderedTransform,
    StickBreakingTransform,
    ZeroSumTransform,
    _L1Ball,
)

__all__ = ["biject_to"]


class ConstraintRegistry:
    r"""Maps a constraint (by its type, walking the MRO) to a transform factory.

    ``biject_to`` is the package's one instance: ``biject_to(constraint)`` returns a
    ``Transform`` :math:`T` from unconstrained reals onto the set of ``constraint``, the
    map inference uses to move a latent site to the reals. With :math:`z = T(u)` the
    density of :math:`u` is

    .. math::

        \log p_U(u) = \log p_Z\bigl(T(u)\bigr) + \log\lvert\det J_T(u)\rvert.

    Register a transform for a new constraint type with ``biject_to.register``.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> t = dist.biject_to(dist.constraints.positive)
        >>> type(t).__name__, float(t(jnp.array(0.0)))
        ('ExpTransform', 1.0)
        >>> type(dist.biject_to(dist.constraints.interval(0.0, 1.0))).__name__
        'SigmoidTransform'
    """

    def __init__(self):
        self._factories: dict[type, Callable[[Constraint], Transform]] = {}

    def register(self, constraint, factory: Callable[[Constraint], Transform] | None = None):
        """Register ``factory`` for a constraint type (or the type of a constraint instance).

        Usable as a decorator: ``@biject_to.register(constraints.simplex)``. A later
        registration for the same type replaces the earlier one; lookups walk the
        constraint type's MRO, so a factory for a base class serves its subclasses too.

        Args:
            constraint: a ``Constraint`` subclass, or a constraint instance (its type is
                used).
            factory: a function from a constraint instance to its ``Transform``; default
                ``None``, which makes this call a decorator.

        Returns:
            ``factory`` itself, or, when ``factory`` is ``None``, a decorator that
            registers the function it decorates and returns it.
        """
        key = constraint if isinstance(constraint, type) else type(constraint)
        if factory is None:
            return lambda f: self.register(key, f)
        self._factories[key] = factory
        return factory

    def __call__(self, constraint: Constraint) -> Transform:
        """The bijection from unconstrained reals onto the set of ``constraint``.

        Args:
            constraint: a ``Constraint``, e.g. a distribution's ``support``.

        Returns:
            A ``Transform`` whose domain is the reals (of the constraint's ``event_dim``)
            and whose codomain is the constraint.

        Raises:
            TypeError: if ``constraint`` is not a ``Constraint``.
            NotImplementedError: if the constraint is discrete, is the unit sphere, or has
                no registered transform.
        """
        if not isinstance(constraint, Constraint):
            raise TypeError(
                f"biject_to needs a Constraint, got {type(constraint).__name__}: {constraint!r}"
            )
        for cls in type(constraint).__mro__:
            if cls in self._factories:
                return self._factories[cls](constraint)
        if constraint.is_discrete:
            raise NotImplementedError(
                f"The support '{constraint}' is discrete, so it has no bijection to the reals. "
                "Sample discrete sites with a discrete-capable method (MixedHMC, enumeration) "
                "or pass them as data."
            )
        raise NotImplementedError(
            f"biject_to has no transform for {type(constraint).__name__} ('{constraint}'). "
            "Register one with biject_to.register."
        )


biject_to = ConstraintRegistry()


def _is_concrete_value(x, value) -> bool:
    return not isinstance(x, jax.core.Tracer) and bool(np.all(np.asarray(x) == value))


@biject_to.register(c._Real)
def _real(constraint):
    return IdentityTransform()


@biject_to.register(c._Independent)
def _independent(constraint):
    base = biject_to(constraint.base_constraint)
    return IndependentTransform(base, constraint.reinterpreted_batch_ndims)


@biject_to.register(c._GreaterThan)
@biject_to.register(c._GreaterThanEq)
def _greater_than(constraint):
    if _is_concrete_value(constraint.lower_bound, 0):
        return ExpTransform()
    shift = AffineTransform(constraint.lower_bound, 1.0, domain=c.positive)
    return ComposeTransform([ExpTransform(), shift])


@biject_to.register(c._SoftplusPositive)
def _softplus_positive(constraint):
    return SoftplusTransform()


@biject_to.register(c._LessThan)
@biject_to.register(c._LessThanEq)
def _less_than(constraint):
    flip = AffineTransform(constraint.upper_bound, -1.0, domain=c.positive)
    return ComposeTransform([ExpTransform(), flip])


@biject_to.register(c._Interval)
@biject_to.register(c._OpenInterval)
def _interval(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if _is_concrete_value(low, 0) and _is_concrete_value(high, 1):
        return SigmoidTransform()
    stretch = AffineTransform(low, high - low, domain=c.unit_interval)
    return ComposeTransform([SigmoidTransform(), stretch])


# ------------------------------------------------------------------- vectors and matrices


@biject_to.register(c._Simplex)
def _simplex(constraint):
    return StickBreakingTransform()


@biject_to.register(c._OrderedVector)
def _ordered_vector(constraint):
    return OrderedTransform()


@biject_to.register(c._PositiveOrderedVector)
def _positive_ordered_vector(constraint):
    return ComposeTransform([OrderedTransform(), ExpTransform()])


@biject_to.register(c._ZeroSum)
def _zero_sum(constraint):
    return ZeroSumTransform(constraint.event_dim)


@biject_to.register(_L1Ball)
def _l1_ball(constraint):
    return L1BallTransform()


@biject_to.register(c._Sphere)
def _sphere(constraint):
    raise NotImplementedError(
        "The unit sphere has no bijection to the reals (it is compact and has no global "
        "chart), so biject_to(sphere) is not available, as in NumPyro. Sample an "
        "unconstrained vector (e.g. a Normal with .to_event(1)) and normalise it in a "
        "deterministic site, or use a distribution that lives on the sphere as data."
    )


@biject_to.register(c._LowerCholesky)
def _lower_cholesky(constraint):
    return LowerCholeskyTransform()


@biject_to.register(c._ScaledUnitLowerCholesky)
def _scaled_unit_lower_cholesky(constraint):
    return ScaledUnitLowerCholeskyTransform()


@biject_to.register(c._SoftplusLowerCholesky)
def _softplus_lower_cholesky(constraint):
    return SoftplusLowerCholeskyTransform()


@biject_to.register(c._CorrCholesky)
def _corr_cholesky(constraint):
    return CorrCholeskyTransform()


@biject_to.register(c._CorrMatrix)
def _corr_matrix(constraint):
    return ComposeTransform([CorrCholeskyTransform(), CorrMatrixCholeskyTransform().inv])


@biject_to.register(c._PositiveDefinite)
@biject_to.register(c._PositiveSemidefinite)
def _positive_definite(constraint):
    # Onto the positive definite matrices, which are dense in the semi-definite ones.
    return ComposeTransform([LowerCholeskyTransform(), CholeskyTransform().inv])
