r"""Lifetime (survival) families on the positive reals or a half-line: Exponential,
Weibull, Gompertz and Pareto.

Each has a closed-form cdf and quantile and is sampled by transforming an exponential
draw, so ``rsample`` is differentiable in all parameters. The cdf is 0 below the support.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import exp1, gammaln

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["Exponential", "Gompertz", "Pareto", "Weibull"]

_EULER = 0.5772156649015329


def _full(value, shape):
    return jnp.broadcast_to(value, shape)


class Exponential(Distribution):
    r"""Exponential distribution with rate :math:`\lambda` (mean :math:`1/\lambda`):

    .. math::

        p(x \mid \lambda) = \lambda e^{-\lambda x}, \qquad x > 0.

    Args:
        rate: the rate :math:`\lambda`, positive; a float or an array whose shape is
            ``batch_shape`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Exponential(rate=2.0)
        >>> float(d.mean), d.sample(jax.random.PRNGKey(0), (5,)).shape
        (0.5, (5,))
    """

    rate: jax.Array | float

    arg_constraints = {"rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, rate=1.0, *, validate_args=None):
        self.rate = as_float_array(rate)
        super().__init__(jnp.shape(self.rate), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return jax.random.exponential(key, self.shape(sample_shape)) / self.rate

    def _log_prob(self, value):
        return jnp.log(self.rate) - self.rate * value

    def cdf(self, value):
        return -jnp.expm1(-self.rate * jnp.maximum(value, 0.0))

    def icdf(self, q):
        return -jnp.log1p(-q) / self.rate

    @property
    def mean(self):
        return _full(1.0 / self.rate, self.batch_shape)

    @property
    def variance(self):
        return _full(1.0 / jnp.square(self.rate), self.batch_shape)

    def entropy(self):
        return _full(1.0 - jnp.log(self.rate), self.batch_shape)


class Weibull(Distribution):
    r"""Weibull distribution with scale :math:`\lambda` and shape (``concentration``) :math:`k`:

    .. math::

        p(x \mid \lambda, k) = \frac{k}{\lambda}\Bigl(\frac{x}{\lambda}\Bigr)^{k-1}
            e^{-(x/\lambda)^k}, \qquad x > 0.

    Args:
        scale: the scale :math:`\lambda`, positive; a float or an array.
        concentration: the shape :math:`k`, positive; broadcasts with ``scale``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Weibull(scale=2.0, concentration=1.0)  # an exponential with mean 2
        >>> float(d.mean)
        2.0
    """

    scale: jax.Array | float
    concentration: jax.Array | float

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale, concentration, *, validate_args=None):
        self.scale, self.concentration = promote_shapes(
            as_float_array(scale), as_float_array(concentration)
        )
        batch_shape = batch_shape_of(self.scale, self.concentration)
        super().__init__(batch_shape, validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        e = jax.random.exponential(key, self.shape(sample_shape))
        return self.scale * e ** (1.0 / self.concentration)

    def _log_prob(self, value):
        k = self.concentration
        log_z = jnp.log(value) - jnp.log(self.scale)
        return jnp.log(k) - jnp.log(self.scale) + (k - 1) * log_z - jnp.exp(k * log_z)

    def cdf(self, value):
        return -jnp.expm1(-((jnp.maximum(value, 0.0) / self.scale) ** self.concentration))

    def icdf(self, q):
        return self.scale * (-jnp.log1p(-q)) ** (1.0 / self.concentration)

    @property
    def mean(self):
        return _full(self.scale * jnp.exp(gammaln(1 + 1 / self.concentration)), self.batch_shape)

    @property
    def variance(self):
        k = self.concentration
        second = jnp.exp(gammaln(1 + 2 / k))
        first = jnp.exp(gammaln(1 + 1 / k))
        return _full(jnp.square(self.scale) * (second - first**2), self.batch_shape)

    def entropy(self):
        k = self.concentration
        return _full(_EULER * (1 - 1 / k) + jnp.log(self.scale / k) + 1, self.batch_shape)


class Pareto(Distribution):
    r"""Pareto (type I) distribution with minimum ``scale`` :math:`\sigma` and tail index
    ``alpha`` :math:`\alpha`:

    .. math::

        p(x \mid \sigma, \alpha) = \frac{\alpha\,\sigma^\alpha}{x^{\alpha + 1}},
            \qquad x > \sigma.

    The mean is infinite for :math:`\alpha \le 1`, the variance for :math:`\alpha \le 2`.

    Args:
        scale: the minimum :math:`\sigma` of the support, positive; a float or an
            array.
        alpha: the tail index :math:`\alpha`, positive; broadcasts with ``scale``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Pareto(scale=1.0, alpha=3.0)
        >>> float(d.mean), str(d.support)
        (1.5, 'greater than 1')
    """

    scale: jax.Array | float
    alpha: jax.Array | float

    arg_constraints = {"scale": constraints.positive, "alpha": constraints.positive}
    has_rsample = True

    def __init__(self, scale, alpha, *, validate_args=None):
        self.scale, self.alpha = promote_shapes(as_float_array(scale), as_float_array(alpha))
        super().__init__(batch_shape_of(self.scale, self.alpha), validate_args=validate_args)

    @property
    def support(self):
        """The half-line above ``scale``, ``constraints.greater_than(scale)``."""
        return constraints.greater_than(self.scale)

    def sample(self, key, sample_shape=()):
        e = jax.random.exponential(key, self.shape(sample_shape))
        return self.scale * jnp.exp(e / self.alpha)

    def _log_prob(self, value):
        a = self.alpha
        return jnp.log(a) + a * jnp.log(self.scale) - (a + 1) * jnp.log(value)

    def cdf(self, value):
        value = jnp.maximum(value, self.scale)
        return -jnp.expm1(self.alpha * (jnp.log(self.scale) - jnp.log(value)))

    def icdf(self, q):
        return self.scale * jnp.exp(-jnp.log1p(-q) / self.alpha)

    @property
    def mean(self):
        a = self.alpha
        finite = a * self.scale / jnp.where(a > 1, a - 1, 1.0)
        return _full(jnp.where(a > 1, finite, jnp.inf), self.batch_shape)

    @property
    def variance(self):
        a = self.alpha
        safe = jnp.where(a > 2, a, 3.0)
        finite = jnp.square(self.scale) * safe / (jnp.square(safe - 1) * (safe - 2))
        return _full(jnp.where(a > 2, finite, jnp.inf), self.batch_shape)

    def entropy(self):
        a = self.alpha
        return _full(jnp.log(self.scale / a) + 1 / a + 1, self.batch_shape)


def _exp_times_e1(c):
    r""":math:`e^{c} E_1(c)` for :math:`c > 0`, without overflow for large :math:`c`."""
    large = c > 50.0
    direct = jnp.exp(jnp.where(large, 1.0, c)) * exp1(jnp.where(large, 1.0, c))
    # asymptotic series sum_k (-1)^k k! / c^(k+1); at c >= 50 twenty terms reach float64
    inv = 1.0 / jnp.where(large, c, 50.0)
    total, term = jnp.zeros_like(inv), inv
    for k in range(20):
        total = total + term
        term = -term * (k + 1) * inv
    return jnp.where(large, total, direct)


class Gompertz(Distribution):
    r"""Gompertz distribution with shape ``concentration`` :math:`\eta` and ``rate``
    :math:`b` (NumPyro's and Wikipedia's parametrisation; scipy's ``gompertz(c=eta,
    scale=1/b)``):

    .. math::

        p(x \mid \eta, b) = \eta\, b\, e^{b x} \exp\!\bigl(-\eta\,(e^{b x} - 1)\bigr),
            \qquad F(x) = 1 - \exp\!\bigl(-\eta\,(e^{b x} - 1)\bigr), \qquad x > 0.

    The mean is :math:`e^{\eta} E_1(\eta) / b`; the variance has no elementary closed form
    and is not implemented.

    Args:
        concentration: the shape :math:`\eta`, positive; a float or an array.
        rate: the rate :math:`b`, positive; broadcasts with ``concentration`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Gompertz(concentration=2.0, rate=0.5)
        >>> d.concentration, d.rate
        (2.0, 0.5)
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
        e = jax.random.exponential(key, self.shape(sample_shape))
        return jnp.log1p(e / self.concentration) / self.rate

    def _log_prob(self, value):
        bx = self.rate * value
        c = self.concentration
        return jnp.log(c) + jnp.log(self.rate) + bx - c * jnp.expm1(bx)

    def cdf(self, value):
        bx = self.rate * jnp.maximum(value, 0.0)
        return -jnp.expm1(-self.concentration * jnp.expm1(bx))

    def icdf(self, q):
        return jnp.log1p(-jnp.log1p(-q) / self.concentration) / self.rate

    @property
    def mean(self):
        return _full(_exp_times_e1(self.concentration) / self.rate, self.batch_shape)

    def entropy(self):
        c = self.concentration
        return _full(1 - jnp.log(c) - jnp.log(self.rate) - _exp_times_e1(c), self.batch_shape)
