r"""Saving a fitted ``Model`` to one netCDF file, and reading it back.

The file is the fitted ``InferenceResult`` as ``InferenceResult.save`` writes it (so
``az.from_netcdf`` reads it too), plus one more netCDF group, ``bayesmodels_model``,
holding what rebuilds the model: the class's name, the library version, the
hyper-parameters and the arguments ``define`` was fitted with.

Values are stored as JSON with their Python types kept (``None``, ``bool``, ``int``,
``float``, ``str``, lists, tuples, dicts with string keys); arrays (numpy or JAX, and
numpy scalars) become variables of the group, referenced from the JSON by name, so
they come back with their dtype and shape. Anything else (a function, a distribution)
cannot be saved and is reported by name before anything is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib import metadata
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..results import InferenceResult
from ..results._io import load_inference_data, save_inference_data

if TYPE_CHECKING:  # xarray is imported where first used: it is slow to load
    import xarray as xr

__all__ = ["SavedModel", "load_model", "save_model"]

GROUP = "bayesmodels_model"
FORMAT_VERSION = 1
_ENGINE = "h5netcdf"
_SAVABLE = "None, bool, int, float, str, numpy or JAX arrays, and lists, tuples and dicts (string keys) of them"


class SavedModel(NamedTuple):
    """What a model file holds."""

    class_name: str  # the class's __qualname__
    module: str  # the class's __module__
    version: str  # the bayesmodels version that wrote it
    hyper_parameters: dict[str, Any]
    data: dict[str, Any]  # define's arguments by name
    result: InferenceResult


def library_version() -> str:
    try:
        return metadata.version("bayesmodels")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


class _Encoder:
    """Turns nested values into JSON-able structures, collecting the arrays apart."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value, where: str):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, np.generic) or hasattr(value, "__array__"):
            name = f"{self.prefix}{len(self.arrays)}"
            self.arrays[name] = np.asarray(value)
            if self.arrays[name].dtype == object:
                raise ValueError(f"{where} is an array of Python objects; save() can store {_SAVABLE}")
            return {"__array__": name}
        if isinstance(value, (list, tuple)):
            items = [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
            return {"__tuple__": items} if isinstance(value, tuple) else items
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise ValueError(f"{where} is a dict with keys that are not strings; save() can store {_SAVABLE}")
            return {"__dict__": {key: self.encode(item, f"{where}[{key!r}]") for key, item in value.items()}}
        raise ValueError(f"{where} is {type(value).__name__} {value!r:.60}, which save() cannot store; it stores {_SAVABLE}")


def _decode(value, arrays: dict):
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if isinstance(value, dict):
        if "__array__" in value:
            return arrays[value["__array__"]]
        if "__tuple__" in value:
            return tuple(_decode(item, arrays) for item in value["__tuple__"])
        return {key: _decode(item, arrays) for key, item in value["__dict__"].items()}
    return value


def _dataset(arrays: dict, attrs: dict) -> xr.Dataset:
    import xarray as xr

    variables = {name: ([f"{name}_dim_{i}" for i in range(a.ndim)], a) for name, a in arrays.items()}
    return xr.Dataset(variables, attrs=attrs)


def save_model(path, model_class: type, hyper_parameters: dict, data: dict, result: InferenceResult) -> None:
    """Write a fitted model to ``path`` (replacing any file there, and only once the whole
    file is written)."""
    hyper = _Encoder("hyper_parameter_")
    data_encoder = _Encoder("data_")
    attrs = {
        "format_version": FORMAT_VERSION,
        "class_name": model_class.__qualname__,
        "module": model_class.__module__,
        "bayesmodels_version": library_version(),
        "hyper_parameters": json.dumps(
            {name: hyper.encode(value, f"hyper-parameter {name!r}") for name, value in hyper_parameters.items()}
        ),
        "data": json.dumps({name: data_encoder.encode(value, f"fit argument {name!r}") for name, value in data.items()}),
    }
    model_group = _dataset({**hyper.arrays, **data_encoder.arrays}, attrs)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, partial = tempfile.mkstemp(prefix=".partial-", suffix=".nc", dir=directory)
    os.close(handle)
    try:
        save_inference_data(result.to_arviz(), partial)
        model_group.to_netcdf(partial, mode="a", group=GROUP, engine=_ENGINE)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def load_model(path) -> SavedModel:
    """Read a file written by :func:`save_model`.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a saved bayesmodels model (or result).
    """
    try:
        idata = load_inference_data(path)
    except FileNotFoundError as error:
        raise FileNotFoundError(error.errno, f"no saved model at {os.fspath(path)!r}", os.fspath(path)) from None
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)!r} is not a saved bayesmodels model: {error}") from None
    if GROUP not in idata.groups():
        raise ValueError(
            f"{os.fspath(path)!r} holds an InferenceResult but no model (it was written by "
            "InferenceResult.save); read it with bm.InferenceResult.load"
        )
    group = idata[GROUP]
    attrs = group.attrs
    arrays = {name: np.asarray(variable.values) for name, variable in group.data_vars.items()}
    try:
        if int(attrs["format_version"]) > FORMAT_VERSION:
            raise ValueError(
                f"{os.fspath(path)!r} was saved in model format {int(attrs['format_version'])}, newer than "
                f"this bayesmodels reads ({FORMAT_VERSION}); upgrade bayesmodels"
            )
        hyper_parameters = json.loads(attrs["hyper_parameters"])
        data = json.loads(attrs["data"])
        saved = SavedModel(
            class_name=str(attrs["class_name"]),
            module=str(attrs["module"]),
            version=str(attrs["bayesmodels_version"]),
            hyper_parameters={name: _decode(value, arrays) for name, value in hyper_parameters.items()},
            data={name: _decode(value, arrays) for name, value in data.items()},
            result=InferenceResult.from_arviz(idata),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"{os.fspath(path)!r} has a damaged {GROUP!r} group ({error!r})") from error
    return saved
