r"""``BarkerMH``: the Barker proposal (Livingstone & Zanella 2022) with an MH correction.

- The kernel: its proposals follow the paper's density (a KS test in one dimension), and
  its acceptance satisfies detailed balance against that density, computed here from the
  paper's formula and not from the kernel's code.
- ``MCMC(BarkerMH(model))`` recovers Gaussian posteriors known in closed form, adapts the
  step size to the target acceptance, is calibrated (SBC), runs with every chain method
  and thinning, and fits the NumPyro tutorial's model (exact means by quadrature).

Tolerances come from Monte Carlo standard errors (ArviZ's bulk ESS and MCSE of the sd):
a mean is within 5 MCSE of the truth, an sd within 5 MCSE of the sd; each such check also
asserts that 5 MCSE is small enough to catch a real error.
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels import diagnostics
from bayesmodels.infer import HMC, MCMC, NUTS
from bayesmodels.infer._barker import BarkerMH
from bayesmodels.kernels import KernelParams, LowRankMetric
from bayesmodels.kernels._barker import BarkerKernel, metric_root

from .sbc_util import rank_chi_square, rank_statistics, simulation_based_calibration

pytestmark = pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning")

KEY = jax.random.PRNGKey(0)


def _summaries(draws):
    """Per scalar of ``draws [chain, draw, ...]``: mean, sd, MCSE of the mean (sd over
    root bulk ESS) and ArviZ's MCSE of the sd."""
    draws = np.asarray(draws, dtype=np.float64)
    posterior = az.convert_to_dataset({"v": draws})
    sd = draws.std(axis=(0, 1), ddof=1)
    ess = az.ess(posterior, method="bulk")["v"].values
    return draws.mean(axis=(0, 1)), sd, sd / np.sqrt(ess), az.mcse(posterior, method="sd")["v"].values


def assert_moments(draws, mean, sd, *, sd_power=0.3):
    """Means within 5 MCSE, sds within 5 MCSE of the sd; and 5 MCSE of the sd below
    ``sd_power * sd``, so that an sd off by that fraction would be caught."""
    mean_hat, sd_hat, mcse_mean, mcse_sd = _summaries(draws)
    np.testing.assert_array_less(np.abs(mean_hat - mean), 5 * mcse_mean)
    assert np.all(5 * mcse_sd < sd_power * np.asarray(sd)), f"the run is too short: 5 MCSE of the sd = {5 * mcse_sd}"
    np.testing.assert_array_less(np.abs(sd_hat - sd), 5 * mcse_sd)


# -- the kernel against the paper's formulas ------------------------------------------------


def _banana(x):
    """A skewed, curved 2-d log density (not Gaussian, so gradients vary in direction)."""
    return -0.5 * x[0] ** 2 - 0.5 * (2.0 * x[1] - x[0] ** 2) ** 2 + 0.3 * x[0]


def _paper_log_q(x, y, grad_x, root, step_size):
    r"""Log density of the Barker proposal :math:`x \to y` in :math:`x`-space (paper, eq. 3.3,
    in whitened coordinates :math:`x = R u`): :math:`\prod_i 2 \varphi_\epsilon(w_i)\,
    (1 + e^{-w_i g_i})^{-1}` with :math:`w = R^{-1}(y - x)`, :math:`g = R^\top \nabla\log\pi(x)`,
    over :math:`|\det R|`. Plain numpy in float64."""
    w = np.linalg.solve(root, y - x)
    g = root.T @ grad_x
    terms = np.log(2.0) + stats.norm.logpdf(w, scale=step_size) - np.logaddexp(0.0, -w * g)
    return terms.sum() - np.log(abs(np.linalg.det(root)))


METRICS = {
    "diagonal": (jnp.array([0.5, 2.0]), np.diag(np.sqrt([0.5, 2.0]))),
    "dense": (jnp.array([[1.0, 0.6], [0.6, 2.0]]), np.linalg.cholesky([[1.0, 0.6], [0.6, 2.0]])),
}


