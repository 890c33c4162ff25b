"""Model classes for ``tests/test_model.py``, in a module of their own so that a fresh
Python process (the save/load test) can import them by module path.

``LinReg`` is the linear regression most tests fit once and reuse; it has no
``obs=None`` branch (``y`` is a required argument of ``define``), its deterministic
site ``mu`` sits outside any plate (so it gets the default dim ``mu_dim_0``) and its
observed site ``y`` sits in the plate ``data``. ``CALLS`` counts the runs of its
``define`` (eager runs and traces alike), the way ``tests/test_mcmc.py`` counts them.
"""

import numpy as np

import bayesmodels as bm
import bayesmodels.distributions as dist

CALLS = {"LinReg": 0}

N = 30
_rng = np.random.default_rng(0)
X = _rng.normal(size=N).astype(np.float32)
Y = (1.0 + 2.0 * X + 0.5 * _rng.normal(size=N)).astype(np.float32)
NAMES = [f"obs{i}" for i in range(N)]

# new covariates of another length, with a placeholder for the (required) outcome
X_NEW = np.linspace(-1.0, 1.0, 7, dtype=np.float32)
Y_PLACEHOLDER = np.zeros_like(X_NEW)


class LinReg(bm.Model):
    r"""y_n ~ Normal(a + b x_n, s), a, b ~ Normal(0, prior_scale), s ~ HalfNormal(1).

    ``obs_names``, when given, become the coordinates of the ``data`` dim through the
    ``coords`` property (a class-level ``coords`` that reads a hyper-parameter).
    """

    def __init__(self, prior_scale=1.0, obs_names=None):
        self.prior_scale = prior_scale
        self.obs_names = obs_names

    @property
    def coords(self):
        return None if self.obs_names is None else {"data": self.obs_names}

    def define(self, x, y):
        CALLS["LinReg"] += 1
        a = bm.sample("a", dist.Normal(0.0, self.prior_scale))
        b = bm.sample("b", dist.Normal(0.0, self.prior_scale))
        s = bm.sample("s", dist.HalfNormal(1.0))
        mu = bm.deterministic("mu", a + b * x)
        with bm.plate("data", len(x)):
            bm.sample("y", dist.Normal(mu, s), obs=y)


class Counts(bm.Model):
    """Poisson counts with a Gamma prior on the rate; no hyper-parameters."""

    def define(self, n):
        rate = bm.sample("rate", dist.Gamma(2.0, 1.0))
        with bm.plate("obs", len(n)):
            bm.sample("n", dist.Poisson(rate), obs=n)
