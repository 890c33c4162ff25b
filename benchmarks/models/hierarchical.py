r"""(c) Hierarchical linear regression: 85 groups, N = 1000, varying intercepts and
slopes, non-centred (the shape of the radon data: many small groups, a few large ones).

.. math::

    \mu_a, \mu_b \sim N(0, 5),\quad \sigma_a, \sigma_b, \sigma_y \sim \text{HalfNormal}(2),
    \quad \tilde a_j, \tilde b_j \sim N(0, 1),\\
    y_n \sim N\big(\mu_a + \sigma_a \tilde a_{g_n} + (\mu_b + \sigma_b \tilde b_{g_n})\,x_n,
    \ \sigma_y\big).

Data: group sizes from a Dirichlet(0.5) allocation (each group gets at least one point);
true :math:`\mu_a = 1.5, \mu_b = -0.7, \sigma_a = 0.5, \sigma_b = 0.3, \sigma_y = 0.8`.
"""

import numpy as np

import bayesmodels as bm
import bayesmodels.distributions as bdist
import numpyro
import numpyro.distributions as ndist

NAME = "hierarchical linear regression, 85 groups"
LATENTS = ("mu_a", "mu_b", "sigma_a", "sigma_b", "a_tilde", "b_tilde", "sigma_y")

N, GROUPS = 1000, 85


def data(seed: int) -> dict:
    """Group index ``group`` [N] (int32), covariate ``x`` [N] and outcome ``y`` [N]."""
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.full(GROUPS, 0.5))
    group = np.concatenate([np.arange(GROUPS), rng.choice(GROUPS, N - GROUPS, p=shares)])
    x = rng.standard_normal(N)
    a = 1.5 + 0.5 * rng.standard_normal(GROUPS)
    b = -0.7 + 0.3 * rng.standard_normal(GROUPS)
    y = a[group] + b[group] * x + 0.8 * rng.standard_normal(N)
    return {"group": group.astype(np.int32), "x": x.astype(np.float32), "y": y.astype(np.float32)}


def numpyro_model(group, x, y):
    mu_a = numpyro.sample("mu_a", ndist.Normal(0.0, 5.0))
    mu_b = numpyro.sample("mu_b", ndist.Normal(0.0, 5.0))
    sigma_a = numpyro.sample("sigma_a", ndist.HalfNormal(2.0))
    sigma_b = numpyro.sample("sigma_b", ndist.HalfNormal(2.0))
    with numpyro.plate("groups", GROUPS):
        a_tilde = numpyro.sample("a_tilde", ndist.Normal(0.0, 1.0))
        b_tilde = numpyro.sample("b_tilde", ndist.Normal(0.0, 1.0))
    sigma_y = numpyro.sample("sigma_y", ndist.HalfNormal(2.0))
    a, b = mu_a + sigma_a * a_tilde, mu_b + sigma_b * b_tilde
    with numpyro.plate("obs", x.shape[0]):
        numpyro.sample("y", ndist.Normal(a[group] + b[group] * x, sigma_y), obs=y)


def bayesmodels_model(group, x, y):
    mu_a = bm.sample("mu_a", bdist.Normal(0.0, 5.0))
    mu_b = bm.sample("mu_b", bdist.Normal(0.0, 5.0))
    sigma_a = bm.sample("sigma_a", bdist.HalfNormal(2.0))
    sigma_b = bm.sample("sigma_b", bdist.HalfNormal(2.0))
    with bm.plate("groups", GROUPS):
        a_tilde = bm.sample("a_tilde", bdist.Normal(0.0, 1.0))
        b_tilde = bm.sample("b_tilde", bdist.Normal(0.0, 1.0))
    sigma_y = bm.sample("sigma_y", bdist.HalfNormal(2.0))
    a, b = mu_a + sigma_a * a_tilde, mu_b + sigma_b * b_tilde
    with bm.plate("obs", x.shape[0]):
        bm.sample("y", bdist.Normal(a[group] + b[group] * x, sigma_y), obs=y)


class Hierarchical(bm.Model):
    """The same model as a ``bm.Model`` class."""

    def define(self, group, x, y):
        bayesmodels_model(group, x, y)


MODEL_CLASS = Hierarchical
