r"""bayesmodels.adaptation: dual averaging, Welford (co)variance, Stan's window schedule,
the first step-size search and the windowed warm-up that combines them."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from bayesmodels.adaptation import (
    WarmupSchedule,
    WindowAdaptation,
    dual_averaging_final,
    dual_averaging_init,
    dual_averaging_update,
    find_reasonable_step_size,
    slow_windows,
    warmup_schedule,
    welford_final,
    welford_init,
    welford_update,
)
from bayesmodels.kernels import KernelParams, NUTSKernel

# ------------------------------------------------------------------------ dual averaging


def test_first_dual_averaging_update_follows_the_formula():
    state = dual_averaging_init(1.0)
    np.testing.assert_allclose(state.mu, math.log(10.0), rtol=1e-6)
    state = dual_averaging_update(state, 0.3, 0.8)
    # t = 1: eta = 1 / (1 + t0) = 1/11, H = (0.8 - 0.3) / 11, log eps = mu - sqrt(1) / gamma * H
    error_avg = 0.5 / 11
    log_step = math.log(10.0) - error_avg / 0.05
    np.testing.assert_allclose(state.error_avg, error_avg, rtol=1e-6)
    np.testing.assert_allclose(state.log_step_size, log_step, rtol=1e-6)
    np.testing.assert_allclose(state.log_step_size_avg, log_step, rtol=1e-6)  # weight 1^-kappa = 1
    assert int(state.count) == 1
    # second update: weight 2^-0.75 on the new iterate
    second = dual_averaging_update(state, 0.9, 0.8)
    error_avg_2 = (1 - 1 / 12) * error_avg + (0.8 - 0.9) / 12
    log_step_2 = math.log(10.0) - math.sqrt(2) / 0.05 * error_avg_2
    weight = 2**-0.75
    np.testing.assert_allclose(second.log_step_size, log_step_2, rtol=1e-5)
    averaged = weight * log_step_2 + (1 - weight) * log_step
    np.testing.assert_allclose(second.log_step_size_avg, averaged, rtol=1e-5)
    np.testing.assert_allclose(dual_averaging_final(second), math.exp(averaged), rtol=1e-5)
    # a NaN acceptance statistic counts as a rejection
    for got, want in zip(dual_averaging_update(state, jnp.nan, 0.8), dual_averaging_update(state, 0.0, 0.8)):
        np.testing.assert_array_equal(got, want)


def _tune_on_curve(step_size, target, num_iterations=2000):
    """Dual averaging against the acceptance curve exp(-eps^2) (noise free)."""

    def one_iteration(state, _):
        acceptance = jnp.exp(-jnp.exp(2 * state.log_step_size))
        return dual_averaging_update(state, acceptance, target), None

    state, _ = lax.scan(one_iteration, dual_averaging_init(step_size), None, length=num_iterations)
    return dual_averaging_final(state), jnp.exp(state.log_step_size)


def test_dual_averaging_finds_the_step_size_of_the_target_acceptance():
    # exp(-eps^2) = delta at eps = sqrt(-log delta): 0.472 for 0.8, 0.715 for 0.6. Noise
    # free, both the iterate and its average converge to the root; after 2000 iterations
    # from starts 50 times too small or 20 times too large they are within 1% (checked at 2%)
    starts = jnp.array([0.01, 1.0, 10.0, 1.0])
    targets = jnp.array([0.8, 0.8, 0.8, 0.6])
    final, last_iterate = jax.jit(jax.vmap(_tune_on_curve))(starts, targets)
    expected = np.sqrt(-np.log(np.asarray(targets)))
    np.testing.assert_allclose(final, expected, rtol=0.02)
    np.testing.assert_allclose(last_iterate, expected, rtol=0.02)


# ------------------------------------------------------------------------------ Welford

_RNG = np.random.default_rng(42)
# 300 correlated draws far from the origin (a naive sum of squares would lose digits)
_LOADINGS = np.array([[2.0, 0.0, 0.0], [1.0, 0.5, 0.0], [0.0, -0.3, 0.1]])
_DATA = (_RNG.standard_normal((300, 3)) @ _LOADINGS + [50.0, -20.0, 3.0]).astype(np.float32)


def _welford(data, dense):
    state = welford_init(data.shape[1], dense)
    state, _ = lax.scan(lambda s, x: (welford_update(s, x), None), state, jnp.asarray(data))
    return state


@pytest.mark.parametrize("dense", [False, True])
def test_welford_matches_numpy_and_stan_regularisation(dense):
    data = _DATA.astype(np.float64)
    state = _welford(_DATA, dense)
    n = len(data)
    assert int(state.count) == n
    np.testing.assert_allclose(state.mean, data.mean(0), rtol=1e-5)
    covariance = np.cov(data, rowvar=False) if dense else np.var(data, axis=0, ddof=1)
    np.testing.assert_allclose(welford_final(state, regularize=False), covariance, rtol=1e-4, atol=1e-6)
    # Stan: n / (n + 5) * C + 1e-3 * 5 / (n + 5) * I (the identity only on the diagonal)
    identity = np.eye(3) if dense else np.ones(3)
    regularised = n / (n + 5) * covariance + 1e-3 * 5 / (n + 5) * identity
    np.testing.assert_allclose(welford_final(state), regularised, rtol=1e-4, atol=1e-6)
    assert welford_final(state).shape == ((3, 3) if dense else (3,))


# ----------------------------------------------------------------------------- schedule


def test_slow_windows_are_stans():
    assert slow_windows(1000) == [(75, 100), (100, 150), (150, 250), (250, 450), (450, 950)]
    assert slow_windows(2000) == [(75, 100), (100, 150), (150, 250), (250, 450), (450, 850), (850, 1950)]
    # fewer than 75 + 25 + 50: buffers of 15% and 10%, one window in between
    assert slow_windows(100) == [(15, 90)]
    assert slow_windows(20) == [(3, 18)]
    assert slow_windows(149) == [(22, 135)]
    assert slow_windows(150) == [(75, 100)]
    # a window is stretched to the terminal buffer when the next one would not fit
    assert slow_windows(160) == [(75, 100), (100, 110)]
    assert slow_windows(19) == [] and slow_windows(0) == []


# Stan's windowed_adaptation::compute_next_window stretches the new window when
# (its last index) + 2 * (its size) >= num_warmup - term_buffer, i.e. when
# end + 2 * size > slow_end; _schedule.py uses >=, so when the following window would end
# exactly at the terminal buffer it is merged into the current one instead.
def test_slow_windows_keep_a_following_window_that_fits_exactly():
    assert slow_windows(300) == [(75, 100), (100, 150), (150, 250)]
    assert slow_windows(500) == [(75, 100), (100, 150), (150, 250), (250, 450)]


def _where(flags):
    return np.flatnonzero(flags).tolist()


def test_warmup_schedule_flags():
    schedule = warmup_schedule(1000)
    assert isinstance(schedule, WarmupSchedule) and all(len(flags) == 1000 for flags in schedule)
    assert _where(schedule.restart) == [0, 100, 150, 250, 450, 950]
    assert _where(schedule.window_end) == [99, 149, 249, 449, 949]
    assert _where(schedule.collect) == list(range(75, 950))
    assert _where(schedule.last) == [999]

    no_step_size = warmup_schedule(1000, adapt_step_size=False)
    assert not no_step_size.restart.any() and not no_step_size.last.any()
    np.testing.assert_array_equal(no_step_size.collect, schedule.collect)
    np.testing.assert_array_equal(no_step_size.window_end, schedule.window_end)

    no_metric = warmup_schedule(1000, adapt_mass_matrix=False)
    assert not no_metric.collect.any() and not no_metric.window_end.any()
    assert _where(no_metric.restart) == [0] and _where(no_metric.last) == [999]

    short = warmup_schedule(10)  # too short for windows: step size only
    assert _where(short.restart) == [0] and _where(short.last) == [9] and not short.collect.any()
    assert all(len(flags) == 0 for flags in warmup_schedule(0))


# ------------------------------------------------------------------- first step size


class _ScaledNormal(eqx.Module):
    """Isotropic normal of standard deviation ``scale``."""

    scale: jax.Array

    def __call__(self, x):
        return -0.5 * jnp.sum((x / self.scale) ** 2)


_FIND = jax.jit(find_reasonable_step_size)
_Z = jnp.array([0.3, -1.1, 0.8, 0.2, -0.5])  # a typical point of N(0, I_5)


def _find(scale, step_size, seed=0):
    scale = jnp.asarray(scale, jnp.float32)
    kernel = NUTSKernel(_ScaledNormal(scale))
    state = kernel.init(scale * _Z)
    params = KernelParams(jnp.asarray(step_size, jnp.float32), jnp.ones(5))
    return float(_FIND(kernel, jax.random.PRNGKey(seed), state, params))


def _log_accept_ratios(h, num_momenta=20_000):
    r""":math:`H_0 - H_1` for one leapfrog step of size ``h`` from ``_Z`` on
    :math:`\mathcal N(0, I)` with fresh momenta (the closed-form map)."""
    z = np.asarray(_Z, np.float64)
    p = np.random.default_rng(0).standard_normal((num_momenta, len(z)))
    z1 = (1 - h**2 / 2) * z + h * p
    p1 = -h * (1 - h**2 / 4) * z + (1 - h**2 / 2) * p
    return 0.5 * (z @ z + np.sum(p**2, 1)) - 0.5 * (np.sum(z1**2, 1) + np.sum(p1**2, 1))


def _search_outcomes(start, factor):
    r"""Where the search from ``start`` (in units of the scale) ends, and how likely each end
    is: the first try only picks the direction; each later try at :math:`h_k` stops with
    the probability :math:`c_k` that one momentum draw crosses :math:`\log 0.8`, so the
    search returns :math:`h_k` with probability :math:`c_k \prod_{j<k} (1 - c_j)`."""
    ends, probabilities, still_going, h = [], [], 1.0, start
    while still_going > 1e-9:
        h *= factor
        ratios = _log_accept_ratios(h)
        crossing = np.mean(ratios <= math.log(0.8)) if factor > 1 else np.mean(ratios >= math.log(0.8))
        ends.append(h)
        probabilities.append(still_going * crossing)
        still_going *= 1 - crossing
    return np.log2(ends), np.array(probabilities)


def test_first_step_size_halves_or_doubles_to_where_acceptance_crosses_0_8():
    # from 1, a target of scale 0.01 is searched by halving and one of scale 100 by
    # doubling (the step from 1 is far too long / far too short, so the first try's
    # direction is certain); with unit mass the dynamics depend on eps / scale only, so the
    # log2 step sizes of 50 seeds must average the mean of the exact outcome law, within
    # 5 standard errors (a target acceptance of 0.3 instead of 0.8 moves it by ~0.7)
    num_seeds = 50
    for scale, factor in ((0.01, 0.5), (100.0, 2.0)):
        outcomes, probabilities = _search_outcomes(1.0 / scale, factor)
        mean = probabilities @ outcomes
        sd = np.sqrt(probabilities @ (outcomes - mean) ** 2)
        found = np.log2([_find(scale, 1.0, seed) / scale for seed in range(num_seeds)])
        np.testing.assert_allclose(found, np.round(found + math.log2(scale)) - math.log2(scale), atol=1e-5)  # grid
        assert abs(found.mean() - mean) < 5 * sd / np.sqrt(num_seeds), (scale, found.mean(), mean, sd)
        assert sd < 1.0  # the law is concentrated on a few grid points


def test_first_step_size_is_equivariant_in_the_scale():
    # with unit mass the dynamics of x = s z depend on eps / s only: started from eps = s
    # at x = s z with the same momenta, every scale gives the same eps / s
    for seed in range(3):
        ratios = [_find(scale, scale, seed) / scale for scale in (0.01, 1.0, 100.0)]
        np.testing.assert_allclose(ratios, ratios[1], rtol=1e-4)
        assert ratios[1] != 1.0  # it did move


# ------------------------------------------------------------------ window adaptation

_VARIANCES = np.array([1.0, 100.0, 0.01])
_NUM_WARMUP = 1000
_DRAWS = np.random.default_rng(5).standard_normal((_NUM_WARMUP, 3)) * np.sqrt(_VARIANCES)
_MIXING = np.array([[1.0, 0.0, 0.0], [0.05, 1.0, 0.0], [0.0, 0.0, 1.0]])
_CORRELATED_DRAWS = _DRAWS @ _MIXING  # covariance _MIXING^T diag(_VARIANCES) _MIXING
_ACCEPTANCE = 0.8 + 0.15 * np.sin(np.arange(_NUM_WARMUP))  # made up, around the target


def _drive(adaptation, draws, initial_step_size=0.5):
    """Feed exact draws and a made-up acceptance through ``update`` (no restarts): the
    kernel parameters after every iteration."""
    dim = draws.shape[1]
    imm = jnp.eye(dim) if adaptation.dense_mass else jnp.ones(dim)
    state = adaptation.init(KernelParams(jnp.asarray(initial_step_size, jnp.float32), imm))
    schedule = WarmupSchedule(*(jnp.asarray(flags) for flags in adaptation.schedule(len(draws))))

    def one_iteration(state, inputs):
        flags, x, acceptance = inputs
        state = adaptation.update(state, flags, x, acceptance)
        return state, state.params

    inputs = (schedule, jnp.asarray(draws, jnp.float32), jnp.asarray(_ACCEPTANCE[: len(draws)], jnp.float32))
    _, history = jax.jit(lambda s, xs: lax.scan(one_iteration, s, xs))(state, inputs)
    return np.asarray(history.step_size), np.asarray(history.inverse_mass_matrix)


def _regularised(draws, dense):
    n = len(draws)
    covariance = np.cov(draws, rowvar=False) if dense else np.var(draws, axis=0, ddof=1)
    return n / (n + 5) * covariance + 1e-3 * 5 / (n + 5) * (np.eye(draws.shape[1]) if dense else 1.0)


@pytest.mark.parametrize("dense", [False, True])
def test_window_adaptation_learns_the_metric_window_by_window(dense):
    draws = _CORRELATED_DRAWS if dense else _DRAWS
    step_sizes, imms = _drive(WindowAdaptation(dense_mass=dense), draws)
    # the metric is the window's own regularised estimate from its last iteration on, and
    # unchanged in between (the estimate restarts with each window)
    previous = np.eye(3) if dense else np.ones(3)
    for start, end in slow_windows(_NUM_WARMUP):
        np.testing.assert_allclose(imms[start : end - 1], np.broadcast_to(previous, imms[start : end - 1].shape))
        np.testing.assert_allclose(imms[end - 1], _regularised(draws[start:end], dense), rtol=1e-4, atol=1e-7)
        previous = imms[end - 1]
    np.testing.assert_allclose(imms[-1], previous)

    # ... and close to the target's: (co)variance estimates of n iid Gaussian draws have
    # se = sqrt((S_ii S_jj + S_ij^2) / (n - 1))
    start, end = slow_windows(_NUM_WARMUP)[-1]
    truth = _MIXING.T @ np.diag(_VARIANCES) @ _MIXING if dense else np.diag(_VARIANCES)
    se = np.sqrt((np.outer(np.diag(truth), np.diag(truth)) + truth**2) / (end - start - 1))
    if not dense:
        truth, se = np.diag(truth), np.diag(se)
    np.testing.assert_array_less(np.abs(imms[-1] - truth), 5 * se)

    # the step size is dual averaging's iterate during warm-up and its average at the end
    def replay(state, acceptance):
        state = dual_averaging_update(state, acceptance, 0.8)
        return state, jnp.exp(state.log_step_size)

    averaging, iterates = lax.scan(replay, dual_averaging_init(jnp.float32(0.5)), jnp.asarray(_ACCEPTANCE, jnp.float32))
    np.testing.assert_allclose(step_sizes[:-1], iterates[:-1], rtol=1e-4)
    np.testing.assert_allclose(step_sizes[-1], dual_averaging_final(averaging), rtol=1e-4)
    assert abs(step_sizes[-1] - step_sizes[-2]) > 1e-3 * step_sizes[-1]  # the average differs from the iterate


def test_window_adaptation_switched_off_changes_nothing():
    step_sizes, imms = _drive(WindowAdaptation(adapt_step_size=False, adapt_mass_matrix=False), _DRAWS[:300])
    assert np.all(step_sizes == np.float32(0.5)) and np.all(imms == 1.0)
    with pytest.raises(ValueError, match=r"target_accept_prob must be in \(0, 1\), got 1\.0"):
        WindowAdaptation(target_accept_prob=1.0)
