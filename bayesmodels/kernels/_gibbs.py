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
    leaf: a new value never recompiles).

    Calling it on ``head`` (:math:`q_c`, ``[num_continuous]``) returns
    ``log_density_fn(concatenate([head, fixed]))``, a scalar: the log density of the
    continuous block given the Gibbs block, up to a constant.

    Args:
        log_density_fn: :math:`q \mapsto \log\pi(q)`, the joint log density over the
            whole position :math:`[\,q_c \mid q_g\,]`.
        fixed: the trailing block :math:`q_g` held fixed, a 1-d array.
    """

    log_density_fn: Callable
    fixed: jax.Array

    def __call__(self, head):
        return self.log_density_fn(jnp.concatenate([head, self.fixed]))


def continuous_params(params: KernelParams, num_continuous: int) -> KernelParams:
    """The step size and the metric's continuous block (a vector's head, a matrix's
    top-left block).

    Args:
        params: the ``KernelParams`` of the whole position.
        num_continuous: the size of the leading block.

    Returns:
        ``KernelParams`` with the same step size and the metric's leading block.

    Raises:
        ValueError: if the metric is a ``LowRankMetric``.
    """
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

    With the position :math:`q = [\,q_c \mid q_g\,]`, :math:`q_c` its first
    ``num_continuous`` coordinates, one transition is

    .. math::

        q_g' \sim K_g(\,\cdot \mid q_c, q_g), \qquad
        q_c' \sim K_c(\,\cdot \mid q_c;\ \log\pi(\,\cdot\,, q_g')),

    where :math:`K_g` is ``update`` and :math:`K_c` one step of ``inner`` on the
    conditional log density :math:`q_c \mapsto \log\pi(q_c, q_g')`. Each leaves
    :math:`\pi` invariant, hence so does their composition.

    ``update(key, position, log_density_fn) -> position`` changes only the trailing block
    and leaves :math:`\pi(q_g \mid q_c)` invariant (a ``DiscreteGibbsUpdate``, or a user's
    exact conditional draw). ``inner`` is a kernel whose ``log_density_fn`` is replaced, at
    each step, by the conditional density (a ``ConditionalDensity``). ``params`` covers the
    whole position; ``inner`` gets its continuous block (a vector's head, a matrix's
    top-left block), so a ``LowRankMetric`` is refused with ``ValueError``. The state is an
    ``HMCState`` of the whole position (the gradient is zero in the Gibbs block) and the
    info is the inner kernel's, with ``lp`` the joint log density.

    Args:
        log_density_fn: :math:`q \mapsto \log\pi(q)`, the joint log density over the whole
            flat position (differentiable in its first ``num_continuous`` coordinates).
        inner: the kernel for the continuous block (``HMCKernel``, ``NUTSKernel``, ...);
            its own ``log_density_fn`` is never used.
        update: the Gibbs update of the trailing block, called as
            ``update(key, position, log_density_fn)`` and returning the new position.
        num_continuous: the number of leading (continuous) coordinates, positive.

    Raises:
        ValueError: if ``num_continuous < 1``.
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
        with fresh momentum, on the continuous block with the Gibbs block fixed.

        Args:
            key: a JAX PRNG key.
            state: the ``HMCState`` of the whole position.
            params: the ``KernelParams`` of the whole position (their continuous block is
                used).
            step_size: the step size to try.

        Returns:
            the log acceptance ratio of the trial, a scalar (``-inf`` for a NaN energy).
        """
        inner, inner_state, _ = self._inner_state(state)
        params = continuous_params(params, self.num_continuous)
        trial = getattr(inner, "trial_log_accept_ratio", None)
        if trial is not None:
            return trial(key, inner_state, params, step_size)
        return leapfrog_trial(inner, key, inner_state, params, step_size)


def leapfrog_trial(inner, key, inner_state, params: KernelParams, step_size):
    r"""Log acceptance ratio of one integrator step of ``inner`` with fresh momentum.

    Args:
        inner: a kernel with ``integrator`` and ``log_density_fn``.
        key: a JAX PRNG key (for the momentum).
        inner_state: the ``HMCState`` to step from.
        params: the ``KernelParams``; only ``inverse_mass_matrix`` is read.
        step_size: the step size to try.

    Returns:
        :math:`H(q, p) - H(q', p')` of the step, a scalar (``-inf`` for a NaN energy).
    """
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
    Calling the update as ``update(key, position, log_density_fn)`` does one sweep and
    returns the new position (the ``update`` of ``GibbsKernel``).

    Args:
        offset: the position index of the first discrete coordinate (the number of
            continuous coordinates before them).
        support_values: the values each discrete coordinate may take, ``[num_discrete, K]``
            (row :math:`i` padded beyond ``support_sizes[i]``).
        support_sizes: the number of valid values of each coordinate, ``[num_discrete]``
            integers.
        random_walk: propose uniformly on the support instead of from the conditional
            (default False).
        modified: never propose the current value (Metropolised Gibbs, or a random walk
            on the other values; default False).

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
        Metropolis-Hastings acceptance ratio)``.

        Args:
            key: a JAX PRNG key.
            position: the whole flat position.
            log_density: the log density at ``position``, a scalar.
            coordinate: which discrete coordinate :math:`i` (``0 <= i < num_discrete``;
                position index ``offset + i``), an integer scalar.
            log_density_fn: the joint log density over the whole position.

        Returns:
            ``(proposal, proposal_log_density, log_ratio)``: the position with coordinate
            :math:`i` set to the proposed value, its log density, and the log acceptance
            ratio (0 for Gibbs, which is always accepted; ``-inf`` when ``modified`` has no
            other value to propose).
        """
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
