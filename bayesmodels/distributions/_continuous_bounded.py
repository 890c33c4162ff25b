r"""Continuous families on a bounded interval: Beta (two parametrisations), Kumaraswamy,
Uniform and LogUniform.

Beta draws are ratios of gamma draws made by inversion (``_gamma_quantile``), so
``rsample`` is differentiable in the concentrations. JAX has no inverse of the
regularised incomplete beta function, so ``Beta.icdf`` and ``BetaProportion.icdf`` are
not implemented.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.special import betainc, betaln, digamma, expit, xlog1py, xlogy

from . import _constraints as constraints
from ._distribution import Distribution
from ._gamma_quantile import standard_gamma_log_sample
from ._util import as_float_array, batch_shape_of, log1mexp, promote_shapes

__all__ = ["Beta", "BetaProportion", "Kumaraswamy", "LogUniform", "Uniform"]

_EULER = 0.5772156649015329


class Beta(Distribution):
    r"""Beta distribution on :math:`[0, 1]` with ``concentration1`` :math:`\alpha` (the
    weight of 1) and ``concentration0`` :math:`\beta` (the weight of 0):

    .. math::

        p(x \mid \alpha, \beta) = \frac{x^{\alpha - 1}(1 - x)^{\beta - 1}}{B(\alpha, \beta)},
            \qquad 0 \le x \le 1.

    Args:
        concentration1: :math:`\alpha`, the weight of 1, positive; a float or an array.
        concentration0: :math:`\beta`, the weight of 0, positive; broadcasts with
            ``concentration1``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Beta(concentration1=2.0, concentration0=6.0)
        >>> float(d.mean), d.rsample(jax.random.PRNGKey(0), (4,)).shape
        (0.25, (4,))
    """

    concentration1: jax.Array | float
    concentration0: jax.Array | float

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, *, validate_args=None):
        self.concentration1, self.concentration0 = promote_shapes(
            as_float_array(concentration1), as_float_array(concentration0)
        )
        batch_shape = batch_shape_of(self.concentration1, self.concentration0)
        super().__init__(batch_shape, validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        # X = G1 / (G1 + G0) = sigmoid(log G1 - log G0), in log space so that small
        # concentrations (whose gamma draws underflow) still give a proper ratio
        key1, key0 = jax.random.split(key)
        shape = self.shape(sample_shape)
        log_g1 = standard_gamma_log_sample(key1, self.concentration1, shape)
        log_g0 = standard_gamma_log_sample(key0, self.concentration0, shape)
        return expit(log_g1 - log_g0)

    def _log_prob(self, value):
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlog1py(b - 1, -value) - betaln(a, b)

    def cdf(self, value):
        return betainc(self.concentration1, self.concentration0, jnp.clip(value, 0.0, 1.0))

    @property
    def mean(self):
        a, b = self.concentration1, self.concentration0
        return jnp.broadcast_to(a / (a + b), self.batch_shape)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return jnp.broadcast_to(a * b / (jnp.square(total) * (total + 1)), self.batch_shape)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        value = (betaln(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b)
                 + (total - 2) * digamma(total))
        return jnp.broadcast_to(value, self.batch_shape)


class BetaProportion(Distribution):
    r"""Beta distribution with a given ``mean`` :math:`\mu` and ``concentration``
    (precision) :math:`\kappa`, i.e. :math:`\mathrm{Beta}(\mu\kappa, (1 - \mu)\kappa)`:

    .. math::

        p(x \mid \mu, \kappa) = \frac{x^{\mu\kappa - 1}(1 - x)^{(1 - \mu)\kappa - 1}}
            {B(\mu\kappa, (1 - \mu)\kappa)}, \qquad 0 \le x \le 1,

    with variance :math:`\mu(1 - \mu)/(1 + \kappa)`. The parameter ``mean`` is stored
    broadcast to ``batch_shape`` (it is also the distribution's ``mean`` property).

    Args:
        mean: the mean :math:`\mu`, in the open interval :math:`(0, 1)`; a float or an
            array.
        concentration: the precision :math:`\kappa`, positive; broadcasts with ``mean``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.BetaProportion(mean=0.25, concentration=8.0)
        >>> float(d.mean), float(d.concentration1), float(d.concentration0)
        (0.25, 2.0, 6.0)
    """

    # ``mean`` is both a parameter and the base class's ``mean`` property. Declaring the
    # field with a (never used) default puts a plain class attribute in front of the
    # inherited property, so the field can be assigned; ``__init__`` always sets it.
    mean: jax.Array = eqx.field(default=None)
    concentration: jax.Array | float = eqx.field(default=None)

    arg_constraints = {
        "mean": constraints.open_interval(0.0, 1.0),
        "concentration": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, mean, concentration, *, validate_args=None):
        mean, self.concentration = promote_shapes(
            as_float_array(mean), as_float_array(concentration)
        )
        batch_shape = batch_shape_of(mean, self.concentration)
        self.mean = jnp.broadcast_to(mean, batch_shape)
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def concentration1(self):
        """The equivalent Beta ``concentration1``, ``mean * concentration``."""
        return self.mean * self.concentration

    @property
    def concentration0(self):
        """The equivalent Beta ``concentration0``, ``(1 - mean) * concentration``."""
        return (1 - self.mean) * self.concentration

    def _beta(self) -> Beta:
        return Beta(self.concentration1, self.concentration0, validate_args=False)

    def sample(self, key, sample_shape=()):
        return self._beta().sample(key, sample_shape)

    def _log_prob(self, value):
        return self._beta()._log_prob(value)

    def cdf(self, value):
        return self._beta().cdf(value)

    @property
    def variance(self):
        return self.mean * (1 - self.mean) / (1 + self.concentration)

    def entropy(self):
        return self._beta().entropy()


class Kumaraswamy(Distribution):
    r"""Kumaraswamy distribution on :math:`[0, 1]`, a Beta look-alike with a closed-form
    cdf, with ``concentration1`` :math:`a` and ``concentration0`` :math:`b`:

    .. math::

        p(x \mid a, b) = a b\, x^{a - 1} (1 - x^a)^{b - 1}, \qquad
        F(x) = 1 - (1 - x^a)^b, \qquad 0 \le x \le 1.

    Args:
        concentration1: the first shape :math:`a`, positive; a float or an array.
        concentration0: the second shape :math:`b`, positive; broadcasts with
            ``concentration1``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Kumaraswamy(concentration1=1.0, concentration0=1.0)  # uniform
        >>> round(float(d.cdf(0.3)), 4), round(float(d.mean), 4)
        (0.3, 0.5)
    """

    concentration1: jax.Array | float
    concentration0: jax.Array | float

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, *, validate_args=None):
        self.concentration1, self.concentration0 = promote_shapes(
            as_float_array(concentration1), as_float_array(concentration0)
        )
        batch_shape = batch_shape_of(self.concentration1, self.concentration0)
        super().__init__(batch_shape, validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return self.icdf(jax.random.uniform(key, self.shape(sample_shape)))

    def _log_prob(self, value):
        a, b = self.concentration1, self.concentration0
        one_minus_x_a = -jnp.expm1(a * jnp.log(value))  # 1 - x^a without cancellation
        return jnp.log(a) + jnp.log(b) + xlogy(a - 1, value) + xlogy(b - 1, one_minus_x_a)

    def cdf(self, value):
        a, b = self.concentration1, self.concentration0
        log1m_x_a = log1mexp(a * jnp.log(jnp.clip(value, 0.0, 1.0)))  # log(1 - x^a)
        return -jnp.expm1(b * log1m_x_a)

    def icdf(self, q):
        a, b = self.concentration1, self.concentration0
        return jnp.exp(log1mexp(jnp.log1p(-q) / b) / a)

    def _raw_moment(self, n):
        a, b = self.concentration1, self.concentration0
        return b * jnp.exp(betaln(1 + n / a, b))

    @property
    def mean(self):
        return jnp.broadcast_to(self._raw_moment(1), self.batch_shape)

    @property
    def variance(self):
        value = self._raw_moment(2) - jnp.square(self._raw_moment(1))
        return jnp.broadcast_to(value, self.batch_shape)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = digamma(b + 1) + _EULER
        value = (1 - 1 / b) + (1 - 1 / a) * harmonic_b - jnp.log(a) - jnp.log(b)
        return jnp.broadcast_to(value, self.batch_shape)


class Uniform(Distribution):
    r"""Uniform distribution on :math:`[\mathrm{low}, \mathrm{high}]`:

    .. math::

        p(x \mid l, h) = \frac{1}{h - l}, \qquad l \le x \le h.

    ``high`` must exceed ``low``.

    Args:
        low: the lower end :math:`l`, any real; a float or an array (default 0).
        high: the upper end :math:`h`, greater than ``low``; broadcasts with ``low``
            (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Uniform(low=-1.0, high=3.0)
        >>> float(d.mean), float(d.variance), str(d.support)
        (1.0, 1.3333333730697632, 'in the interval [-1, 3]')
    """

    low: jax.Array | float
    high: jax.Array | float

    has_rsample = True

    def __init__(self, low=0.0, high=1.0, *, validate_args=None):
        self.low, self.high = promote_shapes(as_float_array(low), as_float_array(high))
        super().__init__(batch_shape_of(self.low, self.high), validate_args=validate_args)

    @property
    def arg_constraints(self):
        """``low`` real and ``high`` greater than ``low``."""
        return {"low": constraints.real, "high": constraints.greater_than(self.low)}

    @property
    def support(self):
        """The closed interval from ``low`` to ``high``, ``constraints.interval(low, high)``."""
        return constraints.interval(self.low, self.high)

    def sample(self, key, sample_shape=()):
        u = jax.random.uniform(key, self.shape(sample_shape))
        return jnp.clip(self.low + (self.high - self.low) * u, self.low, self.high)

    def _log_prob(self, value):
        return jnp.zeros_like(value) - jnp.log(self.high - self.low)

    def cdf(self, value):
        return jnp.clip((value - self.low) / (self.high - self.low), 0.0, 1.0)

    def icdf(self, q):
        return self.low + (self.high - self.low) * q

    @property
    def mean(self):
        return jnp.broadcast_to(0.5 * (self.low + self.high), self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(jnp.square(self.high - self.low) / 12, self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(jnp.log(self.high - self.low), self.batch_shape)


class LogUniform(Distribution):
    r"""Log-uniform (reciprocal) distribution on :math:`[\mathrm{low}, \mathrm{high}]`,
    :math:`0 < l < h`: :math:`\log X` is uniform on :math:`[\log l, \log h]`.

    .. math::

        p(x \mid l, h) = \frac{1}{x\,(\log h - \log l)}, \qquad l \le x \le h.

    Args:
        low: the lower end :math:`l`, positive; a float or an array.
        high: the upper end :math:`h`, greater than ``low``; broadcasts with ``low``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.LogUniform(low=1.0, high=100.0)
        >>> round(float(d.icdf(0.5)), 4)
        10.0
    """

    low: jax.Array | float
    high: jax.Array | float

    has_rsample = True

    def __init__(self, low, high, *, validate_args=None):
        self.low, self.high = promote_shapes(as_float_array(low), as_float_array(high))
        super().__init__(batch_shape_of(self.low, self.high), validate_args=validate_args)

    @property
    def arg_constraints(self):
        """``low`` positive and ``high`` greater than ``low``."""
        return {"low": constraints.positive, "high": constraints.greater_than(self.low)}

    @property
    def support(self):
        """The closed interval from ``low`` to ``high``, ``constraints.interval(low, high)``."""
        return constraints.interval(self.low, self.high)

    def _log_width(self):
        return jnp.log(self.high) - jnp.log(self.low)

    def sample(self, key, sample_shape=()):
        u = jax.random.uniform(key, self.shape(sample_shape))
        return jnp.clip(self.icdf(u), self.low, self.high)

    def _log_prob(self, value):
        return -jnp.log(value) - jnp.log(self._log_width())

    def cdf(self, value):
        value = jnp.clip(value, self.low, self.high)
        return (jnp.log(value) - jnp.log(self.low)) / self._log_width()

    def icdf(self, q):
        return jnp.exp(jnp.log(self.low) + q * self._log_width())

    @property
    def mean(self):
        return jnp.broadcast_to((self.high - self.low) / self._log_width(), self.batch_shape)

    @property
    def variance(self):
        second = (jnp.square(self.high) - jnp.square(self.low)) / (2 * self._log_width())
        mean = (self.high - self.low) / self._log_width()
        return jnp.broadcast_to(second - jnp.square(mean), self.batch_shape)

    def entropy(self):
        log_low, log_high = jnp.log(self.low), jnp.log(self.high)
        value = 0.5 * (log_low + log_high) + jnp.log(self._log_width())
        return jnp.broadcast_to(value, self.batch_shape)
