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
    params: KernelParams
    dual_averaging: DualAveragingState
    covariance: Union[WelfordState, LowRankState]  # LowRankState with low_rank_mass


class WindowAdaptation(eqx.Module):
    """Step size by dual averaging and a diagonal, dense or low-rank modified metric from
    windowed draws (and, for the low-rank one, their gradients)."""

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
        return warmup_schedule(
            num_warmup, adapt_step_size=self.adapt_step_size, adapt_mass_matrix=self.adapt_mass_matrix
        )

    def init(self, params: KernelParams) -> WarmupState:
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
        """A fresh step-size search at the current point, and dual averaging from it."""
        step_size = find_reasonable_step_size(kernel, key, chain_state, state.params)
        return WarmupState(
            KernelParams(step_size, state.params.inverse_mass_matrix), dual_averaging_init(step_size), state.covariance
        )

    def update(
        self, state: WarmupState, flags, position, acceptance_rate, grad: Optional[jax.Array] = None
    ) -> WarmupState:
        """After a warm-up step: ``flags`` has the schedule's ``collect``, ``window_end``, ``last``;
        ``grad`` (the log-density gradient at ``position``) is needed with ``low_rank_mass``."""
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
        return state.params
