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
    r"""What a person wants to know about one HMC transition (ArviZ names).

    ``MixedHMCKernel`` reports the same fields (and ``GibbsKernel`` its inner kernel's).

    Args:
        lp: the log density :math:`\log\pi` at the new state, a scalar.
        acceptance_rate: the Metropolis acceptance probability of the proposal,
            :math:`\min(1, e^{-(H(q', p') - H(q, p))})` (0 for a NaN energy).
        diverging: True when the energy error exceeded ``max_energy_error`` or was NaN
            (the proposal was then rejected).
        energy: the Hamiltonian :math:`H` of the point kept: :math:`H(q', p')` if the
            proposal was accepted, else :math:`H(q, p)` with the fresh momentum.
        n_steps: the number :math:`L` of integrator steps taken (int32).
    """

    lp: jax.Array
    acceptance_rate: jax.Array
    diverging: jax.Array
    energy: jax.Array
    n_steps: jax.Array


class HMCKernel(AbstractKernel):
    r"""Fixed-length HMC on ``log_density_fn`` (a position -> log density callable).

    A transition draws :math:`p \sim \mathcal N(0, M)`, takes :math:`L` steps of
    ``integrator`` (for the default ``velocity_verlet``, with :math:`q_0 = q`,
    :math:`p_0 = p`)

    .. math::

        p_{n+1/2} = p_n + \tfrac{\epsilon}{2}\,\nabla\log\pi(q_n), \qquad
        q_{n+1} = q_n + \epsilon\, M^{-1} p_{n+1/2}, \qquad
        p_{n+1} = p_{n+1/2} + \tfrac{\epsilon}{2}\,\nabla\log\pi(q_{n+1}),

    and moves to :math:`(q', p') = (q_L, p_L)` with probability

    .. math::

        \alpha = \min\bigl(1, \exp\bigl(H(q, p) - H(q', p')\bigr)\bigr), \qquad
        H(q, p) = -\log\pi(q) + \tfrac12 p^\top M^{-1} p,

    staying at :math:`q` otherwise. :math:`\epsilon` and :math:`M^{-1}` come from
    ``params``. :math:`L` is ``num_steps``, or
    :math:`\lceil \mathrm{trajectory\_length} / \epsilon \rceil` clipped to
    ``[1, max_num_steps]`` so that adapting :math:`\epsilon` keeps the integration time. A
    transition whose energy error :math:`H(q', p') - H(q, p)` exceeds ``max_energy_error``
    (or is NaN) is rejected and flagged divergent.

    Args:
        log_density_fn: :math:`q \mapsto \log\pi(q)`, a differentiable callable from a
            flat ``[dim]`` array to a scalar.
        num_steps: :math:`L`, the integrator steps per transition; give exactly one of it
            and ``trajectory_length``.
        trajectory_length: the integration time :math:`L\epsilon`, from which :math:`L`
            follows for each step size.
        max_num_steps: the cap on :math:`L` when ``trajectory_length`` sets it (default
            1024).
        integrator: the ``Integrator`` (default ``velocity_verlet``).
        max_energy_error: the energy error above which a transition diverges (default
            1000).

    Raises:
        ValueError: if not exactly one of ``num_steps`` and ``trajectory_length`` is
            given, if ``num_steps < 1``, or if ``trajectory_length`` is not positive.
    """

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
        r"""Steps per trajectory for this ``step_size``.

        Args:
            step_size: the step size :math:`\epsilon`, a positive scalar.

        Returns:
            :math:`L` as an int32 scalar: ``num_steps``, or
            :math:`\lceil \mathrm{trajectory\_length} / \epsilon \rceil` clipped to
            ``[1, max_num_steps]``.
        """
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
