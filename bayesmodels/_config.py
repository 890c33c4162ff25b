"""Global JAX settings that users switch on once, before building models."""

import jax


def enable_x64(use_x64: bool = True) -> None:
    """Use float64 (and int64) by default instead of float32.

    Call it at the start of a program, before any arrays are created: arrays made
    earlier keep their 32-bit dtype.
    """
    jax.config.update("jax_enable_x64", bool(use_x64))