@pytest.mark.parametrize("metric", list(METRICS))
def test_acceptance_satisfies_detailed_balance_with_the_papers_proposal(metric):
    inverse_mass_matrix, root = METRICS[metric]
    step_size = 0.9
    kernel = BarkerKernel(_banana)
    starts = jax.random.normal(jax.random.PRNGKey(1), (200, 2)) * jnp.array([1.0, 1.5])
    keys = jax.random.split(jax.random.PRNGKey(2), 200)

    @jax.jit
    def pairs(key, start):
        x = kernel.init(start)
        y, forward, _ = kernel.propose(key, x, inverse_mass_matrix, step_size)
        backward = kernel.log_accept_ratio(y, x, inverse_mass_matrix)
        return x, y, forward, backward

    xs, ys, forward, backward = jax.vmap(pairs)(keys, starts)
    sides = []
    for i in range(len(keys)):
        x, y = np.asarray(xs.position[i], np.float64), np.asarray(ys.position[i], np.float64)
        log_q_xy = _paper_log_q(x, y, np.asarray(xs.log_density_grad[i], np.float64), root, step_size)
        log_q_yx = _paper_log_q(y, x, np.asarray(ys.log_density_grad[i], np.float64), root, step_size)
        # pi(x) q(x -> y) a(x, y) against pi(y) q(y -> x) a(y, x), in logs
        left = float(xs.log_density[i]) + log_q_xy + min(0.0, float(forward[i]))
        right = float(ys.log_density[i]) + log_q_yx + min(0.0, float(backward[i]))
        sides.append((left, right))
    left, right = np.array(sides).T
    np.testing.assert_allclose(left, right, atol=2e-3)
    # the check is not vacuous: many proposals are rejected with some probability
    assert np.mean(np.asarray(forward) < -0.5) > 0.2


def test_proposals_follow_the_papers_density():
    r"""1-d, :math:`\log\pi(x) = -x^4/4` at :math:`x_0 = 1.2` (gradient :math:`-1.728`), inverse
    mass 2: the whitened move :math:`w = (y - x_0)/\sqrt 2` has density
    :math:`2\varphi_\epsilon(w)\,\sigma(w g)` with :math:`g = \sqrt 2 \cdot (-1.728)`."""
    step_size, x0, inverse_mass = 1.0, 1.2, 2.0
    kernel = BarkerKernel(lambda x: -0.25 * jnp.sum(x**4))
    state = kernel.init(jnp.array([x0]))
    one = lambda key: kernel.propose(key, state, jnp.array([inverse_mass]), step_size)[0].position  # noqa: E731
    propose = jax.jit(jax.vmap(one))
    w = (np.asarray(propose(jax.random.split(jax.random.PRNGKey(3), 20_000)))[:, 0] - x0) / np.sqrt(inverse_mass)
    g = np.sqrt(inverse_mass) * (-(x0**3))

    def cdf_of(density):
        grid = np.linspace(-10 * step_size, 10 * step_size, 40_001)
        values = density(grid)
        cumulative = np.concatenate([[0.0], np.cumsum((values[1:] + values[:-1]) / 2 * np.diff(grid))])
        return lambda t: np.interp(t, grid, cumulative / cumulative[-1])

    papers = lambda t: 2 * stats.norm.pdf(t, scale=step_size) / (1 + np.exp(-t * g))  # noqa: E731
    assert stats.kstest(w, cdf_of(papers)).pvalue > 1e-3
    # power: the proposal skewed the wrong way (down the gradient) is rejected
    assert stats.kstest(w, cdf_of(lambda t: papers(-t))).pvalue < 1e-6
    assert np.mean(w < 0) > 0.8  # most moves go downhill in x, up the density


@pytest.mark.parametrize("kind", ["diagonal", "dense", "low_rank"])
def test_metric_root_is_a_square_root_of_the_inverse_mass_matrix(kind):
    rng = np.random.default_rng(4)
    if kind == "diagonal":
        metric = jnp.asarray(rng.uniform(0.5, 2.0, 4), jnp.float32)
        dense = np.diag(np.asarray(metric))
    elif kind == "dense":
        a = rng.normal(size=(4, 4))
        dense = a @ a.T + np.eye(4)
        metric = jnp.asarray(dense, jnp.float32)
    else:
        vectors = np.linalg.qr(rng.normal(size=(4, 2)))[0].T
        metric = LowRankMetric(jnp.asarray([1.0, 2.0, 0.5, 1.5]), jnp.asarray(vectors), jnp.asarray([4.0, 0.25]))
        dense = np.asarray(metric.to_dense())
    move, transpose, solve = metric_root(metric)
    root = np.asarray(jax.vmap(move, out_axes=1)(jnp.eye(4)))  # columns R e_j
    np.testing.assert_allclose(root @ root.T, dense, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(jax.vmap(transpose, out_axes=1)(jnp.eye(4))), root.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(jax.vmap(solve, out_axes=1)(jnp.eye(4))) @ root, np.eye(4), atol=1e-5)


