"""``Model.fit(method="vi")`` end to end: guides by name, class, instance or function;
summary, ArviZ export, predictive methods and save/load on the result.

The main model is a Bayesian linear regression with known noise, so the posterior of the
coefficients is Gaussian with known mean and covariance; the full-rank guide must match
it. Tolerance for the summary: 1000 guide draws put the sample mean within 5 MCSE
(0.16 sd) of the guide's mean and the sample sd within 5 MCSE (11%) of the guide's sd;
the default optimiser ends with steps of 2e-4, so the guide itself settles within a few
hundredths of an sd of the optimum (allowed: 0.05 sd; 10% for its covariance, whose
gradient is noisier).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.distributions import constraints
from bayesmodels.infer.autoguide import AutoLowRankMultivariateNormal, AutoMultivariateNormal, AutoNormal

pytestmark = pytest.mark.xdist_group("model_vi")

N, NOISE, PRIOR_SD = 40, 0.5, 5.0
RNG = np.random.default_rng(3)
X = RNG.normal(size=N)
Y = 1.0 + 2.0 * X + RNG.normal(scale=NOISE, size=N)
DESIGN = np.stack([np.ones(N), X], axis=1)
POST_COV = np.linalg.inv(DESIGN.T @ DESIGN / NOISE**2 + np.eye(2) / PRIOR_SD**2)
POST_MEAN = POST_COV @ DESIGN.T @ Y / NOISE**2
POST_SD = np.sqrt(np.diag(POST_COV))


class Line(bm.Model):
    coords = {"coef": ["intercept", "slope"]}

    def define(self, x, y=None):
        with bm.plate("coef", 2):
            beta = bm.sample("beta", dist.Normal(0.0, PRIOR_SD))
        mu = bm.deterministic("mu", beta[0] + beta[1] * x)
        with bm.plate("data", x.shape[0]):
            bm.sample("y", dist.Normal(mu, NOISE), obs=y)


@pytest.fixture(scope="module")
def fitted():
    return Line().fit(X, Y, method="vi", guide="mvn", num_steps=4000, num_samples=1000, progress_bar=False)


def test_fit_returns_the_model_with_guide_draws(fitted):
    assert isinstance(fitted, Line)
    assert isinstance(fitted.guide_, AutoMultivariateNormal)
    assert fitted.mcmc_ is None and fitted.svi_ is not None
    result = fitted.result_
    assert result.num_chains == 1 and result.num_draws == 1000
    assert result.posterior["beta"].shape == (1, 1000, 2)
    assert result.posterior["mu"].shape == (1, 1000, N)
    np.testing.assert_allclose(
        result.posterior["mu"][0], result.posterior["beta"][0, :, :1] + result.posterior["beta"][0, :, 1:] * X, rtol=1e-4, atol=1e-4
    )
    assert result.attrs["inference_method"] == "vi" and result.attrs["guide"] == "AutoMultivariateNormal"


def test_summary_matches_the_exact_posterior(fitted):
    table = fitted.summary()
    means = table.loc[["beta[intercept]", "beta[slope]"], "mean"].to_numpy()
    sds = table.loc[["beta[intercept]", "beta[slope]"], "sd"].to_numpy()
    np.testing.assert_array_less(np.abs(means - POST_MEAN), (0.16 + 0.05) * POST_SD)
    np.testing.assert_allclose(sds, POST_SD, rtol=0.05 + 5 / np.sqrt(2 * 1000))
    cov = np.asarray(fitted.guide_.get_posterior({
        "auto_loc": fitted.result_.variational["auto_loc"],
        "auto_scale_tril": fitted.result_.variational["auto_scale_tril"],
    }).covariance_matrix)
    np.testing.assert_allclose(cov, POST_COV, atol=0.1 * POST_SD.max() ** 2)


def test_loss_trace_and_params_are_kept(fitted):
    variational = fitted.result_.variational
    loss = variational["loss"]
    assert loss.shape == (4000,) and np.all(np.isfinite(loss))
    assert loss[-200:].mean() < loss[:200].mean()
    assert set(variational) == {"loss", "auto_loc", "auto_scale_tril"}


def test_to_arviz_has_the_posterior_with_plate_dims_and_the_variational_group(fitted):
    idata = fitted.to_arviz()
    assert {"posterior", "log_likelihood", "observed_data", "variational"} <= set(idata.groups())
    assert idata.posterior["beta"].dims == ("chain", "draw", "coef")
    assert list(idata.posterior["beta"].coords["coef"].values) == ["intercept", "slope"]
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "data")
    assert idata.variational["loss"].dims == ("step",)


def test_predictive_methods_on_new_data(fitted):
    new_x = np.array([0.0, 1.0, 2.0])
    predictive = fitted.sample_posterior_predictive(new_x)
    assert predictive["y"].shape == (1000, 3)
    expected = POST_MEAN[0] + POST_MEAN[1] * new_x
    sd = np.sqrt(NOISE**2 + POST_SD.max() ** 2 * 4)
    np.testing.assert_array_less(np.abs(fitted.predict(new_x)["y"] - expected), 5 * sd / np.sqrt(1000) + 0.1)
    assert fitted.log_likelihood()["y"].shape == (1000, N)


def test_save_and_load_keep_the_variational_group(fitted, tmp_path):
    path = tmp_path / "line.nc"
    fitted.save(path)
    loaded = Line.load(path)
    np.testing.assert_array_equal(loaded.result_.variational["loss"], fitted.result_.variational["loss"])
    np.testing.assert_array_equal(loaded.result_.posterior["beta"], fitted.result_.posterior["beta"])


# -- every guide, cheaply ------------------------------------------------------------------
class Scale(bm.Model):
    """A positive latent and a real one, so every guide meets a transform."""

    def define(self, y=None):
        mu = bm.sample("mu", dist.Normal(0.0, 5.0))
        sigma = bm.sample("sigma", dist.HalfNormal(2.0))
        with bm.plate("data", 20):
            bm.sample("y", dist.Normal(mu, sigma), obs=y)


SCALE_Y = np.random.default_rng(1).normal(1.0, 0.7, size=20)


@pytest.mark.parametrize("guide", ["normal", "diagonal", "mvn", "lowrank", "delta", "laplace"])
def test_every_guide_name_fits_and_lowers_the_loss(guide):
    model = Scale().fit(SCALE_Y, method="vi", guide=guide, num_steps=1500, num_samples=200, progress_bar=False)
    loss = model.result_.variational["loss"]
    assert loss[-100:].mean() < loss[:100].mean()
    draws = model.get_samples()
    assert draws["sigma"].shape == (200,) and np.all(draws["sigma"] > 0)
    # the data say mu is near the sample mean (posterior sd about 0.16)
    assert abs(float(np.median(draws["mu"])) - SCALE_Y.mean()) < 0.3
    table = model.summary()
    assert list(table.index) == ["mu", "sigma"]


def test_guide_class_instance_and_function():
    by_class = Scale().fit(SCALE_Y, method="vi", guide=AutoLowRankMultivariateNormal, num_steps=300, progress_bar=False)
    assert isinstance(by_class.guide_, AutoLowRankMultivariateNormal)

    model = Scale()
    guide = AutoNormal(model, init_scale=0.05)
    assert model.fit(SCALE_Y, method="vi", guide=guide, num_steps=300, progress_bar=False).guide_ is guide

    def hand_written(y=None):
        loc = bm.param("mu_loc", 0.0)
        scale = bm.param("mu_scale", 0.5, constraint=constraints.positive)
        bm.sample("mu", dist.Normal(loc, scale))
        s_loc = bm.param("log_sigma_loc", 0.0)
        bm.sample("sigma", dist.LogNormal(s_loc, 0.1))

    fitted = Scale().fit(SCALE_Y, method="vi", guide=hand_written, num_steps=1500, num_samples=300, progress_bar=False)
    assert fitted.result_.posterior["mu"].shape == (1, 300)
    assert float(fitted.result_.variational["mu_scale"]) > 0
    assert abs(float(fitted.result_.variational["mu_loc"]) - SCALE_Y.mean()) < 0.3


def test_bad_guides_are_named():
    with pytest.raises(ValueError, match="'fullrank' is not a guide name.*normal"):
        Scale().fit(SCALE_Y, method="vi", guide="fullrank")
    with pytest.raises(ValueError, match="built for"):
        Scale().fit(SCALE_Y, method="vi", guide=AutoNormal(Line()))
    with pytest.raises(ValueError, match="guide must be"):
        Scale().fit(SCALE_Y, method="vi", guide=3)


def test_bad_data_name_the_site_before_optimising():
    bad = SCALE_Y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="'y'"):
        Scale().fit(bad, method="vi", num_steps=10, progress_bar=False)


def test_vi_settings_are_reserved_names():
    assert {"guide", "num_steps", "optimizer"} <= bm.Model.reserved_names


def test_same_seed_same_draws_and_optimizer_used():
    first = Scale().fit(SCALE_Y, method="vi", num_steps=200, num_samples=50, progress_bar=False, seed=4)
    second = Scale().fit(SCALE_Y, method="vi", num_steps=200, num_samples=50, progress_bar=False, seed=4)
    np.testing.assert_array_equal(first.result_.posterior["mu"], second.result_.posterior["mu"])
    frozen = Scale().fit(SCALE_Y, method="vi", num_steps=50, optimizer=optax.sgd(0.0), progress_bar=False, seed=4)
    params = frozen.result_.variational
    np.testing.assert_allclose(params["auto_mu_scale"], 0.1, rtol=1e-6)  # AutoNormal's init_scale, untouched by sgd(0)
