"""Inference: from a model to draws (``MCMC`` with ``NUTS``, ``HMC``, ``BarkerMH``, the
gradient-free ``SA``, and for discrete latent sites ``DiscreteHMCGibbs``, ``HMCGibbs`` and
``MixedHMC``; ``SVI`` with ``Trace_ELBO``, ``TraceMeanField_ELBO`` or ``RenyiELBO`` and the
guides of ``autoguide``; ``Predictive``, ``log_likelihood``, ``initialize_model``, init
strategies).

Names follow ``numpyro.infer``.
"""

from . import autoguide, reparam, util
from .._logdensity._init_strategies import (
    init_to_feasible,
    init_to_mean,
    init_to_median,
    init_to_sample,
    init_to_uniform,
    init_to_value,
)
from .._logdensity._initialize import ModelInfo, ParamInfo, initialize_model
from .._logdensity._predictive import Predictive, log_likelihood
from ._barker import BarkerMH
from ._elbo import RenyiELBO, Trace_ELBO, TraceMeanField_ELBO
from ._gibbs import DiscreteHMCGibbs, HMCGibbs
from ._mcmc import MCMC, MCMCState
from ._mixed_hmc import MixedHMC
from ._sa import SA
from ._samplers import HMC, NUTS
from ._svi import SVI, SVIRunResult, SVIState

__all__ = [
    "BarkerMH",
    "DiscreteHMCGibbs",
    "HMC",
    "HMCGibbs",
    "MCMC",
    "MCMCState",
    "MixedHMC",
    "NUTS",
    "ModelInfo",
    "ParamInfo",
    "Predictive",
    "RenyiELBO",
    "SA",
    "SVI",
    "SVIRunResult",
    "SVIState",
    "TraceMeanField_ELBO",
    "Trace_ELBO",
    "autoguide",
    "init_to_feasible",
    "init_to_mean",
    "init_to_median",
    "init_to_sample",
    "init_to_uniform",
    "init_to_value",
    "initialize_model",
    "log_likelihood",
    "reparam",
    "util",
]
