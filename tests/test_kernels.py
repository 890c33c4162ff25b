r"""bayesmodels.kernels: integrators, the Euclidean metric, the U-turn criterion, and the
HMC and NUTS transitions on targets with known answers.

Compilation dominates the cost, so the file compiles few functions and reuses them:

* ``_TRAJECTORY``: ``n`` integrator steps on :math:`\log\pi(q) = -\tfrac12|q|^2 - \tfrac c4
  \sum q^4` (harmonic for :math:`c = 0`), once per integrator;
* ``_STEP``: ``kernel.step`` with the kernel passed as an argument, so every Gaussian
  target (an ``equinox.Module`` of arrays) shares one compilation per kernel class and
  metric kind;
* ``_COUNTED_NUTS`` / ``_COUNTED_HMC``: ``jax.jit(kernel.step)`` on a standard normal whose
  log density counts its Python calls (the trace-count, detailed-balance and tree-depth
  tests share them).
"""

import math

import arviz as az
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from scipy import stats

from bayesmodels.kernels import (
    HMCKernel,
    HMCState,
    Integrator,
    IntegratorState,
    KernelParams,
    NUTSKernel,
    integrate_step,
    kinetic_energy,
    mclachlan,
    sample_momentum,
    velocity,
    velocity_verlet,
    yoshida,
)
from bayesmodels.kernels._integrators import as_integrator
from bayesmodels.kernels._nuts import _Checkpoints, _push, _turns_inside
from bayesmodels.kernels._termination import no_u_turn, no_u_turn_across_halves

INTEGRATORS = {"velocity_verlet": velocity_verlet, "mclachlan": mclachlan, "yoshida": yoshida}
Q0 = jnp.array([1.0, -0.5, 0.3])
P0 = jnp.array([0.2, 1.0, -0.7])


# --------------------------------------------------------------------------- integrators


def _quartic(position, coupling):
    return -0.5 * jnp.sum(position**2) - 0.25 * coupling * jnp.sum(position**4)


def _trajectory(integrator, position, momentum, coupling, step_size, num_steps):
    """``num_steps`` steps with unit mass; the end point and the largest :math:`|H - H_0|`."""
    log_density_fn = lambda q: _quartic(q, coupling)
    log_density, grad = jax.value_and_grad(log_density_fn)(position)
    initial_energy = -log_density + 0.5 * jnp.sum(momentum**2)
    unit = jnp.ones_like(position)

    def one_step(_, carry):
        point, worst = carry
        point = integrate_step(integrator, log_density_fn, point, step_size, unit)
        energy = -point.log_density + 0.5 * jnp.sum(point.momentum**2)
        return point, jnp.maximum(worst, jnp.abs(energy - initial_energy))

    start = IntegratorState(position, momentum, log_density, grad)
    return lax.fori_loop(0, num_steps, one_step, (start, jnp.zeros((), position.dtype)))


_TRAJECTORY = jax.jit(_trajectory, static_argnums=0)


def _harmonic_state(position, momentum):
    return IntegratorState(position, momentum, -0.5 * jnp.sum(position**2), -position)


