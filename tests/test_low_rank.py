r"""nutpie's low-rank modified mass matrix: the metric's maths
(:class:`LowRankMetric` in ``velocity``, ``kinetic_energy``, ``sample_momentum``), the
estimator (``bayesmodels.adaptation._low_rank``) on exact Gaussian draws and gradients,
the windowed warm-up that uses it, and ``NUTS(low_rank_mass=k)`` end to end.

Compilation dominates the cost: the MCMC tests share one module-level run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.adaptation import (
    WarmupSchedule,
    WindowAdaptation,
    fisher_eigh,
    low_rank_final,
    low_rank_init,
    low_rank_update,
    slow_windows,
)
from bayesmodels.infer import HMC, MCMC, NUTS
from bayesmodels.kernels import KernelParams, kinetic_energy, sample_momentum, velocity
from bayesmodels.kernels._metric import LowRankMetric

pytestmark = pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning")


def _orthonormal_rows(rng, rank, dim):
    q, _ = np.linalg.qr(rng.standard_normal((dim, rank)))
    return q.T


def _metric(rng, dim=6, values=(9.0, 0.2)):
    scale = rng.uniform(0.5, 2.0, dim)
    vectors = _orthonormal_rows(rng, len(values), dim)
    dense = scale[:, None] * (np.eye(dim) + vectors.T @ np.diag(np.subtract(values, 1.0)) @ vectors) * scale[None, :]
    metric = LowRankMetric(*(jnp.asarray(x, jnp.float32) for x in (scale, vectors, values)))
    return metric, dense


# --------------------------------------------------------------------------------- metric


def test_velocity_and_kinetic_energy_are_the_dense_formulas():
    rng = np.random.default_rng(0)
    metric, dense = _metric(rng)
    np.testing.assert_allclose(metric.to_dense(), dense, rtol=1e-5, atol=1e-6)
    for _ in range(3):
        p = rng.standard_normal(6)
        np.testing.assert_allclose(velocity(metric, jnp.asarray(p, jnp.float32)), dense @ p, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(kinetic_energy(metric, jnp.asarray(p, jnp.float32)), 0.5 * p @ dense @ p, rtol=1e-5)
    # values of 1 leave their directions alone: the diagonal metric scale**2
    plain = LowRankMetric.diagonal(metric.scale**2, 2)
    p = jnp.asarray(rng.standard_normal(6), jnp.float32)
    np.testing.assert_allclose(velocity(plain, p), velocity(metric.scale**2, p), rtol=1e-6)
    untouched = metric._replace(values=jnp.ones(2))
    np.testing.assert_allclose(velocity(untouched, p), velocity(metric.scale**2, p), rtol=1e-5)
    # a metric per chain: vmap over the pytree
    stacked = jax.tree.map(lambda x: jnp.stack([x, x]), metric)
    batched = jax.vmap(velocity)(stacked, jnp.stack([p, p]))
    np.testing.assert_allclose(batched[1], dense @ np.asarray(p), rtol=1e-5, atol=1e-5)


def test_momentum_has_covariance_the_mass_matrix_not_its_inverse():
    metric, dense = _metric(np.random.default_rng(1), dim=4, values=(6.0, 0.25))
    mass = np.linalg.inv(dense)
    n = 20_000
    keys = jax.random.split(jax.random.PRNGKey(3), n)
    draws = np.asarray(jax.jit(jax.vmap(sample_momentum, (0, None, None)))(keys, metric, jnp.zeros(4)), np.float64)
    assert draws.shape == (n, 4)
    # iid Gaussian draws: se(mean_i) = sqrt(M_ii / n), se(cov_ij) = sqrt((M_ii M_jj + M_ij^2) / n)
    np.testing.assert_array_less(np.abs(draws.mean(0)), 5 * np.sqrt(np.diag(mass) / n))
    covariance = draws.T @ draws / n
    se = np.sqrt((np.outer(np.diag(mass), np.diag(mass)) + mass**2) / n)
    np.testing.assert_array_less(np.abs(covariance - mass), 5 * se)
    assert np.max(np.abs(covariance - dense) / se) > 50  # M, not M^{-1}


# ------------------------------------------------------------------------------ estimator


def test_geometric_mean_solves_the_riccati_equation():
    rng = np.random.default_rng(2)
    draw_factor, grad_factor = rng.standard_normal((12, 5)), rng.standard_normal((9, 5)) * [1, 3, 0.1, 1, 10]
    values, vectors = fisher_eigh(jnp.asarray(draw_factor, jnp.float32), jnp.asarray(grad_factor, jnp.float32))
    sigma = (np.asarray(vectors, np.float64) * np.asarray(values)) @ np.asarray(vectors, np.float64).T
    cov_draws, cov_grads = draw_factor.T @ draw_factor, grad_factor.T @ grad_factor
    np.testing.assert_allclose(sigma @ cov_grads @ sigma, cov_draws, rtol=2e-3, atol=2e-3 * np.abs(cov_draws).max())
    assert np.all(np.diff(np.asarray(values)) <= 0) and np.all(np.asarray(values) > 0)
    # commuting (diagonal) case: the mean is sqrt(C_x / C_g)
    values, _ = fisher_eigh(jnp.diag(jnp.array([2.0, 1.0, 3.0])), jnp.diag(jnp.array([0.5, 1.0, 3.0])))
    np.testing.assert_allclose(np.sort(values), np.sort([4.0, 1.0, 1.0]), rtol=1e-5)


def _gaussian_window(covariance, n, buffer_size, seed):
    """``low_rank_update`` fed ``n`` exact draws of N(1, covariance) with exact gradients."""
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(np.ones(len(covariance)), covariance, size=n)
    grads = -(draws - 1.0) @ np.linalg.inv(covariance)
    state = low_rank_init(len(covariance), buffer_size, jnp.float32)
    inputs = (jnp.asarray(draws, jnp.float32), jnp.asarray(grads, jnp.float32))
    state, _ = lax.scan(lambda s, xg: (low_rank_update(s, *xg), None), state, inputs)
    return state, draws


def _regularised_sd(draws):
    n = len(draws)
    return np.sqrt(n / (n + 5) * np.var(draws, axis=0, ddof=1) + 1e-3 * 5 / (n + 5))


def test_exact_gradients_give_back_the_covariance_when_all_directions_are_kept():
    # with more draws than dimensions and exact gradients h = -A^{-1} y, the Fisher
    # covariance is A itself whatever the sampling noise: so keeping every direction
    # (cutoff 1) recovers the target's covariance, not just the sample's
    rng = np.random.default_rng(3)
    mixing = rng.standard_normal((8, 8))
    covariance = mixing @ mixing.T / 8 + np.diag(np.linspace(0.1, 3.0, 8))
    state, draws = _gaussian_window(covariance, 40, 64, seed=4)
    metric = low_rank_final(state, 8, cutoff=1.0, ridge=1e-6)
    np.testing.assert_allclose(metric.scale, _regularised_sd(draws), rtol=1e-5)
    np.testing.assert_allclose(metric.to_dense(), covariance, rtol=2e-3, atol=2e-3)
    sample = np.cov(draws, rowvar=False)
    assert np.max(np.abs(sample - covariance)) > 0.05  # ... which the sample covariance is far from


def test_estimator_recovers_a_low_rank_plus_diagonal_covariance_from_fewer_draws_than_dimensions():
    rng = np.random.default_rng(5)
    dim, spikes = 200, np.array([20.0, 0.05])
    diagonal = rng.uniform(0.5, 2.0, dim)
    directions = _orthonormal_rows(rng, 2, dim)
    root = np.sqrt(diagonal)
    covariance = root[:, None] * (np.eye(dim) + directions.T @ np.diag(spikes - 1.0) @ directions) * root[None, :]
    state, draws = _gaussian_window(covariance, 100, 100, seed=6)
    metric = low_rank_final(state, 4)

    def spread(inverse_mass):  # condition number of the preconditioned target
        eigenvalues = np.linalg.eigvals(np.linalg.solve(inverse_mass, covariance)).real
        return eigenvalues.max() / eigenvalues.min()

    diagonal_only = spread(np.diag(np.asarray(metric.scale, np.float64) ** 2))
    low_rank = spread(np.asarray(metric.to_dense(), np.float64))
    assert diagonal_only > 300 and low_rank < diagonal_only / 10
    # both spikes are found, each along its own direction. In the scaled coordinates they
    # are 0.048 and 17; from 100 draws in 200 dimensions the estimate is pulled towards 1
    values = np.sort(np.asarray(metric.values))
    assert 0.03 < values[0] < 0.1 and 8 < values[-1] < 25
    scaled_directions = directions * root[None, :] / np.asarray(metric.scale)[None, :]
    scaled_directions /= np.linalg.norm(scaled_directions, axis=1, keepdims=True)
    kept = np.asarray(metric.vectors)[np.argsort(np.asarray(metric.values))[[0, -1]]]
    overlap = np.abs(np.sum(kept * scaled_directions[::-1], axis=1))
    assert np.all(overlap > 0.95), overlap


def test_too_few_draws_or_no_structure_leave_the_diagonal():
    state, _ = _gaussian_window(np.eye(5), 2, 8, seed=7)
    metric = low_rank_final(state, 3)
    assert np.all(np.asarray(metric.values) == 1.0) and np.all(np.asarray(metric.vectors) == 0.0)
    # iid standard normal: every eigenvalue within (1/2, 2), so nothing to correct
    state, _ = _gaussian_window(np.eye(5), 200, 200, seed=8)
    assert np.all(np.asarray(low_rank_final(state, 3).values) == 1.0)


# -------------------------------------------------------------------- window adaptation

_COVARIANCE = np.array([[1.0, 0.95, 0.0], [0.95, 1.0, 0.0], [0.0, 0.0, 0.01]])


def test_window_adaptation_swaps_in_each_window_estimate_at_its_end():
    num_warmup = 400
    rng = np.random.default_rng(9)
    draws = rng.multivariate_normal(np.zeros(3), _COVARIANCE, size=num_warmup)
    grads = -draws @ np.linalg.inv(_COVARIANCE)
    adaptation = WindowAdaptation(low_rank_mass=2, low_rank_buffer=50)
    params = KernelParams(jnp.float32(0.5), LowRankMetric.diagonal(jnp.ones(3), 2))
    schedule = WarmupSchedule(*(jnp.asarray(flags) for flags in adaptation.schedule(num_warmup)))
    acceptance = jnp.full(num_warmup, 0.8, jnp.float32)

    def one_iteration(state, inputs):
        flags, x, g, a = inputs
        state = adaptation.update(state, flags, x, a, g)
        return state, state.params.inverse_mass_matrix

    inputs = (schedule, jnp.asarray(draws, jnp.float32), jnp.asarray(grads, jnp.float32), acceptance)
    _, history = jax.jit(lambda s, xs: lax.scan(one_iteration, s, xs))(adaptation.init(params), inputs)
    previous = np.ones(3)
    for start, end in slow_windows(num_warmup):
        np.testing.assert_array_equal(history.scale[start : end - 1], np.broadcast_to(previous, (end - 1 - start, 3)))
        np.testing.assert_allclose(history.scale[end - 1], _regularised_sd(draws[start:end]), rtol=1e-5)
        previous = np.asarray(history.scale[end - 1])
    # the last window's correlation 0.95 is seen: along (1, -1) the scaled variance is
    # about 0.05, along (1, 1) about 1.95 (left alone: within the cutoff 2)
    values, vectors = np.asarray(history.values[-1]), np.asarray(history.vectors[-1])
    narrow = np.argmin(values)
    assert 0.02 < values[narrow] < 0.1
    np.testing.assert_allclose(np.abs(vectors[narrow]), [2**-0.5, 2**-0.5, 0.0], atol=0.05)


def test_bad_adaptation_settings_are_rejected():
    with pytest.raises(ValueError, match="low_rank_mass=3 and dense_mass=True conflict"):
        WindowAdaptation(low_rank_mass=3, dense_mass=True)
    with pytest.raises(ValueError, match="low_rank_buffer=2 draws cannot estimate low_rank_mass=3"):
        WindowAdaptation(low_rank_mass=3, low_rank_buffer=2)
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        WindowAdaptation(low_rank_mass=-1)
    with pytest.raises(ValueError, match=r"low_rank_mass > 0 goes with a LowRankMetric"):
        WindowAdaptation(low_rank_mass=2).init(KernelParams(jnp.float32(0.5), jnp.ones(3)))
    with pytest.raises(ValueError, match=r"WindowAdaptation\(low_rank_mass=0\) got a LowRankMetric"):
        WindowAdaptation().init(KernelParams(jnp.float32(0.5), LowRankMetric.diagonal(jnp.ones(3), 2)))
    adaptation = WindowAdaptation(low_rank_mass=2)
    state = adaptation.init(KernelParams(jnp.float32(0.5), LowRankMetric.diagonal(jnp.ones(3), 2)))
    flags = WarmupSchedule(*(jnp.asarray(f[0]) for f in adaptation.schedule(100)))
    with pytest.raises(ValueError, match="low_rank_mass needs the log-density gradient"):
        adaptation.update(state, flags, jnp.zeros(3), 0.8)


# ----------------------------------------------------------------------------- samplers

_DIM = 10
_MIXING = np.random.default_rng(10).standard_normal((_DIM, _DIM))
_SCALE_TRIL = np.linalg.cholesky(_MIXING @ _MIXING.T / _DIM + np.diag(np.logspace(-1, 1, _DIM)))
_TRUE_SD = np.sqrt(np.sum(_SCALE_TRIL**2, axis=1))


def _correlated_gaussian():
    bm.sample("x", dist.MultivariateNormal(jnp.zeros(_DIM), scale_tril=jnp.asarray(_SCALE_TRIL, jnp.float32)))


@pytest.fixture(scope="module")
def low_rank_run():
    mcmc = MCMC(
        NUTS(_correlated_gaussian, low_rank_mass=3), num_warmup=500, num_samples=1000, num_chains=2,
        chain_method="vectorized", progress_bar=False,
    )  # fmt: skip
    mcmc.run(jax.random.PRNGKey(0))
    return mcmc


def test_nuts_with_a_low_rank_metric_recovers_a_correlated_gaussian(low_rank_run):
    x = np.asarray(low_rank_run.get_samples(group_by_chain=True)["x"], np.float64)
    for i in range(_DIM):
        draws = az.convert_to_dataset(x[..., i])
        mean_mcse = float(az.mcse(draws, method="mean")["x"])
        sd_mcse = float(az.mcse(draws, method="sd")["x"])
        assert abs(x[..., i].mean()) < 5 * mean_mcse, i
        assert abs(x[..., i].std() - _TRUE_SD[i]) < 5 * sd_mcse, i
    metric = low_rank_run.last_state.chain.warmup.params.inverse_mass_matrix
    assert isinstance(metric, LowRankMetric) and metric.vectors.shape == (2, 3, _DIM)
    assert np.any(np.asarray(metric.values) != 1.0)  # it did correct some direction
    assert low_rank_run.to_result(log_likelihood=False).attrs["low_rank_mass"] == 3


def test_low_rank_draws_do_not_depend_on_batching_the_chains(low_rank_run):
    # the window-end linear algebra runs one chain at a time (also a guard against jaxlib's
    # batched CPU LAPACK kernels, which can deadlock a small machine), so vmap-ing the
    # chains changes nothing
    sequential = MCMC(
        NUTS(_correlated_gaussian, low_rank_mass=3), num_warmup=500, num_samples=1000, num_chains=2,
        chain_method="sequential", progress_bar=False,
    )  # fmt: skip
    sequential.run(jax.random.PRNGKey(0))
    np.testing.assert_allclose(sequential.get_samples()["x"], low_rank_run.get_samples()["x"], rtol=1e-4, atol=1e-4)


_PARALLEL_SCRIPT = """
import json, jax, numpy as np, warnings
warnings.simplefilter("ignore")
from tests.test_low_rank import _correlated_gaussian
from bayesmodels.infer import MCMC, NUTS
mcmc = MCMC(NUTS(_correlated_gaussian, low_rank_mass=3), num_warmup=300, num_samples=300, num_chains=2,
            chain_method="parallel", progress_bar=False)
