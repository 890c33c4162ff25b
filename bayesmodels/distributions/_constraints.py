r"""Constraints: the sets a distribution's support or a parameter lives in.

A constraint is a small ``equinox.Module`` (so bounds may be arrays, even traced ones)
with

* ``event_dim``: how many rightmost dims one element of the set spans (0 for scalars,
  1 for vectors such as the simplex, 2 for matrices);
* ``is_discrete``;
* ``__call__(x)`` / ``check(x)``: a boolean array of shape ``x.shape[:x.ndim - event_dim]``
  telling which elements lie in the set;
* ``feasible_like(prototype)``: a point of the set with the shape of ``prototype``.

``biject_to(constraint)`` (in ``transforms``) maps the real numbers onto each of them.
The names follow NumPyro, so ``constraints.positive``, ``constraints.interval(0, 1)``
and ``constraints.independent(constraints.real, 1)`` mean the same thing there and here.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp

__all__ = [
    "Constraint",
    "boolean",
    "circular",
    "corr_cholesky",
    "corr_matrix",
    "dependent",
    "greater_than",
    "greater_than_eq",
    "independent",
    "integer_greater_than",
    "integer_interval",
    "interval",
    "less_than",
    "less_than_eq",
    "lower_cholesky",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "open_interval",
    "ordered_vector",
    "positive",
    "positive_definite",
    "positive_integer",
    "positive_ordered_vector",
    "positive_semidefinite",
    "real",
    "real_matrix",
    "real_vector",
    "scaled_unit_lower_cholesky",
    "simplex",
    "softplus_lower_cholesky",
    "softplus_positive",
    "sphere",
    "unit_interval",
    "zero_sum",
]


def _tolerance(x) -> float:
    """Tolerance for equality tests (sums, norms, symmetry): sqrt of the dtype's eps."""
    dtype = jnp.result_type(x, float)
    return float(jnp.finfo(dtype).eps) ** 0.5


def _as_float(x):
    return jnp.asarray(x, dtype=jnp.result_type(x, float))


class Constraint(eqx.Module):
    r"""Abstract base of all constraints: a set that values or parameters must lie in.

    Calling a constraint on an array, ``constraint(x)`` (or ``constraint.check(x)``),
    says which elements of ``x`` lie in the set. Two class attributes describe the set:

    * ``event_dim``: how many rightmost dims one element of the set spans (0 for
      scalars, 1 for vectors such as the simplex, 2 for matrices);
    * ``is_discrete``: whether the set is a set of integers.

    The constraints to use are the instances and constructors of
    ``bayesmodels.distributions.constraints`` (``real``, ``positive``,
    ``interval(a, b)``, ...). A new constraint subclasses ``Constraint`` and defines
    ``__call__`` and ``feasible_like`` (and registers a transform with ``biject_to`` if
    samplers must reach it from the reals).

    Example:
        >>> import jax.numpy as jnp
        >>> from bayesmodels.distributions import constraints
        >>> constraints.positive(jnp.array([-1.0, 0.0, 2.0]))
        Array([False, False,  True], dtype=bool)
        >>> x = jnp.array([[0.25, 0.75], [0.5, 0.6]])
        >>> constraints.simplex.event_dim, constraints.simplex.check(x)
        (1, Array([ True, False], dtype=bool))
    """

    event_dim: ClassVar[int] = 0
    is_discrete: ClassVar[bool] = False

    def __call__(self, x):
        raise NotImplementedError

    def check(self, x):
        """Which elements of ``x`` lie in the set; the same as calling the constraint.

        Args:
            x: an array whose rightmost ``event_dim`` dims hold one element of the set.

        Returns:
            A boolean array of shape ``x.shape[:x.ndim - event_dim]`` (broadcast with the
            shape of any array bounds): ``True`` where the element lies in the set.
        """
        return self(x)

    def feasible_like(self, prototype):
        """A point of the set with the shape (and, where it can, the dtype) of ``prototype``.

        ``Distribution.log_prob`` puts it in place of values outside the support, so
        that the family's formula never sees them.

        Args:
            prototype: an array; only its shape and dtype are used.

        Returns:
            An array shaped like ``prototype`` whose every element (its rightmost
            ``event_dim`` dims) lies in the set.

        Raises:
            NotImplementedError: if the constraint has no such point (``dependent``).
        """
        raise NotImplementedError

    def __str__(self) -> str:
        return type(self).__name__.strip("_").lower()


