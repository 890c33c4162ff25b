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
    ``scale``) unless ``scaled`` is False (pointwise log likelihoods).

    Args:
        site: a sample site of a trace.
        scaled: multiply by the site's scale.

    Returns:
        The log density of ``site.value``, of the site's batch shape.
    """
    log_prob = site.fn.log_prob(site.value)
    if site.mask is not None and site.mask is not True:
        log_prob = jnp.where(site.mask, log_prob, 0.0)
    if scaled and site.scale is not None:
        log_prob = site.scale * log_prob
    return log_prob


def log_joint(model_trace) -> jnp.ndarray:
    """Sum of ``site_log_prob`` over the sample sites of a trace.

    Args:
        model_trace: a trace (an ordered dict of sites).

    Returns:
        The scalar log joint density.
    """
    total = jnp.zeros(())
    for site in model_trace.values():
        if site.type == "sample":
            total = total + jnp.sum(site_log_prob(site))
    return total


def log_density(model, model_args, model_kwargs, params):
    r"""``(log joint, trace)`` of ``model`` with the (constrained) values ``params``
    substituted at their sites; NumPyro's ``numpyro.infer.util.log_density``.

    The log joint is the sum over the sample sites of the trace,
    :math:`\sum_s \text{scale}_s \cdot \text{mask}_s \cdot \log p_s(x_s)`, in the
    constrained space (no Jacobian).

    Args:
        model: the model function.
        model_args: positional arguments of the model (a tuple).
        model_kwargs: keyword arguments of the model (a dict, or None).
        params: ``{site: constrained value}`` substituted into the model (sample and
            param sites); latent sites not given are drawn, so run under ``seed``.

    Returns:
        ``(log_joint, trace)``: the scalar log joint density and the model's trace.

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
