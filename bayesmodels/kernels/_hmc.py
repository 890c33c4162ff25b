r"""Hamiltonian Monte Carlo with a fixed trajectory (Neal 2011).

Draw :math:`p \sim \mathcal N(0, M)`, integrate :math:`L` steps of size :math:`\epsilon`
from :math:`(q, p)` to :math:`(q', p')`, and accept with probability

.. math::

    \min\bigl(1, \exp(H(q, p) - H(q', p'))\bigr), \qquad H(q, p) = -\log\pi(q) + K(p).

:math:`L` is ``num_steps``, or :math:`\lceil \mathrm{trajectory\_length} / \epsilon \rceil`
(capped at ``max_num_steps``) so that adapting :math:`\epsilon` keeps the trajectory
length. A transition whose energy error exceeds ``max_energy_error`` (or is NaN) is
rejected and flagged divergent.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax

from ._base import AbstractKernel, HMCState, KernelParams, init_state
from ._integrators import Integrator, IntegratorState, integrate_step, velocity_verlet
from ._metric import kinetic_energy, sample_momentum

__all__ = ["HMCInfo", "HMCKernel"]


class HMCInfo(NamedTuple):
    """What a person wants to know about one HMC transition (ArviZ names)."""

    lp: jax.Array
    acceptance_rate: jax.Array
    diverging: jax.Array
    energy: jax.Array
    n_steps: jax.Array


class HMCKernel(AbstractKernel):
    """Fixed-length HMC on ``log_density_fn`` (a position -> log density callable)."""

    log_density_fn: Callable
    num_steps: Optional[int] = eqx.field(static=True, default=None)
    trajectory_length: Optional[float] = eqx.field(static=True, default=None)
    max_num_steps: int = eqx.field(static=True, default=1024)
    integrator: Integrator = eqx.field(static=True, default=velocity_verlet)
    max_energy_error: float = eqx.field(static=True, default=1000.0)

    def __check_init__(self):
        if (self.num_steps is None) == (self.trajectory_length is None):
            raise ValueError("HMC needs exactly one of num_steps and trajectory_length")
        if self.num_steps is not None and self.num_steps < 1:
            raise ValueError(f"HMC: num_steps must be a positive integer, got {self.num_steps}")
        if self.trajectory_length is not None and not self.trajectory_length > 0:
            raise ValueError(f"HMC: trajectory_length must be positive, got {self.trajectory_length}")

    def empty_info(self, state: HMCState) -> HMCInfo:
        zero = jnp.zeros_like(state.log_density)
        return HMCInfo(zero, zero, jnp.bool_(False), zero, jnp.int32(0))

    def init(self, position) -> HMCState:
        return init_state(self.log_density_fn, position)

    def num_integration_steps(self, step_size):
        """Steps per trajectory for this ``step_size``."""
        if self.num_steps is not None:
            return jnp.asarray(self.num_steps, jnp.int32)
        steps = jnp.ceil(self.trajectory_length / step_size)
        return jnp.clip(steps, 1, self.max_num_steps).astype(jnp.int32)

    def step(self, key, state: HMCState, params: KernelParams):
        step_size, inverse_mass_matrix = params
        momentum_key, accept_key = jax.random.split(key)
        momentum = sample_momentum(momentum_key, inverse_mass_matrix, state.position)
        start = IntegratorState(state.position, momentum, state.log_density, state.log_density_grad)
        initial_energy = -state.log_density + kinetic_energy(inverse_mass_matrix, momentum)
        num_steps = self.num_integration_steps(step_size)

        def one_step(_, point):
            return integrate_step(self.integrator, self.log_density_fn, point, step_size, inverse_mass_matrix)

        end = lax.fori_loop(0, num_steps, one_step, start)
        energy = -end.log_density + kinetic_energy(inverse_mass_matrix, end.momentum)
        energy_error = jnp.where(jnp.isnan(energy), jnp.inf, energy - initial_energy)
        diverging = energy_error > self.max_energy_error
        acceptance_rate = jnp.minimum(1.0, jnp.exp(-energy_error))
        accept = jax.random.uniform(accept_key) < acceptance_rate
        accept = accept & ~diverging
        new_state = HMCState(
            jnp.where(accept, end.position, state.position),
            jnp.where(accept, end.log_density, state.log_density),
            jnp.where(accept, end.log_density_grad, state.log_density_grad),
        )
        info = HMCInfo(
            lp=new_state.log_density,
            acceptance_rate=acceptance_rate,
            diverging=diverging,
            energy=jnp.where(accept, energy, initial_energy),
            n_steps=num_steps,
        )
        return new_state, info