# ----------------------------------------------------------------------------- scalar


class _Real(Constraint):
    r"""The real numbers :math:`\mathbb{R}`: every finite value (NaN and
    :math:`\pm\infty` are outside); integer arrays always pass.

    The instance is ``real``; ``real_vector`` and ``real_matrix`` are
    ``independent(real, 1)`` and ``independent(real, 2)``. It takes no arguments.
    """

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.isfinite(x) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.ones(x.shape, bool)

    def feasible_like(self, prototype):
        return jnp.zeros_like(prototype)

    def __str__(self):
        return "a finite real number"


class _GreaterThan(Constraint):
    r"""The open half-line :math:`\{x : x > a\}`, :math:`a` = ``lower_bound``.

    ``positive`` is ``greater_than(0.0)``.

    Args:
        lower_bound: the bound :math:`a`, a number or an array that broadcasts with the
            values checked.
    """

    lower_bound: Any

    def __call__(self, x):
        return x > self.lower_bound

    def feasible_like(self, prototype):
        return jnp.broadcast_to(self.lower_bound + 1, jnp.shape(prototype)).astype(
            jnp.result_type(prototype)
        )

    def __str__(self):
        return f"greater than {_fmt(self.lower_bound)}"


class _GreaterThanEq(Constraint):
    r"""The closed half-line :math:`\{x : x \ge a\}`, :math:`a` = ``lower_bound``.

    ``nonnegative`` is ``greater_than_eq(0.0)``.

    Args:
        lower_bound: the bound :math:`a`, a number or an array that broadcasts with the
            values checked.
    """

    lower_bound: Any

    def __call__(self, x):
        return x >= self.lower_bound

    def feasible_like(self, prototype):
        return jnp.broadcast_to(self.lower_bound, jnp.shape(prototype)).astype(
            jnp.result_type(prototype)
        )

    def __str__(self):
        return f"greater than or equal to {_fmt(self.lower_bound)}"


class _LessThan(Constraint):
    r"""The open half-line :math:`\{x : x < b\}`, :math:`b` = ``upper_bound``.

    Args:
        upper_bound: the bound :math:`b`, a number or an array that broadcasts with the
            values checked.
    """

    upper_bound: Any

    def __call__(self, x):
        return x < self.upper_bound

    def feasible_like(self, prototype):
        return jnp.broadcast_to(self.upper_bound - 1, jnp.shape(prototype)).astype(
            jnp.result_type(prototype)
        )

    def __str__(self):
        return f"less than {_fmt(self.upper_bound)}"


class _LessThanEq(Constraint):
    r"""The closed half-line :math:`\{x : x \le b\}`, :math:`b` = ``upper_bound``.

    Args:
        upper_bound: the bound :math:`b`, a number or an array that broadcasts with the
            values checked.
    """

    upper_bound: Any

    def __call__(self, x):
        return x <= self.upper_bound

    def feasible_like(self, prototype):
        return jnp.broadcast_to(self.upper_bound, jnp.shape(prototype)).astype(
            jnp.result_type(prototype)
        )

    def __str__(self):
        return f"less than or equal to {_fmt(self.upper_bound)}"


