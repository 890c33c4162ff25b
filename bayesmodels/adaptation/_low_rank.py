r"""nutpie's low-rank modified mass matrix (Seyboldt, Carlson & Carpenter): a diagonal
scale plus the few directions along which the draws *and their gradients* say the
posterior is much wider or narrower than the diagonal alone makes it.

During a slow window the positions :math:`x` feed Welford's variance (the diagonal,
:math:`s = \sqrt{\hat\sigma^2}`, Stan's regularised estimate) and the last :math:`K`
positions and log-density gradients :math:`g` go to two ``[K, dim]`` ring buffers. At the
window's end, with the :math:`n \le K` buffered pairs in scaled coordinates
:math:`y = (x - \bar x)/s` and :math:`h = (g - \bar g)\,s` (rows of :math:`Y, H`):

.. math::

    Q &= \text{an orthonormal basis of } \operatorname{span}\{y_i, h_i\}
        \quad(\text{QR of the } [2K, \mathrm{dim}] \text{ stack, then an SVD of } R),\\
    C_y &= \tfrac1n Q^\top Y^\top Y Q + \rho I, \qquad
    C_h = \tfrac1n Q^\top H^\top H Q + \rho I,\\
    \Sigma &= C_y \,\#\, C_h^{-1}
        = C_h^{-1/2}\bigl(C_h^{1/2} C_y C_h^{1/2}\bigr)^{1/2} C_h^{-1/2},

the SPD geometric mean (the :math:`\Sigma` with :math:`\Sigma C_h \Sigma = C_y`), which
minimises the sample Fisher divergence of a Gaussian: for a Gaussian target with scaled
covariance :math:`A`, :math:`h = -A^{-1}y`, so :math:`C_y \approx A`,
:math:`C_h \approx A^{-1}` and :math:`\Sigma \approx A`. Columns of :math:`Q` that the
buffers do not reach get 1 instead of the ridge :math:`\rho` on both sides, hence
:math:`\Sigma = 1` there. Of :math:`\Sigma = W \operatorname{diag}(\lambda) W^\top` the
:math:`k` eigenpairs farthest from 1 in :math:`|\log\lambda|` are kept, those with
:math:`1/c < \lambda < c` reset to 1 (no correction), and the metric is

.. math::

    M^{-1} = S\bigl(I + V^\top(\Lambda - I)V\bigr)S, \qquad V = (QW_{[:, \text{kept}]})^\top,

a :class:`~bayesmodels.kernels._metric.LowRankMetric`. A non-finite estimate, or fewer
than 3 draws, falls back to the diagonal.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
from jax import lax

from ..kernels._metric import LowRankMetric
from ._welford import WelfordState, welford_final, welford_init, welford_update

__all__ = ["LowRankState", "fisher_eigh", "low_rank_final", "low_rank_init", "low_rank_update"]


class LowRankState(NamedTuple):
    r"""What a slow window has collected for the low-rank metric.

    Args:
        variance: Welford's diagonal estimate over all the window's positions (a
            ``WelfordState`` with ``m2`` of shape ``[dim]``); its ``count`` is the number
            of positions fed.
        draws: ``[K, dim]``, a ring buffer of the window's latest :math:`K` positions (the
            :math:`i`-th position fed goes to slot :math:`i \bmod K`; unfilled rows are 0).
        grads: ``[K, dim]``, the log-density gradients at those positions, slot for slot.
    """

    variance: WelfordState  # of the window's positions: the diagonal
    draws: jax.Array  # [K, dim]: the window's latest K positions (ring buffer, slot count % K)
    grads: jax.Array  # [K, dim]: their log-density gradients


def low_rank_init(dim: int, buffer_size: int, dtype=None) -> LowRankState:
    r"""An empty window: no positions fed, buffers of zeros.

    Args:
        dim: the dimension of the positions.
        buffer_size: :math:`K`, how many of the latest positions (and gradients) to keep.
        dtype: the floating dtype of the estimate and buffers (default: JAX's default
            float).

    Returns:
        a ``LowRankState`` with ``[buffer_size, dim]`` buffers.
    """
    dtype = dtype or jnp.result_type(float)
    empty = jnp.zeros((buffer_size, dim), dtype)
    return LowRankState(welford_init(dim, False, dtype), empty, empty)


def low_rank_update(state: LowRankState, position, grad) -> LowRankState:
    r"""Feed one position and its log-density gradient.

    The position goes to the diagonal Welford estimate, and both to slot
    ``count % K`` of the ring buffers (overwriting the oldest pair once :math:`K` are
    held). Traceable (jit / vmap / scan).

    Args:
        state: the window so far.
        position: the new position ``[dim]``.
        grad: the log-density gradient at ``position`` ``[dim]``.

    Returns:
        the updated ``LowRankState``.
    """
    slot = state.variance.count % state.draws.shape[0]
    draws = lax.dynamic_update_index_in_dim(state.draws, position.astype(state.draws.dtype), slot, 0)
    grads = lax.dynamic_update_index_in_dim(state.grads, grad.astype(state.grads.dtype), slot, 0)
    return LowRankState(welford_update(state.variance, position), draws, grads)


_RANK_TOLERANCE = 1e-5  # singular values below this fraction of the largest count as 0


def _span(rows):
    """An orthonormal basis ``[dim, m]`` of the row space of ``rows`` (``m = min(rows,
    dim)``), ordered by decreasing singular value, and those singular values: a QR, then
    the SVD of the small triangular factor."""
    basis, triangular = jnp.linalg.qr(rows.T)
    left, singular, _ = jnp.linalg.svd(triangular)
    return basis @ left, singular


def fisher_eigh(draw_factor, grad_factor):
    r"""Eigenvalues (descending) and eigenvectors of :math:`\Sigma = C_x \# C_g^{-1}`, the
    SPD solution of :math:`\Sigma C_g \Sigma = C_x`, given factors
    :math:`C_x = X^\top X` and :math:`C_g = Z^\top Z` (``[rows, m]``, full column rank).

    With :math:`C_g = R^\top R` (QR of :math:`Z`) the equation reads
    :math:`(R\Sigma R^\top)^2 = (XR^\top)^\top(XR^\top)`, so from the SVD
    :math:`XR^\top = W\operatorname{diag}(\sigma)V^\top`,
    :math:`\Sigma = BB^\top` with :math:`B = R^{-1}V\operatorname{diag}(\sigma)^{1/2}`,
    whose SVD gives the eigenpairs. Working with factors, never with
    :math:`C_g^{1/2} C_x C_g^{1/2}`, keeps the condition numbers from squaring: float32
    holds them.

    Args:
        draw_factor: :math:`X`, ``[r, m]``: :math:`C_x = X^\top X`.
        grad_factor: :math:`Z`, ``[r', m]`` with :math:`r' \ge m` and full column rank
            (:math:`C_g = Z^\top Z` must be invertible).

    Returns:
        ``(values, vectors)``: the eigenvalues of :math:`\Sigma`, ``[min(r, m)]`` in
        decreasing order, and the matching eigenvectors as the columns of ``vectors``
        ``[m, min(r, m)]`` (all :math:`m` of them when :math:`r \ge m`, as
        ``low_rank_final`` calls it).
    """
    triangular = jnp.linalg.qr(grad_factor, mode="r")
    _, singular, right = jnp.linalg.svd(draw_factor @ triangular.T, full_matrices=False)
    root = jsl.solve_triangular(triangular, right.T * jnp.sqrt(singular), lower=False)
    vectors, root_singular, _ = jnp.linalg.svd(root, full_matrices=False)
    return root_singular**2, vectors


def _one_chain_at_a_time(fn):
    """``fn``, which under ``vmap`` runs once per batch element (``lax.map``) instead of
    batched. jaxlib's batched LAPACK kernels on CPU fan a batch out over the intra-op
    thread pool from *inside* that pool and block on it, so two of them at once (or one
    per host device) can deadlock a small machine; unbatched calls run inline."""
    wrapped = jax.custom_batching.custom_vmap(fn)

    @wrapped.def_vmap
    def _rule(axis_size, in_batched, *args):
        args = [
            x if batched else jnp.broadcast_to(x, (axis_size,) + jnp.shape(x)) for x, batched in zip(args, in_batched)
        ]
        out = lax.map(lambda xs: wrapped(*xs), tuple(args))
        return out, jax.tree.map(lambda _: True, out)

    return wrapped


def _directions(draws, grads, scale, count, *, rank: int, ridge: float):
    """The ``rank`` eigenpairs of the window's Fisher covariance (scaled coordinates)
    farthest from 1: ``values [rank]`` and ``vectors [rank, dim]``."""
    buffer_size = draws.shape[0]
    n = jnp.maximum(count, 1).astype(scale.dtype)
    filled = (jnp.arange(buffer_size) < count)[:, None]

    def scaled(rows, factor):
        mean = jnp.sum(jnp.where(filled, rows, 0.0), axis=0) / n
        return jnp.where(filled, (rows - mean) * factor, 0.0)

    draws, grads = scaled(draws, 1.0 / scale), scaled(grads, scale)
    basis, spread = _span(jnp.concatenate([draws, grads]))
    # directions the buffers do not reach (fewer draws than K, or dim > 2(n - 1)) get
    # covariance 1 on both sides, so a mean of exactly 1, the others the ridge
    empty = spread <= _RANK_TOLERANCE * spread[0]
    padding = jnp.diag(jnp.sqrt(jnp.where(empty, 1.0, ridge)).astype(scale.dtype))
    root_n = jnp.sqrt(n)
    values, vectors = fisher_eigh(
        jnp.concatenate([draws @ basis / root_n, padding]), jnp.concatenate([grads @ basis / root_n, padding])
    )
    _, kept = lax.top_k(jnp.abs(jnp.log(jnp.maximum(values, jnp.finfo(values.dtype).tiny))), rank)
    return values[kept], (basis @ vectors[:, kept]).T


def low_rank_final(
    state: LowRankState, rank: int, *, cutoff: float = 2.0, ridge: float = 1e-3, regularize: bool = True
) -> LowRankMetric:
    r"""The window's metric: Stan's diagonal and at most ``rank`` corrected directions.

    The scale is :math:`s = \sqrt{\hat\sigma^2}`, from the Welford variance of all the
    window's positions (see ``welford_final``). The :math:`n = \min(\text{count}, K)`
    buffered pairs, centred on their own means and scaled, :math:`y = (x - \bar x)/s`
    and :math:`h = (g - \bar g)\,s` (rows of :math:`Y, H`), span a subspace with
    orthonormal basis :math:`Q` ``[dim, m]``, :math:`m = \min(\mathrm{dim}, 2K)`; on it

    .. math::

        C_y = \tfrac1n Q^\top Y^\top Y Q + P, \qquad
        C_h = \tfrac1n Q^\top H^\top H Q + P, \qquad
        \Sigma = C_y \,\#\, C_h^{-1} = W \operatorname{diag}(\lambda) W^\top

    (``fisher_eigh``), where :math:`P` is diagonal with :math:`\rho` = ``ridge`` for the
    directions the buffers reach and 1 for those they do not (so :math:`\lambda = 1`
    there). Of the eigenpairs the ``rank`` with the largest :math:`|\log\lambda|` are
    kept, the values with :math:`1/c < \lambda < c` (:math:`c` = ``cutoff``) set to 1,
    and

    .. math::

        M^{-1} = S\bigl(I + V^\top(\Lambda - I)V\bigr)S, \qquad S = \operatorname{diag}(s),
        \quad V = (Q W_{[:, \text{kept}]})^\top.

    If fewer than 3 pairs were buffered, or an eigenpair is not finite or a value not
    positive, all values are 1 and the vectors 0: the diagonal metric :math:`s^2`.
    Traceable; under ``vmap`` the eigen-decomposition runs one chain at a time.

    Args:
        state: the window's collected positions and gradients.
        rank: :math:`k`, the number of directions to keep (at most
            :math:`\min(\mathrm{dim}, 2K)`).
        cutoff: :math:`c \ge 1`; eigenvalues in :math:`(1/c, c)` are set to 1, leaving
            their directions uncorrected (default 2).
        ridge: :math:`\rho`, added to the diagonal of both scaled covariances in the
            directions the buffers reach (default ``1e-3``).
        regularize: shrink the diagonal variance towards :math:`10^{-3}` as Stan does
            (default ``True``).

    Returns:
        a ``LowRankMetric`` with ``scale`` :math:`s` ``[dim]``, ``vectors`` :math:`V`
        ``[rank, dim]`` (orthonormal rows; 0 in the fallback) and ``values``
        :math:`\lambda` ``[rank]``.
    """
    scale = jnp.sqrt(welford_final(state.variance, regularize))
    count = jnp.minimum(state.variance.count, state.draws.shape[0])
    directions = _one_chain_at_a_time(functools.partial(_directions, rank=rank, ridge=ridge))
    values, vectors = directions(state.draws, state.grads, scale, count)
    values = jnp.where((values > 1.0 / cutoff) & (values < cutoff), 1.0, values)
    usable = (count >= 3) & jnp.all(jnp.isfinite(values)) & jnp.all(values > 0) & jnp.all(jnp.isfinite(vectors))
    return LowRankMetric(scale, jnp.where(usable, vectors, 0.0), jnp.where(usable, values, 1.0))
