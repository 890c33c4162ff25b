r"""What every automatic guide shares: a prototype run of the model.

An autoguide :math:`q_\phi(z)` approximates the posterior of the model's latent sites in
*unconstrained* space: site :math:`s` with support :math:`S_s` is
:math:`x_s = T_s(z_s)`, :math:`T_s = \mathrm{biject\_to}(S_s)`, and the density of
:math:`x_s` picks up :math:`-\log\lvert\det J_{T_s}(z_s)\rvert`. On its first call the
guide runs the model once (hidden from the handlers outside it) with the init strategy's
values, to learn each latent site's shape, support, plates and starting point.
"""

from __future__ import annotations

import abc
import contextlib

import jax.numpy as jnp
import numpy as np

from ..._effects._plate import plate
from ..._effects._primitives import prng_key
from ..._logdensity._init_strategies import init_to_uniform
from ..._logdensity._layout import LatentLayout, site_transform
from ...handlers import block, seed, substitute, trace

__all__ = ["AutoGuide"]


class AutoGuide(abc.ABC):
    r"""A guide built from the model: call it like the model (``guide(*args, **kwargs)``).

    The abstract base of the autoguides. Each approximates the posterior by a family
    :math:`q_\phi` on the unconstrained values :math:`z_s = T_s^{-1}(x_s)` of the latent
    sites, :math:`T_s = \mathrm{biject\_to}(\text{support}_s)`, so the density of a
    constrained value is

    .. math::

        q_\phi(x) = q_\phi\bigl(T^{-1}(x)\bigr)\,\bigl\lvert\det J_{T^{-1}}(x)\bigr\rvert.

    On its first call it runs the model once (hidden from outer handlers) to learn the
    latent sites' shapes, supports and plates, and their starting values from
    ``init_loc_fn``.

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites.
        init_loc_fn: init strategy giving the starting location of each latent site
            (``init_to_uniform``, ``init_to_median``, ``init_to_value(values=...)``, ...).
    """

    def __init__(self, model, *, prefix: str = "auto", init_loc_fn=init_to_uniform):
        self.model = model
        self.prefix = prefix
        self.init_loc_fn = init_loc_fn
        self.prototype_trace = None
        self._args, self._kwargs = (), {}

    def __call__(self, *args, **kwargs):
        if self.prototype_trace is None:
            self._setup_prototype(*args, **kwargs)
        return self._guide(*args, **kwargs)

    @abc.abstractmethod
    def _guide(self, *args, **kwargs) -> dict:
        """Sample every latent site of the model; return ``{site: constrained value}``."""

    @abc.abstractmethod
    def sample_posterior(self, rng_key, params: dict, sample_shape=()) -> dict:
        """Draws from the fitted guide, in each latent site's support.

        Args:
            rng_key: a ``jax.random`` key.
            params: the fitted params, constrained (``SVIRunResult.params`` or
                ``svi.get_params(state)``).
            sample_shape: leading shape of the draws.

        Returns:
            ``{site: array}`` of shape ``[*sample_shape, *site_shape]`` for each latent
            site.

        Raises:
            RuntimeError: the guide has not been run on the model yet (fit it first).
        """

    @abc.abstractmethod
    def median(self, params: dict) -> dict:
        """The guide's median of each latent site (constrained).

        Args:
            params: the fitted params, constrained.

        Returns:
            ``{site: array}`` of each latent site's shape.

        Raises:
            RuntimeError: the guide has not been run on the model yet (fit it first).
        """

    @abc.abstractmethod
    def quantiles(self, params: dict, quantiles) -> dict:
        """Marginal quantiles of each latent site (constrained).

        Args:
            params: the fitted params, constrained.
            quantiles: probabilities in (0, 1), a list or 1-d array.

        Returns:
            ``{site: array}`` of shape ``[len(quantiles), *site_shape]``.

        Raises:
            RuntimeError: the guide has not been run on the model yet (fit it first).
        """

    # -- the prototype ------------------------------------------------------------
    def _setup_prototype(self, *args, **kwargs) -> None:
        key = prng_key()
        with block():
            prototype = trace(substitute(seed(self.model, rng_seed=key), substitute_fn=self.init_loc_fn)).get_trace(
                *args, **kwargs
            )
        self.layout = LatentLayout.from_trace(prototype, method=type(self).__name__)
        if not self.layout.slots:
            raise ValueError(f"{type(self).__name__}: the model has no latent sample sites, so there is nothing to fit")
        self.prototype_trace = prototype
        self._args, self._kwargs = args, kwargs
        self._init_unconstrained = {
            slot.name: site_transform(prototype[slot.name]).inv(jnp.asarray(prototype[slot.name].value, float))
            for slot in self.layout.slots
        }

    def _require_prototype(self, caller: str) -> None:
        if self.prototype_trace is None:
            raise RuntimeError(
                f"{type(self).__name__}.{caller}: the guide has not seen the model yet; fit it "
                "with SVI first (or call it once under bm.handlers.seed with the model's data)"
            )

    def _latent_sites(self):
        return [self.prototype_trace[name] for name in self.layout.names]

    def _constrain(self, unconstrained: dict) -> dict:
        """``{site: T_s(z_s)}`` for unconstrained values with any leading batch shape."""
        return {name: site_transform(self.prototype_trace[name])(z) for name, z in unconstrained.items()}


def unconstrained_event_dim(site) -> int:
    """Event dims of the site's unconstrained value (its batch dims are the site's)."""
    shape = tuple(site.fn.shape(site.sample_shape))
    unconstrained = tuple(site_transform(site).inverse_shape(shape))
    return len(unconstrained) - (len(shape) - site.fn.event_dim)


def subsampled_frames(site) -> list:
    """The site's plates that draw a subsample (size > subsample_size)."""
    return [frame for frame in site.plates if frame.subsample_size < frame.size]


@contextlib.contextmanager
def site_plates(site):
    """Enter the site's plates (outermost first), so the guide draws the same subsample
    as the model; yields ``{plate name: indices}``."""
    with contextlib.ExitStack() as stack:
        indices = {}
        for frame in reversed(site.plates):
            indices[frame.name] = stack.enter_context(
                plate(frame.name, frame.size, subsample_size=frame.subsample_size, dim=frame.dim)
            )
        yield indices


def full_size(value, site, event_dim: int):
    """``value`` (shaped like the prototype's subsample) repeated periodically along each
    subsampled plate's axis to the plate's full size."""
    value = np.asarray(value)
    for frame in subsampled_frames(site):
        axis = value.ndim - event_dim + frame.dim
        value = np.take(value, np.arange(frame.size) % value.shape[axis], axis=axis)
    return jnp.asarray(value)


def take_subsample(value, site, event_dim: int, indices: dict):
    """The rows of a full-size ``value`` that the site's subsampled plates drew."""
    for frame in subsampled_frames(site):
        axis = jnp.ndim(value) - event_dim + frame.dim
        value = jnp.take(value, indices[frame.name], axis=axis)
    return value
