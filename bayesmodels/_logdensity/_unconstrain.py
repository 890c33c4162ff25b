r"""Run a model at an unconstrained point: the Jacobian is just another factor.

At each latent site :math:`s` the handler substitutes :math:`x_s = T_s(z_s)` and adds

.. math::

    \log \left| \det \frac{\partial T_s}{\partial z_s} \right|

as a ``factor`` named ``f"_{s}_log_det"``, which passes through the same plates, masks
and scales as the site itself. The model's log joint (``log_joint``) is then the log
density of :math:`z`, the quantity samplers work with.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._effects._primitives import factor
from .._effects._site import Site
from .._effects._stack import Messenger
from ..distributions._util import sum_rightmost
from ..handlers import substitute, trace
from ._layout import site_transform

__all__ = ["constrain_values", "unconstrain_values", "unconstrained"]


class unconstrained(Messenger):
    """Substitute ``T(z)`` at the latent sites named in ``values`` (unconstrained), adding
    each site's log-Jacobian as a factor when ``jacobian`` is True."""

    def __init__(self, fn=None, values=None, jacobian: bool = True):
        super().__init__(fn)
        self.values = values or {}
        self.jacobian = jacobian

    def process_message(self, site: Site) -> None:
        if site.type != "sample" or site.is_observed or site.name not in self.values:
            return
        z = self.values[site.name]
        value, log_det = site_transform(site).forward_and_log_det(z)
        site.value = value
        if self.jacobian:
            batch_ndim = jnp.ndim(value) - len(site.fn.event_shape)
            factor(f"_{site.name}_log_det", sum_rightmost(log_det, jnp.ndim(log_det) - batch_ndim))


def constrain_values(model, model_args, model_kwargs, values: dict, *, return_deterministic=True) -> dict:
    """Constrained values of the latent sites (and deterministic sites) at unconstrained
    ``values``."""
    model_trace = trace(unconstrained(model, values=values, jacobian=False)).get_trace(
        *model_args, **(model_kwargs or {})
    )
    return {
        name: site.value
        for name, site in model_trace.items()
        if (site.type == "sample" and name in values)
        or (return_deterministic and site.type == "deterministic")
    }


def unconstrain_values(model, model_args, model_kwargs, values: dict) -> dict:
    """Unconstrained values of the latent sites given their constrained ``values``."""
    model_trace = trace(substitute(model, data=values)).get_trace(*model_args, **(model_kwargs or {}))
    return {
        name: site_transform(site).inv(site.value)
        for name, site in model_trace.items()
        if site.is_latent and name in values
    }
