r"""Mixed Hamiltonian Monte Carlo for mixed discrete and continuous variables (Zhou 2020).

The position is :math:`q = [\,q_c \mid q_d\,]` (continuous, then :math:`D` discrete
coordinates). One transition draws a continuous momentum :math:`p \sim \mathcal N(0, M)`,
a kinetic energy :math:`k_j \sim \mathrm{Exp}(1)` and an arrival time
:math:`a_j \sim \mathcal U(0, 1)` for each discrete coordinate, then repeats
``num_discrete_updates`` times:

1. :math:`j = \arg\min_i a_i`; integrate :math:`(q_c, p)` for time :math:`a_j\,\tau`
   (:math:`\lfloor a_j \tau / \epsilon \rfloor \ge 1` leapfrog steps) with :math:`q_d`
   fixed; then :math:`a \leftarrow a - a_j`, :math:`a_j \leftarrow 1`;
2. propose a new value of :math:`q_{d,j}` (Gibbs, Metropolised Gibbs or random walk, as
   in ``DiscreteGibbsUpdate``) with log acceptance ratio :math:`\rho`; if
   :math:`k_j + \rho > 0` take it and set :math:`k_j \leftarrow k_j + \rho` ("refraction"),
   otherwise keep :math:`q_{d,j}` (a reflection).

:math:`\tau` is set so the whole trajectory lasts the inner HMC's trajectory length. The
end point is accepted with probability :math:`\min(1, e^{-\Delta})`,

.. math::

    \Delta = H(q', p') - H(q, p) - \sum_{\text{discrete moves}} \Delta U ,

as the discrete moves pay for their potential change with their own kinetic energy; only
the leapfrog error is corrected. NumPyro's ``MixedHMC`` follows the same algorithm.
"""

from __future__ import annotations

from typing import Callable, Optional

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax

from ._base import AbstractKernel, HMCState, KernelParams
from ._gibbs import ConditionalDensity, DiscreteGibbsUpdate, continuous_params, leapfrog_trial
from ._hmc import HMCInfo, HMCKernel
from ._integrators import IntegratorState, integrate_step
from ._metric import kinetic_energy, sample_momentum

__all__ = ["MixedHMCKernel"]


