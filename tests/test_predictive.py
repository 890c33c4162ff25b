"""``Predictive`` and ``log_likelihood``: shapes and values against direct computation.

Covers: prior predictive shapes of every site kind, each draw reproduced by hand from the
documented key schedule, prior moments within Monte Carlo error; posterior predictive
with latent sites fixed to the draws, deterministic sites recomputed (also for new data),
default and explicit ``return_sites``, ``batch_ndims=2``, mismatched draws, ``parallel``;
``guide=`` and ``params=``; ``log_likelihood`` against ``log_prob`` per draw, with
``batch_ndims=2``, masked entries, factor sites and several observed sites.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.handlers import mask, seed, substitute, trace
from bayesmodels.infer import Predictive, log_likelihood

KEY = jax.random.PRNGKey(0)
N_DATA = 3


def _close(actual, expected, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64), rtol=rtol, atol=atol)


def prior_model(y=None):
    """Latent mu, s; observed (or, with y=None, simulated) y; a deterministic."""
    mu = bm.sample("mu", dist.Normal(1.0, 2.0))
    s = bm.sample("s", dist.HalfNormal(1.0))
    bm.deterministic("mu_plus_s", mu + s)
    with bm.plate("data", N_DATA):
        bm.sample("y", dist.Normal(mu, s), obs=y)


def regression(x, y=None):
    """y ~ Normal(a + b x, 0.001): y is the deterministic ``mean`` up to tiny noise."""
    a = bm.sample("a", dist.Normal(0.0, 1.0))
    b = bm.sample("b", dist.Normal(0.0, 1.0))
    with bm.plate("data", x.shape[0]):
        mean = bm.deterministic("mean", a + b * x)
        bm.sample("y", dist.Normal(mean, 0.001), obs=y)


X = jnp.array([0.0, 1.0, 2.0])
X_NEW = jnp.array([-1.0, 0.5, 3.0, 10.0])
DRAWS = {"a": jnp.array([0.0, 1.0, -2.0, 0.5, 3.0]), "b": jnp.array([1.0, -1.0, 0.5, 2.0, 0.0])}


# ------------------------------------------------------------- prior predictive


@pytest.fixture(scope="module")
def prior_draws():
    return Predictive(prior_model, num_samples=4000)(KEY)


def test_prior_predictive_shapes_of_every_site(prior_draws):
    assert set(prior_draws) == {"mu", "s", "mu_plus_s", "y"}
    assert prior_draws["mu"].shape == (4000,)
    assert prior_draws["s"].shape == (4000,)
    assert prior_draws["mu_plus_s"].shape == (4000,)
    assert prior_draws["y"].shape == (4000, N_DATA)
    _close(prior_draws["mu_plus_s"], prior_draws["mu"] + prior_draws["s"])


def test_prior_predictive_draws_reproduce_by_hand_from_the_key_schedule(prior_draws):
    # rng_key -> (guide_key, model_key); model_key -> one key per draw; draw i is
    # trace(seed(model, keys[i])).
    _, model_key = jax.random.split(KEY)
    keys = jax.random.split(model_key, 4000)
    for i in (0, 1, 2999):
        tr = trace(seed(prior_model, rng_seed=keys[i])).get_trace()
        for name in ("mu", "s", "mu_plus_s", "y"):
            # compiled and eager runs of the same draw differ by float32 rounding only
            _close(prior_draws[name][i], tr[name].value, rtol=1e-5)
    # draws are distinct across i (each draw has its own key)
    assert len(np.unique(np.asarray(prior_draws["mu"]))) == 4000


def _within_mcse(draws, expected, n_mcse=5.0):
    draws = np.asarray(draws, np.float64)
    mcse = draws.std(ddof=1) / np.sqrt(draws.shape[0])
    assert abs(draws.mean() - expected) < n_mcse * mcse, (draws.mean(), expected, mcse)


def test_prior_predictive_moments_within_monte_carlo_error(prior_draws):
    mu, s, y = (np.asarray(prior_draws[k], np.float64) for k in ("mu", "s", "y"))
    _within_mcse(mu, 1.0)
    _within_mcse(s, np.sqrt(2.0 / np.pi))
    _within_mcse(y[:, 0], 1.0)
    # Var(mu) = 4: the draws of (mu - 1)^2 have mean 4
    _within_mcse((mu - 1.0) ** 2, 4.0)
    # Var(y) = Var(mu) + E[s^2] = 4 + 1
    _within_mcse((y[:, 1] - 1.0) ** 2, 5.0)
    # y_n given mu, s: Cov(y_0, y_1) = Var(mu) = 4
    _within_mcse((y[:, 0] - 1.0) * (y[:, 2] - 1.0), 4.0)


def test_prior_predictive_needs_num_samples():
    with pytest.raises(ValueError, match="num_samples is required"):
        Predictive(prior_model)
    with pytest.raises(ValueError, match="num_samples must be positive"):
        Predictive(prior_model, num_samples=0)


# --------------------------------------------------------- posterior predictive


@pytest.fixture(scope="module")
def posterior_new_data():
    return Predictive(regression, DRAWS)(KEY, X_NEW)


def test_posterior_predictive_default_sites_are_observed_and_deterministic(posterior_new_data):
    assert set(posterior_new_data) == {"mean", "y"}
    assert posterior_new_data["mean"].shape == (5, 4)
    assert posterior_new_data["y"].shape == (5, 4)


def test_posterior_predictive_recomputes_deterministic_sites_for_new_data(posterior_new_data):
    expected = DRAWS["a"][:, None] + DRAWS["b"][:, None] * X_NEW
    _close(posterior_new_data["mean"], expected)
    # y ~ Normal(mean, 0.001) at the given draws: within 6 sd of its mean
    assert np.abs(np.asarray(posterior_new_data["y"] - expected)).max() < 0.006
    # and it is drawn, not the mean itself
    assert np.abs(np.asarray(posterior_new_data["y"] - expected)).max() > 0.0


def test_posterior_predictive_with_the_old_data_gives_the_old_mean():
    out = Predictive(regression, DRAWS, return_sites=["mean"])(KEY, X)
    _close(out["mean"], DRAWS["a"][:, None] + DRAWS["b"][:, None] * X)


def test_posterior_predictive_explicit_return_sites_may_name_latent_sites():
    out = Predictive(regression, DRAWS, return_sites=["a", "y"])(KEY, X_NEW)
    assert set(out) == {"a", "y"}
    _close(out["a"], DRAWS["a"])  # the given draws come back unchanged


def test_posterior_predictive_unknown_return_sites_raise():
    with pytest.raises(ValueError, match=r"return_sites \['nope'\]") as info:
        Predictive(regression, DRAWS, return_sites=["y", "nope"])(KEY, X_NEW)
    assert "'mean'" in str(info.value) and "'y'" in str(info.value)


def test_posterior_predictive_draws_not_given_are_sampled():
    # only a is given: b is drawn from its prior per draw and returned by default
    out = Predictive(regression, {"a": DRAWS["a"]})(KEY, X_NEW)
    assert set(out) == {"b", "mean", "y"}
    assert out["b"].shape == (5,)
    _close(out["mean"], DRAWS["a"][:, None] + out["b"][:, None] * X_NEW)


def test_posterior_predictive_batch_ndims_2_keeps_chain_and_draw_axes():
    grouped = {name: value[:4].reshape(2, 2) for name, value in DRAWS.items()}
    out = Predictive(regression, grouped, batch_ndims=2)(KEY, X_NEW)
    assert out["mean"].shape == (2, 2, 4)
    assert out["y"].shape == (2, 2, 4)
    expected = grouped["a"][..., None] + grouped["b"][..., None] * X_NEW
    _close(out["mean"], expected)
    assert np.abs(np.asarray(out["y"] - expected)).max() < 0.006


@pytest.mark.parametrize(
    "samples, batch_ndims",
    [
        ({"a": jnp.zeros(5), "b": jnp.zeros(4)}, 1),
        ({"a": jnp.zeros((2, 3)), "b": jnp.zeros((2, 4))}, 2),
        ({"a": jnp.zeros((2, 3)), "b": jnp.zeros(6)}, 2),
    ],
)
def test_posterior_predictive_mismatched_leading_shapes_raise(samples, batch_ndims):
    with pytest.raises(ValueError, match=r"posterior_samples\['b'\] has leading shape"):
        Predictive(regression, samples, batch_ndims=batch_ndims)


def test_posterior_predictive_num_samples_disagreeing_with_the_draws_raises():
    with pytest.raises(ValueError, match="num_samples=7 but posterior_samples hold 5 draws"):
        Predictive(regression, DRAWS, num_samples=7)
    assert Predictive(regression, DRAWS, num_samples=5).num_samples == 5


def test_posterior_predictive_parallel_gives_the_same_values(posterior_new_data):
    parallel = Predictive(regression, DRAWS, parallel=True)(KEY, X_NEW)
    assert set(parallel) == set(posterior_new_data)
    for name in parallel:
        _close(parallel[name], posterior_new_data[name])


def test_posterior_and_guide_together_raise():
    with pytest.raises(ValueError, match="not both"):
        Predictive(regression, DRAWS, guide=lambda x, y=None: None, num_samples=5)


# ------------------------------------------------------------ guide and params


def guided_model():
    mu = bm.sample("mu", dist.Normal(0.0, 1.0))
    offset = bm.param("offset", 0.0)
    bm.sample("y", dist.Normal(mu + offset, 0.001))


def guide():
    loc = bm.param("loc", 0.0)
    bm.sample("mu", dist.Normal(loc, 0.1))


def test_predictive_with_a_guide_and_params():
    params = {"loc": 3.0, "offset": 10.0}
    out = Predictive(guided_model, guide=guide, params=params, num_samples=400, return_sites=["mu", "y"])(KEY)
    assert out["mu"].shape == out["y"].shape == (400,)
    # mu is drawn by the guide with loc = 3: reproduce the guide's draws
    guide_key, _ = jax.random.split(KEY)
    guide_draws = Predictive(substitute(guide, data=params), num_samples=400)(guide_key)
    _close(out["mu"], guide_draws["mu"])
    _within_mcse(out["mu"], 3.0)
    # the model's own param is substituted too: y = mu + 10 + small noise
    assert np.abs(np.asarray(out["y"] - out["mu"] - 10.0)).max() < 0.006


def test_predictive_with_a_guide_returns_only_the_sites_the_guide_did_not_give():
    out = Predictive(guided_model, guide=guide, params={"loc": 3.0}, num_samples=400)(KEY)
    assert set(out) == {"y"}
    assert abs(float(jnp.mean(out["y"])) - 3.0) < 5 * 0.1 / np.sqrt(400)


def test_predictive_with_params_and_no_guide_substitutes_the_model_params():
    out = Predictive(guided_model, {"mu": jnp.array([1.0, 2.0])}, params={"offset": -5.0})(KEY)
    assert np.abs(np.asarray(out["y"]) - np.array([-4.0, -3.0])).max() < 0.006


# -------------------------------------------------------------- log_likelihood


def two_site_model(y, z, keep):
    mu = bm.sample("mu", dist.Normal(0.0, 1.0))
    s = bm.sample("s", dist.HalfNormal(1.0))
    bm.deterministic("twice_mu", 2.0 * mu)
    with bm.plate("data", y.shape[0]):
        with mask(mask=keep):
            bm.sample("y", dist.Normal(mu, s), obs=y)
    with bm.plate("other", z.shape[0]):
        bm.sample("z", dist.Poisson(jnp.exp(mu)), obs=z)
    bm.factor("penalty", -0.5 * mu**2)


Y = jnp.array([0.3, -1.2, 2.0, 0.7])
Z = jnp.array([0.0, 3.0])
KEEP = jnp.array([True, False, True, True])
LL_DRAWS = {"mu": jnp.array([0.0, 0.5, -1.0, 1.5, 0.2, -0.3]), "s": jnp.array([1.0, 0.5, 2.0, 1.3, 0.8, 3.0])}


@pytest.fixture(scope="module")
def pointwise():
    return log_likelihood(two_site_model, LL_DRAWS, Y, Z, KEEP)


def test_log_likelihood_has_one_entry_per_observed_site(pointwise):
    # the factor and the deterministic are not observations
    assert set(pointwise) == {"y", "z"}
    assert pointwise["y"].shape == (6, 4)
    assert pointwise["z"].shape == (6, 2)


def test_log_likelihood_equals_log_prob_per_draw(pointwise):
    for i in range(6):
        mu, s = LL_DRAWS["mu"][i], LL_DRAWS["s"][i]
        expected_y = np.where(KEEP, dist.Normal(mu, s).log_prob(Y), 0.0)
        _close(pointwise["y"][i], expected_y, rtol=1e-5)
        _close(pointwise["z"][i], dist.Poisson(jnp.exp(mu)).log_prob(Z), rtol=1e-5)


def test_log_likelihood_masked_entries_are_zero(pointwise):
    np.testing.assert_array_equal(np.asarray(pointwise["y"][:, 1]), np.zeros(6))
    assert np.all(np.asarray(pointwise["y"][:, [0, 2, 3]]) != 0.0)


def test_log_likelihood_with_batch_ndims_2(pointwise):
    grouped = {name: value.reshape(2, 3) for name, value in LL_DRAWS.items()}
    out = log_likelihood(two_site_model, grouped, Y, Z, KEEP, batch_ndims=2)
    assert out["y"].shape == (2, 3, 4)
    assert out["z"].shape == (2, 3, 2)
    _close(out["y"], np.asarray(pointwise["y"]).reshape(2, 3, 4), rtol=1e-5)
    _close(out["z"], np.asarray(pointwise["z"]).reshape(2, 3, 2), rtol=1e-5)


def test_log_likelihood_parallel_matches_sequential(pointwise):
    out = log_likelihood(two_site_model, LL_DRAWS, Y, Z, KEEP, parallel=True)
    for name in ("y", "z"):
        _close(out[name], pointwise[name], rtol=1e-5)


def test_log_likelihood_of_an_obs_mask_site_zeroes_the_imputed_entries():
    y = jnp.array([0.3, jnp.nan, 2.0])
    observed = ~jnp.isnan(y)

    def model(y):
        mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        with bm.plate("data", 3):
            bm.sample("y", dist.Normal(mu, 1.0), obs=y, obs_mask=observed)

    draws = {"mu": jnp.array([0.0, 1.0]), "y_unobserved": jnp.array([[9.0, 9.0, 9.0], [8.0, 8.0, 8.0]])}
    out = log_likelihood(model, draws, y)
    assert set(out) == {"y_observed"}
    for i in range(2):
        expected = np.where(observed, dist.Normal(draws["mu"][i], 1.0).log_prob(jnp.nan_to_num(y)), 0.0)
        _close(out["y_observed"][i], expected, rtol=1e-5)


def test_log_likelihood_with_no_draws_raises():
    with pytest.raises(ValueError, match="empty"):
        log_likelihood(two_site_model, {}, Y, Z, KEEP)
