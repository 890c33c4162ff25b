"""bayesmodels: probabilistic programming on JAX.

``import bayesmodels as bm``; distributions are ``bm.dist`` (also ``bm.distributions``).
"""

from . import distributions, handlers, infer, primitives
from ._config import enable_x64
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

dist = distributions

__version__ = "0.1.0"

__all__ = [
    "MissingRNGKeyError",
    "__version__",
    "deterministic",
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
    "subsample",
]
