r"""The groups of an ``InferenceResult`` and the checks on what goes into them.

Draw groups hold arrays ``[chain, draw, *shape]``; data groups (and ``variational``, the
loss trace and params of a variational fit) hold arrays ``[*shape]``.
Groups in one *family* share their leading ``(chain, draw)`` shape:

- ``posterior``, ``sample_stats``, ``log_likelihood``, ``posterior_predictive``;
- ``warmup_posterior``, ``warmup_sample_stats`` (same chains, warm-up draws);
- ``prior``, ``prior_predictive`` (any number of chains and draws).

A variable has one list of dimension names everywhere it appears: the names of its axes
after ``(chain, draw)`` in a draw group, of all its axes in a data group. The one exception
is ``log_likelihood``: it is pointwise over a site's batch shape, its event axes summed
away, so there a variable has the leading part of its dims (a ``MultivariateNormal``
observation ``y`` with dims ``("y_dim_0",)`` has log likelihood dims ``()``, as in ArviZ).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

POSTERIOR_FAMILY = ("posterior", "sample_stats", "log_likelihood", "posterior_predictive")
WARMUP_FAMILY = ("warmup_posterior", "warmup_sample_stats")
PRIOR_FAMILY = ("prior", "prior_predictive")
DATA_GROUPS = ("observed_data", "constant_data")
FIT_GROUPS = ("variational",)  # what an optimiser produced: the loss per step, the params
DRAW_GROUPS = POSTERIOR_FAMILY + WARMUP_FAMILY + PRIOR_FAMILY
POINTWISE_GROUPS = ("log_likelihood",)  # a variable's batch dims only: its event axes are summed
GROUPS = POSTERIOR_FAMILY + DATA_GROUPS + PRIOR_FAMILY + WARMUP_FAMILY + FIT_GROUPS
SAMPLE_DIMS = ("chain", "draw")

_ATTR_TYPES = (str, bool, int, float)


def _frozen(value) -> np.ndarray:
    """A read-only numpy array (a copy unless the input already was read-only)."""
    array = np.asarray(value)
    if array.flags.writeable:
        array = array.copy()
        array.flags.writeable = False
    return array


def as_arrays(group: str, mapping) -> dict[str, np.ndarray]:
    """A group given as a mapping name -> array-like, as a dict of read-only numpy arrays."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise ValueError(
            f"{group} must be a mapping from variable name to array, but got {type(mapping).__name__}"
        )
    arrays = {}
    for name, value in mapping.items():
        if not isinstance(name, str):
            raise ValueError(f"{group} has a variable named {name!r}; variable names must be strings")
        arrays[name] = _frozen(value)
    return arrays


def _check_family(groups: dict, family: tuple, chains: int | None = None) -> tuple | None:
    """Check the leading (chain, draw) shape within a family; return it (None if empty)."""
    reference = None
    for group in family:
        for name, array in groups[group].items():
            if array.ndim < 2:
                raise ValueError(
                    f"{group}[{name!r}] has shape {array.shape}, but arrays in {group} must be "
                    "[chain, draw, *shape] (at least 2 axes); for one chain add a leading axis "
                    "of size 1"
                )
            if reference is None:
                reference = (array.shape[:2], f"{group}[{name!r}]")
                if chains is not None and array.shape[0] != chains:
                    raise ValueError(
                        f"{group}[{name!r}] has shape {array.shape} with {array.shape[0]} chains, "
                        f"but the posterior has {chains} chains"
                    )
            elif array.shape[:2] != reference[0]:
                raise ValueError(
                    f"{group}[{name!r}] has shape {array.shape}, but the expected leading "
                    f"(chain, draw) shape is {reference[0]} (from {reference[1]}): "
                    f"{', '.join(family)} must share it"
                )
    return None if reference is None else reference[0]


def check_leading_shapes(groups: dict) -> tuple[int, int]:
    """Validate the (chain, draw) axes of every draw group; return (num_chains, num_draws)."""
    leading = _check_family(groups, POSTERIOR_FAMILY)
    _check_family(groups, WARMUP_FAMILY, chains=None if leading is None else leading[0])
    _check_family(groups, PRIOR_FAMILY)
    return (0, 0) if leading is None else leading


def _axes(group: str, array: np.ndarray) -> tuple[int, ...]:
    """The shape of the axes that dims name: after (chain, draw), or all for data groups."""
    return array.shape[2:] if group in DRAW_GROUPS else array.shape


def _user_dims(dims) -> dict[str, tuple[str, ...]]:
    if dims is None:
        return {}
    if not isinstance(dims, Mapping):
        raise ValueError(f"dims must be a mapping from variable name to dimension names, got {type(dims).__name__}")
    result = {}
    for name, names in dims.items():
        if isinstance(names, str):
            raise ValueError(
                f"dims[{name!r}] must be a sequence of dimension names, but got the string "
                f"{names!r}; write [{names!r}]"
            )
        names = tuple(names)
        if not all(isinstance(dim, str) for dim in names):
            raise ValueError(f"dims[{name!r}] = {list(names)}: dimension names must be strings")
        result[name] = names
    return result


