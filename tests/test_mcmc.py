"""The MCMC driver: settings, shapes, chain methods, compilation reuse, starting points,
continuation, progress bars, results and post-run warnings.

Compilation dominates the cost, so every test reuses a few module-level models and
samplers: ``regression`` with one NUTS configuration (compiled once for two vectorized
chains, once for one chain at a time), a tiny-step ``HMC`` on the same model whose draws
stay where they start, the centred eight schools (divergences, plates, ArviZ), a
correlated Gaussian with ``max_tree_depth=2`` and one ``potential_fn``. Statistical
accuracy is the business of ``test_mcmc_posteriors.py``.
"""

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.infer import HMC, MCMC, NUTS
from bayesmodels.results import InferenceResult, SamplingWarning

# one xdist worker runs the whole file, so the module's fitted fixtures compile once
pytestmark = [
    pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning"),
    pytest.mark.xdist_group("test_mcmc"),
]

ROOT = Path(__file__).resolve().parents[1]
KEY = jax.random.PRNGKey(0)
CHAINS, WARMUP, DRAWS = 2, 100, 50

# starting the chains runs the model eagerly once to lay out the latent sites, then once
# per chain for its init-strategy proposal (the first proposal of `regression` is always
# finite). Nothing else calls the model unless something is (re)traced.
def eager_calls(chains: int) -> int:
    return 1 + chains
CALLS = {"regression": 0}


def regression(x, y=None):
    CALLS["regression"] += 1
    alpha = bm.sample("alpha", dist.Normal(0.0, 5.0))
    beta = bm.sample("beta", dist.Normal(0.0, 5.0))
    sigma = bm.sample("sigma", dist.HalfNormal(2.0))
    with bm.plate("data", x.shape[0]):
        mu = bm.deterministic("mu", alpha + beta * x)
        bm.sample("y", dist.Normal(mu, sigma), obs=y)


_rng = np.random.default_rng(0)
X = np.linspace(-1.0, 1.0, 10, dtype=np.float32)
Y = (0.5 + 2.0 * X + 0.3 * _rng.normal(size=10)).astype(np.float32)
Y2 = (-1.0 + 0.5 * X + 0.3 * _rng.normal(size=10)).astype(np.float32)  # new data, same shapes


def _mcmc(sampler=None, **settings):
    """MCMC of `regression` with the module's NUTS settings (so nothing recompiles)."""
    settings = {
        "num_warmup": WARMUP,
        "num_samples": DRAWS,
        "num_chains": CHAINS,
        "chain_method": "vectorized",
        "progress_bar": False,
        **settings,
    }
    return MCMC(sampler if sampler is not None else NUTS(regression), **settings)


FIELDS = ("num_steps", "accept_prob", "potential_energy", "diverging", "energy")


@pytest.fixture(scope="module")
def fitted():
    """The module's first run of `regression`: it compiles the vectorized sampler. Every
    other test that runs that sampler asks for this fixture first, so that the count of
    model calls here includes the tracing (also under pytest-xdist)."""
    before = CALLS["regression"]
    mcmc = _mcmc()
    mcmc.run(KEY, X, Y, extra_fields=FIELDS)
    return SimpleNamespace(mcmc=mcmc, first_run_calls=CALLS["regression"] - before)


NEAR_MODE = {"alpha": 0.5, "beta": 2.0, "sigma": 0.3}


def _short_run(chain_method):
    """Five draws without warm-up (so nothing adapts): a step size that accepts from a
    start near the mode, on the module's compiled NUTS (the step size is an array)."""
    mcmc = _mcmc(NUTS(regression, step_size=0.1), num_warmup=0, num_samples=5, chain_method=chain_method)
    mcmc.run(KEY, X, Y, init_params=NEAR_MODE)
    return mcmc


@pytest.fixture(scope="module")
def vectorized_short(fitted):
    return _short_run("vectorized")


# -- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"num_samples": 0}, r"num_samples must be an integer >= 1, got 0"),
        ({"num_warmup": -1}, r"num_warmup must be an integer >= 0, got -1"),
        ({"num_chains": 0}, r"num_chains must be an integer >= 1, got 0"),
        ({"num_samples": 10.0}, r"num_samples must be an integer >= 1, got 10.0"),
        ({"thinning": 0}, r"thinning must be an integer >= 1, got 0"),
        ({"thinning": DRAWS + 1}, rf"thinning={DRAWS + 1} keeps no draw out of num_samples={DRAWS}"),
        ({"chain_method": "threads"}, r"chain_method must be one of .*'sequential'.*got 'threads'"),
    ],
)
def test_mcmc_settings_are_checked_before_anything_runs(settings, message):
    before = CALLS["regression"]
    with pytest.raises(ValueError, match=message):
        _mcmc(**settings)
    assert CALLS["regression"] == before