class MixedHMCKernel(AbstractKernel):
    r"""Mixed HMC on ``log_density_fn`` over ``[continuous | discrete]``; ``inner`` (an
    ``HMCKernel``) gives the integrator and the trajectory length, ``discrete`` the
    supports and the proposal.

    The position is :math:`q = [\,q_c \mid q_d\,]` (``num_continuous`` continuous, then
    :math:`D` discrete coordinates). A transition draws :math:`p \sim \mathcal N(0, M)`
    for :math:`q_c` and, for each discrete coordinate, a kinetic energy
    :math:`k_j \sim \mathrm{Exp}(1)` and an arrival time :math:`a_j \sim \mathcal U(0, 1)`.
    Then, ``num_discrete_updates`` times: with :math:`j = \arg\min_i a_i`, :math:`q_c`
    moves by :math:`\max(1, \lfloor a_j \tau / \epsilon \rfloor)` integrator steps with
    :math:`q_d` fixed (:math:`a \leftarrow a - a_j`, :math:`a_j \leftarrow 1`), and
    :math:`q_{d,j}` gets a proposal :math:`\tilde q_{d,j}` of ``discrete`` with log
    acceptance ratio :math:`\rho`, taken only if its kinetic energy covers it:

    .. math::

        q_{d,j} \leftarrow \begin{cases} \tilde q_{d,j}, \quad k_j \leftarrow k_j + \rho
            & \text{if } k_j + \rho > 0 \ \text{(refraction)}, \\
            q_{d,j} & \text{otherwise (reflection).} \end{cases}

    :math:`\tau` makes the whole trajectory last the inner HMC's trajectory length
    :math:`L\epsilon`. The end point :math:`(q', p')` is accepted with probability
    :math:`\min(1, e^{-\Delta})`,

    .. math::

        \Delta = H(q', p') - H(q, p) - \sum_{\text{discrete moves}} \Delta U,
        \qquad H(q, p) = -\log\pi(q) + \tfrac12 p^\top M^{-1} p,

    so only the integrator's error is corrected: the discrete moves paid for their change
    of potential :math:`U = -\log\pi` with their own kinetic energy. ``params`` covers the
    whole position and the continuous block of its metric is used (a ``LowRankMetric`` is
    refused with ``ValueError``). The info is an ``HMCInfo`` whose ``n_steps`` counts all
    integrator steps.

    Args:
        log_density_fn: :math:`q \mapsto \log\pi(q)`, the joint log density over the whole
            flat position (differentiable in its continuous block).
        inner: an ``HMCKernel`` giving the ``integrator`` and the trajectory length
            (``num_steps`` or ``trajectory_length``); its own ``log_density_fn`` is not
            used.
        discrete: the ``DiscreteGibbsUpdate`` with the discrete coordinates' supports and
            the proposal scheme; its ``offset`` is ``num_continuous``.
        num_continuous: the number of leading (continuous) coordinates.
        num_discrete_updates: discrete updates per transition (default ``None``:
            :math:`D`: the arrival times visit the coordinates in a cycle, so each is
            updated once), positive.
        max_energy_error: the value of :math:`\Delta` above which a transition diverges
            (default 1000).

    Raises:
        ValueError: if ``num_discrete_updates < 1``, or ``discrete.offset`` is not
            ``num_continuous``.
    """

    log_density_fn: Callable
    inner: HMCKernel
    discrete: DiscreteGibbsUpdate
    num_continuous: int = eqx.field(static=True)
    num_discrete_updates: Optional[int] = eqx.field(static=True, default=None)
    max_energy_error: float = eqx.field(static=True, default=1000.0)

    def __check_init__(self):
        if self.num_discrete_updates is not None and self.num_discrete_updates < 1:
            raise ValueError(f"MixedHMC: num_discrete_updates must be positive, got {self.num_discrete_updates}")
        if self.discrete.offset != self.num_continuous:
            raise ValueError(
                f"MixedHMC: the discrete coordinates follow the {self.num_continuous} continuous ones, "
                f"so the discrete update's offset must be {self.num_continuous}; got {self.discrete.offset}"
            )

    def _conditional(self, position):
        n = self.num_continuous
        return ConditionalDensity(self.log_density_fn, position[n:]), position[:n]

    def init(self, position) -> HMCState:
        position = jnp.asarray(position)
        density, head = self._conditional(position)
        value, grad = jax.value_and_grad(density)(head)
        return HMCState(position, value, jnp.concatenate([grad, jnp.zeros_like(position[self.num_continuous :])]))

    def empty_info(self, state: HMCState) -> HMCInfo:
        return self.inner.empty_info(state)

    def trial_log_accept_ratio(self, key, state: HMCState, params: KernelParams, step_size):
        """The step-size search's trial: one integrator step of ``inner`` with fresh
        momentum on the continuous block, the discrete block fixed.

        Args:
            key: a JAX PRNG key.
            state: the ``HMCState`` of the whole position.
            params: the ``KernelParams`` of the whole position (their continuous block is
                used).
            step_size: the step size to try.

        Returns:
            the log acceptance ratio :math:`H(q, p) - H(q', p')` of the step, a scalar
            (``-inf`` for a NaN energy).
        """
        density, head = self._conditional(state.position)
        inner = eqx.tree_at(lambda k: k.log_density_fn, self.inner, density)
        inner_state = HMCState(head, state.log_density, state.log_density_grad[: self.num_continuous])
        return leapfrog_trial(inner, key, inner_state, continuous_params(params, self.num_continuous), step_size)

    def step(self, key, state: HMCState, params: KernelParams):
        n = self.num_continuous
        num_discrete = self.discrete.support_values.shape[0]
        updates = self.num_discrete_updates or num_discrete
        step_size, metric = continuous_params(params, n)
        momentum_key, energy_key, time_key, loop_key, accept_key = jax.random.split(key, 5)
        momentum = sample_momentum(momentum_key, metric, state.position[:n])
        discrete_energy = jax.random.exponential(energy_key, (num_discrete,), dtype=state.log_density.dtype)
        arrival = jax.random.uniform(time_key, (num_discrete,), dtype=state.log_density.dtype)
        # the time `updates` arrivals take, scaled to the inner HMC's trajectory length
        total_time = (updates - 1) // num_discrete + jnp.sort(arrival)[(updates - 1) % num_discrete]
        time_unit = self.inner.num_integration_steps(step_size) * step_size / total_time
        initial_energy = -state.log_density + kinetic_energy(metric, momentum)

        def leapfrog(density, point, num_steps):
            def one(_, point):
                return integrate_step(self.inner.integrator, density, point, step_size, metric)

            return lax.fori_loop(0, num_steps, one, point)

        def one_update(t, carry):
            position, momentum, log_density, grad, discrete_energy, arrival, delta, total_steps = carry
            j = jnp.argmin(arrival)
            num_steps = jnp.maximum(jnp.floor(arrival[j] * time_unit / step_size), 1).astype(jnp.int32)
            arrival = (arrival - arrival[j]).at[j].set(1.0)
            density, head = self._conditional(position)
            point = leapfrog(density, IntegratorState(head, momentum, log_density, grad), num_steps)
            position = jnp.concatenate([point.position, position[n:]])
            proposal, _, log_ratio = self.discrete.propose(
                jax.random.fold_in(loop_key, t), position, point.log_density, j, self.log_density_fn
            )
            refract = discrete_energy[j] + log_ratio > 0
            position = jnp.where(refract, proposal, position)
            discrete_energy = discrete_energy.at[j].add(jnp.where(refract, log_ratio, 0.0))
            density, head = self._conditional(position)
            new_log_density, grad = jax.value_and_grad(density)(head)
            delta = delta - (new_log_density - point.log_density)  # the potential change paid for
            return position, point.momentum, new_log_density, grad, discrete_energy, arrival, delta, total_steps + num_steps

        start = (
            state.position,
            momentum,
            state.log_density,
            state.log_density_grad[:n],
            discrete_energy,
            arrival,
            jnp.zeros_like(state.log_density),
            jnp.int32(0),
        )
        position, momentum, log_density, grad, _, _, delta, total_steps = lax.fori_loop(0, updates, one_update, start)
        energy = -log_density + kinetic_energy(metric, momentum)
        energy_error = energy - initial_energy - delta
        energy_error = jnp.where(jnp.isnan(energy_error), jnp.inf, energy_error)
        diverging = energy_error > self.max_energy_error
        acceptance_rate = jnp.minimum(1.0, jnp.exp(-energy_error))
        accept = (jax.random.uniform(accept_key) < acceptance_rate) & ~diverging
        full_grad = jnp.concatenate([grad, jnp.zeros_like(position[n:])])
        new_state = HMCState(
            jnp.where(accept, position, state.position),
            jnp.where(accept, log_density, state.log_density),
            jnp.where(accept, full_grad, state.log_density_grad),
        )
        info = HMCInfo(
            lp=new_state.log_density,
            acceptance_rate=acceptance_rate,
            diverging=diverging,
            energy=jnp.where(accept, energy, initial_energy),
            n_steps=total_steps,
        )
        return new_state, info
