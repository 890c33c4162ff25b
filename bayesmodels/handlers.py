"""Effect handlers (NumPyro's ``numpyro.handlers``): each changes what happens at the
sites of a model run inside it, as a wrapper (``seed(model, rng_seed=0)``) or as a
context manager (``with seed(rng_seed=0): ...``).
"""

from ._effects._handlers import (
    block,
    condition,
    do,
    infer_config,
    mask,
    replay,
    scale,
    scope,
    seed,
    substitute,
    trace,
    uncondition,
)
from ._effects._reparam import reparam
from ._effects._stack import Messenger

__all__ = [
    "Messenger",
    "block",
    "condition",
    "do",
    "infer_config",
    "mask",
    "reparam",
    "replay",
    "scale",
    "scope",
    "seed",
    "substitute",
    "trace",
    "uncondition",
]