def test_mcmc_rejects_what_is_not_a_sampler():
    with pytest.raises(ValueError, match=r"sampler must be a sampler such as NUTS\(model\).*got <function regression"):
        MCMC(regression, num_warmup=10, num_samples=10)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: NUTS(regression, step_size=0.0), r"NUTS: step_size must be a positive finite number, got 0.0"),
        (lambda: NUTS(regression, step_size=-0.1), r"step_size must be a positive finite number, got -0.1"),
        (lambda: NUTS(regression, step_size=float("nan")), r"step_size must be a positive finite number, got nan"),
        (lambda: NUTS(regression, target_accept_prob=1.5), r"target_accept_prob must be in \(0, 1\), got 1.5"),
        (lambda: NUTS(regression, max_tree_depth=0), r"max_tree_depth must be an integer in \[1, 30\], got 0"),
        (lambda: NUTS(regression, potential_fn=lambda z: 0.0), r"NUTS takes a `model` or a `potential_fn`, not both"),
        (lambda: NUTS(regression, dense_mass=["alpha", "beta"]), r"dense_mass must be True or False, got \['alpha'"),
        (
            lambda: NUTS(regression, inverse_mass_matrix=np.eye(3)),
            r"inverse_mass_matrix must be a vector .* shape \(3, 3\)",
        ),
        (lambda: HMC(regression, num_steps=0), r"HMC: num_steps must be a positive integer, got 0"),
        (lambda: HMC(regression, trajectory_length=-1.0), r"HMC: trajectory_length must be positive, got -1.0"),
        (lambda: HMC(regression, step_size=0.0), r"HMC: step_size must be a positive finite number"),
    ],
)
def test_sampler_settings_are_checked(make, message):
    before = CALLS["regression"]
    with pytest.raises(ValueError, match=message):
        make()
    assert CALLS["regression"] == before


def test_a_sampler_without_a_model_says_how_to_give_it_one():
    mcmc = _mcmc(NUTS())
    with pytest.raises(ValueError, match=r"NUTS has neither a model nor a potential_fn: write NUTS\(model\)"):
        mcmc.run(KEY, X, Y)
    configured = NUTS(target_accept_prob=0.9, max_tree_depth=6)
    bound = configured.with_model(regression)
    assert bound.model is regression and configured.model is None
    assert (bound.target_accept_prob, bound.max_tree_depth) == (0.9, 6)
    with pytest.raises(ValueError, match=r"this NUTS already samples .*regression"):
        bound.with_model(lambda: None)


def test_inverse_mass_matrix_of_the_wrong_size_names_the_dimension():
    mcmc = _mcmc(NUTS(regression, inverse_mass_matrix=np.ones(5)))
    with pytest.raises(ValueError, match=r"inverse_mass_matrix has shape \(5,\).*3 unconstrained dimensions"):
        mcmc.run(KEY, X, Y)


def test_results_before_a_run_are_an_error():
    mcmc = _mcmc()
    for read in (mcmc.get_samples, mcmc.get_extra_fields, mcmc.to_result, mcmc.print_summary):
        with pytest.raises(RuntimeError, match=r"MCMC has no draws yet: call mcmc.run"):
            read()


# -- shapes ------------------------------------------------------------------------------


def test_samples_flat_and_grouped_by_chain(fitted):
    flat = fitted.mcmc.get_samples()
    grouped = fitted.mcmc.get_samples(group_by_chain=True)
    assert set(flat) == set(grouped) == {"alpha", "beta", "sigma", "mu"}
    assert {name: v.shape for name, v in grouped.items()} == {
        "alpha": (CHAINS, DRAWS),
        "beta": (CHAINS, DRAWS),
        "sigma": (CHAINS, DRAWS),
        "mu": (CHAINS, DRAWS, len(X)),
    }
    for name, value in grouped.items():
        np.testing.assert_array_equal(flat[name], value.reshape((CHAINS * DRAWS,) + value.shape[2:]))
    # the deterministic site is recomputed from each draw, and the constrained site is positive
    expected = grouped["alpha"][..., None] + grouped["beta"][..., None] * X
    np.testing.assert_allclose(grouped["mu"], expected, rtol=1e-5, atol=1e-5)
    assert np.all(grouped["sigma"] > 0)
    # the chains moved (NUTS draws of a continuous posterior are distinct)
    assert len(np.unique(flat["alpha"])) > 0.9 * CHAINS * DRAWS
    # a deterministic site in a plate gets the plate's name as its dim
    posterior = fitted.mcmc.to_result().to_arviz().posterior
    assert posterior["mu"].dims == ("chain", "draw", "data")
    assert posterior["alpha"].dims == ("chain", "draw")


