"""NumPyro's ``MCMC``/``NUTS`` API, which ``bayesmodels.infer`` mirrors: one runner
drives both libraries, so the two are called in exactly the same way."""

from __future__ import annotations

import jax
import numpy as np

from .base import Draws, Runner

FIELDS = ("num_steps",)


class MCMCRunner(Runner):
    """``MCMC(NUTS(model), chain_method=...)`` of ``infer`` (``numpyro.infer`` or
    ``bayesmodels.infer``), with every sampler setting at its default (diagonal metric,
    target acceptance 0.8, tree depth 10, ``init_to_uniform``) unless ``sampler_options``
    says otherwise, and no progress bar."""

    def __init__(self, model, size, infer, model_fn, chain_method, sampler_options=None):
        super().__init__(model, size)
        self.infer = infer
        self.model_fn = model_fn
        self.chain_method = chain_method
        self.sampler_options = dict(sampler_options or {})
        self._mcmc = None
        self._data = None

    def _new_mcmc(self):
        return self.infer.MCMC(
            self.infer.NUTS(self.model_fn, **self.sampler_options),
            num_warmup=self.size.num_warmup,
            num_samples=self.size.num_samples,
            num_chains=self.size.num_chains,
            chain_method=self.chain_method,
            progress_bar=False,
        )

    def run(self, data, seed):
        self._mcmc, self._data = self._new_mcmc(), data
        self._mcmc.run(jax.random.PRNGKey(seed), extra_fields=FIELDS, **data)
        return _draws(self._mcmc)

    def more_draws(self):
        mcmc = self._mcmc  # the documented way to continue: start from the last state
        mcmc.post_warmup_state = mcmc.last_state
        mcmc.run(mcmc.post_warmup_state.rng_key, extra_fields=FIELDS, **self._data)
        return _draws(mcmc)

    def log_density(self, data):
        info = self.infer.initialize_model(jax.random.PRNGKey(0), self.model_fn, model_kwargs=data)
        positions = jax.tree.map(lambda x: np.stack([x] * self.size.num_chains), info.param_info.z)
        if hasattr(info, "potential_fn"):  # NumPyro: a potential energy
            return (lambda z: -info.potential_fn(z)), positions
        return info.log_density_fn, positions


def _draws(mcmc) -> Draws:
    samples = {name: np.asarray(value) for name, value in mcmc.get_samples(group_by_chain=True).items()}
    fields = mcmc.get_extra_fields(group_by_chain=True)
    return Draws(samples, np.asarray(fields["num_steps"]), np.asarray(fields["diverging"]))
