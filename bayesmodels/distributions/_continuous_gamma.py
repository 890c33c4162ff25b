r"""The gamma family on the positive reals: Gamma, Chi2 and InverseGamma.

All three rest on the regularised incomplete gamma function :math:`P(a, x)`
(``gammainc``): it is the cdf, and its inverse (``_gamma_quantile``) gives the quantile
function and a sampler by inversion whose draws are differentiable in the shape.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import digamma, gammainc, gammaincc, gammaln, xlogy

from . import _constraints as constraints
from ._distribution import Distribution
from ._gamma_quantile import standard_gamma_log_icdf, standard_gamma_log_sample
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["Chi2", "Gamma", "InverseGamma"]


def _gamma_log_prob(a, rate, value):
    return xlogy(a - 1, value) - rate * value + a * jnp.log(rate) - gammaln(a)


def _gamma_entropy(a, rate):
    return a - jnp.log(rate) + gammaln(a) + (1 - a) * digamma(a)


def _gamma_icdf(a, rate, q):
    return jnp.exp(standard_gamma_log_icdf(a, jnp.log(q), jnp.log1p(-q))) / rate


class Gamma(Distribution):
    r"""Gamma distribution with shape ``concentration`` :math:`\alpha` and ``rate``
    :math:`\beta` (mean :math:`\alpha / \beta`):

    .. math::

        p(x \mid \alpha, \beta) = \frac{\beta^\alpha}{\Gamma(\alpha)}\,
            x^{\alpha - 1} e^{-\beta x}, \qquad x > 0.

    Draws are made by inverting the cdf, so ``rsample`` is differentiable in both
    parameters.

    Args:
        concentration: the shape :math:`\alpha`, positive; a float or an array.
        rate: the rate :math:`\beta` (inverse scale), positive; broadcasts with
            ``concentration`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Gamma(concentration=2.0, rate=4.0)
        >>> float(d.mean), d.rsample(jax.random.PRNGKey(0), (3,)).shape
        (0.5, (3,))
    """

    concentration: jax.Array | float
    rate: jax.Array | float

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate=1.0, *, validate_args=None):
        self.concentration, self.rate = promote_shapes(
            as_float_array(concentration), as_float_array(rate)
        )
        super().__init__(batch_shape_of(self.concentration, self.rate), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        log_x = standard_gamma_log_sample(key, self.concentration, self.shape(sample_shape))
        return jnp.exp(log_x) / self.rate

    def _log_prob(self, value):
        return _gamma_log_prob(self.concentration, self.rate, value)

    def cdf(self, value):
        return gammainc(self.concentration, self.rate * jnp.maximum(value, 0.0))

    def icdf(self, q):
        return _gamma_icdf(self.concentration, self.rate, q)

    @property
    def mean(self):
        return jnp.broadcast_to(self.concentration / self.rate, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(self.concentration / jnp.square(self.rate), self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(_gamma_entropy(self.concentration, self.rate), self.batch_shape)


class Chi2(Distribution):
    r"""Chi-squared distribution with ``df`` degrees of freedom, a
    :math:`\mathrm{Gamma}(\nu/2, 1/2)`:

    .. math::

        p(x \mid \nu) = \frac{x^{\nu/2 - 1} e^{-x/2}}{2^{\nu/2}\,\Gamma(\nu/2)},
            \qquad x > 0.

    ``concentration`` and ``rate`` read back the equivalent gamma parameters.

    Args:
        df: the degrees of freedom :math:`\nu`, positive (need not be an integer); a
            float or an array whose shape is ``batch_shape``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Chi2(df=3.0)
        >>> float(d.mean), float(d.variance), d.rate
        (3.0, 6.0, 0.5)
    """

    df: jax.Array | float

    arg_constraints = {"df": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df, *, validate_args=None):
        self.df = as_float_array(df)
        super().__init__(jnp.shape(self.df), validate_args=validate_args)

    @property
    def concentration(self):
        """The equivalent gamma shape, ``df / 2``."""
        return 0.5 * self.df

    @property
    def rate(self):
        """The equivalent gamma rate, always ``0.5`` (a Python float)."""
        return 0.5

    def sample(self, key, sample_shape=()):
        log_x = standard_gamma_log_sample(key, self.concentration, self.shape(sample_shape))
        return 2.0 * jnp.exp(log_x)

    def _log_prob(self, value):
        return _gamma_log_prob(self.concentration, self.rate, value)

    def cdf(self, value):
        return gammainc(self.concentration, 0.5 * jnp.maximum(value, 0.0))

    def icdf(self, q):
        return _gamma_icdf(self.concentration, self.rate, q)

    @property
    def mean(self):
        return jnp.broadcast_to(self.df, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(2.0 * self.df, self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(_gamma_entropy(self.concentration, self.rate), self.batch_shape)


class InverseGamma(Distribution):
    r"""The distribution of :math:`1/Y` for :math:`Y \sim \mathrm{Gamma}(\alpha, \beta)`.

    As in NumPyro (and Pyro) the second parameter is called ``rate`` although it acts as
    the scale :math:`\beta` of the inverse gamma:

    .. math::

        p(x \mid \alpha, \beta) = \frac{\beta^\alpha}{\Gamma(\alpha)}\,
            x^{-\alpha - 1} e^{-\beta / x}, \qquad x > 0.

    The mean is infinite for :math:`\alpha \le 1`, the variance for :math:`\alpha \le 2`.

    Args:
        concentration: the shape :math:`\alpha`, positive; a float or an array.
        rate: the scale :math:`\beta` (see above), positive; broadcasts with
            ``concentration`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.InverseGamma(concentration=3.0, rate=4.0)
        >>> float(d.mean), float(d.variance)
        (2.0, 4.0)
    """

    concentration: jax.Array | float
    rate: jax.Array | float

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate=1.0, *, validate_args=None):
        self.concentration, self.rate = promote_shapes(
            as_float_array(concentration), as_float_array(rate)
        )
        super().__init__(batch_shape_of(self.concentration, self.rate), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        log_y = standard_gamma_log_sample(key, self.concentration, self.shape(sample_shape))
        return self.rate * jnp.exp(-log_y)

    def _log_prob(self, value):
        a = self.concentration
        return a * jnp.log(self.rate) - gammaln(a) - (a + 1) * jnp.log(value) - self.rate / value

    def cdf(self, value):
        # P(X <= x) = P(Y >= rate / x); x <= 0 gives rate / x = inf (or -inf), Q = 0
        return gammaincc(self.concentration, self.rate / jnp.maximum(value, 0.0))

    def icdf(self, q):
        # the q-quantile of X is rate over the (1 - q)-quantile of Y: solve in Y's upper tail
        log_y = standard_gamma_log_icdf(self.concentration, jnp.log1p(-q), jnp.log(q))
        return self.rate * jnp.exp(-log_y)

    @property
    def mean(self):
        a = self.concentration
        finite = self.rate / jnp.where(a > 1, a - 1, 1.0)
        return jnp.broadcast_to(jnp.where(a > 1, finite, jnp.inf), self.batch_shape)

    @property
    def variance(self):
        a = self.concentration
        safe = jnp.where(a > 2, a, 3.0)
        finite = jnp.square(self.rate / (safe - 1)) / (safe - 2)
        return jnp.broadcast_to(jnp.where(a > 2, finite, jnp.inf), self.batch_shape)

    def entropy(self):
        a = self.concentration
        value = a + jnp.log(self.rate) + gammaln(a) - (1 + a) * digamma(a)
        return jnp.broadcast_to(value, self.batch_shape)
