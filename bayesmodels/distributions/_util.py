"""Small array helpers shared by the distribution families.

Nothing here knows about distributions; these are shape and numerics utilities.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import expit, logit

__all__ = [
    "as_float_array",
    "batch_shape_of",
    "clamp_probs",
    "describe_values",
    "is_traced",
    "log1mexp",
    "logdiffexp",
    "logits_to_probs",
    "probs_to_logits",
    "promote_shapes",
    "sum_rightmost",
]


def is_traced(*values) -> bool:
    """True when any value is a JAX tracer (we are inside ``jit``/``vmap``/``grad``)."""
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(values))


def as_float_array(x):
    """A parameter as a floating-point value.

    Python scalars stay Python scalars (weakly typed, so they follow the dtype of whatever
    they meet, and ``Normal(0., 1.).loc`` reads back as ``0.0``). Arrays of integer or
    boolean dtype become arrays of the default float dtype.
    """
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def batch_shape_of(*params, event_dims=None) -> tuple[int, ...]:
    """The broadcast of the parameters' shapes, each with its trailing event dims removed."""
    event_dims = event_dims or (0,) * len(params)
    shapes = []
    for p, e in zip(params, event_dims):
        shape = jnp.shape(p)
        shapes.append(shape[: len(shape) - e])
    return tuple(jnp.broadcast_shapes(*shapes)) if shapes else ()


def promote_shapes(*args, shape=()):
    """Left-pad the arrays' shapes with ones so they all have the same number of dims.

    Python scalars are returned unchanged, as in NumPyro, so that a distribution built
    from scalars keeps scalar parameters.
    """
    if len(args) < 2 and not shape:
        return args
    shapes = [jnp.shape(a) for a in args]
    ndim = max(len(shape), *(len(s) for s in shapes))
    out = []
    for a, s in zip(args, shapes):
        if len(s) == ndim or isinstance(a, (int, float)):
            out.append(a)
        else:
            out.append(jnp.reshape(a, (1,) * (ndim - len(s)) + tuple(s)))
    return tuple(out)


def sum_rightmost(x, n: int):
    """Sum the rightmost ``n`` dimensions of ``x`` (``n == 0`` returns ``x``)."""
    x = jnp.asarray(x)
    return x.sum(axis=tuple(range(-n, 0))) if n > 0 else x


def clamp_probs(probs):
    """Clip probabilities into the open interval (0, 1) by the dtype's resolution."""
    probs = jnp.asarray(probs)
    finfo = jnp.finfo(jnp.result_type(probs, float))
    return jnp.clip(probs, finfo.tiny, 1.0 - finfo.eps)


def probs_to_logits(probs, is_binary: bool = False):
    """Logits for probabilities: ``logit(p)`` when binary, else ``log(p)``."""
    probs = clamp_probs(probs)
    return logit(probs) if is_binary else jnp.log(probs)


def logits_to_probs(logits, is_binary: bool = False):
    """Probabilities for logits: ``sigmoid(l)`` when binary, else ``softmax(l)``."""
    return expit(logits) if is_binary else jax.nn.softmax(logits, axis=-1)


def describe_values(value, ok, limit: int = 4) -> str:
    """A short text naming the entries of ``value`` where ``ok`` is False.

    ``ok`` may have fewer (trailing event) dims than ``value``; the offending entries are
    listed by index, at most ``limit`` of them.
    """
    value = np.asarray(value)
    ok = np.broadcast_to(np.asarray(ok), np.shape(ok))
    if value.ndim == 0 or value.size == 1 and ok.size == 1:
        return repr(value.item() if value.size == 1 else value.tolist())
    bad = np.argwhere(~ok)
    parts = []
    for index in bad[:limit]:
        index = tuple(int(i) for i in index)
        entry = value[index] if index else value
        entry = entry.item() if np.ndim(entry) == 0 else np.round(entry, 6).tolist()
        parts.append(f"[{', '.join(map(str, index))}] = {entry}" if index else f"{entry}")
    more = f" (and {len(bad) - limit} more)" if len(bad) > limit else ""
    return f"array of shape {value.shape} with " + "; ".join(parts) + more


def log1mexp(x):
    r"""Numerically stable :math:`\log(1 - e^{x})` for :math:`x < 0` (Mächler 2012)."""
    x = jnp.asarray(x)
    return jnp.where(x > -math.log(2.0), jnp.log(-jnp.expm1(x)), jnp.log1p(-jnp.exp(x)))


def logdiffexp(a, b):
    r""":math:`\log(e^{a} - e^{b})` for :math:`a > b`, computed stably."""
    return a + log1mexp(b - a)

