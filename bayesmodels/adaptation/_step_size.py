r"""A first step size by doubling or halving (Stan's ``init_stepsize``; Hoffman & Gelman
2014, algorithm 4).

From the current point, one integrator step with fresh momentum has log acceptance ratio
:math:`\Delta = H_0 - H_1`. If :math:`\Delta > \log 0.8` the step size is doubled until
it is not; otherwise halved until it is, each try with new momentum.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from ..kernels import HMCState, IntegratorState, KernelParams, integrate_step, kinetic_energy, sample_momentum

__all__ = ["find_reasonable_step_size", "leapfrog_log_accept_ratio"]

_LOG_TARGET = math.log(0.8)


def leapfrog_log_accept_ratio(kernel, key, state: HMCState, params: KernelParams, step_size):
    """Log acceptance ratio of one integrator step with fresh momentum (NaN: ``-inf``)."""
    inverse_mass_matrix = params.inverse_mass_matrix
    momentum = sample_momentum(key, inverse_mass_matrix, state.position)
    start = IntegratorState(state.position, momentum, state.log_density, state.log_density_grad)
    end = integrate_step(kernel.integrator, kernel.log_density_fn, start, step_size, inverse_mass_matrix)
    initial = -state.log_density + kinetic_energy(inverse_mass_matrix, momentum)
    final = -end.log_density + kinetic_energy(inverse_mass_matrix, end.momentum)
    return jnp.where(jnp.isnan(final), -jnp.inf, initial - final)


def find_reasonable_step_size(kernel, key, state: HMCState, params: KernelParams, max_tries: int = 100):
    """A step size whose single step is accepted with probability about 0.8.

    One step is one integrator step (``kernel`` supplies ``log_density_fn`` and
    ``integrator``), or, for a kernel with a method
    ``trial_log_accept_ratio(key, state, params, step_size)``, whatever that method tries.
    """
    trial = getattr(kernel, "trial_log_accept_ratio", None)

    def log_accept_ratio(step_size, key):
        if trial is not None:
            return trial(key, state, params, step_size)
        return leapfrog_log_accept_ratio(kernel, key, state, params, step_size)

    def keep_going(carry):
        step_size, _, done, tries = carry
        in_range = (step_size < 1e7) & (step_size > 1e-10)
        return ~done & in_range & (tries < max_tries)

    def try_step_size(carry):
        step_size, direction, _, tries = carry
        log_ratio = log_accept_ratio(step_size, jax.random.fold_in(key, tries))
        # the first try only tells which way to go
        direction = jnp.where(direction == 0, jnp.where(log_ratio > _LOG_TARGET, 1, -1), direction)
        crossed = jnp.where(direction > 0, log_ratio <= _LOG_TARGET, log_ratio >= _LOG_TARGET)
        done = crossed & (tries > 0)
        factor = jnp.where(direction > 0, 2.0, 0.5).astype(step_size.dtype)
        return jnp.where(done, step_size, step_size * factor), direction, done, tries + 1

    start = (params.step_size, jnp.int32(0), jnp.bool_(False), jnp.int32(0))
    step_size, _, _, _ = lax.while_loop(keep_going, try_step_size, start)
    return step_size
