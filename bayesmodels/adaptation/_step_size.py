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
    r"""Log acceptance ratio :math:`H_0 - H_1` of one integrator step with fresh momentum.

    Args:
        kernel: an HMC-type kernel; its ``integrator`` and ``log_density_fn`` are used.
        key: a PRNG key for the momentum :math:`p \sim \mathcal N(0, M)`.
        state: the chain's state (position, log density and its gradient).
        params: the kernel parameters; only ``inverse_mass_matrix`` is used.
        step_size: the step size to try.

    Returns:
        a scalar: the initial minus the final Hamiltonian (:math:`-\infty` when the
        final one is NaN).
    """
    inverse_mass_matrix = params.inverse_mass_matrix
    momentum = sample_momentum(key, inverse_mass_matrix, state.position)
    start = IntegratorState(state.position, momentum, state.log_density, state.log_density_grad)
    end = integrate_step(kernel.integrator, kernel.log_density_fn, start, step_size, inverse_mass_matrix)
    initial = -state.log_density + kinetic_energy(inverse_mass_matrix, momentum)
    final = -end.log_density + kinetic_energy(inverse_mass_matrix, end.momentum)
    return jnp.where(jnp.isnan(final), -jnp.inf, initial - final)


def find_reasonable_step_size(kernel, key, state: HMCState, params: KernelParams, max_tries: int = 100):
    r"""A step size whose single step is accepted with probability about 0.8 (Stan's
    ``init_stepsize``).

    Starting from ``params.step_size``, each try draws fresh momentum and takes one
    step, giving the log acceptance ratio :math:`\Delta = H_0 - H_1`. The first try
    picks the direction, doubling if :math:`\Delta > \log 0.8`, halving otherwise; the
    step size is then doubled until :math:`\Delta \le \log 0.8` (halved until
    :math:`\Delta \ge \log 0.8`), and the first step size that crosses is returned, so
    after doubling it is the first one accepted with probability at most 0.8 (Hoffman &
    Gelman's algorithm 4 has the same loop with 0.5; the threshold 0.8 is Stan's). A NaN
    final energy counts as :math:`\Delta = -\infty`, a rejection.

    One step is one integrator step (``kernel`` supplies ``log_density_fn`` and
    ``integrator``; see ``leapfrog_log_accept_ratio``), or, for a kernel with a method
    ``trial_log_accept_ratio(key, state, params, step_size)``, whatever that method tries.
    Traceable (a ``lax.while_loop``).

    Args:
        kernel: the kernel whose step is tried (see above).
        key: a PRNG key; try :math:`i` uses ``jax.random.fold_in(key, i)``.
        state: the chain's current state, the point the steps start from.
        params: the kernel parameters; ``step_size`` is the starting step size and
            ``inverse_mass_matrix`` the metric used.
        max_tries: the most steps tried (default 100).

    Returns:
        the step size found, a scalar of ``params.step_size``'s dtype. The search also
        stops, without an error, after ``max_tries`` tries or once the step size leaves
        :math:`(10^{-10}, 10^7)`; it then returns the step size reached (which may lie
        just outside that range).
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
