r"""The log joint density of a traced model run: the sum over its sample sites of

.. math::

    \text{scale}_s \cdot \text{mask}_s \cdot \log p_s(x_s),

observed and latent alike (``factor`` statements are observed ``Unit`` sites, and the
Jacobians of unconstraining enter the same way).
"""

from __future__ import annotations

import jax.numpy as jnp

from ..handlers import substitute, trace

__all__ = ["log_density", "log_joint", "site_log_prob"]


def site_log_prob(site, *, scaled: bool = True):
    """The site's log density, batch-shaped: 0 where masked, times its scale (subsampling,
    ``scale``) unless ``scaled`` is False (pointwise log likelihoods)."""
    log_prob = site.fn.log_prob(site.value)
    if site.mask is not None and site.mask is not True:
        log_prob = jnp.where(site.mask, log_prob, 0.0)
    if scaled and site.scale is not None:
        log_prob = site.scale * log_prob
    return log_prob


def log_joint(model_trace) -> jnp.ndarray:
    """Sum of ``site_log_prob`` over the sample sites of a trace."""
    total = jnp.zeros(())
    for site in model_trace.values():
        if site.type == "sample":
            total = total + jnp.sum(site_log_prob(site))
    return total


def log_density(model, model_args, model_kwargs, params):
    """``(log joint, trace)`` of ``model`` with the (constrained) values ``params``
    substituted at their sites; NumPyro's ``numpyro.infer.util.log_density``.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer.util import log_density
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0))
        >>> round(float(log_density(model, (), {}, {"x": 0.0})[0]), 4)
        -0.9189
    """
    model_trace = trace(substitute(model, data=params)).get_trace(*model_args, **(model_kwargs or {}))
    return log_joint(model_trace), model_trace