mcmc.run(jax.random.PRNGKey(0))
values = mcmc.last_state.chain.warmup.params.inverse_mass_matrix.values
print(json.dumps({"devices": jax.local_device_count(), "chain_method": mcmc.to_result().attrs["chain_method"],
                  "sd": np.asarray(mcmc.get_samples()["x"]).std(0).tolist(), "values": np.asarray(values).tolist()}))
"""


@pytest.mark.slow
def test_low_rank_chains_run_in_parallel_on_two_host_devices():
    # shard_map over devices; the device count is fixed when JAX starts, hence a fresh
    # interpreter. Floating-point details differ there, so the draws are checked, not matched
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, BAYESMODELS_HOST_DEVICES="2", JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _PARALLEL_SCRIPT], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["devices"] == 2 and report["chain_method"] == "parallel"
    assert np.any(np.asarray(report["values"]) != 1.0)
    # 600 draws with ESS well above 100: sds within 30%
    np.testing.assert_allclose(report["sd"], _TRUE_SD, rtol=0.3)


def test_hmc_takes_the_low_rank_metric_too():
    mcmc = MCMC(HMC(_correlated_gaussian, low_rank_mass=2, num_steps=8), num_warmup=200, num_samples=100,
                num_chains=1, progress_bar=False)  # fmt: skip
    mcmc.run(jax.random.PRNGKey(1))
    assert isinstance(mcmc.last_state.chain.warmup.params.inverse_mass_matrix, LowRankMetric)
    assert np.all(np.isfinite(np.asarray(mcmc.get_samples()["x"])))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"low_rank_mass": 3, "dense_mass": True}, r"NUTS: low_rank_mass=3 and dense_mass=True conflict"),
        ({"low_rank_mass": -2}, r"NUTS: low_rank_mass must be a non-negative integer .*got -2"),
        ({"low_rank_mass": 2.5}, r"NUTS: low_rank_mass must be a non-negative integer .*got 2\.5"),
        ({"low_rank_mass": True}, r"NUTS: low_rank_mass must be a non-negative integer .*got True"),
        ({"low_rank_mass": 3, "adapt_mass_matrix": False}, r"NUTS: low_rank_mass=3 needs adapt_mass_matrix=True"),
    ],
)
def test_bad_sampler_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NUTS(_correlated_gaussian, **kwargs)


def test_the_default_is_off_and_an_initial_diagonal_seeds_the_scale():
    assert NUTS(_correlated_gaussian).low_rank_mass == 0
    assert isinstance(NUTS(_correlated_gaussian).initial_params(4, jnp.float32).inverse_mass_matrix, jax.Array)
    sampler = NUTS(_correlated_gaussian, low_rank_mass=8, inverse_mass_matrix=[4.0, 1.0, 9.0])
    params = sampler.initial_params(3, jnp.float32)
    metric = params.inverse_mass_matrix
    np.testing.assert_allclose(metric.scale, [2.0, 1.0, 3.0])
    assert metric.vectors.shape == (3, 3) and np.all(np.asarray(metric.values) == 1.0)  # rank capped at dim
