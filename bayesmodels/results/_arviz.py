r"""``InferenceResult`` <-> ``arviz.InferenceData``.

Each non-empty group becomes an ``xarray.Dataset`` with dims ``(chain, draw, *dims)``
(data groups: ``dims``). Dimensions without given coordinates get integer ranges, as
ArviZ's converters do. The posterior group's attrs carry ``inference_library`` and the
result's ``attrs``; the top-level attrs of the ``InferenceData`` carry what is needed to
rebuild the result exactly (the format marker, the attrs with their Python types, and
which coordinates were given rather than defaulted).
"""

from __future__ import annotations

import json
from importlib import metadata
from typing import TYPE_CHECKING

import numpy as np

from ._groups import DRAW_GROUPS, GROUPS, SAMPLE_DIMS, as_coordinate, variable_dims

if TYPE_CHECKING:  # ArviZ and xarray are imported where first used: they are slow to load
    import arviz as az
    import xarray as xr

FORMAT_KEY = "bayesmodels_result_format"
FORMAT_VERSION = 1
_ATTRS_KEY = "bayesmodels_attrs"
_COORDS_KEY = "bayesmodels_coords"
LIBRARY_ATTRS = ("inference_library", "inference_library_version")
# bookkeeping attrs that ArviZ and other libraries write; not the user's
_FOREIGN_ATTRS = LIBRARY_ATTRS + ("created_at", "arviz_version", "previous_created_at")


def _library_version() -> str:
    try:
        return metadata.version("bayesmodels")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def build_dataset(group: str, arrays: dict, dims: dict, coords: dict, attrs=None) -> xr.Dataset:
    """One group as a Dataset; dims without given coords get ``arange(size)``."""
    import xarray as xr

    variables, coordinates = {}, {}
    for name, array in arrays.items():
        names = variable_dims(group, name, array, dims)
        variables[name] = (names, array)
        for dim, size in zip(names, array.shape):
            coordinates.setdefault(dim, coords[dim] if dim in coords else np.arange(size))
    return xr.Dataset(variables, coords=coordinates, attrs=dict(attrs or {}))


def to_inference_data(groups: dict, dims: dict, coords: dict, attrs: dict) -> az.InferenceData:
    """The non-empty groups as an ``arviz.InferenceData``."""
    import arviz as az

    posterior_attrs = {
        "inference_library": "bayesmodels",
        "inference_library_version": _library_version(),
        **attrs,
    }
    datasets = {
        group: build_dataset(group, groups[group], dims, coords, posterior_attrs if group == "posterior" else None)
        for group in GROUPS
        if groups[group]
    }
    top = {
        FORMAT_KEY: FORMAT_VERSION,
        _ATTRS_KEY: json.dumps(attrs),
        _COORDS_KEY: json.dumps(sorted(coords)),
    }
    return az.InferenceData(attrs=top, **datasets)


def _is_default(values: np.ndarray) -> bool:
    return np.issubdtype(values.dtype, np.integer) and np.array_equal(values, np.arange(len(values)))


def _foreign_attrs(idata: az.InferenceData) -> dict:
    """A foreign InferenceData's attrs (top level, then posterior) of plain types, less
    ArviZ's and the inference library's bookkeeping."""
    found = dict(idata.posterior.attrs) if "posterior" in idata.groups() else {}
    found.update(idata.attrs)
    attrs = {}
    for key, value in found.items():
        value = value.item() if isinstance(value, np.generic) else value
        if key not in _FOREIGN_ATTRS and isinstance(value, (str, bool, int, float)):
            attrs[key] = value
    return attrs


def from_inference_data(idata: az.InferenceData) -> dict:
    """Keyword arguments of ``InferenceResult`` from an ``InferenceData``.

    Groups other than those of ``InferenceResult`` are ignored. For an ``InferenceData``
    not made by bayesmodels, coordinates that are not ``0, 1, ...`` count as given, and
    its top-level and posterior attrs of type str/int/float/bool become the attrs.
    """
    import arviz as az

    if not isinstance(idata, az.InferenceData):
        raise ValueError(f"expected an arviz.InferenceData, but got {type(idata).__name__}")
    ours = FORMAT_KEY in idata.attrs
    groups, dims, coords = {}, {}, {}
    given = set(json.loads(idata.attrs[_COORDS_KEY])) if ours else None
    for group in GROUPS:
        if group not in idata.groups():
            continue
        dataset = idata[group]
        arrays = {}
        for name, variable in dataset.data_vars.items():
            if group in DRAW_GROUPS:
                missing = [dim for dim in SAMPLE_DIMS if dim not in variable.dims]
                if missing:
                    raise ValueError(
                        f"{group}[{name!r}] has dims {variable.dims}, but variables of {group} need "
                        f"'chain' and 'draw' dims"
                    )
                variable = variable.transpose(*SAMPLE_DIMS, ...)
            arrays[name] = np.asarray(variable.values)
            own = tuple(variable.dims[2:] if group in DRAW_GROUPS else variable.dims)
            if len(own) > len(dims.get(name, ())):  # log_likelihood may hold only the leading dims
                dims[name] = own
        for dim, index in dataset.indexes.items():
            values = as_coordinate(dim, np.asarray(index))
            if dim not in coords and (dim in given if ours else not _is_default(values)):
                coords[dim] = values
        groups[group] = arrays
    if ours:
        attrs = json.loads(idata.attrs[_ATTRS_KEY])
    else:
        attrs = _foreign_attrs(idata)
    return {**groups, "dims": dims, "coords": coords, "attrs": attrs}