def test_thinning_keeps_every_kth_draw_of_the_same_chain(fitted):
    thinning = 3
    mcmc = _mcmc(thinning=thinning)
    mcmc.run(KEY, X, Y)
    thinned = mcmc.get_samples(group_by_chain=True)["alpha"]
    full = fitted.mcmc.get_samples(group_by_chain=True)["alpha"]
    offset = DRAWS % thinning + thinning - 1  # so that the last draw is kept
    np.testing.assert_array_equal(thinned, full[:, offset::thinning])
    assert mcmc.get_extra_fields(group_by_chain=True)["diverging"].shape == thinned.shape
    assert mcmc.to_result().sample_stats["lp"].shape == thinned.shape


def test_thinning_count_follows_numpyro(fitted):
    thinning = 3
    mcmc = _mcmc(thinning=thinning)
    mcmc.run(KEY, X, Y)
    thinned = mcmc.get_samples(group_by_chain=True)["alpha"]
    assert thinned.shape == (CHAINS, DRAWS // thinning)
    # NumPyro keeps draws thinning-1, 2 * thinning - 1, ... counted back from the last one
    full = fitted.mcmc.get_samples(group_by_chain=True)["alpha"]
    np.testing.assert_array_equal(thinned[:, -1], full[:, -1])


def test_extra_fields_with_numpyro_names(fitted):
    fields = fitted.mcmc.get_extra_fields()
    grouped = fitted.mcmc.get_extra_fields(group_by_chain=True)
    assert set(fields) == set(FIELDS)
    for name in FIELDS:
        assert fields[name].shape == (CHAINS * DRAWS,)
        assert grouped[name].shape == (CHAINS, DRAWS)
    stats = fitted.mcmc.to_result().sample_stats
    np.testing.assert_array_equal(grouped["potential_energy"], -stats["lp"])
    np.testing.assert_array_equal(grouped["num_steps"], stats["n_steps"])
    np.testing.assert_array_equal(grouped["accept_prob"], stats["acceptance_rate"])
    np.testing.assert_array_equal(grouped["diverging"], stats["diverging"])
    np.testing.assert_array_equal(grouped["energy"], stats["energy"])
    assert fields["diverging"].dtype == bool
    assert np.issubdtype(fields["num_steps"].dtype, np.integer) and np.all(fields["num_steps"] >= 1)
    assert np.all((fields["accept_prob"] >= 0) & (fields["accept_prob"] <= 1))
    # NUTS steps 2**depth - 1 times at most
    assert np.all(stats["n_steps"] <= 2 ** stats["tree_depth"] - 1)
    # the Hamiltonian is the potential plus a positive kinetic energy
    assert np.all(fields["energy"] > fields["potential_energy"])


def test_unknown_extra_field_is_rejected_before_running():
    before = CALLS["regression"]
    with pytest.raises(ValueError, match=r"unknown extra_fields \['mean_energy'\]; available: .*'accept_prob'"):
        _mcmc().run(KEY, X, Y, extra_fields=("accept_prob", "mean_energy"))
    assert CALLS["regression"] == before


# -- chain methods and keys --------------------------------------------------------------


def test_chain_keys_do_not_depend_on_the_chain_method(vectorized_short):
    vectorized = vectorized_short.get_samples(group_by_chain=True)
    assert vectorized_short.num_divergences == 0
    assert np.all(np.ptp(vectorized["alpha"], axis=1) > 0)  # the chains moved
    sequential = _short_run("sequential")
    assert sequential.to_result().attrs["chain_method"] == "sequential"
    # vmap changes float rounding, so close rather than equal
    for name, value in sequential.get_samples(group_by_chain=True).items():
        np.testing.assert_allclose(value, vectorized[name], rtol=1e-4, atol=1e-4)


def test_auto_on_one_device_is_vectorized(vectorized_short):
    if jax.local_device_count() > 1:
        pytest.skip("several devices: 'auto' runs the chains in parallel")
    auto = _short_run("auto")
    assert auto.to_result().attrs["chain_method"] == "vectorized"
    for name, value in auto.get_samples(group_by_chain=True).items():
        np.testing.assert_array_equal(value, vectorized_short.get_samples(group_by_chain=True)[name])


def test_parallel_on_one_device_falls_back_to_vectorized_with_a_warning(vectorized_short):
    if jax.local_device_count() > 1:
        pytest.skip("several devices: 'parallel' really runs in parallel")
    fallback = r"chain_method='parallel' with 1 device\(s\) and 2 chains: running the chains vectorized"
    with pytest.warns(UserWarning, match=fallback):
        parallel = _short_run("parallel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # to_result warns again (reported)
        assert parallel.to_result().attrs["chain_method"] == "vectorized"
    for name, value in parallel.get_samples(group_by_chain=True).items():
        np.testing.assert_array_equal(value, vectorized_short.get_samples(group_by_chain=True)[name])


def test_parallel_fallback_warns_once_per_run(fitted):
    if jax.local_device_count() > 1:
        pytest.skip("several devices: 'parallel' really runs in parallel")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel = _short_run("parallel")
        parallel.to_result()
    fallbacks = [w for w in caught if "chain_method='parallel'" in str(w.message)]
    assert len(fallbacks) == 1


_PARALLEL_SCRIPT = """
import json, warnings
import jax, numpy as np
from tests.test_mcmc import _short_run
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    mcmc = _short_run("auto")
print(json.dumps({
    "devices": jax.local_device_count(),
    "chain_method": mcmc.to_result().attrs["chain_method"],
    "samples": {k: np.asarray(v).tolist() for k, v in mcmc.get_samples(group_by_chain=True).items()},
}))
"""


@pytest.mark.slow
def test_auto_runs_chains_in_parallel_on_two_host_devices(vectorized_short):
    # the device count is fixed when JAX starts, hence a fresh interpreter
    env = dict(os.environ, BAYESMODELS_HOST_DEVICES="2", JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _PARALLEL_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["devices"] == 2
    assert report["chain_method"] == "parallel"
    for name, value in vectorized_short.get_samples(group_by_chain=True).items():
        np.testing.assert_allclose(np.asarray(report["samples"][name]), value, rtol=1e-4, atol=1e-4)


_DEVICES_SCRIPT = """
import jax, bayesmodels
print(jax.local_device_count("cpu"), bayesmodels._config.usable_cores())
"""


@pytest.mark.parametrize("setting", [None, "off", "3"])
def test_import_exposes_a_cpu_device_per_core_and_per_default_chain(setting):
    env = {k: v for k, v in os.environ.items() if k not in ("BAYESMODELS_HOST_DEVICES", "XLA_FLAGS")}
    if setting is not None:
        env["BAYESMODELS_HOST_DEVICES"] = setting
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", _DEVICES_SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    devices, cores = map(int, done.stdout.split())
    assert devices == {None: max(cores, 4), "off": 1, "3": 3}[setting]


def test_draws_stream_to_the_host_one_block_at_a_time(fitted, monkeypatch):
    # however many draws are asked for, the devices hold at most two blocks of them: each
    # compiled call returns BLOCK iterations, copied to the host as the next one runs
    from bayesmodels.infer import _chains
    from bayesmodels.infer import _mcmc as driver

    returned = []

    def recording_advance(*args, **kwargs):
        carry, outputs = _chains.advance(*args, **kwargs)
        returned.append(outputs[0].shape)
        return carry, outputs

    monkeypatch.setattr(driver, "advance", recording_advance)
    num_samples = 2 * _chains.BLOCK + 30
    mcmc = _mcmc(num_samples=num_samples)
    calls = _count_calls_and_compiles(lambda: mcmc.run(KEY, X, Y))[0]
    # the sampler of the module's shorter run is reused (no new trace); only turning the
    # larger number of draws into site values traces the model once more
    assert calls == eager_calls(CHAINS) + 1
    dim = mcmc.last_state.chain.state.position.shape[1]
    assert returned == [(CHAINS, _chains.BLOCK, dim)] * -(-(WARMUP + num_samples) // _chains.BLOCK)
    assert mcmc.get_samples(group_by_chain=True)["alpha"].shape == (CHAINS, num_samples)


def test_same_seed_same_data_same_draws(fitted):
    again = _mcmc()
    again.run(KEY, X, Y, extra_fields=FIELDS)
    for name, value in fitted.mcmc.get_samples(group_by_chain=True).items():
        np.testing.assert_array_equal(again.get_samples(group_by_chain=True)[name], value)
    for name, value in fitted.mcmc.get_extra_fields(group_by_chain=True).items():
        np.testing.assert_array_equal(again.get_extra_fields(group_by_chain=True)[name], value)
    other = _mcmc()
    other.run(jax.random.PRNGKey(1), X, Y)
    assert not np.array_equal(other.get_samples()["alpha"], fitted.mcmc.get_samples()["alpha"])


# -- compilation is reused -----------------------------------------------------------------

_BACKEND_COMPILE = "/jax/core/compile/backend_compile_duration"


def _count_calls_and_compiles(run):
    """(model calls, XLA compilations) while ``run()`` runs."""
    compiles = []

    def listener(event, duration, **kwargs):
        if event == _BACKEND_COMPILE:
            compiles.append(duration)

    jax.monitoring.register_event_duration_secs_listener(listener)
    before = CALLS["regression"]
    try:
        run()
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    return CALLS["regression"] - before, len(compiles)


def test_new_data_of_the_same_shapes_compiles_nothing(fitted):
    eager = eager_calls(CHAINS)
    # the module's first run traced the sampler, so it called the model more often
    assert fitted.first_run_calls > eager
    mcmc = _mcmc()
    assert _count_calls_and_compiles(lambda: mcmc.run(jax.random.PRNGKey(3), X, Y)) == (eager, 0)
    # the same object again, with new data of the same shapes
    assert _count_calls_and_compiles(lambda: mcmc.run(jax.random.PRNGKey(4), X, Y2)) == (eager, 0)
    # a new MCMC (and a new NUTS) with the same model and settings
    assert _count_calls_and_compiles(lambda: _mcmc().run(jax.random.PRNGKey(5), X, Y2)) == (eager, 0)
    # and the data really was new: the posterior moved (slope 2 -> 0.5)
    assert abs(np.mean(mcmc.get_samples()["beta"]) - np.mean(fitted.mcmc.get_samples()["beta"])) > 0.5


# -- starting points -----------------------------------------------------------------------

# HMC whose draws stay where they start: a tiny fixed step, no adaptation
TINY_STEP = 1e-3


def _tiny_step_mcmc(num_samples=4):
    sampler = HMC(regression, step_size=TINY_STEP, num_steps=2, adapt_step_size=False, adapt_mass_matrix=False)
    return _mcmc(sampler, num_warmup=0, num_samples=num_samples)


PER_CHAIN_INIT = {"alpha": np.array([1.5, -1.0]), "beta": np.array([0.5, 3.0]), "sigma": np.array([0.3, 4.0])}


def _unconstrained(values):
    """alpha, beta are real; sigma is positive (log)."""
    return {"alpha": values["alpha"], "beta": values["beta"], "sigma": np.log(values["sigma"])}


def test_init_params_per_chain_are_where_the_chains_start():
    mcmc = _tiny_step_mcmc()
    mcmc.run(KEY, X, Y, init_params=PER_CHAIN_INIT)
    start = mcmc._run.start
    for chain in range(CHAINS):
        values = start.postprocess_fn(start.positions[chain])
        for name in PER_CHAIN_INIT:
            np.testing.assert_allclose(values[name], PER_CHAIN_INIT[name][chain], rtol=1e-5)
    # the first draws are within a few tiny steps of the starting point
    draws = _unconstrained(mcmc.get_samples(group_by_chain=True))
    for name, value in _unconstrained(PER_CHAIN_INIT).items():
        np.testing.assert_allclose(draws[name][:, 0], value, atol=30 * TINY_STEP)
    assert mcmc.get_extra_fields()["diverging"].sum() == 0


def test_init_params_without_a_chain_axis_start_every_chain_there():
    init = {"alpha": 1.5, "beta": 0.5, "sigma": 0.3}
    mcmc = _tiny_step_mcmc()
    mcmc.run(KEY, X, Y, init_params=init)
    draws = _unconstrained(mcmc.get_samples(group_by_chain=True))
    for name, value in _unconstrained({k: np.float64(v) for k, v in init.items()}).items():
        np.testing.assert_allclose(draws[name][:, 0], [value, value], atol=30 * TINY_STEP)


def test_init_params_naming_an_unknown_site():
    with pytest.raises(ValueError, match=r"init_params names \['gamma'\], which are not latent sites"):
        _mcmc().run(KEY, X, Y, init_params={"gamma": 1.0})


def out_of_support(y):
    scale = bm.sample("scale", dist.HalfNormal(1.0))
    bm.sample("y", dist.Uniform(0.0, scale), obs=y)  # y = 50 needs scale > 50: never at init


def no_latent(y):
    bm.sample("y", dist.Normal(0.0, 1.0), obs=y)


def discrete_latent(y):
    k = bm.sample("k", dist.Bernoulli(0.5))
    bm.sample("y", dist.Normal(k, 1.0), obs=y)


def test_no_finite_starting_point_lists_the_sites():
    mcmc = MCMC(NUTS(out_of_support), num_warmup=10, num_samples=10, progress_bar=False)
    with pytest.raises(RuntimeError) as error:
        mcmc.run(KEY, jnp.asarray(50.0))
    message = str(error.value)
    assert "could not find a starting point with finite log density and gradient in 100 tries" in message
    assert re.search(r"scale\s+latent\s+HalfNormal", message)
    assert re.search(r"y\s+observed\s+Uniform\s+-inf", message)
    assert "Not finite: ['y']" in message


def test_model_without_latent_sites_has_nothing_to_sample():
    mcmc = MCMC(NUTS(no_latent), num_warmup=10, num_samples=10, progress_bar=False)
    with pytest.raises(ValueError, match=r"no latent sample sites, so there is nothing to sample .*\['y'\]"):
        mcmc.run(KEY, jnp.asarray(0.5))


def test_discrete_latent_site_points_to_mixed_hmc():
    mcmc = MCMC(NUTS(discrete_latent), num_warmup=10, num_samples=10, progress_bar=False)
    expected = r"site 'k' is discrete \(Bernoulli.*NUTS needs continuous latent sites: use MixedHMC"
    with pytest.raises(ValueError, match=expected):
        mcmc.run(KEY, jnp.asarray(0.5))


# -- continuing --------------------------------------------------------------------------


def test_continuing_from_last_state_skips_warmup_and_keeps_the_step_size(fitted):
    mcmc = _mcmc()
    mcmc.run(KEY, X, Y)
    adapted = np.asarray(mcmc.last_state.chain.warmup.params.step_size)
    first = mcmc.get_samples(group_by_chain=True)["alpha"]
    assert mcmc.last_state.iteration == WARMUP + DRAWS
    mcmc.post_warmup_state = mcmc.last_state
    mcmc.run(mcmc.last_state.rng_key, X, Y)
    result = mcmc.to_result()
    assert "warmup_posterior" not in result.to_arviz().groups()
    assert result.warmup_posterior == {}
    np.testing.assert_array_equal(result.sample_stats["step_size"], np.broadcast_to(adapted[:, None], (CHAINS, DRAWS)))
    np.testing.assert_array_equal(np.asarray(mcmc.last_state.chain.warmup.params.step_size), adapted)
    assert mcmc.last_state.iteration == WARMUP + 2 * DRAWS
    assert mcmc.get_samples(group_by_chain=True)["alpha"].shape == (CHAINS, DRAWS)
    assert not np.array_equal(mcmc.get_samples(group_by_chain=True)["alpha"], first)


def test_continuing_starts_from_the_last_draw():
    mcmc = _tiny_step_mcmc()
    mcmc.run(KEY, X, Y, init_params=PER_CHAIN_INIT)
    last = {name: value[:, -1] for name, value in _unconstrained(mcmc.get_samples(group_by_chain=True)).items()}
    mcmc.post_warmup_state = mcmc.last_state
    mcmc.run(mcmc.last_state.rng_key, X, Y)
    draws = _unconstrained(mcmc.get_samples(group_by_chain=True))
    for name, value in last.items():
        # a restart from a fresh init_to_uniform point would be O(1) away
        np.testing.assert_allclose(draws[name][:, 0], value, atol=10 * TINY_STEP)


def test_continuing_refuses_init_params():
    mcmc = _tiny_step_mcmc()
    mcmc.run(KEY, X, Y, init_params=PER_CHAIN_INIT)
    mcmc.post_warmup_state = mcmc.last_state
    with pytest.raises(ValueError, match=r"init_params cannot be given when continuing from post_warmup_state"):
        mcmc.run(mcmc.last_state.rng_key, X, Y, init_params=PER_CHAIN_INIT)


def test_warmup_then_run(fitted):
    mcmc = _mcmc()
    mcmc.warmup(KEY, X, Y)
    with pytest.raises(RuntimeError, match="no draws yet"):
        mcmc.get_samples()
    adapted = np.asarray(mcmc.post_warmup_state.chain.warmup.params.step_size)
    assert mcmc.post_warmup_state.iteration == WARMUP
    assert np.all(adapted != 1.0)  # the initial step size was adapted
    mcmc.run(jax.random.PRNGKey(1), X, Y)
    result = mcmc.to_result()
    assert result.warmup_posterior == {}
    np.testing.assert_array_equal(result.sample_stats["step_size"], np.broadcast_to(adapted[:, None], (CHAINS, DRAWS)))
    assert mcmc.get_samples()["alpha"].shape == (CHAINS * DRAWS,)


def test_warmup_again_adapts_from_scratch(fitted):
    mcmc = _mcmc()
    mcmc.warmup(KEY, X, Y)
    mcmc.warmup(jax.random.PRNGKey(1), X, Y2)
    assert mcmc.post_warmup_state.iteration == WARMUP


# -- progress bars -------------------------------------------------------------------------


def test_progress_bar_on_stderr(capsys, fitted):
    _mcmc(progress_bar=True).run(KEY, X, Y)
    err = capsys.readouterr().err
    assert "warmup" in err and "sample" in err
    assert f"{WARMUP + DRAWS}/{WARMUP + DRAWS}" in err
    assert "divergences=" in err
    _mcmc(progress_bar=False).run(KEY, X, Y)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_with_sequential_chains(capsys):
    _mcmc(chain_method="sequential", progress_bar=True).run(KEY, X, Y)
    err = capsys.readouterr().err
    for chain in (1, 2):
        assert f"chain {chain}/{CHAINS} warmup" in err and f"chain {chain}/{CHAINS} sample" in err


def test_sampling_warnings_point_at_the_callers_run(schools):
    mcmc = MCMC(NUTS(eight_schools), num_warmup=WARMUP, num_samples=SCHOOL_DRAWS, num_chains=CHAINS, progress_bar=False)
    with pytest.warns(SamplingWarning, match="divergent transitions") as caught:
        mcmc.run(KEY, SCHOOL_SIGMA, SCHOOL_Y)
    assert {Path(w.filename).name for w in caught if issubclass(w.category, SamplingWarning)} == {Path(__file__).name}


# -- results: eight schools (centred, so it diverges) ---------------------------------------

SCHOOL_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0], np.float32)
SCHOOL_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0], np.float32)
SCHOOL_DRAWS = 400  # enough that a divergence is all but certain at any seed
STATS = ("lp", "diverging", "energy", "tree_depth", "n_steps", "step_size", "acceptance_rate")


