r"""Running chains: one compiled program advances every chain by a block of iterations.

An iteration is: (during warm-up, at a window start) search the step size; one kernel
step; (during warm-up) update the adaptation. The per-iteration flags come from the
warm-up schedule and are the same for all chains, so under ``vmap`` the branches on them
stay real branches. Iterations are run in blocks of ``BLOCK`` through ``lax.scan``; the
driver calls the same compiled block repeatedly (progress bars, draws moved to the host
as they come), padding the last block with inactive iterations. Chain ``c``'s key at
iteration ``t`` is ``fold_in(key_c, t)``, whichever way chains are run.

Chain methods: ``vectorized`` (``vmap`` over chains), ``sequential`` (the same compiled
block called with one chain at a time) and ``parallel`` (``shard_map`` over devices,
each device ``vmap``-ing its share of the chains).
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..adaptation import WarmupState, WindowAdaptation
from ..kernels import AbstractKernel, HMCState

__all__ = ["BLOCK", "ChainState", "IterationFlags", "advance", "chain_mesh", "iteration_flags", "shard_chains"]

BLOCK = 100
"""Iterations per compiled call. Fixed, so runs of any length reuse one program."""


class ChainState(NamedTuple):
    """Everything a chain carries from one iteration to the next."""

    state: HMCState
    warmup: WarmupState


class IterationFlags(NamedTuple):
    """One row per iteration, shared by all chains."""

    index: jax.Array  # iteration number, for the key
    active: jax.Array  # False for the padding after the last real iteration
    adapt: jax.Array  # a warm-up iteration
    restart: jax.Array
    collect: jax.Array
    window_end: jax.Array
    last: jax.Array


def iteration_flags(schedule, first_index: int, num_warmup: int, num_samples: int) -> list:
    """The flags of a run as a list of ``BLOCK``-long numpy blocks."""
    total = num_warmup + num_samples
    blocks = -(-total // BLOCK)
    size = blocks * BLOCK

    def padded(values, fill=False):
        out = np.full(size, fill)
        out[: len(values)] = values
        return out

    no_samples = np.zeros(num_samples, bool)
    flags = IterationFlags(
        index=np.arange(first_index, first_index + size, dtype=np.int32),
        active=padded(np.ones(total, bool)),
        adapt=padded(np.concatenate([np.ones(num_warmup, bool), no_samples])),
        restart=padded(np.concatenate([schedule.restart, no_samples])),
        collect=padded(np.concatenate([schedule.collect, no_samples])),
        window_end=padded(np.concatenate([schedule.window_end, no_samples])),
        last=padded(np.concatenate([schedule.last, no_samples])),
    )
    return [IterationFlags(*(field[b * BLOCK : (b + 1) * BLOCK] for field in flags)) for b in range(blocks)]


def _iteration(kernel: AbstractKernel, adaptation: WindowAdaptation, chain_key, carry: ChainState, flags):
    key = jax.random.fold_in(chain_key, flags.index)
    search_key, step_key = jax.random.split(key)
    warmup = carry.warmup
    if adaptation.adapt_step_size:  # else never searched (nor traced: a kernel may have no step size)
        warmup = lax.cond(
            flags.restart,
            lambda: adaptation.restart(kernel, search_key, carry.warmup, carry.state),
            lambda: carry.warmup,
        )
    state, info = kernel.step(step_key, carry.state, warmup.params)
    step_size = warmup.params.step_size
    warmup = lax.cond(
        flags.adapt,
        lambda: adaptation.update(warmup, flags, state.position, info.acceptance_rate, state.log_density_grad),
        lambda: warmup,
    )
    return ChainState(state, warmup), (state.position, info, step_size)


def _block(kernel, adaptation, chain_key, carry: ChainState, flags: IterationFlags):
    """``BLOCK`` iterations of one chain; inactive ones leave the chain as it is."""

    def body(carry, flags):
        def skip():
            empty = kernel.empty_info(carry.state)
            return carry, (carry.state.position, empty, carry.warmup.params.step_size)

        return lax.cond(flags.active, lambda: _iteration(kernel, adaptation, chain_key, carry, flags), skip)

    return lax.scan(body, carry, flags)


def _vectorized_block(kernel, adaptation, chain_keys, carry, flags):
    """``_block`` for each of the stacked chains. A single chain is run without ``vmap``,
    so its tree building keeps real branches and loops that stop for it alone."""
    if chain_keys.shape[0] == 1:
        carry, outputs = _block(kernel, adaptation, chain_keys[0], jax.tree.map(lambda x: x[0], carry), flags)
        return jax.tree.map(lambda x: x[None], (carry, outputs))
    return jax.vmap(_block, in_axes=(None, None, 0, 0, None))(kernel, adaptation, chain_keys, carry, flags)


@eqx.filter_jit
def _advance_vectorized(kernel, adaptation, chain_keys, carry, flags):
    return _vectorized_block(kernel, adaptation, chain_keys, carry, flags)


@eqx.filter_jit
def _advance_parallel(kernel, adaptation, chain_keys, carry, flags, mesh):
    arrays, static = eqx.partition(kernel, eqx.is_array)

    def local(arrays, chain_keys, carry, flags):
        return _vectorized_block(eqx.combine(arrays, static), adaptation, chain_keys, carry, flags)

    chains = PartitionSpec("chain")
    sharded = jax.shard_map(
        local,
        mesh=mesh,
        in_specs=(PartitionSpec(), chains, chains, PartitionSpec()),
        out_specs=chains,
        check_vma=False,
    )
    return sharded(arrays, chain_keys, carry, flags)


def advance(kernel, adaptation, chain_keys, carry: ChainState, flags: IterationFlags, mesh=None):
    """Advance the chains stacked in ``carry`` (leading axis) through one block.

    Returns the new carry and ``(positions, info, step_sizes)``, each ``[chain, BLOCK, ...]``.
    With ``mesh`` (a one-axis ``Mesh`` named ``"chain"``), chains are split over its devices.
    """
    flags = IterationFlags(*(jnp.asarray(f) for f in flags))
    if mesh is None:
        return _advance_vectorized(kernel, adaptation, chain_keys, carry, flags)
    return _advance_parallel(kernel, adaptation, chain_keys, carry, flags, mesh)


def chain_mesh(num_devices: int) -> Mesh:
    """A one-axis mesh over the first ``num_devices`` local devices."""
    return Mesh(np.array(jax.local_devices()[:num_devices]), ("chain",))


def shard_chains(tree, mesh: Mesh):
    """``tree``'s arrays split over ``mesh`` along their leading (chain) axis.

    Placing the chains before the first block means every block sees the inputs laid out
    as the previous block left them, so the block compiles once, not twice.
    """
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec("chain")))
