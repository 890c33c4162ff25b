r"""``bm.Model``: fitting, hyper-parameters, delegation to the result, prediction, dims
and coords, persistence, ``describe`` and the errors each step gives.

Compilation dominates the cost, so the module fits the linear regression
``tests.model_fixtures.LinReg`` once with NUTS (``fitted``) and reuses it; the other fits
of that model (other seeds, ``coords=``, ``MCMC(NUTS(model))``) have the same
hyper-parameters and data shapes and compile nothing. Two more fits compile anew on
purpose: HMC (on ``LinReg`` with ``obs_names``, whose ``coords`` property reads them),
and a configured ``NUTS(target_accept_prob=0.9)`` on a subclass with a class-level
``coords`` mapping. The predictive methods run on two data shapes only: the fit data
(30 points) and ``X_NEW`` (7 points). Statistical checks use tolerances of 5 standard
errors of the Monte Carlo estimate.
"""

import copy
import inspect
import os
import subprocess
import sys
from pathlib import Path

import arviz as az
import jax
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.handlers import seed, trace
from bayesmodels.infer import MCMC, NUTS, Predictive
from tests.model_fixtures import CALLS, NAMES, X, X_NEW, Y, Y_PLACEHOLDER, Counts, LinReg

# one xdist worker runs the whole file, so the module's fitted fixtures compile once
pytestmark = [
    pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning"),
    pytest.mark.xdist_group("test_model"),
]

ROOT = Path(__file__).resolve().parents[1]
CHAINS, WARMUP, DRAWS = 2, 200, 200
DRAWS_TOTAL = CHAINS * DRAWS
SETTINGS = {"num_warmup": WARMUP, "num_samples": DRAWS, "num_chains": CHAINS, "progress_bar": False}
PRIOR_DRAWS = 300
# a fit that compiles nothing still runs the model eagerly: once to lay out the sites and
# once per chain to propose its start (see eager_calls in tests/test_mcmc.py)
EAGER_CALLS = 1 + CHAINS
FIRST_FIT = {}  # runs of LinReg.define during the module's first (compiling) fit


class LabelledLinReg(LinReg):
    """``LinReg`` with a class-level ``coords`` mapping (in place of the property)."""

    coords = {"data": NAMES[::-1]}


