"""bayesmodels: probabilistic programming on JAX.

``import bayesmodels as bm``; distributions are ``bm.dist`` (also ``bm.distributions``).
"""

from . import _config

_config._default_compilation_cache()  # before anything compiles (see set_compilation_cache)
_config._default_host_devices()  # before JAX starts its CPU backend

from . import diagnostics, distributions, handlers, infer, primitives  # noqa: E402
from ._config import enable_x64, set_compilation_cache, set_host_device_count  # noqa: E402
from .primitives import (  # noqa: E402
    MissingRNGKeyError,
    deterministic,
    factor,
    param,
    plate,
    prng_key,
    sample,
    subsample,
)
from .model import Model, NotFittedError  # noqa: E402
from .results import InferenceResult, SamplingWarning  # noqa: E402

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
    "set_compilation_cache",
    "set_host_device_count",
    "subsample",
]
