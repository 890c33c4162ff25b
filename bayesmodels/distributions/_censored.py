r"""Censoring: observations known only to lie below, above, inside or outside a bound.

As in NumPyro (and R's ``survival::Surv``), an exact observation contributes the log
density of the base distribution and a censored one the log probability of the set it is
known to lie in:

* left-censored at :math:`x`: :math:`\log F(x)`;
* right-censored at :math:`x`: :math:`\log S(x) = \log(1 - F(x))`;
* interval-censored in :math:`(l, u]`: :math:`\log(F(u) - F(l))`.

The tail probabilities are computed in log space (``_tails``), so a censoring point far
in a tail gives an accurate finite value rather than ``log 0``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import _constraints as constraints
from . import _tails as tails
from ._compiled import compiled_method
from ._distribution import Distribution
from ._util import is_traced

__all__ = ["IntervalCensoredDistribution", "LeftCensoredDistribution", "RightCensoredDistribution"]


def _check_base(cls_name: str, base_dist):
    if not isinstance(base_dist, Distribution):
        raise ValueError(f"{cls_name}: 'base_dist' must be a Distribution; got {type(base_dist).__name__}.")
    if base_dist.event_shape != ():
        raise ValueError(
            f"{cls_name}: 'base_dist' must be univariate; {type(base_dist).__name__} has "
            f"event_shape {base_dist.event_shape}."
        )
    if type(base_dist).cdf is Distribution.cdf:
        raise ValueError(
            f"{cls_name}: 'base_dist' ({type(base_dist).__name__}) has no cdf, which censoring needs."
        )


def _indicator(cls_name: str, name: str, value):
    """A 0/1 (or boolean) censoring indicator as a boolean array; other values raise."""
    if not is_traced(value):
        array = np.asarray(value)
        if not np.all((array == 0) | (array == 1)):
            raise ValueError(
                f"{cls_name}: parameter '{name}' must be 0/1 or boolean (1 = censored); got "
                f"{array.tolist() if array.size <= 8 else f'an array of shape {array.shape}'}."
            )
    return jnp.asarray(value).astype(bool)


class LeftCensoredDistribution(Distribution):
    r"""``base_dist`` with left-censored observations: where ``censored`` is 1, the
    value is an upper bound (the true value is :math:`\le` it),

    .. math::

        \log p(x) = \begin{cases} \log f(x) & \text{censored} = 0, \\
                                  \log F(x) & \text{censored} = 1. \end{cases}

    where :math:`f` and :math:`F` are the density and cdf of ``base_dist``. Sampling draws
    from ``base_dist`` (uncensored values), broadcast to the batch shape.

    Args:
        base_dist: a univariate distribution with a ``cdf``.
        censored: the censoring indicator, 0/1 or boolean (1 = censored), broadcasting
            with ``base_dist.batch_shape`` (the broadcast is the batch shape); default
            ``False``, no observation censored.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist`` is not a univariate ``Distribution`` with a ``cdf``, or
            a concrete ``censored`` has values other than 0 and 1.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.LeftCensoredDistribution(dist.Normal(0.0, 1.0), censored=jnp.array([0, 1]))
        >>> [round(float(v), 4) for v in d.log_prob(jnp.array([0.0, 0.0]))]
        [-0.9189, -0.6931]
    """

    base_dist: Distribution
    censored: jax.Array

    def __init__(self, base_dist: Distribution, censored=False, *, validate_args=None):
        name = type(self).__name__
        _check_base(name, base_dist)
        self.base_dist = base_dist
        self.censored = _indicator(name, "censored", censored)
        batch_shape = jnp.broadcast_shapes(base_dist.batch_shape, jnp.shape(self.censored))
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        return self.base_dist.support

    def sample(self, key, sample_shape=()):
        return self.base_dist.expand(self.batch_shape).sample(key, sample_shape)

    @compiled_method
    def _log_prob(self, value):
        return jnp.where(self.censored, tails.log_cdf(self.base_dist, value), self.base_dist.log_prob(value))


class RightCensoredDistribution(Distribution):
    r"""``base_dist`` with right-censored observations: where ``censored`` is 1, the
    value is a lower bound (the true value is :math:`\ge` it),

    .. math::

        \log p(x) = \begin{cases} \log f(x) & \text{censored} = 0, \\
                                  \log(1 - F(x)) & \text{censored} = 1. \end{cases}

    where :math:`f` and :math:`F` are the density and cdf of ``base_dist``. Sampling draws
    from ``base_dist`` (uncensored values), broadcast to the batch shape.

    Args:
        base_dist: a univariate distribution with a ``cdf``.
        censored: the censoring indicator, 0/1 or boolean (1 = censored), broadcasting
            with ``base_dist.batch_shape`` (the broadcast is the batch shape); default
            ``False``, no observation censored.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist`` is not a univariate ``Distribution`` with a ``cdf``, or
            a concrete ``censored`` has values other than 0 and 1.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.RightCensoredDistribution(dist.Normal(0.0, 1.0), censored=jnp.array([0, 1]))
        >>> [round(float(v), 4) for v in d.log_prob(jnp.array([0.0, 0.0]))]
        [-0.9189, -0.6931]
    """

    base_dist: Distribution
    censored: jax.Array

    def __init__(self, base_dist: Distribution, censored=False, *, validate_args=None):
        name = type(self).__name__
        _check_base(name, base_dist)
        self.base_dist = base_dist
        self.censored = _indicator(name, "censored", censored)
        batch_shape = jnp.broadcast_shapes(base_dist.batch_shape, jnp.shape(self.censored))
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        return self.base_dist.support

    def sample(self, key, sample_shape=()):
        return self.base_dist.expand(self.batch_shape).sample(key, sample_shape)

    @compiled_method
    def _log_prob(self, value):
        return jnp.where(
            self.censored, tails.log_survival(self.base_dist, value), self.base_dist.log_prob(value)
        )


class IntervalCensoredDistribution(Distribution):
    r"""``base_dist`` observed as intervals: a value is a pair ``(lower, upper)`` (event
    shape ``(2,)``), and the flags say which bound is informative:

    | ``left_censored`` | ``right_censored`` | contribution                                    |
    |-------------------|--------------------|-------------------------------------------------|
    | 1                 | 0                  | :math:`\log F(u)` (``lower`` is ignored)        |
    | 0                 | 1                  | :math:`\log(1 - F(l))` (``upper`` is ignored)   |
    | 0                 | 0                  | :math:`\log(F(u) - F(l))`; :math:`\log f(l)` if :math:`l = u` |
    | 1                 | 1                  | :math:`\log(1 - (F(u) - F(l)))` (outside the interval) |

    Here :math:`l` and :math:`u` are ``value[..., 0]`` and ``value[..., 1]``, and :math:`f`
    and :math:`F` the density and cdf of ``base_dist``. Ignored bounds may be infinite; a
    NaN bound gets :math:`-\infty`. Sampling draws :math:`x` from ``base_dist`` and
    returns the exact interval ``(x, x)``, of shape ``sample_shape + batch_shape + (2,)``.

    Args:
        base_dist: a univariate distribution with a ``cdf``.
        left_censored: 0/1 or boolean flags, broadcasting with ``base_dist.batch_shape``:
            1 where only the upper bound is informative (see the table).
        right_censored: 0/1 or boolean flags, broadcasting with ``base_dist.batch_shape``:
            1 where only the lower bound is informative (see the table).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist`` is not a univariate ``Distribution`` with a ``cdf``, or
            a concrete flag has values other than 0 and 1.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.IntervalCensoredDistribution(dist.Normal(0.0, 1.0), 0, 0)
        >>> round(float(d.log_prob(jnp.array([-jnp.inf, 0.0]))), 4)  # log P(X <= 0)
        -0.6931
    """

    base_dist: Distribution
    left_censored: jax.Array
    right_censored: jax.Array

    def __init__(self, base_dist: Distribution, left_censored, right_censored, *, validate_args=None):
        name = type(self).__name__
        _check_base(name, base_dist)
        self.base_dist = base_dist
        self.left_censored = _indicator(name, "left_censored", left_censored)
        self.right_censored = _indicator(name, "right_censored", right_censored)
        batch_shape = jnp.broadcast_shapes(
            base_dist.batch_shape, jnp.shape(self.left_censored), jnp.shape(self.right_censored)
        )
        super().__init__(batch_shape, (2,), validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        # Bounds may be infinite (an open end of a censored observation), so the support
        # of a pair is the extended real line in each coordinate.
        return constraints.independent(constraints.interval(-jnp.inf, jnp.inf), 1)

    def sample(self, key, sample_shape=()):
        x = self.base_dist.expand(self.batch_shape).sample(key, sample_shape)
        return jnp.stack([x, x], axis=-1)

    def log_prob(self, value):
        # Infinite bounds are allowed, so only NaN lies outside the support; it is swapped
        # for 0 before the formulas run so that neither the value nor a gradient is NaN.
        value = jnp.asarray(value)
        ok = ~jnp.any(jnp.isnan(value), axis=-1)
        log_prob = self._log_prob(jnp.where(jnp.isnan(value), 0.0, value))
        return jnp.where(ok, log_prob, -jnp.inf)

    @compiled_method
    def _log_prob(self, value):
        base = self.base_dist
        left, right = self.left_censored, self.right_censored
        # Every case is an interval (lo, hi] (or its complement when both flags are set):
        # left-censored is (-inf, upper], right-censored (lower, inf).
        lo = jnp.where(left & ~right, -jnp.inf, value[..., 0])
        hi = jnp.where(right & ~left, jnp.inf, value[..., 1])
        open_below, open_above = jnp.isneginf(lo), jnp.isposinf(hi)
        # Finite stand-ins for infinite bounds, so that no cdf (nor its gradient) sees an
        # infinity; the tail terms at an open end are set to their limits instead.
        lo_finite = jnp.where(jnp.isfinite(lo), lo, jnp.where(jnp.isfinite(hi), hi - 1.0, 0.0))
        hi_finite = jnp.where(jnp.isfinite(hi), hi, lo_finite + 1.0)
        log_f_lo = jnp.where(open_below, -jnp.inf, tails.log_cdf(base, lo_finite))
        log_s_lo = jnp.where(open_below, 0.0, tails.log_survival(base, lo_finite))
        log_f_hi = jnp.where(open_above, 0.0, tails.log_cdf(base, hi_finite))
        log_s_hi = jnp.where(open_above, -jnp.inf, tails.log_survival(base, hi_finite))
        inside = tails.log_mass_from_tails(log_f_lo, log_s_lo, log_f_hi, log_s_hi)
        point = jnp.isclose(lo, hi) & jnp.isfinite(lo)  # as NumPyro: the density there
        inside = jnp.where(point, base.log_prob(lo_finite), inside)
        outside = jnp.logaddexp(log_f_lo, log_s_hi)
        return jnp.where(left & right, outside, inside)
