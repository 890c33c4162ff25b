r"""NUTS and HMC recover posteriors known in closed form.

- Bayesian linear regression with known noise :math:`\sigma` and prior
  :math:`\beta \sim \mathcal N(0, \tau^2 I)`: the posterior is Gaussian,

  .. math::

      \Sigma_{\text{post}} = \left(X^\top X / \sigma^2 + I / \tau^2\right)^{-1}, \qquad
      \mu_{\text{post}} = \Sigma_{\text{post}} X^\top y / \sigma^2.

- Beta-Binomial: :math:`p \sim \mathrm{Beta}(a, b)`, :math:`k \sim \mathrm{Binomial}(n, p)`
  gives :math:`p \mid k \sim \mathrm{Beta}(a + k, b + n - k)`.
- A 100-dimensional Gaussian whose covariance has condition number :math:`10^3`.

Tolerances come from Monte Carlo standard errors: a mean is within 5 MCSE,
:math:`\text{MCSE} = \widehat{\text{sd}} / \sqrt{\text{ESS}_\text{bulk}}` (ArviZ's ESS);
a standard deviation is within 5 of ArviZ's MCSE of the sd *and* within 10% (the runs are
long enough that 5 MCSE of the sd is below 10%, which is asserted too).
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.infer import HMC, MCMC, NUTS

pytestmark = pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning")

KEY = jax.random.PRNGKey(0)
CHAINS = 2


def _summaries(draws):
    """Per scalar of ``draws [chain, draw, ...]``: mean, sd, MCSE of the mean (sd over
    root bulk ESS) and ArviZ's MCSE of the sd."""
    draws = np.asarray(draws, dtype=np.float64)
    posterior = az.convert_to_dataset({"v": draws})
    sd = draws.std(axis=(0, 1), ddof=1)
    ess = az.ess(posterior, method="bulk")["v"].values
    mcse_sd = az.mcse(posterior, method="sd")["v"].values
    return draws.mean(axis=(0, 1)), sd, sd / np.sqrt(ess), mcse_sd


def assert_moments(draws, mean, sd, *, sd_rtol=0.1):
    """Means within 5 MCSE; sds within 5 MCSE of the sd and within ``sd_rtol``."""
    mean_hat, sd_hat, mcse_mean, mcse_sd = _summaries(draws)
    np.testing.assert_array_less(np.abs(mean_hat - mean), 5 * mcse_mean)
    assert np.all(5 * mcse_sd < sd_rtol * sd), "the run is too short for the sd check"
    np.testing.assert_array_less(np.abs(sd_hat - sd), 5 * mcse_sd)
    np.testing.assert_array_less(np.abs(sd_hat / sd - 1), sd_rtol)


# -- conjugate linear regression ------------------------------------------------------------

SIGMA, TAU = 0.5, 2.0
# a diagonal metric mixes slowly along the posterior's correlation (about -0.95), so the
# sd of a coefficient needs this many draws for 5 MCSE to be under 10%
REGRESSION_DRAWS = 5000


def linear_regression(X, y):
    beta = bm.sample("beta", dist.Normal(0.0, TAU).expand([X.shape[1]]).to_event(1))
    with bm.plate("data", X.shape[0]):
        bm.sample("y", dist.Normal(X @ beta, SIGMA), obs=y)


