r"""Stan's windowed warm-up as one init / update / final triple.

The state holds the kernel parameters in use (step size, inverse mass matrix), the dual
averaging state and the running (co)variance. Each warm-up iteration is driven by the
flags of :func:`warmup_schedule`: ``restart`` (search the step size, restart dual
averaging) before the kernel step; after it, dual averaging on the acceptance statistic,
the position fed to the (co)variance during slow windows, the metric replaced at the end
of each window, and the averaged step size fixed at the last iteration.
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp

from ..kernels import HMCState, KernelParams
from ._dual_averaging import DualAveragingState, dual_averaging_final, dual_averaging_init, dual_averaging_update
from ._schedule import WarmupSchedule, warmup_schedule
from ._step_size import find_reasonable_step_size
from ._welford import WelfordState, welford_final, welford_init, welford_update

__all__ = ["WarmupState", "WindowAdaptation"]


class WarmupState(NamedTuple):
    params: KernelParams
    dual_averaging: DualAveragingState
    covariance: WelfordState


class WindowAdaptation(eqx.Module):
    """Step size by dual averaging and a diagonal or dense metric from windowed draws."""

    adapt_step_size: bool = eqx.field(static=True, default=True)
    adapt_mass_matrix: bool = eqx.field(static=True, default=True)
    dense_mass: bool = eqx.field(static=True, default=False)
    target_accept_prob: float = eqx.field(static=True, default=0.8)
    gamma: float = eqx.field(static=True, default=0.05)
    t0: float = eqx.field(static=True, default=10.0)
    kappa: float = eqx.field(static=True, default=0.75)
    regularize: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        if not 0.0 < self.target_accept_prob < 1.0:
            raise ValueError(f"target_accept_prob must be in (0, 1), got {self.target_accept_prob}")

    def schedule(self, num_warmup: int) -> WarmupSchedule:
        return warmup_schedule(
            num_warmup, adapt_step_size=self.adapt_step_size, adapt_mass_matrix=self.adapt_mass_matrix
        )

    def init(self, params: KernelParams) -> WarmupState:
        dim = params.inverse_mass_matrix.shape[0]
        dtype = params.inverse_mass_matrix.dtype
        return WarmupState(params, dual_averaging_init(params.step_size), welford_init(dim, self.dense_mass, dtype))

    def restart(self, kernel, key, state: WarmupState, chain_state: HMCState) -> WarmupState:
        """A fresh step-size search at the current point, and dual averaging from it."""
        step_size = find_reasonable_step_size(kernel, key, chain_state, state.params)
        return WarmupState(
            KernelParams(step_size, state.params.inverse_mass_matrix), dual_averaging_init(step_size), state.covariance
        )

    def update(self, state: WarmupState, flags, position, acceptance_rate) -> WarmupState:
        """After a warm-up step: ``flags`` has the schedule's ``collect``, ``window_end``, ``last``."""
        step_size, inverse_mass_matrix = state.params
        averaging, covariance = state.dual_averaging, state.covariance
        if self.adapt_step_size:
            averaging = dual_averaging_update(
                averaging, acceptance_rate, self.target_accept_prob, gamma=self.gamma, t0=self.t0, kappa=self.kappa
            )
            step_size = jnp.where(flags.last, dual_averaging_final(averaging), jnp.exp(averaging.log_step_size))
        if self.adapt_mass_matrix:
            collected = welford_update(covariance, position)
            covariance = jax.tree.map(lambda new, old: jnp.where(flags.collect, new, old), collected, covariance)
            estimate = welford_final(covariance, self.regularize)
            inverse_mass_matrix = jnp.where(flags.window_end, estimate, inverse_mass_matrix)
            fresh = welford_init(position.shape[0], self.dense_mass, position.dtype)
            covariance = jax.tree.map(lambda new, old: jnp.where(flags.window_end, new, old), fresh, covariance)
        return WarmupState(KernelParams(step_size, inverse_mass_matrix), averaging, covariance)

    def final(self, state: WarmupState) -> KernelParams:
        return state.params
