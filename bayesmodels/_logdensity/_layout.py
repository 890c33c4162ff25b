r"""Where each latent site lives in the flat unconstrained vector.

Site :math:`s` with constrained value :math:`x_s` in support :math:`S_s` is represented by
:math:`z_s = T_s^{-1}(x_s)`, :math:`T_s = \text{biject\_to}(S_s)`; the flat vector is the
concatenation of the raveled :math:`z_s` in the order the model samples them. The layout
is static (shapes only), so it can sit in a compiled function's static arguments.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax.numpy as jnp

from ..distributions import biject_to
from .._effects._checks import family_name

__all__ = ["LatentLayout", "LatentSlot", "latent_sites", "site_transform"]


class LatentSlot(NamedTuple):
    """One latent site: its name, constrained and unconstrained shapes, and its slice."""

    name: str
    shape: tuple
    unconstrained_shape: tuple
    offset: int

    @property
    def size(self) -> int:
        return math.prod(self.unconstrained_shape)


def site_transform(site):
    """``biject_to`` of the site's support, with an error naming the site."""
    try:
        return biject_to(site.fn.support)
    except NotImplementedError as error:
        raise NotImplementedError(f"site {site.name!r} ({family_name(site.fn)}): {error}") from None


def latent_sites(model_trace, *, method: str = "a gradient-based method", exclude=()):
    """The latent sample sites of a trace, less those named in ``exclude`` (the sites a
    Gibbs step updates); raise ``ValueError`` for discrete ones."""
    sites = [site for site in model_trace.values() if site.is_latent and site.name not in exclude]
    for site in sites:
        if site.fn.is_discrete:
            raise ValueError(
                f"site {site.name!r} is discrete ({family_name(site.fn)}, support "
                f"{site.fn.support}) and {method} needs continuous latent sites: use MixedHMC "
                f"(or another discrete-capable kernel), marginalise it out, or pass "
                f"{site.name!r} as data."
            )
    return sites


@dataclasses.dataclass(frozen=True)
class LatentLayout:
    """The latent sites, in order, and their slices of the flat vector."""

    slots: tuple

    @classmethod
    def from_trace(cls, model_trace, *, method: str = "a gradient-based method", exclude=()) -> LatentLayout:
        """The layout of the latent sites of ``model_trace`` not named in ``exclude``."""
        slots, offset = [], 0
        for site in latent_sites(model_trace, method=method, exclude=exclude):
            shape = tuple(site.fn.shape(site.sample_shape))
            unconstrained = tuple(site_transform(site).inverse_shape(shape))
            slots.append(LatentSlot(site.name, shape, unconstrained, offset))
            offset += math.prod(unconstrained)
        return cls(tuple(slots))

    @property
    def size(self) -> int:
        """Length of the flat unconstrained vector."""
        return sum(slot.size for slot in self.slots)

    @property
    def names(self) -> tuple:
        return tuple(slot.name for slot in self.slots)

    def unravel(self, flat) -> dict:
        """Flat vector ``(..., size)`` -> dict name -> unconstrained ``(..., *shape)``."""
        batch = jnp.shape(flat)[:-1]
        return {
            slot.name: jnp.reshape(flat[..., slot.offset : slot.offset + slot.size], batch + slot.unconstrained_shape)
            for slot in self.slots
        }

    def ravel(self, values: dict):
        """Dict name -> unconstrained value -> flat vector (inverse of ``unravel``)."""
        missing = [slot.name for slot in self.slots if slot.name not in values]
        if missing:
            raise KeyError(f"no value for the latent sites {missing}")
        parts = []
        for slot in self.slots:
            value = jnp.asarray(values[slot.name])
            if value.shape != slot.unconstrained_shape:
                raise ValueError(
                    f"site {slot.name!r}: unconstrained value has shape {value.shape}, "
                    f"expected {slot.unconstrained_shape}"
                )
            parts.append(jnp.ravel(value))
        if not parts:
            return jnp.zeros((0,))
        return jnp.concatenate([jnp.atleast_1d(p) for p in parts])
