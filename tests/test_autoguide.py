"""Autoguides against exact posteriors.

The main target is a conjugate Gaussian linear regression built so that its posterior
covariance is exactly rank one plus diagonal, :math:`\\Sigma = w w^T + \\mathrm{diag}(d)`:
then the full-rank and the rank-one guides can both match it exactly, the mean-field
guides can match the mean and the *conditional* sds :math:`(\\Sigma^{-1})_{ii}^{-1/2}`
(clearly smaller than the marginal ones here), AutoDelta the mode and
AutoLaplaceApproximation the inverse Hessian.

Tolerance: each run ends with Adam at step size 2e-3 and averages the last 300 iterates
(Polyak averaging), so the optimiser's jitter about the optimum is a few 1e-3 in
unconstrained units; the exact optimum is compared with 0.05 posterior sds (means) and 5%
(sds and covariances), well above that jitter and well below the mean-field vs full-rank
differences the tests distinguish.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.infer import SVI, Trace_ELBO
from bayesmodels.infer.autoguide import (
    AutoDelta,
    AutoDiagonalNormal,
    AutoLaplaceApproximation,
    AutoLowRankMultivariateNormal,
    AutoMultivariateNormal,
    AutoNormal,
)

pytestmark = pytest.mark.xdist_group("autoguide")

D = 3
SIGMA = 1.0  # noise sd
TAU = 10.0  # prior sd of the coefficients
W = np.array([1.2, -0.9, 0.6])
POST_COV = np.outer(W, W) + np.diag([0.04, 0.09, 0.05])
POST_PREC = np.linalg.inv(POST_COV)
# X^T X / sigma^2 + I / tau^2 = Sigma^{-1}: X is a square root of the data's precision
X = np.linalg.cholesky(SIGMA**2 * (POST_PREC - np.eye(D) / TAU**2)).T
Y = np.array([0.8, -0.3, 1.1])
POST_MEAN = POST_COV @ X.T @ Y / SIGMA**2
POST_SD = np.sqrt(np.diag(POST_COV))
CONDITIONAL_SD = 1.0 / np.sqrt(np.diag(POST_PREC))

NUM_STEPS = 3000
AVERAGED = 300


def regression(x, y):
    beta = bm.sample("beta", dist.Normal(0.0, TAU).expand([D]).to_event(1))
    with bm.plate("data", x.shape[0]):
        bm.sample("y", dist.Normal(x @ beta, SIGMA), obs=y)


def optimizer():
    """Adam at 0.05 for the first half, then decaying to 2e-3."""
    half = NUM_STEPS // 2
    decay = optax.exponential_decay(0.05, transition_steps=half, decay_rate=0.04, end_value=2e-3)
    return optax.adam(optax.join_schedules([optax.constant_schedule(0.05), decay], [half]))


def fit(guide, args=(jnp.asarray(X), jnp.asarray(Y)), num_particles=8):
    """Train, then average the params over the last AVERAGED steps (Polyak averaging)."""
    svi = SVI(guide.model, guide, optimizer(), Trace_ELBO(num_particles=num_particles))
    result = svi.run(jax.random.key(0), NUM_STEPS - AVERAGED, *args, progress_bar=False)
    state, tail = result.state, []
    step = jax.jit(lambda s: svi.update(s, *args)[0])
    for _ in range(AVERAGED):
        state = step(state)
        tail.append(svi.get_params(state))
    params = jax.tree_util.tree_map(lambda *v: jnp.mean(jnp.stack(v), axis=0), *tail)
    return guide, params, np.asarray(result.losses)


GUIDES = {
    "normal": lambda: AutoNormal(regression),
    "diagonal": lambda: AutoDiagonalNormal(regression),
    "mvn": lambda: AutoMultivariateNormal(regression),
    "lowrank": lambda: AutoLowRankMultivariateNormal(regression, rank=1),
    "delta": lambda: AutoDelta(regression),
    "laplace": lambda: AutoLaplaceApproximation(regression),
}


@functools.cache
def fitted(name):
    """``(guide, averaged params, losses)``, trained once per test module run."""
    return fit(GUIDES[name]())


def draws_moments(guide, params, num=20000):
    beta = np.asarray(guide.sample_posterior(jax.random.key(1), params, (num,))["beta"], dtype=np.float64)
    return beta.mean(0), np.cov(beta.T)


@pytest.mark.parametrize("name", sorted(GUIDES))
def test_loss_decreases(name):
    _, _, losses = fitted(name)
    assert np.all(np.isfinite(losses))
    assert losses[-200:].mean() < losses[:50].mean()


@pytest.mark.parametrize("name", sorted(GUIDES))
def test_mean_or_mode(name):
    guide, params, _ = fitted(name)
    median = np.asarray(guide.median(params)["beta"])
    np.testing.assert_array_less(np.abs(median - POST_MEAN), 0.05 * POST_SD)


@pytest.mark.parametrize("name", ["mvn", "lowrank", "laplace"])
def test_full_rank_guides_recover_covariance(name):
    guide, params, _ = fitted(name)
    cov = np.asarray(guide.get_posterior(params).covariance_matrix, dtype=np.float64)
    np.testing.assert_allclose(cov, POST_COV, atol=0.05 * np.outer(POST_SD, POST_SD).max())
    mean, sample_cov = draws_moments(guide, params)
    # 20000 draws: the sample covariance's standard error is about sd_i sd_j sqrt(2 / 20000)
    np.testing.assert_allclose(sample_cov, cov, atol=5 * np.sqrt(2 / 20000) * np.outer(POST_SD, POST_SD).max())
    np.testing.assert_array_less(np.abs(mean - POST_MEAN), 0.05 * POST_SD + 5 * POST_SD / np.sqrt(20000))


@pytest.mark.parametrize("name", ["normal", "diagonal"])
def test_mean_field_guides_give_conditional_sds(name):
    guide, params, _ = fitted(name)
    assert np.all(CONDITIONAL_SD < 0.5 * POST_SD)  # the check below tells them apart
    scale = params["auto_beta_scale"] if name == "normal" else params["auto_scale"]
    np.testing.assert_allclose(np.asarray(scale), CONDITIONAL_SD, rtol=0.05)
    quantiles = np.asarray(guide.quantiles(params, [0.1587, 0.5, 0.8413])["beta"])
    np.testing.assert_allclose(quantiles[1], np.asarray(guide.median(params)["beta"]), rtol=1e-6)
    np.testing.assert_allclose((quantiles[2] - quantiles[0]) / 2, np.asarray(scale), rtol=1e-3)


def test_low_rank_finds_the_leading_direction():
    _, params, _ = fitted("lowrank")
    factor = np.asarray(params["auto_cov_factor"])[:, 0]
    cosine = abs(factor @ W) / (np.linalg.norm(factor) * np.linalg.norm(W))
    assert cosine > 0.99
    np.testing.assert_allclose(np.linalg.norm(factor), np.linalg.norm(W), rtol=0.05)


def test_delta_sample_posterior_is_the_point():
    guide, params, _ = fitted("delta")
    draws = guide.sample_posterior(jax.random.key(0), params, (4,))["beta"]
    assert draws.shape == (4, D)
    np.testing.assert_array_equal(np.asarray(draws), np.broadcast_to(np.asarray(params["auto_beta_loc"]), (4, D)))


# -- constrained sites: the mode in which space ------------------------------------------
def gamma_model():
    bm.sample("s", dist.Gamma(3.0, 1.0))


def test_delta_and_laplace_modes_on_a_positive_site():
    """Gamma(3, 1): the constrained mode is 2 (AutoDelta); in u = log s the density is
    proportional to exp(3u - e^u), whose mode is log 3 with curvature 3 (Laplace)."""
    delta, delta_params, _ = fit(AutoDelta(gamma_model), args=())
    assert abs(float(delta.median(delta_params)["s"]) - 2.0) < 0.02
    laplace, laplace_params, _ = fit(AutoLaplaceApproximation(gamma_model), args=())
    posterior = laplace.get_posterior(laplace_params)
    assert abs(float(posterior.mean[0]) - np.log(3.0)) < 0.01
    assert abs(float(posterior.covariance_matrix[0, 0]) - 1.0 / 3.0) < 0.01
    assert abs(float(laplace.median(laplace_params)["s"]) - 3.0) < 0.03
    draws = laplace.sample_posterior(jax.random.key(0), laplace_params, (1000,))["s"]
    assert bool(jnp.all(draws > 0))


def test_auto_normal_on_a_positive_site_matches_the_log_normal():
    """A LogNormal(1, 0.5) latent is Normal(1, 0.5) in log space, which AutoNormal contains."""

    def model():
        bm.sample("s", dist.LogNormal(1.0, 0.5))

    guide, params, _ = fit(AutoNormal(model), args=())
    assert abs(float(params["auto_s_loc"]) - 1.0) < 0.05 * 0.5
    assert abs(float(params["auto_s_scale"]) - 0.5) < 0.05 * 0.5
    q = np.asarray(guide.quantiles(params, [0.05, 0.5, 0.95])["s"])
    expected = np.exp(1.0 + 0.5 * np.array([-1.6449, 0.0, 1.6449]))
    np.testing.assert_allclose(q, expected, rtol=0.05)


# -- structure ----------------------------------------------------------------------------
def local_model(y):
    mu = bm.sample("mu", dist.Normal(0.0, 5.0))
    with bm.plate("data", y.shape[0], subsample_size=4) as idx:
        z = bm.sample("z", dist.Normal(mu, 1.0))
        bm.sample("y", dist.Normal(z, 0.5), obs=y[idx])


def test_auto_normal_follows_a_subsampled_plate():
    y = jnp.arange(10.0)
    guide = AutoNormal(local_model)
    svi = SVI(local_model, guide, optax.adam(0.05), Trace_ELBO())
    state = svi.init(jax.random.key(0), y)
    params = svi.get_params(state)
    assert params["auto_z_loc"].shape == (10,)  # full size, though each step sees 4 rows
    assert params["auto_z_scale"].shape == (10,)
    new_state, loss = svi.update(state, y)
    changed = np.asarray(svi.get_params(new_state)["auto_z_loc"] != params["auto_z_loc"])
    assert bool(jnp.isfinite(loss)) and changed.sum() == 4  # only the subsample's rows moved
    assert guide.sample_posterior(jax.random.key(1), svi.get_params(new_state), (3,))["z"].shape == (3, 10)


def test_flat_guides_refuse_a_subsampled_plate():
    y = jnp.arange(10.0)
    svi = SVI(local_model, AutoDiagonalNormal(local_model), optax.adam(0.05), Trace_ELBO())
    with pytest.raises(ValueError, match="'z'.*subsamples 4 of 10.*AutoNormal"):
        svi.init(jax.random.key(0), y)


def test_sites_are_unpacked_in_their_shapes_and_supports():
    def model():
        bm.sample("scale", dist.HalfNormal(1.0))
        bm.sample("weights", dist.Dirichlet(jnp.ones(3)))
        with bm.plate("group", 2):
            bm.sample("offset", dist.Normal(0.0, 1.0))

    guide = AutoMultivariateNormal(model)
    svi = SVI(model, guide, optax.adam(0.01), Trace_ELBO())
    state = svi.init(jax.random.key(0))
    assert guide.latent_dim == 1 + 2 + 2
    draws = guide.sample_posterior(jax.random.key(1), svi.get_params(state), (5,))
    assert draws["scale"].shape == (5,) and bool(jnp.all(draws["scale"] > 0))
    assert draws["weights"].shape == (5, 3)
    np.testing.assert_allclose(np.asarray(draws["weights"].sum(-1)), 1.0, rtol=1e-5)
    assert draws["offset"].shape == (5, 2)
    assert guide.quantiles(svi.get_params(state), [0.25, 0.75])["offset"].shape == (2, 2)


def test_guide_methods_before_fitting_say_what_to_do():
    with pytest.raises(RuntimeError, match="fit it with SVI first"):
        AutoNormal(regression).median({})


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="init_scale"):
        AutoNormal(regression, init_scale=0.0)
    with pytest.raises(ValueError, match="rank"):
        AutoLowRankMultivariateNormal(regression, rank=0)


def test_a_non_finite_start_names_the_site():
    def model():
        s = bm.sample("s", dist.HalfNormal(2.0))
        bm.factor("cap", jnp.where(s > 2.0, -jnp.inf, 0.0))  # a hard bound on s

    from bayesmodels.infer import init_to_value

    guide = AutoNormal(model, init_loc_fn=init_to_value(values={"s": 3.0}))
    svi = SVI(model, guide, optax.adam(0.01), Trace_ELBO())
    with pytest.raises(ValueError, match="not finite.*'cap'"):
        svi.init(jax.random.key(0))
