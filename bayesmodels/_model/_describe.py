"""``Model.describe()``: one row per site of a model run, as a ``pandas.DataFrame``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._effects._checks import family_name

if TYPE_CHECKING:  # pandas is imported where first used: it is slow to load
    import pandas as pd

__all__ = ["site_table"]

COLUMNS = ("kind", "distribution", "shape", "plates", "support")


def _kind(site) -> str:
    if site.type == "deterministic":
        return "deterministic"
    if site.infer.get("is_auxiliary"):
        return "factor"
    return "observed" if site.is_observed else "latent"


def site_table(model_trace) -> pd.DataFrame:
    """Sample, deterministic and factor sites of ``model_trace`` in the order they ran.

    Columns: ``kind`` (latent, observed, deterministic or factor), ``distribution`` (the
    family, under batch wrappers), ``shape`` (of the value), ``plates`` (outermost
    first), ``support``.
    """
    import pandas as pd

    rows = {}
    for name, site in model_trace.items():
        if site.type not in ("sample", "deterministic"):
            continue
        kind = _kind(site)
        is_sample = site.type == "sample" and kind != "factor"
        rows[name] = {
            "kind": kind,
            "distribution": family_name(site.fn) if is_sample else "",
            "shape": tuple(np.shape(site.value)),
            "plates": ", ".join(frame.name for frame in reversed(site.plates)),
            "support": str(site.fn.support) if is_sample else "",
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    table.index.name = "site"
    return table