def eight_schools(sigma, y=None):
    mu = bm.sample("mu", dist.Normal(0.0, 5.0))
    tau = bm.sample("tau", dist.HalfCauchy(5.0))
    with bm.plate("school", sigma.shape[0]):
        theta = bm.sample("theta", dist.Normal(mu, tau))
        bm.sample("y", dist.Normal(theta, sigma), obs=y)


@pytest.fixture(scope="module")
def schools():
    mcmc = MCMC(NUTS(eight_schools), num_warmup=WARMUP, num_samples=SCHOOL_DRAWS, num_chains=CHAINS, progress_bar=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mcmc.run(KEY, SCHOOL_SIGMA, SCHOOL_Y)
    messages = [str(w.message) for w in caught if issubclass(w.category, SamplingWarning)]
    return SimpleNamespace(mcmc=mcmc, messages=messages)


def test_divergences_are_counted_and_warned(schools):
    count = schools.mcmc.num_divergences
    assert count > 0
    stats = schools.mcmc.to_result().sample_stats
    assert count == int(stats["diverging"].sum()) == schools.mcmc.to_result().num_divergences
    share = 100 * count / (CHAINS * SCHOOL_DRAWS)
    expected = f"{count} divergent transitions after warm-up ({share:.1f}% of draws)"
    assert any(message.startswith(expected) for message in schools.messages), schools.messages


def test_print_summary(schools, capsys):
    schools.mcmc.print_summary()
    out = capsys.readouterr().out
    for row in ("mu", "tau", "theta[0]", "theta[7]"):
        assert re.search(rf"^\s*{re.escape(row)}\s+-?\d", out, flags=re.M), out
    assert "5.0%" in out and "95.0%" in out and "r_hat" in out
    assert f"Number of divergences: {schools.mcmc.num_divergences}" in out


def test_to_result_holds_draws_stats_data_and_dims(schools):
    result = schools.mcmc.to_result()
    assert isinstance(result, InferenceResult)
    assert (result.num_chains, result.num_draws) == (CHAINS, SCHOOL_DRAWS)
    assert set(result.posterior) == {"mu", "tau", "theta"}
    assert set(STATS) <= set(result.sample_stats)
    for name in STATS:
        assert result.sample_stats[name].shape == (CHAINS, SCHOOL_DRAWS)
        assert result.warmup_sample_stats[name].shape == (CHAINS, WARMUP)
    assert result.warmup_posterior["theta"].shape == (CHAINS, WARMUP, 8)
    np.testing.assert_array_equal(result.observed_data["y"], SCHOOL_Y)
    # pointwise log likelihood: log N(y_j | theta_j, sigma_j)
    theta = result.posterior["theta"]
    expected = -0.5 * ((SCHOOL_Y - theta) / SCHOOL_SIGMA) ** 2 - np.log(SCHOOL_SIGMA) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(result.log_likelihood["y"], expected, rtol=1e-5, atol=1e-5)
    assert result.attrs["sampler"] == "NUTS" and result.attrs["max_tree_depth"] == 10

    idata = result.to_arviz()
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(idata.groups())
    assert idata.posterior["theta"].dims == ("chain", "draw", "school")
    assert idata.posterior["mu"].dims == ("chain", "draw")
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "school")
    assert idata.observed_data["y"].dims == ("school",)
    assert set(STATS) <= set(idata.sample_stats.data_vars)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pareto k of a short run
        loo = az.loo(idata, pointwise=True)
    assert np.isfinite(loo.elpd_loo) and loo.loo_i.shape == (8,)
    np.testing.assert_allclose(loo.elpd_loo, loo.loo_i.sum(), rtol=1e-6)
    np.testing.assert_array_equal(idata.posterior["school"].values, np.arange(8))


