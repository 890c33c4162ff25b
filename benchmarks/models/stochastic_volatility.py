r"""(e) Stochastic volatility, T = 1000, non-centred (Stan User's Guide, "Stochastic
volatility models").

.. math::

    \mu \sim \text{Cauchy}(0, 10),\quad \phi \sim U(-1, 1),\quad
    \sigma \sim \text{HalfCauchy}(5),\quad \tilde h_t \sim N(0, 1),\\
    h_1 = \mu + \sigma \tilde h_1 / \sqrt{1 - \phi^2},\quad
    h_t = \mu + \sigma \tilde h_t + \phi (h_{t-1} - \mu),\quad
    y_t \sim N(0, e^{h_t / 2}).

The recursion is one ``lax.scan``, shared by both libraries' models. Data: simulated
with :math:`\mu = -1, \phi = 0.95, \sigma = 0.25`.
"""

import jax.numpy as jnp
import numpy as np
from jax import lax

import bayesmodels as bm
import bayesmodels.distributions as bdist
import numpyro
import numpyro.distributions as ndist

NAME = "stochastic volatility T=1000"
LATENTS = ("mu", "phi", "sigma", "h_tilde")

T = 1000


def data(seed: int) -> dict:
    """Returns ``y`` [T], simulated from the model."""
    rng = np.random.default_rng(seed)
    mu, phi, sigma = -1.0, 0.95, 0.25
    h = np.empty(T)
    h[0] = mu + sigma * rng.standard_normal() / np.sqrt(1 - phi**2)
    for t in range(1, T):
        h[t] = mu + sigma * rng.standard_normal() + phi * (h[t - 1] - mu)
    y = np.exp(h / 2) * rng.standard_normal(T)
    return {"y": y.astype(np.float32)}


def log_volatility(h_tilde, mu, phi, sigma):
    """:math:`h` from the standardised innovations (the Stan guide's transformed
    parameters block)."""
    shocks = sigma * h_tilde
    first = mu + shocks[0] / jnp.sqrt(1.0 - phi**2)

    def step(previous, shock):
        h = mu + shock + phi * (previous - mu)
        return h, h

    _, rest = lax.scan(step, first, shocks[1:])
    return jnp.concatenate([first[None], rest])


def numpyro_model(y):
    mu = numpyro.sample("mu", ndist.Cauchy(0.0, 10.0))
    phi = numpyro.sample("phi", ndist.Uniform(-1.0, 1.0))
    sigma = numpyro.sample("sigma", ndist.HalfCauchy(5.0))
    with numpyro.plate("time", y.shape[0]):
        h_tilde = numpyro.sample("h_tilde", ndist.Normal(0.0, 1.0))
        h = log_volatility(h_tilde, mu, phi, sigma)
        numpyro.sample("y", ndist.Normal(0.0, jnp.exp(h / 2)), obs=y)


def bayesmodels_model(y):
    mu = bm.sample("mu", bdist.Cauchy(0.0, 10.0))
    phi = bm.sample("phi", bdist.Uniform(-1.0, 1.0))
    sigma = bm.sample("sigma", bdist.HalfCauchy(5.0))
    with bm.plate("time", y.shape[0]):
        h_tilde = bm.sample("h_tilde", bdist.Normal(0.0, 1.0))
        h = log_volatility(h_tilde, mu, phi, sigma)
        bm.sample("y", bdist.Normal(0.0, jnp.exp(h / 2)), obs=y)


class StochasticVolatility(bm.Model):
    """The same model as a ``bm.Model`` class."""

    def define(self, y):
        bayesmodels_model(y)


MODEL_CLASS = StochasticVolatility
