"""Batched linear algebra and argument handling shared by the multivariate families.

Matrices carry their batch dims on the left (``(..., d, d)``), vectors likewise
(``(..., d)``); batch dims broadcast. Nothing here knows about distributions beyond the
error messages, which name the distribution and the parameter.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from ._util import as_float_array

__all__ = [
    "as_square_matrix",
    "as_vector",
    "cholesky_of_inverse",
    "inverse_from_cholesky",
    "mahalanobis",
    "matvec",
    "one_of",
    "outer_self",
    "solve_lower",
    "tri_logdet",
]


def one_of(owner: str, **matrices):
    """The one argument among ``matrices`` that is not None, as ``(name, value)``.

    Raises ``ValueError`` naming all of them when none or more than one is given.
    """
    given = [name for name, value in matrices.items() if value is not None]
    if len(given) != 1:
        names = ", ".join(f"'{n}'" for n in matrices)
        got = "none of them" if not given else " and ".join(f"'{n}'" for n in given)
        raise ValueError(f"{owner}: pass exactly one of {names}; got {got}.")
    return given[0], matrices[given[0]]


def as_square_matrix(owner: str, name: str, value):
    """``value`` as a float array of shape ``(..., d, d)``, or ``ValueError`` naming it."""
    value = jnp.asarray(as_float_array(value))
    if value.ndim < 2 or value.shape[-1] != value.shape[-2]:
        raise ValueError(
            f"{owner}: parameter '{name}' must be a (batch of) square matrices of shape "
            f"(..., d, d); got shape {value.shape}."
        )
    return value


def as_vector(owner: str, name: str, value, size: int):
    """``value`` as a float array of shape ``(..., size)``; scalars and trailing size-1
    dims are broadcast out. ``ValueError`` naming the parameter on a size mismatch."""
    value = jnp.asarray(as_float_array(value))
    if value.ndim == 0:
        return jnp.broadcast_to(value, (size,))
    if value.shape[-1] not in (1, size):
        raise ValueError(
            f"{owner}: parameter '{name}' must have {size} entries in its last dim to match "
            f"the {size}x{size} matrix; got shape {value.shape}."
        )
    return jnp.broadcast_to(value, value.shape[:-1] + (size,))


def matvec(matrix, vector):
    """Batched ``matrix @ vector`` for ``(..., n, m)`` matrices and ``(..., m)`` vectors."""
    return jnp.matmul(matrix, vector[..., None])[..., 0]


def outer_self(tril):
    """``L @ L.T`` for a batch of matrices."""
    return jnp.matmul(tril, jnp.swapaxes(tril, -1, -2))


def solve_lower(tril, rhs):
    r"""Solve :math:`L x = b` for lower-triangular ``tril`` (``(..., d, d)``) and vectors
    ``rhs`` (``(..., d)``), broadcasting batch dims.

    Leading dims that only ``rhs`` has (sample dims, a plate of observations) are folded
    into the columns of one right-hand side, so a single factor serves them all without
    being copied once per observation.
    """
    tril, rhs = jnp.asarray(tril), jnp.asarray(rhs)
    d = tril.shape[-1]
    n_batch = tril.ndim - 2
    if rhs.ndim - 1 < n_batch:
        rhs = jnp.reshape(rhs, (1,) * (n_batch + 1 - rhs.ndim) + rhs.shape)
    split = rhs.ndim - 1 - n_batch
    extra = rhs.shape[:split]
    batch = tuple(jnp.broadcast_shapes(tril.shape[:-2], rhs.shape[split:-1]))
    rhs = jnp.broadcast_to(rhs, extra + batch + (d,))
    columns = jnp.moveaxis(jnp.reshape(rhs, (math.prod(extra),) + batch + (d,)), 0, -1)
    tril = jnp.broadcast_to(tril, batch + (d, d))
    solved = solve_triangular(tril, columns, lower=True)
    return jnp.reshape(jnp.moveaxis(solved, -1, 0), extra + batch + (d,))


def mahalanobis(tril, diff):
    r"""Squared Mahalanobis norm :math:`\|L^{-1} x\|^2` of ``diff`` under ``L L^T``."""
    return jnp.sum(jnp.square(solve_lower(tril, diff)), axis=-1)


def tri_logdet(tril):
    """``log|det L|`` of a triangular matrix with a positive diagonal (sum of log diagonal)."""
    return jnp.sum(jnp.log(jnp.diagonal(tril, axis1=-2, axis2=-1)), axis=-1)


def _eye_like(matrix):
    return jnp.broadcast_to(jnp.eye(matrix.shape[-1], dtype=matrix.dtype), matrix.shape)


def inverse_from_cholesky(tril):
    r""":math:`(L L^T)^{-1} = L^{-T} L^{-1}` from the lower Cholesky factor ``L``."""
    tril_inv = solve_triangular(tril, _eye_like(tril), lower=True)
    return jnp.matmul(jnp.swapaxes(tril_inv, -1, -2), tril_inv)


def cholesky_of_inverse(matrix):
    r"""Lower Cholesky factor of :math:`P^{-1}` for a positive definite ``P``, without
    forming :math:`P^{-1}`.

    With :math:`J` the reversal permutation and :math:`J P J = M M^T`,
    :math:`P^{-1} = (J M^{-T} J)(J M^{-T} J)^T` and :math:`J M^{-T} J` is lower
    triangular with a positive diagonal.
    """
    flipped = jnp.linalg.cholesky(matrix[..., ::-1, ::-1])
    inv = solve_triangular(flipped, _eye_like(flipped), lower=True)
    return jnp.swapaxes(inv, -1, -2)[..., ::-1, ::-1]
