"""Global JAX settings that users switch on once, before building models, and the
persistent compilation cache that ``import bayesmodels`` switches on."""

import os
import sys
import warnings
from pathlib import Path

import jax
from jax.experimental.compilation_cache import compilation_cache

CACHE_ENV = "BAYESMODELS_COMPILATION_CACHE"
HOST_DEVICES_ENV = "BAYESMODELS_HOST_DEVICES"
DEFAULT_HOST_DEVICES = 4
_OFF = ("0", "off", "false", "no")


def enable_x64(use_x64: bool = True) -> None:
    """Use float64 (and int64) by default instead of float32.

    Call it at the start of a program, before any arrays are created: arrays made
    earlier keep their 32-bit dtype. It sets JAX's ``jax_enable_x64`` option.

    Args:
        use_x64: True for 64-bit defaults, False to go back to 32-bit.
    """
    jax.config.update("jax_enable_x64", bool(use_x64))


def set_host_device_count(n: int) -> None:
    """Expose ``n`` CPU devices so ``chain_method="parallel"`` (and ``"auto"``) can run one
    chain per core.

    It sets XLA's ``--xla_force_host_platform_device_count`` flag, which XLA reads when
    the CPU backend starts: call it at the top of the program, before any JAX computation.
    Called later it has no effect, and a ``RuntimeWarning`` says so (unless the count is
    already ``n``). ``import bayesmodels`` already sets one device per usable core (at
    least 4) unless ``BAYESMODELS_HOST_DEVICES`` says otherwise.

    Args:
        n: the number of CPU devices, a positive int.

    Raises:
        ValueError: ``n`` is not a positive int.
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"set_host_device_count: n must be a positive integer, got {n!r}")
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith("--xla_force_host_platform_device_count")]
    os.environ["XLA_FLAGS"] = " ".join(flags + [f"--xla_force_host_platform_device_count={n}"])
    if not _backend_started():
        jax.config.update("jax_num_cpu_devices", n)  # overrides the count set at import
    elif jax.local_device_count("cpu") != n:
        warnings.warn(
            f"set_host_device_count({n}) was called after JAX started its CPU backend "
            f"({jax.local_device_count('cpu')} device(s)); call it before any JAX computation",
            RuntimeWarning,
            stacklevel=2,
        )


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _default_host_devices() -> None:
    """What ``import bayesmodels`` does about CPU devices: one per usable core, and at
    least ``DEFAULT_HOST_DEVICES`` (the default number of chains), so that
    ``chain_method="auto"`` runs each chain on a device of its own. A chain alone on a
    device stops its trajectories when they turn, where chains ``vmap``-ed together all
    run as long as the longest; on 2 cores, 4 chains on 4 devices sample about twice as
    fast as 4 chains vectorized.

    Left alone when ``BAYESMODELS_HOST_DEVICES`` is ``off`` (or a number, used instead),
    when ``XLA_FLAGS`` or ``jax_num_cpu_devices`` already set the count, or when JAX's
    backends have started (the count can no longer change). Only the CPU platform is
    affected: on a GPU the chains go where they went before.
    """
    setting = os.environ.get(HOST_DEVICES_ENV, "").strip().lower()
    if setting in _OFF or _backend_started():
        return
    if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return
    if jax.config.jax_num_cpu_devices != -1:
        return
    count = int(setting) if setting.isdigit() else max(usable_cores(), DEFAULT_HOST_DEVICES)
    if count > 1:
        jax.config.update("jax_num_cpu_devices", count)


def _backend_started() -> bool:
    from jax._src import xla_bridge

    return bool(getattr(xla_bridge, "_backends", None))


def default_cache_dir() -> Path:
    """Where compiled programs are kept: the user's cache directory, ``bayesmodels/jax``.

    ``$XDG_CACHE_HOME`` (else ``~/.cache``) on Linux, ``~/Library/Caches`` on macOS,
    ``%LOCALAPPDATA%`` on Windows.
    """
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "bayesmodels" / "jax"


def set_compilation_cache(path="default") -> None:
    """Keep compiled programs on disk, so a model compiled once is not compiled again in
    a new process (the same model and data shapes then start in about a second).

    ``import bayesmodels`` calls ``set_compilation_cache()`` unless the environment
    variable ``BAYESMODELS_COMPILATION_CACHE`` is ``0``/``off`` (or a directory, used
    instead of the default), or JAX's ``jax_compilation_cache_dir`` was already set.

    Every compiled program is kept, however quick its compilation was (model
    initialisation runs many small ones); a fitted model takes well under a megabyte.
    The directory is not pruned (JAX prunes only with the ``filelock`` package and
    ``jax_compilation_cache_max_size``); delete it at will. The cache is JAX's own: this
    sets ``jax_compilation_cache_dir`` and its threshold options.

    Args:
        path: a directory (a string or ``pathlib.Path``); ``"default"`` for
            ``default_cache_dir()`` (``$XDG_CACHE_HOME/bayesmodels/jax`` or
            ``~/.cache/bayesmodels/jax`` on Linux); ``None`` turns the cache off for the
            rest of the process.
    """
    compilation_cache.reset_cache()
    if path is None:
        jax.config.update("jax_enable_compilation_cache", False)
        return
    directory = default_cache_dir() if path == "default" else Path(path)
    jax.config.update("jax_enable_compilation_cache", True)
    jax.config.update("jax_compilation_cache_dir", os.fspath(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def _default_compilation_cache() -> None:
    """What ``import bayesmodels`` does about the cache (see :func:`set_compilation_cache`)."""
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() in _OFF or jax.config.jax_compilation_cache_dir is not None:
        return
    set_compilation_cache(setting or "default")
