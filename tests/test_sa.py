"""SA (Sample Adaptive MCMC): the leave-one-out densities of its drop rule, exact
posteriors (a correlated Gaussian, a conjugate linear regression), no gradient anywhere
(a potential and a model factor whose derivatives raise), chain methods, sample stats,
argument checks, and the eight schools as a smoke test.

Tolerances are Monte Carlo standard errors from the draws' ESS
(``bayesmodels.diagnostics``): a mean within 5 MCSE, with MCSE = sd / sqrt(ESS_mean);
an sd within 5 MCSE, with the delta method on the variance,
MCSE(sd) = sd((x - mu)^2) / sqrt(ESS_mean((x - mu)^2)) / (2 sd). Fits are module
fixtures so each sampler compiles once.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.diagnostics import effective_sample_size
from bayesmodels.infer import MCMC
from bayesmodels.infer._sa import SA
from bayesmodels.kernels._sa import SAKernel, leave_one_out_log_density

pytestmark = [
    pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning"),
    pytest.mark.xdist_group("test_sa"),
]


# -- no gradient: functions whose derivative raises -------------------------------------


class GradientCalled(Exception):
    pass


@jax.custom_jvp
def no_gradient(x):
    """The identity, whose derivative raises when JAX traces it."""
    return x


@no_gradient.defjvp
def _no_gradient_jvp(primals, tangents):
    raise GradientCalled("SA differentiated the log density")


def test_no_gradient_raises_when_differentiated():
    """So that the fits below, which run through `no_gradient`, show SA never differentiates."""
    with pytest.raises(GradientCalled):
        jax.grad(lambda x: no_gradient(x) ** 2)(1.0)


def check_moments(draws, mean, sd):
    """``draws`` ``[chain, draw, k]`` against the exact ``mean`` and ``sd`` (``[k]``):
    within 5 Monte Carlo standard errors each."""
    draws = np.asarray(draws, np.float64)
    ess_mean = effective_sample_size(draws, method="mean")
    mean_error = np.abs(draws.mean(axis=(0, 1)) - mean)
    np.testing.assert_array_less(mean_error, 5 * sd / np.sqrt(ess_mean))
    squares = (draws - mean) ** 2
    ess_var = effective_sample_size(squares, method="mean")
    sd_hat = np.sqrt(squares.mean(axis=(0, 1)))
    mcse_sd = squares.std(axis=(0, 1)) / np.sqrt(ess_var) / (2 * sd_hat)
    np.testing.assert_array_less(np.abs(sd_hat - sd), 5 * mcse_sd)
    return ess_mean


# -- the drop rule's densities -------------------------------------------------------------


@pytest.mark.parametrize("dense", [True, False])
def test_leave_one_out_log_density_matches_a_direct_fit(dense):
    points = jax.random.normal(jax.random.PRNGKey(3), (7, 3)) * jnp.array([1.0, 3.0, 0.2]) + 5.0
    got = leave_one_out_log_density(points, dense)
    for j in range(points.shape[0]):
        others = jnp.delete(points, j, axis=0)
        cov = jnp.cov(others, rowvar=False, bias=True)
        if not dense:
            cov = jnp.diag(jnp.diag(cov))
        want = jax.scipy.stats.multivariate_normal.logpdf(points[j], others.mean(0), cov)
        np.testing.assert_allclose(got[j], want, rtol=1e-4, atol=1e-4)


def test_kernel_drops_points_outside_the_support_first():
    kernel = SAKernel(lambda z: jnp.where(z[0] > 0, -0.5 * jnp.sum(z**2), -jnp.inf), adapt_state_size=8)
    state = kernel.init(jnp.array([0.2, 0.0]))
    counts = [int(np.sum(~np.isfinite(np.asarray(state.log_densities))))]
    assert counts[0] > 0  # the unit-scale starting set straddles the boundary
    for i in range(20):
        state, _ = kernel.step(jax.random.PRNGKey(i), state, None)
        counts.append(int(np.sum(~np.isfinite(np.asarray(state.log_densities)))))
    assert counts[-1] == 0 and all(b <= a for a, b in zip(counts, counts[1:]))
    np.testing.assert_allclose(state.log_densities, jax.vmap(kernel.log_density_fn)(state.points), rtol=1e-6)


# -- a correlated Gaussian, through a potential whose gradient raises ---------------------

GAUSS_MEAN = np.array([1.0, -1.0])
GAUSS_SD = np.array([1.0, 2.0])
GAUSS_COV = np.outer(GAUSS_SD, GAUSS_SD) * np.array([[1.0, 0.9], [0.9, 1.0]])
GAUSS_PRECISION = jnp.asarray(np.linalg.inv(GAUSS_COV), jnp.float32)


def gaussian_potential(z):
    centred = no_gradient(z) - jnp.asarray(GAUSS_MEAN, jnp.float32)
    return 0.5 * centred @ GAUSS_PRECISION @ centred


@pytest.fixture(scope="module")
def gaussian():
    mcmc = MCMC(
        SA(potential_fn=gaussian_potential), num_warmup=500, num_samples=3000, num_chains=4, progress_bar=False
    )
    mcmc.run(jax.random.PRNGKey(0), init_params=jnp.zeros((4, 2)))
    return mcmc


def test_sa_recovers_a_correlated_gaussian_without_gradients(gaussian):
    draws = gaussian.get_samples(group_by_chain=True)["z"]
    assert draws.shape == (4, 3000, 2)
    ess = check_moments(draws, GAUSS_MEAN, GAUSS_SD)
    assert np.all(ess > 200)  # the check above has some power
    correlation = np.corrcoef(draws.reshape(-1, 2).T)[0, 1]
    assert abs(correlation - 0.9) < 0.05


def test_sample_stats_reach_arviz(gaussian):
    stats = gaussian.to_result().to_arviz().sample_stats
    assert {"lp", "acceptance_rate", "diverging"} <= set(stats.data_vars)
    acceptance = stats["acceptance_rate"].values
    assert np.all((acceptance >= 0) & (acceptance <= 1)) and 0.05 < acceptance.mean() < 0.95
    assert not stats["diverging"].values.any()
    # lp is the log density of the reported draw, not of some other point of the set
    draws = gaussian.get_samples(group_by_chain=True)["z"][:, :50]
    lp = -jax.vmap(jax.vmap(gaussian_potential))(jnp.asarray(draws))
    np.testing.assert_allclose(stats["lp"].values[:, :50], lp, rtol=1e-4, atol=1e-4)


# -- a conjugate Gaussian linear regression, through a model ------------------------------

_rng = np.random.default_rng(1)
N_OBS, NOISE, PRIOR = 30, 0.5, 2.0
X = np.column_stack([np.ones(N_OBS), _rng.normal(size=(N_OBS, 2))]).astype(np.float32)
Y = (X @ np.array([0.5, -1.0, 2.0]) + NOISE * _rng.normal(size=N_OBS)).astype(np.float32)
POST_COV = np.linalg.inv(X.T.astype(np.float64) @ X / NOISE**2 + np.eye(3) / PRIOR**2)
POST_MEAN = POST_COV @ X.T.astype(np.float64) @ Y / NOISE**2


def regression(x, y=None):
    coef = bm.sample("coef", dist.Normal(0.0, PRIOR).expand([3]).to_event(1))
    bm.factor("no_gradient", 0.0 * no_gradient(coef).sum())  # differentiating it raises
    with bm.plate("data", x.shape[0]):
        bm.sample("y", dist.Normal(x @ coef, NOISE), obs=y)


# SA's transient from a far start is slow (NumPyro's too: the set shrinks to the local
# scale and creeps), so the chains start near the posterior mean, on either side of it
STARTS = {"coef": np.stack([POST_MEAN - 0.2, POST_MEAN + 0.2]).astype(np.float32)}


def run_regression(chain_method, num_warmup, num_samples):
    mcmc = MCMC(
        SA(regression),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=2,
        chain_method=chain_method,
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(1), X, Y, init_params=STARTS)
    return mcmc


@pytest.fixture(scope="module")
def regression_fit():
    return run_regression("vectorized", 1000, 4000)


def test_sa_recovers_a_conjugate_linear_regression(regression_fit):
    draws = regression_fit.get_samples(group_by_chain=True)["coef"]
    ess = check_moments(draws, POST_MEAN, np.sqrt(np.diag(POST_COV)))
    assert np.all(ess > 200)


def test_chain_methods_agree():
    vectorized = run_regression("vectorized", 100, 100).get_samples(group_by_chain=True)["coef"]
    sequential = run_regression("sequential", 100, 100)
    assert sequential.to_result().attrs["chain_method"] == "sequential"
    assert np.all(np.ptp(vectorized, axis=1) > 0)  # the chains moved
    # vmap changes float rounding, so close rather than equal
    np.testing.assert_allclose(sequential.get_samples(group_by_chain=True)["coef"], vectorized, rtol=1e-4, atol=1e-4)


# -- settings -------------------------------------------------------------------------------


def test_settings_are_checked():
    with pytest.raises(ValueError, match="a `model` or a `potential_fn`, not both"):
        SA(regression, potential_fn=gaussian_potential)
    with pytest.raises(ValueError, match=r"adapt_state_size must be an integer >= 2.*got 1"):
        SA(regression, adapt_state_size=1)
    with pytest.raises(ValueError, match=r"adapt_state_size=3 points cannot fit a dense covariance .* 3 unconstrained"):
        MCMC(SA(regression, adapt_state_size=3), num_warmup=10, num_samples=10, progress_bar=False).run(0, X, Y)
    with pytest.raises(ValueError, match="needs init_params"):
        MCMC(SA(potential_fn=gaussian_potential), num_warmup=10, num_samples=10, progress_bar=False).run(0)


def test_with_model_keeps_the_settings():
    sampler = SA(adapt_state_size=8, dense_mass=False).with_model(regression)
    assert (sampler.model, sampler.adapt_state_size, sampler.dense_mass) == (regression, 8, False)
    assert sampler.attrs() == {"sampler": "SA", "dense_mass": False, "adapt_state_size": 8}


# -- eight schools (smoke) ---------------------------------------------------------------

SCHOOL_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0], dtype=np.float32)
SCHOOL_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0], dtype=np.float32)


def eight_schools(sigma, y=None):
    mu = bm.sample("mu", dist.Normal(0.0, 5.0))
    tau = bm.sample("tau", dist.HalfCauchy(5.0))
    with bm.plate("school", sigma.shape[0]):
        theta_tilde = bm.sample("theta_tilde", dist.Normal(0.0, 1.0))
        theta = bm.deterministic("theta", mu + tau * theta_tilde)
        bm.sample("y", dist.Normal(theta, sigma), obs=y)


def test_eight_schools_runs():
    mcmc = MCMC(SA(eight_schools, dense_mass=False), num_warmup=300, num_samples=300, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(2), SCHOOL_SIGMA, SCHOOL_Y)
    samples = mcmc.get_samples()
    assert samples["theta"].shape == (300, 8) and np.all(samples["tau"] > 0)
    assert np.all(np.isfinite(samples["mu"])) and np.ptp(samples["mu"]) > 0
    result = mcmc.to_result()
    assert result.attrs["sampler"] == "SA" and "log_likelihood" in result.to_arviz().groups()


def test_model_fit_with_method_sa():
    class Normal1(bm.Model):
        def define(self, y=None):
            mu = bm.sample("mu", dist.Normal(0.0, 10.0))
            with bm.plate("data", 10):
                bm.sample("y", dist.Normal(mu, 1.0), obs=y)

    y = np.linspace(-1.0, 3.0, 10)
    fitted = Normal1().fit(y, method="sa", num_warmup=300, num_samples=1000, num_chains=1, progress_bar=False)
    assert fitted.result_.attrs["sampler"] == "SA"
    draws = fitted.get_samples()["mu"]
    # posterior N(sum(y) / (10 + 0.01), 1 / sqrt(10.01)); 5 MCSE with the draws' own ESS
    ess = float(bm.diagnostics.effective_sample_size(draws[None]))
    post_mean, post_sd = y.sum() / 10.01, 10.01**-0.5
    assert abs(draws.mean() - post_mean) < 5 * post_sd / np.sqrt(ess)
