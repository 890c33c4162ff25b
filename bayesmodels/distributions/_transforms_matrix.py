r"""Matrix bijectors: Cholesky factors, correlation Cholesky factors, their unconstrained maps.

A lower-triangular :math:`K\times K` factor is stored unconstrained as a vector. The order
is NumPyro's, so the same unconstrained vector gives the same matrix here and there:

* ``LowerCholeskyTransform`` and its two variants take :math:`K(K+1)/2` reals: first the
  strictly lower triangle in row-major order (``numpy.tril_indices(K, -1)``), then the
  :math:`K` diagonal entries;
* ``CorrCholeskyTransform`` takes the :math:`K(K-1)/2` strictly-lower entries, row-major.

A matrix set has fewer free coordinates than entries, so "the" Jacobian determinant is
taken with respect to the free coordinates of both sides: the lower triangle of a
triangular or symmetric matrix (diagonal included), and the strictly lower triangle of a
correlation matrix or its Cholesky factor (the diagonal follows from unit norms).
"""

from __future__ import annotations

import math
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from . import _constraints as constraints
from ._constraints import Constraint
from ._transforms import Transform

__all__ = [
    "CholeskyTransform",
    "CorrCholeskyTransform",
    "CorrMatrixCholeskyTransform",
    "LowerCholeskyTransform",
    "ScaledUnitLowerCholeskyTransform",
    "SoftplusLowerCholeskyTransform",
]


# ------------------------------------------------------------------------------ helpers


def _matrix_size(length: int, diagonal: int, name: str) -> int:
    """The :math:`K` with ``len(tril_indices(K, diagonal)) == length`` (``diagonal`` 0 or -1)."""
    k = round((math.sqrt(1 + 8 * length) - 1) / 2) - diagonal
    if (k + diagonal) * (k + diagonal + 1) // 2 != length:
        needed = "K(K+1)/2" if diagonal == 0 else "K(K-1)/2"
        raise ValueError(
            f"{name}: the last axis has length {length}, which is not {needed} for any "
            f"integer K; pass a vector of length {needed} to get a K x K matrix."
        )
    return k


def vec_to_tril(vec, k: int, diagonal: int = 0):
    """Place ``vec`` (last axis) into the lower triangle of a ``k x k`` matrix, row-major."""
    vec = jnp.asarray(vec)
    rows, cols = np.tril_indices(k, diagonal)
    out = jnp.zeros(vec.shape[:-1] + (k, k), vec.dtype)
    return out.at[..., rows, cols].set(vec)


def tril_to_vec(mat, diagonal: int = 0):
    """The lower triangle of ``mat`` (last two axes) as a vector, row-major."""
    mat = jnp.asarray(mat)
    rows, cols = np.tril_indices(mat.shape[-1], diagonal)
    return mat[..., rows, cols]


def _diag(mat):
    return jnp.diagonal(mat, axis1=-2, axis2=-1)


def _softplus_inverse(y):
    return y + jnp.log(-jnp.expm1(-y))


def _vector_to_matrix_shape(shape, diagonal: int, name: str):
    if len(shape) < 1:
        raise ValueError(f"{name}: needs at least one dim, got shape {tuple(shape)}")
    k = _matrix_size(shape[-1], diagonal, name)
    return tuple(shape[:-1]) + (k, k)


