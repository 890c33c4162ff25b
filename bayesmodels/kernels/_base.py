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
    r"""Position with its log density and gradient: all the next step needs.

    Args:
        position: the flat position :math:`q`, ``[dim]``.
        log_density: :math:`\log\pi(q)`, a scalar.
        log_density_grad: :math:`\nabla\log\pi(q)`, ``[dim]`` (zeros where a kernel uses
            no gradient, as ``SAKernel`` and the Gibbs block of ``GibbsKernel``).
    """

    position: jax.Array
    log_density: jax.Array
    log_density_grad: jax.Array


class KernelParams(NamedTuple):
    r"""The numbers adaptation tunes. Arrays, so changing them never recompiles.

    ``inverse_mass_matrix`` is a vector (diagonal metric), a matrix (dense metric) or a
    ``LowRankMetric`` (a diagonal scale and a few corrected directions: nutpie's
    low-rank modified mass matrix, from ``NUTS(low_rank_mass=k)``).

    Args:
        step_size: the integrator step size :math:`\epsilon` (for ``BarkerKernel`` the
            scale of the proposal's increments), a positive scalar array.
        inverse_mass_matrix: the inverse mass matrix :math:`M^{-1}`: a ``[dim]`` vector
            (diagonal), a ``[dim, dim]`` positive definite matrix (dense) or a
            ``LowRankMetric``.
    """

    step_size: jax.Array
    inverse_mass_matrix: jax.Array | LowRankMetric


class AbstractKernel(eqx.Module):
    r"""A Markov transition on a flat position vector, driven by ``log_density_fn``.

    A kernel is an immutable ``equinox.Module`` holding its settings and the log-density
    callable :math:`q \mapsto \log\pi(q)` (a flat ``[dim]`` vector to a scalar, never a
    model). ``init(position)`` gives the chain's state, and the pure, jittable
    ``step(key, state, params) -> (state, info)`` draws :math:`q' \sim T(q, \cdot\,)` from
    a transition :math:`T` that leaves :math:`\pi` invariant,

    .. math::

        \int \pi(q)\, T(q, q')\, \mathrm{d}q = \pi(q').

    ``state`` carries what the next step needs; ``info`` (``HMCInfo``, ``NUTSInfo``, ...,
    with ArviZ's field names) is for people and is never fed back. A subclass implements
    ``init``, ``step`` and ``empty_info``; a kernel may also define
    ``trial_log_accept_ratio(key, state, params, step_size)``, which the initial step-size
    search then uses instead of one integrator step.
    """

    @abc.abstractmethod
    def init(self, position) -> HMCState:
        """The state at ``position``: evaluates the log density there (and its gradient,
        for the kernels that use one).

        Args:
            position: the starting point, a flat ``[dim]`` array.

        Returns:
            the kernel's state at ``position``: an ``HMCState``, or a kernel's own state
            type with the same first three fields (``SAState``).
        """

    @abc.abstractmethod
    def step(self, key, state: HMCState, params: KernelParams):
        """One transition: a pure function of the key, the state and the parameters.

        Args:
            key: a JAX PRNG key; the transition's only randomness.
            state: the chain's current state (from ``init``, ``initial_state`` or the
                previous ``step``).
            params: the tunable ``KernelParams`` (step size and inverse mass matrix);
                ``SAKernel`` ignores them (its set of points is its own adaptation).

        Returns:
            ``(new_state, info)``: the state after the transition (the type of ``state``)
            and the kernel's info tuple about it (``HMCInfo``, ``NUTSInfo``,
            ``BarkerInfo`` or ``SAInfo``: scalars per chain).
        """

    @abc.abstractmethod
    def empty_info(self, state: HMCState):
        """An info of zeros with the types ``step`` returns (for skipped iterations).

        Args:
            state: a state of the chain; only its dtypes are read.

        Returns:
            the kernel's info tuple with every field zero (``diverging`` False), of the
            types and dtypes ``step`` returns.
        """

    def initial_state(self, position, log_density, log_density_grad):
        """The state of one chain at a starting point whose log density and gradient are
        known (the driver maps it over chains). A kernel whose state carries more than
        ``HMCState`` overrides it; every state has ``position``, ``log_density`` and
        ``log_density_grad``, which the warm-up adaptation reads.

        Args:
            position: the starting point, ``[dim]``.
            log_density: the log density at ``position``, a scalar.
            log_density_grad: its gradient at ``position``, ``[dim]``.

        Returns:
            the kernel's state at ``position`` (here the ``HMCState`` of the three,
            evaluating nothing).
        """
        return HMCState(position, log_density, log_density_grad)


def init_state(log_density_fn, position) -> HMCState:
    """``HMCState`` at ``position``: evaluates the log density and its gradient."""
    position = jnp.asarray(position)
    log_density, grad = jax.value_and_grad(log_density_fn)(position)
    return HMCState(position, log_density, grad)
