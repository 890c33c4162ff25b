r"""What every gradient-based kernel shares: its state, its tunable parameters, and the
interface a kernel implements.

A kernel is an immutable ``equinox.Module`` holding its settings and the log-density
callable; the chain's state travels beside it. A transition is a pure function
``kernel.step(key, state, params) -> (state, info)``: ``state`` is what the next step needs,
``info`` is what a person wants to see and is never fed back (its field names are
ArviZ's, so export is a hand-off).
"""

from __future__ import annotations

import abc
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp

from ._metric import LowRankMetric

__all__ = ["AbstractKernel", "HMCState", "KernelParams"]


class HMCState(NamedTuple):
    """Position with its log density and gradient: all the next step needs."""

    position: jax.Array
    log_density: jax.Array
    log_density_grad: jax.Array


class KernelParams(NamedTuple):
    """The numbers adaptation tunes. Arrays, so changing them never recompiles.

    ``inverse_mass_matrix`` is a vector (diagonal metric), a matrix (dense metric) or a
    ``LowRankMetric`` (a diagonal scale and a few corrected directions: nutpie's
    low-rank modified mass matrix, from ``NUTS(low_rank_mass=k)``).
    """

    step_size: jax.Array
    inverse_mass_matrix: jax.Array | LowRankMetric


class AbstractKernel(eqx.Module):
    """A Markov transition on a flat position vector, driven by ``log_density_fn``."""

    @abc.abstractmethod
    def init(self, position) -> HMCState:
        """The state at ``position``."""

    @abc.abstractmethod
    def step(self, key, state: HMCState, params: KernelParams):
        """One transition: ``(new_state, info)``."""

    @abc.abstractmethod
    def empty_info(self, state: HMCState):
        """An info of zeros with the types ``step`` returns (for skipped iterations)."""

    def initial_state(self, position, log_density, log_density_grad):
        """The state of one chain at a starting point whose log density and gradient are
        known (the driver maps it over chains). A kernel whose state carries more than
        ``HMCState`` overrides it; every state has ``position``, ``log_density`` and
        ``log_density_grad``, which the warm-up adaptation reads."""
        return HMCState(position, log_density, log_density_grad)


def init_state(log_density_fn, position) -> HMCState:
    """``HMCState`` at ``position``: evaluates the log density and its gradient."""
    position = jnp.asarray(position)
    log_density, grad = jax.value_and_grad(log_density_fn)(position)
    return HMCState(position, log_density, grad)
