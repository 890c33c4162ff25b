"""Errors raised while running a model: each names the site at fault and the shapes or
values involved, and each is raised eagerly, before anything is compiled.

Covers: a missing random key (latent site, ``prng_key()``, subsampled plate); duplicate
site names; plate sizes that disagree with the data or with the parameters; observed
values whose shape does not match the site (the silent ``(N, 1)`` against ``(N,)`` case,
and shapes that do not broadcast); observed NaN (and NaN under a mask, which is
accepted); observed values outside the support (and array-valued bounds, which are not
checked); discrete latent sites given to ``initialize_model``; misused handlers and
``sample`` with something that is not a distribution.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.handlers import mask, seed, trace
from bayesmodels.infer import initialize_model

KEY = jax.random.PRNGKey(0)


def _raises(exc, match, fn, *args, **kwargs):
    """Call ``fn``; assert it raises ``exc`` matching ``match``; return the message."""
    with pytest.raises(exc, match=match) as info:
        fn(*args, **kwargs)
    return str(info.value)


# ------------------------------------------------------------------ missing key


def _latent_model():
    bm.sample("theta", dist.Normal(0.0, 1.0))


def test_latent_site_without_a_key_raises_missing_rng_key_error_naming_the_site():
    message = _raises(bm.MissingRNGKeyError, "'theta'", _latent_model)
    assert issubclass(bm.MissingRNGKeyError, RuntimeError)
    assert "latent sample site 'theta'" in message
    assert "seed" in message and "rng_seed=" in message
    # the same model runs under a seed handler
    assert seed(_latent_model, rng_seed=0)() is None


def test_missing_key_error_is_a_runtime_error_and_is_raised_under_trace():
    with pytest.raises(RuntimeError, match="theta") as info:
        trace(_latent_model).get_trace()
    assert isinstance(info.value, bm.MissingRNGKeyError)


def test_prng_key_without_a_seed_raises_missing_rng_key_error():
    message = _raises(bm.MissingRNGKeyError, re.escape("prng_key()"), bm.prng_key)
    assert "seed" in message
    with seed(rng_seed=0):
        assert bm.prng_key().shape == (2,)


def test_subsampled_plate_without_a_seed_raises_missing_rng_key_error_naming_the_plate():
    def model():
        with bm.plate("data", 10, subsample_size=3):
            pass

    message = _raises(bm.MissingRNGKeyError, "plate 'data'", model)
    assert "subsample" in message and "seed" in message
    # a full plate needs no key
    with bm.plate("data", 10) as idx:
        np.testing.assert_array_equal(idx, np.arange(10))


def test_observed_and_substituted_sites_need_no_key():
    bm.sample("y", dist.Normal(0.0, 1.0), obs=0.3)
    value = bm.handlers.substitute(_latent_model, data={"theta": 1.0})()
    assert value is None


# --------------------------------------------------------------- duplicate names


def _duplicate_samples():
    bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
    bm.sample("x", dist.Normal(0.0, 1.0), obs=1.0)


def _sample_and_deterministic():
    x = bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
    bm.deterministic("x", 2.0 * x)


def _site_named_like_a_plate():
    with bm.plate("data", 3):
        bm.sample("data", dist.Normal(0.0, 1.0), obs=jnp.zeros(3))


@pytest.mark.parametrize(
    "model, kinds",
    [
        (_duplicate_samples, "a sample site and a sample site"),
        (_sample_and_deterministic, "a sample site and a deterministic site"),
        (_site_named_like_a_plate, "a plate site and a sample site"),
    ],
)
def test_duplicate_site_names_raise_naming_the_name(model, kinds):
    message = _raises(ValueError, "site name '(x|data)'", trace(model).get_trace)
    assert kinds in message


def test_duplicate_names_raise_with_the_context_manager_trace():
    with pytest.raises(ValueError, match="'x' is used twice"):
        with trace():
            _duplicate_samples()


def test_entering_the_same_plate_twice_is_not_a_duplicate():
    def model():
        data = bm.plate("data", 3)
        with data:
            bm.sample("a", dist.Normal(0.0, 1.0), obs=jnp.zeros(3))
        with data:
            bm.sample("b", dist.Normal(0.0, 1.0), obs=jnp.ones(3))

    tr = trace(model).get_trace()
    assert list(tr) == ["data", "a", "b"]
    assert tr["b"].plates[0].name == "data"


# -------------------------------------------------------------- plate vs data


def test_plate_size_disagreeing_with_the_data_names_site_plate_sizes_and_shapes():
    def model(y):
        with bm.plate("data", 10):
            bm.sample("y", dist.Normal(0.0, 1.0), obs=y)

    message = _raises(ValueError, "site 'y'", model, jnp.zeros(12))
    assert "plate 'data'" in message
    assert "(12,)" in message and "(10,)" in message
    assert "size 10" in message and "12 entries" in message
    assert "do not broadcast" in message


def test_parameters_disagreeing_with_the_plate_name_site_and_plate():
    def model():
        loc = bm.sample("loc", dist.Normal(0.0, 1.0).expand((5,)))
        with bm.plate("data", 10):
            bm.sample("y", dist.Normal(loc, 1.0), obs=jnp.zeros(10))

    message = _raises(ValueError, "site 'y' in plate 'data'", seed(model, rng_seed=0))
    assert "batch shape (5,)" in message
    assert "size 10" in message


def test_nested_plate_with_the_wrong_size_for_the_data_names_that_plate():
    def model(y):
        with bm.plate("rows", 4, dim=-2), bm.plate("cols", 3, dim=-1):
            bm.sample("y", dist.Normal(0.0, 1.0), obs=y)

    trace(model).get_trace(jnp.zeros((4, 3)))  # the right shape is fine
    message = _raises(ValueError, "site 'y'", model, jnp.zeros((5, 3)))
    assert "Plate 'rows' has size 4" in message and "5 entries" in message
    assert "(5, 3)" in message and "(4, 3)" in message


# ------------------------------------------------------------------ obs shape


def test_trailing_singleton_data_against_a_plate_would_broadcast_silently_and_raises():
    n = 4

    def model(y):
        mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        with bm.plate("data", n):
            bm.sample("y", dist.Normal(mu, 1.0), obs=y)

    message = _raises(ValueError, "site 'y'", seed(model, rng_seed=0), jnp.zeros((n, 1)))
    assert f"({n}, 1)" in message
    assert f"({n},)" in message
    assert f"broadcast to ({n}, {n})" in message
    assert "reshape(-1)" in message
    seed(model, rng_seed=0)(jnp.zeros(n))  # the right shape runs


def test_data_of_fewer_dims_that_broadcasts_up_is_accepted():
    # a scalar or size-1 observation broadcasting to the site's shape is not an error
    with bm.plate("data", 3):
        bm.sample("y", dist.Normal(jnp.zeros(3), 1.0), obs=0.5)


def test_obs_not_broadcasting_to_the_event_shape_raises():
    d = dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2))
    message = _raises(ValueError, "site 'y'", bm.sample, "y", d, obs=jnp.zeros(3))
    assert "(3,)" in message and "(2,)" in message
    assert "MultivariateNormal" in message and "event (2,)" in message
    assert "do not broadcast" in message


def test_shape_check_also_runs_under_jit():
    def model(y):
        with bm.plate("data", 4):
            bm.sample("y", dist.Normal(0.0, 1.0), obs=y)

    with pytest.raises(ValueError, match=re.escape("broadcast to (4, 4)")):
        jax.jit(model)(jnp.zeros((4, 1)))


# ------------------------------------------------------------------------ NaN


def _nan_data():
    return jnp.array([0.0, 1.0, jnp.nan, 2.0, jnp.nan])


def test_observed_nan_raises_naming_the_site_and_the_first_bad_index():
    def model(y):
        with bm.plate("data", len(y)):
            bm.sample("y", dist.Normal(0.0, 1.0), obs=y)

    message = _raises(ValueError, "site 'y'", model, _nan_data())
    assert "NaN at index (2,)" in message
    assert "(5,)" in message
    assert "obs_mask" in message


def test_observed_nan_in_two_dims_reports_the_multi_index():
    y = jnp.zeros((2, 3)).at[1, 2].set(jnp.nan)
    message = _raises(ValueError, "site 'y'", bm.sample, "y", dist.Normal(0.0, 1.0).expand((2, 3)), obs=y)
    assert "NaN at index (1, 2)" in message


def test_nan_masked_out_by_obs_mask_is_accepted():
    y = _nan_data()
    observed = ~jnp.isnan(y)

    def model():
        with bm.plate("data", 5):
            return bm.sample("y", dist.Normal(0.0, 1.0), obs=y, obs_mask=observed)

    tr = trace(seed(model, rng_seed=0)).get_trace()
    value = np.asarray(tr["y"].value)
    assert np.all(np.isfinite(value))
    np.testing.assert_array_equal(value[np.asarray(observed)], np.asarray(y)[np.asarray(observed)])
    assert tr["y_observed"].is_observed and not tr["y_unobserved"].is_observed


def test_nan_masked_out_by_the_mask_handler_is_accepted():
    y = _nan_data()
    keep = ~jnp.isnan(y)

    def model():
        with bm.plate("data", 5):
            bm.sample("y", dist.Normal(0.0, 1.0), obs=y)

    tr = trace(mask(model, mask=keep)).get_trace()
    assert tr["y"].is_observed
    # a mask that leaves one NaN switched on still raises, at that index
    message = _raises(ValueError, "site 'y'", mask(model, mask=keep.at[4].set(True)))
    assert "NaN at index (4,)" in message


# -------------------------------------------------------------------- support


@pytest.mark.parametrize(
    "fn, data, index, bad, family",
    [
        (dist.Poisson(2.0), [1.0, -2.0, 3.0], 1, -2.0, "Poisson"),
        (dist.Poisson(2.0), [1.0, 2.0, 2.5], 2, 2.5, "Poisson"),
        (dist.Bernoulli(probs=0.3), [1.0, 0.0, 2.0], 2, 2.0, "Bernoulli"),
        (dist.HalfNormal(1.0), [1.0, -1.0, 0.5], 1, -1.0, "HalfNormal"),
    ],
)
def test_observed_value_outside_the_support_raises_naming_site_index_and_value(fn, data, index, bad, family):
    def model(y):
        with bm.plate("data", 3):
            bm.sample("y", fn, obs=y)

    message = _raises(ValueError, "site 'y'", model, jnp.asarray(data))
    assert f"observed value {bad} at index ({index},)" in message
    assert f"support of {family}" in message
    assert "1 of 3 entries" in message


def test_integer_counts_in_the_support_are_accepted():
    with bm.plate("data", 3):
        bm.sample("k", dist.Poisson(2.0), obs=jnp.array([0, 4, 7]))
        bm.sample("b", dist.Bernoulli(probs=0.3), obs=jnp.array([0.0, 1.0, 1.0]))


def _uniform_with_latent_upper(y):
    s = bm.sample("s", dist.HalfNormal(1.0))
    with bm.plate("data", len(y)):
        bm.sample("y", dist.Uniform(0.0, s), obs=y)
    return s


def test_support_bounds_that_are_arrays_are_not_checked_when_the_site_is_recorded():
    y = jnp.array([0.5, 100.0])  # above any plausible draw of s
    tr = trace(seed(_uniform_with_latent_upper, rng_seed=0)).get_trace(y)
    assert float(tr["s"].value) < 100.0
    # the data beyond the bound is the log density's business: -inf, not an error
    log_joint, _ = bm.infer.util.log_density(_uniform_with_latent_upper, (y,), {}, {"s": jnp.asarray(1.0)})
    assert float(log_joint) == -np.inf


def test_latent_bound_given_as_a_python_float_is_not_checked_either():
    y = jnp.array([0.5, 3.0])
    log_joint, _ = bm.infer.util.log_density(_uniform_with_latent_upper, (y,), {}, {"s": 1.0})
    assert float(log_joint) == -np.inf


def test_discrete_support_with_array_bounds_still_checks_integrality():
    n = jnp.array([5.0, 5.0, 5.0])

    def model(y):
        with bm.plate("data", 3):
            bm.sample("y", dist.Binomial(total_count=n, probs=0.5), obs=y)

    model(jnp.array([1.0, 7.0, 2.0]))  # beyond total_count: bound is an array, not checked
    message = _raises(ValueError, "site 'y'", model, jnp.array([1.0, 2.5, 2.0]))
    assert "observed value 2.5 at index (1,)" in message


def test_masked_out_values_outside_the_support_are_accepted():
    def model():
        with bm.plate("data", 3):
            bm.sample("k", dist.Poisson(2.0), obs=jnp.array([1.0, -1.0, 2.0]))

    mask(model, mask=jnp.array([True, False, True]))()
    with pytest.raises(ValueError, match=re.escape("observed value -1.0 at index (1,)")):
        model()


# ---------------------------------------------------------- initialize_model


def test_discrete_latent_site_in_initialize_model_suggests_mixed_hmc():
    def model():
        k = bm.sample("k", dist.Poisson(3.0))
        bm.sample("y", dist.Normal(k, 1.0), obs=1.0)

    message = _raises(ValueError, "site 'k'", initialize_model, KEY, model)
    assert "discrete" in message and "Poisson" in message
    assert "MixedHMC" in message


@pytest.mark.parametrize(
    "data, match",
    [
        (jnp.array([0.0, jnp.nan, 1.0]), re.escape("NaN at index (1,)")),
        (jnp.zeros((3, 1)), re.escape("broadcast to (3, 3)")),
        (jnp.zeros(4), "Plate 'data' has size 3"),
    ],
)
def test_initialize_model_raises_data_errors_before_compiling(monkeypatch, data, match):
    import bayesmodels._logdensity._initialize as initialize

    compiled = []
    monkeypatch.setattr(initialize, "value_and_grad", lambda *a: compiled.append(a))

    def model(y):
        mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        with bm.plate("data", 3):
            bm.sample("y", dist.Normal(mu, 1.0), obs=y)

    message = _raises(ValueError, match, initialize_model, KEY, model, model_args=(data,))
    assert "site 'y'" in message
    assert compiled == [], "the error must come from the eager first run, before value_and_grad"


def test_initialize_model_raises_duplicate_names_before_compiling(monkeypatch):
    import bayesmodels._logdensity._initialize as initialize

    compiled = []
    monkeypatch.setattr(initialize, "value_and_grad", lambda *a: compiled.append(a))

    def model():
        mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        bm.sample("mu", dist.Normal(mu, 1.0), obs=0.0)

    _raises(ValueError, "site name 'mu' is used twice", initialize_model, KEY, model)
    assert compiled == []


# ------------------------------------------------------------ misused API


def test_handler_with_a_non_callable_first_argument_explains_rng_seed():
    message = _raises(TypeError, "seed", seed, 0)
    assert "callable" in message and "got 0" in message
    assert "rng_seed=" in message
    message = _raises(TypeError, "mask", mask, True)
    assert "callable" in message


def test_seed_without_rng_seed_raises():
    _raises(TypeError, "rng_seed is required", seed, _latent_model)


@pytest.mark.parametrize("fn, kind", [(lambda: 1.0, "function"), (3.0, "float"), (jnp.zeros(2), "ArrayImpl")])
def test_sample_with_a_non_distribution_raises_naming_the_site(fn, kind):
    message = _raises(TypeError, re.escape("sample('x', ...)"), bm.sample, "x", fn)
    assert "must be a distribution" in message
    assert kind in message


def test_sample_with_a_non_string_name_raises():
    _raises(TypeError, "site name must be a string", bm.sample, 3, dist.Normal(0.0, 1.0))
