r"""The Euclidean metric: momentum distribution, kinetic energy and velocity.

Momenta are Gaussian, :math:`p \sim \mathcal N(0, M)`, with kinetic energy
:math:`K(p) = \tfrac12 p^\top M^{-1} p` and velocity :math:`\dot q = M^{-1} p`. The
*inverse* mass matrix :math:`M^{-1}` is what adaptation estimates (the posterior
covariance); it is a vector (diagonal metric), a matrix (dense metric) or a
:class:`LowRankMetric` (diagonal plus a low-rank correction), and its type and rank pick
the branch at trace time.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
from jax import lax

__all__ = ["LowRankMetric", "kinetic_energy", "sample_momentum", "velocity"]


class LowRankMetric(NamedTuple):
    r"""An inverse mass matrix that is diagonal up to a correction along a few directions
    (nutpie's low-rank modified mass matrix):

    .. math::

        M^{-1} = S\,\bigl(I + V^\top(\Lambda - I)V\bigr)\,S,
        \qquad S = \operatorname{diag}(s),\quad \Lambda = \operatorname{diag}(\lambda),

    with ``scale`` :math:`s` ``[dim]`` (positive), ``vectors`` :math:`V` ``[k, dim]`` (one
    direction per row, orthonormal rows: contiguous rows make the products several times
    faster on CPU than columns) and ``values`` :math:`\lambda` ``[k]`` (positive). A value
    of 1 leaves its direction alone, so with all values 1 this is the diagonal metric
    :math:`s^2` whatever the vectors. Products with it cost :math:`O(k\,\mathrm{dim})`.

    Args:
        scale: the diagonal scale :math:`s`, ``[dim]``, positive.
        vectors: the directions :math:`V`, ``[k, dim]``, orthonormal rows (unused slots
            may be zero rows with value 1).
        values: the variances :math:`\lambda` along the directions (relative to the
            scaled diagonal), ``[k]``, positive.

    Example:
        >>> import jax.numpy as jnp
        >>> from bayesmodels.kernels import LowRankMetric, kinetic_energy
        >>> metric = LowRankMetric(jnp.ones(2), jnp.array([[1.0, 0.0]]), jnp.array([4.0]))
        >>> metric.to_dense().tolist()
        [[4.0, 0.0], [0.0, 1.0]]
        >>> float(kinetic_energy(metric, jnp.array([1.0, 1.0])))
        2.5
    """

    scale: jax.Array
    vectors: jax.Array
    values: jax.Array

    @classmethod
    def diagonal(cls, variance, rank: int) -> "LowRankMetric":
        """The diagonal metric ``variance`` with ``rank`` (unused) correction slots.

        Args:
            variance: the diagonal of :math:`M^{-1}`, ``[dim]``, positive.
            rank: the number :math:`k` of correction slots (zero vectors, values 1).

        Returns:
            a ``LowRankMetric`` with ``scale = sqrt(variance)`` that equals
            ``diag(variance)``, its ``vectors`` ``[rank, dim]`` and ``values`` ``[rank]``.
        """
        variance = jnp.asarray(variance)
        dim = variance.shape[0]
        return cls(jnp.sqrt(variance), jnp.zeros((rank, dim), variance.dtype), jnp.ones(rank, variance.dtype))

    def to_dense(self) -> jax.Array:
        r""":math:`M^{-1}` as a ``[dim, dim]`` matrix (for checks; never used to sample).

        Returns:
            the dense ``[dim, dim]`` matrix :math:`S(I + V^\top(\Lambda - I)V)S`.
        """
        correction = (self.vectors.T * (self.values - 1.0)) @ self.vectors
        inner = jnp.eye(self.scale.shape[0], dtype=self.scale.dtype) + correction
        return self.scale[:, None] * inner * self.scale[None, :]


def velocity(inverse_mass_matrix, momentum):
    r"""The velocity :math:`\dot q = M^{-1} p`.

    For a ``LowRankMetric`` it is computed as
    :math:`S\bigl(S p + V^\top((\lambda - 1) \odot V S p)\bigr)` in
    :math:`O(k\,\mathrm{dim})`, never forming the matrix.

    Args:
        inverse_mass_matrix: :math:`M^{-1}`: a ``[dim]`` vector (diagonal), a
            ``[dim, dim]`` matrix (dense) or a ``LowRankMetric``.
        momentum: the momentum :math:`p`, ``[dim]``.

    Returns:
        :math:`M^{-1} p`, ``[dim]``.
    """
    if isinstance(inverse_mass_matrix, LowRankMetric):
        scale, vectors, values = inverse_mass_matrix
        scaled = scale * momentum
        return scale * (scaled + ((values - 1.0) * (vectors @ scaled)) @ vectors)
    if inverse_mass_matrix.ndim == 1:
        return inverse_mass_matrix * momentum
    return inverse_mass_matrix @ momentum


def kinetic_energy(inverse_mass_matrix, momentum):
    r"""The kinetic energy of the Euclidean metric,

    .. math::

        K(p) = \tfrac12\, p^\top M^{-1} p,

    the negative log density (up to a constant) of :math:`p \sim \mathcal N(0, M)`.

    Args:
        inverse_mass_matrix: :math:`M^{-1}`: a ``[dim]`` vector (diagonal), a
            ``[dim, dim]`` matrix (dense) or a ``LowRankMetric``.
        momentum: the momentum :math:`p`, ``[dim]``.

    Returns:
        :math:`K(p)`, a scalar.
    """
    return 0.5 * jnp.dot(momentum, velocity(inverse_mass_matrix, momentum))


def sample_momentum(key, inverse_mass_matrix, like):
    r"""A draw :math:`p \sim \mathcal N(0, M)`.

    Diagonal case: :math:`p_i = \xi_i / \sqrt{m_i}` with :math:`m` the vector
    :math:`M^{-1}` and :math:`\xi \sim \mathcal N(0, I)`.

    Dense case: with :math:`M^{-1} = L L^\top`, :math:`p = L^{-\top} \xi` has covariance
    :math:`L^{-\top} L^{-1} = M`.

    Low-rank case: :math:`M = S^{-1}(I + V^\top(\Lambda^{-1} - I)V)S^{-1}`, and
    :math:`B = I + V^\top(\Lambda^{-1/2} - I)V` is symmetric with
    :math:`B^2 = I + V^\top(\Lambda^{-1} - I)V` (:math:`VV^\top = I`), so
    :math:`p = S^{-1} B \xi` has covariance :math:`S^{-1} B^2 S^{-1} = M`.

    Args:
        key: a JAX PRNG key.
        inverse_mass_matrix: :math:`M^{-1}`: a ``[dim]`` vector (diagonal), a
            ``[dim, dim]`` matrix (dense, factorised on each call) or a
            ``LowRankMetric``.
        like: an array (the position) whose shape and dtype the momentum takes.

    Returns:
        the momentum :math:`p`, of the shape and dtype of ``like``.
    """
    noise = jax.random.normal(key, jnp.shape(like), dtype=jnp.result_type(like))
    if isinstance(inverse_mass_matrix, LowRankMetric):
        scale, vectors, values = inverse_mass_matrix
        return (noise + ((lax.rsqrt(values) - 1.0) * (vectors @ noise)) @ vectors) / scale
    if inverse_mass_matrix.ndim == 1:
        return noise / jnp.sqrt(inverse_mass_matrix)
    cholesky = jnp.linalg.cholesky(inverse_mass_matrix)
    return jsl.solve_triangular(cholesky, noise, lower=True, trans="T")