def _regression_data(seed, n=20):
    """Three covariates, the first two correlated (so is the posterior), float32."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    X[:, 1] = 0.9 * X[:, 0] + 0.3 * X[:, 1]
    y = X @ np.array([1.0, -0.5, 0.3]) + SIGMA * rng.normal(size=n)
    return X.astype(np.float32), y.astype(np.float32)


def _regression_posterior(X, y):
    X, y = X.astype(np.float64), y.astype(np.float64)
    covariance = np.linalg.inv(X.T @ X / SIGMA**2 + np.eye(X.shape[1]) / TAU**2)
    return covariance @ X.T @ y / SIGMA**2, covariance


@pytest.mark.parametrize(
    "dense_mass, chain_method, seed",
    [(False, "vectorized", 0), (True, "vectorized", 1), (False, "sequential", 2)],
)
def test_nuts_recovers_the_regression_posterior(dense_mass, chain_method, seed):
    X, y = _regression_data(seed)
    mean, covariance = _regression_posterior(X, y)
    mcmc = MCMC(
        NUTS(linear_regression, dense_mass=dense_mass),
        num_warmup=500,
        num_samples=REGRESSION_DRAWS,
        num_chains=CHAINS,
        chain_method=chain_method,
        progress_bar=False,
    )
    mcmc.run(KEY, X, y)
    assert mcmc.num_divergences == 0
    assert_moments(mcmc.get_samples(group_by_chain=True)["beta"], mean, np.sqrt(np.diag(covariance)))
    # the adapted metric is the posterior (co)variance, up to the noise of a 300-draw window
    metric = np.asarray(mcmc.last_state.chain.warmup.params.inverse_mass_matrix)
    expected = covariance if dense_mass else np.diag(covariance)
    for chain in range(CHAINS):
        np.testing.assert_allclose(metric[chain], expected, rtol=0.5, atol=0.1 * covariance.max())


def test_hmc_recovers_the_regression_posterior():
    X, y = _regression_data(3)
    mean, covariance = _regression_posterior(X, y)
    sampler = HMC(linear_regression, num_steps=10)
    mcmc = MCMC(sampler, num_warmup=500, num_samples=REGRESSION_DRAWS, num_chains=CHAINS, progress_bar=False)
    mcmc.run(KEY, X, y)
    assert mcmc.num_divergences == 0
    assert_moments(mcmc.get_samples(group_by_chain=True)["beta"], mean, np.sqrt(np.diag(covariance)))


# -- Beta-Binomial -------------------------------------------------------------------------

A, B = 2.0, 3.0


def beta_binomial(n, k):
    p = bm.sample("p", dist.Beta(A, B))
    bm.sample("k", dist.Binomial(total_count=n, probs=p), obs=k)


def test_nuts_recovers_the_beta_binomial_posterior():
    n, k = 40, 13
    exact = stats.beta(A + k, B + n - k)
    mcmc = MCMC(NUTS(beta_binomial), num_warmup=500, num_samples=2000, num_chains=CHAINS, progress_bar=False)
    mcmc.run(KEY, jnp.asarray(n, jnp.float32), jnp.asarray(k, jnp.float32))
    draws = mcmc.get_samples(group_by_chain=True)["p"]
    assert np.all((draws > 0) & (draws < 1))
    assert_moments(draws, exact.mean(), exact.std())
    # the empirical cdf at the exact quantiles: each F(x_q) is the mean of an indicator
    # whose MCSE is sqrt(q (1 - q) / ESS(indicator))
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        below = (draws <= exact.ppf(q)).astype(np.float64)
        ess = float(az.ess(az.convert_to_dataset({"v": below}), method="mean")["v"])
        assert abs(below.mean() - q) < 5 * np.sqrt(q * (1 - q) / ess), (q, below.mean(), ess)
    # Kolmogorov-Smirnov distance with the bulk ESS as the sample size: sqrt(n) D > 1.95
    # has probability 0.001 for n independent draws
    flat = np.sort(draws.ravel())
    cdf = exact.cdf(flat)
    grid = np.arange(1, flat.size + 1) / flat.size
    distance = max(np.max(grid - cdf), np.max(cdf - (grid - 1 / flat.size)))
    ess = float(az.ess(az.convert_to_dataset({"v": draws}), method="bulk")["v"])
    assert np.sqrt(ess) * distance < 1.95, (distance, ess)


# -- a 100-dimensional, badly conditioned Gaussian ---------------------------------------------

DIM = 100
GAUSSIAN_DRAWS = 2500  # per chain: 5 MCSE of an sd is then about 6.5% of it


def gaussian(loc, scale_tril):
    bm.sample("x", dist.MultivariateNormal(loc, scale_tril=scale_tril))


def _ill_conditioned_gaussian(seed=0):
    """A random rotation of variances log-spaced over [1, 1e3]; returns mean, cov, rotation, variances."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.normal(size=(DIM, DIM)))
    variances = np.logspace(0.0, 3.0, DIM)
    covariance = (rotation * variances) @ rotation.T
    return 3.0 * rng.normal(size=DIM), covariance, rotation, variances


@pytest.mark.slow
def test_dense_nuts_on_a_100_dimensional_ill_conditioned_gaussian():
    mean, covariance, rotation, variances = _ill_conditioned_gaussian()
    scale_tril = np.linalg.cholesky(covariance)
    # Stan's warm-up: the dense metric comes from the slow windows (25, 50, 100, 200, 500
    # draws). The early windows hold fewer draws than dimensions, so their metrics are
    # singular but for the regularisation, and trajectories under them hit any depth
    # limit. max_tree_depth=8 bounds that cost (the default 10 doubles the warm-up time)
    # while still exploring enough for the last window to learn the covariance; depth 6
    # does not (one chain's metric came out worse than the identity). Once the metric is
    # learnt, trajectories need about 2**4 steps.
    mcmc = MCMC(
        NUTS(gaussian, dense_mass=True, max_tree_depth=8),
        num_warmup=1000,
        num_samples=GAUSSIAN_DRAWS,
        num_chains=CHAINS,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(KEY, jnp.asarray(mean, jnp.float32), jnp.asarray(scale_tril, jnp.float32))
    draws = np.asarray(mcmc.get_samples(group_by_chain=True)["x"], np.float64)
    assert draws.shape == (CHAINS, GAUSSIAN_DRAWS, DIM)

    # every mean within 5 MCSE (5 MCSE: a false alarm among 100 has probability ~6e-5)
    mean_hat, _, mcse_mean, _ = _summaries(draws)
    np.testing.assert_array_less(np.abs(mean_hat - mean), 5 * mcse_mean)

    # the sd along the narrowest and the widest eigen-direction: within 5 MCSE, and 5
    # MCSE is below 7.5% of the sd (15% of the variance)
    extremes = draws @ rotation[:, [0, -1]]
    _, sd_hat, _, mcse_sd = _summaries(extremes)
    sd = np.sqrt(variances[[0, -1]])
    assert np.all(5 * mcse_sd < 0.075 * sd), (mcse_sd, sd)
    np.testing.assert_array_less(np.abs(sd_hat - sd), 5 * mcse_sd)

    # the adapted metric approximates the covariance: whitened by the true covariance it
    # is near the identity. The last window's covariance estimate from n draws in d = 100
    # dimensions has whitened eigenvalues within the Marchenko-Pastur edges
    # (1 -+ sqrt(d / n))**2: a condition number of 7 for n = 500 independent draws, 20 if
    # only half of them count, against 1e3 for the identity metric. The variance along one
    # direction has a relative sd of sqrt(2 / n), under 10% with 250 effective draws.
    whiten = np.linalg.inv(scale_tril)
    metric = np.asarray(mcmc.last_state.chain.warmup.params.inverse_mass_matrix, np.float64)
    for chain in range(CHAINS):
        eigenvalues = np.linalg.eigvalsh(whiten @ metric[chain] @ whiten.T)
        assert eigenvalues.max() / eigenvalues.min() < 20, eigenvalues[[0, -1]]
        for axis in (0, -1):
            direction = rotation[:, axis]
            ratio = direction @ metric[chain] @ direction / variances[axis]
            assert 2 / 3 < ratio < 3 / 2, (chain, axis, ratio)