class _Interval(Constraint):
    r"""The closed interval :math:`[a, b] = \{x : a \le x \le b\}`.

    ``unit_interval`` is ``interval(0.0, 1.0)`` and ``circular`` is
    ``interval(-pi, pi)`` (angles).

    Args:
        lower_bound: the lower end :math:`a`, a number or an array.
        upper_bound: the upper end :math:`b > a`, a number or an array.
    """

    lower_bound: Any
    upper_bound: Any

    def __call__(self, x):
        return (x >= self.lower_bound) & (x <= self.upper_bound)

    def feasible_like(self, prototype):
        mid = (self.lower_bound + self.upper_bound) / 2
        return jnp.broadcast_to(mid, jnp.shape(prototype)).astype(jnp.result_type(prototype))

    def __str__(self):
        return f"in the interval [{_fmt(self.lower_bound)}, {_fmt(self.upper_bound)}]"


class _OpenInterval(Constraint):
    r"""The open interval :math:`(a, b) = \{x : a < x < b\}`.

    Args:
        lower_bound: the lower end :math:`a`, a number or an array.
        upper_bound: the upper end :math:`b > a`, a number or an array.
    """

    lower_bound: Any
    upper_bound: Any

    def __call__(self, x):
        return (x > self.lower_bound) & (x < self.upper_bound)

    def feasible_like(self, prototype):
        mid = (self.lower_bound + self.upper_bound) / 2
        return jnp.broadcast_to(mid, jnp.shape(prototype)).astype(jnp.result_type(prototype))

    def __str__(self):
        return f"in the open interval ({_fmt(self.lower_bound)}, {_fmt(self.upper_bound)})"


class _SoftplusPositive(Constraint):
    r"""The positive reals :math:`\{x : x > 0\}`, the set of ``positive``, which
    ``biject_to`` reaches from the reals by softplus rather than exp.

    The instance is ``softplus_positive``. It takes no arguments.
    """

    def __call__(self, x):
        return x > 0

    def feasible_like(self, prototype):
        return jnp.ones_like(prototype)

    def __str__(self):
        return "positive (softplus-parameterised)"


# ---------------------------------------------------------------------------- discrete


class _Boolean(Constraint):
    r"""The two values :math:`\{0, 1\}` (discrete).

    The instance is ``boolean``, the support of ``Bernoulli``. It takes no arguments.
    """

    is_discrete: ClassVar[bool] = True

    def __call__(self, x):
        return (x == 0) | (x == 1)

    def feasible_like(self, prototype):
        return jnp.zeros_like(prototype)

    def __str__(self):
        return "0 or 1"


def _is_integer(x):
    return jnp.floor(x) == x


class _IntegerInterval(Constraint):
    r"""The integers from :math:`a` to :math:`b`, both included:
    :math:`\{a, a + 1, \dots, b\}` (discrete; whole-number floats count as integers).

    Args:
        lower_bound: the smallest value :math:`a`, a number or an array.
        upper_bound: the largest value :math:`b`, a number or an array.
    """

    is_discrete: ClassVar[bool] = True
    lower_bound: Any
    upper_bound: Any

    def __call__(self, x):
        return _is_integer(x) & (x >= self.lower_bound) & (x <= self.upper_bound)

    def feasible_like(self, prototype):
        return jnp.broadcast_to(self.lower_bound, jnp.shape(prototype)).astype(
            jnp.result_type(prototype)
        )

    def __str__(self):
        return f"an integer in [{_fmt(self.lower_bound)}, {_fmt(self.upper_bound)}]"


class _IntegerGreaterThan(Constraint):
    r"""The integers :math:`\{x \in \mathbb{Z} : x \ge a\}` (discrete).

    As in NumPyro, the bound is included despite the name: ``nonnegative_integer`` is
    ``integer_greater_than(0)`` and ``positive_integer`` is ``integer_greater_than(1)``.

    Args:
        lower_bound: the smallest value :math:`a`, a number or an array.
    """

    is_discrete: ClassVar[bool] = True
    lower_bound: Any

    def __call__(self, x):
        return _is_integer(x) & (x >= self.lower_bound)

    def feasible_like(self, prototype):
        return jnp.broadcast_to(self.lower_bound, jnp.shape(prototype)).astype(
            jnp.result_type(prototype)
        )

    def __str__(self):
        return f"an integer greater than or equal to {_fmt(self.lower_bound)}"


