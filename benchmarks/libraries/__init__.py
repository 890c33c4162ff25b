"""The (library, setting) pairs the benchmark runs, and the runner for each.

A setting may need several host CPU devices; the parent process sets
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` in the worker's environment
before JAX starts (what ``bm.set_host_device_count`` and
``numpyro.set_host_device_count`` do).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Draws, Runner, RunSize

__all__ = ["SETTINGS", "Draws", "RunSize", "Runner", "Setting", "make_runner"]

PARALLEL_DEVICES = 4


@dataclass(frozen=True)
class Setting:
    """One way of running a library."""

    library: str  # "bayesmodels", "numpyro" or "blackjax"
    name: str  # e.g. "vectorized"
    host_devices: int = 1  # CPU devices the worker's JAX sees
    time_gradient: bool = False  # also time a bare gradient (for the per-gradient overhead)
    cache: str = "off"  # persistent compilation cache: "off", "cold" (a fresh empty
    # directory) or "warm" (the directory the ``warm_from`` setting filled, same model)
    warm_from: str | None = None
    continuation: bool = True  # time the sampling phase alone (a second, warm-up-free run)
    refit: bool = False  # then fit at the quick size twice: the same data, then new data
    quick: bool = False  # run at the quick size whatever the suite's size
    models: tuple | None = None  # only these models (None: all)
    chain_method: str | None = None  # MCMC's chain_method (None: the setting's name)
    sampler_options: tuple = ()  # extra (keyword, value) pairs for NUTS(...)

    @property
    def label(self) -> str:
        return f"{self.library}/{self.name}"


SETTINGS = (
    Setting("numpyro", "sequential", continuation=False, models=("f",)),
    Setting("numpyro", "vectorized", time_gradient=True),
    Setting("numpyro", "parallel", host_devices=PARALLEL_DEVICES),
    Setting("bayesmodels", "vectorized", time_gradient=True, cache="cold"),
    Setting("bayesmodels", "parallel", host_devices=PARALLEL_DEVICES, cache="cold"),
    Setting(
        "bayesmodels", "parallel-low-rank", host_devices=PARALLEL_DEVICES, cache="cold",
        chain_method="parallel", sampler_options=(("low_rank_mass", 10),),
    ),  # fmt: skip
    Setting("bayesmodels", "fit", cache="cold", refit=True),
    Setting("bayesmodels", "fit-warm-cache", cache="warm", warm_from="fit", quick=True),
    Setting("blackjax", "vmap"),  # its log density is NumPyro's: same bare gradient
)
"""Every pair, in a fixed order (``run.py`` interleaves the libraries and keeps each
library's order).

NumPyro and BlackJAX run without a persistent compilation cache, as JAX runs by
default; bayesmodels with its default cache (on), in a fresh directory, so its first run
compiles everything. ``fit`` then fits twice more at the quick size (same data, then new
data of the same shapes), which also leaves the quick size's programs in its cache;
``fit-warm-cache`` is that quick ``fit`` in a new process on the filled cache: what the
same model costs to start again. Cuts that keep the suite near 15 minutes on 2 cores:
NumPyro's sequential setting (which compiles the sampler once per chain) runs on (f)
only, and the refit and warm-cache checks run at the quick size (they are about
compilation, not about sampling).
"""


def make_runner(setting: Setting, model, size: RunSize) -> Runner:
    """The runner for ``setting`` on ``model`` (a module of ``benchmarks.models``).

    Imported here, in the worker. (Every worker imports bayesmodels and NumPyro, since
    the model modules define both models; BlackJAX only where it runs.)
    """
    if setting.library == "blackjax":
        from .blackjax_runner import BlackJAXRunner

        return BlackJAXRunner(model, size)
    if setting.library == "bayesmodels" and setting.name.startswith("fit"):
        from .fit import FitRunner

        return FitRunner(model, size)
    from .mcmc_api import MCMCRunner

    if setting.library == "numpyro":
        import numpyro.infer as infer

        return MCMCRunner(model, size, infer, model.numpyro_model, setting.chain_method or setting.name)
    if setting.library == "bayesmodels":
        import bayesmodels.infer as infer

        options = dict(setting.sampler_options)
        return MCMCRunner(model, size, infer, model.bayesmodels_model, setting.chain_method or setting.name, options)
    raise ValueError(f"unknown library {setting.library!r}")
