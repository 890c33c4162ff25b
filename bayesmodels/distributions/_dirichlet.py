r"""The Dirichlet distribution on the probability simplex."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import digamma, gammaln, xlogy

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array

__all__ = ["Dirichlet"]


class Dirichlet(Distribution):
    r"""Dirichlet distribution with ``concentration`` :math:`\alpha` (last axis: the
    :math:`k` categories) on the simplex :math:`\{x : x_i \ge 0, \sum_i x_i = 1\}`:

    .. math::

        p(x \mid \alpha) = \frac{\Gamma\bigl(\sum_i \alpha_i\bigr)}{\prod_i \Gamma(\alpha_i)}
            \prod_{i=1}^{k} x_i^{\alpha_i - 1}.

    The density is with respect to Lebesgue measure on the first :math:`k - 1`
    coordinates. Samples are normalised gamma draws (computed in log space, so small
    concentrations do not underflow) and are differentiable in ``concentration``.

    Args:
        concentration: :math:`\alpha`, an array with at least one dim, positive
            entries; the last axis (of length :math:`k`) is the ``event_shape`` and the
            leading axes are the ``batch_shape``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``concentration`` is a scalar, or a concrete parameter lies outside
            its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Dirichlet(jnp.array([1.0, 2.0, 1.0]))
        >>> d.batch_shape, d.event_shape
        ((), (3,))
        >>> d.mean.tolist()
        [0.25, 0.5, 0.25]
        >>> d.sample(jax.random.PRNGKey(0), (4,)).shape
        (4, 3)
    """

    concentration: jax.Array

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, *, validate_args=None):
        concentration = jnp.asarray(as_float_array(concentration))
        if concentration.ndim < 1:
            raise ValueError(
                f"{type(self).__name__}: parameter 'concentration' must be at least "
                "one-dimensional (its last axis indexes the categories); got a scalar."
            )
        self.concentration = concentration
        super().__init__(
            concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args
        )

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + self.batch_shape
        draws = jax.random.dirichlet(key, self.concentration, shape)
        return jnp.clip(draws, jnp.finfo(draws.dtype).tiny, 1.0)

    def _log_prob(self, value):
        alpha = self.concentration
        log_norm = jnp.sum(gammaln(alpha), axis=-1) - gammaln(jnp.sum(alpha, axis=-1))
        return jnp.sum(xlogy(alpha - 1.0, value), axis=-1) - log_norm

    @property
    def mean(self):
        return self.concentration / jnp.sum(self.concentration, axis=-1, keepdims=True)

    @property
    def variance(self):
        total = jnp.sum(self.concentration, axis=-1, keepdims=True)
        return self.concentration * (total - self.concentration) / (total**2 * (total + 1.0))

    def entropy(self):
        alpha = self.concentration
        k = alpha.shape[-1]
        total = jnp.sum(alpha, axis=-1)
        return (
            jnp.sum(gammaln(alpha), axis=-1)
            - gammaln(total)
            + (total - k) * digamma(total)
            - jnp.sum((alpha - 1.0) * digamma(alpha), axis=-1)
        )
