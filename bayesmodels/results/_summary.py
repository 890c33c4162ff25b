r"""The posterior summary table, with ArviZ's numerics and row names.

``az.summary`` names the rows (``theta[0]``, ``theta[Choate]``, ``L[0, 1]``) and
computes every figure: mean, sd (``ddof=1``), the HDI, Monte Carlo standard errors,
bulk/tail ESS and rank-normalised split r-hat. The diagnostics (ESS, r-hat, MCSE) do not
depend on ``prob`` and are the costly part, so they are computed once per result, for
every posterior variable, and shared with the post-sampling checks; each call of
``summary`` then adds only the cheap statistics.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # ArviZ, pandas and xarray are imported where first used: they are slow to load
    import pandas as pd
    import xarray as xr

DIAGNOSTIC_COLUMNS = ("mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat")


def hdi_columns(prob: float) -> tuple[str, str]:
    """ArviZ's names of the HDI bounds for ``hdi_prob=prob``: ``hdi_5%``, ``hdi_95%``."""
    alpha = 1 - prob
    return f"hdi_{100 * alpha / 2:g}%", f"hdi_{100 * (1 - alpha / 2):g}%"


def numeric(dataset: xr.Dataset) -> xr.Dataset:
    """Booleans as int8, so that differences (HDI widths) are defined."""
    return dataset.map(lambda variable: variable.astype(np.int8) if variable.dtype == np.bool_ else variable)


def diagnostics_by_site(dataset: xr.Dataset) -> dict[str, pd.DataFrame]:
    """site -> its rows of ``az.summary(kind="diagnostics")``, one pass over all sites."""
    import arviz as az

    if not dataset.data_vars:
        return {}
    with np.errstate(invalid="ignore", divide="ignore"), _quiet_if_one_chain(dataset):
        table = az.summary(dataset, kind="diagnostics", round_to="none")  # constant sites: NaN
    per_draw = dataset.sizes["chain"] * dataset.sizes["draw"]
    by_site, start = {}, 0
    for name, variable in dataset.data_vars.items():  # az.summary walks them in this order
        stop = start + (variable.size // per_draw if per_draw else 0)
        by_site[name] = table.iloc[start:stop]
        start = stop
    return by_site


@contextlib.contextmanager
def _quiet_if_one_chain(dataset: xr.Dataset):
    """One chain has no r-hat (NaN): ArviZ's "Shape validation failed" log line says only that."""
    import arviz as az

    logger = getattr(az, "_log", None) or logging.getLogger("arviz")  # ArviZ's own (unregistered) logger
    level = logger.level
    if dataset.sizes.get("chain", 2) < 2:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _selected(dataset: xr.Dataset, var_names) -> list[str]:
    names = list(dataset.data_vars)
    if var_names is None:
        return names
    var_names = [var_names] if isinstance(var_names, str) else list(var_names)
    unknown = [name for name in var_names if name not in names]
    if unknown:
        raise ValueError(f"var_names {unknown} are not posterior sites; the sites are {names}")
    return var_names


def summary_table(dataset: xr.Dataset, diagnostics: dict, prob: float, var_names=None) -> pd.DataFrame:
    """mean, sd, median, HDI bounds, then the cached diagnostics; one row per scalar."""
    import arviz as az
    import pandas as pd

    if not 0.0 < prob < 1.0:
        raise ValueError(f"summary needs prob in (0, 1), but got prob={prob}")
    low, high = hdi_columns(prob)
    columns = ["mean", "sd", "median", low, high, *DIAGNOSTIC_COLUMNS]
    names = _selected(dataset, var_names)
    if not names:
        return pd.DataFrame(columns=columns, dtype=float)
    stats = az.summary(
        dataset[names],
        kind="stats",
        hdi_prob=prob,
        round_to="none",
        stat_funcs={"median": np.median},
        extend=True,
    )
    diagnostic = pd.concat([diagnostics[name] for name in names])
    if not diagnostic.index.equals(stats.index):  # pragma: no cover - guards the row order
        raise RuntimeError("ArviZ's stats and diagnostics rows disagree; please report this")
    return pd.concat([stats, diagnostic], axis=1)[columns]
