r"""Normal distributions with structure along the event axes: the Gaussian random walk
(cumulative sums of normal increments) and the zero-sum normal (a normal projected onto
the arrays that sum to zero along each event axis)."""

from __future__ import annotations

import math
import operator

import equinox as eqx
import jax
import jax.numpy as jnp

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array

__all__ = ["GaussianRandomWalk", "ZeroSumNormal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class GaussianRandomWalk(Distribution):
    r"""Gaussian random walk of ``num_steps`` steps starting at 0 with increment standard
    deviation ``scale`` :math:`\sigma`: :math:`x_t = x_{t-1} + \sigma \epsilon_t`,
    :math:`x_0 = 0`, :math:`\epsilon_t \sim \mathcal{N}(0, 1)`, so

    .. math::

        p(x \mid \sigma) = \prod_{t=1}^{n} \mathcal{N}(x_t - x_{t-1} \mid 0, \sigma^2).

    ``event_shape`` is ``(num_steps,)``; the mean is zero and
    :math:`\operatorname{Var}(x_t) = t \sigma^2`.

    Args:
        scale: the standard deviation :math:`\sigma` of each increment, positive; a float
            or an array whose shape is ``batch_shape`` (default 1).
        num_steps: the number of steps :math:`n`, a positive Python integer (default 1);
            it fixes ``event_shape = (num_steps,)``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``num_steps`` is not a positive integer, or a concrete parameter
            lies outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.GaussianRandomWalk(scale=2.0, num_steps=4)
        >>> d.event_shape, d.variance.tolist()
        ((4,), [4.0, 8.0, 12.0, 16.0])
        >>> d.sample(jax.random.PRNGKey(0), (3,)).shape
        (3, 4)
    """

    scale: jax.Array | float
    num_steps: int = eqx.field(static=True)

    arg_constraints = {"scale": constraints.positive}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, scale=1.0, num_steps=1, *, validate_args=None):
        owner = type(self).__name__
        try:
            steps = operator.index(num_steps)
        except TypeError:
            steps = 0
        if steps < 1:
            raise ValueError(f"{owner}: parameter 'num_steps' must be a positive integer; got {num_steps!r}.")
        self.scale = as_float_array(scale)
        self.num_steps = steps
        super().__init__(jnp.shape(self.scale), (steps,), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        eps = jax.random.normal(key, self.shape(sample_shape))
        return jnp.cumsum(eps, axis=-1) * jnp.asarray(self.scale)[..., None]

    def _log_prob(self, value):
        increments = jnp.diff(value, axis=-1, prepend=jnp.zeros_like(value[..., :1]))
        scale = jnp.asarray(self.scale)
        z = increments / scale[..., None]
        return -0.5 * jnp.sum(jnp.square(z), axis=-1) - self.num_steps * (jnp.log(scale) + _HALF_LOG_2PI)

    @property
    def mean(self):
        return jnp.zeros(self.batch_shape + self.event_shape)

    @property
    def variance(self):
        steps = jnp.arange(1, self.num_steps + 1)
        value = jnp.square(jnp.asarray(self.scale))[..., None] * steps
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    def entropy(self):
        value = self.num_steps * (0.5 + _HALF_LOG_2PI + jnp.log(self.scale))
        return jnp.broadcast_to(value, self.batch_shape)


class ZeroSumNormal(Distribution):
    r"""Normal distribution on the arrays of shape ``event_shape`` that sum to zero along
    every event axis (PyMC's and NumPyro's ``ZeroSumNormal``): :math:`x = P z` with
    :math:`z \sim \mathcal{N}(0, \sigma^2 I)` and :math:`P` the projection removing the
    mean along each event axis. For one axis of length :math:`n`,
    :math:`x \sim \mathcal{N}(0, \sigma^2 (I - \tfrac1n J))`.

    The density is taken with respect to Lebesgue measure on the zero-sum subspace (of
    dimension :math:`k = \prod_a (n_a - 1)`) in orthonormal coordinates:

    .. math::

        p(x \mid \sigma) = (2\pi\sigma^2)^{-k/2} \exp\!\Bigl(-\frac{\|x\|^2}{2\sigma^2}\Bigr).

    ``scale`` is one standard deviation per batch element: ``batch_shape`` is
    ``scale.shape`` (NumPyro instead broadcasts ``scale`` against the reduced event shape).
    Each entry has variance :math:`\sigma^2 \prod_a (1 - 1/n_a)`.

    Args:
        scale: the standard deviation :math:`\sigma` before the projection, positive; a
            float or an array whose shape is ``batch_shape``.
        event_shape: the shape of one draw, a non-empty tuple of positive integers; the
            draw sums to zero along each of these axes.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``event_shape`` is not a non-empty tuple of positive integers, or a
            concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.ZeroSumNormal(1.0, event_shape=(4,))
        >>> x = d.sample(jax.random.PRNGKey(0), (2,))
        >>> x.shape, bool(abs(x.sum(-1)).max() < 1e-5)
        ((2, 4), True)
    """

    scale: jax.Array | float

    arg_constraints = {"scale": constraints.positive}
    has_rsample = True

    def __init__(self, scale, event_shape, *, validate_args=None):
        owner = type(self).__name__
        try:
            shape = tuple(operator.index(n) for n in event_shape)
        except TypeError:
            shape = ()
        if not shape or min(shape) < 1:
            raise ValueError(
                f"{owner}: parameter 'event_shape' must be a non-empty tuple of positive "
                f"integers (the axes that sum to zero); got {event_shape!r}."
            )
        self.scale = as_float_array(scale)
        super().__init__(jnp.shape(self.scale), shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        """The arrays that sum to zero along every event axis (``constraints.zero_sum``)."""
        return constraints.zero_sum(len(self.event_shape))

    @property
    def _degrees_of_freedom(self) -> int:
        return math.prod(n - 1 for n in self.event_shape)

    def _broadcast_scale(self):
        scale = jnp.asarray(self.scale)
        return jnp.reshape(scale, scale.shape + (1,) * len(self.event_shape))

    def sample(self, key, sample_shape=()):
        x = jax.random.normal(key, self.shape(sample_shape)) * self._broadcast_scale()
        for axis in range(-len(self.event_shape), 0):
            x = x - jnp.mean(x, axis=axis, keepdims=True)
        return x

    def _log_prob(self, value):
        axes = tuple(range(-len(self.event_shape), 0))
        scale = jnp.asarray(self.scale)
        squares = jnp.sum(jnp.square(value / self._broadcast_scale()), axis=axes)
        return -0.5 * squares - self._degrees_of_freedom * (jnp.log(scale) + _HALF_LOG_2PI)

    @property
    def mean(self):
        return jnp.zeros(self.batch_shape + self.event_shape)

    @property
    def variance(self):
        shrink = math.prod(1.0 - 1.0 / n for n in self.event_shape)
        value = jnp.square(self._broadcast_scale()) * shrink
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    def entropy(self):
        value = self._degrees_of_freedom * (0.5 + _HALF_LOG_2PI + jnp.log(self.scale))
        return jnp.broadcast_to(value, self.batch_shape)
