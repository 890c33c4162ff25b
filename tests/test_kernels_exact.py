r"""``DiscreteHMCGibbs(NUTS)`` and ``MixedHMC(HMC)`` recover posteriors known in closed
form: a correlated 2-d Gaussian (correlation 0.9) and a conjugate Gaussian linear
regression, each with an independent discrete site added,

.. math::

    k \sim \mathrm{Categorical}(0.2, 0.3, 0.5),

which no other site depends on, so that its posterior is its prior and the posterior of
the continuous sites is unchanged. (``BarkerMH`` and ``SA`` have these checks in
``tests/test_barker.py`` and ``tests/test_sa.py``.)

Every check compares a posterior expectation :math:`E[f(\theta)]` with its exact value
within 5 Monte Carlo standard errors, :math:`\mathrm{MCSE} = \mathrm{sd}(f) /
\sqrt{\mathrm{ESS}_\text{mean}(f)}` (ESS from ``bayesmodels.diagnostics``):

- the means, :math:`f = \theta_i`;
- the sds, through the variances, :math:`f = (\theta_i - m_i)^2` with the exact mean
  :math:`m` (the delta method makes this the same check as one on the sd with
  :math:`\mathrm{MCSE}(\mathrm{sd}) = \mathrm{MCSE}(\mathrm{var}) / 2\,\mathrm{sd}`);
- the correlations, through the standardised draws :math:`z = (\theta - m)/s` (exact
  :math:`m` and sds :math:`s`), see below;
- the frequencies of :math:`k`, :math:`f = [k = j]`.

Each check also asserts that 5 MCSE is small enough to catch a real error (a mean off by
0.3 sd, a variance off by 30%, a correlation off by 0.15, a frequency off by 0.1), so that
no check passes because its run was too short. For the correlation, the plain estimator
:math:`z_i z_j` of standardised draws has variance :math:`1 + \rho^2`; with the control
variate :math:`z_i^2 - 1` (exact mean 0) it becomes

.. math::

    f = z_i z_j - \rho\,(z_i^2 - 1), \qquad E[f] = \rho, \quad \mathrm{Var}[f] = 1 - \rho^2,

about ten times smaller at :math:`\rho = 0.9` (5 MCSE about 0.05 there, 0.1 for the
regression's near-zero correlations). It is still a check of the correlation alone: if
the sds are right and the correlation is :math:`r`, then :math:`E[f] = r`.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.diagnostics import effective_sample_size
from bayesmodels.infer import HMC, MCMC, NUTS
from bayesmodels.infer._gibbs import DiscreteHMCGibbs
from bayesmodels.infer._mixed_hmc import MixedHMC

pytestmark = [
    pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning"),
    pytest.mark.xdist_group("test_kernels_exact"),
]

K_PROBS = np.array([0.2, 0.3, 0.5])

# -- the two posteriors ----------------------------------------------------------------------

GAUSS_MEAN = np.array([1.0, -2.0])
GAUSS_SD = np.array([1.0, 2.0])
RHO = 0.9
GAUSS_COV = np.array([[1.0, RHO * 2.0], [RHO * 2.0, 4.0]])


def correlated_gaussian():
    bm.sample("x", dist.MultivariateNormal(jnp.asarray(GAUSS_MEAN, jnp.float32), jnp.asarray(GAUSS_COV, jnp.float32)))
    bm.sample("k", dist.Categorical(probs=jnp.asarray(K_PROBS, jnp.float32)))


SIGMA, TAU = 0.5, 2.0
_rng = np.random.default_rng(5)
X_REG = _rng.normal(size=(20, 3)).astype(np.float32)
Y_REG = (X_REG @ np.array([1.0, -0.5, 0.3]) + SIGMA * _rng.normal(size=20)).astype(np.float32)


def linear_regression(X, y):
    r""":math:`\beta \sim N(0, \tau^2 I_3)`, :math:`y \sim N(X\beta, \sigma^2 I)` with
    :math:`\sigma` known, and the unrelated :math:`k`."""
    beta = bm.sample("beta", dist.Normal(0.0, TAU).expand([X.shape[1]]).to_event(1))
    bm.sample("k", dist.Categorical(probs=jnp.asarray(K_PROBS, jnp.float32)))
    with bm.plate("data", X.shape[0]):
        bm.sample("y", dist.Normal(X @ beta, SIGMA), obs=y)


def regression_posterior():
    r""":math:`\Sigma = (X^\top X/\sigma^2 + I/\tau^2)^{-1}`, mean :math:`\Sigma X^\top y/\sigma^2`."""
    X, y = X_REG.astype(np.float64), Y_REG.astype(np.float64)
    cov = np.linalg.inv(X.T @ X / SIGMA**2 + np.eye(3) / TAU**2)
    return cov @ X.T @ y / SIGMA**2, cov


PROBLEMS = {
    "gaussian": (correlated_gaussian, (), "x", lambda: (GAUSS_MEAN, GAUSS_COV)),
    "regression": (linear_regression, (X_REG, Y_REG), "beta", regression_posterior),
}

SAMPLERS = {
    "DiscreteHMCGibbs(NUTS)": lambda model: DiscreteHMCGibbs(NUTS(model, dense_mass=True)),
    # HMC's default trajectory (2 pi) is a whole period of a unit-variance Gaussian once
    # the metric is adapted, so consecutive draws would nearly repeat; a quarter period
    # gives nearly independent ones
    "MixedHMC(HMC)": lambda model: MixedHMC(HMC(model, dense_mass=True, trajectory_length=1.5)),
}

CHAINS, WARMUP, DRAWS = 2, 500, 2000


@pytest.fixture(scope="module")
def runs():
    """Each (sampler, problem) run once, on first use: 2 vectorized chains."""
    cache = {}

    def get(sampler, problem):
        if (sampler, problem) not in cache:
            model, args, _, _ = PROBLEMS[problem]
            mcmc = MCMC(SAMPLERS[sampler](model), num_warmup=WARMUP, num_samples=DRAWS, num_chains=CHAINS,
                        chain_method="vectorized", progress_bar=False)  # fmt: skip
            mcmc.run(jax.random.PRNGKey(6), *args)
            cache[sampler, problem] = mcmc.get_samples(group_by_chain=True)
        return cache[sampler, problem]

    return get


def assert_expectation(values, expected, what, *, resolution):
    r"""The mean over ``values [chain, draw, ...]`` of each scalar within 5 MCSE of
    ``expected``, and 5 MCSE below ``resolution`` (an error that size would be caught)."""
    values = np.asarray(values, np.float64)
    ess = effective_sample_size(values, method="mean")
    mcse = values.std(axis=(0, 1), ddof=1) / np.sqrt(ess)
    assert np.all(5 * mcse < resolution), f"{what}: the run is too short, 5 MCSE = {5 * mcse} (want < {resolution})"
    error = np.abs(values.mean(axis=(0, 1)) - expected)
    assert np.all(error < 5 * mcse), f"{what}: |error| {error} against 5 MCSE {5 * mcse}"


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_continuous_posterior_is_exact(runs, sampler, problem):
    _, _, site, exact = PROBLEMS[problem]
    mean, cov = exact()
    sd = np.sqrt(np.diag(cov))
    draws = np.asarray(runs(sampler, problem)[site], np.float64)  # [chain, draw, d]
    assert draws.shape == (CHAINS, DRAWS, len(mean))
    assert_expectation(draws, mean, "mean", resolution=0.3 * sd)
    assert_expectation((draws - mean) ** 2, sd**2, "variance", resolution=0.3 * sd**2)
    z = (draws - mean) / sd
    rows, cols = np.triu_indices(len(mean), k=1)
    rho = (cov / np.outer(sd, sd))[rows, cols]
    # z_i z_j with the control variate z_i^2 - 1 (exact mean 0): E = rho, Var = 1 - rho^2
    correlation = z[..., rows] * z[..., cols] - rho * (z[..., rows] ** 2 - 1.0)
    assert_expectation(correlation, rho, "correlation", resolution=0.15)


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_independent_discrete_site_keeps_its_prior(runs, sampler, problem):
    k = np.asarray(runs(sampler, problem)["k"])
    assert k.shape == (CHAINS, DRAWS) and k.dtype.kind == "i"
    assert set(np.unique(k)) == {0, 1, 2}
    assert_expectation(k[..., None] == np.arange(3), K_PROBS, "P(k = j)", resolution=0.1)
