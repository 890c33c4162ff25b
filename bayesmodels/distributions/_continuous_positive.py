r"""Continuous families on the positive reals (or a half-line) that are transforms of a
normal or Cauchy variable: LogNormal, HalfNormal, HalfCauchy and Levy.

Each is sampled by transforming a standard draw, so ``rsample`` is differentiable in all
parameters. The cdf is 0 below the support. Related modules: ``_continuous_lifetime.py``
(Exponential, Weibull, Gompertz, Pareto) and ``_continuous_gamma.py`` (Gamma, Chi2,
InverseGamma).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import erf, erfc, erfinv, ndtr, ndtri

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["HalfCauchy", "HalfNormal", "Levy", "LogNormal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_EULER = 0.5772156649015329


def _full(value, shape):
    return jnp.broadcast_to(value, shape)


class LogNormal(Distribution):
    r"""The distribution of :math:`e^{Z}` for :math:`Z \sim \mathrm{Normal}(\mu, \sigma)`:

    .. math::

        p(x \mid \mu, \sigma) = \frac{1}{x \sigma\sqrt{2\pi}}
            \exp\!\Bigl(-\frac{(\log x - \mu)^2}{2\sigma^2}\Bigr), \qquad x > 0.

    Args:
        loc: the mean :math:`\mu` of :math:`\log X`, any real; a float or an array
            (default 0).
        scale: the standard deviation :math:`\sigma` of :math:`\log X`, positive;
            broadcasts with ``loc`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.LogNormal(loc=0.0, scale=0.5)
        >>> d.loc, d.scale
        (0.0, 0.5)
        >>> float(d.icdf(0.5))
        1.0
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        eps = jax.random.normal(key, self.shape(sample_shape))
        return jnp.exp(self.loc + self.scale * eps)

    def _log_prob(self, value):
        log_value = jnp.log(value)
        z = (log_value - self.loc) / self.scale
        return -0.5 * z**2 - jnp.log(self.scale) - _HALF_LOG_2PI - log_value

    def cdf(self, value):
        return ndtr((jnp.log(jnp.maximum(value, 0.0)) - self.loc) / self.scale)

    def icdf(self, q):
        return jnp.exp(self.loc + self.scale * ndtri(q))

    @property
    def mean(self):
        return _full(jnp.exp(self.loc + 0.5 * jnp.square(self.scale)), self.batch_shape)

    @property
    def variance(self):
        s2 = jnp.square(self.scale)
        return _full(jnp.expm1(s2) * jnp.exp(2 * self.loc + s2), self.batch_shape)

    def entropy(self):
        return _full(self.loc + 0.5 + _HALF_LOG_2PI + jnp.log(self.scale), self.batch_shape)


class HalfNormal(Distribution):
    r"""The absolute value of a zero-mean normal variable with standard deviation ``scale``:

    .. math::

        p(x \mid \sigma) = \frac{\sqrt{2}}{\sigma\sqrt{\pi}}
            \exp\!\Bigl(-\frac{x^2}{2\sigma^2}\Bigr), \qquad x > 0.

    Args:
        scale: the standard deviation :math:`\sigma` of the underlying normal, positive;
            a float or an array whose shape is ``batch_shape`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> dist.HalfNormal(scale=2.0).scale
        2.0
    """

    scale: jax.Array | float

    arg_constraints = {"scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale=1.0, *, validate_args=None):
        self.scale = as_float_array(scale)
        super().__init__(jnp.shape(self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return self.scale * jnp.abs(jax.random.normal(key, self.shape(sample_shape)))

    def _log_prob(self, value):
        z = value / self.scale
        return 0.5 * math.log(2 / math.pi) - jnp.log(self.scale) - 0.5 * z**2

    def cdf(self, value):
        return erf(jnp.maximum(value, 0.0) / (self.scale * math.sqrt(2)))

    def icdf(self, q):
        return self.scale * math.sqrt(2) * erfinv(q)

    @property
    def mean(self):
        return _full(math.sqrt(2 / math.pi) * self.scale, self.batch_shape)

    @property
    def variance(self):
        return _full((1 - 2 / math.pi) * jnp.square(self.scale), self.batch_shape)

    def entropy(self):
        return _full(0.5 * math.log(math.pi / 2) + 0.5 + jnp.log(self.scale), self.batch_shape)


class HalfCauchy(Distribution):
    r"""The absolute value of a zero-centred Cauchy variable with scale ``scale``:

    .. math::

        p(x \mid \sigma) = \frac{2}{\pi\sigma\,(1 + x^2/\sigma^2)}, \qquad x > 0.

    Its mean and variance are infinite.

    Args:
        scale: the scale :math:`\sigma` of the underlying Cauchy (the median of
            :math:`X`), positive; a float or an array whose shape is ``batch_shape``
            (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.HalfCauchy(scale=1.0)
        >>> float(d.icdf(0.5)), float(d.mean)
        (1.0, inf)
    """

    scale: jax.Array | float

    arg_constraints = {"scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale=1.0, *, validate_args=None):
        self.scale = as_float_array(scale)
        super().__init__(jnp.shape(self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        u = jax.random.uniform(key, self.shape(sample_shape))
        return self.icdf(u)

    def _log_prob(self, value):
        z = value / self.scale
        return math.log(2 / math.pi) - jnp.log(self.scale) - jnp.log1p(z**2)

    def cdf(self, value):
        return (2 / math.pi) * jnp.arctan(jnp.maximum(value, 0.0) / self.scale)

    def icdf(self, q):
        return self.scale * jnp.tan(0.5 * math.pi * q)

    @property
    def mean(self):
        return jnp.full(self.batch_shape, jnp.inf)

    @property
    def variance(self):
        return jnp.full(self.batch_shape, jnp.inf)

    def entropy(self):
        return _full(math.log(2 * math.pi) + jnp.log(self.scale), self.batch_shape)


class Levy(Distribution):
    r"""Lévy distribution with location :math:`\mu` and scale :math:`c` (the stable law
    with index 1/2, totally skewed to the right):

    .. math::

        p(x \mid \mu, c) = \sqrt{\frac{c}{2\pi}}\,
            \frac{e^{-c / (2(x - \mu))}}{(x - \mu)^{3/2}}, \qquad x > \mu.

    Its mean and variance are infinite.

    Args:
        loc: the location :math:`\mu`, the lower end of the support, any real; a float
            or an array (default 0).
        scale: the scale :math:`c`, positive; broadcasts with ``loc`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Levy(loc=1.0, scale=2.0)
        >>> str(d.support)
        'greater than 1'
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    @property
    def support(self):
        """The half-line above ``loc``, ``constraints.greater_than(loc)``."""
        return constraints.greater_than(self.loc)

    def sample(self, key, sample_shape=()):
        z = jax.random.normal(key, self.shape(sample_shape))
        return self.loc + self.scale / jnp.square(z)

    def _log_prob(self, value):
        y = value - self.loc
        return 0.5 * jnp.log(self.scale) - _HALF_LOG_2PI - 1.5 * jnp.log(y) - self.scale / (2 * y)

    def cdf(self, value):
        y = jnp.maximum(value - self.loc, 0.0)  # y = 0 gives erfc(inf) = 0
        return erfc(jnp.sqrt(self.scale / (2 * y)))

    def icdf(self, q):
        return self.loc + self.scale / jnp.square(ndtri(0.5 * q))

    @property
    def mean(self):
        return jnp.full(self.batch_shape, jnp.inf)

    @property
    def variance(self):
        return jnp.full(self.batch_shape, jnp.inf)

    def entropy(self):
        constant = 0.5 * (1 + 3 * _EULER + math.log(16 * math.pi))
        return _full(constant + jnp.log(self.scale), self.batch_shape)
