r"""Saving and loading results as netCDF (HDF5) files, through ArviZ and xarray.

The file is what ``InferenceData.to_netcdf`` writes: one netCDF group per result group,
so ``az.from_netcdf`` reads it too. Its top-level attrs mark it as a bayesmodels result
(``bayesmodels_result_format = 1``), which is how :func:`load_inference_data` tells it
from any other netCDF file. Arrays keep their dtypes (``bool``, ``int32``, ``float32``
...). netCDF has no boolean attributes, so boolean attrs of the groups are written as
integers; the result's own ``attrs`` travel as JSON and come back with their types.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

import numpy as np

from ._arviz import FORMAT_KEY, FORMAT_VERSION

if TYPE_CHECKING:  # ArviZ is imported where first used: it is slow to load
    import arviz as az

_ENGINE = "h5netcdf"


def _netcdf_attrs(attrs: dict) -> dict:
    return {key: int(value) if isinstance(value, (bool, np.bool_)) else value for key, value in attrs.items()}


def save_inference_data(idata: az.InferenceData, path) -> None:
    """Write ``idata`` (made by ``to_inference_data``) to ``path``, replacing any file there."""
    import arviz as az

    groups = {}
    for group in idata.groups():
        dataset = idata[group].copy()
        dataset.attrs = _netcdf_attrs(dataset.attrs)
        groups[group] = dataset
    az.InferenceData(attrs=idata.attrs, **groups).to_netcdf(os.fspath(path), engine=_ENGINE)


def load_inference_data(path) -> az.InferenceData:
    """Read a file written by :func:`save_inference_data`, fully into memory."""
    import arviz as az

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"no saved InferenceResult at {path!r}", path)
    not_ours = f"{path!r} is not a saved bayesmodels InferenceResult"
    try:
        with az.rc_context({"data.load": "eager"}):
            idata = az.from_netcdf(path, engine=_ENGINE)
    except OSError as error:
        raise ValueError(f"{not_ours}: it cannot be read as a netCDF file ({error})") from error
    version = idata.attrs.get(FORMAT_KEY)
    if version is None:
        raise ValueError(f"{not_ours}: it is a netCDF file without the {FORMAT_KEY!r} attribute")
    if int(version) > FORMAT_VERSION:
        raise ValueError(
            f"{path!r} was saved in result format {int(version)}, newer than this bayesmodels "
            f"reads ({FORMAT_VERSION}); upgrade bayesmodels"
        )
    return idata
