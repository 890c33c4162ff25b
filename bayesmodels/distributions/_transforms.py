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
    r"""Abstract bijection :math:`y = f(x)` from ``domain`` onto ``codomain``.

    Subclasses implement ``forward_and_log_det`` and ``inverse_and_log_det`` and set
    ``domain``/``codomain`` (class attributes or properties). Monotone scalar transforms
    also set ``sign`` (+1 increasing, -1 decreasing), which ``TransformedDistribution``
    uses for its ``cdf``. Calling the transform, ``t(x)``, gives :math:`f(x)`; ``t.inv``
    is the inverse transform. The log-determinant is that of the Jacobian of the forward
    map, with the change-of-variables rule

    .. math::

        \log p_Y(y) = \log p_X\bigl(f^{-1}(y)\bigr) - \log|\det J_f(f^{-1}(y))|.

    Example:
        >>> import jax.numpy as jnp
        >>> t = ExpTransform()
        >>> y, log_det = t.forward_and_log_det(jnp.array([0.0, 1.0]))
        >>> [round(float(v), 4) for v in y], [float(v) for v in log_det]
        ([1.0, 2.7183], [0.0, 1.0])
        >>> [round(float(v), 4) for v in t.inv(y)]
        [0.0, 1.0]
    """

    domain: ClassVar[Constraint] = constraints.real
    codomain: ClassVar[Constraint] = constraints.real

    def forward_and_log_det(self, x):
        r"""The forward map and its log-Jacobian determinant in one pass.

        Every transform implements this (the abstract base raises ``NotImplementedError``).

        Args:
            x: a point of ``domain``, with any batch dims left of the domain's event dims.

        Returns:
            the pair ``(y, log_det)``, with
                :math:`y = f(x)` of shape ``forward_shape(x.shape)`` and
                :math:`\log|\det J_f(x)|` of the batch shape of ``x`` (the domain's
                ``event_dim`` rightmost dims summed away).
        """
        raise NotImplementedError

    def inverse_and_log_det(self, y):
        r"""The inverse map and the log-Jacobian determinant of the inverse in one pass.

        Every transform implements this (the abstract base raises ``NotImplementedError``).

        Args:
            y: a point of ``codomain``, with any batch dims left of the codomain's event dims.

        Returns:
            the pair ``(x, log_det)``, with
                :math:`x = f^{-1}(y)` of shape ``inverse_shape(y.shape)`` and
                :math:`\log|\det J_{f^{-1}}(y)| = -\log|\det J_f(x)|` of the batch
                shape of ``y``.
        """
        raise NotImplementedError

    def __call__(self, x):
        return self.forward_and_log_det(x)[0]

    @property
    def inv(self) -> Transform:
        """The inverse transform (domain and codomain swapped): ``t.inv(t(x)) == x``."""
        return _InverseTransform(self)

    def log_abs_det_jacobian(self, x, y=None, intermediates=None):
        r""":math:`\log|\det J_f(x)|`, the log absolute Jacobian determinant of the forward map.

        Args:
            x: the input, a point of ``domain``.
            y: the output ``t(x)``; accepted for NumPyro compatibility and not used.
            intermediates: accepted for NumPyro compatibility and not used.

        Returns:
            the log-determinant, of the batch shape of ``x`` (its shape without the
                domain's ``event_dim`` rightmost dims); the second item of
                ``forward_and_log_det(x)``.
        """
        del y, intermediates
        return self.forward_and_log_det(x)[1]

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of ``t(x)`` for an ``x`` of shape ``shape``.

        Args:
            shape: the input shape (batch dims, then the domain's event dims).

        Returns:
            the output shape, a tuple of ints. Elementwise transforms keep the shape;
                transforms that change the event shape (stick breaking, Cholesky factors,
                reshapes) raise ``ValueError`` for a shape they cannot take.
        """
        return tuple(shape)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of ``t.inv(y)`` for a ``y`` of shape ``shape``.

        Args:
            shape: the output-side shape (batch dims, then the codomain's event dims).

        Returns:
            the input-side shape, a tuple of ints (``ValueError`` as in ``forward_shape``).
        """
        return tuple(shape)

    @property
    def sign(self):
        """+1 for an increasing, -1 for a decreasing scalar map (else ``NotImplementedError``)."""
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
    r"""The identity map on the reals:

    .. math::

        y = x, \qquad \log|\det J| = 0.
    """

    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return x, jnp.zeros(jnp.shape(x), jnp.result_type(x, float))

    def inverse_and_log_det(self, y):
        return y, jnp.zeros(jnp.shape(y), jnp.result_type(y, float))


class ExpTransform(Transform):
    r"""The exponential map, from the reals onto the positive reals:

    .. math::

        y = e^x, \qquad \log|\det J| = x.

    Example:
        >>> import jax.numpy as jnp
        >>> float(ExpTransform().inv(jnp.array(1.0)))
        0.0
    """

    codomain: ClassVar[Constraint] = constraints.positive
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return jnp.exp(x), jnp.asarray(x)

    def inverse_and_log_det(self, y):
        x = jnp.log(y)
        return x, -x


class SoftplusTransform(Transform):
    r"""The softplus map, from the reals onto the positive reals (linear for large ``x``):

    .. math::

        y = \log(1 + e^x), \qquad \log|\det J| = \log \sigma(x)
            = -\operatorname{softplus}(-x),

    with inverse :math:`x = \log(e^y - 1)`.

    Example:
        >>> import jax.numpy as jnp
        >>> round(float(SoftplusTransform()(jnp.array(0.0))), 4)
        0.6931
    """

    codomain: ClassVar[Constraint] = constraints.softplus_positive
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return jax.nn.softplus(x), -jax.nn.softplus(-x)

    def inverse_and_log_det(self, y):
        x = y + jnp.log(-jnp.expm1(-y))  # softplus^{-1}(y) = log(e^y - 1)
        return x, jax.nn.softplus(-x)


class SigmoidTransform(Transform):
    r"""The logistic sigmoid, from the reals onto the unit interval :math:`(0, 1)`:

    .. math::

        y = \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
        \log|\det J| = \log y + \log(1 - y)
            = -\operatorname{softplus}(x) - \operatorname{softplus}(-x).

    The inverse is the logit, :math:`x = \log y - \log(1 - y)`. The output is clipped to
    stay strictly inside :math:`(0, 1)` in floating point.

    Example:
        >>> import jax.numpy as jnp
        >>> SigmoidTransform()(jnp.array(0.0))
        Array(0.5, dtype=float32)
    """

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
    r"""The hyperbolic tangent, from the reals onto the open interval :math:`(-1, 1)`:

    .. math::

        y = \tanh x, \qquad
        \log|\det J| = \log(1 - y^2) = 2\bigl(\log 2 - x - \operatorname{softplus}(-2x)\bigr),

    the last form being stable for large :math:`|x|`. The inverse clips ``y`` one machine
    epsilon inside :math:`(-1, 1)` before :math:`\operatorname{artanh}`.

    Example:
        >>> import jax.numpy as jnp
        >>> float(TanhTransform().log_abs_det_jacobian(jnp.array(0.0)))
        0.0
    """

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
    r"""The absolute value restricted to :math:`x \ge 0`, so a bijection (the identity) of
    the non-negative reals:

    .. math::

        y = |x|, \qquad \log|\det J| = 0.
    """

    domain: ClassVar[Constraint] = constraints.nonnegative
    codomain: ClassVar[Constraint] = constraints.nonnegative
    sign: ClassVar[int] = 1

    def forward_and_log_det(self, x):
        return jnp.abs(x), jnp.zeros(jnp.shape(x), jnp.result_type(x, float))

    def inverse_and_log_det(self, y):
        return y, jnp.zeros(jnp.shape(y), jnp.result_type(y, float))


class PowerTransform(Transform):
    r"""A power of a positive real, a bijection of the positive reals for :math:`p \ne 0`:

    .. math::

        y = x^p, \qquad \log|\det J| = \log|p| + (p - 1)\log x,

    with inverse :math:`x = y^{1/p}`. The map is increasing for :math:`p > 0` and
    decreasing for :math:`p < 0` (see ``sign``).

    Args:
        exponent: the power :math:`p` (a float or an array broadcasting with ``x``); not 0.

    Example:
        >>> import jax.numpy as jnp
        >>> float(PowerTransform(2.0)(jnp.array(3.0)))
        9.0
    """

    exponent: Any
    domain: ClassVar[Constraint] = constraints.positive
    codomain: ClassVar[Constraint] = constraints.positive

    @property
    def sign(self):
        """``sign(exponent)``: +1 (increasing) for a positive power, -1 for a negative one."""
        return jnp.sign(self.exponent)

    def forward_and_log_det(self, x):
        y = jnp.power(x, self.exponent)
        return y, jnp.log(jnp.abs(self.exponent)) + (self.exponent - 1) * jnp.log(x)

    def inverse_and_log_det(self, y):
        x = jnp.power(y, 1.0 / self.exponent)
        return x, -(jnp.log(jnp.abs(self.exponent)) + (self.exponent - 1) * jnp.log(x))


class AffineTransform(Transform):
    r"""The affine map :math:`y = \mathrm{loc} + \mathrm{scale}\cdot x`, elementwise:

    .. math::

        y = \mu + s\,x, \qquad
        \log|\det J| = \sum_{\text{event dims}} \log|s|,

    the sum running over the ``event_dim`` rightmost dims (none by default, when the
    log-determinant is :math:`\log|s|` broadcast to the shape of ``x``).

    ``domain`` says which set ``x`` lives in (real by default); the codomain follows from it
    (the positive reals shifted by ``loc``, say), which is how ``biject_to`` builds
    ``greater_than(lb)`` as ``exp`` then ``affine(lb, 1)``. A negative ``scale`` flips
    the bounds; a traced ``scale`` (under ``jit``) is assumed positive for that purpose.

    Args:
        loc: the shift :math:`\mu` (a float or an array broadcasting with ``x``).
        scale: the factor :math:`s`, non-zero (a float or an array broadcasting with ``x``).
        domain: the constraint ``x`` satisfies: ``constraints.real`` (default),
            ``greater_than``, ``less_than`` or ``interval`` (others raise
            ``NotImplementedError`` when ``codomain`` is asked for).
        event_dim: the number of rightmost dims that form one event; the log-determinant
            is summed over them.

    Example:
        >>> import jax.numpy as jnp
        >>> t = AffineTransform(1.0, 2.0)
        >>> float(t(jnp.array(3.0))), round(float(t.log_abs_det_jacobian(jnp.array(3.0))), 4)
        (7.0, 0.6931)
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
        """``sign(scale)``, elementwise: +1 where the map increases, -1 where it decreases."""
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
    r"""Apply ``parts`` in order: ``ComposeTransform([f, g])(x) == g(f(x))``.

    For parts :math:`f_1, \dots, f_n` and :math:`x_0 = x`, :math:`x_k = f_k(x_{k-1})`:

    .. math::

        y = (f_n \circ \dots \circ f_1)(x), \qquad
        \log|\det J| = \sum_{k=1}^n \log|\det J_{f_k}(x_{k-1})|,

    each part's log-determinant summed over the event dims it leaves as batch dims (so
    that all terms have the batch shape of the composition). The domain and codomain
    have as many event dims as the widest part needs; an empty list is the identity.

    Args:
        parts: the transforms to apply, first to last (any iterable; stored as a tuple).

    Example:
        >>> import jax.numpy as jnp
        >>> t = ComposeTransform([AffineTransform(0.0, 2.0), ExpTransform()])
        >>> y, log_det = t.forward_and_log_det(jnp.array(0.5))
        >>> round(float(y), 4), round(float(log_det), 4)
        (2.7183, 1.6931)
    """

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
        """The product of the parts' signs (each part must be a monotone scalar map)."""
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
    r"""Treat ``reinterpreted_batch_ndims`` batch dims of ``base_transform`` as event dims.

    The map is the base transform's, :math:`y = f(x)`; only the log-determinant changes:
    with :math:`d` = ``reinterpreted_batch_ndims``,

    .. math::

        \log|\det J|(x) = \sum_{\text{the } d \text{ rightmost batch dims}}
            \log|\det J_f(x)|.

    Args:
        base_transform: the transform applied.
        reinterpreted_batch_ndims: how many of its rightmost batch dims become event dims
            (>= 0; ``ValueError`` otherwise).

    Example:
        >>> import jax.numpy as jnp
        >>> t = IndependentTransform(ExpTransform(), 1)
        >>> t.log_abs_det_jacobian(jnp.ones((2, 3)))
        Array([3., 3.], dtype=float32)
    """

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
