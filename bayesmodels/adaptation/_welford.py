r"""Welford's streaming mean and (co)variance, and Stan's regularised estimate.

.. math::

    n \leftarrow n + 1,\quad \delta = x - \bar x,\quad \bar x \leftarrow \bar x + \delta / n,
    \quad C \leftarrow C + \delta\,(x - \bar x)^\top,

so :math:`C / (n - 1)` is the sample covariance (only the diagonal in the diagonal case).
The regularised estimate shrinks it towards :math:`10^{-3} I`:

.. math::

    \hat\Sigma = \frac{n}{n + 5}\,\frac{C}{n - 1} + 10^{-3}\,\frac{5}{n + 5}\,I.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["WelfordState", "welford_final", "welford_init", "welford_update"]


class WelfordState(NamedTuple):
    r"""Welford's running sums over the :math:`n` vectors seen so far.

    Args:
        mean: :math:`\bar x`, their mean ``[dim]``.
        m2: :math:`C`, the sum of squared deviations from the mean: ``[dim]`` (the
            diagonal only) or ``[dim, dim]`` (the full matrix, for a dense metric).
        count: :math:`n`, how many vectors were fed (an ``int32`` scalar).
    """

    mean: jax.Array
    m2: jax.Array  # vector (diagonal) or matrix (dense)
    count: jax.Array


def welford_init(dim: int, dense: bool, dtype=None) -> WelfordState:
    r"""An empty estimate (:math:`n = 0`) of the (co)variance of ``dim``-vectors.

    Args:
        dim: the length of the vectors to be fed.
        dense: keep the full ``[dim, dim]`` matrix :math:`C` if true, else only its
            diagonal ``[dim]``.
        dtype: the floating dtype of ``mean`` and ``m2`` (default: JAX's default float,
            ``float32`` unless x64 is enabled).

    Returns:
        a ``WelfordState`` of zeros.
    """
    dtype = dtype or jnp.result_type(float)
    shape = (dim, dim) if dense else (dim,)
    return WelfordState(jnp.zeros(dim, dtype), jnp.zeros(shape, dtype), jnp.zeros((), jnp.int32))


def welford_update(state: WelfordState, x) -> WelfordState:
    r"""Feed one vector ``x``: Welford's update

    .. math::

        n \leftarrow n + 1,\quad \delta = x - \bar x,\quad \bar x \leftarrow \bar x + \delta / n,
        \quad C \leftarrow C + \delta\,(x - \bar x)^\top

    (with the new :math:`\bar x`; elementwise :math:`\delta \odot (x - \bar x)` in the
    diagonal case). Traceable (jit / vmap / scan).

    Args:
        state: the estimate so far.
        x: the new vector ``[dim]``.

    Returns:
        the updated ``WelfordState``.
    """
    count = state.count + 1
    delta = x - state.mean
    mean = state.mean + delta / count
    if state.m2.ndim == 2:
        m2 = state.m2 + jnp.outer(delta, x - mean)
    else:
        m2 = state.m2 + delta * (x - mean)
    return WelfordState(mean, m2, count)


def welford_final(state: WelfordState, regularize: bool = True):
    r"""The sample (co)variance, shrunk towards :math:`10^{-3} I` as Stan does when ``regularize``.

    .. math::

        \hat\Sigma = \frac{C}{n - 1}, \qquad\text{or, regularised,}\qquad
        \hat\Sigma = \frac{n}{n + 5}\,\frac{C}{n - 1} + 10^{-3}\,\frac{5}{n + 5}\,I.

    With :math:`n \le 1` the divisor :math:`n - 1` is taken as 1 (so no draws give 0, or
    :math:`10^{-3}` regularised).

    Args:
        state: the estimate after :math:`n` vectors.
        regularize: shrink the estimate towards :math:`10^{-3} I` (default ``True``).

    Returns:
        the estimate, of ``state.m2``'s shape: the variances ``[dim]`` (diagonal state) or
        the covariance matrix ``[dim, dim]`` (dense state).

    Example:
        >>> import jax.numpy as jnp
        >>> from bayesmodels.adaptation import welford_final, welford_init, welford_update
        >>> state = welford_init(2, dense=False)
        >>> for x in ([1.0, 0.0], [2.0, 0.0], [3.0, 3.0]):
        ...     state = welford_update(state, jnp.array(x))
        >>> [round(float(v), 4) for v in welford_final(state, regularize=False)]
        [1.0, 3.0]
        >>> [round(float(v), 3) for v in welford_final(state)]  # 3/8 * var + 5/8 * 0.001
        [0.376, 1.126]
    """
    n = state.count.astype(state.m2.dtype)
    covariance = state.m2 / jnp.maximum(n - 1.0, 1.0)
    if not regularize:
        return covariance
    identity = jnp.eye(state.m2.shape[0], dtype=state.m2.dtype) if state.m2.ndim == 2 else 1.0
    return (n / (n + 5.0)) * covariance + 1e-3 * (5.0 / (n + 5.0)) * identity
