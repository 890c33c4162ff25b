"""Inference: from a model to draws (``Predictive``, ``log_likelihood``,
``initialize_model``, init strategies; MCMC and SVI drivers as they land).

Names follow ``numpyro.infer``.
"""

from . import reparam, util
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

__all__ = [
    "ModelInfo",
    "ParamInfo",
    "Predictive",
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
