r"""Symmetric location-scale families on the whole real line: Normal, Cauchy, Laplace,
Logistic and SoftLaplace."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import expit, logit, ndtr, ndtri

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["Cauchy", "Laplace", "Logistic", "Normal", "SoftLaplace"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)


def log1p_square(z):
    r""":math:`\log(1 + z^2)` without overflow for large :math:`|z|`."""
    a = jnp.abs(z)
    big = a > 1
    a_big = jnp.where(big, a, 1.0)  # keeps the unused branch (and its gradient) finite
    return jnp.where(big, 2 * jnp.log(a_big) + jnp.log1p(1 / a_big**2), jnp.log1p(jnp.square(a)))


class Normal(Distribution):
    r"""Normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``:

    .. math::

        p(x \mid \mu, \sigma) = \frac{1}{\sigma\sqrt{2\pi}}
            \exp\!\Bigl(-\frac{(x - \mu)^2}{2\sigma^2}\Bigr).

    Args:
        loc: the mean :math:`\mu`, any real; a float or an array (default 0). The
            parameters broadcast together to give ``batch_shape``.
        scale: the standard deviation :math:`\sigma`, positive; broadcasts with ``loc``
            (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Normal(loc=0.0, scale=1.0)
        >>> d.loc, d.scale
        (0.0, 1.0)
        >>> d.rsample(jax.random.PRNGKey(0), (3, 3)).shape
        (3, 3)
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        eps = jax.random.normal(key, self.shape(sample_shape))
        return self.loc + self.scale * eps

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        return -0.5 * z**2 - jnp.log(self.scale) - _HALF_LOG_2PI

    def cdf(self, value):
        return ndtr((value - self.loc) / self.scale)

    def icdf(self, q):
        return self.loc + self.scale * ndtri(q)

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(jnp.square(self.scale), self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(0.5 + _HALF_LOG_2PI + jnp.log(self.scale), self.batch_shape)


class Cauchy(Distribution):
    r"""Cauchy distribution with location ``loc`` and scale ``scale``:

    .. math::

        p(x \mid x_0, \gamma) = \frac{1}{\pi\gamma\,\bigl[1 + ((x - x_0)/\gamma)^2\bigr]}.

    It has no mean and no variance: both are NaN, as in NumPyro and scipy.

    Args:
        loc: the location :math:`x_0` (the median), any real; a float or an array
            (default 0).
        scale: the scale :math:`\gamma` (half the interquartile range), positive;
            broadcasts with ``loc`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Cauchy(loc=1.0, scale=2.0)
        >>> float(d.icdf(0.75))
        3.0
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return self.loc + self.scale * jax.random.cauchy(key, self.shape(sample_shape))

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        return -_LOG_PI - jnp.log(self.scale) - log1p_square(z)

    def cdf(self, value):
        # 1/2 + arctan(z)/pi, written so that the lower tail keeps its relative precision
        z = (value - self.loc) / self.scale
        return jnp.arctan2(1.0, -z) / math.pi

    def icdf(self, q):
        # tan(pi (q - 1/2)) with the cosine as sin(pi min(q, 1 - q)): exact zeros at q = 0, 1
        q = jnp.asarray(q)
        ratio = jnp.sin(math.pi * (q - 0.5)) / jnp.sin(math.pi * jnp.minimum(q, 1 - q))
        return self.loc + self.scale * ratio

    @property
    def mean(self):
        return jnp.full(self.batch_shape, jnp.nan)

    @property
    def variance(self):
        return jnp.full(self.batch_shape, jnp.nan)

    def entropy(self):
        return jnp.broadcast_to(math.log(4 * math.pi) + jnp.log(self.scale), self.batch_shape)


class Laplace(Distribution):
    r"""Laplace (double exponential) distribution with location ``loc`` and scale ``scale``:

    .. math::

        p(x \mid \mu, b) = \frac{1}{2b} \exp\!\Bigl(-\frac{|x - \mu|}{b}\Bigr).

    Args:
        loc: the location :math:`\mu` (mean and median), any real; a float or an array
            (default 0).
        scale: the scale :math:`b`, positive; broadcasts with ``loc`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Laplace(loc=0.0, scale=2.0)
        >>> float(d.variance)
        8.0
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return self.loc + self.scale * jax.random.laplace(key, self.shape(sample_shape))

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        return -jnp.abs(z) - jnp.log(2 * self.scale)

    def cdf(self, value):
        z = (value - self.loc) / self.scale
        tail = 0.5 * jnp.exp(-jnp.abs(z))  # the mass beyond |z|, exact in both tails
        return jnp.where(z < 0, tail, 1 - tail)

    def icdf(self, q):
        q = jnp.asarray(q)
        # log(2 min(q, 1 - q)) keeps the precision of a small q (q - 1/2 would round it)
        return self.loc - self.scale * jnp.sign(q - 0.5) * jnp.log(2 * jnp.minimum(q, 1 - q))

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(2 * jnp.square(self.scale), self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(1 + jnp.log(2 * self.scale), self.batch_shape)


class Logistic(Distribution):
    r"""Logistic distribution with location ``loc`` and scale ``scale``:

    .. math::

        p(x \mid \mu, s) = \frac{e^{-z}}{s\,(1 + e^{-z})^2}, \qquad z = \frac{x - \mu}{s}.

    Args:
        loc: the location :math:`\mu` (mean and median), any real; a float or an array
            (default 0).
        scale: the scale :math:`s`, positive; broadcasts with ``loc`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Logistic(loc=3.0, scale=1.0)
        >>> float(d.cdf(3.0))
        0.5
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return self.loc + self.scale * jax.random.logistic(key, self.shape(sample_shape))

    def _log_prob(self, value):
        a = jnp.abs((value - self.loc) / self.scale)  # the density is symmetric in z
        return -a - 2 * jnp.log1p(jnp.exp(-a)) - jnp.log(self.scale)

    def cdf(self, value):
        return expit((value - self.loc) / self.scale)

    def icdf(self, q):
        return self.loc + self.scale * logit(q)

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(jnp.square(math.pi * self.scale) / 3, self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(jnp.log(self.scale) + 2, self.batch_shape)


class SoftLaplace(Distribution):
    r"""Smooth distribution with Laplace-like (exponential) tails, log-concave and infinitely
    differentiable (the hyperbolic secant distribution):

    .. math::

        p(x \mid \mu, s) = \frac{1}{\pi s \cosh z}, \qquad z = \frac{x - \mu}{s},

    i.e. ``log_prob = log(2/pi) - log(scale) - logaddexp(z, -z)`` as in NumPyro. Its cdf is
    :math:`\tfrac{2}{\pi}\arctan e^{z}` and its variance :math:`(\pi s / 2)^2`.

    Args:
        loc: the location :math:`\mu` (mean and median), any real; a float or an array.
        scale: the scale :math:`s`, positive; broadcasts with ``loc``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.SoftLaplace(0.0, 1.0)
        >>> float(d.cdf(0.0))
        0.5
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        tiny = jnp.finfo(jnp.result_type(float)).tiny
        u = jax.random.uniform(key, self.shape(sample_shape), minval=tiny)
        return self.icdf(u)

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        return math.log(2 / math.pi) - jnp.log(self.scale) - jnp.logaddexp(z, -z)

    def cdf(self, value):
        # (2/pi) arctan(e^z), with the upper half as 1 - (2/pi) arctan(e^-z) (the two
        # arctans add to pi/2), so that e^|z| never overflows
        z = (value - self.loc) / self.scale
        tail = (2 / math.pi) * jnp.arctan(jnp.exp(-jnp.abs(z)))
        return jnp.where(z < 0, tail, 1 - tail)

    def icdf(self, q):
        # log tan(pi q / 2), with the cosine as sin(pi (1 - q) / 2) so both ends stay exact
        q = jnp.asarray(q)
        log_tan = jnp.log(jnp.sin(0.5 * math.pi * q)) - jnp.log(jnp.sin(0.5 * math.pi * (1 - q)))
        return self.loc + self.scale * log_tan

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(jnp.square(0.5 * math.pi * self.scale), self.batch_shape)

    def entropy(self):
        # E[log cosh z] = log 2 under the standard density, so H = log(2 pi s)
        return jnp.broadcast_to(jnp.log(2 * math.pi * self.scale), self.batch_shape)
