r"""Continuous families on the whole real line."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr, ndtri

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["Normal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Normal(Distribution):
    r"""Normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``:

    .. math::

        p(x \mid \mu, \sigma) = \frac{1}{\sigma\sqrt{2\pi}}
            \exp\!\Bigl(-\frac{(x - \mu)^2}{2\sigma^2}\Bigr).

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