def test_a_nan_proposal_is_rejected_and_divergent():
    kernel = BarkerKernel(lambda x: jnp.where(x[0] > 0.0, jnp.nan, -0.5 * jnp.sum(x**2)))
    state = kernel.init(jnp.array([-1e-3, 0.0]))
    params = KernelParams(jnp.asarray(5.0), jnp.ones(2))
    steps = jax.jit(jax.vmap(kernel.step, in_axes=(0, None, None)))
    new, info = steps(jax.random.split(KEY, 100), state, params)
    went_positive = np.asarray(info.diverging)
    assert 10 < went_positive.sum() < 90
    assert np.all(np.asarray(info.acceptance_rate)[went_positive] == 0.0)
    assert np.all(np.asarray(new.position)[:, 0] <= 0.0)
    # the step-size search sees a NaN proposal as log ratio -inf
    trial = jax.vmap(kernel.trial_log_accept_ratio, in_axes=(0, None, None, None))
    ratios = np.asarray(trial(jax.random.split(KEY, 100), state, params, 5.0))
    assert np.any(np.isneginf(ratios)) and not np.any(np.isnan(ratios))


# -- posteriors known in closed form --------------------------------------------------------

GAUSS_MEAN = np.array([1.0, -2.0])
GAUSS_SD = np.array([1.0, 2.0])
GAUSS_COV = np.array([[1.0, 0.9 * 2.0], [0.9 * 2.0, 4.0]])


def correlated_gaussian():
    bm.sample("x", dist.MultivariateNormal(jnp.asarray(GAUSS_MEAN, jnp.float32), jnp.asarray(GAUSS_COV, jnp.float32)))