def _matrix_to_vector_shape(shape, diagonal: int, name: str):
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name}: needs square matrices in the last two dims, got {tuple(shape)}")
    k = shape[-1] + diagonal
    return tuple(shape[:-2]) + (k * (k + 1) // 2,)


class _VectorToTril(Transform):
    """Shape maps shared by the maps from ``K(K+1)/2`` reals to a ``K x K`` factor."""

    domain: ClassVar[Constraint] = constraints.real_vector
    _offset: ClassVar[int] = 0  # tril_indices diagonal of the free coordinates

    def forward_shape(self, shape):
        return _vector_to_matrix_shape(shape, self._offset, type(self).__name__)

    def inverse_shape(self, shape):
        return _matrix_to_vector_shape(shape, self._offset, type(self).__name__)


# ----------------------------------------------------------------- unconstrained -> factor


class LowerCholeskyTransform(_VectorToTril):
    r"""Reals :math:`\mathbb{R}^{K(K+1)/2}` to a lower-triangular matrix with positive diagonal.

    The first :math:`K(K-1)/2` entries fill the strictly lower triangle unchanged; the last
    :math:`K` are the logs of the diagonal:

    .. math::

        L_{ij} = x_{ij}\ (i > j), \qquad L_{ii} = e^{x_{ii}}, \qquad
        \log|\det J| = \sum_i x_{ii}.

    Example:
        >>> import jax.numpy as jnp
        >>> LowerCholeskyTransform()(jnp.zeros(6)).shape
        (3, 3)
    """

    codomain: ClassVar[Constraint] = constraints.lower_cholesky

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        k = _matrix_size(x.shape[-1], 0, "LowerCholeskyTransform")
        log_diag = x[..., x.shape[-1] - k :]
        lower = vec_to_tril(x[..., : x.shape[-1] - k], k, -1)
        return lower + jnp.exp(log_diag)[..., None] * jnp.eye(k, dtype=x.dtype), log_diag.sum(-1)

    def inverse_and_log_det(self, y):
        log_diag = jnp.log(_diag(y))
        x = jnp.concatenate([tril_to_vec(y, -1), log_diag], axis=-1)
        return x, -log_diag.sum(-1)


class SoftplusLowerCholeskyTransform(_VectorToTril):
    r"""Like :class:`LowerCholeskyTransform` with softplus instead of exp on the diagonal:

    .. math::

        L_{ii} = \log(1 + e^{x_{ii}}), \qquad
        \log|\det J| = -\sum_i \operatorname{softplus}(-x_{ii}).

    Example:
        >>> import jax.numpy as jnp
        >>> SoftplusLowerCholeskyTransform().inverse_shape((4, 4))
        (10,)
    """

    codomain: ClassVar[Constraint] = constraints.softplus_lower_cholesky

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        k = _matrix_size(x.shape[-1], 0, "SoftplusLowerCholeskyTransform")
        raw_diag = x[..., x.shape[-1] - k :]
        lower = vec_to_tril(x[..., : x.shape[-1] - k], k, -1)
        diag = jax.nn.softplus(raw_diag)
        ladj = -jax.nn.softplus(-raw_diag).sum(-1)
        return lower + diag[..., None] * jnp.eye(k, dtype=x.dtype), ladj

    def inverse_and_log_det(self, y):
        raw_diag = _softplus_inverse(_diag(y))
        x = jnp.concatenate([tril_to_vec(y, -1), raw_diag], axis=-1)
        return x, jax.nn.softplus(-raw_diag).sum(-1)


class ScaledUnitLowerCholeskyTransform(_VectorToTril):
    r"""Reals to a lower Cholesky factor written as a unit-lower matrix with rows scaled:

    .. math::

        L = \operatorname{diag}(d)\,(U + I), \qquad U_{ij} = x_{ij}\ (i > j), \qquad
        d_i = \operatorname{softplus}(x_{ii}),

    so row :math:`i` of the strictly lower part is multiplied by :math:`d_i` and

    .. math::

        \log|\det J| = \sum_i \bigl(i \log d_i - \operatorname{softplus}(-x_{ii})\bigr)
        \quad (i = 0, \dots, K-1).

    Example:
        >>> import jax.numpy as jnp
        >>> ScaledUnitLowerCholeskyTransform()(jnp.zeros(3)).shape
        (2, 2)
    """

    codomain: ClassVar[Constraint] = constraints.scaled_unit_lower_cholesky

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        k = _matrix_size(x.shape[-1], 0, "ScaledUnitLowerCholeskyTransform")
        raw_diag = x[..., x.shape[-1] - k :]
        unit = vec_to_tril(x[..., : x.shape[-1] - k], k, -1) + jnp.eye(k, dtype=x.dtype)
        diag = jax.nn.softplus(raw_diag)
        return unit * diag[..., None], self._ladj(raw_diag, diag)

    def inverse_and_log_det(self, y):
        diag = _diag(y)
        raw_diag = _softplus_inverse(diag)
        x = jnp.concatenate([tril_to_vec(y / diag[..., None], -1), raw_diag], axis=-1)
        return x, -self._ladj(raw_diag, diag)

    @staticmethod
    def _ladj(raw_diag, diag):
        rows = jnp.arange(diag.shape[-1], dtype=diag.dtype)
        return (rows * jnp.log(diag) - jax.nn.softplus(-raw_diag)).sum(-1)


class CorrCholeskyTransform(_VectorToTril):
    r"""Reals :math:`\mathbb{R}^{K(K-1)/2}` to the Cholesky factor of a correlation matrix.

    As in Stan and NumPyro: the reals become partial correlations
    :math:`t = \tanh x \in (-1, 1)`, placed row-major in the strictly lower triangle, and
    each row is built by signed stick breaking, so it has unit Euclidean norm:

    .. math::

        L_{ij} = t_{ij} \prod_{k<j} \sqrt{1 - t_{ik}^2}\ (j < i), \qquad
        L_{ii} = \prod_{k<i} \sqrt{1 - t_{ik}^2}.

    With respect to the strictly lower entries of :math:`L`, the Jacobian is triangular:

    .. math::

        \log|\det J| = \sum_{i > j} \Bigl(\log(1 - t_{ij}^2)
            + \tfrac12 \sum_{k<j} \log(1 - t_{ik}^2)\Bigr),

    computed with :math:`\log(1 - \tanh^2 x) = 2(\log 2 - x - \operatorname{softplus}(-2x))`
    so that large :math:`|x|` neither overflows nor gives a zero diagonal.

    Example:
        >>> import jax.numpy as jnp
        >>> CorrCholeskyTransform()(jnp.zeros(3))
        Array([[1., 0., 0.],
               [0., 1., 0.],
               [0., 0., 1.]], dtype=float32)
    """

    codomain: ClassVar[Constraint] = constraints.corr_cholesky
    _offset: ClassVar[int] = -1

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        k = _matrix_size(x.shape[-1], -1, "CorrCholeskyTransform")
        log_1m_t2 = 2.0 * (math.log(2.0) - x - jax.nn.softplus(-2.0 * x))
        m = vec_to_tril(log_1m_t2, k, -1)
        # log prod_{k<j} (1 - t_ik^2): exclusive cumulative sum along each row.
        log_remaining = jnp.cumsum(m, axis=-1) - m
        unit = vec_to_tril(jnp.tanh(x), k, -1) + jnp.eye(k, dtype=x.dtype)
        y = unit * jnp.exp(0.5 * log_remaining)
        ladj = log_1m_t2.sum(-1) + 0.5 * tril_to_vec(log_remaining, -1).sum(-1)
        return y, ladj

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        # Stick left before entry j of row i: sum_{k >= j} L_ik^2 (the row has unit norm).
        remaining = jnp.flip(jnp.cumsum(jnp.flip(y * y, -1), -1), -1)
        t = tril_to_vec(y, -1) / jnp.sqrt(tril_to_vec(remaining, -1))
        eps = jnp.finfo(t.dtype).eps
        x = jnp.arctanh(jnp.clip(t, -1.0 + eps, 1.0 - eps))
        return x, -self.forward_and_log_det(x)[1]


# ----------------------------------------------------------------- matrix -> Cholesky factor


class CholeskyTransform(Transform):
    r"""A symmetric positive definite matrix to its lower Cholesky factor, :math:`X = LL^\top`.

    With respect to the lower triangles of :math:`X` and :math:`L`
    (:math:`\det \partial X / \partial L = 2^K \prod_i L_{ii}^{K-i}`, :math:`i = 0..K-1`):

    .. math::

        \log|\det J| = -K \log 2 - \sum_{i=0}^{K-1} (K - i) \log L_{ii}.

    Example:
        >>> import jax.numpy as jnp
        >>> CholeskyTransform()(4.0 * jnp.eye(2))
        Array([[2., 0.],
               [0., 2.]], dtype=float32)
    """

    domain: ClassVar[Constraint] = constraints.positive_definite
    codomain: ClassVar[Constraint] = constraints.lower_cholesky

    @staticmethod
    def _ladj(y):
        log_diag = jnp.log(_diag(y))
        k = log_diag.shape[-1]
        powers = jnp.arange(k, 0, -1, dtype=log_diag.dtype)
        return -k * math.log(2.0) - (powers * log_diag).sum(-1)

    def forward_and_log_det(self, x):
        y = jnp.linalg.cholesky(x)
        return y, self._ladj(y)

    def inverse_and_log_det(self, y):
        return y @ jnp.swapaxes(y, -1, -2), -self._ladj(y)


class CorrMatrixCholeskyTransform(Transform):
    r"""A correlation matrix to its Cholesky factor (rows of unit norm).

    With respect to the strictly lower triangles of :math:`C = LL^\top` and :math:`L`,
    the Jacobian is block triangular with diagonal entries :math:`L_{jj}`:

    .. math::

        \log|\det J| = -\sum_{j=0}^{K-1} (K - 1 - j) \log L_{jj}.

    Example:
        >>> import jax.numpy as jnp
        >>> CorrMatrixCholeskyTransform()(jnp.array([[1.0, 0.6], [0.6, 1.0]]))
        Array([[1. , 0. ],
               [0.6, 0.8]], dtype=float32)
    """

    domain: ClassVar[Constraint] = constraints.corr_matrix
    codomain: ClassVar[Constraint] = constraints.corr_cholesky

    @staticmethod
    def _ladj(y):
        log_diag = jnp.log(_diag(y))
        k = log_diag.shape[-1]
        powers = jnp.arange(k - 1, -1, -1, dtype=log_diag.dtype)
        return -(powers * log_diag).sum(-1)

    def forward_and_log_det(self, x):
        y = jnp.linalg.cholesky(x)
        return y, self._ladj(y)

    def inverse_and_log_det(self, y):
        return y @ jnp.swapaxes(y, -1, -2), -self._ladj(y)
