r"""HMC within Gibbs: a Gibbs update of one block of the position, then one step of an
inner kernel (HMC, NUTS) on the other block with the first held fixed.

The position is :math:`q = [\,q_c \mid q_g\,]` with :math:`q_c` the first
``num_continuous`` coordinates. One transition is

.. math::

    q_g' \sim K_g(\,\cdot \mid q_c, q_g), \qquad
    q_c' \sim K_c(\,\cdot \mid q_c;\ \log\pi(\,\cdot\,, q_g')),

where :math:`K_g` leaves :math:`\pi(q_g \mid q_c)` invariant (``update``: the discrete
coordinate updates of ``DiscreteGibbsUpdate`` below, or a user's exact conditional) and :math:`K_c` is the inner kernel run on the conditional log density
:math:`q_c \mapsto \log\pi(q_c, q_g')`. Each leaves :math:`\pi` invariant, hence so does
their composition.

The adapted metric covers the whole position (the warm-up driver sees only it); the inner
kernel is given its continuous block. State and Info are the inner kernel's: ``lp`` is the
joint log density, and the gradient is zero in the Gibbs block.
"""

from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp

from ._base import AbstractKernel, HMCState, KernelParams
from ._integrators import IntegratorState, integrate_step
from ._metric import LowRankMetric, kinetic_energy, sample_momentum

__all__ = ["ConditionalDensity", "DiscreteGibbsUpdate", "GibbsKernel"]


class ConditionalDensity(eqx.Module):
    r""":math:`q_c \mapsto \log\pi(q_c, q_g)` for fixed ``fixed`` :math:`= q_g` (an array
    leaf: a new value never recompiles)."""

    log_density_fn: Callable
    fixed: jax.Array

    def __call__(self, head):
        return self.log_density_fn(jnp.concatenate([head, self.fixed]))


def continuous_params(params: KernelParams, num_continuous: int) -> KernelParams:
    """The step size and the metric's continuous block (a vector's head, a matrix's
    top-left block)."""
    metric = params.inverse_mass_matrix
    if isinstance(metric, LowRankMetric):
        raise ValueError(
            "HMC within Gibbs cannot use a low-rank metric (its directions would mix the Gibbs "
            "coordinates in): use the inner sampler with low_rank_mass=0"
        )
    if metric.ndim == 1:
        metric = metric[:num_continuous]
    else:
        metric = metric[:num_continuous, :num_continuous]
    return KernelParams(params.step_size, metric)


class GibbsKernel(AbstractKernel):
    r"""``update`` on the trailing block, then ``inner`` on the first ``num_continuous``
    coordinates.

    ``update(key, position, log_density_fn) -> position`` changes only the trailing block
    and leaves :math:`\pi(q_g \mid q_c)` invariant. ``inner`` is a kernel whose
    ``log_density_fn`` is replaced, at each step, by the conditional density.
    """

    log_density_fn: Callable
    inner: AbstractKernel
    update: Callable
    num_continuous: int = eqx.field(static=True)

    def __check_init__(self):
        if self.num_continuous < 1:
            raise ValueError(f"GibbsKernel: num_continuous must be positive, got {self.num_continuous}")

    def _split(self, position):
        return position[: self.num_continuous], position[self.num_continuous :]

    def _inner_given(self, fixed) -> AbstractKernel:
        """The inner kernel on the conditional density of the continuous block."""
        return eqx.tree_at(lambda k: k.log_density_fn, self.inner, ConditionalDensity(self.log_density_fn, fixed))

    def _inner_state(self, state: HMCState):
        head, fixed = self._split(state.position)
        inner = self._inner_given(fixed)
        grad = state.log_density_grad[: self.num_continuous]
        return inner, inner.initial_state(head, state.log_density, grad), fixed

    def _full_state(self, inner_state, fixed) -> HMCState:
        position = jnp.concatenate([inner_state.position, fixed])
        grad = jnp.concatenate([inner_state.log_density_grad, jnp.zeros_like(fixed)])
        return HMCState(position, inner_state.log_density, grad)

    def init(self, position) -> HMCState:
        position = jnp.asarray(position)
        head, fixed = self._split(position)
        value, grad = jax.value_and_grad(ConditionalDensity(self.log_density_fn, fixed))(head)
        return HMCState(position, value, jnp.concatenate([grad, jnp.zeros_like(fixed)]))

    def empty_info(self, state: HMCState):
        return self.inner.empty_info(state)

    def step(self, key, state: HMCState, params: KernelParams):
        gibbs_key, inner_key = jax.random.split(key)
        position = self.update(gibbs_key, state.position, self.log_density_fn)
        state = self.init(position)  # the conditional of the continuous block has changed
        inner, inner_state, fixed = self._inner_state(state)
        inner_state, info = inner.step(inner_key, inner_state, continuous_params(params, self.num_continuous))
        return self._full_state(inner_state, fixed), info

    def trial_log_accept_ratio(self, key, state: HMCState, params: KernelParams, step_size):
        """The step-size search's trial: the inner kernel's own, or one integrator step
        with fresh momentum, on the continuous block with the Gibbs block fixed."""
        inner, inner_state, _ = self._inner_state(state)
        params = continuous_params(params, self.num_continuous)
        trial = getattr(inner, "trial_log_accept_ratio", None)
        if trial is not None:
            return trial(key, inner_state, params, step_size)
        return leapfrog_trial(inner, key, inner_state, params, step_size)


