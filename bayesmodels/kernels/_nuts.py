r"""The No-U-Turn Sampler with multinomial sampling (Hoffman & Gelman 2014; Betancourt 2017).

One transition draws :math:`p \sim \mathcal N(0, M)` and builds a trajectory by doubling:
at depth :math:`d` a new sub-tree of :math:`2^d` integrator steps is grown forwards or
backwards in time (a fair coin). The sub-tree is built one point at a time; after each
point, every balanced sub-tree it completes is checked for a U-turn
(:mod:`._termination`), so an iterative loop checks exactly what Stan's recursion checks.
A point whose energy error :math:`H - H_0` exceeds ``max_energy_error`` (or is NaN) is a
divergence. A sub-tree with a U-turn or a divergence inside is thrown away and the
trajectory stops; otherwise it is merged and the merged trajectory is checked.

The checks inside a sub-tree need, for each open balanced sub-tree, a few vectors about its
first point; they live on a stack of ``max_tree_depth`` rows (NumPyro's iterative NUTS).
Number the sub-tree's points :math:`n = 0, 1, 2, \dots` in build order; point :math:`n`
writes its row to slot :math:`\operatorname{popcount}(n)`. Point :math:`c` closes the
balanced sub-trees of :math:`2^k` points for :math:`k = 1, \dots, t`, where :math:`t` is
the number of trailing one-bits of :math:`c`. The one of level :math:`k` starts at
:math:`s_k = c + 1 - 2^k`, its right half at :math:`s_{k-1}` (:math:`s_0 = c`), and since
the low :math:`k` bits of :math:`s_k` are zero,

.. math::

    \operatorname{popcount}(s_k) = \operatorname{popcount}(c) - k, \qquad
    \operatorname{popcount}(s_k + r) > \operatorname{popcount}(s_k) \quad (0 < r < 2^k),

so both rows are still on the stack when :math:`c` is built: every point since
:math:`s_k` wrote to a higher slot. One row is written per point and only the :math:`t`
closing levels are checked (one on average), stopping at the first U-turn; slot 0 keeps
the sub-tree's first point for the check after the merge.

The draw is multinomial over the trajectory's points with weights
:math:`w_i = e^{-H_i}`: within a sub-tree by progressive sampling (point :math:`i` replaces
the sub-tree's choice with probability :math:`w_i / \sum_{j \le i} w_j`), and at each
merge *biased* towards the new sub-tree (its choice replaces the current draw with
probability :math:`\min(1, W_\text{new} / W_\text{old})`), as in Stan.

The acceptance statistic for step-size adaptation is the mean over all points built of
:math:`\min(1, e^{H_0 - H_i})`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax

from ._base import AbstractKernel, HMCState, KernelParams, init_state
from ._integrators import Integrator, IntegratorState, integrate_step, velocity_verlet
from ._metric import kinetic_energy, sample_momentum, velocity
from ._termination import no_u_turn_across_halves

__all__ = ["NUTSInfo", "NUTSKernel"]


class NUTSInfo(NamedTuple):
    r"""What a person wants to know about one NUTS transition (ArviZ names).

    Args:
        lp: the log density :math:`\log\pi` at the draw, a scalar.
        acceptance_rate: the step-size adaptation's statistic, the mean of
            :math:`\min(1, e^{H_0 - H_i})` over all points built (those of a rejected last
            sub-tree included).
        diverging: True when the last sub-tree built hit an energy error above
            ``max_energy_error`` (or NaN); the trajectory then stopped.
        energy: the Hamiltonian :math:`H` at the drawn point.
        tree_depth: the number of doublings (int32); the trajectory has at most
            :math:`2^{\mathrm{tree\_depth}}` points, the start included.
        n_steps: the number of integrator steps taken (int32), rejected ones included.
    """

    lp: jax.Array
    acceptance_rate: jax.Array
    diverging: jax.Array
    energy: jax.Array
    tree_depth: jax.Array
    n_steps: jax.Array


class _Trajectory(NamedTuple):
    """The trajectory so far: its two ends (time order), summed momentum, total log weight
    (relative to the starting energy) and the point drawn from it."""

    left: IntegratorState
    right: IntegratorState
    momentum_sum: jax.Array
    log_weight: jax.Array
    proposal: IntegratorState
    proposal_energy: jax.Array


class _Checkpoints(NamedTuple):
    """About a point of the sub-tree: its momentum and velocity, the momentum summed
    before it, and the point built just before it. One point as ``[dim]`` arrays, or the
    stack as ``[max_tree_depth, dim]``: row ``j`` holds the last point ``n`` built with
    ``popcount(n) == j``."""

    momentum: jax.Array
    velocity: jax.Array
    sum_before: jax.Array
    previous_momentum: jax.Array
    previous_velocity: jax.Array


class _Subtree(NamedTuple):
    end: IntegratorState
    end_velocity: jax.Array
    num_points: jax.Array
    momentum_sum: jax.Array
    checkpoints: _Checkpoints
    log_weight: jax.Array
    proposal: IntegratorState
    proposal_energy: jax.Array
    sum_acceptance: jax.Array
    diverging: jax.Array
    turning: jax.Array


class _Doubling(NamedTuple):
    trajectory: _Trajectory
    depth: jax.Array
    num_steps: jax.Array
    sum_acceptance: jax.Array
    diverging: jax.Array
    stop: jax.Array


def _push(stack: _Checkpoints, index, point: _Checkpoints) -> _Checkpoints:
    """The stack with point ``index``'s row written to slot ``popcount(index)``.

    A sub-tree below the maximum depth has ``index < 2**(max_tree_depth - 1)``, so the slot
    is at most ``max_tree_depth - 1``: in range.
    """
    slot = lax.population_count(index)
    return jax.tree.map(lambda rows, row: lax.dynamic_update_index_in_dim(rows, row, slot, 0), stack, point)


def _row(stack: _Checkpoints, slot) -> _Checkpoints:
    """Row ``slot`` of the stack."""
    return jax.tree.map(lambda rows: lax.dynamic_index_in_dim(rows, slot, 0, keepdims=False), stack)


def _turns_inside(stack: _Checkpoints, index, momentum_sum, last_velocity):
    """Whether a balanced sub-tree that point ``index`` (already pushed) completes has a U-turn.

    Point ``c = index`` closes levels ``k = 1 .. t``, ``t`` its trailing one-bits (``c ^
    (c + 1)`` has ``t + 1`` bits set). Level ``k`` spans rows ``popcount(c) - k`` (its first
    point) and ``popcount(c) - k + 1`` (its right half's first point) to ``c``; levels are
    checked upwards until the first U-turn.
    """
    top = lax.population_count(index)
    closing = lax.population_count(index ^ (index + 1)) - 1

    def unchecked(carry):
        level, turning = carry
        return (level <= closing) & ~turning

    def check(carry):
        level, _ = carry
        left, right = _row(stack, top - level), _row(stack, top - level + 1)
        not_turning = no_u_turn_across_halves(
            left_sum=right.sum_before - left.sum_before,
            left_first_velocity=left.velocity,
            left_last_momentum=right.previous_momentum,
            left_last_velocity=right.previous_velocity,
            right_sum=momentum_sum - right.sum_before,
            right_first_momentum=right.momentum,
            right_first_velocity=right.velocity,
            right_last_velocity=last_velocity,
        )
        return level + 1, ~not_turning

    return lax.while_loop(unchecked, check, (jnp.int32(1), jnp.bool_(False)))[1]


class NUTSKernel(AbstractKernel):
    r"""Multinomial NUTS on ``log_density_fn`` (a position -> log density callable).

    A transition draws :math:`p \sim \mathcal N(0, M)` and, from :math:`(q, p)`, builds a
    trajectory of ``integrator`` points :math:`(q_i, p_i)` by doubling: at depth :math:`d`
    a sub-tree of :math:`2^d` steps of size :math:`\pm\epsilon` is added at the end
    (forwards) or the beginning (backwards), a fair coin deciding. With :math:`\rho` the
    summed momentum of a (sub-)trajectory and :math:`p^\sharp_\pm = M^{-1} p_\pm` the
    velocities at its two ends, it keeps growing while the generalised no-U-turn criterion

    .. math::

        p^\sharp_{-} \cdot \rho > 0 \quad\text{and}\quad p^\sharp_{+} \cdot \rho > 0

    holds on every balanced sub-tree and across the seams between halves (as Stan). It
    stops at a U-turn, at a divergence (an energy error :math:`H(q_i, p_i) - H(q, p)`
    above ``max_energy_error``, or NaN: that sub-tree is discarded) or after
    ``max_tree_depth`` doublings. The draw is multinomial over the trajectory's points,

    .. math::

        P(q' = q_i) \propto w_i = e^{-H(q_i, p_i)}, \qquad
        H(q, p) = -\log\pi(q) + \tfrac12 p^\top M^{-1} p,

    sampled progressively within each sub-tree and, at each merge, biased towards the new
    sub-tree (its point replaces the current one with probability
    :math:`\min(1, W_\text{new} / W_\text{old})`, :math:`W` the summed weights).

    Args:
        log_density_fn: :math:`q \mapsto \log\pi(q)`, a differentiable callable from a
            flat ``[dim]`` array to a scalar.
        max_tree_depth: the most doublings per transition, an integer in ``[1, 30]``
            (default 10): at most :math:`2^{\mathrm{max\_tree\_depth}} - 1` integrator steps.
        integrator: the ``Integrator`` (default ``velocity_verlet``).
        max_energy_error: the energy error above which a point diverges (default 1000).

    Raises:
        ValueError: if ``max_tree_depth`` is not an integer in ``[1, 30]``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from bayesmodels.kernels import KernelParams, NUTSKernel
        >>> kernel = NUTSKernel(lambda q: -0.5 * jnp.sum(q**2), max_tree_depth=4)
        >>> params = KernelParams(jnp.asarray(0.5), jnp.ones(2))
        >>> def one_step(state, key):
        ...     state, info = kernel.step(key, state, params)
        ...     return state, info
        >>> keys = jax.random.split(jax.random.PRNGKey(0), 50)
        >>> state, infos = jax.lax.scan(one_step, kernel.init(jnp.zeros(2)), keys)
        >>> state.position.shape, infos.tree_depth.shape, bool(jnp.all(infos.tree_depth <= 4))
        ((2,), (50,), True)
    """

    log_density_fn: Callable
    max_tree_depth: int = eqx.field(static=True, default=10)
    integrator: Integrator = eqx.field(static=True, default=velocity_verlet)
    max_energy_error: float = eqx.field(static=True, default=1000.0)

    def __check_init__(self):
        if not (isinstance(self.max_tree_depth, int) and 1 <= self.max_tree_depth <= 30):
            raise ValueError(f"NUTS: max_tree_depth must be an integer in [1, 30], got {self.max_tree_depth!r}")

    def empty_info(self, state: HMCState) -> NUTSInfo:
        zero = jnp.zeros_like(state.log_density)
        return NUTSInfo(zero, zero, jnp.bool_(False), zero, jnp.int32(0), jnp.int32(0))

    def init(self, position) -> HMCState:
        return init_state(self.log_density_fn, position)

    def step(self, key, state: HMCState, params: KernelParams):
        step_size, inverse_mass_matrix = params
        momentum_key, tree_key = jax.random.split(key)
        momentum = sample_momentum(momentum_key, inverse_mass_matrix, state.position)
        start = IntegratorState(state.position, momentum, state.log_density, state.log_density_grad)
        initial_energy = -state.log_density + kinetic_energy(inverse_mass_matrix, momentum)
        zero = jnp.zeros((), initial_energy.dtype)
        trajectory = _Trajectory(start, start, momentum, zero, start, initial_energy)
        doubling = _Doubling(trajectory, jnp.int32(0), jnp.int32(0), zero, jnp.bool_(False), jnp.bool_(False))

        def keep_doubling(doubling):
            return (doubling.depth < self.max_tree_depth) & ~doubling.stop

        def double(doubling):
            return self._double(doubling, jax.random.fold_in(tree_key, doubling.depth), params, initial_energy)

        doubling = lax.while_loop(keep_doubling, double, doubling)
        proposal = doubling.trajectory.proposal
        new_state = HMCState(proposal.position, proposal.log_density, proposal.log_density_grad)
        info = NUTSInfo(
            lp=proposal.log_density,
            acceptance_rate=doubling.sum_acceptance / doubling.num_steps,
            diverging=doubling.diverging,
            energy=doubling.trajectory.proposal_energy,
            tree_depth=doubling.depth,
            n_steps=doubling.num_steps,
        )
        return new_state, info

    def _double(self, doubling: _Doubling, key, params, initial_energy) -> _Doubling:
        """Grow a sub-tree of ``2**depth`` points at one end and merge it if it is valid."""
        direction_key, subtree_key, merge_key = jax.random.split(key, 3)
        forward = jax.random.bernoulli(direction_key)
        old = doubling.trajectory
        start = jax.tree.map(lambda r, l: jnp.where(forward, r, l), old.right, old.left)
        step_size = jnp.where(forward, params.step_size, -params.step_size)
        subtree = self._build_subtree(subtree_key, start, doubling.depth, step_size, params.inverse_mass_matrix, initial_energy)
        valid = ~subtree.diverging & ~subtree.turning

        take_new = jax.random.uniform(merge_key) < jnp.exp(subtree.log_weight - old.log_weight)
        take_new = valid & take_new
        pick = lambda new, current: jax.tree.map(lambda n, c: jnp.where(take_new, n, c), new, current)
        merged_proposal = pick(subtree.proposal, old.proposal)
        merged_energy = jnp.where(take_new, subtree.proposal_energy, old.proposal_energy)
        left = jax.tree.map(lambda n, o: jnp.where(valid & ~forward, n, o), subtree.end, old.left)
        right = jax.tree.map(lambda n, o: jnp.where(valid & forward, n, o), subtree.end, old.right)
        merged = _Trajectory(
            left=left,
            right=right,
            momentum_sum=jnp.where(valid, old.momentum_sum + subtree.momentum_sum, old.momentum_sum),
            log_weight=jnp.where(valid, jnp.logaddexp(old.log_weight, subtree.log_weight), old.log_weight),
            proposal=merged_proposal,
            proposal_energy=merged_energy,
        )
        continues = valid & self._merged_not_turning(old, subtree, doubling.depth, forward, params.inverse_mass_matrix)
        return _Doubling(
            trajectory=merged,
            depth=doubling.depth + 1,
            num_steps=doubling.num_steps + subtree.num_points,
            sum_acceptance=doubling.sum_acceptance + subtree.sum_acceptance,
            diverging=subtree.diverging,
            stop=~continues,
        )

    @staticmethod
    def _merged_not_turning(old: _Trajectory, subtree: _Subtree, depth, forward, inverse_mass_matrix):
        """The U-turn test of old trajectory + new sub-tree, seams included, in time order."""
        old_left_velocity = velocity(inverse_mass_matrix, old.left.momentum)
        old_right_velocity = velocity(inverse_mass_matrix, old.right.momentum)
        # the sub-tree's first-built point (slot 0) is its time-first point when built forwards
        built_first_momentum = subtree.checkpoints.momentum[0]
        built_first_velocity = subtree.checkpoints.velocity[0]
        built_last_momentum, built_last_velocity = subtree.end.momentum, subtree.end_velocity

        def choose(if_forward, if_backward):
            return jnp.where(forward, if_forward, if_backward)

        return no_u_turn_across_halves(
            left_sum=choose(old.momentum_sum, subtree.momentum_sum),
            left_first_velocity=choose(old_left_velocity, built_last_velocity),
            left_last_momentum=choose(old.right.momentum, built_first_momentum),
            left_last_velocity=choose(old_right_velocity, built_first_velocity),
            right_sum=choose(subtree.momentum_sum, old.momentum_sum),
            right_first_momentum=choose(built_first_momentum, old.left.momentum),
            right_first_velocity=choose(built_first_velocity, old_left_velocity),
            right_last_velocity=choose(built_last_velocity, old_right_velocity),
        )

    def _build_subtree(self, key, start: IntegratorState, depth, step_size, inverse_mass_matrix, initial_energy) -> _Subtree:
        """``2**depth`` points from ``start`` (exclusive), stopping early at a U-turn inside
        or a divergence."""
        levels = self.max_tree_depth
        dim = start.position.shape
        zeros = jnp.zeros((levels,) + dim, start.momentum.dtype)
        start_velocity = velocity(inverse_mass_matrix, start.momentum)
        subtree = _Subtree(
            end=start,
            end_velocity=start_velocity,
            num_points=jnp.int32(0),
            momentum_sum=jnp.zeros_like(start.momentum),
            checkpoints=_Checkpoints(zeros, zeros, zeros, zeros, zeros),
            log_weight=jnp.asarray(-jnp.inf, initial_energy.dtype),
            proposal=start,
            proposal_energy=initial_energy,
            sum_acceptance=jnp.zeros((), initial_energy.dtype),
            diverging=jnp.bool_(False),
            turning=jnp.bool_(False),
        )
        size = jnp.left_shift(jnp.int32(1), depth)

        def keep_building(subtree):
            return (subtree.num_points < size) & ~subtree.diverging & ~subtree.turning

        def add_point(subtree: _Subtree) -> _Subtree:
            index = subtree.num_points
            point = integrate_step(self.integrator, self.log_density_fn, subtree.end, step_size, inverse_mass_matrix)
            point_velocity = velocity(inverse_mass_matrix, point.momentum)
            energy = -point.log_density + 0.5 * jnp.dot(point.momentum, point_velocity)
            energy_error = jnp.where(jnp.isnan(energy), jnp.inf, energy - initial_energy)
            log_weight = jnp.logaddexp(subtree.log_weight, -energy_error)
            take = jax.random.uniform(jax.random.fold_in(key, index)) < jnp.exp(-energy_error - log_weight)
            momentum_sum = subtree.momentum_sum + point.momentum
            row = _Checkpoints(point.momentum, point_velocity, subtree.momentum_sum, subtree.end.momentum, subtree.end_velocity)
            checkpoints = _push(subtree.checkpoints, index, row)
            return _Subtree(
                end=point,
                end_velocity=point_velocity,
                num_points=index + 1,
                momentum_sum=momentum_sum,
                checkpoints=checkpoints,
                log_weight=log_weight,
                proposal=jax.tree.map(lambda n, c: jnp.where(take, n, c), point, subtree.proposal),
                proposal_energy=jnp.where(take, energy, subtree.proposal_energy),
                sum_acceptance=subtree.sum_acceptance + jnp.minimum(1.0, jnp.exp(-energy_error)),
                diverging=energy_error > self.max_energy_error,
                turning=_turns_inside(checkpoints, index, momentum_sum, point_velocity),
            )

        return lax.while_loop(keep_building, add_point, subtree)