# a diagonal metric cannot undo the correlation 0.9: about 3% of its draws are effective,
# so it needs this many draws for 5 MCSE of the sd to stay under 30%
@pytest.mark.parametrize("dense_mass, num_samples", [(False, 10_000), (True, 3_000)], ids=["diagonal", "dense"])
def test_correlated_gaussian(dense_mass, num_samples):
    mcmc = MCMC(
        BarkerMH(correlated_gaussian, dense_mass=dense_mass),
        num_warmup=1000,
        num_samples=num_samples,
        num_chains=2,
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(KEY)
    draws = mcmc.get_samples(group_by_chain=True)["x"]
    assert_moments(draws, GAUSS_MEAN, GAUSS_SD)
    corr = np.corrcoef(draws.reshape(-1, 2).T)[0, 1]
    assert abs(corr - 0.9) < 0.05  # the correlation, loosely (its MCSE is about 0.005 here)


SIGMA, TAU = 0.5, 2.0


def linear_regression(X, y):
    beta = bm.sample("beta", dist.Normal(0.0, TAU).expand([X.shape[1]]).to_event(1))
    with bm.plate("data", X.shape[0]):
        bm.sample("y", dist.Normal(X @ beta, SIGMA), obs=y)


def test_conjugate_linear_regression():
    r"""Known noise, :math:`\beta \sim N(0, \tau^2 I)`: :math:`\Sigma = (X^\top X/\sigma^2 + I/\tau^2)^{-1}`,
    mean :math:`\Sigma X^\top y / \sigma^2`."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -0.5, 0.3]) + SIGMA * rng.normal(size=20)
    X, y = X.astype(np.float32), y.astype(np.float32)
    precision = X.T.astype(np.float64) @ X / SIGMA**2 + np.eye(3) / TAU**2
    cov = np.linalg.inv(precision)
    mean = cov @ X.T.astype(np.float64) @ y / SIGMA**2
    mcmc = MCMC(BarkerMH(linear_regression), num_warmup=1000, num_samples=4000, num_chains=2, progress_bar=False,
                chain_method="vectorized")  # fmt: skip
    mcmc.run(jax.random.PRNGKey(6), X, y)
    assert_moments(mcmc.get_samples(group_by_chain=True)["beta"], mean, np.sqrt(np.diag(cov)))


# -- step-size adaptation -------------------------------------------------------------------


def independent_gaussian():
    bm.sample("x", dist.Normal(jnp.zeros(5), jnp.arange(1.0, 6.0)))


def test_step_size_adapts_to_the_target_acceptance():
    r"""One dual-averaging window of 1000 iterations (metric fixed at the true variances),
    from a step size far too large (20, acceptance near 0). Dual averaging drives the
    *running mean* of the acceptance statistic to the target 0.4; the final step size is
    the weighted average of the log step-size iterates, which fluctuate (sd about 0.3 in
    log after 1000 iterations). The acceptance is convex in the log step size here, so by
    Jensen that average sits a little above the step size with acceptance 0.4: on this
    target, 200 independent windows gave final step sizes 1.59-1.74 (10%-90%) around the
    root 1.6, that is mean acceptance 0.35-0.42 (a fixed-step scan: 0.445 at 1.5, 0.26 at
    2.0). So each chain's mean acceptance over its draws must be within 0.06 of 0.4 plus
    5 MCSE of that mean."""
    target = 0.4
    mcmc = MCMC(
        BarkerMH(independent_gaussian, step_size=20.0, adapt_mass_matrix=False,
                 inverse_mass_matrix=np.arange(1.0, 6.0) ** 2, target_accept_prob=target),
        num_warmup=1000, num_samples=1000, num_chains=4, chain_method="vectorized", progress_bar=False,
    )  # fmt: skip
    mcmc.run(jax.random.PRNGKey(7))
    stats_ = mcmc.to_result().sample_stats
    acceptance = np.asarray(stats_["acceptance_rate"], np.float64)  # [chain, draw]
    step_size = np.asarray(stats_["step_size"])
    assert np.all(step_size == step_size[:, :1]), "the step size must be fixed after warm-up"
    assert np.all((step_size[:, 0] > 1.0) & (step_size[:, 0] < 3.0))
    for chain in acceptance:
        ess = float(diagnostics.effective_sample_size(chain[None, :, None])[0])
        mcse = chain.std(ddof=1) / np.sqrt(ess)
        assert abs(chain.mean() - target) < 0.06 + 5 * mcse, (chain.mean(), mcse)


# -- simulation-based calibration -----------------------------------------------------------

SBC_POINTS = 10
SBC_REPLICATIONS, SBC_DRAWS, SBC_BINS = 100, 39, 10
SBC_WARMUP, SBC_SAMPLES = 300, 400
SBC_SPACING = SBC_SAMPLES // SBC_DRAWS  # 10


def tutorial_model(x=None):
    """The NumPyro tutorial's model, with ``SBC_POINTS`` observations."""
    mu = bm.sample("mu", dist.Normal(0.0, 1.0))
    s = bm.sample("s", dist.LogNormal(mu, 1.0))
    with bm.plate("data", SBC_POINTS):
        bm.sample("x", dist.Normal(mu, s), obs=x)


@pytest.mark.slow
def test_simulation_based_calibration():
    """As ``tests/test_sbc.py`` for NUTS: 100 replications, ranks of the truth among 39
    draws 10 apart in 10 bins, p-value threshold 1e-3; the median bulk ESS of the 400 draws
    must reach 40 (draws 10 apart roughly independent), and draws shrunk by half about
    their mean must be rejected (the test has power)."""
    mcmc = MCMC(BarkerMH(tutorial_model), num_warmup=SBC_WARMUP, num_samples=SBC_SAMPLES, progress_bar=False)
    labels = ("mu", "s")
    result = simulation_based_calibration(
        mcmc, tutorial_model, jax.random.PRNGKey(8), SBC_REPLICATIONS, labels, SBC_DRAWS, observed="x"
    )
    tests = [rank_chi_square(result.ranks[:, p], SBC_DRAWS, SBC_BINS) for p in range(len(labels))]
    report = "; ".join(f"{label}: p={p:.2g}, bins {counts.tolist()}" for label, (counts, p) in zip(labels, tests))
    assert all(p >= 1e-3 for _, p in tests), report
    median_ess = np.median(result.ess, axis=0)
    assert np.all(median_ess >= SBC_SAMPLES / SBC_SPACING), f"median bulk ESS {median_ess}: draws are correlated"
    centre = result.draws.mean(axis=1, keepdims=True)
    shrunk = rank_statistics(result.truth, centre + 0.5 * (result.draws - centre))
    assert all(rank_chi_square(shrunk[:, p], SBC_DRAWS, SBC_BINS)[1] < 1e-3 for p in range(len(labels)))


# -- the NumPyro tutorial's model, every chain method, thinning -----------------------------


def numpyro_basics_model(x=None, n=None):
    """``examples/numpyro_basics.py``: mu ~ N(0, 1); s ~ LogNormal(mu, 1); x_i ~ N(mu, s)."""
    mu = bm.sample("mu", dist.Normal(0.0, 1.0))
    s = bm.sample("s", dist.LogNormal(mu, 1.0))
    with bm.plate("data", size=len(x) if x is not None else n):
        bm.sample("x", dist.Normal(mu, s), obs=x)


TUTORIAL_X = np.asarray(dist.Normal(0.0, 5.0).rsample(sample_shape=(20,), key=jax.random.PRNGKey(0)))


def _tutorial_exact_means(x):
    """E[mu], E[s] by quadrature on a grid in (mu, log s), with the Jacobian s."""
    mu = np.linspace(-5.0, 6.0, 1101)[:, None]
    log_s = np.linspace(-1.0, 4.0, 1001)[None, :]
    s = np.exp(log_s)
    log_post = stats.norm.logpdf(mu) + stats.norm.logpdf(log_s, mu, 1.0)  # LogNormal(s) * s = Normal(log s)
    log_post = log_post + stats.norm.logpdf(x[:, None, None], mu, s).sum(axis=0)
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    return float((weights * mu).sum()), float((weights * s).sum())


TUTORIAL = dict(num_warmup=500, num_samples=4000, num_chains=2, thinning=2, progress_bar=False)


@pytest.fixture(scope="module")
def tutorial_vectorized():
    mcmc = MCMC(BarkerMH(numpyro_basics_model), chain_method="vectorized", **TUTORIAL)
    mcmc.run(jax.random.PRNGKey(9), TUTORIAL_X)
    return mcmc


def _assert_tutorial_means(samples):
    exact_mu, exact_s = _tutorial_exact_means(TUTORIAL_X.astype(np.float64))
    for name, exact in (("mu", exact_mu), ("s", exact_s)):
        mean, sd, mcse, _ = _summaries(samples[name])
        assert abs(mean - exact) < 5 * mcse, (name, mean, exact, mcse)
        assert 5 * mcse < 0.5 * sd  # a shift of half a posterior sd would be caught


def test_tutorial_model_matches_quadrature_with_thinning(tutorial_vectorized):
    samples = tutorial_vectorized.get_samples(group_by_chain=True)
    assert samples["mu"].shape == samples["s"].shape == (2, 2000)
    _assert_tutorial_means(samples)
    sample_stats = tutorial_vectorized.to_result().to_arviz().sample_stats
    for name in ("acceptance_rate", "step_size", "diverging", "lp"):
        assert name in sample_stats and sample_stats[name].shape == (2, 2000)
    assert "energy" not in sample_stats
    assert 0.2 < float(sample_stats["acceptance_rate"].mean()) < 0.6
    assert tutorial_vectorized.to_result().attrs["sampler"] == "BarkerMH"


@pytest.mark.parametrize(
    "sampler",
    [
        # HMC's default trajectory (2 pi) is a whole period of a unit-variance Gaussian
        # under the adapted metric, so consecutive draws nearly repeat; a quarter period
        # gives nearly independent draws
        lambda model: HMC(model, trajectory_length=1.6),
        NUTS,
    ],
    ids=["HMC", "NUTS"],
)
def test_the_tutorial_model_fits_with_hmc_and_nuts_through_the_same_call(sampler):
    """The issue's check: one MCMC call with thinning serves HMC, BarkerMH (above) and NUTS."""
    mcmc = MCMC(sampler(numpyro_basics_model), chain_method="vectorized", **TUTORIAL)
    mcmc.run(jax.random.PRNGKey(9), TUTORIAL_X)
    samples = mcmc.get_samples(group_by_chain=True)
    assert samples["mu"].shape == (2, 2000)
    _assert_tutorial_means(samples)


def test_sequential_chains_match_vectorized(tutorial_vectorized):
    """Chain keys do not depend on the chain method, so the chains start the same; but vmap
    changes float rounding, and the early warm-up (step sizes up to hundreds) amplifies it
    until, after a few dozen iterations, an accept decision differs and the chains part
    (NUTS does the same on this model). So: the first warm-up draws agree, and the
    sequential run is as right as the vectorized one."""
    mcmc = MCMC(BarkerMH(numpyro_basics_model), chain_method="sequential", **TUTORIAL)
    mcmc.run(jax.random.PRNGKey(9), TUTORIAL_X)
    assert mcmc.to_result().attrs["chain_method"] == "sequential"
    sequential = mcmc.to_result().warmup_posterior
    vectorized = tutorial_vectorized.to_result().warmup_posterior
    for name in ("mu", "s"):
        assert np.asarray(sequential[name]).shape == (2, 250)  # thinned warm-up draws too
        np.testing.assert_allclose(sequential[name][:, :10], vectorized[name][:, :10], rtol=1e-4, atol=1e-4)
        assert np.all(np.ptp(np.asarray(sequential[name])[:, :10], axis=1) > 0)  # the chains moved
    _assert_tutorial_means(mcmc.get_samples(group_by_chain=True))


SCHOOL_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0], np.float32)
SCHOOL_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0], np.float32)


