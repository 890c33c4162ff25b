"""Kernels: pure, jittable Markov transitions on a log-density callable (never a model).

Each kernel is an immutable ``equinox.Module`` holding its settings and the log density;
``kernel.init(position) -> state`` and ``kernel.step(key, state, params) -> (state, info)``.
"""

from ._barker import BarkerInfo, BarkerKernel
from ._base import AbstractKernel, HMCState, KernelParams
from ._gibbs import ConditionalDensity, DiscreteGibbsUpdate, GibbsKernel
from ._hmc import HMCInfo, HMCKernel
from ._integrators import Integrator, IntegratorState, integrate_step, mclachlan, velocity_verlet, yoshida
from ._metric import LowRankMetric, kinetic_energy, sample_momentum, velocity
from ._mixed_hmc import MixedHMCKernel
from ._nuts import NUTSInfo, NUTSKernel
from ._sa import SAInfo, SAKernel, SAState

__all__ = [
    "AbstractKernel",
    "BarkerInfo",
    "BarkerKernel",
    "ConditionalDensity",
    "DiscreteGibbsUpdate",
    "GibbsKernel",
    "HMCInfo",
    "HMCKernel",
    "HMCState",
    "Integrator",
    "IntegratorState",
    "KernelParams",
    "LowRankMetric",
    "MixedHMCKernel",
    "NUTSInfo",
    "NUTSKernel",
    "SAInfo",
    "SAKernel",
    "SAState",
    "integrate_step",
    "kinetic_energy",
    "mclachlan",
    "sample_momentum",
    "velocity",
    "velocity_verlet",
    "yoshida",
]