class _Multinomial(Constraint):
    r"""Count vectors with a fixed total (discrete, ``event_dim`` 1):

    .. math::

        \Bigl\{x \in \{0, 1, 2, \dots\}^K : \sum_k x_k = n\Bigr\}.

    Args:
        upper_bound: the total count :math:`n`, a number or an array over the batch dims.
    """

    event_dim: ClassVar[int] = 1
    is_discrete: ClassVar[bool] = True
    upper_bound: Any

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.all(_is_integer(x) & (x >= 0), axis=-1) & (x.sum(-1) == self.upper_bound)

    def feasible_like(self, prototype):
        prototype = jnp.asarray(prototype)
        first = jnp.broadcast_to(self.upper_bound, prototype.shape[:-1])
        out = jnp.zeros_like(prototype)
        return out.at[..., 0].set(first.astype(out.dtype))

    def __str__(self):
        return f"a vector of non-negative integers summing to {_fmt(self.upper_bound)}"


# ------------------------------------------------------------------------ vector/matrix


class _Independent(Constraint):
    r"""``base_constraint`` elementwise over ``reinterpreted_batch_ndims`` more dims, which
    become event dims: the product set :math:`C^{n_1 \times \dots \times n_d}`.

    An array passes when every element in those rightmost dims satisfies
    ``base_constraint``; ``real_vector`` is ``independent(real, 1)``.

    Args:
        base_constraint: the ``Constraint`` each element must satisfy.
        reinterpreted_batch_ndims: how many rightmost dims to add to the event, an
            integer :math:`\ge 0`.

    Raises:
        TypeError: if ``base_constraint`` is not a ``Constraint``.
        ValueError: if ``reinterpreted_batch_ndims`` is negative.
    """

    base_constraint: Constraint
    reinterpreted_batch_ndims: int = eqx.field(static=True)

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int):
        if not isinstance(base_constraint, Constraint):
            raise TypeError(
                f"independent(...) needs a Constraint, got {type(base_constraint).__name__}"
            )
        if int(reinterpreted_batch_ndims) < 0:
            raise ValueError(
                "independent(...): reinterpreted_batch_ndims must be >= 0, "
                f"got {reinterpreted_batch_ndims}"
            )
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = int(reinterpreted_batch_ndims)

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        """The base constraint's ``event_dim`` plus ``reinterpreted_batch_ndims``."""
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        """Whether the base constraint is discrete."""
        return self.base_constraint.is_discrete

    def __call__(self, x):
        ok = self.base_constraint(x)
        n = self.reinterpreted_batch_ndims
        return jnp.all(ok, axis=tuple(range(-n, 0))) if n else ok

    def feasible_like(self, prototype):
        return self.base_constraint.feasible_like(prototype)

    def __str__(self):
        return f"{self.base_constraint} in each of the last {self.reinterpreted_batch_ndims} dims"


class _Simplex(Constraint):
    r"""The probability simplex along the last axis (``event_dim`` 1):

    .. math::

        \Bigl\{x \in \mathbb{R}^K : x_k \ge 0,\ \sum_k x_k = 1\Bigr\},

    the sum checked to within the square root of the dtype's machine epsilon. The
    instance is ``simplex``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 1

    def __call__(self, x):
        x = jnp.asarray(x)
        sums_to_one = jnp.abs(x.sum(-1) - 1) < _tolerance(x)
        return jnp.all(x >= 0, axis=-1) & sums_to_one

    def feasible_like(self, prototype):
        prototype = jnp.asarray(prototype)
        return jnp.full_like(prototype, 1.0 / prototype.shape[-1])

    def __str__(self):
        return "a simplex (non-negative entries summing to 1 along the last axis)"


class _OrderedVector(Constraint):
    r"""Strictly increasing finite vectors :math:`\{x \in \mathbb{R}^K : x_1 < x_2 < \dots
    < x_K\}` (``event_dim`` 1), e.g. ``OrderedLogistic``'s cut points.

    The instance is ``ordered_vector``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 1

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.all(x[..., 1:] > x[..., :-1], axis=-1) & jnp.all(jnp.isfinite(x), axis=-1)

    def feasible_like(self, prototype):
        prototype = jnp.asarray(prototype)
        ramp = jnp.arange(prototype.shape[-1], dtype=jnp.result_type(prototype, float))
        return jnp.broadcast_to(ramp, prototype.shape).astype(prototype.dtype)

    def __str__(self):
        return "a strictly increasing vector"


