r"""Where each latent site lives in the flat unconstrained vector.

Site :math:`s` with constrained value :math:`x_s` in support :math:`S_s` is represented by
:math:`z_s = T_s^{-1}(x_s)`, :math:`T_s = \mathrm{biject\_to}(S_s)`; the flat vector is the
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
        """Number of unconstrained elements of the site."""
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
    r"""The latent sites, in order, and their slices of the flat vector.

    The flat vector is the concatenation
    :math:`z = (\operatorname{vec} z_{s_1}, \dots, \operatorname{vec} z_{s_n})` of the
    sites' unconstrained values :math:`z_s = T_s^{-1}(x_s)`; its length is ``size``. Usually built with ``from_trace``.

    Args:
        slots: one ``LatentSlot(name, shape, unconstrained_shape, offset)`` per latent
            site, in the order of the flat vector.

    Example:
        >>> import jax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.handlers import seed, trace
        >>> from bayesmodels.infer.util import LatentLayout
        >>> def model():
        ...     bm.sample("w", dist.Normal(0.0, 1.0).expand([3]))
        ...     bm.sample("p", dist.Dirichlet(jax.numpy.ones(3)))  # 2 unconstrained values
        >>> layout = LatentLayout.from_trace(trace(seed(model, 0)).get_trace())
        >>> layout.names, layout.size
        (('w', 'p'), 5)
        >>> {name: value.shape for name, value in layout.unravel(jax.numpy.zeros(5)).items()}
        {'w': (3,), 'p': (2,)}
    """

    slots: tuple

    @classmethod
    def from_trace(cls, model_trace, *, method: str = "a gradient-based method", exclude=()) -> LatentLayout:
        """The layout of the latent sites of ``model_trace`` not named in ``exclude``.

        Args:
            model_trace: a trace of the model (an ordered dict of sites).
            method: the method's name, for the error about discrete sites.
            exclude: names of latent sites to leave out (e.g. those a Gibbs step updates).

        Returns:
            A ``LatentLayout`` of the latent sample sites, in the trace's order.

        Raises:
            ValueError: a latent site (not excluded) is discrete.
            NotImplementedError: a site's support has no ``biject_to`` transform.
        """
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
        """The latent sites' names, in the order of the flat vector."""
        return tuple(slot.name for slot in self.slots)

    def unravel(self, flat) -> dict:
        """Cut a flat vector into the sites' unconstrained values.

        Args:
            flat: array ``[..., size]`` (leading batch axes allowed).

        Returns:
            ``{name: array [..., *unconstrained_shape]}`` for each latent site.
        """
        batch = jnp.shape(flat)[:-1]
        return {
            slot.name: jnp.reshape(flat[..., slot.offset : slot.offset + slot.size], batch + slot.unconstrained_shape)
            for slot in self.slots
        }

    def ravel(self, values: dict):
        """Concatenate the sites' unconstrained values into the flat vector (inverse of
        ``unravel``, for one point).

        Args:
            values: ``{name: unconstrained value}`` for every latent site (extra names are
                ignored).

        Returns:
            The flat vector ``[size]``.

        Raises:
            KeyError: a latent site has no value.
            ValueError: a value does not have its site's unconstrained shape.
        """
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
