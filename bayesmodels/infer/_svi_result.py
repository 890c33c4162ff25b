"""An ``InferenceResult`` from a fitted guide: one chain of draws from :math:`q_\\phi`.

The latent sites are drawn from the guide (``sample_posterior`` for an autoguide, the
guide itself for a hand-written one), the deterministic sites recomputed from them by
the model, and the pointwise log likelihood evaluated at them, so the result reads like
one from MCMC. The loss trace and the fitted params form the ``variational`` group.
"""

from __future__ import annotations

import jax
import numpy as np

from .._logdensity._predictive import Predictive
from .._logdensity._predictive import log_likelihood as pointwise_log_likelihood
from ..handlers import seed, substitute, trace
from ..results import InferenceResult
from ._dims import site_dims
from .autoguide import AutoGuide

__all__ = ["variational_result"]


def guide_draws(rng_key, guide, params: dict, num_samples: int, args, kwargs) -> dict:
    """``num_samples`` draws of each latent site from the fitted guide (constrained)."""
    if isinstance(guide, AutoGuide):
        return dict(guide.sample_posterior(rng_key, params, (num_samples,)))
    draws = Predictive(guide, params=params, num_samples=num_samples)(rng_key, *args, **kwargs)
    return {name: value for name, value in draws.items()}


def variational_result(
    rng_key, model, guide, params: dict, losses, num_samples: int, args=(), kwargs=None, *, coords=None, attrs=None
) -> InferenceResult:
    """Draws ``[1, num_samples, ...]`` from the guide with the model's deterministic sites,
    log likelihood, observed data and plate dims, and the ``variational`` group
    (``loss`` per step and the params)."""
    kwargs = dict(kwargs or {})
    draw_key, model_key = jax.random.split(rng_key)
    latents = guide_draws(draw_key, guide, params, num_samples, args, kwargs)
    first = {name: value[0] for name, value in latents.items()}
    model_trace = trace(seed(substitute(model, data=first), rng_seed=model_key)).get_trace(*args, **kwargs)
    sampled = sorted(latents)
    latent_names = [name for name, site in model_trace.items() if site.is_latent]
    latents = {name: value for name, value in latents.items() if name in model_trace}
    missing = [name for name in latent_names if name not in latents]
    if missing:
        raise ValueError(f"the guide does not sample the model's latent sites {missing} (it samples {sampled})")
    deterministic = [name for name, site in model_trace.items() if site.type == "deterministic"]
    posterior = dict(latents)
    if deterministic:
        posterior.update(Predictive(model, latents, return_sites=deterministic)(model_key, *args, **kwargs))
    observed = {
        name: np.asarray(site.value)
        for name, site in model_trace.items()
        if site.type == "sample" and site.is_observed and not site.infer.get("is_auxiliary")
    }
    groups = {"observed_data": observed}
    if observed:
        pointwise = pointwise_log_likelihood(model, latents, *args, **kwargs)
        groups["log_likelihood"] = {name: np.asarray(v)[None] for name, v in pointwise.items()}
    dims = site_dims(model_trace)
    variational = {"loss": np.asarray(losses), **{name: np.asarray(value) for name, value in params.items()}}
    dims = {name: d for name, d in dims.items() if name in posterior or name in observed}
    dims["loss"] = ["step"]
    return InferenceResult(
        {name: np.asarray(value)[None] for name, value in posterior.items()},
        dims=dims,
        coords=coords,
        attrs=attrs,
        variational=variational,
        **groups,
    )