class _PositiveOrderedVector(Constraint):
    r"""Strictly increasing positive vectors :math:`\{x \in \mathbb{R}^K : 0 < x_1 < \dots
    < x_K\}` (``event_dim`` 1).

    The instance is ``positive_ordered_vector``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 1

    def __call__(self, x):
        x = jnp.asarray(x)
        return ordered_vector(x) & jnp.all(x > 0, axis=-1)

    def feasible_like(self, prototype):
        prototype = jnp.asarray(prototype)
        ramp = jnp.arange(1, prototype.shape[-1] + 1, dtype=jnp.result_type(prototype, float))
        return jnp.broadcast_to(ramp, prototype.shape).astype(prototype.dtype)

    def __str__(self):
        return "a strictly increasing vector of positive numbers"


class _Sphere(Constraint):
    r"""The unit sphere :math:`\{x \in \mathbb{R}^K : \lVert x \rVert_2 = 1\}` along the
    last axis (``event_dim`` 1), the norm checked to within the square root of the
    dtype's machine epsilon.

    The instance is ``sphere``. It takes no arguments. ``biject_to(sphere)`` raises: no
    bijection from the reals reaches it.
    """

    event_dim: ClassVar[int] = 1

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.abs(jnp.linalg.norm(x, axis=-1) - 1) < _tolerance(x)

    def feasible_like(self, prototype):
        prototype = jnp.asarray(prototype)
        return jnp.zeros_like(prototype).at[..., 0].set(1)

    def __str__(self):
        return "a unit-norm vector"


class _ZeroSum(Constraint):
    r"""Finite arrays whose sum along each of their last ``event_dim`` axes is zero; for
    ``event_dim=1``, :math:`\{x \in \mathbb{R}^K : \sum_k x_k = 0\}`.

    The sums are checked to within a tolerance that grows with the size of the array.

    Args:
        event_dim: how many rightmost axes one element spans, each summing to zero
            (default 1).
    """

    event_dim: int = eqx.field(static=True)  # type: ignore[assignment]

    def __init__(self, event_dim: int = 1):
        self.event_dim = int(event_dim)

    def __call__(self, x):
        x = _as_float(x)
        tol = _tolerance(x) * max(1.0, float(jnp.size(x)) ** 0.5)
        ok = jnp.isfinite(x)
        for axis in range(-self.event_dim, 0):
            ok = ok & (jnp.abs(x.sum(axis, keepdims=True) * jnp.ones_like(x)) < tol)
        return jnp.all(ok, axis=tuple(range(-self.event_dim, 0)))

    def feasible_like(self, prototype):
        return jnp.zeros_like(prototype)

    def __str__(self):
        return f"summing to zero along each of the last {self.event_dim} axes"


def _is_square(x):
    return x.ndim >= 2 and x.shape[-1] == x.shape[-2]


def _is_lower_triangular(x):
    return jnp.all(jnp.triu(x, k=1) == 0, axis=(-2, -1))


def _diagonal(x):
    return jnp.diagonal(x, axis1=-2, axis2=-1)


def _is_symmetric(x):
    tol = _tolerance(x) * jnp.maximum(1.0, jnp.max(jnp.abs(x), axis=(-2, -1)))
    return jnp.all(jnp.abs(x - jnp.swapaxes(x, -1, -2)) <= tol[..., None, None], axis=(-2, -1))


def _eye_like(prototype):
    prototype = jnp.asarray(prototype)
    eye = jnp.eye(prototype.shape[-1], dtype=jnp.result_type(prototype, float))
    return jnp.broadcast_to(eye, prototype.shape).astype(prototype.dtype)


class _LowerCholesky(Constraint):
    r"""Lower-triangular square matrices with a positive diagonal (``event_dim`` 2):

    .. math::

        \{L \in \mathbb{R}^{n \times n} : L_{ij} = 0 \text{ for } j > i,\ L_{ii} > 0\},

    the Cholesky factors of the positive definite matrices. The instance is
    ``lower_cholesky``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 2

    def __call__(self, x):
        x = _as_float(x)
        return _is_lower_triangular(x) & jnp.all(_diagonal(x) > 0, axis=-1)

    def feasible_like(self, prototype):
        return _eye_like(prototype)

    def __str__(self):
        return "a lower-triangular matrix with a positive diagonal"


