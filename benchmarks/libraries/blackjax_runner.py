r"""BlackJAX: Stan-style window adaptation, then NUTS, on NumPyro's log density.

The log density is NumPyro's potential energy (``numpyro.infer.util.potential_energy``,
what ``initialize_model`` returns with the data bound), so the cost of a gradient is
the same as NumPyro's. The data are arguments of the two compiled functions (warm-up
and sampling), so new data of the same shapes compile nothing. Each chain adapts its
own step size and diagonal metric (``window_adaptation``, target acceptance 0.8), as
NumPyro's chains do; the chains are ``vmap``-ed. Starting points: NumPyro's
``init_to_uniform``.
"""

from __future__ import annotations

from functools import partial

import blackjax
import jax
import numpy as np
from blackjax.adaptation.base import get_filter_adapt_info_fn
from jax import lax
from numpyro.infer.util import constrain_fn, initialize_model, potential_energy

from .base import Draws, Runner

TARGET_ACCEPT = 0.8


def _log_density(model_fn, data, position):
    return -potential_energy(model_fn, (), data, position)


@partial(jax.jit, static_argnames=("model_fn", "num_warmup"))
def _warmup(model_fn, num_warmup, data, keys, positions):
    adaptation = blackjax.window_adaptation(
        blackjax.nuts,
        partial(_log_density, model_fn, data),
        target_acceptance_rate=TARGET_ACCEPT,
        adaptation_info_fn=get_filter_adapt_info_fn(),  # keep no per-step warm-up trace
    )

    def one_chain(key, position):
        (state, parameters), _ = adaptation.run(key, position, num_steps=num_warmup)
        return state, parameters

    return jax.vmap(one_chain)(keys, positions)


@partial(jax.jit, static_argnames=("model_fn", "num_samples"))
def _sample(model_fn, num_samples, data, keys, states, parameters):
    log_density = partial(_log_density, model_fn, data)

    def one_chain(key, state, parameters):
        nuts = blackjax.nuts(log_density, parameters["step_size"], parameters["inverse_mass_matrix"])

        def step(state, key):
            state, info = nuts.step(key, state)
            return state, (state.position, info.num_integration_steps, info.is_divergent)

        return lax.scan(step, state, jax.random.split(key, num_samples))

    states, (positions, num_steps, diverging) = jax.vmap(one_chain)(keys, states, parameters)
    constrain = partial(constrain_fn, model_fn, (), data, return_deterministic=False)
    return states, jax.vmap(jax.vmap(constrain))(positions), num_steps, diverging


class BlackJAXRunner(Runner):
    """``window_adaptation(nuts)`` then ``nuts``, 4 chains ``vmap``-ed: two compiled
    programs, one per phase."""

    def __init__(self, model, size):
        super().__init__(model, size)
        self.model_fn = model.numpyro_model
        self._chains = None  # (data, key, states, parameters) at the end of the last call

    def run(self, data, seed):
        warmup_key, init_key, self._key = jax.random.split(jax.random.PRNGKey(seed), 3)
        chains = self.size.num_chains
        start = initialize_model(jax.random.split(init_key, chains), self.model_fn, model_kwargs=data)
        states, parameters = _warmup(
            self.model_fn, self.size.num_warmup, data, jax.random.split(warmup_key, chains), start.param_info.z
        )
        self._chains = (data, states, parameters)
        return self.more_draws()

    def more_draws(self):
        data, states, parameters = self._chains
        self._key, key = jax.random.split(self._key)
        keys = jax.random.split(key, self.size.num_chains)
        states, samples, num_steps, diverging = _sample(
            self.model_fn, self.size.num_samples, data, keys, states, parameters
        )
        self._chains = (data, states, parameters)
        samples = {name: np.asarray(value) for name, value in samples.items()}
        return Draws(samples, np.asarray(num_steps), np.asarray(diverging))

    def log_density(self, data):
        start = initialize_model(jax.random.PRNGKey(0), self.model_fn, model_kwargs=data)
        positions = jax.tree.map(lambda x: np.stack([x] * self.size.num_chains), start.param_info.z)
        return partial(_log_density, self.model_fn, data), positions
