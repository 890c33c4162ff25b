"""Which plate each axis of a site belongs to: ArviZ dims from a model trace."""

from __future__ import annotations

import numpy as np

__all__ = ["site_dims"]


def site_dims(model_trace) -> dict:
    """``{site: [dim name per axis]}`` for the sample and deterministic sites.

    An axis indexed by a plate is named after it; other axes get ArviZ's default
    ``f"{site}_dim_{i}"``. A sample site's plates count from the right of its batch shape
    (its event dims excluded); a deterministic site has no event dims.
    """
    dims = {}
    for name, site in model_trace.items():
        if site.type not in ("sample", "deterministic") or site.infer.get("is_auxiliary"):
            continue
        shape = np.shape(site.value)
        names = [f"{name}_dim_{axis}" for axis in range(len(shape))]
        event_dim = site.fn.event_dim if site.type == "sample" else 0
        for frame in site.plates:
            axis = len(shape) - event_dim + frame.dim
            size = frame.subsample_size if frame.subsample_size is not None else frame.size
            if 0 <= axis < len(shape) and shape[axis] == size:
                names[axis] = frame.name
        dims[name] = names
    return dims
