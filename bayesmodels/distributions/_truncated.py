r"""Truncation of a univariate continuous distribution to an interval.

The truncated density is the base density renormalised over :math:`[a, b]`,

.. math::

    p(x) = \frac{p_{\text{base}}(x)}{F(b) - F(a)}, \qquad a \le x \le b,

and draws come from the inverse cdf on that interval. All tail masses are handled in log
space (see ``_tails``), so an interval far in either tail of a Normal still has a finite
log density and draws that land inside it.

``TruncatedDistribution(base_dist, low=None, high=None)`` picks one of
``LeftTruncatedDistribution``, ``RightTruncatedDistribution`` and
``TwoSidedTruncatedDistribution``; ``TruncatedNormal`` and ``TruncatedCauchy`` are
shorthands for the usual bases, as in NumPyro.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from . import _constraints as constraints
from . import _tails as tails
from . import _truncated_moments as moments
from ._compiled import compiled_method
from ._continuous_real import Normal
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, is_traced, promote_shapes

__all__ = [
    "LeftTruncatedDistribution",
    "RightTruncatedDistribution",
    "TruncatedCauchy",
    "TruncatedDistribution",
    "TruncatedNormal",
    "TwoSidedTruncatedDistribution",
]


def _check_base(cls_name: str, base_dist):
    if not isinstance(base_dist, Distribution):
        raise ValueError(f"{cls_name}: 'base_dist' must be a Distribution, got {type(base_dist).__name__}.")
    problem = None
    if base_dist.event_shape != ():
        problem = f"is multivariate (event_shape {base_dist.event_shape})"
    elif base_dist.is_discrete:
        problem = "is discrete"
    elif type(base_dist).cdf is Distribution.cdf or type(base_dist).icdf is Distribution.icdf:
        problem = "has no cdf/icdf"
    if problem is not None:
        raise ValueError(
            f"{cls_name}: 'base_dist' must be a univariate continuous distribution with a cdf "
            f"and an icdf; {type(base_dist).__name__} {problem}."
        )
    try:
        tails.support_bounds(base_dist.support)
    except ValueError as error:
        raise ValueError(f"{cls_name}: 'base_dist' {error}.") from None


class _AbstractTruncated(Distribution):
    """Shared maths of the three truncations; subclasses say which bounds they have."""

    base_dist: eqx.AbstractVar[Distribution]

    def _given_bounds(self):
        """``(low, high)`` as given, ``None`` for a side that is not truncated."""
        raise NotImplementedError

    def _bounds(self):
        """The given bounds moved into the base's support (for the tail masses)."""
        low, high = self._given_bounds()
        base_low, base_high = tails.support_bounds(self.base_dist.support)
        if low is not None and base_low is not None:
            low = jnp.maximum(low, base_low)
        if high is not None and base_high is not None:
            high = jnp.minimum(high, base_high)
        return low, high

    @property
    def support(self):  # type: ignore[override]
        """The truncation interval intersected with the base's support, a ``Constraint``."""
        low, high = self._bounds()
        base_low, base_high = tails.support_bounds(self.base_dist.support)
        low = base_low if low is None else low
        high = base_high if high is None else high
        if low is not None and high is not None:
            return constraints.interval(low, high)
        if low is not None:
            return constraints.greater_than_eq(low)
        if high is not None:
            return constraints.less_than_eq(high)
        return constraints.real

    @property
    def has_rsample(self):  # type: ignore[override]
        """Whether ``base_dist`` has ``rsample`` (draws are the inverse cdf of uniforms)."""
        return self.base_dist.has_rsample

    def _log_normalizer(self):
        """:math:`\\log P_{\\text{base}}(a < X \\le b)`."""
        low, high = self._bounds()
        if high is None:
            return tails.log_survival(self.base_dist, low)
        if low is None:
            return tails.log_cdf(self.base_dist, high)
        return tails.log_mass_between(self.base_dist, low, high)

    def _clip(self, x):
        low, high = self._bounds()
        if low is not None:
            x = jnp.maximum(x, low)
        if high is not None:
            x = jnp.minimum(x, high)
        return x

    @compiled_method
    def _log_prob(self, value):
        return self.base_dist.log_prob(value) - self._log_normalizer()

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        u = jax.random.uniform(key, shape, minval=jnp.finfo(jnp.result_type(float)).tiny)
        return self.icdf(u)

    def rsample(self, key, sample_shape=()):
        if not self.has_rsample:
            return super().rsample(key, sample_shape)
        return self.sample(key, sample_shape)

    @compiled_method
    def icdf(self, q):
        q = jnp.asarray(q)
        low, high = self._bounds()
        base = self.base_dist
        if high is None:  # S(x) = (1 - q) S(low)
            x = tails.icdf_of_log_tail(base, jnp.log1p(-q) + tails.log_survival(base, low), True)
        elif low is None:  # F(x) = q F(high)
            x = tails.icdf_of_log_tail(base, jnp.log(q) + tails.log_cdf(base, high), False)
        else:  # F(x) = F(low) + q Z, or S(x) = S(high) + (1 - q) Z when low is above the median
            log_f_low, log_s_low = tails.log_cdf(base, low), tails.log_survival(base, low)
            log_f_high, log_s_high = tails.log_cdf(base, high), tails.log_survival(base, high)
            log_z = tails.log_mass_from_tails(log_f_low, log_s_low, log_f_high, log_s_high)
            upper = tails.is_upper_half(log_f_low)
            log_p = jnp.where(
                upper,
                jnp.logaddexp(log_s_high, jnp.log1p(-q) + log_z),
                jnp.logaddexp(log_f_low, jnp.log(q) + log_z),
            )
            x = tails.icdf_of_log_tail(base, log_p, upper)
        x = jnp.broadcast_to(self._clip(x), jnp.broadcast_shapes(jnp.shape(x), self.batch_shape))
        return jnp.where((q < 0) | (q > 1), jnp.nan, x)

    @compiled_method
    def cdf(self, value):
        x = self._clip(jnp.asarray(value))
        low, high = self._bounds()
        log_z = self._log_normalizer()
        base = self.base_dist
        if high is None:
            cdf = -jnp.expm1(tails.log_survival(base, x) - tails.log_survival(base, low))
        elif low is None:
            cdf = jnp.exp(tails.log_cdf(base, x) - log_z)
        else:
            cdf = jnp.exp(tails.log_mass_between(base, low, x) - log_z)
            cdf = jnp.where(x <= low, 0.0, cdf)
        return jnp.clip(cdf, 0.0, 1.0)

    # ------------------------------------------------------------------------ moments

    def _standard_bounds(self):
        """Bounds in units of the base's ``(x - loc) / scale`` (``None`` for an open end)."""
        low, high = self._bounds()
        loc, scale = self.base_dist.loc, self.base_dist.scale
        return (
            None if low is None else (low - loc) / scale,
            None if high is None else (high - loc) / scale,
        )

    @compiled_method
    def _normal_moments(self):
        a, b = self._standard_bounds()
        mean, variance, entropy = moments.truncated_normal(a, b, self._log_normalizer())
        loc, scale = self.base_dist.loc, self.base_dist.scale
        return loc + scale * mean, scale**2 * variance, entropy + jnp.log(scale)

    @compiled_method
    def _cauchy_moments(self):
        a, b = self._standard_bounds()
        mean, variance = moments.truncated_cauchy(a, b)
        loc, scale = self.base_dist.loc, self.base_dist.scale
        return loc + scale * mean, scale**2 * variance

    def _moment(self, index: int, what: str):
        if isinstance(self.base_dist, Normal):
            value = self._normal_moments()[index]
        elif index < 2 and isinstance(cauchy := tails.family("Cauchy"), type) and isinstance(
            self.base_dist, cauchy
        ):
            value = self._cauchy_moments()[index]
        else:
            bases = "a Normal or Cauchy base" if index < 2 else "a Normal base"
            raise NotImplementedError(
                f"{type(self).__name__}: {what} is available in closed form for {bases} only, "
                f"not for {type(self.base_dist).__name__}."
            )
        return jnp.broadcast_to(value, self.batch_shape)

    @property
    def mean(self):
        r"""The mean, shape ``batch_shape``: closed form for a Normal or Cauchy base
        (:math:`\pm\infty` for a Cauchy with an open end); ``NotImplementedError`` otherwise."""
        return self._moment(0, "mean")

    @property
    def variance(self):
        r"""The variance, shape ``batch_shape``: closed form for a Normal or Cauchy base
        (:math:`+\infty` for a Cauchy with an open end); ``NotImplementedError`` otherwise."""
        return self._moment(1, "variance")

    def entropy(self):
        """Differential entropy in nats, in closed form for a Normal base only.

        Returns:
            An array of shape ``batch_shape``.

        Raises:
            NotImplementedError: if ``base_dist`` is not a ``Normal``.
        """
        return self._moment(2, "entropy()")


