r"""(f) The NumPyro tutorial's two-parameter model (``docs``' seed example) on 20 points.

.. math::

    \mu \sim N(0, 1),\quad s \sim \text{LogNormal}(\mu, 1),\quad x_n \sim N(\mu, s),
    \quad n = 1..20.

Data: :math:`x_n \sim N(0, 5)`, as in the tutorial.
"""

import numpy as np

import bayesmodels as bm
import bayesmodels.distributions as bdist
import numpyro
import numpyro.distributions as ndist

NAME = "tutorial model, 20 points"
LATENTS = ("mu", "s")

N = 20


def data(seed: int) -> dict:
    """Returns ``x`` [N]."""
    rng = np.random.default_rng(seed)
    return {"x": (5.0 * rng.standard_normal(N)).astype(np.float32)}


def numpyro_model(x):
    mu = numpyro.sample("mu", ndist.Normal(0.0, 1.0))
    s = numpyro.sample("s", ndist.LogNormal(mu, 1.0))
    with numpyro.plate("data", x.shape[0]):
        numpyro.sample("x", ndist.Normal(mu, s), obs=x)


def bayesmodels_model(x):
    mu = bm.sample("mu", bdist.Normal(0.0, 1.0))
    s = bm.sample("s", bdist.LogNormal(mu, 1.0))
    with bm.plate("data", x.shape[0]):
        bm.sample("x", bdist.Normal(mu, s), obs=x)


class Tutorial(bm.Model):
    """The same model as a ``bm.Model`` class."""

    def define(self, x):
        bayesmodels_model(x)


MODEL_CLASS = Tutorial
