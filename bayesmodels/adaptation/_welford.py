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
    mean: jax.Array
    m2: jax.Array  # vector (diagonal) or matrix (dense)
    count: jax.Array


def welford_init(dim: int, dense: bool, dtype=None) -> WelfordState:
    dtype = dtype or jnp.result_type(float)
    shape = (dim, dim) if dense else (dim,)
    return WelfordState(jnp.zeros(dim, dtype), jnp.zeros(shape, dtype), jnp.zeros((), jnp.int32))


def welford_update(state: WelfordState, x) -> WelfordState:
    count = state.count + 1
    delta = x - state.mean
    mean = state.mean + delta / count
    if state.m2.ndim == 2:
        m2 = state.m2 + jnp.outer(delta, x - mean)
    else:
        m2 = state.m2 + delta * (x - mean)
    return WelfordState(mean, m2, count)


def welford_final(state: WelfordState, regularize: bool = True):
    """Sample (co)variance, shrunk towards :math:`10^{-3} I` as Stan does when ``regularize``."""
    n = state.count.astype(state.m2.dtype)
    covariance = state.m2 / jnp.maximum(n - 1.0, 1.0)
    if not regularize:
        return covariance
    identity = jnp.eye(state.m2.shape[0], dtype=state.m2.dtype) if state.m2.ndim == 2 else 1.0
    return (n / (n + 5.0)) * covariance + 1e-3 * (5.0 / (n + 5.0)) * identity