class LeftTruncatedDistribution(_AbstractTruncated):
    r"""``base_dist`` restricted to :math:`x \ge \text{low}`:

    .. math::

        p(x) = \frac{p_{\text{base}}(x)}{1 - F(\text{low})}, \qquad x \ge \text{low},

    where :math:`p_{\text{base}}` and :math:`F` are the density and cdf of ``base_dist``.
    Tail masses are computed in log space, so a bound far in a tail still gives a finite
    log density. Draws are the inverse cdf of uniforms; mean and variance are in closed
    form for a Normal or Cauchy base and entropy for a Normal base.

    Args:
        base_dist: a univariate continuous distribution with ``cdf`` and ``icdf``.
        low: the lower bound (default 0), broadcasting with ``base_dist.batch_shape``; a
            bound below the base's support leaves that side as it is.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist`` is not a univariate continuous ``Distribution`` with
            ``cdf`` and ``icdf``, or ``low`` is not real.

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.LeftTruncatedDistribution(dist.Normal(0.0, 1.0), low=10.0)
        >>> round(float(d.log_prob(10.0)), 3)  # accurate ten standard deviations out
        2.312
    """

    base_dist: Distribution
    low: jax.Array | float

    arg_constraints = {"low": constraints.real}

    def __init__(self, base_dist: Distribution, low=0.0, *, validate_args=None):
        _check_base(type(self).__name__, base_dist)
        self.base_dist = base_dist
        self.low = as_float_array(low)
        batch_shape = jnp.broadcast_shapes(base_dist.batch_shape, jnp.shape(self.low))
        super().__init__(batch_shape, validate_args=validate_args)

    def _given_bounds(self):
        return self.low, None


