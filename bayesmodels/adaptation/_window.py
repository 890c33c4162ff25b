r"""Stan's windowed warm-up as one init / update / final triple.

The state holds the kernel parameters in use (step size, inverse mass matrix), the dual
averaging state and the running (co)variance. Each warm-up iteration is driven by the
flags of :func:`warmup_schedule`: ``restart`` (search the step size, restart dual
averaging) before the kernel step; after it, dual averaging on the acceptance statistic,
the position fed to the (co)variance during slow windows, the metric replaced at the end
of each window, and the averaged step size fixed at the last iteration.

With ``low_rank_mass = k > 0`` the metric is nutpie's low-rank modified mass matrix
(:mod:`._low_rank`): the same windows also keep the latest positions with their
gradients, and each window's end adds up to ``k`` corrected directions to Stan's
diagonal.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Union

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax

from ..kernels import HMCState, KernelParams
from ..kernels._metric import LowRankMetric
from ._dual_averaging import DualAveragingState, dual_averaging_final, dual_averaging_init, dual_averaging_update
from ._low_rank import LowRankState, low_rank_final, low_rank_init, low_rank_update
from ._schedule import WarmupSchedule, warmup_schedule
from ._step_size import find_reasonable_step_size
from ._welford import WelfordState, welford_final, welford_init, welford_update

__all__ = ["WarmupState", "WindowAdaptation"]


class WarmupState(NamedTuple):
    """The warm-up's state for one chain.

    Args:
        params: the ``KernelParams`` in use: ``step_size`` and ``inverse_mass_matrix`` (a
            vector ``[dim]``, a matrix ``[dim, dim]`` or a ``LowRankMetric``).
        dual_averaging: the step size's ``DualAveragingState``.
        covariance: the current slow window's estimate: a ``WelfordState`` (diagonal or
            dense), or a ``LowRankState`` with ``low_rank_mass > 0``.
    """

    params: KernelParams
    dual_averaging: DualAveragingState
    covariance: Union[WelfordState, LowRankState]  # LowRankState with low_rank_mass


class WindowAdaptation(eqx.Module):
    r"""Step size by dual averaging and a diagonal, dense or low-rank modified metric from
    windowed draws (and, for the low-rank one, their gradients): Stan's windowed warm-up.

    ``schedule(num_warmup)`` gives the per-iteration flags (:func:`warmup_schedule`). At
    each warm-up iteration a sampler calls ``restart`` before the kernel step where the
    ``restart`` flag is set, and ``update`` after it; ``final`` gives the parameters to
    sample with. The step size follows :func:`dual_averaging_update` (fixed to the
    averaged :math:`\bar\epsilon` at the last iteration); at the end of each slow window
    the metric becomes the window's regularised (co)variance (:func:`welford_final`) or,
    with ``low_rank_mass = k > 0``, nutpie's low-rank modified metric
    (:func:`low_rank_final`).

    Args:
        adapt_step_size: adapt the step size by dual averaging, searching a fresh one
            (:func:`find_reasonable_step_size`) at the start and after each slow window
            that does not end the warm-up (default ``True``).
        adapt_mass_matrix: estimate the metric in slow windows (default ``True``).
        dense_mass: estimate a dense ``[dim, dim]`` inverse mass matrix instead of a
            diagonal one (default ``False``; not with ``low_rank_mass``).
        target_accept_prob: :math:`\delta`, the acceptance statistic dual averaging aims
            for, in :math:`(0, 1)` (default 0.8).
        gamma: :math:`\gamma` of dual averaging (default 0.05).
        t0: :math:`t_0` of dual averaging (default 10).
        kappa: :math:`\kappa` of dual averaging (default 0.75).
        regularize: shrink each (co)variance estimate towards :math:`10^{-3} I` as Stan
            does (default ``True``).
        low_rank_mass: :math:`k`, the number of corrected directions of a low-rank
            modified metric; 0 (the default) for a plain diagonal or dense metric. The
            initial ``inverse_mass_matrix`` must then be a ``LowRankMetric``, and its
            number of slots is the number of directions estimated (samplers start from
            ``LowRankMetric.diagonal(variance, min(k, dim))``).
        low_rank_buffer: :math:`K`, how many of each window's latest draws (and
            gradients) the low-rank estimate uses; at least ``low_rank_mass``
            (default 100).
        low_rank_cutoff: :math:`c \ge 1`; estimated eigenvalues in :math:`(1/c, c)` are
            set to 1 (default 2).
        low_rank_ridge: :math:`\rho`, the ridge of the low-rank estimate's scaled
            covariances (default ``1e-3``).

    Raises:
        ValueError: if ``target_accept_prob`` is not in :math:`(0, 1)`, ``low_rank_mass``
            is negative, ``low_rank_mass > 0`` comes with ``dense_mass=True`` or with
            ``low_rank_buffer < low_rank_mass``, or ``low_rank_cutoff < 1``.
    """

    adapt_step_size: bool = eqx.field(static=True, default=True)
    adapt_mass_matrix: bool = eqx.field(static=True, default=True)
    dense_mass: bool = eqx.field(static=True, default=False)
    target_accept_prob: float = eqx.field(static=True, default=0.8)
    gamma: float = eqx.field(static=True, default=0.05)
    t0: float = eqx.field(static=True, default=10.0)
    kappa: float = eqx.field(static=True, default=0.75)
    regularize: bool = eqx.field(static=True, default=True)
    low_rank_mass: int = eqx.field(static=True, default=0)  # corrected directions; 0: off
    low_rank_buffer: int = eqx.field(static=True, default=100)  # draws (and gradients) kept per window
    low_rank_cutoff: float = eqx.field(static=True, default=2.0)  # eigenvalues in (1/c, c) are set to 1
    low_rank_ridge: float = eqx.field(static=True, default=1e-3)

    def __check_init__(self):
        if not 0.0 < self.target_accept_prob < 1.0:
            raise ValueError(f"target_accept_prob must be in (0, 1), got {self.target_accept_prob}")
        if self.low_rank_mass < 0:
            raise ValueError(f"low_rank_mass must be a non-negative integer, got {self.low_rank_mass}")
        if self.low_rank_mass and self.dense_mass:
            raise ValueError(
                f"low_rank_mass={self.low_rank_mass} and dense_mass=True conflict: the low-rank metric is a "
                "diagonal plus a few directions; pick one (low_rank_mass=0 for a dense metric)"
            )
        if self.low_rank_mass and self.low_rank_buffer < self.low_rank_mass:
            raise ValueError(
                f"low_rank_buffer={self.low_rank_buffer} draws cannot estimate low_rank_mass={self.low_rank_mass} "
                "directions: keep at least as many draws as directions"
            )
        if self.low_rank_mass and not self.low_rank_cutoff >= 1.0:
            raise ValueError(f"low_rank_cutoff must be at least 1, got {self.low_rank_cutoff}")

    def schedule(self, num_warmup: int) -> WarmupSchedule:
        """The warm-up's per-iteration flags, with Stan's default buffers (75 / 25 / 50).

        Args:
            num_warmup: the number of warm-up iterations.

        Returns:
            ``warmup_schedule(num_warmup)`` with this adaptation's ``adapt_step_size`` and
            ``adapt_mass_matrix``.
        """
        return warmup_schedule(
            num_warmup, adapt_step_size=self.adapt_step_size, adapt_mass_matrix=self.adapt_mass_matrix
        )

    def init(self, params: KernelParams) -> WarmupState:
        """The warm-up state at the start, from the initial kernel parameters.

        Args:
            params: the initial ``KernelParams``: a positive ``step_size`` and an
                ``inverse_mass_matrix`` that is a vector ``[dim]`` (diagonal), a matrix
                ``[dim, dim]`` (dense) or, exactly when ``low_rank_mass > 0``, a
                ``LowRankMetric``.

        Returns:
            a ``WarmupState`` with ``params``, dual averaging started from its step size
            and an empty (co)variance estimate.

        Raises:
            ValueError: if ``params.inverse_mass_matrix`` is a ``LowRankMetric`` and
                ``low_rank_mass`` is 0, or the other way round.
        """
        if bool(self.low_rank_mass) != isinstance(params.inverse_mass_matrix, LowRankMetric):
            raise ValueError(
                f"WindowAdaptation(low_rank_mass={self.low_rank_mass}) got a "
                f"{type(params.inverse_mass_matrix).__name__} inverse mass matrix: low_rank_mass > 0 goes with a "
                "LowRankMetric (LowRankMetric.diagonal(variance, k) to start), 0 with a vector or matrix"
            )
        if self.low_rank_mass:
            scale = params.inverse_mass_matrix.scale
            estimate = low_rank_init(scale.shape[0], self.low_rank_buffer, scale.dtype)
            return WarmupState(params, dual_averaging_init(params.step_size), estimate)
        dim = params.inverse_mass_matrix.shape[0]
        dtype = params.inverse_mass_matrix.dtype
        return WarmupState(params, dual_averaging_init(params.step_size), welford_init(dim, self.dense_mass, dtype))

    def restart(self, kernel, key, state: WarmupState, chain_state: HMCState) -> WarmupState:
        """A fresh step-size search at the current point, and dual averaging from it.

        Args:
            kernel: the kernel being adapted (passed to ``find_reasonable_step_size``).
            key: a PRNG key for the search.
            state: the warm-up state.
            chain_state: the chain's current ``HMCState``, where the search starts.

        Returns:
            ``state`` with the step size found and dual averaging restarted from it; the
            metric and its estimate are kept.
        """
        step_size = find_reasonable_step_size(kernel, key, chain_state, state.params)
        return WarmupState(
            KernelParams(step_size, state.params.inverse_mass_matrix), dual_averaging_init(step_size), state.covariance
        )

    def update(
        self, state: WarmupState, flags, position, acceptance_rate, grad: Optional[jax.Array] = None
    ) -> WarmupState:
        r"""Adapt after a warm-up step.

        With ``adapt_step_size``, one :func:`dual_averaging_update` with
        ``acceptance_rate``; the step size becomes :math:`\epsilon_t`, or the averaged
        :math:`\bar\epsilon_t` where ``flags.last``. With ``adapt_mass_matrix``,
        ``position`` (and ``grad``) are fed to the estimate where ``flags.collect``, and
        where ``flags.window_end`` the metric is replaced by the estimate and the estimate
        emptied. Traceable (the flags may be traced).

        Args:
            state: the warm-up state.
            flags: this iteration's flags: anything with boolean scalar attributes
                ``collect``, ``window_end`` and ``last`` (one entry of a
                ``WarmupSchedule``).
            position: the chain's new position ``[dim]``.
            acceptance_rate: the step's acceptance statistic.
            grad: the log-density gradient at ``position`` ``[dim]``; needed with
                ``low_rank_mass > 0``, else unused.

        Returns:
            the updated ``WarmupState``.

        Raises:
            ValueError: if ``low_rank_mass > 0`` (with ``adapt_mass_matrix``) and
                ``grad`` is ``None``.
        """
        step_size, inverse_mass_matrix = state.params
        averaging, covariance = state.dual_averaging, state.covariance
        if self.adapt_step_size:
            averaging = dual_averaging_update(
                averaging, acceptance_rate, self.target_accept_prob, gamma=self.gamma, t0=self.t0, kappa=self.kappa
            )
            step_size = jnp.where(flags.last, dual_averaging_final(averaging), jnp.exp(averaging.log_step_size))
        if self.adapt_mass_matrix and self.low_rank_mass:
            inverse_mass_matrix, covariance = self._update_low_rank(
                flags, inverse_mass_matrix, covariance, position, grad
            )
        elif self.adapt_mass_matrix:
            collected = welford_update(covariance, position)
            covariance = jax.tree.map(lambda new, old: jnp.where(flags.collect, new, old), collected, covariance)
            estimate = welford_final(covariance, self.regularize)
            inverse_mass_matrix = jnp.where(flags.window_end, estimate, inverse_mass_matrix)
            fresh = welford_init(position.shape[0], self.dense_mass, position.dtype)
            covariance = jax.tree.map(lambda new, old: jnp.where(flags.window_end, new, old), fresh, covariance)
        return WarmupState(KernelParams(step_size, inverse_mass_matrix), averaging, covariance)

    def _update_low_rank(self, flags, metric, estimate: LowRankState, position, grad):
        """Branches (not selects) on the flags: they are the same for every chain, and the
        buffers are too big to copy, and the estimate too costly to form, every iteration."""
        if grad is None:
            raise ValueError("WindowAdaptation.update: low_rank_mass needs the log-density gradient at `position`")
        estimate = lax.cond(flags.collect, lambda: low_rank_update(estimate, position, grad), lambda: estimate)

        def window_end():
            new_metric = low_rank_final(
                estimate,
                metric.values.shape[0],
                cutoff=self.low_rank_cutoff,
                ridge=self.low_rank_ridge,
                regularize=self.regularize,
            )
            return new_metric, low_rank_init(position.shape[0], self.low_rank_buffer, position.dtype)

        return lax.cond(flags.window_end, window_end, lambda: (metric, estimate))

    def final(self, state: WarmupState) -> KernelParams:
        """The parameters to sample with after warm-up.

        Args:
            state: the warm-up state after the last warm-up iteration.

        Returns:
            ``state.params``: the adapted step size and inverse mass matrix.
        """
        return state.params
