r"""Evidence lower bound (NumPyro's ``Trace_ELBO``).

For a model :math:`p(x, z)` and a guide :math:`q_\phi(z)`,

.. math::
    \mathrm{ELBO}(\phi) = \mathbb{E}_{z \sim q_\phi}\left[\log p(x, z) - \log q_\phi(z)\right]
    \le \log p(x),

estimated with ``num_particles`` draws of :math:`z`. Reparameterised guide sites carry the
gradient through the draw. For a guide site without a reparameterised sampler the
score-function surrogate is added,

.. math::
    \widehat{\mathrm{ELBO}} + \operatorname{stop\_gradient}(\widehat{\mathrm{ELBO}})
    \sum_{\text{non-rep. sites}} \log q_\phi(z) - \operatorname{stop\_gradient}(\cdot),

whose value is the estimate and whose gradient is the score-function estimator.
"""

import jax
import jax.numpy as jnp

from .._effects._handlers import replay, seed, substitute, trace
from .._logdensity._log_joint import site_log_prob

__all__ = ["Trace_ELBO"]


def _site_sum(site):
    return jnp.sum(site_log_prob(site))


def _traces(rng_key, param_map, model, guide, args, kwargs):
    """Guide trace (seeded, params substituted), then the model replayed on it."""
    guide_key, model_key = jax.random.split(rng_key)
    guide_trace = trace(substitute(seed(guide, guide_key), data=param_map)).get_trace(*args, **kwargs)
    model_trace = trace(
        replay(substitute(seed(model, model_key), data=param_map), trace=guide_trace)
    ).get_trace(*args, **kwargs)
    for name, site in model_trace.items():
        if site.type == "sample" and not site.is_observed and name not in guide_trace:
            raise ValueError(
                f"Trace_ELBO: the model's latent site {name!r} is not in the guide; "
                "the guide must sample every latent site of the model"
            )
    return guide_trace, model_trace


def _particle(rng_key, param_map, model, guide, args, kwargs):
    """Surrogate ELBO of one particle: value = ELBO estimate, gradient = its estimator."""
    guide_trace, model_trace = _traces(rng_key, param_map, model, guide, args, kwargs)
    elbo = jnp.zeros(())
    for site in model_trace.values():
        if site.type == "sample":
            elbo = elbo + _site_sum(site)
    score = jnp.zeros(())
    for site in guide_trace.values():
        if site.type == "sample" and not site.is_observed:
            log_q = _site_sum(site)
            elbo = elbo - log_q
            if not site.fn.has_rsample:
                score = score + log_q
    surrogate = elbo + jax.lax.stop_gradient(elbo) * (score - jax.lax.stop_gradient(score))
    return surrogate


class Trace_ELBO:
    """The ELBO of a model and guide, averaged over ``num_particles`` guide draws.

    ``loss(rng_key, param_map, model, guide, *args, **kwargs)`` is ``-ELBO`` (a scalar
    to minimise); its gradient in ``param_map`` is the reparameterised (plus
    score-function, for non-reparameterised guide sites) gradient estimate.
    """

    def __init__(self, num_particles: int = 1):
        if not isinstance(num_particles, int) or num_particles < 1:
            raise ValueError(f"Trace_ELBO: num_particles must be a positive int, got {num_particles!r}")
        self.num_particles = num_particles

    def loss(self, rng_key, param_map, model, guide, *args, **kwargs):
        if self.num_particles == 1:
            return -_particle(rng_key, param_map, model, guide, args, kwargs)
        keys = jax.random.split(rng_key, self.num_particles)
        elbos = jax.vmap(lambda k: _particle(k, param_map, model, guide, args, kwargs))(keys)
        return -jnp.mean(elbos)

    def site_log_probs(self, rng_key, param_map, model, guide, *args, **kwargs):
        """``{("model"|"guide", name): summed log density}`` of one particle (for errors)."""
        guide_trace, model_trace = _traces(rng_key, param_map, model, guide, args, kwargs)
        out = {}
        for tag, tr in (("guide", guide_trace), ("model", model_trace)):
            for name, site in tr.items():
                if site.type == "sample" and not (tag == "guide" and site.is_observed):
                    out[(tag, name)] = _site_sum(site)
        return out
