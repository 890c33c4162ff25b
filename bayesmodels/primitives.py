"""The statements a model is written in; also reachable as ``bm.sample``, ``bm.plate``, ...

Each sends a site through the handler stack (``bayesmodels.handlers``) and returns its
value.
"""

from ._effects._errors import MissingRNGKeyError
from ._effects._plate import plate
from ._effects._primitives import deterministic, factor, param, prng_key, sample, subsample
from ._effects._site import PlateFrame, Site
from ._effects._stack import Messenger, apply_stack

__all__ = [
    "Messenger",
    "MissingRNGKeyError",
    "PlateFrame",
    "Site",
    "apply_stack",
    "deterministic",
    "factor",
    "param",
    "plate",
    "prng_key",
    "sample",
    "subsample",
]
