r"""(a) Eight schools, non-centred (Rubin 1981; Gelman et al., BDA3 §5.5).

.. math::

    \mu \sim N(0, 5),\quad \tau \sim \text{HalfCauchy}(5),\quad
    \tilde\theta_j \sim N(0, 1),\quad y_j \sim N(\mu + \tau\tilde\theta_j, \sigma_j),
    \quad j = 1..8.

Data: Rubin's standard errors :math:`\sigma_j`; :math:`y` simulated with
:math:`\mu = 4,\ \tau = 3.5` (close to the posterior of the original data).
"""

import numpy as np

import bayesmodels as bm
import bayesmodels.distributions as bdist
import numpyro
import numpyro.distributions as ndist

NAME = "eight schools (non-centred)"
LATENTS = ("mu", "tau", "theta_tilde")

SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0], np.float32)


def data(seed: int) -> dict:
    """Standard errors ``sigma`` and effects ``y`` drawn from the model."""
    rng = np.random.default_rng(seed)
    theta = 4.0 + 3.5 * rng.standard_normal(8)
    y = theta + SIGMA * rng.standard_normal(8)
    return {"sigma": SIGMA, "y": y.astype(np.float32)}


def numpyro_model(sigma, y):
    mu = numpyro.sample("mu", ndist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", ndist.HalfCauchy(5.0))
    with numpyro.plate("school", sigma.shape[0]):
        theta_tilde = numpyro.sample("theta_tilde", ndist.Normal(0.0, 1.0))
        numpyro.sample("y", ndist.Normal(mu + tau * theta_tilde, sigma), obs=y)


def bayesmodels_model(sigma, y):
    mu = bm.sample("mu", bdist.Normal(0.0, 5.0))
    tau = bm.sample("tau", bdist.HalfCauchy(5.0))
    with bm.plate("school", sigma.shape[0]):
        theta_tilde = bm.sample("theta_tilde", bdist.Normal(0.0, 1.0))
        bm.sample("y", bdist.Normal(mu + tau * theta_tilde, sigma), obs=y)


class EightSchools(bm.Model):
    """The same model as a ``bm.Model`` class."""

    def define(self, sigma, y):
        bayesmodels_model(sigma, y)


MODEL_CLASS = EightSchools
