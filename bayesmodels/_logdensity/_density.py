r"""``ModelDensity``: a model's log density as a function of one flat unconstrained vector.

.. math::

    \log \pi(z) = \sum_{s \in \text{sites}} \log p_s(x_s)
                 + \sum_{s \in \text{latent}} \log |\det J_{T_s}(z_s)|,
    \qquad x_s = T_s(z_s).

It is a (positive) log density, never a potential energy. ``ModelDensity`` holds only
static things (the model and the layout), so the model's data travels as ordinary
arguments: bound with ``bind(*args, **kwargs)`` into a ``BoundDensity`` pytree whose
array leaves are the data, a compiled function of it is traced once per data *shape*,
and new data values of the same shapes reuse the compiled code.
"""

from __future__ import annotations

from typing import Any, Callable

import equinox as eqx
import jax
import jax.numpy as jnp

from ..handlers import trace
from ._layout import LatentLayout
from ._log_joint import log_joint, site_log_prob
from ._unconstrain import constrain_values, unconstrain_values, unconstrained

__all__ = ["BoundDensity", "ModelDensity", "value_and_grad"]


class ModelDensity(eqx.Module):
    """The log density of ``model`` over the flat unconstrained vector of ``layout``."""

    model: Callable = eqx.field(static=True)
    layout: LatentLayout = eqx.field(static=True)

    def __call__(self, position, *args, **kwargs):
        """Log density at the flat unconstrained ``position`` (Jacobians included)."""
        return log_joint(self.trace(position, *args, **kwargs))

    def trace(self, position, *args, **kwargs):
        """The model's trace at ``position``, Jacobian factor sites included."""
        values = self.layout.unravel(position)
        return trace(unconstrained(self.model, values=values)).get_trace(*args, **kwargs)

    def site_log_densities(self, position, *args, **kwargs) -> dict:
        """Each sample site's summed contribution to the log density (for diagnostics)."""
        return {
            name: jnp.sum(site_log_prob(site))
            for name, site in self.trace(position, *args, **kwargs).items()
            if site.type == "sample"
        }

    def constrain(self, position, *args, return_deterministic: bool = True, **kwargs) -> dict:
        """Constrained values of the latent (and deterministic) sites at ``position``."""
        values = self.layout.unravel(position)
        return constrain_values(self.model, args, kwargs, values, return_deterministic=return_deterministic)

    def unconstrain(self, values: dict, *args, **kwargs):
        """Flat unconstrained vector of the constrained latent ``values``."""
        return self.layout.ravel(unconstrain_values(self.model, args, kwargs, values))

    def bind(self, *args, **kwargs) -> BoundDensity:
        """This density with the model's arguments fixed: a function of position only."""
        return BoundDensity(self, args, kwargs)


class BoundDensity(eqx.Module):
    """``ModelDensity`` with its model arguments: ``bound(position) -> log density``.

    A pytree whose leaves are the data, so passing it into ``jax.jit`` keeps the data as
    traced arguments rather than baked-in constants.
    """

    density: ModelDensity
    args: tuple
    kwargs: dict[str, Any]

    @property
    def layout(self) -> LatentLayout:
        return self.density.layout

    def __call__(self, position):
        return self.density(position, *self.args, **self.kwargs)

    def constrain(self, position, return_deterministic: bool = True) -> dict:
        return self.density.constrain(position, *self.args, return_deterministic=return_deterministic, **self.kwargs)

    def unconstrain(self, values: dict):
        return self.density.unconstrain(values, *self.args, **self.kwargs)

    def site_log_densities(self, position) -> dict:
        return self.density.site_log_densities(position, *self.args, **self.kwargs)


@eqx.filter_jit
def value_and_grad(log_density, position):
    """``(log density, gradient)`` at ``position``; compiled once per model and data shapes."""
    return jax.value_and_grad(log_density)(position)
