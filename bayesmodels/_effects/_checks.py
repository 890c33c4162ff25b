"""Checks on observed data, run when the site is recorded, before any inference.

Shapes are static, so the shape check runs always, also under ``jit``. Values are
checked only when they are concrete (an eager run, as every driver does once before
compiling): NaN, and values outside the distribution's support where that support is
fixed by the family (negative or fractional counts, a 2 for a Bernoulli). Where the
parameters set the support, they may be latent values (``Uniform(0, s)``), so only
integrality is checked (for discrete supports); values beyond such bounds get a log
density of -inf instead. Entries switched off by
a mask (``obs_mask=``, the ``mask`` handler) are not checked, so missing data can be
marked with NaN and imputed.
"""

from __future__ import annotations

import inspect

import jax
import numpy as np

from ..distributions import ExpandedDistribution, Independent, MaskedDistribution
from ..distributions._util import is_traced

__all__ = ["check_observed", "family_name"]


def check_observed(site) -> None:
    """Raise ``ValueError`` naming the site when its observed value cannot be its data."""
    _check_shape(site)
    if not is_traced(site.value, site.mask):
        _check_values(site)


def _plates_text(site) -> str:
    if not site.plates:
        return "no enclosing plate"
    return ", ".join(
        f"plate {frame.name!r} (size {frame.subsample_size}, dim {frame.dim})"
        for frame in reversed(site.plates)
    )


def _check_shape(site) -> None:
    fn = site.fn
    expected = tuple(site.sample_shape) + fn.batch_shape + fn.event_shape
    received = tuple(np.shape(site.value))
    try:
        combined = np.broadcast_shapes(received, expected)
    except ValueError:
        combined = None
    if combined in (received, expected):
        return
    where = (
        f"site {site.name!r}: observed value has shape {received}, but the site's "
        f"distribution {family_name(fn)} has shape {expected} (batch {fn.batch_shape} + "
        f"event {fn.event_shape}; {_plates_text(site)})"
    )
    if combined is None:
        raise ValueError(f"{where}; the two do not broadcast.{_plate_hint(site, received)}")
    fix = ""
    if len(received) == len(expected) + 1 and received[-1] == 1:
        fix = " Drop the trailing axis of the data (e.g. `y.reshape(-1)` or `y[..., 0]`)."
    raise ValueError(
        f"{where}; they would broadcast to {combined}, pairing every observation with every "
        f"parameter instead of one with one.{fix}"
    )


def _plate_hint(site, received) -> str:
    event_dim = len(site.fn.event_shape)
    for frame in site.plates:
        axis = frame.dim - event_dim
        if len(received) >= -axis and received[axis] not in (1, frame.subsample_size):
            return (
                f" Plate {frame.name!r} has size {frame.subsample_size}, but the data has "
                f"{received[axis]} entries along its axis ({axis}): make the plate's size the "
                "length of the data (e.g. `bm.plate(name, len(y))`)."
            )
    return " Check that the data has one entry per plate element."


def _support_is_fixed(fn) -> bool:
    """True when the family's support is a class constant, not set by its parameters
    (``Poisson``: fixed; ``Uniform(low, high)``, ``Binomial(n, p)``: set by parameters)."""
    fn = _unwrap(fn)
    return not isinstance(inspect.getattr_static(type(fn), "support", None), property)


def _unwrap(fn):
    while isinstance(fn, (ExpandedDistribution, Independent, MaskedDistribution)):
        fn = fn.base_dist
    return fn


def family_name(fn) -> str:
    """The name of the family under batch wrappers: ``Normal`` for ``Normal(...).expand(...)``."""
    return type(_unwrap(fn)).__name__


def _check_values(site) -> None:
    fn, value = site.fn, np.asarray(site.value)
    if value.dtype == object:
        raise ValueError(
            f"site {site.name!r}: observed value must be numeric, got an array of Python objects"
        )
    active = _active_entries(site, value.shape)
    if np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.complexfloating):
        nan = np.isnan(value) & active
        if nan.any():
            index = tuple(int(i) for i in np.argwhere(nan)[0])
            raise ValueError(
                f"site {site.name!r}: observed value has NaN at index {index} (shape "
                f"{value.shape}). Drop the missing entries, or pass obs_mask= (True where "
                "observed) to impute them as latent values."
            )
    support = fn.support
    with jax.ensure_compile_time_eval():
        if _support_is_fixed(fn):
            in_support = support(value)
        elif support.is_discrete:  # bounds may be latent values: check integrality only
            in_support = np.floor(value) == value
            in_support = in_support.all(axis=tuple(range(-support.event_dim, 0))) if support.event_dim else in_support
        else:
            return  # bounds set by (possibly latent) parameters are the log density's business
    if is_traced(in_support):
        return
    event_dim = fn.support.event_dim
    in_support = np.asarray(in_support)
    active_events = active.all(axis=tuple(range(-event_dim, 0))) if event_dim else active
    outside = ~np.broadcast_to(in_support, active_events.shape) & active_events
    if outside.any():
        index = tuple(int(i) for i in np.argwhere(outside)[0])
        bad = value[index] if index else value
        bad = bad.item() if np.ndim(bad) == 0 else np.round(bad, 6).tolist()
        raise ValueError(
            f"site {site.name!r}: observed value {bad} at index {index} is outside the "
            f"support of {family_name(fn)} ({fn.support}); "
            f"{int(outside.sum())} of {outside.size} entries are outside it."
        )


def _active_entries(site, shape) -> np.ndarray:
    """Boolean array of ``shape``: True where the observation counts (mask is True)."""
    if site.mask is None or site.mask is True:
        return np.ones(shape, bool)
    mask = np.asarray(site.mask, bool)
    event_dim = len(site.fn.event_shape)
    mask = mask.reshape(mask.shape + (1,) * event_dim)
    if not _broadcastable(mask.shape, shape):  # a mask wider than the data: check it all
        return np.ones(shape, bool)
    return np.broadcast_to(mask, shape)


def _broadcastable(small, large) -> bool:
    try:
        return np.broadcast_shapes(small, large) == tuple(large)
    except ValueError:
        return False