class _ScaledUnitLowerCholesky(Constraint):
    r"""The set of ``lower_cholesky`` (lower triangular, positive diagonal), which
    ``biject_to`` reaches by NumPyro's scaled-unit map: a unit lower-triangular matrix
    times a positive diagonal.

    The instance is ``scaled_unit_lower_cholesky``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 2

    def __call__(self, x):
        return lower_cholesky(x)

    def feasible_like(self, prototype):
        return _eye_like(prototype)

    def __str__(self):
        return "a lower-triangular matrix with a positive diagonal"


class _SoftplusLowerCholesky(Constraint):
    r"""The set of ``lower_cholesky`` (lower triangular, positive diagonal), which
    ``biject_to`` reaches with softplus rather than exp on the diagonal.

    The instance is ``softplus_lower_cholesky``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 2

    def __call__(self, x):
        return lower_cholesky(x)

    def feasible_like(self, prototype):
        return _eye_like(prototype)

    def __str__(self):
        return "a lower-triangular matrix with a positive diagonal"


class _CorrCholesky(Constraint):
    r"""Cholesky factors of correlation matrices (``event_dim`` 2): lower triangular with
    a positive diagonal and rows of unit norm, so that :math:`L L^\top` has a unit
    diagonal:

    .. math::

        \{L \in \mathbb{R}^{n \times n} : L_{ij} = 0 \text{ for } j > i,
        \ L_{ii} > 0,\ \textstyle\sum_j L_{ij}^2 = 1\}.

    The instance is ``corr_cholesky``, the support of ``LKJCholesky``. It takes no
    arguments.
    """

    event_dim: ClassVar[int] = 2

    def __call__(self, x):
        x = _as_float(x)
        unit_rows = jnp.all(jnp.abs(jnp.linalg.norm(x, axis=-1) - 1) < _tolerance(x), axis=-1)
        return lower_cholesky(x) & unit_rows

    def feasible_like(self, prototype):
        return _eye_like(prototype)

    def __str__(self):
        return "the Cholesky factor of a correlation matrix (lower triangular, unit rows)"