def leapfrog_trial(inner, key, inner_state, params: KernelParams, step_size):
    """Log acceptance ratio of one integrator step of ``inner`` with fresh momentum."""
    metric = params.inverse_mass_matrix
    momentum = sample_momentum(key, metric, inner_state.position)
    start = IntegratorState(inner_state.position, momentum, inner_state.log_density, inner_state.log_density_grad)
    end = integrate_step(inner.integrator, inner.log_density_fn, start, step_size, metric)
    initial = -inner_state.log_density + kinetic_energy(metric, momentum)
    final = -end.log_density + kinetic_energy(metric, end.momentum)
    return jnp.where(jnp.isnan(final), -jnp.inf, initial - final)


class DiscreteGibbsUpdate(eqx.Module):
    r"""One sweep over the discrete coordinates, in a random order, each updated given all
    the others (NumPyro's ``DiscreteHMCGibbs`` schemes).

    Coordinate :math:`i` (position index ``offset + i``) takes the values
    :math:`v_1, \dots, v_K` = ``support_values[i, :support_sizes[i]]``; with
    :math:`\pi_k \propto \pi(q \text{ with } q_i = v_k)` and current value :math:`v_c`:

    - Gibbs (default): draw :math:`k \sim \pi_k` (always accepted);
    - ``modified`` (Liu 1996, Metropolised Gibbs): propose :math:`k \ne c` with
      probability :math:`\pi_k / (1 - \pi_c)`, accept with
      :math:`\min\bigl(1, \tfrac{1 - \pi_c}{1 - \pi_k}\bigr)`; it never proposes staying;
    - ``random_walk``: propose :math:`k` uniform on the support (``modified``: on the
      :math:`K - 1` other values) and accept with :math:`\min(1, \pi_k / \pi_c)`.

    Gibbs evaluates the log density :math:`K` times per coordinate, random walk once.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> update = DiscreteGibbsUpdate(1, jnp.array([[0.0, 1.0, 2.0]]), jnp.array([3]))
        >>> log_density = lambda q: jnp.where(q[1] == 2.0, 0.0, -jnp.inf)  # all mass on 2
        >>> update(jax.random.PRNGKey(0), jnp.array([0.5, 0.0]), log_density).tolist()
        [0.5, 2.0]
    """

    offset: int = eqx.field(static=True)
    support_values: jax.Array  # [num_discrete, K]
    support_sizes: jax.Array  # [num_discrete]
    random_walk: bool = eqx.field(static=True, default=False)
    modified: bool = eqx.field(static=True, default=False)

    def __call__(self, key, position, log_density_fn):
        order_key, sweep_key = jax.random.split(key)
        num_discrete = self.support_values.shape[0]
        order = jax.random.permutation(order_key, num_discrete)

        def one(i, carry):
            position, log_density = carry
            coordinate = order[i]
            proposal_key, accept_key = jax.random.split(jax.random.fold_in(sweep_key, i))
            new, new_log_density, log_ratio = self.propose(
                proposal_key, position, log_density, coordinate, log_density_fn
            )
            accept = jnp.log(jax.random.uniform(accept_key)) < log_ratio
            return jnp.where(accept, new, position), jnp.where(accept, new_log_density, log_density)

        position, _ = jax.lax.fori_loop(0, num_discrete, one, (position, log_density_fn(position)))
        return position

    def propose(self, key, position, log_density, coordinate, log_density_fn):
        """A proposal for discrete coordinate ``coordinate`` of ``position`` (whose log
        density is ``log_density``): ``(proposed position, its log density, log
        Metropolis-Hastings acceptance ratio)``."""
        index = self.offset + coordinate
        values, size = self.support_values[coordinate], self.support_sizes[coordinate]
        slots = jnp.arange(values.shape[0])
        valid = slots < size
        current = jnp.argmax((values == position[index]) & valid)
        if self.random_walk:
            if self.modified:  # uniform on the other values
                draw = jax.random.randint(key, (), 0, jnp.maximum(size - 1, 1))
                choice = draw + (draw >= current)
            else:
                choice = jax.random.randint(key, (), 0, size)
            new = position.at[index].set(values[choice])
            new_log_density = log_density_fn(new)
            log_ratio = new_log_density - log_density
            if self.modified:
                log_ratio = jnp.where(size > 1, log_ratio, -jnp.inf)
            return new, new_log_density, log_ratio
        log_weights = jax.vmap(lambda v: log_density_fn(position.at[index].set(v)))(values)
        log_weights = jnp.where(valid, log_weights, -jnp.inf)
        if self.modified:  # Liu's Metropolised Gibbs: never propose the current value
            others = jnp.where(slots == current, -jnp.inf, log_weights)
            choice = jax.random.categorical(key, others)
            rest_of_new = jnp.where(slots == choice, -jnp.inf, log_weights)
            log_ratio = jax.nn.logsumexp(others) - jax.nn.logsumexp(rest_of_new)
            log_ratio = jnp.where((size > 1) & (choice != current), log_ratio, -jnp.inf)
        else:
            choice = jax.random.categorical(key, log_weights)
            log_ratio = jnp.zeros_like(log_density)
        return position.at[index].set(values[choice]), log_weights[choice], log_ratio