class RightTruncatedDistribution(_AbstractTruncated):
    r"""``base_dist`` restricted to :math:`x \le \text{high}`:

    .. math::

        p(x) = \frac{p_{\text{base}}(x)}{F(\text{high})}, \qquad x \le \text{high},

    where :math:`p_{\text{base}}` and :math:`F` are the density and cdf of ``base_dist``.
    Tail masses are computed in log space, so a bound far in a tail still gives a finite
    log density. Draws are the inverse cdf of uniforms; mean and variance are in closed
    form for a Normal or Cauchy base and entropy for a Normal base.

    Args:
        base_dist: a univariate continuous distribution with ``cdf`` and ``icdf``.
        high: the upper bound (default 0), broadcasting with ``base_dist.batch_shape``; a
            bound above the base's support leaves that side as it is.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist`` is not a univariate continuous ``Distribution`` with
            ``cdf`` and ``icdf``, or ``high`` is not real.

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.RightTruncatedDistribution(dist.Normal(0.0, 1.0), high=0.0)
        >>> round(float(d.cdf(0.0)), 4)
        1.0
    """

    base_dist: Distribution
    high: jax.Array | float

    arg_constraints = {"high": constraints.real}

    def __init__(self, base_dist: Distribution, high=0.0, *, validate_args=None):
        _check_base(type(self).__name__, base_dist)
        self.base_dist = base_dist
        self.high = as_float_array(high)
        batch_shape = jnp.broadcast_shapes(base_dist.batch_shape, jnp.shape(self.high))
        super().__init__(batch_shape, validate_args=validate_args)

    def _given_bounds(self):
        return None, self.high


