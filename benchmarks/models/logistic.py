r"""(b) Logistic regression, N = 5000 observations, D = 25 correlated features.

.. math::

    \alpha \sim N(0, 5),\quad \beta_d \sim N(0, 1),\quad
    y_n \sim \text{Bernoulli}(\operatorname{logit}^{-1}(\alpha + x_n^\top\beta)).

Data: rows :math:`x_n \sim N(0, \Sigma)` with :math:`\Sigma_{ij} = 0.8^{|i-j|}` (an AR(1)
correlation, so the posterior of :math:`\beta` is correlated too); true
:math:`\beta_d \sim N(0, 0.5^2)`, :math:`\alpha = -0.5`.
"""

import numpy as np

import bayesmodels as bm
import bayesmodels.distributions as bdist
import numpyro
import numpyro.distributions as ndist

NAME = "logistic regression N=5000 D=25"
LATENTS = ("alpha", "beta")

N, D, RHO = 5000, 25, 0.8


def data(seed: int) -> dict:
    """Features ``x`` [N, D] (float32) and outcomes ``y`` [N] (int32, 0/1)."""
    rng = np.random.default_rng(seed)
    lags = np.abs(np.subtract.outer(np.arange(D), np.arange(D)))
    chol = np.linalg.cholesky(RHO**lags)
    x = rng.standard_normal((N, D)) @ chol.T
    beta = 0.5 * rng.standard_normal(D)
    logits = -0.5 + x @ beta
    y = rng.random(N) < 1.0 / (1.0 + np.exp(-logits))
    return {"x": x.astype(np.float32), "y": y.astype(np.int32)}


def numpyro_model(x, y):
    alpha = numpyro.sample("alpha", ndist.Normal(0.0, 5.0))
    beta = numpyro.sample("beta", ndist.Normal(0.0, 1.0).expand([x.shape[1]]).to_event(1))
    with numpyro.plate("obs", x.shape[0]):
        numpyro.sample("y", ndist.Bernoulli(logits=alpha + x @ beta), obs=y)


def bayesmodels_model(x, y):
    alpha = bm.sample("alpha", bdist.Normal(0.0, 5.0))
    beta = bm.sample("beta", bdist.Normal(0.0, 1.0).expand([x.shape[1]]).to_event(1))
    with bm.plate("obs", x.shape[0]):
        bm.sample("y", bdist.Bernoulli(logits=alpha + x @ beta), obs=y)


class Logistic(bm.Model):
    """The same model as a ``bm.Model`` class."""

    def define(self, x, y):
        bayesmodels_model(x, y)


MODEL_CLASS = Logistic