def test_to_result_with_coords(schools):
    names = [f"school {c}" for c in "ABCDEFGH"]
    idata = schools.mcmc.to_result(coords={"school": names}).to_arviz()
    assert list(idata.posterior["school"].values) == names
    assert list(idata.log_likelihood["school"].values) == names
    theta = schools.mcmc.get_samples(group_by_chain=True)["theta"]
    np.testing.assert_array_equal(idata.posterior["theta"].sel(school="school C").values, theta[..., 2])


# -- tree depth ----------------------------------------------------------------------------


def correlated(covariance):
    bm.sample("x", dist.MultivariateNormal(jnp.zeros(2), covariance_matrix=covariance))


def test_maximum_tree_depth_is_warned():
    # a diagonal metric cannot undo a correlation of 0.99: trajectories need many steps
    sampler = NUTS(correlated, max_tree_depth=2)
    mcmc = MCMC(sampler, num_warmup=WARMUP, num_samples=DRAWS, num_chains=CHAINS, progress_bar=False)
    with pytest.warns(SamplingWarning, match=r"reached the maximum tree depth \(2\)") as caught:
        mcmc.run(KEY, jnp.array([[1.0, 0.99], [0.99, 1.0]]), extra_fields=("tree_depth",))
    depth = mcmc.get_extra_fields()["tree_depth"]
    assert depth.max() == 2
    count = int(np.count_nonzero(depth == 2))
    assert count > 0
    expected = f"{count} draws ({100 * count / depth.size:.1f}%) reached the maximum tree depth (2)"
    assert any(str(w.message).startswith(expected) for w in caught), [str(w.message) for w in caught]


