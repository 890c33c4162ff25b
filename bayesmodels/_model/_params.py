r"""Hyper-parameters of a ``Model`` subclass, the sklearn way.

A hyper-parameter is a named argument of the subclass's ``__init__`` stored on the
instance under the same name, so ``get_params`` can read it back and
``sklearn.base.clone`` can rebuild the model as ``type(model)(**model.get_params())``.
``define``'s arguments are the data; they must not take the names that ``fit`` and the
predictive methods use for their own settings.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

__all__ = ["RESERVED_NAMES", "check_subclass", "hyper_parameter_names", "params_key"]

RESERVED_NAMES = frozenset(
    {
        # fit
        "method",
        "seed",
        "num_warmup",
        "num_samples",
        "num_chains",
        "progress_bar",
        "coords",
        "guide",
        "num_steps",
        "optimizer",
        # the predictive methods
        "group_by_chain",
        "add_to_result",
    }
)

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@functools.cache
def hyper_parameter_names(cls) -> tuple[str, ...]:
    """The named arguments of ``cls.__init__`` (``self`` and ``**kwargs`` left out)."""
    if cls.__init__ is object.__init__:
        return ()
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return tuple(p.name for p in parameters if p.kind in _NAMED)


def check_subclass(cls) -> None:
    """Raise ``TypeError`` when ``cls`` breaks the rules a ``Model`` subclass follows."""
    if "__init__" in cls.__dict__:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
            raise TypeError(
                f"{cls.__name__}.__init__ takes *args, but hyper-parameters must be named "
                "arguments (so that get_params, set_params and sklearn's clone can find them)"
            )
    if "define" in cls.__dict__:
        define = cls.__dict__["define"]
        if not callable(define):
            raise TypeError(f"{cls.__name__}.define must be a method, got {type(define).__name__}")
        parameters = list(inspect.signature(define).parameters.values())[1:]
        taken = sorted(p.name for p in parameters if p.kind in _NAMED and p.name in RESERVED_NAMES)
        if taken:
            raise TypeError(
                f"{cls.__name__}.define has {'an argument' if len(taken) == 1 else 'arguments'} named "
                f"{', '.join(repr(name) for name in taken)}, which fit() and the predictive methods "
                f"reserve for their own settings (reserved: {', '.join(sorted(RESERVED_NAMES))}); "
                "rename it"
            )


def params_key(value):
    """A hashable stand-in for a hyper-parameter value, equal when the values are equal.

    Arrays are keyed by dtype, shape and bytes; lists, tuples and dicts by their items;
    anything unhashable else by identity (so it is only ever equal to itself).
    """
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(params_key(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((params_key(k), params_key(v)) for k, v in value.items()))
    if hasattr(value, "__array__") and not np.isscalar(value):
        array = np.asarray(value)
        return ("array", array.dtype.str, array.shape, array.tobytes())
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value).__name__, value)