def variable_dims(group: str, name: str, array: np.ndarray, dims: dict) -> tuple[str, ...]:
    """The dimension names of every axis of one variable in one group.

    ``(chain, draw)`` and then the variable's dims in a draw group (only the leading ones in
    ``log_likelihood``, whose event axes are summed away); the variable's dims in a data group.
    """
    own = dims[name]
    if group in POINTWISE_GROUPS:
        own = own[: array.ndim - len(SAMPLE_DIMS)]
    return SAMPLE_DIMS + own if group in DRAW_GROUPS else own


def resolve_dims(groups: dict, dims) -> dict[str, tuple[str, ...]]:
    """Dims of every variable present: the given ones, checked, else ``{name}_dim_{i}``.

    Names given for variables in no group are dropped. The pointwise groups are read last:
    there a variable may have the leading part of its dims.
    """
    given = _user_dims(dims)
    resolved, seen_in = {}, {}
    in_order = [group for group in GROUPS if group not in POINTWISE_GROUPS] + list(POINTWISE_GROUPS)
    for group in in_order:
        for name, array in groups[group].items():
            axes = _axes(group, array)
            if name not in resolved:
                names = given.get(name, tuple(f"{name}_dim_{i}" for i in range(len(axes))))
                resolved[name], seen_in[name] = names, f"{group}[{name!r}]"
            names = resolved[name]
            where = "after (chain, draw)" if group in DRAW_GROUPS else "in all"
            if group in POINTWISE_GROUPS and len(axes) < len(names):
                names = names[: len(axes)]  # the batch dims of an observation with an event shape
            if len(names) != len(axes):
                if name in given:
                    origin = f"dims[{name!r}] = {list(names)}"
                else:
                    origin = f"{seen_in[name]} has dims {list(names)}"
                raise ValueError(
                    f"{origin} ({len(names)} axes), but {group}[{name!r}] has shape {array.shape}: "
                    f"{len(axes)} axes {where}; a variable has the same dims in every group"
                )
            if len(set(names)) != len(names):
                raise ValueError(f"dims[{name!r}] = {list(names)} repeats a dimension name")
            if group in DRAW_GROUPS and set(names) & set(SAMPLE_DIMS):
                raise ValueError(
                    f"dims[{name!r}] = {list(names)} names the axes after (chain, draw), so it "
                    "cannot contain 'chain' or 'draw'"
                )
    return resolved


def dim_sizes(group: str, arrays: dict, dims: dict) -> dict[str, tuple[int, str]]:
    """dim name -> (size, the variable that first sets it) within one group, checked."""
    sizes = {}
    for name, array in arrays.items():
        names = variable_dims(group, name, array, dims)
        for dim, size in zip(names, array.shape):
            if dim in sizes and sizes[dim][0] != size:
                raise ValueError(
                    f"dimension {dim!r} has size {sizes[dim][0]} in {group}[{sizes[dim][1]!r}] but "
                    f"size {size} in {group}[{name!r}] (shape {array.shape}); one dimension name "
                    "has one size within a group"
                )
            sizes.setdefault(dim, (size, name))
    return sizes


def as_coordinate(dim: str, values) -> np.ndarray:
    """Coordinate values as a read-only 1-d array; strings as a numpy string array."""
    array = np.asarray(list(values) if not hasattr(values, "__array__") else values)
    if array.ndim != 1:
        raise ValueError(f"coords[{dim!r}] must be one-dimensional, but has shape {array.shape}")
    if array.dtype == object and all(isinstance(value, str) for value in array):
        array = array.astype(str)
    return _frozen(array)


def resolve_coords(groups: dict, dims: dict, coords) -> dict[str, np.ndarray]:
    """The given coords of dims in use, checked against every axis they label.

    Also checks that each dimension has one size within each group.
    """
    if coords is None:
        coords = {}
    if not isinstance(coords, Mapping):
        raise ValueError(
            f"coords must be a mapping from dimension name to values, got {type(coords).__name__}"
        )
    coords = {dim: as_coordinate(dim, values) for dim, values in coords.items()}
    used = set()
    for group in GROUPS:
        for dim, (size, name) in dim_sizes(group, groups[group], dims).items():
            if dim in coords:
                used.add(dim)
                if len(coords[dim]) != size:
                    raise ValueError(
                        f"coords[{dim!r}] has {len(coords[dim])} values, but dimension {dim!r} of "
                        f"{group}[{name!r}] (shape {groups[group][name].shape}) has size {size}"
                    )
    return {dim: values for dim, values in coords.items() if dim in used}


def check_attrs(attrs, reserved: tuple[str, ...]) -> dict:
    """attrs as a dict of str/bool/int/float (numpy scalars unwrapped)."""
    if attrs is None:
        return {}
    if not isinstance(attrs, Mapping):
        raise ValueError(f"attrs must be a mapping from name to str, int, float or bool, got {type(attrs).__name__}")
    result = {}
    for key, value in attrs.items():
        if not isinstance(key, str):
            raise ValueError(f"attrs has a key {key!r}; keys must be strings")
        if key in reserved:
            raise ValueError(f"attrs[{key!r}] is set by bayesmodels itself; use another name")
        if isinstance(value, np.generic) or getattr(value, "shape", None) == ():
            value = np.asarray(value).item()  # numpy and jax scalars
        if not isinstance(value, _ATTR_TYPES):
            raise ValueError(
                f"attrs[{key!r}] is {value!r} of type {type(value).__name__}, but attrs values "
                "must be str, int, float or bool"
            )
        result[key] = value
    return result