# -- potential_fn --------------------------------------------------------------------------


def standard_normal_potential(z):
    return 0.5 * jnp.sum(z["x"] ** 2)


def _potential_mcmc():
    sampler = NUTS(potential_fn=standard_normal_potential)
    return MCMC(sampler, num_warmup=WARMUP, num_samples=500, num_chains=CHAINS, progress_bar=False)


@pytest.fixture(scope="module")
def potential_run():
    mcmc = _potential_mcmc()
    mcmc.run(KEY, init_params={"x": jnp.zeros(3)})
    return mcmc


def test_potential_fn_samples_a_standard_normal(potential_run):
    mcmc = potential_run
    draws = mcmc.get_samples(group_by_chain=True)
    assert set(draws) == {"x"} and draws["x"].shape == (CHAINS, 500, 3)
    posterior = az.convert_to_dataset({"x": draws["x"]})
    mean, sd = draws["x"].mean(axis=(0, 1)), draws["x"].std(axis=(0, 1))
    mcse_mean = az.mcse(posterior, method="mean")["x"].values
    mcse_sd = az.mcse(posterior, method="sd")["x"].values
    assert np.all(np.abs(mean) < 5 * mcse_mean), (mean, mcse_mean)
    assert np.all(np.abs(sd - 1.0) < 5 * mcse_sd), (sd, mcse_sd)
    result = mcmc.to_result()
    assert set(result.posterior) == {"x"} and result.log_likelihood == {}
    np.testing.assert_allclose(result.sample_stats["lp"], -0.5 * np.sum(draws["x"] ** 2, axis=-1), rtol=1e-5, atol=1e-5)


def test_potential_fn_needs_init_params():
    with pytest.raises(ValueError, match=r"potential_fn needs init_params"):
        MCMC(NUTS(potential_fn=standard_normal_potential), num_warmup=10, num_samples=10, progress_bar=False).run(KEY)


def test_potential_fn_rerun_compiles_nothing(potential_run):
    compiles = []

    def listener(event, duration, **kwargs):
        if event == _BACKEND_COMPILE:
            compiles.append(duration)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        _potential_mcmc().run(jax.random.PRNGKey(1), init_params={"x": jnp.ones(3)})
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert len(compiles) == 0
