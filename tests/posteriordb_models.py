r"""The posteriordb reference posteriors as bayesmodels models, and loaders for their data.

Each posterior in ``../shared/datasets/posteriordb/README.md`` is a model function here,
written after its Stan program, with a loader that turns the posteriordb JSON (Stan's
data-block names) into the model's keyword arguments. ``POSTERIORS`` maps a posterior's
name to both. Stan's "transformed data" (design matrices, lagged series) is computed by
the loader; Stan's "transformed parameters" that the reference reports (``theta`` in the
non-centred eight schools, ``f`` in the GP) are ``bm.deterministic`` sites.

Conventions carried over from Stan: ``normal(m, s)`` has standard deviation ``s``,
``gamma(a, b)`` shape ``a`` and rate ``b``; a ``<lower=0>`` parameter with a ``cauchy`` or
``normal`` prior has the half distribution; a parameter without a prior statement is flat
on its support (``ImproperUniform``).

The data directory is ``$BAYESMODELS_POSTERIORDB`` if set, else
``tests/data/posteriordb`` (a copy of the eight data sets used here, their references and
the README, taken from ``../shared/datasets/posteriordb`` so that CI's clean clone has them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, NamedTuple

import jax.numpy as jnp
import numpy as np

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.distributions import constraints

_DEFAULT_DIR = Path(__file__).resolve().parent / "data" / "posteriordb"  # a copy of the 8 used
DATA_DIR = Path(os.environ.get("BAYESMODELS_POSTERIORDB", _DEFAULT_DIR))


def read_json(name: str) -> dict:
    """The posteriordb file ``<name>.json`` as stored (Stan data names, 1-based indices)."""
    with open(DATA_DIR / f"{name}.json") as f:
        return json.load(f)


def read_references() -> dict:
    """``references.json``: per posterior, ``{quantity: {mean, sd, q05, q50, q95}}`` and ``_meta``."""
    return read_json("references")


def _floats(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _flat(support, *event_shape):
    return dist.ImproperUniform(support, (), tuple(event_shape))


# -- eight_schools-eight_schools_noncentered ------------------------------------------------


def eight_schools_noncentered(sigma, y=None):
    r"""Non-centred eight schools:

    .. math::
        \mu \sim N(0, 5),\ \tau \sim \mathrm{HalfCauchy}(5),\ \tilde\theta_j \sim N(0, 1),\
        \theta_j = \mu + \tau \tilde\theta_j,\ y_j \sim N(\theta_j, \sigma_j).
    """
    mu = bm.sample("mu", dist.Normal(0.0, 5.0))
    tau = bm.sample("tau", dist.HalfCauchy(5.0))
    with bm.plate("school", sigma.shape[0]):
        theta_trans = bm.sample("theta_trans", dist.Normal(0.0, 1.0))
        theta = bm.deterministic("theta", mu + tau * theta_trans)
        bm.sample("y", dist.Normal(theta, sigma), obs=y)


def load_eight_schools(data: dict) -> dict:
    return {"sigma": _floats(data["sigma"]), "y": _floats(data["y"])}


# -- kidiq-kidscore_interaction ---------------------------------------------------------------


def kidscore_interaction(mom_hs, mom_iq, kid_score=None):
    r"""Linear regression with an interaction; flat :math:`\beta`:

    .. math::
        \sigma \sim \mathrm{HalfCauchy}(2.5),\
        \mathrm{kid\_score}_n \sim N(\beta_0 + \beta_1 h_n + \beta_2 q_n + \beta_3 h_n q_n, \sigma).
    """
    beta = bm.sample("beta", _flat(constraints.real, 4))
    sigma = bm.sample("sigma", dist.HalfCauchy(2.5))
    loc = beta[0] + beta[1] * mom_hs + beta[2] * mom_iq + beta[3] * mom_hs * mom_iq
    with bm.plate("child", mom_hs.shape[0]):
        bm.sample("kid_score", dist.Normal(loc, sigma), obs=kid_score)


def load_kidiq(data: dict) -> dict:
    return {k: _floats(data[k]) for k in ("mom_hs", "mom_iq", "kid_score")}


# -- earnings-earn_height ---------------------------------------------------------------------


def earn_height(height, earn=None):
    r"""Earnings on height; flat :math:`\beta` and :math:`\sigma > 0`:
    :math:`\mathrm{earn}_n \sim N(\beta_0 + \beta_1 \mathrm{height}_n, \sigma)`.
    """
    beta = bm.sample("beta", _flat(constraints.real, 2))
    sigma = bm.sample("sigma", _flat(constraints.positive))
    with bm.plate("person", height.shape[0]):
        bm.sample("earn", dist.Normal(beta[0] + beta[1] * height, sigma), obs=earn)


def load_earnings(data: dict) -> dict:
    return {"height": _floats(data["height"]), "earn": _floats(data["earn"])}


# -- mesquite-logmesquite_logvash and sblrc-blr -----------------------------------------------


def flat_regression(X, y=None):
    r"""Linear regression with flat priors on :math:`\beta` and :math:`\sigma > 0`:
    :math:`y \sim N(X\beta, \sigma)`.
    """
    beta = bm.sample("beta", _flat(constraints.real, X.shape[1]))
    sigma = bm.sample("sigma", _flat(constraints.positive))
    with bm.plate("obs", X.shape[0]):
        bm.sample("y", dist.Normal(X @ beta, sigma), obs=y)


def load_mesquite(data: dict) -> dict:
    r"""Stan's transformed data: ``y = log(weight)`` and the columns of ``X`` are 1,
    :math:`\log(d_1 d_2 h_c)`, :math:`\log(d_1 d_2)`, :math:`\log(d_1 / d_2)`,
    :math:`\log h_t` and ``group`` (0/1).
    """
    d1, d2 = _floats(data["diam1"]), _floats(data["diam2"])
    canopy, total = _floats(data["canopy_height"]), _floats(data["total_height"])
    columns = [np.ones_like(d1), np.log(d1 * d2 * canopy), np.log(d1 * d2), np.log(d1 / d2), np.log(total)]
    X = np.stack(columns + [_floats(data["group"])], axis=-1)
    return {"X": X, "y": np.log(_floats(data["weight"]))}


def blr(X, y=None):
    r"""Bayesian linear regression:
    :math:`\beta_d \sim N(0, 10)`, :math:`\sigma \sim \mathrm{HalfNormal}(10)`, :math:`y \sim N(X\beta, \sigma)`.
    """
    with bm.plate("coef", X.shape[1]):
        beta = bm.sample("beta", dist.Normal(0.0, 10.0))
    sigma = bm.sample("sigma", dist.HalfNormal(10.0))
    with bm.plate("obs", X.shape[0]):
        bm.sample("y", dist.Normal(X @ beta, sigma), obs=y)


def load_blr(data: dict) -> dict:
    return {"X": _floats(data["X"]), "y": _floats(data["y"])}


# -- arK-arK ----------------------------------------------------------------------------------


def ar_k(y, K: int):
    r"""Autoregression of order ``K`` (0-based :math:`t`):

    .. math::
        \alpha, \beta_k \sim N(0, 10),\ \sigma \sim \mathrm{HalfCauchy}(2.5),\
        y_t \sim N\Big(\alpha + \sum_{k=0}^{K-1} \beta_k y_{t-1-k}, \sigma\Big),\ t = K, \dots, T-1.

    ``y`` is all of the series (the first ``K`` values only condition).
    """
    T = y.shape[0]
    alpha = bm.sample("alpha", dist.Normal(0.0, 10.0))
    with bm.plate("lag", K):
        beta = bm.sample("beta", dist.Normal(0.0, 10.0))
    sigma = bm.sample("sigma", dist.HalfCauchy(2.5))
    lagged = jnp.stack([y[K - 1 - k : T - 1 - k] for k in range(K)], axis=-1)  # [T - K, K]
    with bm.plate("time", T - K):
        bm.sample("y", dist.Normal(alpha + lagged @ beta, sigma), obs=y[K:])


def load_ark(data: dict) -> dict:
    return {"y": _floats(data["y"]), "K": int(data["K"])}


# -- gp_pois_regr-gp_pois_regr ----------------------------------------------------------------


def gp_pois_regr(x, k=None):
    r"""Poisson regression on a latent Gaussian process (non-centred):

    .. math::
        \rho \sim \mathrm{Gamma}(25, 4),\ \alpha \sim \mathrm{HalfNormal}(2),\ \tilde f \sim N(0, I),\
        f = \mathrm{chol}(K + 10^{-10} I)\,\tilde f,\ K_{ij} = \alpha^2 e^{-(x_i - x_j)^2 / (2\rho^2)},\
        k_i \sim \mathrm{Poisson}(e^{f_i}).
    """
    n = x.shape[0]
    rho = bm.sample("rho", dist.Gamma(25.0, 4.0))
    alpha = bm.sample("alpha", dist.HalfNormal(2.0))
    with bm.plate("obs", n):
        f_tilde = bm.sample("f_tilde", dist.Normal(0.0, 1.0))
    cov = alpha**2 * jnp.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * rho**2)) + 1e-10 * jnp.eye(n)
    f = bm.deterministic("f", jnp.linalg.cholesky(cov) @ f_tilde)
    with bm.plate("obs", n):
        bm.sample("k", dist.Poisson(jnp.exp(f)), obs=k)


def load_gp_pois_regr(data: dict) -> dict:
    return {"x": _floats(data["x"]), "k": np.asarray(data["k"], dtype=np.int32)}


# -- low_dim_gauss_mix-low_dim_gauss_mix ------------------------------------------------------


def low_dim_gauss_mix(n: int, y=None):
    r"""Two-component normal mixture, identified by ordering the means:

    .. math::
        \mu \in \{\mu_0 < \mu_1\},\ \mu_k \sim N(0, 2),\ \sigma_k \sim \mathrm{HalfNormal}(2),\
        \theta \sim \mathrm{Beta}(5, 5),\
        y_i \sim \theta N(\mu_0, \sigma_0) + (1 - \theta) N(\mu_1, \sigma_1).

    Stan's ``ordered[2] mu; mu ~ normal(0, 2)`` puts the normal density on the ordered
    values: a flat ordered site plus the normal log density as a factor.
    """
    mu = bm.sample("mu", _flat(constraints.ordered_vector, 2))
    bm.factor("mu_prior", dist.Normal(0.0, 2.0).log_prob(mu).sum())
    with bm.plate("component", 2):
        sigma = bm.sample("sigma", dist.HalfNormal(2.0))
    theta = bm.sample("theta", dist.Beta(5.0, 5.0))
    weights = jnp.stack([theta, 1.0 - theta])
    mixture = dist.MixtureSameFamily(dist.Categorical(probs=weights), dist.Normal(mu, sigma))
    with bm.plate("obs", n):
        bm.sample("y", mixture, obs=y)


def load_low_dim_gauss_mix(data: dict) -> dict:
    y = _floats(data["y"])
    return {"n": int(y.shape[0]), "y": y}


# -- the table --------------------------------------------------------------------------------


class Posterior(NamedTuple):
    model: Callable
    load: Callable[[dict], dict]  # posteriordb JSON -> the model's keyword arguments


POSTERIORS = {
    "eight_schools-eight_schools_noncentered": Posterior(eight_schools_noncentered, load_eight_schools),
    "kidiq-kidscore_interaction": Posterior(kidscore_interaction, load_kidiq),
    "earnings-earn_height": Posterior(earn_height, load_earnings),
    "mesquite-logmesquite_logvash": Posterior(flat_regression, load_mesquite),
    "sblrc-blr": Posterior(blr, load_blr),
    "arK-arK": Posterior(ar_k, load_ark),
    "gp_pois_regr-gp_pois_regr": Posterior(gp_pois_regr, load_gp_pois_regr),
    "low_dim_gauss_mix-low_dim_gauss_mix": Posterior(low_dim_gauss_mix, load_low_dim_gauss_mix),
}


def load(name: str) -> dict:
    """The model's keyword arguments for posterior ``name``."""
    return POSTERIORS[name].load(read_json(name))
