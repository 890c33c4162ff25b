"""The six benchmark models, each written once for bayesmodels and once for NumPyro.

Every model module exposes the same names:

- ``NAME``: a one-line description; ``LATENTS``: the latent sites compared (all of them);
- ``data(seed) -> dict``: the model's keyword arguments, simulated from a fixed numpy
  seed (float32/int32 arrays, so every library sees the same numbers);
- ``numpyro_model(**data)`` and ``bayesmodels_model(**data)``: the same priors, the same
  parametrisation and the same site names in both libraries;
- ``MODEL_CLASS``: the bayesmodels model as a ``bm.Model`` class (for ``fit``).

BlackJAX runs on NumPyro's log density, so it has no model of its own.
"""

from types import ModuleType

from . import eight_schools, gaussian, hierarchical, logistic, stochastic_volatility, tutorial

MODELS: dict[str, ModuleType] = {
    "a": eight_schools,
    "b": logistic,
    "c": hierarchical,
    "d": gaussian,
    "e": stochastic_volatility,
    "f": tutorial,
}
"""Models by the letter the issue gives them."""
