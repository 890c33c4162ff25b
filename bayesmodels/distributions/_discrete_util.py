r"""Helpers shared by the discrete families: the probs/logits choice, log binomial
coefficients, integer draws, finite-support enumeration and a multinomial sampler.

Every discrete family returns draws of JAX's default integer dtype (``int32``, or
``int64`` under ``jax_enable_x64``), so counts and category indices can index arrays and
compare exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betaln

from ._util import as_float_array, describe_values, is_traced, logits_to_probs, probs_to_logits

__all__: list[str] = []


def int_dtype():
    """JAX's default integer dtype (int32, or int64 when x64 is enabled)."""
    return jnp.result_type(int)


def to_int(x):
    """Whole-number floats as the default integer dtype, saturating instead of wrapping."""
    dtype = int_dtype()
    info = jnp.iinfo(dtype)
    return jnp.clip(jnp.asarray(x), info.min, info.max).astype(dtype)


def probs_or_logits(family: str, probs, logits, *, is_binary: bool):
    """``(probs, logits, given)`` from exactly one of ``probs`` and ``logits``.

    The missing one is derived (``sigmoid``/``logit`` when ``is_binary``, else
    ``softmax``/``log``); ``given`` is ``"probs"`` or ``"logits"``.
    """
    if (probs is None) == (logits is None):
        got = "neither" if probs is None else "both"
        raise ValueError(
            f"{family}: pass exactly one of 'probs' or 'logits'; got {got}. "
            f"For example {family}(probs=0.3) or {family}(logits=-0.8)."
        )
    if probs is not None:
        probs = as_float_array(probs)
        return probs, probs_to_logits(probs, is_binary=is_binary), "probs"
    logits = as_float_array(logits)
    return logits_to_probs(logits, is_binary=is_binary), logits, "logits"


def category_vector(family: str, name: str, x):
    """A parameter whose last axis indexes categories, as a float array of rank >= 1."""
    x = as_float_array(x)
    if jnp.ndim(x) == 0:
        raise ValueError(
            f"{family}: parameter '{name}' must have at least one dimension (the last one "
            f"indexes the categories); got the scalar {x!r}."
        )
    return jnp.asarray(x)


def check_parameter(family: str, name: str, value, constraint, validate_args=None):
    """Raise the library's usual ``ValueError`` if a concrete ``value`` breaks ``constraint``.

    For parameters that a family converts before storing (so the base class's check
    would name the converted attribute instead of the argument the user passed).
    """
    if validate_args is False or value is None or is_traced(value):
        return
    with jax.ensure_compile_time_eval():
        ok = np.asarray(constraint(value))
    if not ok.all():
        raise ValueError(
            f"{family}: parameter '{name}' must be {constraint}; got "
            f"{describe_values(value, ok)}. Check the values passed to the constructor."
        )


def log_binomial_coefficient(n, k):
    r""":math:`\log \binom{n}{k}` through ``betaln``, accurate even for large ``n``."""
    n, k = jnp.asarray(n), jnp.asarray(k)
    value = -jnp.log1p(n) - betaln(k + 1.0, n - k + 1.0)
    return jnp.where((k == 0) | (k == n), 0.0, value)  # exact at the ends


def concrete_max(family: str, name: str, value, *, homogeneous: bool) -> int:
    """The largest entry of a concrete integer parameter, for enumerating a support.

    Raises ``NotImplementedError`` when ``value`` is traced, or when ``homogeneous`` is
    asked for and the entries differ.
    """
    if is_traced(value):
        raise NotImplementedError(
            f"{family}: cannot enumerate the support while '{name}' is traced (inside jit/vmap); "
            f"pass '{name}' as a concrete (static) value."
        )
    value = np.asarray(value)
    if homogeneous and value.size and value.min() != value.max():
        raise NotImplementedError(
            f"{family}: enumerate_support needs the same '{name}' across the batch; got values "
            f"from {value.min():g} to {value.max():g}."
        )
    return int(value.max()) if value.size else 0


def is_concrete_and_homogeneous(*values) -> bool:
    """True when every value is concrete and constant across its entries."""
    if is_traced(*values):
        return False
    return all(np.ptp(np.asarray(v)) == 0 if np.size(v) else True for v in values)


def arange_support(lower: int, upper: int, batch_shape, expand: bool):
    """``lower..upper`` along a new leading axis, shaped for ``enumerate_support``."""
    values = jnp.arange(lower, upper + 1, dtype=int_dtype())
    values = jnp.reshape(values, (-1,) + (1,) * len(batch_shape))
    if expand:
        values = jnp.broadcast_to(values, values.shape[:1] + tuple(batch_shape))
    return values


def entropy_by_enumeration(dist, values):
    r""":math:`-\sum_x p(x) \log p(x)` over ``values`` (points outside the support add 0)."""
    log_prob = dist.log_prob(values)
    terms = jnp.where(jnp.isfinite(log_prob), jnp.exp(log_prob) * log_prob, 0.0)
    return -jnp.sum(terms, axis=0)


def sample_multinomial(key, total_count, probs, shape):
    """Multinomial counts of ``shape + probs.shape[-1:]`` by conditional binomials.

    Category ``k`` gets ``Binomial(n_left, p_k / (p_k + ... + p_K))`` and the last one
    what is left, so ``total_count`` may be a traced array (no static bound needed).
    """
    probs = jnp.broadcast_to(probs, tuple(shape) + jnp.shape(probs)[-1:])
    total_count = jnp.broadcast_to(jnp.asarray(total_count, probs.dtype), tuple(shape))
    # remaining mass p_k + ... + p_K, summed from the right for accuracy
    tail = jnp.flip(jnp.cumsum(jnp.flip(probs, -1), -1), -1)
    conditional = jnp.clip(probs / jnp.where(tail > 0, tail, 1.0), 0.0, 1.0)
    keys = jax.random.split(key, probs.shape[-1] - 1)

    def step(left, inputs):
        k, p = inputs
        count = jax.random.binomial(k, left, p)
        return left - count, count

    left, counts = jax.lax.scan(step, total_count, (keys, jnp.moveaxis(conditional[..., :-1], -1, 0)))
    counts = jnp.concatenate([jnp.moveaxis(counts, 0, -1), left[..., None]], axis=-1)
    return to_int(counts)
