"""Global JAX settings that users switch on once, before building models."""

import os
import warnings

import jax


def enable_x64(use_x64: bool = True) -> None:
    """Use float64 (and int64) by default instead of float32.

    Call it at the start of a program, before any arrays are created: arrays made
    earlier keep their 32-bit dtype.
    """
    jax.config.update("jax_enable_x64", bool(use_x64))


def set_host_device_count(n: int) -> None:
    """Expose ``n`` CPU devices so ``chain_method="parallel"`` (and ``"auto"``) can run one
    chain per core.

    It sets XLA's ``--xla_force_host_platform_device_count`` flag, which XLA reads when
    the CPU backend starts: call it at the top of the program, before any JAX computation.
    Called later it has no effect, and a ``RuntimeWarning`` says so.
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"set_host_device_count: n must be a positive integer, got {n!r}")
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith("--xla_force_host_platform_device_count")]
    os.environ["XLA_FLAGS"] = " ".join(flags + [f"--xla_force_host_platform_device_count={n}"])
    if _backend_started() and jax.local_device_count("cpu") != n:
        warnings.warn(
            f"set_host_device_count({n}) was called after JAX started its CPU backend "
            f"({jax.local_device_count('cpu')} device(s)); call it before any JAX computation",
            RuntimeWarning,
            stacklevel=2,
        )


def _backend_started() -> bool:
    from jax._src import xla_bridge

    return bool(getattr(xla_bridge, "_backends", None))