@pytest.mark.parametrize("step_size", [0.1, 0.7, 1.3, -0.7])
def test_leapfrog_step_is_the_closed_form_map_of_the_harmonic_oscillator(step_size):
    h = step_size
    unit = jnp.ones(3)
    point = integrate_step(velocity_verlet, lambda q: -0.5 * jnp.sum(q**2), _harmonic_state(Q0, P0), h, unit)
    # half kick, drift, half kick: a linear map of (q, p)
    expected_q = (1 - h**2 / 2) * Q0 + h * P0
    expected_p = -h * (1 - h**2 / 4) * Q0 + (1 - h**2 / 2) * P0
    np.testing.assert_allclose(point.position, expected_q, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(point.momentum, expected_p, rtol=1e-6, atol=1e-6)
    # the carried log density and gradient belong to the new position
    np.testing.assert_allclose(point.log_density, -0.5 * np.sum(expected_q**2), rtol=1e-6)
    np.testing.assert_allclose(point.log_density_grad, -expected_q, rtol=1e-6, atol=1e-6)


def test_leapfrog_drifts_with_the_inverse_mass_matrix():
    h, imm = 0.4, jnp.array([2.0, 0.5, 1.0])
    point = integrate_step(velocity_verlet, lambda q: -0.5 * jnp.sum(q**2), _harmonic_state(Q0, P0), h, imm)
    half_kick = P0 - h / 2 * Q0
    expected_q = Q0 + h * imm * half_kick
    np.testing.assert_allclose(point.position, expected_q, rtol=1e-6)
    np.testing.assert_allclose(point.momentum, half_kick - h / 2 * expected_q, rtol=1e-6, atol=1e-7)
    dense = integrate_step(velocity_verlet, lambda q: -0.5 * jnp.sum(q**2), _harmonic_state(Q0, P0), h, jnp.diag(imm))
    np.testing.assert_allclose(dense.position, point.position, rtol=1e-6)


def test_mclachlan_step_is_the_published_splitting_and_yoshida_the_triple_jump():
    # McLachlan (1995): B(lam h) A(h/2) B((1 - 2 lam) h) A(h/2) B(lam h) on the oscillator,
    # as a product of 2x2 shear matrices acting on each (q_i, p_i)
    lam, h = 0.1931833275037836, 0.6
    kick = lambda c: np.array([[1.0, 0.0], [-c * h, 1.0]])
    drift = lambda c: np.array([[1.0, c * h], [0.0, 1.0]])
    one_step = kick(lam) @ drift(0.5) @ kick(1 - 2 * lam) @ drift(0.5) @ kick(lam)
    point = integrate_step(mclachlan, lambda q: -0.5 * jnp.sum(q**2), _harmonic_state(Q0, P0), h, jnp.ones(3))
    expected = one_step @ np.stack([np.asarray(Q0), np.asarray(P0)])
    np.testing.assert_allclose(point.position, expected[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(point.momentum, expected[1], rtol=1e-5, atol=1e-6)

    # Yoshida (1990): leapfrogs of w1 h, w0 h, w1 h with w1 = 1 / (2 - 2^(1/3)), on a non-linear force
    w1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
    w0 = 1.0 - 2.0 * w1
    log_density_fn = lambda q: _quartic(q, 1.0)
    log_density, grad = jax.value_and_grad(log_density_fn)(Q0)
    start = IntegratorState(Q0, P0, log_density, grad)
    composed = start
    for weight in (w1, w0, w1):
        composed = integrate_step(velocity_verlet, log_density_fn, composed, weight * h, jnp.ones(3))
    direct = integrate_step(yoshida, log_density_fn, start, h, jnp.ones(3))
    for got, want in zip(direct, composed):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert [i.gradient_evaluations for i in (velocity_verlet, mclachlan, yoshida)] == [1, 2, 3]


def test_leapfrog_energy_error_on_the_oscillator_is_bounded_without_drift():
    # leapfrog conserves H~ = |p|^2 / 2 + (1 - h^2 / 4) |q|^2 / 2 exactly, so
    # H - H_0 = h^2 / 8 (|q|^2 - |q_0|^2). Its iterates are q_n = q_0 cos(n theta) +
    # b sin(n theta) with cos(theta) = 1 - h^2 / 2, so |q_n|^2 = C + R cos(2 n theta + psi)
    # and the error never leaves h^2 / 8 [C - R - |q_0|^2, C + R - |q_0|^2]: no drift, and
    # 10^5 steps come arbitrarily close to the worst case
    h = 0.5
    q0, p0 = np.asarray(Q0, np.float64), np.asarray(P0, np.float64)
    theta = np.arccos(1 - h**2 / 2)
    b = ((1 - h**2 / 2) * q0 + h * p0 - q0 * np.cos(theta)) / np.sin(theta)
    centre = (q0 @ q0 + b @ b) / 2
    amplitude = np.hypot((q0 @ q0 - b @ b) / 2, q0 @ b)
    worst = h**2 / 8 * max(centre + amplitude - q0 @ q0, q0 @ q0 - centre + amplitude)
    modified = lambda q, p: 0.5 * jnp.sum(p**2) + (1 - h**2 / 4) * 0.5 * jnp.sum(q**2)
    end, worst_seen = _TRAJECTORY(velocity_verlet, Q0, P0, 0.0, h, 100_000)
    assert 0.99 * worst <= float(worst_seen) <= worst + 1e-5
    np.testing.assert_allclose(float(modified(end.position, end.momentum)), float(modified(Q0, P0)), rtol=1e-4)


# Quartic target (c = 1): on the oscillator McLachlan's minimal-norm coefficients nearly
# cancel the h^2 term, so its order would only show below float32's resolution.
@pytest.mark.parametrize(
    "name, order, step_sizes",
    [
        ("velocity_verlet", 2, (0.4, 0.3, 0.2, 0.1)),
        ("mclachlan", 2, (0.2, 0.15, 0.1, 0.05)),
        ("yoshida", 4, (0.3, 0.25, 0.2, 0.15)),
    ],
)
def test_energy_error_scales_with_the_order_of_the_integrator(name, order, step_sizes):
    duration = 10.0
    errors = [
        float(_TRAJECTORY(INTEGRATORS[name], Q0, P0, 1.0, h, int(round(duration / h)))[1]) for h in step_sizes
    ]
    slope = np.polyfit(np.log(step_sizes), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.3, (name, errors, slope)


@pytest.mark.parametrize("coupling", [0.0, 1.0])
def test_mclachlan_beats_leapfrog_at_equal_gradient_cost(coupling):
    duration = 10.0
    for h in (0.1, 0.2):
        _, leapfrog = _TRAJECTORY(velocity_verlet, Q0, P0, coupling, h, int(round(duration / h)))
        _, two_stage = _TRAJECTORY(mclachlan, Q0, P0, coupling, 2 * h, int(round(duration / (2 * h))))
        assert float(two_stage) < float(leapfrog), (h, float(two_stage), float(leapfrog))


@pytest.mark.parametrize("name", sorted(INTEGRATORS))
def test_integrators_are_reversible(name):
    integrator = INTEGRATORS[name]
    forward, _ = _TRAJECTORY(integrator, Q0, P0, 1.0, 0.1, 200)
    assert float(jnp.max(jnp.abs(forward.position - Q0))) > 0.5  # it went somewhere
    back, _ = _TRAJECTORY(integrator, forward.position, -forward.momentum, 1.0, 0.1, 200)
    np.testing.assert_allclose(back.position, Q0, atol=1e-4)
    np.testing.assert_allclose(-back.momentum, P0, atol=1e-4)


def test_bad_coefficient_tables_and_names_are_rejected():
    with pytest.raises(ValueError, match=r"integrator 'lopsided': the b coefficients sum to 1\.1"):
        Integrator("lopsided", a=(1.0,), b=(0.5, 0.6))
    with pytest.raises(ValueError, match=r"integrator 'drifty': the a coefficients sum to 0\.9"):
        Integrator("drifty", a=(0.4, 0.5), b=(0.2, 0.6, 0.2))
    with pytest.raises(ValueError, match=r"integrator 'short': needs len\(b\) == len\(a\) \+ 1, got 2 and 2"):
        Integrator("short", a=(0.5, 0.5), b=(0.5, 0.5))
    known = r"\['mclachlan', 'velocity_verlet', 'yoshida'\]"
    with pytest.raises(ValueError, match=r"unknown integrator 'euler'; expected one of " + known):
        as_integrator("euler")
    assert as_integrator("yoshida") is yoshida and as_integrator(mclachlan) is mclachlan


# -------------------------------------------------------------------------------- metric

_DENSE_IMM = jnp.array([[2.0, 0.9, 0.0], [0.9, 1.0, -0.3], [0.0, -0.3, 0.5]])


@pytest.mark.parametrize("kind", ["diag", "dense"])
def test_momentum_has_covariance_the_mass_matrix(kind):
    imm = jnp.array([4.0, 1.0, 0.25]) if kind == "diag" else _DENSE_IMM
    mass = np.diag(1.0 / np.asarray(imm)) if kind == "diag" else np.linalg.inv(np.asarray(_DENSE_IMM))
    n = 20_000
    keys = jax.random.split(jax.random.PRNGKey(3), n)
    draws = np.asarray(jax.vmap(sample_momentum, (0, None, None))(keys, imm, jnp.zeros(3)), np.float64)
    assert draws.shape == (n, 3)
    # iid Gaussian draws: se(mean_i) = sqrt(M_ii / n), se(cov_ij) = sqrt((M_ii M_jj + M_ij^2) / n)
    se_mean = np.sqrt(np.diag(mass) / n)
    np.testing.assert_array_less(np.abs(draws.mean(0)), 5 * se_mean)
    covariance = draws.T @ draws / n
    se_cov = np.sqrt((np.outer(np.diag(mass), np.diag(mass)) + mass**2) / n)
    np.testing.assert_array_less(np.abs(covariance - mass), 5 * se_cov)
    if kind == "dense":  # M, not M^{-1}: the two differ by far more than the tolerance
        assert np.max(np.abs(covariance - np.asarray(imm)) / se_cov) > 50


def test_kinetic_energy_and_velocity_formulas():
    p = jnp.array([0.5, -1.0, 2.0])
    diag = jnp.array([4.0, 1.0, 0.25])
    np.testing.assert_allclose(velocity(diag, p), [2.0, -1.0, 0.5])
    np.testing.assert_allclose(kinetic_energy(diag, p), 0.5 * (4 * 0.25 + 1 + 0.25 * 4))
    expected_velocity = np.asarray(_DENSE_IMM) @ np.asarray(p)
    np.testing.assert_allclose(velocity(_DENSE_IMM, p), expected_velocity, rtol=1e-6)
    np.testing.assert_allclose(kinetic_energy(_DENSE_IMM, p), 0.5 * np.asarray(p) @ expected_velocity, rtol=1e-6)
    # a diagonal matrix written densely is the same metric
    np.testing.assert_allclose(kinetic_energy(jnp.diag(diag), p), kinetic_energy(diag, p), rtol=1e-6)


# ------------------------------------------------------------------------------- U-turn


def _arc(start_angle, end_angle, num_points=10):
    """Unit momenta (= velocities, unit metric) turning through an arc of a circle."""
    angles = np.linspace(start_angle, end_angle, num_points)
    return np.stack([np.cos(angles), np.sin(angles)], axis=-1)


def test_no_u_turn_on_arcs_shorter_and_longer_than_half_a_turn():
    # the summed momentum of a circular arc points at its middle; an end velocity has a
    # positive projection on it exactly while the arc spans less than pi
    for span, expected in ((0.9 * np.pi, True), (1.1 * np.pi, False), (0.2, True)):
        momenta = _arc(0.3, 0.3 + span)
        assert bool(no_u_turn(momenta[0], momenta[-1], momenta.sum(0))) is expected, span
    # a straight run never turns; going back past the start does
    assert bool(no_u_turn(jnp.array([1.0, 0.0]), jnp.array([1.0, 0.0]), jnp.array([5.0, 0.0])))
    assert not bool(no_u_turn(jnp.array([1.0, 0.0]), jnp.array([-1.0, 0.0]), jnp.array([-0.5, 0.0])))
    # stacked spans (one per tree level) are checked at once along the last axis
    starts = np.stack([_arc(0, 0.9 * np.pi)[0], _arc(0, 1.1 * np.pi)[0]])
    ends = np.stack([_arc(0, 0.9 * np.pi)[-1], _arc(0, 1.1 * np.pi)[-1]])
    sums = np.stack([_arc(0, 0.9 * np.pi).sum(0), _arc(0, 1.1 * np.pi).sum(0)])
    np.testing.assert_array_equal(no_u_turn(starts, ends, sums), [True, False])


def _halves(left_first, left_last, right_first, right_last):
    """Two halves of two points each (unit metric: velocity == momentum), in time order."""
    lf, ll, rf, rl = (jnp.array([x, 0.0]) for x in (left_first, left_last, right_first, right_last))
    return no_u_turn_across_halves(
        left_sum=lf + ll,
        left_first_velocity=lf,
        left_last_momentum=ll,
        left_last_velocity=ll,
        right_sum=rf + rl,
        right_first_momentum=rf,
        right_first_velocity=rf,
        right_last_velocity=rl,
    )


def test_seam_checks_catch_u_turns_that_the_whole_span_misses():
    # the whole span passes in each case below: the end velocities both have a positive
    # projection on the total momentum
    for momenta in ((1, 1, -3, 5), (5, -3, 1, 1)):
        total = sum(momenta)
        assert momenta[0] * total > 0 and momenta[-1] * total > 0
    assert bool(_halves(1.0, 1.0, 2.0, 5.0))  # no turn anywhere
    # left seam: rho_L + p_R,first = 1 + 1 - 3 < 0 against the left's first velocity
    assert not bool(_halves(1.0, 1.0, -3.0, 5.0))
    # right seam: rho_R + p_L,last = 1 + 1 - 3 < 0 against the right's last velocity
    assert not bool(_halves(5.0, -3.0, 1.0, 1.0))
    # and a plain turn of the whole span
    assert not bool(_halves(1.0, 1.0, -1.0, -2.0))


_STACK_POINTS = 64  # one sub-tree of depth 6: indices below 2**6 have popcount <= 6


@jax.jit
def _stack_turning(momenta, previous_momentum, inverse_mass_matrix):
    """Per point of a sub-tree built from ``momenta``: does NUTS's checkpoint stack find a
    U-turn in a balanced sub-tree that the point completes?"""
    zeros = jnp.zeros((7,) + momenta.shape[1:], momenta.dtype)

    def add_point(carry, momentum):
        stack, index, momentum_sum, previous = carry
        point_velocity = velocity(inverse_mass_matrix, momentum)
        row = _Checkpoints(momentum, point_velocity, momentum_sum, previous, velocity(inverse_mass_matrix, previous))
        stack = _push(stack, index, row)
        momentum_sum = momentum_sum + momentum
        turning = _turns_inside(stack, index, momentum_sum, point_velocity)
        return (stack, index + 1, momentum_sum, momentum), turning

    start = (_Checkpoints(*[zeros] * 5), jnp.int32(0), jnp.zeros_like(previous_momentum), previous_momentum)
    return lax.scan(add_point, start, momenta)[1]


def _recursive_turning_levels(momenta, previous_momentum, inverse_mass_matrix):
    """Per point ``c``: the levels ``k`` of the balanced sub-trees ``[c + 1 - 2**k, c]`` it
    completes that turn, each checked from its two halves directly, as Stan's recursion does."""
    momenta = np.concatenate([np.asarray(previous_momentum)[None], momenta])  # row i + 1 is point i
    velocities = momenta * inverse_mass_matrix
    levels = []
    for c in range(len(momenta) - 1):
        turning, k = [], 1
        while (c + 1) % 2**k == 0:
            left, right = slice(c + 2 - 2**k, c + 2 - 2 ** (k - 1)), slice(c + 2 - 2 ** (k - 1), c + 2)
            not_turning = no_u_turn_across_halves(
                left_sum=momenta[left].sum(0),
                left_first_velocity=velocities[left][0],
                left_last_momentum=momenta[left][-1],
                left_last_velocity=velocities[left][-1],
                right_sum=momenta[right].sum(0),
                right_first_momentum=momenta[right][0],
                right_first_velocity=velocities[right][0],
                right_last_velocity=velocities[right][-1],
            )
            if not bool(not_turning):
                turning.append(k)
            k += 1
        levels.append(turning)
    return levels


def test_checkpoint_stack_checks_every_balanced_sub_tree_like_the_recursion():
    # momenta circling at different rates, with noise: U-turns at every level from 1 to 6
    inverse_mass_matrix = np.array([1.0, 0.5, 2.0], np.float32)
    rng = np.random.default_rng(3)
    lowest_turning_levels = set()
    for rate in (0.02, 0.06, 0.1, 0.3, 1.0, 2.5):  # 0.02: no U-turn within 64 points
        angles = rate * np.arange(-1, _STACK_POINTS)
        circle = np.stack([np.cos(angles), np.sin(angles), np.zeros_like(angles)], axis=-1)
        momenta = (circle + 0.2 * rng.standard_normal(circle.shape)).astype(np.float32)
        expected = _recursive_turning_levels(momenta[1:], momenta[0], inverse_mass_matrix)
        got = _stack_turning(jnp.asarray(momenta[1:]), jnp.asarray(momenta[0]), jnp.asarray(inverse_mass_matrix))
        np.testing.assert_array_equal(np.asarray(got), [bool(levels) for levels in expected], err_msg=f"rate {rate}")
        lowest_turning_levels |= {min(levels) for levels in expected if levels}
    assert lowest_turning_levels == set(range(1, 7))  # the stack's deep rows were all used


# ------------------------------------------------------------------ HMC and NUTS kernels


class _Gaussian(eqx.Module):
    r""":math:`-\tfrac12 (x - \mu)^\top P (x - \mu)` inside the ball :math:`|x - \mu| <
    r`, and ``outside`` (-inf or NaN) beyond it. All arrays, so every instance shares one
    compiled ``_STEP``."""

    mean: jax.Array
    precision: jax.Array
    radius: jax.Array
    outside: jax.Array

    def __call__(self, x):
        d = x - self.mean
        inside = jnp.dot(d, d) < self.radius**2
        return jnp.where(inside, -0.5 * jnp.dot(d, self.precision @ d), self.outside)


def _gaussian(mean, covariance, radius=np.inf, outside=-np.inf):
    precision = np.linalg.inv(np.asarray(covariance, np.float64))
    arrays = (mean, precision, radius, outside)
    return _Gaussian(*(jnp.asarray(a, jnp.float32) for a in arrays))


def _params(step_size, inverse_mass_matrix):
    return KernelParams(jnp.asarray(step_size, jnp.float32), jnp.asarray(inverse_mass_matrix, jnp.float32))


_STEP = jax.jit(lambda kernel, key, state, params: kernel.step(key, state, params))
_HMC_STEPS = 5


def _kernel(name, target):
    if name == "nuts":
        return NUTSKernel(target)
    return HMCKernel(target, num_steps=_HMC_STEPS)


def _run(kernel, params, position, num_draws, seed):
    """``num_draws`` transitions of the jitted step from ``position``: draws and infos (numpy)."""
    state = kernel.init(jnp.asarray(position, jnp.float32))
    positions, infos = [], []
    for key in jax.random.split(jax.random.PRNGKey(seed), num_draws):
        state, info = _STEP(kernel, key, state, params)
        positions.append(state.position)
        infos.append(info)
    positions, infos = jax.device_get((positions, infos))
    return np.stack(positions).astype(np.float64), jax.tree.map(lambda *x: np.stack(x), *infos)


def _assert_moments_within_mcse(draws, mean, covariance):
    r"""Each mean and (co)variance within 5 Monte Carlo standard errors, with the ESS of the
    statistic from ArviZ; and 5 standard errors < 25% of each variance, so the test can tell a
    wrong one (NUTS's ESS for :math:`x^2` is about half the draws: 10% would need ~10^4)."""
    mean, covariance = np.asarray(mean), np.asarray(covariance)
    centred = draws - mean
    checks = [(f"mean[{i}]", draws[:, i], mean[i], False) for i in range(len(mean))]
    for i in range(len(mean)):
        for j in range(i, len(mean)):
            checks.append((f"cov[{i},{j}]", centred[:, i] * centred[:, j], covariance[i, j], i == j))
    for label, values, expected, is_variance in checks:
        mcse = float(az.mcse(values[None], method="mean"))
        assert abs(values.mean() - expected) < 5 * mcse, (label, values.mean(), expected, mcse)
        if is_variance:
            assert 5 * mcse < 0.25 * expected, (label, mcse)


_CORRELATED = ([1.0, -2.0], [[4.0, 0.8], [0.8, 0.25]])  # scales 2 and 0.5, correlation 0.8
_ANISOTROPIC = ([0.0, 3.0], [[100.0, 0.0], [0.0, 0.01]])  # scales 10 and 0.1
# (target, inverse mass matrix, NUTS step size, HMC step size): with a matched metric every
# direction has unit frequency and HMC's 5 steps of 0.3 run 1.5 time units (~ a quarter
# period, nearly independent draws); with the diagonal metric on the correlated target the
# frequencies are 0.75 and 2.24, and 5 steps of 0.2 keep both away from half periods
_RECOVERY = {
    "correlated-dense": (_CORRELATED, _CORRELATED[1], 0.8, 0.3),
    "correlated-diag": (_CORRELATED, np.diag(_CORRELATED[1]), 0.4, 0.2),
    "anisotropic-diag": (_ANISOTROPIC, np.diag(_ANISOTROPIC[1]), 0.8, 0.3),
}


@pytest.mark.parametrize("case", sorted(_RECOVERY))
@pytest.mark.parametrize("name", ["nuts", "hmc"])
def test_kernel_recovers_a_gaussian(name, case):
    (mean, covariance), imm, nuts_step, hmc_step = _RECOVERY[case]
    kernel = _kernel(name, _gaussian(mean, covariance))
    params = _params(nuts_step if name == "nuts" else hmc_step, imm)
    start = np.random.default_rng(11).multivariate_normal(mean, covariance)  # an exact draw: no burn-in
    draws, info = _run(kernel, params, start, 5000 if name == "nuts" else 3000, seed=1)
    _assert_moments_within_mcse(draws, mean, covariance)

    # what the info says about each draw
    precision = np.linalg.inv(covariance)
    centred = draws - np.asarray(mean)
    log_density = -0.5 * np.einsum("ni,ij,nj->n", centred, precision, centred)
    np.testing.assert_allclose(info.lp, log_density, rtol=1e-4, atol=1e-4)
    assert np.all(info.energy >= -info.lp - 1e-4)  # H = -lp + K with K >= 0
    assert np.all((info.acceptance_rate >= 0) & (info.acceptance_rate <= 1))
    assert not info.diverging.any()
    if name == "hmc":
        assert np.all(info.n_steps == _HMC_STEPS)
        assert np.mean(np.any(np.diff(draws, axis=0) != 0, axis=1)) > 0.5  # it moves
    else:
        # depth d: sub-trees of 1, 2, ..., 2^(d-1) points, the last one possibly cut short
        depth, steps = info.tree_depth, info.n_steps
        assert np.all((depth >= 1) & (depth <= kernel.max_tree_depth))
        assert np.all((steps >= 2 ** (depth - 1)) & (steps <= 2**depth - 1))


@pytest.mark.parametrize("outside", [np.nan, -np.inf])
@pytest.mark.parametrize("name", ["nuts", "hmc"])
def test_a_step_into_an_undefined_region_diverges_and_keeps_the_state(name, outside):
    # the log density is outside beyond radius 1; a step of 100 leaves the ball at once
    kernel = _kernel(name, _gaussian([0.0, 0.0], np.eye(2), radius=1.0, outside=outside))
    state = kernel.init(jnp.array([0.5, 0.0]))
    for seed in range(4):
        new_state, info = _STEP(kernel, jax.random.PRNGKey(seed), state, _params(100.0, [1.0, 1.0]))
        for new, old in zip(new_state, state):
            np.testing.assert_array_equal(new, old)
        assert bool(info.diverging) and float(info.acceptance_rate) == 0.0
        assert float(info.lp) == float(state.log_density) and np.isfinite(float(info.energy))
        if name == "nuts":
            assert int(info.tree_depth) == 1 and int(info.n_steps) == 1


@pytest.mark.parametrize("name", ["nuts", "hmc"])
def test_trajectories_that_leave_the_support_never_move_the_chain_outside(name):
    # truncated standard normal, NaN beyond radius 1.5: some trajectories cross the edge
    kernel = _kernel(name, _gaussian([0.0, 0.0], np.eye(2), radius=1.5, outside=np.nan))
    draws, info = _run(kernel, _params(0.5, [1.0, 1.0]), [0.1, -0.2], 300, seed=5)
    assert info.diverging.sum() > 10
    assert np.all(np.isfinite(info.lp)) and np.all(np.sum(draws**2, axis=1) < 1.5**2)
    assert np.mean(np.any(np.diff(draws, axis=0) != 0, axis=1)) > 0.3


# A standard normal whose log density counts its Python calls: each call is a trace.
_CALLS = {"nuts": 0, "hmc": 0}


def _counting_standard_normal(name):
    def log_density(x):
        _CALLS[name] += 1
        return -0.5 * jnp.sum(x**2)

    return log_density


_COUNTED_NUTS = NUTSKernel(_counting_standard_normal("nuts"))
_COUNTED_HMC = HMCKernel(_counting_standard_normal("hmc"), trajectory_length=1.5)
_COUNTED_STEP = {"nuts": jax.jit(_COUNTED_NUTS.step), "hmc": jax.jit(_COUNTED_HMC.step)}


def _standard_normal_state(position):
    """The state at ``position`` without calling (and counting) the log density."""
    position = jnp.asarray(position, jnp.float32)
    return HMCState(position, -0.5 * jnp.sum(position**2), -position)


@pytest.mark.parametrize("name", ["nuts", "hmc"])
def test_log_density_is_traced_once_across_step_sizes_and_metrics(name):
    step = _COUNTED_STEP[name]
    state = _standard_normal_state([0.3, -1.2])
    steps_taken = []
    for i, (step_size, imm) in enumerate([(0.05, [1.0, 1.0]), (0.3, [2.0, 0.5]), (1.0, [0.1, 3.0]), (0.7, [1.0, 1.0])]):
        state, info = step(jax.random.PRNGKey(i), state, _params(step_size, imm))
        steps_taken.append(int(info.n_steps))
        if name == "hmc":  # the trajectory length is kept: ceil(1.5 / step size) steps
            assert steps_taken[-1] == math.ceil(1.5 / step_size)
    assert _CALLS[name] == 1
    assert len(set(steps_taken)) > 1  # the new step sizes were used, not baked in
    # the info of a skipped iteration has the same types as a real one
    kernel = _COUNTED_NUTS if name == "nuts" else _COUNTED_HMC
    empty = kernel.empty_info(state)
    assert type(empty) is type(info)
    for got, want in zip(empty, info):
        assert (jnp.shape(got), jnp.result_type(got)) == (jnp.shape(want), jnp.result_type(want))


@pytest.mark.parametrize("step_size", [0.5, 1.5])
@pytest.mark.parametrize("name", ["nuts", "hmc"])
def test_one_step_from_an_exact_draw_leaves_the_standard_normal_invariant(name, step_size):
    # detailed balance, checked in distribution: if x ~ N(0, I) then so is the next state.
    # Step size 1.5 has large energy errors, so a wrong acceptance rule shows (0.5 barely
    # rejects: accepting with exp(-dH / 2) instead of exp(-dH) passes there).
    n = 2000
    starts = np.random.default_rng(7).standard_normal((n, 2))
    keys = jax.random.split(jax.random.PRNGKey(8), n)
    step, params = _COUNTED_STEP[name], _params(step_size, [1.0, 1.0])
    ends = [step(key, _standard_normal_state(x), params)[0].position for key, x in zip(keys, starts)]
    ends = np.asarray(jax.device_get(ends), np.float64)
    assert np.mean(np.any(ends != starts, axis=1)) > 0.8  # it moves
    for coordinate in range(2):
        assert stats.kstest(ends[:, coordinate], "norm").pvalue > 1e-3
    assert stats.kstest(np.sum(ends**2, axis=1), "chi2", args=(2,)).pvalue > 1e-3


def test_nuts_stops_at_the_maximum_tree_depth():
    # from the mode the motion is along p: q = p sin t, no U-turn before t = pi / 2, and
    # 1023 steps of 1e-3 reach t = 1.02, so every doubling up to depth 10 is completed
    state = _standard_normal_state([0.0, 0.0])
    for seed in range(3):
        _, info = _COUNTED_STEP["nuts"](jax.random.PRNGKey(seed), state, _params(1e-3, [1.0, 1.0]))
        assert int(info.tree_depth) == _COUNTED_NUTS.max_tree_depth == 10
        assert int(info.n_steps) == 2**10 - 1


def test_kernel_settings_are_checked():
    f = lambda x: -0.5 * jnp.sum(x**2)
    with pytest.raises(ValueError, match=r"max_tree_depth must be an integer in \[1, 30\], got 0"):
        NUTSKernel(f, max_tree_depth=0)
    with pytest.raises(ValueError, match="exactly one of num_steps and trajectory_length"):
        HMCKernel(f)
    with pytest.raises(ValueError, match="exactly one of num_steps and trajectory_length"):
        HMCKernel(f, num_steps=3, trajectory_length=1.0)
    with pytest.raises(ValueError, match="num_steps must be a positive integer, got 0"):
        HMCKernel(f, num_steps=0)
    with pytest.raises(ValueError, match=r"trajectory_length must be positive, got -1\.0"):
        HMCKernel(f, trajectory_length=-1.0)
    capped = HMCKernel(f, trajectory_length=2.0, max_num_steps=50)
    assert [int(capped.num_integration_steps(h)) for h in (0.3, 2.0, 5.0, 1e-4)] == [7, 1, 1, 50]