class TwoSidedTruncatedDistribution(_AbstractTruncated):
    r"""``base_dist`` restricted to :math:`\text{low} \le x \le \text{high}`:

    .. math::

        p(x) = \frac{p_{\text{base}}(x)}{F(\text{high}) - F(\text{low})},
        \qquad \text{low} \le x \le \text{high},

    where :math:`p_{\text{base}}` and :math:`F` are the density and cdf of ``base_dist``.
    Tail masses are computed in log space, so a bound far in a tail still gives a finite
    log density. Draws are the inverse cdf of uniforms; mean and variance are in closed
    form for a Normal or Cauchy base and entropy for a Normal base.

    Args:
        base_dist: a univariate continuous distribution with ``cdf`` and ``icdf``.
        low: the lower bound (default 0), broadcasting with ``base_dist.batch_shape``.
        high: the upper bound (default 1), greater than ``low``, broadcasting with
            ``low`` and ``base_dist.batch_shape``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist`` is not a univariate continuous ``Distribution`` with
            ``cdf`` and ``icdf``, if a bound is not real, or if concrete bounds do not
            satisfy ``high > low``.

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.TwoSidedTruncatedDistribution(dist.Normal(0.0, 1.0), low=-1.0, high=1.0)
        >>> round(float(d.variance), 4)  # 1 - 2 phi(1) / (Phi(1) - Phi(-1))
        0.2911
    """

    base_dist: Distribution
    low: jax.Array | float
    high: jax.Array | float

    arg_constraints = {"low": constraints.real, "high": constraints.real}

    def __init__(self, base_dist: Distribution, low=0.0, high=1.0, *, validate_args=None):
        _check_base(type(self).__name__, base_dist)
        self.base_dist = base_dist
        self.low, self.high = promote_shapes(as_float_array(low), as_float_array(high))
        batch_shape = jnp.broadcast_shapes(base_dist.batch_shape, batch_shape_of(self.low, self.high))
        super().__init__(batch_shape, validate_args=validate_args)
        if validate_args is not False and not is_traced(self.low, self.high):
            with jax.ensure_compile_time_eval():
                ok = jnp.all(jnp.asarray(self.high) > jnp.asarray(self.low))
            if not bool(ok):
                raise ValueError(
                    f"{type(self).__name__}: parameter 'high' must be greater than 'low'; got "
                    f"low={self.low!r}, high={self.high!r}."
                )

    def _given_bounds(self):
        return self.low, self.high


def TruncatedDistribution(base_dist: Distribution, low=None, high=None, *, validate_args=None):
    r"""Truncate ``base_dist`` to ``[low, high]``; ``None`` leaves that side open.

    .. math::

        p(x) = \frac{p_{\text{base}}(x)}{F(\text{high}) - F(\text{low})},
        \qquad \text{low} \le x \le \text{high},

    with :math:`F(\text{low}) = 0` for an open lower end and :math:`F(\text{high}) = 1`
    for an open upper end.

    Args:
        base_dist: a univariate continuous distribution with ``cdf`` and ``icdf``.
        low: the lower bound, or ``None`` (the default) for no lower truncation.
        high: the upper bound, or ``None`` (the default) for no upper truncation.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``LeftTruncatedDistribution`` (only ``low``), ``RightTruncatedDistribution``
        (only ``high``) or ``TwoSidedTruncatedDistribution`` (both), with batch shape the
        broadcast of the bounds and ``base_dist.batch_shape``; ``base_dist`` itself when
        both bounds are ``None``.

    Raises:
        ValueError: if ``base_dist`` is not a univariate continuous ``Distribution`` with
            ``cdf`` and ``icdf``, or concrete bounds do not satisfy ``high > low``.

    Example:
        >>> import bayesmodels.distributions as dist
        >>> type(dist.TruncatedDistribution(dist.Normal(), low=0.0)).__name__
        'LeftTruncatedDistribution'
    """
    if low is None and high is None:
        return base_dist
    if high is None:
        return LeftTruncatedDistribution(base_dist, low, validate_args=validate_args)
    if low is None:
        return RightTruncatedDistribution(base_dist, high, validate_args=validate_args)
    return TwoSidedTruncatedDistribution(base_dist, low, high, validate_args=validate_args)