class _PositiveDefinite(Constraint):
    r"""Symmetric positive definite matrices (``event_dim`` 2):
    :math:`\{A \in \mathbb{R}^{n \times n} : A = A^\top,\ \lambda_{\min}(A) > 0\}`,
    symmetry checked to a relative tolerance of the square root of machine epsilon.

    The instance is ``positive_definite``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 2

    def __call__(self, x):
        x = _as_float(x)
        return _is_symmetric(x) & jnp.all(jnp.linalg.eigvalsh(x) > 0, axis=-1)

    def feasible_like(self, prototype):
        return _eye_like(prototype)

    def __str__(self):
        return "a symmetric positive definite matrix"


class _PositiveSemidefinite(Constraint):
    r"""Symmetric positive semi-definite matrices (``event_dim`` 2):
    :math:`\{A \in \mathbb{R}^{n \times n} : A = A^\top,\ \lambda_{\min}(A) \ge 0\}`,
    both checked to a relative tolerance of the square root of machine epsilon.

    The instance is ``positive_semidefinite``. It takes no arguments. ``biject_to``
    maps onto its (dense) subset of positive definite matrices.
    """

    event_dim: ClassVar[int] = 2

    def __call__(self, x):
        x = _as_float(x)
        scale = jnp.maximum(1.0, jnp.max(jnp.abs(x), axis=(-2, -1)))
        eig_ok = jnp.linalg.eigvalsh(x) >= -_tolerance(x) * scale[..., None]
        return _is_symmetric(x) & jnp.all(eig_ok, axis=-1)

    def feasible_like(self, prototype):
        return _eye_like(prototype)

    def __str__(self):
        return "a symmetric positive semi-definite matrix"


class _CorrMatrix(Constraint):
    r"""Correlation matrices (``event_dim`` 2): symmetric positive definite with a unit
    diagonal, :math:`\{C : C = C^\top,\ \lambda_{\min}(C) > 0,\ C_{ii} = 1\}`.

    The instance is ``corr_matrix``, the support of ``LKJ``. It takes no arguments.
    """

    event_dim: ClassVar[int] = 2

    def __call__(self, x):
        x = _as_float(x)
        unit_diagonal = jnp.all(jnp.abs(_diagonal(x) - 1) < _tolerance(x), axis=-1)
        return positive_definite(x) & unit_diagonal

    def feasible_like(self, prototype):
        return _eye_like(prototype)

    def __str__(self):
        return "a correlation matrix (symmetric, positive definite, unit diagonal)"


class _Dependent(Constraint):
    """Placeholder for a support or parameter whose set depends on other values.

    It can't be checked: calling it on a value raises ``ValueError``, and it has no
    ``feasible_like``. ``is_discrete`` and ``event_dim`` may be set so that code asking
    only those questions still works. The instance is ``dependent``; as in NumPyro,
    calling it without a value, ``dependent(is_discrete=True, event_dim=1)``, returns a
    new one with those attributes, and parameters with a ``dependent`` constraint are
    never validated.

    Args:
        is_discrete: whether the set it stands for is discrete (default ``False``).
        event_dim: how many rightmost dims one element spans (default 0).
    """

    is_discrete: bool = eqx.field(static=True)  # type: ignore[assignment]
    event_dim: int = eqx.field(static=True)  # type: ignore[assignment]

    def __init__(self, *, is_discrete: bool = False, event_dim: int = 0):
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def __call__(self, x=None, *, is_discrete: bool | None = None, event_dim: int | None = None):
        if x is None:  # NumPyro's ``dependent(is_discrete=..., event_dim=...)``
            return _Dependent(
                is_discrete=self.is_discrete if is_discrete is None else is_discrete,
                event_dim=self.event_dim if event_dim is None else event_dim,
            )
        raise ValueError("A dependent constraint cannot be checked; it has no fixed set.")

    def __str__(self):
        return "dependent on other values"


def _fmt(value) -> str:
    """Bounds in messages: scalars as numbers, arrays by their shape."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return f"<array of shape {jnp.shape(value)}>"


# ------------------------------------------------------------------ public instances

real = _Real()
real_vector = _Independent(real, 1)
real_matrix = _Independent(real, 2)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
circular = _Interval(-math.pi, math.pi)
softplus_positive = _SoftplusPositive()
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
simplex = _Simplex()
ordered_vector = _OrderedVector()
positive_ordered_vector = _PositiveOrderedVector()
sphere = _Sphere()
lower_cholesky = _LowerCholesky()
scaled_unit_lower_cholesky = _ScaledUnitLowerCholesky()
softplus_lower_cholesky = _SoftplusLowerCholesky()
corr_cholesky = _CorrCholesky()
corr_matrix = _CorrMatrix()
positive_definite = _PositiveDefinite()
positive_semidefinite = _PositiveSemidefinite()
dependent = _Dependent()

# Parameterised constraints are built by calling these (NumPyro's lowercase names).
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
less_than_eq = _LessThanEq
interval = _Interval
open_interval = _OpenInterval
integer_interval = _IntegerInterval
integer_greater_than = _IntegerGreaterThan
multinomial = _Multinomial
independent = _Independent
zero_sum = _ZeroSum
