r"""Bijective transforms: the interface and the elementwise (scalar) transforms.

Every transform implements one pair of methods,

.. math::

    \texttt{forward\_and\_log\_det}(x) = \bigl(f(x),\ \log|\det J_f(x)|\bigr), \qquad
    \texttt{inverse\_and\_log\_det}(y) = \bigl(f^{-1}(y),\ \log|\det J_{f^{-1}}(y)|\bigr),

and everything else derives from them: ``t(x)``, ``t.inv(y)`` (``t.inv`` is itself a
transform), ``t.log_abs_det_jacobian(x, y)``, and the shape maps ``forward_shape`` /
``inverse_shape``. The log-determinant has the shape of ``x`` with the domain's
``event_dim`` rightmost dims summed away.

Transforms are ``equinox.Module``s, so their parameters may be arrays that pass through
``jit``, ``vmap`` and ``grad``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import expit, logit

from . import _constraints as constraints
from ._constraints import Constraint
from ._util import sum_rightmost

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "ComposeTransform",
    "ExpTransform",
    "IdentityTransform",
    "IndependentTransform",
    "PowerTransform",
    "SigmoidTransform",
    "SoftplusTransform",
    "TanhTransform",
    "Transform",
]


class Transform(eqx.Module):
    """Abstract bijection between ``domain`` and ``codomain``.

    Subclasses implement ``forward_and_log_det`` and ``inverse_and_log_det`` and set
    ``domain``/``codomain`` (class attributes or properties). Monotone scalar transforms
    also set ``sign`` (+1 increasing, -1 decreasing), which ``TransformedDistribution``
    uses for its ``cdf``.
    """

    domain: ClassVar[Constraint] = constraints.real
    codomain: ClassVar[Constraint] = constraints.real

    def forward_and_log_det(self, x):
        raise NotImplementedError

    def inverse_and_log_det(self, y):
        raise NotImplementedError

    def __call__(self, x):
        return self.forward_and_log_det(x)[0]

    @property
    def inv(self) -> Transform:
        """The inverse transform: ``t.inv(t(x)) == x``."""
        return _InverseTransform(self)

    def log_abs_det_jacobian(self, x, y=None, intermediates=None):
        """:math:`\\log|\\det J_f(x)|`; ``y`` and ``intermediates`` are accepted for NumPyro
        compatibility and not needed."""
        del y, intermediates
        return self.forward_and_log_det(x)[1]

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of ``t(x)`` for ``x`` of shape ``shape``."""
        return tuple(shape)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of ``t.inv(y)`` for ``y`` of shape ``shape``."""
        return tuple(shape)

    @property
    def sign(self):
        raise NotImplementedError(
            f"{type(self).__name__} is not a monotone scalar transform, so it has no sign."
        )


class _InverseTransform(Transform):
    """``base_transform`` run backwards."""

    base_transform: Transform

    @property
    def domain(self):  # type: ignore[override]
        return self.base_transform.codomain

    @property
    def codomain(self):  # type: ignore[override]
        return self.base_transform.domain

    @property
    def inv(self) -> Transform:
        return self.base_transform

    @property
    def sign(self):
        return self.base_transform.sign

    def forward_and_log_det(self, x):
        return self.base_transform.inverse_and_log_det(x)

    def inverse_and_log_det(self, y):
        return self.base_transform.forward_and_log_det(y)

    def forward_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.forward_shape(shape)


# ----------------------------------------------------------------- elementwise maps


class IdentityTransform(Transform):
    r""":math:`y = x`, :math:`\log|J| = 0`."""

    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return x, jnp.zeros(jnp.shape(x), jnp.result_type(x, float))

    def inverse_and_log_det(self, y):
        return y, jnp.zeros(jnp.shape(y), jnp.result_type(y, float))


class ExpTransform(Transform):
    r""":math:`y = e^x`, :math:`\log|J| = x`. Maps the reals onto the positive reals."""

    codomain: ClassVar[Constraint] = constraints.positive
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return jnp.exp(x), jnp.asarray(x)

    def inverse_and_log_det(self, y):
        x = jnp.log(y)
        return x, -x


class SoftplusTransform(Transform):
    r""":math:`y = \log(1 + e^x)`, :math:`\log|J| = -\operatorname{softplus}(-x)`."""

    codomain: ClassVar[Constraint] = constraints.softplus_positive
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return jax.nn.softplus(x), -jax.nn.softplus(-x)

    def inverse_and_log_det(self, y):
        x = y + jnp.log(-jnp.expm1(-y))  # softplus^{-1}(y) = log(e^y - 1)
        return x, jax.nn.softplus(-x)


class SigmoidTransform(Transform):
    r""":math:`y = 1 / (1 + e^{-x})`, :math:`\log|J| = -\operatorname{softplus}(x) -
    \operatorname{softplus}(-x)`. Maps the reals onto the unit interval."""

    codomain: ClassVar[Constraint] = constraints.unit_interval
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        y = expit(x)
        finfo = jnp.finfo(jnp.result_type(y, float))
        y = jnp.clip(y, finfo.tiny, 1.0 - finfo.eps)  # stay inside (0, 1) in float
        return y, -jax.nn.softplus(x) - jax.nn.softplus(-x)

    def inverse_and_log_det(self, y):
        x = logit(y)
        return x, jax.nn.softplus(x) + jax.nn.softplus(-x)


class TanhTransform(Transform):
    r""":math:`y = \tanh x`, :math:`\log|J| = 2(\log 2 - x - \operatorname{softplus}(-2x))`."""

    codomain: ClassVar[Constraint] = constraints.open_interval(-1.0, 1.0)
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        ladj = 2.0 * (jnp.log(2.0) - x - jax.nn.softplus(-2.0 * x))
        return jnp.tanh(x), ladj

    def inverse_and_log_det(self, y):
        finfo = jnp.finfo(jnp.result_type(y, float))
        x = jnp.arctanh(jnp.clip(y, -1.0 + finfo.eps, 1.0 - finfo.eps))
        return x, -2.0 * (jnp.log(2.0) - x - jax.nn.softplus(-2.0 * x))


class AbsTransform(Transform):
    r""":math:`y = |x|` restricted to :math:`x \ge 0` (so bijective on the non-negative reals)."""

    domain: ClassVar[Constraint] = constraints.nonnegative
    codomain: ClassVar[Constraint] = constraints.nonnegative
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return jnp.abs(x), jnp.zeros(jnp.shape(x), jnp.result_type(x, float))

    def inverse_and_log_det(self, y):
        return y, jnp.zeros(jnp.shape(y), jnp.result_type(y, float))


class PowerTransform(Transform):
    r""":math:`y = x^p` on the positive reals, :math:`\log|J| = \log|p| + (p - 1)\log x`."""

    exponent: Any
    domain: ClassVar[Constraint] = constraints.positive
    codomain: ClassVar[Constraint] = constraints.positive

    @property
    def sign(self):
        return jnp.sign(self.exponent)

    def forward_and_log_det(self, x):
        y = jnp.power(x, self.exponent)
        return y, jnp.log(jnp.abs(self.exponent)) + (self.exponent - 1) * jnp.log(x)

    def inverse_and_log_det(self, y):
        x = jnp.power(y, 1.0 / self.exponent)
        return x, -(jnp.log(jnp.abs(self.exponent)) + (self.exponent - 1) * jnp.log(x))


class AffineTransform(Transform):
    r""":math:`y = \mathrm{loc} + \mathrm{scale}\cdot x`, :math:`\log|J| = \log|\mathrm{scale}|`.

    ``domain`` says which set ``x`` lives in (real by default); the codomain follows from it
    (the positive reals shifted by ``loc``, say), which is how ``biject_to`` builds
    ``greater_than(lb)`` as ``exp`` then ``affine(lb, 1)``.
    """

    loc: Any
    scale: Any
    event_dim: int = eqx.field(static=True)
    _domain: Constraint

    def __init__(self, loc, scale, domain: Constraint = constraints.real, event_dim: int = 0):
        self.loc = loc
        self.scale = scale
        self._domain = domain
        self.event_dim = int(event_dim)

    @property
    def domain(self):  # type: ignore[override]
        return self._domain if self.event_dim == 0 else constraints.independent(
            self._domain, self.event_dim
        )

    @property
    def codomain(self):  # type: ignore[override]
        base = self._codomain_elementwise()
        return base if self.event_dim == 0 else constraints.independent(base, self.event_dim)

    def _codomain_elementwise(self):
        d = self._domain
        if d is constraints.real or isinstance(d, constraints._Real):
            return constraints.real
        positive_scale = _is_concrete_positive(self.scale)
        if isinstance(d, constraints._GreaterThan):
            lb = self.loc + self.scale * d.lower_bound
            return constraints.greater_than(lb) if positive_scale else constraints.less_than(lb)
        if isinstance(d, constraints._LessThan):
            ub = self.loc + self.scale * d.upper_bound
            return constraints.less_than(ub) if positive_scale else constraints.greater_than(ub)
        if isinstance(d, constraints._Interval):
            a = self.loc + self.scale * d.lower_bound
            b = self.loc + self.scale * d.upper_bound
            return constraints.interval(a, b) if positive_scale else constraints.interval(b, a)
        raise NotImplementedError(
            f"AffineTransform has no codomain rule for the domain {d}; use real, "
            "greater_than, less_than or interval."
        )

    @property
    def sign(self):
        return jnp.sign(self.scale)

    def _ladj(self, x):
        shape = jnp.broadcast_shapes(jnp.shape(x), jnp.shape(self.scale))
        ladj = jnp.broadcast_to(jnp.log(jnp.abs(self.scale)), shape)
        return sum_rightmost(ladj, self.event_dim)

    def forward_and_log_det(self, x):
        return self.loc + self.scale * x, self._ladj(x)

    def inverse_and_log_det(self, y):
        return (y - self.loc) / self.scale, -self._ladj(y)

    def forward_shape(self, shape):
        return tuple(jnp.broadcast_shapes(shape, jnp.shape(self.loc), jnp.shape(self.scale)))

    def inverse_shape(self, shape):
        return self.forward_shape(shape)


def _is_concrete_positive(value) -> bool:
    """Whether a (possibly traced) scale is positive; traced scales are assumed positive."""
    if isinstance(value, jax.core.Tracer):
        return True
    return bool(np.all(np.asarray(value) > 0))


# ------------------------------------------------------------------------- combinators


class ComposeTransform(Transform):
    """Apply ``parts`` in order: ``ComposeTransform([f, g])(x) == g(f(x))``."""

    parts: tuple[Transform, ...]

    def __init__(self, parts):
        self.parts = tuple(parts)

    @property
    def domain(self):  # type: ignore[override]
        if not self.parts:
            return constraints.real
        # The input must cover the largest event any later part consumes: walk back
        # from the output, each part turning its codomain's event dims into its domain's.
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim = part.domain.event_dim + max(event_dim - part.codomain.event_dim, 0)
        return _widen(self.parts[0].domain, event_dim)

    @property
    def codomain(self):  # type: ignore[override]
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim = part.codomain.event_dim + max(event_dim - part.domain.event_dim, 0)
        return _widen(self.parts[-1].codomain, event_dim)

    @property
    def sign(self):
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    def forward_and_log_det(self, x):
        total_event_dim = self.domain.event_dim
        ladj_total = 0.0
        for part in self.parts:
            y, ladj = part.forward_and_log_det(x)
            # Each part's log-det has x.ndim - part.domain.event_dim dims; bring it to
            # the composition's batch rank by summing the extra rightmost dims.
            extra = total_event_dim - part.domain.event_dim
            ladj_total = ladj_total + sum_rightmost(ladj, extra)
            x = y
            total_event_dim += part.codomain.event_dim - part.domain.event_dim
        return x, ladj_total

    def inverse_and_log_det(self, y):
        total_event_dim = self.codomain.event_dim
        ladj_total = 0.0
        for part in reversed(self.parts):
            x, ladj = part.inverse_and_log_det(y)
            extra = total_event_dim - part.codomain.event_dim
            ladj_total = ladj_total + sum_rightmost(ladj, extra)
            y = x
            total_event_dim += part.domain.event_dim - part.codomain.event_dim
        return y, ladj_total

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return shape


def _widen(constraint: Constraint, event_dim: int) -> Constraint:
    """``constraint`` seen with ``event_dim`` event dims (wrapping it in ``independent``)."""
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


class IndependentTransform(Transform):
    """Treat ``reinterpreted_batch_ndims`` batch dims of ``base_transform`` as event dims:
    the log-determinant is summed over them."""

    base_transform: Transform
    reinterpreted_batch_ndims: int = eqx.field(static=True)

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int):
        if int(reinterpreted_batch_ndims) < 0:
            raise ValueError(
                "IndependentTransform: reinterpreted_batch_ndims must be >= 0, "
                f"got {reinterpreted_batch_ndims}"
            )
        self.base_transform = base_transform
        self.reinterpreted_batch_ndims = int(reinterpreted_batch_ndims)

    @property
    def domain(self):  # type: ignore[override]
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):  # type: ignore[override]
        return constraints.independent(
            self.base_transform.codomain, self.reinterpreted_batch_ndims
        )

    def forward_and_log_det(self, x):
        y, ladj = self.base_transform.forward_and_log_det(x)
        return y, sum_rightmost(ladj, self.reinterpreted_batch_ndims)

    def inverse_and_log_det(self, y):
        x, ladj = self.base_transform.inverse_and_log_det(y)
        return x, sum_rightmost(ladj, self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)
