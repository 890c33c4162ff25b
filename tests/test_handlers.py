"""Effects: primitives, plates, handlers, the handler stack and reparameterisation.

Covers:

- primitives: ``sample`` (latent, observed, ``sample_shape``, ``rng_key=``),
  ``deterministic``, ``factor`` (exactly ``log_factor`` in the log joint, ``-inf``
  allowed), ``param`` (plain and callable init), ``prng_key``, ``subsample``;
- ``plate``: broadcasting, dim allocation for nested plates, explicit ``dim=``, the
  plate frames of a site, subsampling (indices, ``scale = N / B``, scaled log density)
  and the errors for wrong sizes, dim collisions and invalid arguments;
- every handler (``seed``, ``trace``, ``condition``, ``substitute``, ``replay``,
  ``block``, ``mask``, ``scale``, ``do``, ``uncondition``, ``infer_config``, ``scope``),
  each both as a wrapper and as a context manager;
- nesting order (innermost handler sees a site first; value setters: the outermost wins),
  stack hygiene after errors, two threads running models at once;
- ``Site`` records (fixed fields, dict-style access);
- ``reparam`` with ``LocScaleReparam`` and ``TransformReparam``, structurally and (prior
  draws through ``Predictive``) statistically.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels import handlers
from bayesmodels._effects._stack import current_stack
from bayesmodels._logdensity._log_joint import log_joint
from bayesmodels.distributions import constraints, transforms
from bayesmodels.handlers import Messenger
from bayesmodels.infer import Predictive
from bayesmodels.infer.reparam import LocScaleReparam, TransformReparam
from bayesmodels.infer.util import log_density
from bayesmodels.primitives import PlateFrame, Site

KEY = jax.random.PRNGKey(0)
FORMS = ("wrapper", "context")


def _close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=rtol, atol=atol)


def _apply(form, handler, model, **settings):
    """``handler`` around ``model``, as a wrapper or as a context manager inside a function."""
    if form == "wrapper":
        return handler(model, **settings)

    def run(*args, **kwargs):
        with handler(**settings):
            return model(*args, **kwargs)

    return run


def _get_trace(model, *args, **kwargs):
    return handlers.trace(model).get_trace(*args, **kwargs)


def _norm_logpdf(x, loc=0.0, scale=1.0):
    return stats.norm(loc, scale).logpdf(np.asarray(x, np.float64))


@pytest.fixture(autouse=True)
def _empty_stack_around_each_test():
    assert current_stack() == ()
    yield
    assert current_stack() == ()


def latent_model():
    z = bm.sample("z", dist.Normal(0.0, 1.0))
    return bm.sample("x", dist.Normal(z, 1.0))


# ======================================================================== primitives


def test_latent_sample_without_a_key_raises_naming_the_site():
    with pytest.raises(bm.MissingRNGKeyError, match="latent sample site 'z'.*seed"):
        latent_model()


def test_latent_sample_under_seed_draws_with_the_key_the_site_records():
    tr = _get_trace(handlers.seed(latent_model, rng_seed=0))
    assert list(tr) == ["z", "x"]
    for name, loc in (("z", 0.0), ("x", float(tr["z"].value))):
        site = tr[name]
        assert site.type == "sample" and not site.is_observed and site.is_latent
        assert site.rng_key is not None
        _close(site.value, dist.Normal(loc, 1.0).sample(site.rng_key))
    assert not np.array_equal(tr["z"].rng_key, tr["x"].rng_key)


def test_observed_sample_returns_obs_and_needs_no_key():
    obs = jnp.array([0.5, -1.0])
    with handlers.trace() as tr:
        returned = bm.sample("y", dist.Normal(0.0, 1.0).expand((2,)), obs=obs)
    assert returned is obs
    assert tr["y"].is_observed and not tr["y"].is_latent and tr["y"].value is obs
    # a list is turned into an array
    assert isinstance(bm.sample("y", dist.Normal(0.0, 1.0).expand((2,)), obs=[0.5, -1.0]), jax.Array)


def test_sample_shape_prepends_to_the_draw():
    with handlers.trace() as tr, handlers.seed(rng_seed=0):
        x = bm.sample("x", dist.Normal(jnp.zeros(2), 1.0), sample_shape=(4, 3))
    assert x.shape == (4, 3, 2)
    assert tr["x"].sample_shape == (4, 3)
    _close(x, dist.Normal(jnp.zeros(2), 1.0).sample(tr["x"].rng_key, (4, 3)))


def test_rng_key_argument_draws_without_seed_and_wins_over_seed():
    key = jax.random.PRNGKey(7)
    expected = dist.Normal(0.0, 1.0).sample(key)
    _close(bm.sample("x", dist.Normal(0.0, 1.0), rng_key=key), expected)
    with handlers.trace() as tr, handlers.seed(rng_seed=0):
        bm.sample("x", dist.Normal(0.0, 1.0), rng_key=key)
    np.testing.assert_array_equal(tr["x"].rng_key, key)
    _close(tr["x"].value, expected)


def test_sample_rejects_a_bad_name_or_a_non_distribution():
    with pytest.raises(TypeError, match="name must be a string"):
        bm.sample(3, dist.Normal(0.0, 1.0), obs=0.0)
    with pytest.raises(TypeError, match="'x'.*must be a distribution.*float"):
        bm.sample("x", 1.0, obs=0.0)


def test_deterministic_is_recorded_with_its_value_and_returned():
    value = jnp.array([1.0, 2.0])
    with handlers.trace() as tr:
        returned = bm.deterministic("d", value)
    assert returned is value
    assert tr["d"].type == "deterministic" and tr["d"].value is value and tr["d"].fn is None


@pytest.mark.parametrize(
    "log_factor, expected_extra",
    [(-1.5, -1.5), (2.25, 2.25), (jnp.array([-1.0, 0.5, 3.0]), 2.5)],
    ids=["negative", "positive", "vector-summed"],
)
def test_factor_adds_exactly_log_factor_to_the_log_joint(log_factor, expected_extra):
    def model():
        bm.sample("y", dist.Normal(0.0, 1.0), obs=0.5)
        bm.factor("f", log_factor)

    value, tr = log_density(model, (), {}, {})
    _close(value, _norm_logpdf(0.5) + expected_extra)
    assert tr["f"].is_observed and tr["f"].infer == {"is_auxiliary": True}
    _close(log_joint(tr), value)


def test_factor_of_minus_infinity_makes_the_log_joint_minus_infinity():
    def model():
        bm.sample("y", dist.Normal(0.0, 1.0), obs=0.5)
        bm.factor("ruled_out", -jnp.inf)

    value, _ = log_density(model, (), {}, {})
    assert float(value) == -np.inf


def test_param_returns_its_init_value():
    init = jnp.array([0.5, 1.5])
    with handlers.trace() as tr:
        w = bm.param("w", init, constraint=constraints.positive)
    assert w is init
    assert tr["w"].type == "param" and tr["w"].constraint is constraints.positive
    assert tr["w"].init_value is init


def test_callable_param_init_needs_a_key_and_gets_the_sites_key():
    def init(key):
        return jax.random.normal(key, (3,))

    with pytest.raises(bm.MissingRNGKeyError, match="param site 'w'"):
        bm.param("w", init)
    with handlers.trace() as tr, handlers.seed(rng_seed=0):
        w = bm.param("w", init)
    assert w.shape == (3,)
    _close(w, init(tr["w"].rng_key))


def test_prng_key_hands_out_fresh_keys_under_seed_only():
    with pytest.raises(bm.MissingRNGKeyError, match="prng_key"):
        bm.prng_key()
    with handlers.trace() as tr, handlers.seed(rng_seed=0):
        first, second = bm.prng_key(), bm.prng_key()
    assert first.shape == (2,) and first.dtype == jnp.uint32
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, jax.random.split(jax.random.PRNGKey(0))[1])
    assert len(tr) == 0  # prng_key sites are not recorded


def test_subsample_indexes_data_by_the_plate_subsample():
    data = jnp.arange(20.0).reshape(10, 2)
    with handlers.seed(rng_seed=0), bm.plate("data", 10, subsample_size=3) as idx:
        rows = bm.subsample(data, event_dim=1)
        entries = bm.subsample(data[:, 0], event_dim=0)
        untouched = bm.subsample(jnp.arange(4.0), event_dim=0)  # not of the plate's size
    assert idx.shape == (3,)
    _close(rows, np.asarray(data)[np.asarray(idx)])
    _close(entries, np.asarray(data)[np.asarray(idx), 0])
    _close(untouched, np.arange(4.0))
    # outside a subsampled plate, subsample is the identity
    with bm.plate("data", 10):
        assert bm.subsample(data, event_dim=1) is data


# ============================================================================= plate


def test_plate_broadcasts_a_scalar_distribution():
    with handlers.trace() as tr, handlers.seed(rng_seed=0), bm.plate("data", 4) as idx:
        x = bm.sample("x", dist.Normal(0.0, 1.0))
    assert x.shape == (4,)
    assert tr["x"].fn.batch_shape == (4,)
    np.testing.assert_array_equal(idx, np.arange(4))
    assert tr["data"].type == "plate" and tr["data"].fn == PlateFrame("data", -1, 4, 4)
    np.testing.assert_array_equal(tr["data"].value, np.arange(4))
    assert len(np.unique(np.asarray(x))) == 4  # independent draws, not one broadcast draw


def test_nested_plates_take_dims_minus_one_then_minus_two():
    with handlers.trace() as tr, handlers.seed(rng_seed=0):
        with bm.plate("outer", 2):
            a = bm.sample("a", dist.Normal(0.0, 1.0))
            with bm.plate("inner", 3):
                b = bm.sample("b", dist.Normal(0.0, 1.0))
    assert tr["outer"].fn.dim == -1 and tr["inner"].fn.dim == -2
    assert a.shape == (2,)
    assert b.shape == (3, 2)
    # innermost plate first
    assert tr["b"].plates == (PlateFrame("inner", -2, 3, 3), PlateFrame("outer", -1, 2, 2))
    assert tr["b"].cond_indep_stack == tr["b"].plates
    assert tr["a"].plates == (PlateFrame("outer", -1, 2, 2),)


def test_explicit_plate_dim_and_the_next_free_dim():
    with handlers.trace() as tr, handlers.seed(rng_seed=0):
        with bm.plate("rows", 4, dim=-2):
            a = bm.sample("a", dist.Normal(0.0, 1.0))
            with bm.plate("cols", 3):
                b = bm.sample("b", dist.Normal(0.0, 1.0))
    assert a.shape == (4, 1)
    assert tr["cols"].fn.dim == -1
    assert b.shape == (4, 3)
    assert [frame.name for frame in tr["b"].plates] == ["cols", "rows"]


def test_plate_frames_are_recorded_on_deterministic_and_param_sites():
    with handlers.trace() as tr, bm.plate("p", 3):
        bm.deterministic("d", jnp.zeros(3))
        bm.param("w", jnp.zeros(3))
    assert tr["d"].plates == (PlateFrame("p", -1, 3, 3),)
    assert tr["w"].plates == (PlateFrame("p", -1, 3, 3),)


def test_subsampled_plate_draws_distinct_indices_and_needs_a_key():
    with pytest.raises(bm.MissingRNGKeyError, match="plate 'data'"):
        with bm.plate("data", 10, subsample_size=4):
            pass
    with handlers.seed(rng_seed=0), bm.plate("data", 10, subsample_size=4) as idx:
        pass
    idx = np.asarray(idx)
    assert idx.shape == (4,) and len(np.unique(idx)) == 4
    assert idx.min() >= 0 and idx.max() < 10


def test_subsampled_plate_scales_the_log_density_by_n_over_b():
    y = jnp.linspace(-2.0, 2.0, 10)

    def model():
        mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        with bm.plate("data", 10, subsample_size=4):
            bm.sample("y", dist.Normal(mu, 1.0), obs=bm.subsample(y, event_dim=0))

    value, tr = log_density(handlers.seed(model, rng_seed=1), (), {}, {"mu": 0.3})
    idx = np.asarray(tr["data"].value)
    assert tr["y"].scale == pytest.approx(2.5)
    assert tr["y"].plates[0].scale == pytest.approx(2.5)
    assert tr["mu"].scale is None
    expected = _norm_logpdf(0.3) + 2.5 * _norm_logpdf(np.asarray(y)[idx], 0.3).sum()
    _close(value, expected)


def test_plate_with_parameters_of_the_wrong_size_names_site_and_plate():
    with pytest.raises(ValueError, match=r"site 'x' in plate 'data'.*size 4 at dim -1.*plate has size 3"):
        with handlers.seed(rng_seed=0), bm.plate("data", 3):
            bm.sample("x", dist.Normal(jnp.zeros(4), 1.0))


def test_plate_dim_collision_raises():
    with pytest.raises(ValueError, match="dim -1 is already taken by the enclosing plate 'a'"):
        with bm.plate("a", 2, dim=-1), bm.plate("b", 3, dim=-1):
            pass


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"size": 0}, ValueError, "size must be a positive integer"),
        ({"size": -3}, ValueError, "size must be a positive integer"),
        ({"size": 2.5}, ValueError, "size must be a positive integer"),
        ({"size": "three"}, TypeError, "size must be a concrete integer"),
        ({"size": 3, "subsample_size": 5}, ValueError, r"subsample_size \(5\) is larger than size \(3\)"),
        ({"size": 3, "subsample_size": 0}, ValueError, "subsample_size must be a positive integer"),
        ({"size": 3, "dim": 0}, ValueError, "dim must be a negative integer"),
        ({"size": 3, "dim": 1}, ValueError, "dim must be a negative integer"),
    ],
)
def test_plate_rejects_invalid_arguments(kwargs, error, message):
    with pytest.raises(error, match=f"plate 'p': {message}"):
        bm.plate("p", **kwargs)


def test_plate_size_must_be_concrete_under_jit():
    with pytest.raises(TypeError, match="size must be a concrete integer"):
        jax.make_jaxpr(lambda n: bm.plate("p", n))(3)


# ========================================================================== handlers


@pytest.mark.parametrize("form", FORMS)
def test_seed_same_seed_same_values_different_seeds_differ(form):
    def draws(rng_seed):
        tr = _get_trace(_apply(form, handlers.seed, latent_model, rng_seed=rng_seed))
        return np.array([tr["z"].value, tr["x"].value])

    np.testing.assert_array_equal(draws(0), draws(0))
    assert not np.allclose(draws(0), draws(1))
    # an int and the key made from it are the same seed
    np.testing.assert_array_equal(draws(3), draws(jax.random.PRNGKey(3)))
    np.testing.assert_array_equal(draws(3), draws(np.int64(3)))
    np.testing.assert_array_equal(draws(3), draws(jnp.array(3)))
    assert np.isfinite(draws(jax.random.key(3))).all()  # typed keys are accepted too


@pytest.mark.parametrize("bad", [1.5, "0", None, True, jnp.zeros(3), jnp.zeros(2)])
def test_seed_rejects_what_is_not_an_int_or_key(bad):
    with pytest.raises(TypeError, match="rng_seed"):
        handlers.seed(latent_model, rng_seed=bad)


def test_handler_given_a_non_callable_model_explains_keywords():
    with pytest.raises(TypeError, match=r"must be callable.*seed\(model, rng_seed=0\)"):
        handlers.seed(0)
    with pytest.raises(TypeError, match="created without a model"):
        handlers.seed(rng_seed=0)()


def test_seed_hide_types_leaves_those_sites_without_a_key():
    with pytest.raises(bm.MissingRNGKeyError, match="'z'"):
        handlers.seed(latent_model, rng_seed=0, hide_types=["sample"])()


@pytest.mark.parametrize("form", ["get_trace", "call", "context"])
def test_trace_records_every_site_in_order(form):
    def model():
        w = bm.param("w", 1.0)
        with bm.plate("p", 2):
            z = bm.sample("z", dist.Normal(w, 1.0))
        bm.deterministic("d", 2 * z)
        bm.sample("y", dist.Normal(0.0, 1.0), obs=0.1)

    seeded = handlers.seed(model, rng_seed=0)
    if form == "get_trace":
        tr = handlers.trace(seeded).get_trace()
    elif form == "call":
        tracer = handlers.trace(seeded)
        tracer()
        tr = tracer.trace
    else:
        with handlers.trace() as tr:
            seeded()
    assert isinstance(tr, OrderedDict)
    assert list(tr) == ["w", "p", "z", "d", "y"]
    assert all(isinstance(site, Site) and site.name == name for name, site in tr.items())
    assert [site.type for site in tr.values()] == ["param", "plate", "sample", "deterministic", "sample"]
    _close(tr["d"].value, 2 * np.asarray(tr["z"].value))
    assert tr["z"].fn.batch_shape == (2,) and tr["y"].is_observed


def test_trace_rejects_a_name_used_twice():
    def model():
        bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
        bm.sample("x", dist.Normal(0.0, 1.0), obs=1.0)

    with pytest.raises(ValueError, match="site name 'x' is used twice"):
        _get_trace(model)

    def clash():
        with bm.plate("x", 2):
            pass
        bm.deterministic("x", 0.0)

    with pytest.raises(ValueError, match="plate names become dimension names"):
        _get_trace(clash)


def test_trace_allows_the_same_plate_entered_twice():
    def model():
        data = bm.plate("data", 2)
        with data:
            bm.sample("a", dist.Normal(0.0, 1.0), obs=jnp.zeros(2))
        with data:
            bm.sample("b", dist.Normal(0.0, 1.0), obs=jnp.zeros(2))

    assert list(_get_trace(model)) == ["data", "a", "b"]


@pytest.mark.parametrize("form", FORMS)
def test_condition_observes_the_site_and_it_enters_the_log_density(form):
    conditioned = _apply(form, handlers.condition, latent_model, data={"z": 0.7})
    tr = _get_trace(handlers.seed(conditioned, rng_seed=0))
    assert tr["z"].is_observed and float(tr["z"].value) == pytest.approx(0.7)
    assert tr["z"].rng_key is None  # no key spent on it
    assert tr["x"].fn.mean == pytest.approx(0.7)
    x = float(tr["x"].value)
    _close(log_joint(tr), _norm_logpdf(0.7) + _norm_logpdf(x, 0.7))
    by_fn = _apply(form, handlers.condition, latent_model, condition_fn=lambda s: 0.7 if s.name == "z" else None)
    tr_fn = _get_trace(handlers.seed(by_fn, rng_seed=0))
    assert tr_fn["z"].is_observed and float(tr_fn["x"].value) == x


def test_condition_needs_exactly_one_of_data_and_condition_fn():
    with pytest.raises(ValueError, match="exactly one of data= and condition_fn="):
        handlers.condition(latent_model)
    with pytest.raises(ValueError, match="exactly one of data= and condition_fn="):
        handlers.condition(latent_model, data={}, condition_fn=lambda s: None)


def substitutable_model():
    w = bm.param("w", 1.0)
    z = bm.sample("z", dist.Normal(w, 1.0))
    return bm.deterministic("d", 2.0 * z)


@pytest.mark.parametrize("form", FORMS)
def test_substitute_sets_values_without_observing(form):
    data = {"w": 5.0, "z": 0.3, "d": 100.0}
    substituted = _apply(form, handlers.substitute, substitutable_model, data=data)
    tr = _get_trace(substituted)  # no seed needed: every random site has a value
    assert float(tr["w"].value) == 5.0
    assert float(tr["z"].value) == pytest.approx(0.3) and not tr["z"].is_observed and tr["z"].is_latent
    assert float(tr["d"].value) == 100.0
    assert tr["z"].fn.mean == pytest.approx(5.0)
    _close(log_joint(tr), _norm_logpdf(0.3, 5.0))
    by_fn = _apply(form, handlers.substitute, substitutable_model, substitute_fn=lambda s: data.get(s.name))
    assert float(by_fn()) == 100.0


def test_substitute_leaves_other_sites_to_the_model():
    tr = _get_trace(handlers.substitute(substitutable_model, data={"z": 0.3}))
    assert float(tr["w"].value) == 1.0 and float(tr["d"].value) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="exactly one of data= and substitute_fn="):
        handlers.substitute(substitutable_model)


def replay_model(y):
    z = bm.sample("z", dist.Normal(0.0, 1.0))
    return bm.sample("y", dist.Normal(z, 1.0), obs=y)


@pytest.mark.parametrize("form", FORMS)
def test_replay_takes_latent_values_from_a_trace_and_leaves_data_alone(form):
    def guide(y):
        bm.sample("z", dist.Normal(10.0, 0.1))
        bm.sample("y", dist.Normal(-50.0, 0.1))  # a latent "y" in the guide's trace

    guide_tr = _get_trace(handlers.seed(guide, rng_seed=0), 0.25)
    replayed = _apply(form, handlers.replay, replay_model, trace=guide_tr)
    tr = _get_trace(replayed, 0.25)  # no seed: z comes from the guide trace
    assert float(tr["z"].value) == float(guide_tr["z"].value)
    assert not tr["z"].is_observed
    assert tr["y"].is_observed and float(tr["y"].value) == 0.25


def test_replay_rejects_a_site_of_another_type_and_requires_a_trace():
    bad = {"z": Site(name="z", type="deterministic", value=1.0)}
    with pytest.raises(ValueError, match="'z' is a sample site here but a deterministic site"):
        handlers.replay(replay_model, trace=bad)(0.0)
    with pytest.raises(ValueError, match="trace= is required"):
        handlers.replay(replay_model)


def block_model():
    a = bm.sample("a", dist.Normal(0.0, 1.0))
    b = bm.sample("b", dist.Normal(a, 1.0))
    bm.deterministic("c", a + b)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "settings, visible",
    [
        ({}, []),
        ({"hide": ["a"]}, ["b", "c"]),
        ({"expose": ["a"]}, ["a"]),
        ({"expose_types": ["deterministic"]}, ["c"]),
        ({"hide_fn": lambda site: site.type == "sample"}, ["c"]),
    ],
    ids=["all", "hide", "expose", "expose_types", "hide_fn"],
)
def test_block_hides_sites_from_outer_handlers_only(form, settings, visible):
    inner = handlers.trace(handlers.seed(block_model, rng_seed=0))
    outer_tr = _get_trace(_apply(form, handlers.block, inner, **settings))
    inner_tr = inner.trace
    assert list(outer_tr) == visible
    assert list(inner_tr) == ["a", "b", "c"]  # still run, and seen by handlers inside
    for name in visible:
        assert float(outer_tr[name].value) == float(inner_tr[name].value)


@pytest.mark.parametrize("form", FORMS)
def test_mask_false_zeroes_the_sites_log_density(form):
    def model():
        bm.sample("y", dist.Normal(0.0, 1.0), obs=0.5)

    def two_sites():
        _apply(form, handlers.mask, model, mask=False)()
        bm.sample("u", dist.Normal(0.0, 1.0), obs=1.5)

    tr = _get_trace(two_sites)
    assert tr["y"].mask is False and tr["u"].mask is None
    _close(log_joint(tr), _norm_logpdf(1.5))
    _close(log_joint(_get_trace(_apply(form, handlers.mask, model, mask=True))), _norm_logpdf(0.5))


@pytest.mark.parametrize("form", FORMS)
def test_mask_arrays_drop_the_masked_entries_and_nested_masks_combine(form):
    y = jnp.array([0.5, -1.0, 2.0])

    def model():
        with bm.plate("data", 3):
            bm.sample("y", dist.Normal(0.0, 1.0), obs=y)

    masked = _apply(form, handlers.mask, model, mask=jnp.array([True, False, True]))
    _close(log_joint(_get_trace(masked)), _norm_logpdf(np.array([0.5, 2.0])).sum())
    both = _apply(form, handlers.mask, masked, mask=np.array([True, True, False]))
    tr = _get_trace(both)
    np.testing.assert_array_equal(tr["y"].mask, [True, False, False])
    _close(log_joint(tr), _norm_logpdf(0.5))
    assert np.asarray(tr["y"].value).shape == (3,)  # the data itself is untouched


@pytest.mark.parametrize("bad", [1, 0.0, "yes", jnp.array([1, 0]), np.array([1.0, 0.0])])
def test_mask_rejects_non_boolean_masks(bad):
    with pytest.raises(TypeError, match="mask must be a bool or a boolean array"):
        handlers.mask(latent_model, mask=bad)


@pytest.mark.parametrize("form", FORMS)
def test_scale_multiplies_the_log_density_and_nested_scales_multiply(form):
    def model():
        bm.sample("y", dist.Normal(0.0, 1.0), obs=0.5)

    scaled = _apply(form, handlers.scale, model, scale=3.0)
    tr = _get_trace(scaled)
    assert tr["y"].scale == 3.0
    _close(log_joint(tr), 3.0 * _norm_logpdf(0.5))
    twice = _get_trace(_apply(form, handlers.scale, scaled, scale=0.5))
    assert twice["y"].scale == pytest.approx(1.5)
    _close(log_joint(twice), 1.5 * _norm_logpdf(0.5))


@pytest.mark.parametrize("bad", [0.0, -1.0, jnp.array([1.0, 0.0])])
def test_scale_rejects_non_positive_scales(bad):
    with pytest.raises(ValueError, match="scale must be positive"):
        handlers.scale(latent_model, scale=bad)


def do_model():
    z = bm.sample("z", dist.Normal(0.0, 1.0))
    return bm.sample("x", dist.Normal(z, 0.001))


@pytest.mark.parametrize("form", FORMS)
def test_do_gives_downstream_the_intervention_and_records_the_drawn_site(form):
    plain = _get_trace(handlers.seed(do_model, rng_seed=0))
    intervened = _apply(form, handlers.do, do_model, data={"z": 5.0})
    tr = _get_trace(handlers.seed(intervened, rng_seed=0))
    assert list(tr) == ["z", "x"]
    assert tr["z"].type == "sample" and not tr["z"].is_observed
    assert float(tr["z"].value) == float(plain["z"].value)  # its own draw, not the intervention
    assert abs(float(plain["z"].value) - 5.0) > 1.0
    assert tr["x"].fn.mean == pytest.approx(5.0)
    assert abs(float(tr["x"].value) - 5.0) < 0.01


def test_do_applies_the_handlers_inside_it_once():
    def plated():
        with bm.plate("p", 3):
            z = bm.sample("z", dist.Normal(0.0, 1.0))
        return bm.sample("x", dist.Normal(z, 0.001).to_event(1))

    model = handlers.do(handlers.scale(plated, scale=2.0), data={"z": jnp.full(3, 5.0)})
    tr = _get_trace(handlers.seed(model, rng_seed=0))
    assert list(tr) == ["p", "z", "x"]
    assert tr["z"].scale == 2.0 and tr["x"].scale == 2.0  # not 4
    assert tr["z"].plates == (PlateFrame("p", -1, 3, 3),)  # not recorded twice
    assert tr["z"].fn.batch_shape == (3,)
    _close(tr["x"].fn.mean, np.full(3, 5.0))


def test_do_around_a_scoped_model_intervenes_on_the_prefixed_name():
    model = handlers.do(handlers.scope(do_model, prefix="a"), data={"a/z": 5.0})
    tr = _get_trace(handlers.seed(model, rng_seed=0))
    assert list(tr) == ["a/z", "a/x"]
    assert tr["a/x"].fn.mean == pytest.approx(5.0)


def test_do_requires_data():
    with pytest.raises(ValueError, match="data="):
        handlers.do(do_model)


@pytest.mark.parametrize("form", FORMS)
def test_uncondition_draws_observed_sites_but_keeps_factors(form):
    def model():
        bm.sample("y", dist.Normal(0.0, 1.0), obs=100.0)
        bm.factor("f", -3.0)

    tr = _get_trace(handlers.seed(_apply(form, handlers.uncondition, model), rng_seed=0))
    assert not tr["y"].is_observed and tr["y"].is_latent
    _close(tr["y"].value, dist.Normal(0.0, 1.0).sample(tr["y"].rng_key))
    assert tr["f"].is_observed
    _close(log_joint(tr), _norm_logpdf(float(tr["y"].value)) - 3.0)


@pytest.mark.parametrize("form", FORMS)
def test_infer_config_updates_the_infer_dict_of_sample_sites(form):
    def model():
        bm.sample("z", dist.Bernoulli(0.3), infer={"keep": 1})
        bm.sample("y", dist.Normal(0.0, 1.0), obs=0.0)
        bm.deterministic("d", 1.0)

    def config(site):
        return {"enumerate": "parallel"} if site.name == "z" else None

    tr = _get_trace(handlers.seed(_apply(form, handlers.infer_config, model, config_fn=config), rng_seed=0))
    assert tr["z"].infer == {"keep": 1, "enumerate": "parallel"}
    assert tr["y"].infer == {} and tr["d"].infer == {}
    with pytest.raises(ValueError, match="config_fn= is required"):
        handlers.infer_config(model)


@pytest.mark.parametrize("form", FORMS)
def test_scope_prefixes_every_site_name(form):
    def model():
        with bm.plate("p", 2):
            z = bm.sample("z", dist.Normal(0.0, 1.0))
        bm.deterministic("d", z)
        bm.prng_key()

    scoped = _apply(form, handlers.scope, model, prefix="a")
    assert list(_get_trace(handlers.seed(scoped, rng_seed=0))) == ["a/p", "a/z", "a/d"]
    dotted = _apply(form, handlers.scope, model, prefix="a", divider=".")
    assert list(_get_trace(handlers.seed(dotted, rng_seed=0))) == ["a.p", "a.z", "a.d"]
    # scopes nest: the outer prefix comes first
    nested = _apply(form, handlers.scope, scoped, prefix="outer")
    assert list(_get_trace(handlers.seed(nested, rng_seed=0))) == ["outer/a/p", "outer/a/z", "outer/a/d"]
    # handlers outside the scope see the prefixed name
    conditioned = handlers.condition(scoped, data={"a/z": jnp.ones(2)})
    tr = _get_trace(handlers.seed(conditioned, rng_seed=0))
    assert tr["a/z"].is_observed and tr["a/z"].rng_key is None


# ===================================================================== nesting order


class _Recorder(Messenger):
    def __init__(self, fn=None, label="", log=None):
        super().__init__(fn)
        self.label = label
        self.log = log

    def process_message(self, site):
        self.log.append(("process", self.label, site.name, site.value is None))

    def postprocess_message(self, site):
        self.log.append(("post", self.label, site.name, site.value is None))


def _one_site():
    bm.sample("x", dist.Normal(0.0, 1.0))


@pytest.mark.parametrize("form", FORMS)
def test_innermost_handler_sees_a_site_first(form):
    log = []
    model = _apply(form, _Recorder, _one_site, label="inner", log=log)
    model = _apply(form, _Recorder, model, label="outer", log=log)
    handlers.seed(model, rng_seed=0)()
    # process: innermost first, before the value exists; postprocess (as in NumPyro's
    # apply_stack): in stack order, outermost first, once the value is drawn
    assert log == [
        ("process", "inner", "x", True),
        ("process", "outer", "x", True),
        ("post", "outer", "x", False),
        ("post", "inner", "x", False),
    ]


def test_a_blocked_site_reaches_neither_hook_of_outer_handlers():
    log = []
    with _Recorder(label="outer", log=log), handlers.block(), _Recorder(label="inner", log=log):
        bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
    assert log == [("process", "inner", "x", False), ("post", "inner", "x", False)]


def test_value_setters_the_outermost_handler_wins():
    inner_condition = handlers.substitute(handlers.condition(latent_model, data={"z": 1.0}), data={"z": 2.0})
    tr = _get_trace(handlers.seed(inner_condition, rng_seed=0))
    assert float(tr["z"].value) == 2.0 and tr["z"].is_observed
    inner_substitute = handlers.condition(handlers.substitute(latent_model, data={"z": 2.0}), data={"z": 1.0})
    tr = _get_trace(handlers.seed(inner_substitute, rng_seed=0))
    assert float(tr["z"].value) == 1.0 and tr["z"].is_observed
    # a site conditioned in only one of them
    only_substituted = handlers.condition(handlers.substitute(latent_model, data={"z": 2.0}), data={"x": 0.0})
    tr = _get_trace(only_substituted)
    assert float(tr["z"].value) == 2.0 and not tr["z"].is_observed and tr["x"].is_observed


def test_seed_outside_trace_and_trace_outside_seed_agree():
    traced_outside = handlers.trace(handlers.seed(latent_model, rng_seed=4)).get_trace()
    inner_trace = handlers.trace(latent_model)
    handlers.seed(inner_trace, rng_seed=4)()
    for name in ("z", "x"):
        assert float(traced_outside[name].value) == float(inner_trace.trace[name].value)
    with handlers.seed(rng_seed=4), handlers.trace() as tr:
        latent_model()
    assert float(tr["x"].value) == float(traced_outside["x"].value)


# ====================================================================== stack hygiene


def _failing_model():
    bm.sample("a", dist.Normal(0.0, 1.0))
    raise RuntimeError("model failed")


def test_stack_is_empty_after_a_model_raises_inside_wrapped_handlers():
    model = handlers.trace(handlers.block(handlers.seed(handlers.scale(_failing_model, scale=2.0), rng_seed=0)))
    with pytest.raises(RuntimeError, match="model failed"):
        model()
    assert current_stack() == ()


def test_stack_is_empty_after_a_model_raises_inside_handler_contexts():
    with pytest.raises(RuntimeError, match="model failed"):
        with handlers.trace(), handlers.seed(rng_seed=0), bm.plate("p", 2), handlers.mask(mask=True):
            assert len(current_stack()) == 4
            _failing_model()
    assert current_stack() == ()


def test_stack_is_restored_when_a_site_errors_and_when_a_plate_fails_to_enter():
    with pytest.raises(bm.MissingRNGKeyError):
        handlers.trace(handlers.scope(latent_model, prefix="s"))()
    assert current_stack() == ()
    with pytest.raises(bm.MissingRNGKeyError):
        with handlers.trace(), bm.plate("p", 5, subsample_size=2):
            pass
    assert current_stack() == ()
    with handlers.trace() as tr:
        with pytest.raises(ValueError, match="already taken"):
            with bm.plate("a", 2, dim=-1), bm.plate("b", 2, dim=-1):
                pass
        assert len(current_stack()) == 1  # only the trace
    assert list(tr) == ["a"]  # the failing plate sent no site


def test_leaving_a_handler_drops_handlers_entered_inside_and_never_left():
    outer = handlers.trace()
    with outer:
        handlers.scale(scale=2.0).__enter__()
        assert len(current_stack()) == 2
    assert current_stack() == ()


def test_wrappers_leave_no_residue_and_retrace_freshly():
    tracer = handlers.trace(handlers.seed(latent_model, rng_seed=0))
    first = tracer.get_trace()
    assert current_stack() == ()
    second = tracer.get_trace()
    assert current_stack() == ()
    assert first is not second and list(first) == list(second) == ["z", "x"]


# =========================================================================== threads


def _threaded_model(tag, barrier=None):
    a = bm.sample(f"{tag}_a", dist.Normal(0.0, 1.0))
    time.sleep(0)
    if barrier is not None:
        barrier.wait()  # both threads are now inside a model, each with its handlers active
    with bm.plate(f"{tag}_plate", 3):
        b = bm.sample(f"{tag}_b", dist.Normal(a, 1.0))
    time.sleep(0)
    bm.deterministic(f"{tag}_sum", jnp.sum(b))


def test_two_threads_run_seeded_traced_models_at_once():
    seeds = {"left": 11, "right": 22}
    expected = {tag: _get_trace(handlers.seed(_threaded_model, rng_seed=s), tag) for tag, s in seeds.items()}
    names = {tag: [f"{tag}_a", f"{tag}_plate", f"{tag}_b", f"{tag}_sum"] for tag in seeds}
    repeats = 40
    start = threading.Barrier(2, timeout=30)
    inside = threading.Barrier(2, timeout=30)

    def worker(tag):
        start.wait()
        traces = []
        try:
            for _ in range(repeats):
                traces.append(_get_trace(handlers.seed(_threaded_model, rng_seed=seeds[tag]), tag, inside))
                assert current_stack() == ()
        except BaseException:
            inside.abort()
            raise
        return traces

    with handlers.trace() as main_tr, handlers.scale(scale=2.0):
        main_stack = current_stack()
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {tag: pool.submit(worker, tag) for tag in seeds}
            results = {tag: future.result(timeout=120) for tag, future in futures.items()}
        assert current_stack() == main_stack  # the main thread's stack is untouched
    assert len(main_tr) == 0  # no thread's site reached the main thread's handlers
    for tag, traces in results.items():
        assert len(traces) == repeats
        for tr in traces:
            assert list(tr) == names[tag]
            assert tr[f"{tag}_b"].scale is None
            for name in names[tag]:
                np.testing.assert_array_equal(tr[name].value, expected[tag][name].value)


# ====================================================================== site records


def test_site_fields_are_fixed():
    site = Site(name="x", type="sample")
    site.value = 1.0
    with pytest.raises(AttributeError):
        site.valeu = 2.0
    assert not hasattr(site, "valeu")
    with pytest.raises(ValueError, match="type must be one of"):
        Site(name="x", type="samples")


def test_site_dict_style_access():
    with handlers.trace() as tr, bm.plate("p", 2):
        bm.sample("y", dist.Normal(0.0, 1.0), obs=jnp.zeros(2))
    site = tr["y"]
    assert site["value"] is site.value and site["name"] == "y" and site["is_observed"] is True
    assert site["cond_indep_stack"] == site.plates == (PlateFrame("p", -1, 2, 2),)
    assert "value" in site and "cond_indep_stack" in site and "valeu" not in site
    assert site.get("valeu", 3) == 3 and site.get("type") == "sample"
    with pytest.raises(KeyError, match="no field 'valeu'"):
        site["valeu"]


def test_trace_records_copies_with_their_own_infer_dict():
    def model():
        bm.sample("y", dist.Normal(0.0, 1.0), obs=0.0, infer={"a": 1})

    tr = _get_trace(model)
    tr["y"].infer["b"] = 2
    assert _get_trace(model)["y"].infer == {"a": 1}


# ========================================================================== reparam


def _loc_scale_model():
    with bm.plate("data", 5):
        bm.sample("theta", dist.Normal(3.0, 2.0))


@pytest.mark.parametrize("form", FORMS)
def test_loc_scale_reparam_noncentred(form):
    model = _apply(form, handlers.reparam, _loc_scale_model, config={"theta": LocScaleReparam(0)})
    tr = _get_trace(handlers.seed(model, rng_seed=0))
    assert list(tr) == ["data", "theta_decentered", "theta"]
    dec = tr["theta_decentered"]
    assert dec.type == "sample" and dec.is_latent
    assert dec.fn.batch_shape == (5,)
    _close(dec.fn.mean, np.zeros(5))
    _close(dec.fn.variance, np.ones(5))
    theta = tr["theta"]
    assert theta.type == "deterministic" and theta.fn is None and not theta.is_observed
    _close(theta.value, 3.0 + 2.0 * np.asarray(dec.value))
    # only the decentred site enters the log density
    _close(log_joint(tr), _norm_logpdf(dec.value).sum())


def test_loc_scale_reparam_keeps_event_dims_and_plates():
    def model():
        with bm.plate("p", 2):
            bm.sample("t", dist.Normal(jnp.arange(3.0), 2.0).to_event(1))

    tr = _get_trace(handlers.seed(handlers.reparam(model, config={"t": LocScaleReparam(0)}), rng_seed=0))
    dec = tr["t_decentered"]
    assert (dec.fn.batch_shape, dec.fn.event_shape) == ((2,), (3,))
    assert dec.plates == (PlateFrame("p", -1, 2, 2),)
    _close(dec.fn.mean, np.zeros((2, 3)))
    _close(tr["t"].value, np.arange(3.0) + 2.0 * np.asarray(dec.value))


def test_loc_scale_reparam_partially_centred():
    c = 0.3
    model = handlers.reparam(_loc_scale_model, config={"theta": LocScaleReparam(c)})
    tr = _get_trace(handlers.seed(model, rng_seed=0))
    dec = tr["theta_decentered"]
    _close(dec.fn.mean, np.full(5, 3.0 * c))
    _close(dec.fn.variance, np.full(5, (2.0**c) ** 2))
    _close(tr["theta"].value, 3.0 + 2.0 ** (1 - c) * (np.asarray(dec.value) - c * 3.0))


def test_loc_scale_reparam_centred_one_leaves_the_site_alone():
    model = handlers.reparam(_loc_scale_model, config={"theta": LocScaleReparam(1)})
    tr = _get_trace(handlers.seed(model, rng_seed=0))
    assert list(tr) == ["data", "theta"] and tr["theta"].type == "sample"


def test_loc_scale_reparam_learnable_centring_is_a_param_site():
    model = handlers.reparam(_loc_scale_model, config={"theta": LocScaleReparam(None)})
    tr = _get_trace(handlers.seed(model, rng_seed=0))
    assert list(tr) == ["data", "theta_centered", "theta_decentered", "theta"]
    centred = tr["theta_centered"]
    assert centred.type == "param" and centred.constraint is constraints.unit_interval
    _close(centred.value, 0.5)
    dec = np.asarray(tr["theta_decentered"].value)
    _close(tr["theta"].value, 3.0 + 2.0**0.5 * (dec - 0.5 * 3.0))
    # substituting the param changes the centring
    substituted = handlers.substitute(model, data={"theta_centered": 0.0})
    tr0 = _get_trace(handlers.seed(substituted, rng_seed=0))
    _close(tr0["theta_decentered"].fn.mean, np.zeros(5))


def test_loc_scale_reparam_student_t_keeps_its_shape_parameter():
    def model():
        bm.sample("theta", dist.StudentT(4.0, 1.0, 2.0))

    reparamed = handlers.reparam(model, config={"theta": LocScaleReparam(0, shape_params=("df",))})
    tr = _get_trace(handlers.seed(reparamed, rng_seed=0))
    dec = tr["theta_decentered"].fn
    assert isinstance(dec, dist.StudentT)
    assert (float(dec.df), float(dec.loc), float(dec.scale)) == (4.0, 0.0, 1.0)
    _close(tr["theta"].value, 1.0 + 2.0 * float(tr["theta_decentered"].value))


def test_loc_scale_reparam_errors():
    def gamma_model():
        bm.sample("g", dist.Gamma(2.0, 1.0))

    with pytest.raises(TypeError, match="site 'g' has a Gamma distribution, which has no loc and scale"):
        handlers.seed(handlers.reparam(gamma_model, config={"g": LocScaleReparam(0)}), rng_seed=0)()

    def observed_model():
        bm.sample("theta", dist.Normal(0.0, 1.0), obs=0.5)

    with pytest.raises(ValueError, match="site 'theta' is observed"):
        handlers.reparam(observed_model, config={"theta": LocScaleReparam(0)})()
    with pytest.raises(ValueError, match=r"centered must be in \[0, 1\]"):
        LocScaleReparam(1.5)
    with pytest.raises(ValueError, match="config= .* is required"):
        handlers.reparam(observed_model)


def _lognormal_model():
    bm.sample("x", dist.TransformedDistribution(dist.Normal(0.0, 1.0), transforms.ExpTransform()))


@pytest.mark.parametrize("form", FORMS)
def test_transform_reparam_draws_the_base_and_applies_the_transform(form):
    model = _apply(form, handlers.reparam, _lognormal_model, config={"x": TransformReparam()})
    tr = _get_trace(handlers.seed(model, rng_seed=0))
    assert list(tr) == ["x_base", "x"]
    assert isinstance(tr["x_base"].fn, dist.Normal)
    assert tr["x"].type == "deterministic"
    _close(tr["x"].value, np.exp(float(tr["x_base"].value)))


def test_transform_reparam_needs_a_transformed_distribution():
    with pytest.raises(TypeError, match="site 'z' has a Normal distribution; it needs a TransformedDistribution"):
        handlers.seed(handlers.reparam(latent_model, config={"z": TransformReparam()}), rng_seed=0)()


def test_reparam_config_may_be_a_function_of_the_site():
    config = lambda site: LocScaleReparam(0) if site.name == "theta" else None  # noqa: E731
    tr = _get_trace(handlers.seed(handlers.reparam(_loc_scale_model, config=config), rng_seed=0))
    assert list(tr) == ["data", "theta_decentered", "theta"]


@pytest.mark.parametrize(
    "config, site, mean, sd",
    [
        ({"theta": LocScaleReparam(0)}, "theta", 3.0, 2.0),
        ({"theta": LocScaleReparam(0.3)}, "theta", 3.0, 2.0),
        ({"x": TransformReparam()}, "x", np.exp(0.5), np.sqrt((np.e - 1) * np.e)),
    ],
    ids=["noncentred", "centred-0.3", "transform"],
)
def test_prior_draws_of_a_reparameterised_site_keep_its_distribution(config, site, mean, sd):
    def model():
        if site == "theta":
            bm.sample("theta", dist.Normal(3.0, 2.0))
        else:
            _lognormal_model()

    n = 4000
    draws = Predictive(handlers.reparam(model, config=config), num_samples=n, parallel=True)(KEY)
    x = np.asarray(draws[site], np.float64)
    assert x.shape == (n,)
    if site == "x":  # heavy tailed: test the moments of log x, which is Normal(0, 1)
        assert abs(x.mean() - mean) < 5 * sd / np.sqrt(n)
        x, mean, sd = np.log(x), 0.0, 1.0
    mcse_mean = sd / np.sqrt(n)
    mcse_sd = sd / np.sqrt(2 * n)  # for Normal draws
    assert abs(x.mean() - mean) < 5 * mcse_mean
    assert abs(x.std(ddof=1) - sd) < 5 * mcse_sd