def eight_schools(sigma, y=None):
    """Non-centred, as ``examples/eight_schools.py``."""
    mu = bm.sample("mu", dist.Normal(0.0, 5.0))
    tau = bm.sample("tau", dist.HalfCauchy(5.0))
    with bm.plate("school", len(sigma)):
        theta_tilde = bm.sample("theta_tilde", dist.Normal(0.0, 1.0))
        bm.sample("y", dist.Normal(mu + tau * theta_tilde, sigma), obs=y)


def _eight_schools_exact_means():
    """E[mu], E[tau] by quadrature, theta integrated out: y_j ~ N(mu, sqrt(sigma_j^2 + tau^2));
    a midpoint grid in u with tau = 5 tan(pi u / 2) carries the HalfCauchy(5) prior exactly."""
    u = (np.arange(2000) + 0.5) / 2000
    tau = 5.0 * np.tan(0.5 * np.pi * u)[None, :]
    mu = np.linspace(-40.0, 50.0, 901)[:, None]
    data = zip(SCHOOL_Y.astype(float), SCHOOL_SIGMA.astype(float))
    log_post = stats.norm.logpdf(mu, 0.0, 5.0) + sum(stats.norm.logpdf(y, mu, np.sqrt(s**2 + tau**2)) for y, s in data)
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    return float((weights * mu).sum()), float((weights * tau).sum())


