r"""The Barker proposal (Livingstone & Zanella 2022), a gradient-skewed random walk with a
Metropolis-Hastings correction.

Write the inverse mass matrix as :math:`M^{-1} = R R^\top` and move in the whitened
coordinates :math:`u` of :math:`x = R u`, where the gradient is
:math:`g(x) = R^\top \nabla \log\pi(x)`. From :math:`x`, draw
:math:`\xi_i \sim \mathcal N(0, \epsilon^2)` for each coordinate, keep its sign with
probability :math:`\sigma(\xi_i g_i(x))`, :math:`\sigma(t) = 1 / (1 + e^{-t})`, and flip it
otherwise; with :math:`w` the signed increments, propose :math:`y = x + R w`. The proposal
density in :math:`u` is :math:`q(x \to y) = \prod_i 2\,\varphi_\epsilon(w_i)\,\sigma(w_i g_i(x))`,
so (:math:`\varphi_\epsilon` is even, :math:`\log\sigma(t) = -\log(1 + e^{-t})`, and the
linear change of variables cancels) the proposal is accepted with probability
:math:`\min(1, e^{\Delta})`,

.. math::

    \Delta = \log\pi(y) - \log\pi(x)
        + \sum_i \Bigl[\log\bigl(1 + e^{-w_i g_i(x)}\bigr) - \log\bigl(1 + e^{w_i g_i(y)}\bigr)\Bigr].

:math:`R` is :math:`\operatorname{diag}(\sqrt{m})` for a diagonal metric :math:`m`, the
lower Cholesky factor for a dense one, and :math:`S\,(I + V^\top(\Lambda^{1/2} - I)V)` for a
:class:`LowRankMetric`. A proposal whose log density or gradient is NaN (or whose log
density is :math:`+\infty`) is rejected and flagged divergent.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
from jax.nn import softplus

from ._base import AbstractKernel, HMCState, KernelParams, init_state
from ._metric import LowRankMetric

__all__ = ["BarkerInfo", "BarkerKernel"]


class BarkerInfo(NamedTuple):
    r"""What a person wants to know about one Barker transition (ArviZ names).

    Args:
        lp: the log density :math:`\log\pi` at the new state, a scalar.
        acceptance_rate: the Metropolis-Hastings acceptance probability
            :math:`\min(1, e^{\Delta})` of the proposal (0 for an invalid one).
        diverging: True when the proposal's log density or gradient was NaN, or its log
            density :math:`+\infty` (it was then rejected).
    """

    lp: jax.Array
    acceptance_rate: jax.Array
    diverging: jax.Array


def metric_root(inverse_mass_matrix):
    r"""Products with a square root :math:`R` of :math:`M^{-1} = R R^\top`:
    ``(v -> R v, g -> R^T g, d -> R^{-1} d)``. A dense matrix is factorised once per call."""
    if isinstance(inverse_mass_matrix, LowRankMetric):
        scale, vectors, values = inverse_mass_matrix

        def inner(v, power):  # C^p v, C = I + V^T (Lambda^{1/2} - I) V: symmetric, C^2 = I + V^T (Lambda - I) V
            return v + ((values ** (0.5 * power) - 1.0) * (vectors @ v)) @ vectors

        return (lambda v: scale * inner(v, 1)), (lambda g: inner(scale * g, 1)), (lambda d: inner(d / scale, -1))
    if inverse_mass_matrix.ndim == 1:
        root = jnp.sqrt(inverse_mass_matrix)
        return (lambda v: root * v), (lambda g: root * g), (lambda d: d / root)
    cholesky = jnp.linalg.cholesky(inverse_mass_matrix)
    solve = lambda d: jsl.solve_triangular(cholesky, d, lower=True)  # noqa: E731
    return (lambda v: cholesky @ v), (lambda g: cholesky.T @ g), solve


def _log_accept_ratio(log_density_x, grad_x, log_density_y, grad_y, w):
    r""":math:`\Delta` from whitened gradients and the whitened move ``w``; ``-inf`` (and a
    divergence flag) for a NaN or a :math:`+\infty` log density at the proposal."""
    correction = jnp.sum(softplus(-w * grad_x) - softplus(w * grad_y))
    log_ratio = log_density_y - log_density_x + correction
    diverging = jnp.isnan(log_ratio) | (log_density_y == jnp.inf)
    return jnp.where(diverging, -jnp.inf, log_ratio), diverging


class BarkerKernel(AbstractKernel):
    r"""Barker's gradient-skewed proposal with an MH correction, on ``log_density_fn``.

    With :math:`M^{-1} = R R^\top` (:math:`R = \operatorname{diag}(\sqrt{m})` for a
    diagonal metric :math:`m`, the lower Cholesky factor for a dense one, and
    :math:`S\,(I + V^\top(\Lambda^{1/2} - I)V)` for a ``LowRankMetric``) and the whitened
    gradient :math:`g(x) = R^\top \nabla\log\pi(x)`, a transition from :math:`x` draws
    :math:`\xi_i \sim \mathcal N(0, \epsilon^2)` per coordinate, keeps its sign with
    probability :math:`\sigma(\xi_i g_i(x))`, :math:`\sigma(t) = 1 / (1 + e^{-t})`, and flips
    it otherwise; with :math:`w` the signed increments it proposes :math:`y = x + R w` and
    accepts with probability :math:`\min(1, e^{\Delta})`,

    .. math::

        \Delta = \log\pi(y) - \log\pi(x)
            + \sum_i \Bigl[\log\bigl(1 + e^{-w_i g_i(x)}\bigr)
                          - \log\bigl(1 + e^{w_i g_i(y)}\bigr)\Bigr].

    :math:`\epsilon` is ``params.step_size``. A proposal whose log density or gradient is
    NaN (or whose log density is :math:`+\infty`) is rejected and flagged divergent.

    Args:
        log_density_fn: :math:`x \mapsto \log\pi(x)`, a differentiable callable from a
            flat ``[dim]`` array to a scalar.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from bayesmodels.kernels import KernelParams
        >>> kernel = BarkerKernel(lambda x: -0.5 * jnp.sum(x**2))
        >>> state = kernel.init(jnp.zeros(3))
        >>> params = KernelParams(jnp.asarray(1.0), jnp.ones(3))
        >>> state, info = kernel.step(jax.random.PRNGKey(0), state, params)
        >>> state.position.shape, bool(0.0 <= info.acceptance_rate <= 1.0)
        ((3,), True)
    """

    log_density_fn: Callable

    def init(self, position) -> HMCState:
        return init_state(self.log_density_fn, position)

    def empty_info(self, state: HMCState) -> BarkerInfo:
        zero = jnp.zeros_like(state.log_density)
        return BarkerInfo(zero, zero, jnp.bool_(False))

    def propose(self, key, state: HMCState, inverse_mass_matrix, step_size):
        r"""A Barker proposal from ``state``: ``(proposal_state, log_ratio, diverging)``
        with ``log_ratio`` :math:`\Delta` (``-inf`` for an invalid proposal).

        Args:
            key: a JAX PRNG key.
            state: the ``HMCState`` to propose from.
            inverse_mass_matrix: :math:`M^{-1}`: a ``[dim]`` vector, a ``[dim, dim]``
                matrix or a ``LowRankMetric``.
            step_size: the increments' scale :math:`\epsilon`, a scalar.

        Returns:
            ``(proposal, log_ratio, diverging)``: the proposed ``HMCState`` :math:`y` with
            its log density and gradient, the log acceptance ratio :math:`\Delta` (a
            scalar, ``-inf`` when invalid) and the divergence flag (a boolean scalar).
        """
        move, transpose, _ = metric_root(inverse_mass_matrix)
        noise_key, flip_key = jax.random.split(key)
        x = state.position
        xi = step_size * jax.random.normal(noise_key, x.shape, x.dtype)
        grad_x = transpose(state.log_density_grad)
        keep = jax.random.uniform(flip_key, x.shape, x.dtype) < jax.nn.sigmoid(xi * grad_x)
        w = jnp.where(keep, xi, -xi)
        y = x + move(w)
        log_density_y, grad = jax.value_and_grad(self.log_density_fn)(y)
        log_ratio, diverging = _log_accept_ratio(state.log_density, grad_x, log_density_y, transpose(grad), w)
        return HMCState(y, log_density_y, grad), log_ratio, diverging

    def log_accept_ratio(self, state: HMCState, proposal: HMCState, inverse_mass_matrix):
        r""":math:`\Delta` for the move from ``state`` to ``proposal`` (any two states; the
        whitened move is recovered as :math:`w = R^{-1}(y - x)`).

        Args:
            state: the current ``HMCState`` :math:`x`.
            proposal: the proposed ``HMCState`` :math:`y` (with its log density and
                gradient).
            inverse_mass_matrix: :math:`M^{-1}`: a ``[dim]`` vector, a ``[dim, dim]``
                matrix or a ``LowRankMetric``.

        Returns:
            the log acceptance ratio :math:`\Delta`, a scalar (``-inf`` when the proposal's
            log density is NaN or :math:`+\infty`).
        """
        _, transpose, solve = metric_root(inverse_mass_matrix)
        w = solve(proposal.position - state.position)
        return _log_accept_ratio(
            state.log_density,
            transpose(state.log_density_grad),
            proposal.log_density,
            transpose(proposal.log_density_grad),
            w,
        )[0]

    def trial_log_accept_ratio(self, key, state: HMCState, params: KernelParams, step_size):
        r"""Log acceptance ratio of one proposal at ``step_size`` (``-inf`` if invalid); the
        initial step-size search (``find_reasonable_step_size``) calls it.

        Args:
            key: a JAX PRNG key.
            state: the ``HMCState`` to propose from.
            params: the ``KernelParams``; only ``inverse_mass_matrix`` is read.
            step_size: the step size :math:`\epsilon` to try (instead of
                ``params.step_size``).

        Returns:
            :math:`\Delta` of one proposal, a scalar (``-inf`` if invalid).
        """
        return self.propose(key, state, params.inverse_mass_matrix, step_size)[1]

    def step(self, key, state: HMCState, params: KernelParams):
        step_size, inverse_mass_matrix = params
        proposal_key, accept_key = jax.random.split(key)
        proposal, log_ratio, diverging = self.propose(proposal_key, state, inverse_mass_matrix, step_size)
        acceptance_rate = jnp.exp(jnp.minimum(log_ratio, 0.0))
        accept = jax.random.uniform(accept_key, dtype=acceptance_rate.dtype) < acceptance_rate
        new_state = jax.tree.map(lambda new, old: jnp.where(accept, new, old), proposal, state)
        info = BarkerInfo(lp=new_state.log_density, acceptance_rate=acceptance_rate, diverging=diverging)
        return new_state, info
