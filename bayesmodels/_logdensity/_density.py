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
    r"""The log density of ``model`` over the flat unconstrained vector of ``layout``:

    .. math::

        \log \pi(z) = \sum_{s \in \text{sites}} \log p_s(x_s)
                     + \sum_{s \in \text{latent}} \log |\det J_{T_s}(z_s)|,
        \qquad x_s = T_s(z_s),

    each site's term masked and scaled as in the model. ``density(position, *args,
    **kwargs)`` evaluates it (the model's arguments after ``position``); ``bind`` fixes the
    arguments. Both fields are static, so a compiled function of a ``ModelDensity`` is
    reused for every call with data of the same shapes.

    Args:
        model: the model function (or ``bm.Model`` instance).
        layout: the ``LatentLayout`` of its latent sites (e.g. from
            ``initialize_model(...).layout``).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import initialize_model
        >>> from bayesmodels.infer.util import ModelDensity
        >>> def model(y):
        ...     s = bm.sample("s", dist.HalfNormal(1.0))
        ...     bm.sample("y", dist.Normal(0.0, s), obs=y)
        >>> layout = initialize_model(jax.random.PRNGKey(0), model, model_args=(0.5,)).layout
        >>> density = ModelDensity(model, layout).bind(0.5)
        >>> # z = 0 is s = exp(0) = 1 (log-Jacobian 0): log HalfNormal(1) + log Normal(0.5 | 0, 1)
        >>> round(float(density(jnp.zeros(1))), 4)
        -1.7697
        >>> float(density.constrain(jnp.zeros(1))["s"])
        1.0
    """

    model: Callable = eqx.field(static=True)
    layout: LatentLayout = eqx.field(static=True)

    def __call__(self, position, *args, **kwargs):
        """Log density at the flat unconstrained ``position`` (Jacobians included)."""
        return log_joint(self.trace(position, *args, **kwargs))

    def trace(self, position, *args, **kwargs):
        """The model's trace at ``position``, Jacobian factor sites included.

        Args:
            position: the flat unconstrained vector ``[layout.size]``.
            *args: positional arguments passed to the model.
            **kwargs: keyword arguments passed to the model.

        Returns:
            The trace (an ordered dict of sites) of one model run with the latent sites
            at the constrained values of ``position``.
        """
        values = self.layout.unravel(position)
        return trace(unconstrained(self.model, values=values)).get_trace(*args, **kwargs)

    def site_log_densities(self, position, *args, **kwargs) -> dict:
        """Each sample site's summed contribution to the log density (for diagnostics).

        Args:
            position: the flat unconstrained vector ``[layout.size]``.
            *args: positional arguments passed to the model.
            **kwargs: keyword arguments passed to the model.

        Returns:
            ``{site: scalar}`` for every sample site (latent, observed, factors and the
            Jacobian sites), masked and scaled; they sum to the log density.
        """
        return {
            name: jnp.sum(site_log_prob(site))
            for name, site in self.trace(position, *args, **kwargs).items()
            if site.type == "sample"
        }

    def constrain(self, position, *args, return_deterministic: bool = True, **kwargs) -> dict:
        """Constrained values of the latent (and deterministic) sites at ``position``.

        Args:
            position: the flat unconstrained vector ``[layout.size]``.
            *args: positional arguments passed to the model.
            return_deterministic: include the deterministic sites.
            **kwargs: keyword arguments passed to the model.

        Returns:
            ``{site: value}`` in each site's support (and shape).
        """
        values = self.layout.unravel(position)
        return constrain_values(self.model, args, kwargs, values, return_deterministic=return_deterministic)

    def unconstrain(self, values: dict, *args, **kwargs):
        """Flat unconstrained vector of the constrained latent ``values``.

        Args:
            values: ``{site: constrained value}`` for every latent site.
            *args: positional arguments passed to the model.
            **kwargs: keyword arguments passed to the model.

        Returns:
            The flat unconstrained vector ``[layout.size]``.

        Raises:
            KeyError: a latent site has no value.
        """
        return self.layout.ravel(unconstrain_values(self.model, args, kwargs, values))

    def bind(self, *args, **kwargs) -> BoundDensity:
        """This density with the model's arguments fixed: a function of position only.

        Args:
            *args: positional arguments of the model.
            **kwargs: keyword arguments of the model.

        Returns:
            A ``BoundDensity``: ``bound(position) -> log density``.
        """
        return BoundDensity(self, args, kwargs)


class BoundDensity(eqx.Module):
    """``ModelDensity`` with its model arguments: ``bound(position) -> log density``.

    A pytree whose leaves are the data, so passing it into ``jax.jit`` keeps the data as
    traced arguments rather than baked-in constants. Made by ``ModelDensity.bind``; see
    ``ModelDensity`` for the density and an example.

    Args:
        density: the ``ModelDensity``.
        args: the model's positional arguments (a tuple).
        kwargs: the model's keyword arguments (a dict).
    """

    density: ModelDensity
    args: tuple
    kwargs: dict[str, Any]

    @property
    def layout(self) -> LatentLayout:
        """The ``LatentLayout`` of the flat vector (the density's)."""
        return self.density.layout

    def __call__(self, position):
        return self.density(position, *self.args, **self.kwargs)

    def constrain(self, position, return_deterministic: bool = True) -> dict:
        """Constrained values of the latent (and deterministic) sites at ``position``.

        Args:
            position: the flat unconstrained vector ``[layout.size]``.
            return_deterministic: include the deterministic sites.

        Returns:
            ``{site: value}`` in each site's support.
        """
        return self.density.constrain(position, *self.args, return_deterministic=return_deterministic, **self.kwargs)

    def unconstrain(self, values: dict):
        """Flat unconstrained vector of the constrained latent ``values``.

        Args:
            values: ``{site: constrained value}`` for every latent site.

        Returns:
            The flat unconstrained vector ``[layout.size]``.

        Raises:
            KeyError: a latent site has no value.
        """
        return self.density.unconstrain(values, *self.args, **self.kwargs)

    def site_log_densities(self, position) -> dict:
        """Each sample site's summed contribution to the log density at ``position``.

        Args:
            position: the flat unconstrained vector ``[layout.size]``.

        Returns:
            ``{site: scalar}``; they sum to the log density.
        """
        return self.density.site_log_densities(position, *self.args, **self.kwargs)


@eqx.filter_jit
def value_and_grad(log_density, position):
    """``(log density, gradient)`` at ``position``; compiled once per model and data shapes.

    Args:
        log_density: ``position -> log density``, e.g. a ``BoundDensity``.
        position: the flat unconstrained vector.

    Returns:
        ``(value, grad)``: the scalar log density and its gradient, shaped like
        ``position``.
    """
    return jax.value_and_grad(log_density)(position)
