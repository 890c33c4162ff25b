r"""The Euclidean metric: momentum distribution, kinetic energy and velocity.

Momenta are Gaussian, :math:`p \sim \mathcal N(0, M)`, with kinetic energy
:math:`K(p) = \tfrac12 p^\top M^{-1} p` and velocity :math:`\dot q = M^{-1} p`. The
*inverse* mass matrix :math:`M^{-1}` is what adaptation estimates (the posterior
covariance); it is a vector (diagonal metric) or a matrix (dense metric), and its rank
picks the branch at trace time.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

__all__ = ["kinetic_energy", "sample_momentum", "velocity"]


def velocity(inverse_mass_matrix, momentum):
    r""":math:`M^{-1} p`."""
    if inverse_mass_matrix.ndim == 1:
        return inverse_mass_matrix * momentum
    return inverse_mass_matrix @ momentum


def kinetic_energy(inverse_mass_matrix, momentum):
    r""":math:`\tfrac12 p^\top M^{-1} p`."""
    return 0.5 * jnp.dot(momentum, velocity(inverse_mass_matrix, momentum))


def sample_momentum(key, inverse_mass_matrix, like):
    r"""A draw :math:`p \sim \mathcal N(0, M)`.

    Dense case: with :math:`M^{-1} = L L^\top`, :math:`p = L^{-\top} \xi` has covariance
    :math:`L^{-\top} L^{-1} = M`.
    """
    noise = jax.random.normal(key, jnp.shape(like), dtype=jnp.result_type(like))
    if inverse_mass_matrix.ndim == 1:
        return noise / jnp.sqrt(inverse_mass_matrix)
    cholesky = jnp.linalg.cholesky(inverse_mass_matrix)
    return jsl.solve_triangular(cholesky, noise, lower=True, trans="T")
