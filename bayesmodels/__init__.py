"""bayesmodels: probabilistic programming on JAX.

``import bayesmodels as bm``; distributions are ``bm.dist`` (also ``bm.distributions``).
"""

from . import diagnostics, distributions, handlers, infer, primitives
from ._config import enable_x64, set_host_device_count
from .primitives import (
    MissingRNGKeyError,
    deterministic,
    factor,
    param,
    plate,
    prng_key,
    sample,
    subsample,
)
from .model import Model, NotFittedError
from .results import InferenceResult, SamplingWarning

dist = distributions

__version__ = "0.1.0"

__all__ = [
    "InferenceResult",
    "MissingRNGKeyError",
    "Model",
    "NotFittedError",
    "SamplingWarning",
    "__version__",
    "deterministic",
    "diagnostics",
    "dist",
    "distributions",
    "enable_x64",
    "factor",
    "handlers",
    "infer",
    "param",
    "plate",
    "primitives",
    "prng_key",
    "sample",
    "set_host_device_count",
    "subsample",
]
