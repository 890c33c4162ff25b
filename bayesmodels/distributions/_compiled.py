"""``compiled_method``: run a distribution method as one compiled function, also eagerly.

A wrapper distribution's log density or sampler is dozens of small array operations.
Called eagerly, JAX compiles each of them separately for every new input shape, which
costs far more than the arithmetic; compiled together they cost one compilation per shape.
Inside an outer ``jit``, ``grad`` or ``vmap`` the wrapper is transparent.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp

__all__ = ["compiled_method"]


def _dynamic(leaf):
    """Python floats become (weakly typed) arrays, so a new value does not recompile."""
    return jnp.asarray(leaf) if isinstance(leaf, float) else leaf


def compiled_method(method):
    """Decorate a method so that it runs under ``equinox.filter_jit``.

    Array arguments (and Python floats, in the arguments and among the distribution's
    parameters) are traced; anything else (a ``sample_shape`` tuple, a Python int) is
    static.
    """
    compiled = eqx.filter_jit(method)

    @functools.wraps(method)
    def run(self, *args):
        return compiled(jax.tree.map(_dynamic, self), *jax.tree.map(_dynamic, args))

    return run