def test_eight_schools_smoke():
    """Small settings with thinning: the means of mu and tau agree with quadrature."""
    mcmc = MCMC(BarkerMH(eight_schools), num_warmup=1000, num_samples=4000, num_chains=2, thinning=2,
                chain_method="vectorized", progress_bar=False)  # fmt: skip
    mcmc.run(jax.random.PRNGKey(10), SCHOOL_SIGMA, SCHOOL_Y)
    samples = mcmc.get_samples(group_by_chain=True)
    assert samples["theta_tilde"].shape == (2, 2000, 8)
    for name, exact in zip(("mu", "tau"), _eight_schools_exact_means()):
        mean, sd, mcse, _ = _summaries(samples[name])
        assert abs(mean - exact) < 5 * mcse, (name, mean, exact, mcse)
        assert 5 * mcse < 0.5 * sd, (name, mcse, sd)


def test_settings_are_checked_and_kept():
    with pytest.raises(ValueError, match="target_accept_prob must be in"):
        BarkerMH(numpyro_basics_model, target_accept_prob=1.5)
    with pytest.raises(ValueError, match="inverse_mass_matrix must be a matrix"):
        BarkerMH(numpyro_basics_model, dense_mass=True, inverse_mass_matrix=np.ones(2))
    sampler = BarkerMH(target_accept_prob=0.5).with_model(numpyro_basics_model)
    assert sampler.model is numpyro_basics_model
    assert sampler.attrs() == {"sampler": "BarkerMH", "target_accept_prob": 0.5, "dense_mass": False}
    assert sampler.adaptation().target_accept_prob == 0.5


def test_model_fit_with_method_barker():
    class Normal1(bm.Model):
        def define(self, y=None):
            mu = bm.sample("mu", dist.Normal(0.0, 10.0))
            with bm.plate("data", 10):
                bm.sample("y", dist.Normal(mu, 1.0), obs=y)

    y = np.linspace(-1.0, 3.0, 10)
    fitted = Normal1().fit(y, method="barker", num_warmup=300, num_samples=1000, num_chains=1, progress_bar=False)
    assert fitted.result_.attrs["sampler"] == "BarkerMH"
    draws = fitted.get_samples()["mu"]
    # posterior N(sum(y) / 10.01, 1 / sqrt(10.01)); 5 MCSE with the draws' own ESS
    ess = float(bm.diagnostics.effective_sample_size(draws[None]))
    post_mean, post_sd = y.sum() / 10.01, 10.01**-0.5
    assert abs(draws.mean() - post_mean) < 5 * post_sd / np.sqrt(ess)