class Prior:
    """A nested object with its own hyper-parameters (sklearn's estimator protocol)."""

    def __init__(self, loc=0.0, scale=1.0):
        self.loc, self.scale = loc, scale

    def get_params(self, deep=True):
        return {"loc": self.loc, "scale": self.scale}

    def set_params(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        return self


class WithPrior(bm.Model):
    def __init__(self, prior=None, noise=1.0):
        self.prior = prior
        self.noise = noise

    def define(self, y):
        mu = bm.sample("mu", dist.Normal(self.prior.loc, self.prior.scale))
        with bm.plate("data", len(y)):
            bm.sample("y", dist.Normal(mu, self.noise), obs=y)


# ------------------------------------------------------------------ fitted models


@pytest.fixture(scope="module")
def fitted():
    """The module's NUTS fit of ``LinReg``: the first one in the process, so it compiles
    (every test that fits an equal model asks for this fixture first)."""
    model = LinReg()
    before = CALLS["LinReg"]
    model.fit(X, Y, **SETTINGS)
    FIRST_FIT["calls"] = CALLS["LinReg"] - before
    return model


@pytest.fixture(scope="module")
def hmc_fitted():
    """HMC on ``LinReg`` whose ``obs_names`` give the ``data`` coordinates."""
    return LinReg(obs_names=NAMES).fit(X, Y, method="hmc", **SETTINGS)


@pytest.fixture(scope="module")
def configured_fitted():
    """A configured NUTS on a subclass with class-level coords, plus ``coords=`` of fit."""
    return LabelledLinReg().fit(
        X, Y, method=NUTS(target_accept_prob=0.9), coords={"mu_dim_0": np.arange(100, 100 + len(X))}, **SETTINGS
    )


def _posterior(model):
    samples = model.get_samples()
    return samples["a"][:, None], samples["b"][:, None], samples["s"][:, None]


# ------------------------------------------------------------------ fit


def test_fit_returns_the_model_with_its_result_and_data(fitted):
    model = LinReg()
    assert model.fit(X, Y, **SETTINGS) is model
    assert isinstance(fitted.result_, bm.InferenceResult)
    assert fitted.is_fitted and not LinReg().is_fitted
    assert (fitted.result_.num_chains, fitted.result_.num_draws) == (CHAINS, DRAWS)
    grouped = fitted.get_samples(group_by_chain=True)
    assert {name: value.shape for name, value in grouped.items()} == {
        "a": (CHAINS, DRAWS),
        "b": (CHAINS, DRAWS),
        "s": (CHAINS, DRAWS),
        "mu": (CHAINS, DRAWS, len(X)),
    }
    assert list(fitted.data_) == ["x", "y"]
    assert fitted.data_["x"] is X and fitted.data_["y"] is Y
    assert isinstance(fitted.mcmc_, MCMC)
    attrs = fitted.result_.attrs
    assert (attrs["sampler"], attrs["target_accept_prob"]) == ("NUTS", 0.8)
    assert (attrs["num_warmup"], attrs["num_samples"]) == (WARMUP, DRAWS)
    # the posterior is where the data put it: slope near 2, positive noise scale
    a, b, s = _posterior(fitted)
    assert abs(b.mean() - 2.0) < 5 * b.std() and np.all(s > 0)


def test_fit_with_hmc(hmc_fitted):
    attrs = hmc_fitted.result_.attrs
    assert attrs["sampler"] == "HMC"
    assert hmc_fitted.get_samples(group_by_chain=True)["a"].shape == (CHAINS, DRAWS)


def test_fit_with_a_configured_sampler(configured_fitted):
    attrs = configured_fitted.result_.attrs
    assert (attrs["sampler"], attrs["target_accept_prob"]) == ("NUTS", 0.9)
    assert configured_fitted.mcmc_.sampler.model is configured_fitted


@pytest.mark.parametrize(
    "method, message",
    [
        ("nutz", r"method='nutz' is not a sampling method; use one of nuts, hmc, barker, mixed_hmc, sa, vi or a configured sampler"),
        (3, r"method must be one of nuts, hmc, barker, mixed_hmc, sa, vi or a sampler such as bm.infer.NUTS\(...\), got 3"),
    ],
)
def test_unknown_or_later_method_is_a_clear_error(method, message):
    before = CALLS["LinReg"]
    model = LinReg()
    with pytest.raises(ValueError, match=message):
        model.fit(X, Y, method=method, **SETTINGS)
    assert CALLS["LinReg"] == before and not model.is_fitted


def test_same_seed_same_draws_other_seed_other_draws(fitted):
    draws = fitted.get_samples()
    again = LinReg().fit(X, Y, seed=0, **SETTINGS).get_samples()
    as_key = LinReg().fit(X, Y, seed=jax.random.PRNGKey(0), method="NUTS", **SETTINGS).get_samples()
    other = LinReg().fit(X, Y, seed=1, **SETTINGS).get_samples()
    for name in draws:
        np.testing.assert_array_equal(again[name], draws[name])
        np.testing.assert_array_equal(as_key[name], draws[name])
        assert not np.any(other[name] == draws[name]), name
    with pytest.raises(ValueError, match=r"seed must be an int or a jax.random.PRNGKey, got 'zero'"):
        LinReg().fit(X, Y, seed="zero", **SETTINGS)


def test_equal_models_share_the_compiled_sampler(fitted):
    # a new instance with equal hyper-parameters and data of the same shapes (other
    # values): only the eager runs of define, no new trace
    assert FIRST_FIT["calls"] > EAGER_CALLS
    before = CALLS["LinReg"]
    refit = LinReg(prior_scale=1.0).fit(X[::-1].copy(), Y[::-1].copy(), seed=2, **SETTINGS)
    assert CALLS["LinReg"] - before == EAGER_CALLS
    assert refit.get_samples()["a"].shape == (DRAWS_TOTAL,)


def test_wrong_arguments_to_fit_name_defines_signature():
    before = CALLS["LinReg"]
    with pytest.raises(
        TypeError, match=r"^LinReg\.fit\(\) passes its data to define\(x, y\): missing a required argument: 'y'$"
    ):
        LinReg().fit(X, **SETTINGS)
    with pytest.raises(TypeError, match=r"LinReg\.fit\(\) passes its data to define\(x, y\): .*'num_draws'"):
        LinReg().fit(X, Y, num_draws=100)
    with pytest.raises(TypeError, match=r"LinReg\.sample_prior_predictive\(\) passes its data to define\(x, y\)"):
        LinReg().sample_prior_predictive(X, Y, Y)
    assert CALLS["LinReg"] == before


# ------------------------------------------------------------------ bad data at fit time


def test_nan_in_the_data_names_the_site():
    y = Y.copy()
    y[3] = np.nan
    model = LinReg()
    with pytest.raises(ValueError, match=r"site 'y': observed value has NaN at index \(3,\)"):
        model.fit(X, y, **SETTINGS)
    assert not model.is_fitted


def test_count_outside_the_support_names_the_site():
    message = r"site 'n': observed value -1 at index \(2,\) is outside the support of Poisson"
    with pytest.raises(ValueError, match=message):
        Counts().fit(np.array([1, 2, -1, 3]), **SETTINGS)


def test_plate_size_that_disagrees_with_the_data_names_the_site():
    before = CALLS["LinReg"]
    with pytest.raises(
        ValueError, match=r"site 'y': .*Plate 'data' has size 30, but the data has 20 entries along its axis"
    ):
        LinReg().fit(X, Y[:20], **SETTINGS)
    assert CALLS["LinReg"] - before == 1  # one eager run found it, nothing was traced


# ------------------------------------------------------------------ hyper-parameters


def test_get_params_and_set_params():
    model = LinReg()
    assert model.get_params() == {"prior_scale": 1.0, "obs_names": None}
    assert model.set_params(prior_scale=2.5, obs_names=["u", "v"]) is model
    assert (model.prior_scale, model.obs_names) == (2.5, ["u", "v"])
    assert model.get_params(deep=False) == {"prior_scale": 2.5, "obs_names": ["u", "v"]}
    assert Counts().get_params() == {}


def test_set_params_rejects_an_unknown_name():
    model = LinReg()
    message = r"^'scale' is not a hyper-parameter of LinReg; its hyper-parameters are \['prior_scale', 'obs_names'\]$"
    with pytest.raises(ValueError, match=message):
        model.set_params(prior_scale=3.0, scale=2.0)
    with pytest.raises(ValueError, match=r"'prior__scale' is not a hyper-parameter of LinReg"):
        model.set_params(prior__scale=2.0)


def test_nested_hyper_parameters():
    prior = Prior(loc=1.0, scale=2.0)
    model = WithPrior(prior=prior, noise=0.5)
    assert model.get_params() == {"prior": prior, "prior__loc": 1.0, "prior__scale": 2.0, "noise": 0.5}
    assert model.get_params(deep=False) == {"prior": prior, "noise": 0.5}
    assert model.set_params(prior__scale=3.0, noise=0.25) is model
    assert (prior.loc, prior.scale, model.noise) == (1.0, 3.0, 0.25)
    assert model.prior is prior


def test_set_params_keeps_the_fitted_result(fitted):
    model = copy.copy(fitted)
    model.set_params(prior_scale=5.0)
    assert model.is_fitted and model.result_ is fitted.result_
    assert fitted.prior_scale == 1.0


def test_repr_shows_the_hyper_parameters():
    assert repr(LinReg()) == "LinReg(prior_scale=1.0, obs_names=None)"
    assert repr(LinReg(2.5, obs_names=("u", "v"))) == "LinReg(prior_scale=2.5, obs_names=('u', 'v'))"
    assert repr(Counts()) == "Counts()"


def test_equality_and_hash_follow_the_hyper_parameters(fitted):
    assert LinReg() == LinReg(1.0, None) and hash(LinReg()) == hash(LinReg(1.0, None))
    assert fitted == LinReg()  # the fitted state is not compared
    assert LinReg() != LinReg(prior_scale=2.0)
    assert LinReg() != LabelledLinReg()  # same hyper-parameters, other class
    assert LinReg(obs_names=["u", "v"]) == LinReg(obs_names=["u", "v"])
    assert hash(LinReg(obs_names=["u", "v"])) == hash(LinReg(obs_names=["u", "v"]))
    first, second = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    assert LinReg(prior_scale=first) == LinReg(prior_scale=second)
    assert hash(LinReg(prior_scale=first)) == hash(LinReg(prior_scale=second))
    assert LinReg(prior_scale=first) != LinReg(prior_scale=np.array([1.0, 3.0]))
    assert LinReg(prior_scale=first) != LinReg(prior_scale=first.astype(np.float32))
    assert len({LinReg(), LinReg(1.0), LinReg(2.0)}) == 2


def test_a_hyper_parameter_not_stored_under_its_name_is_an_error():
    runs = []

    class Hidden(bm.Model):
        def __init__(self, scale=1.0):
            self._scale = scale

        def define(self, x, y):
            runs.append(x)

    message = r"Hidden\.__init__ takes 'scale' but does not store it as self\.scale; store every hyper-parameter"
    with pytest.raises(AttributeError, match=message):
        Hidden().get_params()
    with pytest.raises(AttributeError, match=message):
        Hidden().fit(X, Y, **SETTINGS)
    assert runs == []  # found before the model ran


def test_sklearn_clone_gives_an_unfitted_equal_model(fitted):
    base = pytest.importorskip("sklearn.base")
    clone = base.clone(fitted)
    assert type(clone) is LinReg and clone is not fitted
    assert clone == fitted and clone.get_params() == fitted.get_params()
    assert not clone.is_fitted and not hasattr(clone, "data_")
    names = ["u", "v"]
    configured = base.clone(LinReg(prior_scale=3.0, obs_names=names))
    assert configured.get_params() == {"prior_scale": 3.0, "obs_names": names}


# ------------------------------------------------------------------ reserved names


@pytest.mark.parametrize(
    "signature, named",
    [
        ("self, x, seed", r"an argument named 'seed'"),
        ("self, x, num_samples=10", r"an argument named 'num_samples'"),
        ("self, x, *, num_chains=4", r"an argument named 'num_chains'"),
        ("self, method, coords", r"arguments named 'coords', 'method'"),
    ],
)
def test_a_define_argument_with_a_reserved_name_fails_at_class_creation(signature, named):
    namespace = {}
    exec(f"def define({signature}):\n    pass", namespace)
    message = rf"Clash\.define has {named}, which fit\(\) and the predictive methods reserve .*rename it"
    with pytest.raises(TypeError, match=message):
        type("Clash", (bm.Model,), {"define": namespace["define"]})
    assert {"seed", "num_samples", "num_chains", "method", "coords"} <= bm.Model.reserved_names


def test_init_with_star_args_fails_at_class_creation():
    message = r"Starred\.__init__ takes \*args, but hyper-parameters must be named arguments"
    with pytest.raises(TypeError, match=message):

        class Starred(bm.Model):
            def __init__(self, *scales):
                self.scales = scales


def test_define_with_star_args_and_kwargs_is_allowed():
    class Open(bm.Model):
        def define(self, *args, **kwargs):
            pass

    assert Open().get_params() == {}


# ------------------------------------------------------------------ a model function


def test_an_instance_is_a_model_function_for_handlers():
    model = LinReg()
    sites = trace(seed(model, rng_seed=0)).get_trace(X, Y)
    assert list(sites) == ["a", "b", "s", "mu", "data", "y"]
    assert sites["y"].is_observed
    np.testing.assert_array_equal(sites["y"].value, Y)
    np.testing.assert_allclose(sites["mu"].value, sites["a"].value + sites["b"].value * X, rtol=1e-6)
    other = trace(seed(model, rng_seed=1)).get_trace(X, Y)
    assert other["a"].value != sites["a"].value


def test_nuts_of_an_instance_in_mcmc_gives_the_draws_of_fit(fitted):
    before = CALLS["LinReg"]
    mcmc = MCMC(NUTS(LinReg()), num_warmup=WARMUP, num_samples=DRAWS, num_chains=CHAINS, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(0), X, Y)
    assert CALLS["LinReg"] - before == EAGER_CALLS  # fit's compiled sampler
    for name, value in fitted.get_samples().items():
        np.testing.assert_array_equal(np.asarray(mcmc.get_samples()[name]), value)


def test_predictive_of_an_instance(fitted):
    draws = Predictive(LinReg(), fitted.get_samples(), return_sites=["mu"])(jax.random.PRNGKey(0), X_NEW, Y_PLACEHOLDER)
    a, b, _ = _posterior(fitted)
    np.testing.assert_allclose(np.asarray(draws["mu"]), a + b * X_NEW, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ delegation


NOT_FITTED = {
    "summary": lambda m: m.summary(),
    "print_summary": lambda m: m.print_summary(),
    "to_arviz": lambda m: m.to_arviz(),
    "get_samples": lambda m: m.get_samples(),
    "predict": lambda m: m.predict(X, Y),
    "sample_posterior_predictive": lambda m: m.sample_posterior_predictive(X, Y),
    "log_likelihood": lambda m: m.log_likelihood(X, Y),
    "save": lambda m: m.save("never-written.nc"),
}


@pytest.mark.parametrize("method", list(NOT_FITTED))
def test_fitted_only_methods_before_fit_say_to_call_fit(method):
    before = CALLS["LinReg"]
    message = rf"^this LinReg is not fitted yet: call fit\(data\) before {method}\(\)$"
    with pytest.raises(bm.NotFittedError, match=message):
        NOT_FITTED[method](LinReg())
    assert CALLS["LinReg"] == before
    assert not os.path.exists("never-written.nc")


def test_not_fitted_error_is_what_sklearn_users_catch():
    assert issubclass(bm.NotFittedError, ValueError) and issubclass(bm.NotFittedError, AttributeError)
    model = LinReg()
    for add in ("sample_prior_predictive", "sample_posterior_predictive"):
        with pytest.raises(bm.NotFittedError, match=rf"call fit\(data\) before {add}\("):
            getattr(model, add)(X, Y, add_to_result=True)


def test_summary_delegates_to_the_result(fitted):
    table = fitted.summary()
    pd.testing.assert_frame_equal(table, fitted.result_.summary())
    assert list(table.index) == ["a", "b"] + [f"mu[{i}]" for i in range(len(X))] + ["s"]
    assert {"mean", "sd", "ess_bulk", "r_hat"} <= set(table.columns)
    assert table.loc["b", "mean"] == pytest.approx(fitted.get_samples()["b"].mean(), rel=1e-5)
    narrow = fitted.summary(prob=0.5, var_names=["a"])
    assert list(narrow.index) == ["a"] and "hdi_25%" in narrow.columns


def test_print_summary_prints_the_table_and_the_divergences(fitted, capsys):
    fitted.print_summary()
    printed = capsys.readouterr().out
    header = printed.strip().splitlines()[0].split()
    assert header == ["mean", "std", "median", "5.0%", "95.0%", "n_eff", "r_hat"]
    rows = {line.split()[0] for line in printed.strip().splitlines()[1:] if line.strip()}
    assert {"a", "b", "s", "mu[0]", "mu[29]"} <= rows
    assert f"Number of divergences: {fitted.result_.num_divergences}" in printed


def test_to_arviz_delegates_to_the_result(fitted):
    idata = fitted.to_arviz()
    assert isinstance(idata, az.InferenceData)
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(idata.groups())
    assert (idata.posterior.sizes["chain"], idata.posterior.sizes["draw"]) == (CHAINS, DRAWS)
    np.testing.assert_array_equal(idata.posterior["a"].values, fitted.get_samples(group_by_chain=True)["a"])
    np.testing.assert_array_equal(idata.observed_data["y"].values, Y)


def test_get_samples_flat_and_by_chain(fitted):
    flat, grouped = fitted.get_samples(), fitted.get_samples(group_by_chain=True)
    assert flat["mu"].shape == (DRAWS_TOTAL, len(X)) and grouped["mu"].shape == (CHAINS, DRAWS, len(X))
    for name, value in grouped.items():
        np.testing.assert_array_equal(flat[name], value.reshape((DRAWS_TOTAL,) + value.shape[2:]))


# ------------------------------------------------------------------ prior predictive


def test_prior_predictive_draws_every_site_from_the_prior():
    model = LinReg()  # not fitted: the data are given
    draws = model.sample_prior_predictive(X, Y, num_samples=PRIOR_DRAWS)
    assert {name: value.shape for name, value in draws.items()} == {
        "a": (PRIOR_DRAWS,),
        "b": (PRIOR_DRAWS,),
        "s": (PRIOR_DRAWS,),
        "mu": (PRIOR_DRAWS, len(X)),
        "y": (PRIOR_DRAWS, len(X)),
    }
    # the observed site is drawn although data were passed
    assert not np.any(draws["y"] == Y)
    np.testing.assert_allclose(draws["mu"], draws["a"][:, None] + draws["b"][:, None] * X, rtol=1e-5, atol=1e-5)
    # the latent sites follow their priors: Normal(0, 1) and HalfNormal(1) means
    standard_error = 1 / np.sqrt(PRIOR_DRAWS)
    assert abs(draws["a"].mean()) < 5 * standard_error
    assert abs(draws["b"].mean()) < 5 * standard_error
    assert abs(draws["s"].mean() - np.sqrt(2 / np.pi)) < 5 * np.sqrt(1 - 2 / np.pi) * standard_error
    # y given the latents is Normal(mu, s)
    z = (draws["y"] - draws["mu"]) / draws["s"][:, None]
    assert abs(z.mean()) < 5 / np.sqrt(z.size)


def test_prior_predictive_seed_and_fit_data(fitted):
    first = LinReg().sample_prior_predictive(X, Y, num_samples=PRIOR_DRAWS, seed=0)
    again = LinReg().sample_prior_predictive(X, Y, num_samples=PRIOR_DRAWS, seed=0)
    other = LinReg().sample_prior_predictive(X, Y, num_samples=PRIOR_DRAWS, seed=1)
    # with no data a fitted model uses the data of fit
    from_fit_data = fitted.sample_prior_predictive(num_samples=PRIOR_DRAWS, seed=jax.random.PRNGKey(0))
    for name in first:
        np.testing.assert_array_equal(again[name], first[name])
        np.testing.assert_array_equal(from_fit_data[name], first[name])
        assert not np.any(other[name] == first[name]), name


# ------------------------------------------------------------------ posterior predictive


def _check_resampled(draws, model, x):
    """``draws["y"]`` are fresh Normal(mu, s) draws, one per posterior draw (not data)."""
    a, b, s = _posterior(model)
    np.testing.assert_allclose(draws["mu"], a + b * x, rtol=1e-5, atol=1e-5)
    z = (draws["y"] - draws["mu"]) / s
    # per data point, the mean of the standardised draws is that of DRAWS_TOTAL
    # independent N(0, 1): a fixed value (data or placeholder) would sit far out
    assert np.all(np.abs(z.mean(axis=0)) < 5 / np.sqrt(DRAWS_TOTAL))
    assert abs(z.var() - 1.0) < 5 * np.sqrt(2 / z.size)


def test_posterior_predictive_on_the_fit_data(fitted):
    draws = fitted.sample_posterior_predictive()
    assert {name: value.shape for name, value in draws.items()} == {
        "mu": (DRAWS_TOTAL, len(X)),
        "y": (DRAWS_TOTAL, len(X)),
    }
    assert not np.any(draws["y"] == Y)  # re-sampled, although the model has no obs=None branch
    _check_resampled(draws, fitted, X)
    with_data = fitted.sample_posterior_predictive(X, Y)
    np.testing.assert_array_equal(with_data["y"], draws["y"])
    other_seed = fitted.sample_posterior_predictive(seed=1)
    assert not np.any(other_seed["y"] == draws["y"])


def test_posterior_predictive_on_new_data_of_another_length(fitted):
    draws = fitted.sample_posterior_predictive(X_NEW, Y_PLACEHOLDER)
    assert {name: value.shape for name, value in draws.items()} == {
        "mu": (DRAWS_TOTAL, len(X_NEW)),
        "y": (DRAWS_TOTAL, len(X_NEW)),
    }
    assert not np.any(draws["y"] == Y_PLACEHOLDER)
    _check_resampled(draws, fitted, X_NEW)
    by_keyword = fitted.sample_posterior_predictive(y=Y_PLACEHOLDER, x=X_NEW)
    np.testing.assert_array_equal(by_keyword["y"], draws["y"])


def test_posterior_predictive_grouped_by_chain(fitted):
    flat = fitted.sample_posterior_predictive(X_NEW, Y_PLACEHOLDER, seed=4)
    grouped = fitted.sample_posterior_predictive(X_NEW, Y_PLACEHOLDER, seed=4, group_by_chain=True)
    assert grouped["y"].shape == (CHAINS, DRAWS, len(X_NEW))
    np.testing.assert_array_equal(grouped["y"].reshape(DRAWS_TOTAL, len(X_NEW)), flat["y"])


def test_predict_is_the_posterior_predictive_mean(fitted):
    predicted = fitted.predict(X_NEW, Y_PLACEHOLDER)
    assert list(predicted) == ["y"] and predicted["y"].shape == (len(X_NEW),)
    draws = fitted.sample_posterior_predictive(X_NEW, Y_PLACEHOLDER)
    np.testing.assert_allclose(predicted["y"], draws["y"].mean(axis=0), rtol=1e-6, atol=1e-6)
    # the mean of the predictive draws is the mean of a + b x plus the mean of
    # DRAWS_TOTAL independent N(0, s) noises
    a, b, s = _posterior(fitted)
    line = (a + b * X_NEW).mean(axis=0)
    standard_error = np.sqrt(np.mean(s**2) / DRAWS_TOTAL)
    assert np.all(np.abs(predicted["y"] - line) < 5 * standard_error)
    # with no data: the fit data
    assert fitted.predict()["y"].shape == (len(X),)


@pytest.mark.parametrize("option", ["group_by_chain", "add_to_result"])
def test_predict_refuses_the_options_of_the_draws(fitted, option):
    result = fitted.result_
    with pytest.raises(TypeError, match=rf"predict\(\) got \['{option}'\].*sample_posterior_predictive"):
        fitted.predict(X_NEW, Y_PLACEHOLDER, **{option: True})
    assert fitted.result_ is result  # nothing was added


def test_log_likelihood_of_the_fit_data_is_the_results(fitted):
    stored = fitted.result_.log_likelihood["y"]
    assert stored.shape == (CHAINS, DRAWS, len(X))
    np.testing.assert_array_equal(fitted.log_likelihood()["y"], stored.reshape(DRAWS_TOTAL, len(X)))
    np.testing.assert_array_equal(fitted.log_likelihood(group_by_chain=True)["y"], stored)
    a, b, s = _posterior(fitted)
    np.testing.assert_allclose(fitted.log_likelihood()["y"], stats.norm.logpdf(Y, a + b * X, s), rtol=1e-4, atol=1e-4)


def test_log_likelihood_of_new_data(fitted):
    y_new = (1.0 + 2.0 * X_NEW).astype(np.float32)
    pointwise = fitted.log_likelihood(X_NEW, y_new)
    assert list(pointwise) == ["y"] and pointwise["y"].shape == (DRAWS_TOTAL, len(X_NEW))
    a, b, s = _posterior(fitted)
    np.testing.assert_allclose(pointwise["y"], stats.norm.logpdf(y_new, a + b * X_NEW, s), rtol=1e-4, atol=1e-4)


def test_predictive_draws_added_to_the_arviz_export(fitted):
    model = copy.copy(fitted)  # the shared fixture keeps its result
    posterior_predictive = model.sample_posterior_predictive(add_to_result=True, group_by_chain=True)
    prior = model.sample_prior_predictive(num_samples=PRIOR_DRAWS, add_to_result=True)
    idata = model.to_arviz()
    assert {"posterior_predictive", "prior", "prior_predictive"} <= set(idata.groups())
    assert "posterior_predictive" not in fitted.to_arviz().groups()

    assert list(idata.posterior_predictive.data_vars) == ["y"]
    assert idata.posterior_predictive["y"].dims == ("chain", "draw", "data")
    np.testing.assert_array_equal(idata.posterior_predictive["y"].values, posterior_predictive["y"])

    assert set(idata.prior.data_vars) == {"a", "b", "s", "mu"}
    assert idata.prior["a"].dims == ("chain", "draw") and idata.prior["a"].shape == (1, PRIOR_DRAWS)
    assert idata.prior["mu"].dims == ("chain", "draw", "mu_dim_0")
    np.testing.assert_array_equal(idata.prior["s"].values[0], prior["s"])

    assert list(idata.prior_predictive.data_vars) == ["y"]
    assert idata.prior_predictive["y"].dims == ("chain", "draw", "data")
    assert idata.prior_predictive["y"].shape == (1, PRIOR_DRAWS, len(X))
    np.testing.assert_array_equal(idata.prior_predictive["y"].values[0], prior["y"])


def test_predictive_draws_of_new_data_are_not_added_to_the_result(fitted):
    model = copy.copy(fitted)
    for method in ("sample_posterior_predictive", "sample_prior_predictive"):
        message = rf"{method}\(add_to_result=True\) keeps draws of the data the model was fitted to"
        with pytest.raises(ValueError, match=message):
            getattr(model, method)(X_NEW, Y_PLACEHOLDER, add_to_result=True)
    assert model.result_ is fitted.result_


# ------------------------------------------------------------------ dims and coords


def test_plates_become_dims_and_other_sites_get_default_dims(fitted):
    idata = fitted.to_arviz()
    assert idata.posterior["a"].dims == ("chain", "draw")
    assert idata.posterior["mu"].dims == ("chain", "draw", "mu_dim_0")  # outside any plate
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "data")
    assert idata.observed_data["y"].dims == ("data",)
    np.testing.assert_array_equal(idata.observed_data["data"].values, np.arange(len(X)))


def test_coords_given_to_fit(fitted):
    idata = LinReg().fit(X, Y, coords={"data": NAMES}, **SETTINGS).to_arviz()
    assert list(idata.observed_data["data"].values) == NAMES
    assert list(idata.log_likelihood["data"].values) == NAMES
    np.testing.assert_array_equal(idata.posterior["mu_dim_0"].values, np.arange(len(X)))


def test_coords_from_a_property_reading_a_hyper_parameter(hmc_fitted):
    idata = hmc_fitted.to_arviz()
    assert list(idata.observed_data["data"].values) == NAMES
    assert list(idata.log_likelihood["y"].coords["data"].values) == NAMES


def test_class_level_coords_and_coords_of_fit_add_up(configured_fitted):
    idata = configured_fitted.to_arviz()
    assert list(idata.observed_data["data"].values) == NAMES[::-1]
    np.testing.assert_array_equal(idata.posterior["mu_dim_0"].values, np.arange(100, 100 + len(X)))


# ------------------------------------------------------------------ describe


def test_describe_lists_the_sites_before_fit():
    table = LinReg().describe(X, Y)
    assert table.index.name == "site"
    assert list(table.index) == ["a", "b", "s", "mu", "y"]
    assert list(table.columns) == ["kind", "distribution", "shape", "plates", "support"]
    assert table.loc["a"].tolist() == ["latent", "Normal", (), "", "a finite real number"]
    assert table.loc["s"].tolist() == ["latent", "HalfNormal", (), "", "greater than 0"]
    assert table.loc["mu"].tolist() == ["deterministic", "", (len(X),), "", ""]
    assert table.loc["y"].tolist() == ["observed", "Normal", (len(X),), "data", "a finite real number"]
    counts = Counts().describe(np.array([1, 2, 3]))
    assert counts.loc["n"].tolist()[:4] == ["observed", "Poisson", (3,), "obs"]
    assert "integer" in counts.loc["n", "support"] and "0" in counts.loc["n", "support"]


def test_describe_after_fit_uses_the_fit_data_or_the_data_given(fitted):
    pd.testing.assert_frame_equal(fitted.describe(), LinReg().describe(X, Y))
    assert fitted.describe(X_NEW, Y_PLACEHOLDER).loc["y", "shape"] == (len(X_NEW),)
    with pytest.raises(TypeError, match=r"LinReg\.describe\(\) passes its data to define\(x, y\)"):
        LinReg().describe()


def test_describe_nested_plates_outermost_first():
    class TwoLevel(bm.Model):
        def define(self, y):
            with bm.plate("group", 3):
                mu = bm.sample("mu", dist.Normal(0.0, 1.0))
                with bm.plate("member", 4, dim=-2):
                    bm.sample("y", dist.Normal(mu, 1.0), obs=y)

    table = TwoLevel().describe(np.zeros((4, 3), np.float32))
    assert table.loc["mu", "plates"] == "group"
    assert table.loc["y", "plates"] == "group, member"
    assert table.loc["y", "shape"] == (4, 3)


# ------------------------------------------------------------------ save and load


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "linreg.nc"
    fitted.save(path)
    return path


def test_load_gives_the_fitted_model_back(fitted, saved):
    loaded = LinReg.load(saved)
    assert type(loaded) is LinReg and loaded == fitted and loaded.get_params() == fitted.get_params()
    assert loaded.is_fitted and loaded.mcmc_ is None
    for name, value in fitted.get_samples(group_by_chain=True).items():
        np.testing.assert_array_equal(loaded.get_samples(group_by_chain=True)[name], value)
    for name, value in fitted.result_.sample_stats.items():
        np.testing.assert_array_equal(loaded.result_.sample_stats[name], value)
    np.testing.assert_array_equal(loaded.result_.log_likelihood["y"], fitted.result_.log_likelihood["y"])
    assert loaded.result_.attrs["target_accept_prob"] == 0.8
    assert list(loaded.data_) == ["x", "y"]
    np.testing.assert_array_equal(loaded.data_["x"], X)
    assert loaded.data_["x"].dtype == X.dtype
    assert loaded.to_arviz().posterior["mu"].dims == ("chain", "draw", "mu_dim_0")


def test_model_load_imports_the_class_by_name(fitted, saved):
    loaded = bm.Model.load(saved)
    assert type(loaded) is LinReg and loaded == fitted


def test_saved_and_loaded_in_a_fresh_process_predicts_identically(fitted, saved, tmp_path):
    out = tmp_path / "draws.npy"
    script = (
        "import sys, numpy as np\n"
        "from tests.model_fixtures import LinReg, X_NEW, Y_PLACEHOLDER\n"
        "model = LinReg.load(sys.argv[1])\n"
        "np.save(sys.argv[2], model.sample_posterior_predictive(X_NEW, Y_PLACEHOLDER, seed=3)['y'])\n"
        "print(repr(model), model.get_samples()['a'].shape)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(saved), str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"LinReg(prior_scale=1.0, obs_names=None) ({DRAWS_TOTAL},)"
    here = fitted.sample_posterior_predictive(X_NEW, Y_PLACEHOLDER, seed=3)["y"]
    np.testing.assert_array_equal(np.load(out), here)


def test_hyper_parameters_keep_their_types_through_a_file(fitted, tmp_path):
    model = copy.copy(fitted).set_params(prior_scale=np.array([1.5, 2.0], np.float32), obs_names=("u", "v"))
    model.save(tmp_path / "typed.nc")
    loaded = LinReg.load(tmp_path / "typed.nc")
    assert loaded == model
    assert loaded.obs_names == ("u", "v")
    assert loaded.prior_scale.dtype == np.float32 and loaded.prior_scale.shape == (2,)


def test_load_with_another_class_is_an_error(saved):
    message = r"holds a fitted tests\.model_fixtures\.LinReg, not a Counts: load it with LinReg\.load\(path\)"
    with pytest.raises(ValueError, match=message):
        Counts.load(saved)


def test_load_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no saved model at .*missing\.nc"):
        LinReg.load(tmp_path / "missing.nc")


def test_load_of_a_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.nc"
    path.write_bytes(b"not a netCDF file\x00\x01" * 50)
    with pytest.raises(ValueError, match=r"corrupt\.nc' is not a saved bayesmodels model: .*cannot be read as a netCDF file"):
        LinReg.load(path)


def test_load_of_a_result_without_a_model(fitted, tmp_path):
    path = tmp_path / "result.nc"
    fitted.result_.save(path)
    message = (
        r"holds an InferenceResult but no model \(it was written by InferenceResult\.save\); "
        r"read it with bm\.InferenceResult\.load"
    )
    with pytest.raises(ValueError, match=message):
        LinReg.load(path)
    with pytest.raises(ValueError, match=message):
        bm.Model.load(path)


def test_model_load_of_a_class_that_cannot_be_imported(fitted, tmp_path):
    class Local(LinReg):
        pass

    model = Local()
    model.result_, model.data_ = fitted.result_, fitted.data_
    path = tmp_path / "local.nc"
    model.save(path)
    assert type(Local.load(path)) is Local
    with pytest.raises(ValueError, match=r"Local, which cannot be imported here; load it with .*Local\.load\(path\)"):
        bm.Model.load(path)


def test_save_of_a_function_hyper_parameter_names_it_and_writes_nothing(fitted, tmp_path):
    model = copy.copy(fitted).set_params(prior_scale=np.exp)
    with pytest.raises(ValueError, match=r"hyper-parameter 'prior_scale' is ufunc .*which save\(\) cannot store"):
        model.save(tmp_path / "model.nc")
    model = copy.copy(fitted).set_params(obs_names=[lambda: 1])
    with pytest.raises(ValueError, match=r"hyper-parameter 'obs_names'\[0\] is function .*which save\(\) cannot store"):
        model.save(tmp_path / "model.nc")
    assert os.listdir(tmp_path) == []


def test_reserved_names_are_the_settings_of_fit_and_the_predictive_methods():
    # the reserved names are the keyword-only settings of fit and the predictive methods
    settings = set()
    methods = (bm.Model.fit, bm.Model.sample_prior_predictive, bm.Model.sample_posterior_predictive)
    for method in methods + (bm.Model.predict, bm.Model.log_likelihood):
        settings |= {p.name for p in inspect.signature(method).parameters.values() if p.kind is p.KEYWORD_ONLY}
    assert settings == set(bm.Model.reserved_names)


class GroupedVectors(bm.Model):
    """Each group's 3-vector observation is MultivariateNormal: an observed site with an event shape."""

    def define(self, y):
        mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        with bm.plate("group", y.shape[0]):
            bm.sample("y", dist.MultivariateNormal(mu * np.ones(3, np.float32), covariance_matrix=np.eye(3)), obs=y)


@pytest.mark.filterwarnings("ignore::bayesmodels.SamplingWarning")
def test_fit_with_an_observed_event_shape_exports_the_pointwise_log_likelihood_per_group():
    y = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    model = GroupedVectors().fit(y, num_warmup=50, num_samples=50, num_chains=1, progress_bar=False)
    idata = model.to_arviz()
    assert idata.observed_data["y"].dims == ("group", "y_dim_1")
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "group")
    mu = idata.posterior["mu"].values[..., None, None]  # (chain, draw, 1, 1)
    expected = stats.norm.logpdf(y, loc=mu).sum(-1)  # identity covariance: a sum over the event axis
    np.testing.assert_allclose(idata.log_likelihood["y"].values, expected, rtol=1e-4)