def _build(name, base, low, high, validate_args):
    try:
        return TruncatedDistribution(base(), low, high, validate_args=validate_args)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def TruncatedNormal(loc=0.0, scale=1.0, *, low=None, high=None, validate_args=None):
    r"""A Normal truncated to ``[low, high]`` (either may be ``None``):

    .. math::

        p(x) = \frac{\varphi\bigl((x - \mu)/\sigma\bigr)}
            {\sigma\,\bigl(\Phi(\beta) - \Phi(\alpha)\bigr)},
        \qquad \alpha = \frac{\text{low} - \mu}{\sigma},\ \beta = \frac{\text{high} - \mu}{\sigma}.

    Here :math:`\varphi` and :math:`\Phi` are the standard normal density and cdf, and an
    open end has :math:`\alpha = -\infty` or :math:`\beta = +\infty`. Mean, variance and
    entropy are in closed form.

    Args:
        loc: the mean :math:`\mu` of the Normal before truncation (default 0).
        scale: the standard deviation :math:`\sigma > 0` of the Normal before truncation
            (default 1).
        low: the lower bound, or ``None`` (the default) for no lower truncation.
        high: the upper bound, or ``None`` (the default) for no upper truncation.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``LeftTruncatedDistribution``, ``RightTruncatedDistribution`` or
        ``TwoSidedTruncatedDistribution`` of a ``Normal`` (a plain ``Normal`` when both
        bounds are ``None``).

    Raises:
        ValueError: if ``scale`` is not positive or concrete bounds do not satisfy
            ``high > low``.

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.TruncatedNormal(0.0, 1.0, low=0.0)
        >>> round(float(d.mean), 4)  # sqrt(2 / pi)
        0.7979
    """
    return _build("TruncatedNormal", lambda: Normal(loc, scale, validate_args=validate_args),
                  low, high, validate_args)


def TruncatedCauchy(loc=0.0, scale=1.0, *, low=None, high=None, validate_args=None):
    r"""A Cauchy truncated to ``[low, high]`` (either may be ``None``):

    .. math::

        p(x) = \frac{1}{\pi\sigma Z\,(1 + ((x - \mu)/\sigma)^2)},
        \qquad Z = \frac{\arctan\beta - \arctan\alpha}{\pi}.

    Here :math:`\alpha = (\text{low} - \mu)/\sigma` and
    :math:`\beta = (\text{high} - \mu)/\sigma`, with :math:`\arctan\alpha = -\pi/2` or
    :math:`\arctan\beta = \pi/2` at an open end. The mean and variance are finite when
    both ends are bounded; with one open end they are infinite.

    Args:
        loc: the location :math:`\mu` of the Cauchy before truncation (default 0).
        scale: the scale :math:`\sigma > 0` of the Cauchy before truncation (default 1).
        low: the lower bound, or ``None`` (the default) for no lower truncation.
        high: the upper bound, or ``None`` (the default) for no upper truncation.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``LeftTruncatedDistribution``, ``RightTruncatedDistribution`` or
        ``TwoSidedTruncatedDistribution`` of a ``Cauchy`` (a plain ``Cauchy`` when both
        bounds are ``None``).

    Raises:
        ValueError: if ``scale`` is not positive or concrete bounds do not satisfy
            ``high > low``.

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.TruncatedCauchy(0.0, 1.0, low=-1.0, high=1.0)
        >>> round(float(d.variance), 4)  # 4 / pi - 1
        0.2732
    """
    cauchy = tails.family("Cauchy")
    if not isinstance(cauchy, type):
        raise NotImplementedError("TruncatedCauchy needs the Cauchy family, which is not available.")
    return _build("TruncatedCauchy", lambda: cauchy(loc, scale, validate_args=validate_args),
                  low, high, validate_args)
