r"""Wrappers that change how a distribution's batch is read: ``Independent``,
``ExpandedDistribution`` and ``MaskedDistribution``.

These back ``Distribution.to_event``, ``.expand`` and ``.mask``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import is_traced, sum_rightmost

__all__ = ["ExpandedDistribution", "Independent", "MaskedDistribution"]


class Independent(Distribution):
    r"""Reinterpret the rightmost ``reinterpreted_batch_ndims`` batch dims of
    ``base_dist`` as event dims: their log densities are summed,

    .. math::

        \log p(x) = \sum_{i \in \text{reinterpreted dims}} \log p_{\text{base}}(x_i).

    With ``n = reinterpreted_batch_ndims`` and a base of batch shape ``B`` and event shape
    ``E``, the result has batch shape ``B[:len(B) - n]`` and event shape
    ``B[len(B) - n:] + E``. Draws, mean and variance are those of the base; ``entropy``
    sums over the reinterpreted dims. It is what ``Distribution.to_event`` returns.

    Args:
        base_dist: the distribution whose batch dims become event dims.
        reinterpreted_batch_ndims: how many of its rightmost batch dims to move into the
            event, between 0 and ``len(base_dist.batch_shape)``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``reinterpreted_batch_ndims`` is negative or exceeds
            ``len(base_dist.batch_shape)``.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Normal(jnp.zeros(3), 1.0).to_event(1)
        >>> d.batch_shape, d.event_shape
        ((), (3,))
    """

    base_dist: Distribution
    reinterpreted_batch_ndims: int

    def __init__(self, base_dist: Distribution, reinterpreted_batch_ndims: int, *, validate_args=None):
        n = int(reinterpreted_batch_ndims)
        if not 0 <= n <= len(base_dist.batch_shape):
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims must be between 0 and "
                f"len(base_dist.batch_shape) = {len(base_dist.batch_shape)}; got {n} "
                f"(base batch_shape {base_dist.batch_shape})."
            )
        self.base_dist = base_dist
        self.reinterpreted_batch_ndims = n
        shape = base_dist.batch_shape + base_dist.event_shape
        event_dim = n + len(base_dist.event_shape)
        super().__init__(
            shape[: len(shape) - event_dim], shape[len(shape) - event_dim :], validate_args=validate_args
        )

    @property
    def support(self):  # type: ignore[override]
        return constraints.independent(self.base_dist.support, self.reinterpreted_batch_ndims)

    @property
    def has_rsample(self):  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):  # type: ignore[override]
        return False

    def sample(self, key, sample_shape=()):
        return self.base_dist.sample(key, sample_shape)

    def rsample(self, key, sample_shape=()):
        return self.base_dist.rsample(key, sample_shape)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def variance(self):
        return self.base_dist.variance

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)


class ExpandedDistribution(Distribution):
    """``base_dist`` broadcast to a larger ``batch_shape`` (new dims on the left, or
    size-1 dims stretched), drawing independent samples along the new dims.

    ``log_prob``, ``cdf``, ``icdf``, the moments and ``entropy`` are those of the base,
    broadcast to the new batch shape. Expanding an ``ExpandedDistribution`` expands its
    base directly. It is what ``Distribution.expand`` returns.

    Args:
        base_dist: the distribution to broadcast.
        batch_shape: the new batch shape; ``base_dist.batch_shape`` must broadcast to it
            (each of its dims equal to the new one or 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist.batch_shape`` does not broadcast to ``batch_shape``.

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Normal(0.0, 1.0).expand((4, 2))
        >>> type(d).__name__, d.batch_shape
        ('ExpandedDistribution', (4, 2))
        >>> d.sample(jax.random.PRNGKey(0), (3,)).shape
        (3, 4, 2)
    """

    base_dist: Distribution

    def __init__(self, base_dist: Distribution, batch_shape, *, validate_args=None):
        batch_shape = tuple(int(d) for d in batch_shape)
        try:
            broadcast = jnp.broadcast_shapes(batch_shape, base_dist.batch_shape)
        except ValueError:
            broadcast = None
        if broadcast != batch_shape:
            raise ValueError(
                f"{type(base_dist).__name__}.expand: cannot expand batch_shape "
                f"{base_dist.batch_shape} to {batch_shape}; each dim must match or be 1."
            )
        if isinstance(base_dist, ExpandedDistribution):
            base_dist = base_dist.base_dist
        self.base_dist = base_dist
        super().__init__(batch_shape, base_dist.event_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        return self.base_dist.support

    @property
    def has_rsample(self):  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):  # type: ignore[override]
        return self.base_dist.has_enumerate_support

    def _draw(self, draw, key, sample_shape):
        """Draw with independent randomness along every expanded dim.

        The base draws ``sample_shape + new_dims + stretched_dims`` worth of samples and
        the result is arranged into ``sample_shape + batch_shape + event_shape``.
        """
        base_batch = self.base_dist.batch_shape
        new_ndim = len(self.batch_shape) - len(base_batch)
        new_dims = self.batch_shape[:new_ndim]
        stretched = [
            i for i, (size, base_size) in enumerate(zip(self.batch_shape[new_ndim:], base_batch))
            if size != base_size
        ]
        stretch_sizes = tuple(self.batch_shape[new_ndim + i] for i in stretched)
        draws = draw(key, tuple(sample_shape) + new_dims + stretch_sizes)
        # draws: sample + new + stretch + base_batch + event. Drop each stretched base
        # axis (size 1) and put its stretch axis in its place.
        lead = len(sample_shape) + new_ndim
        m = len(stretched)
        draws = jnp.squeeze(draws, axis=tuple(lead + m + i for i in stretched))
        order = list(range(lead))
        kept = 0
        for position in range(len(base_batch)):
            if position in stretched:
                order.append(lead + stretched.index(position))
            else:
                order.append(lead + m + kept)
                kept += 1
        order += list(range(len(order), draws.ndim))
        draws = jnp.transpose(draws, order)
        return jnp.broadcast_to(draws, self.shape(sample_shape))

    def sample(self, key, sample_shape=()):
        return self._draw(self.base_dist.sample, key, sample_shape)

    def rsample(self, key, sample_shape=()):
        return self._draw(self.base_dist.rsample, key, sample_shape)

    def log_prob(self, value):
        log_prob = self.base_dist.log_prob(value)
        shape = jnp.broadcast_shapes(jnp.shape(log_prob), self.batch_shape)
        return jnp.broadcast_to(log_prob, shape)

    def cdf(self, value):
        return jnp.broadcast_to(self.base_dist.cdf(value), jnp.broadcast_shapes(jnp.shape(value), self.batch_shape))

    def icdf(self, q):
        return jnp.broadcast_to(self.base_dist.icdf(q), jnp.broadcast_shapes(jnp.shape(q), self.batch_shape))

    def enumerate_support(self, expand=True):
        values = self.base_dist.enumerate_support(expand=False)
        n = values.shape[0]
        values = jnp.reshape(values, (n,) + (1,) * len(self.batch_shape) + self.event_shape)
        if expand:
            values = jnp.broadcast_to(values, (n,) + self.batch_shape + self.event_shape)
        return values

    @property
    def mean(self):
        return jnp.broadcast_to(self.base_dist.mean, self.batch_shape + self.event_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(self.base_dist.variance, self.batch_shape + self.event_shape)

    def entropy(self):
        return jnp.broadcast_to(self.base_dist.entropy(), self.batch_shape)


class MaskedDistribution(Distribution):
    r"""``base_dist`` whose ``log_prob`` is 0 where ``mask`` is False:

    .. math::

        \log p(x) = \begin{cases} \log p_{\text{base}}(x) & \text{mask} = \text{True}, \\
                                  0 & \text{mask} = \text{False.} \end{cases}

    Sampling, ``cdf``, ``icdf``, the moments and ``entropy`` are those of the base. As in
    NumPyro, a mask with more or larger dims than ``base_dist.batch_shape`` expands the
    distribution to the broadcast shape. It is what ``Distribution.mask`` returns.

    Args:
        base_dist: the distribution to mask.
        mask: a boolean array (or a Python bool) whose shape broadcasts with
            ``base_dist.batch_shape``; False switches an element's log density off.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete ``mask`` is not boolean, or does not broadcast with
            ``base_dist.batch_shape``.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Normal(jnp.zeros(2), 1.0).mask(jnp.array([True, False]))
        >>> [round(float(v), 4) for v in d.log_prob(jnp.array([0.0, 0.0]))]
        [-0.9189, 0.0]
    """

    base_dist: Distribution
    mask_array: jax.Array

    def __init__(self, base_dist: Distribution, mask, *, validate_args=None):
        mask_array = jnp.asarray(mask)
        if not is_traced(mask_array) and mask_array.dtype != jnp.bool_:
            raise ValueError(
                f"{type(base_dist).__name__}.mask: mask must be boolean, got dtype {mask_array.dtype}."
            )
        try:
            batch_shape = jnp.broadcast_shapes(jnp.shape(mask_array), base_dist.batch_shape)
        except ValueError:
            batch_shape = None
        if batch_shape is None:
            raise ValueError(
                f"{type(base_dist).__name__}.mask: mask of shape {np.shape(mask_array)} does not "
                f"broadcast with batch_shape {base_dist.batch_shape}."
            )
        if batch_shape != base_dist.batch_shape:
            base_dist = base_dist.expand(batch_shape)
        self.base_dist = base_dist
        self.mask_array = mask_array
        super().__init__(batch_shape, base_dist.event_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        return self.base_dist.support

    @property
    def has_rsample(self):  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):  # type: ignore[override]
        return self.base_dist.has_enumerate_support

    def sample(self, key, sample_shape=()):
        return self.base_dist.sample(key, sample_shape)

    def rsample(self, key, sample_shape=()):
        return self.base_dist.rsample(key, sample_shape)

    def log_prob(self, value):
        """Log density of ``value`` under ``base_dist``, replaced by 0 where the mask is False.

        Args:
            value: an array whose rightmost dims are ``event_shape``, typically of shape
                ``sample_shape + batch_shape + event_shape``.

        Returns:
            An array of shape ``sample_shape + batch_shape`` (the broadcast of the base's
            ``log_prob`` and the mask): the base's log density where the mask is True and
            0 where it is False.
        """
        log_prob = self.base_dist.log_prob(value)
        return jnp.where(self.mask_array, log_prob, 0.0)

    def enumerate_support(self, expand=True):
        return self.base_dist.enumerate_support(expand)

    def cdf(self, value):
        return self.base_dist.cdf(value)

    def icdf(self, q):
        return self.base_dist.icdf(q)

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def variance(self):
        return self.base_dist.variance

    def entropy(self):
        return self.base_dist.entropy()
