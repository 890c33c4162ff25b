"""A model's log density over the flat unconstrained vector, and how a start is found.

Covers ``bayesmodels.infer.initialize_model`` and what it returns:

- ``log_density_fn`` (a ``BoundDensity``) equals a log density written by hand with
  ``jax.scipy`` formulas and *independently written* transforms and Jacobians (exp,
  scaled sigmoid, stick breaking, the correlation-Cholesky map), for models with
  positive, interval (also with a latent bound), simplex and Cholesky-factor latents,
  a plate with observed data, and latents inside a plate; its gradient matches central
  finite differences in float64;
- ``constrain`` / ``unconstrain`` (and ``infer.util.constrain_fn`` / ``unconstrain_fn``,
  ``postprocess_fn`` with deterministic sites) round trip;
- the data are arguments, not constants: new data of the same shape reuse the compiled
  log density (the model body is not run again), new shapes retrace;
- the init strategies, ``init_params``, and the errors when no start can be found, when
  nothing is latent, or when a latent site is discrete;
- ``mask``, ``scale`` and ``obs_mask`` imputation in the log density.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy import stats as jstats
from jax.scipy.special import betaln, gammaln

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.infer import (
    init_to_feasible,
    init_to_mean,
    init_to_median,
    init_to_sample,
    init_to_uniform,
    init_to_value,
    initialize_model,
)
from bayesmodels.infer.util import constrain_fn, unconstrain_fn, value_and_grad

KEY = jax.random.PRNGKey(0)
LOG2 = math.log(2.0)


def _close(actual, expected, rtol=1e-10, atol=1e-10):
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _split(layout, z) -> dict:
    """Flat position -> {site: unconstrained block}, from the layout's slots."""
    parts = {}
    for slot in layout.slots:
        size = math.prod(slot.unconstrained_shape)
        parts[slot.name] = jnp.reshape(z[slot.offset : slot.offset + size], slot.unconstrained_shape)
    return parts


# ------------------------------------------------------ hand-written transforms (not the library's)


def _sigmoid(z):
    return 1.0 / (1.0 + jnp.exp(-z))


def _to_positive(z):
    """x = exp(z); log J = z (elementwise)."""
    return jnp.exp(z), z


def _to_interval(z, low, high):
    """x = low + (high - low) sigmoid(z); log J = log(high - low) + log s + log(1 - s)."""
    s = _sigmoid(z)
    return low + (high - low) * s, jnp.log(high - low) + jnp.log(s) + jnp.log(1.0 - s)


def _stick_breaking(x):
    """R^{K-1} -> simplex in R^K (Stan / NumPyro): break off sigmoid(x_k - log(K-1-k))
    of what is left of the stick; the last entry is the remainder."""
    k_minus_1 = x.shape[0]
    pieces, left = [], 1.0
    for k in range(k_minus_1):
        fraction = _sigmoid(x[k] - jnp.log(float(k_minus_1 - k)))
        pieces.append(left * fraction)
        left = left * (1.0 - fraction)
    return jnp.stack(pieces + [left])


@jax.jit  # one compilation instead of many small eager ones
def _to_simplex(x):
    """Simplex value and log|det J| with respect to its first K-1 entries."""
    jacobian = jax.jacobian(lambda v: _stick_breaking(v)[:-1])(x)
    return _stick_breaking(x), jnp.linalg.slogdet(jacobian)[1]


def _corr_cholesky(x, dim):
    """R^{d(d-1)/2} -> Cholesky factor of a correlation matrix: t = tanh(x) placed row by
    row in the strict lower triangle; each row is signed stick breaking of unit length."""
    t = jnp.tanh(x)
    rows, n = [], 0
    for i in range(dim):
        row, left = [], 1.0
        for _ in range(i):
            row.append(t[n] * jnp.sqrt(left))
            left = left * (1.0 - t[n] ** 2)
            n += 1
        row.append(jnp.sqrt(left))
        row.extend([jnp.zeros_like(x[0])] * (dim - i - 1))
        rows.append(jnp.stack(row))
    return jnp.stack(rows)


@functools.partial(jax.jit, static_argnums=1)
def _to_corr_cholesky(x, dim):
    """Cholesky factor and log|det J| with respect to its strictly lower entries."""
    lower = np.tril_indices(dim, -1)
    jacobian = jax.jacobian(lambda v: _corr_cholesky(v, dim)[lower])(x)
    return _corr_cholesky(x, dim), jnp.linalg.slogdet(jacobian)[1]


# ------------------------------------------------------------- hand-written log densities


def _half_normal(x, scale):
    return LOG2 + jstats.norm.logpdf(x, 0.0, scale)


def _log_normal(x, loc, scale):
    return jstats.norm.logpdf(jnp.log(x), loc, scale) - jnp.log(x)


def _gamma(x, concentration, rate):
    return jstats.gamma.logpdf(x, concentration, scale=1.0 / rate)


def _dirichlet(p, alpha):
    return gammaln(alpha.sum()) - gammaln(alpha).sum() + ((alpha - 1.0) * jnp.log(p)).sum()


def _lkj_cholesky(L, eta):
    """LKJ density of the Cholesky factor w.r.t. its strict lower triangle: the LKJ (2009)
    normaliser of det(C)^(eta-1), times |dC/dL| = prod_j L_jj^(d-1-j)."""
    d = L.shape[-1]
    log_norm = 0.0
    for k in range(1, d):
        b = eta + (d - k - 1) / 2
        log_norm = log_norm + (2 * eta - 2 + d - k) * (d - k) * LOG2 + (d - k) * betaln(b, b)
    diag = jnp.diagonal(L)
    exponents = 2 * (eta - 1) + (d - 1 - jnp.arange(d))
    return (exponents * jnp.log(diag)).sum() - log_norm


def _lkj_vine(x, eta, dim):
    """The same density as a density of x, from the C-vine: the partial correlation
    t_ij = tanh(x_ij) (column j) is Beta(b_j, b_j) on (-1, 1), b_j = eta + (d - 2 - j)/2."""
    total, n = 0.0, 0
    for i in range(dim):
        for j in range(i):
            t = jnp.tanh(x[n])
            b = eta + (dim - 2 - j) / 2
            total = total + jstats.beta.logpdf((t + 1) / 2, b, b) - LOG2 + jnp.log(1 - t**2)
            n += 1
    return total


# ------------------------------------------------------------------------------- models


def positive_model():
    bm.sample("s", dist.HalfNormal(2.0))
    bm.sample("g", dist.Gamma(2.0, 3.0))
    bm.sample("ln", dist.LogNormal(0.5, 0.7))


def positive_hand(p):
    s, js = _to_positive(p["s"])
    g, jg = _to_positive(p["g"])
    ln, jln = _to_positive(p["ln"])
    log_p = _half_normal(s, 2.0) + js + _gamma(g, 2.0, 3.0) + jg + _log_normal(ln, 0.5, 0.7) + jln
    return log_p, {"s": s, "g": g, "ln": ln}


def interval_model():
    bm.sample("u", dist.Uniform(-1.0, 3.0))
    bm.sample("b", dist.Beta(2.0, 3.0))
    s = bm.sample("s", dist.HalfNormal(1.0))
    bm.sample("w", dist.Uniform(0.0, s))  # the interval's bound is itself latent


def interval_hand(p):
    u, ju = _to_interval(p["u"], -1.0, 3.0)
    b, jb = _to_interval(p["b"], 0.0, 1.0)
    s, js = _to_positive(p["s"])
    w, jw = _to_interval(p["w"], 0.0, s)
    log_p = (
        (-jnp.log(4.0) + ju)
        + (jstats.beta.logpdf(b, 2.0, 3.0) + jb)
        + (_half_normal(s, 1.0) + js)
        + (-jnp.log(s) + jw)
    )
    return log_p, {"u": u, "b": b, "s": s, "w": w}


ALPHA = np.array([1.5, 2.0, 3.0, 0.7])


def simplex_model():
    bm.sample("p", dist.Dirichlet(jnp.asarray(ALPHA)))
    with bm.plate("groups", 2):
        bm.sample("q", dist.Dirichlet(2.0 * jnp.ones(3)))


def simplex_hand(parts):
    p, jp = _to_simplex(parts["p"])
    q0, jq0 = _to_simplex(parts["q"][0])
    q1, jq1 = _to_simplex(parts["q"][1])
    two = 2.0 * jnp.ones(3)
    log_p = _dirichlet(p, jnp.asarray(ALPHA)) + jp + _dirichlet(q0, two) + jq0 + _dirichlet(q1, two) + jq1
    return log_p, {"p": p, "q": jnp.stack([q0, q1])}


def cholesky_model(y):
    L = bm.sample("L", dist.LKJCholesky(3, 2.0))
    with bm.plate("data", y.shape[0]):
        bm.sample("y", dist.MultivariateNormal(jnp.zeros(3), scale_tril=L), obs=y)


@jax.jit
def cholesky_hand(parts, y):
    L, jL = _to_corr_cholesky(parts["L"], 3)
    log_lik = jstats.multivariate_normal.logpdf(y, jnp.zeros(3), L @ L.T).sum()
    return _lkj_cholesky(L, 2.0) + jL + log_lik, {"L": L}


def regression_model(x, y):
    alpha = bm.sample("alpha", dist.Normal(0.0, 5.0))
    beta = bm.sample("beta", dist.Normal(0.0, 2.0))
    sigma = bm.sample("sigma", dist.HalfNormal(1.0))
    mean = bm.deterministic("mean", alpha + beta * x)
    with bm.plate("data", x.shape[0]):
        bm.sample("y", dist.Normal(mean, sigma), obs=y)


def regression_hand(parts, x, y):
    alpha, beta = parts["alpha"], parts["beta"]
    sigma, js = _to_positive(parts["sigma"])
    log_p = (
        jstats.norm.logpdf(alpha, 0.0, 5.0)
        + jstats.norm.logpdf(beta, 0.0, 2.0)
        + _half_normal(sigma, 1.0)
        + js
        + jstats.norm.logpdf(y, alpha + beta * x, sigma).sum()
    )
    return log_p, {"alpha": alpha, "beta": beta, "sigma": sigma}


def hierarchical_model(y, sigma):
    mu = bm.sample("mu", dist.Normal(0.0, 5.0))
    tau = bm.sample("tau", dist.HalfNormal(5.0))
    with bm.plate("school", y.shape[0]):
        theta = bm.sample("theta", dist.Normal(mu, tau))
        inflation = bm.sample("inflation", dist.LogNormal(0.0, 0.5))
        bm.sample("y", dist.Normal(theta, sigma * inflation), obs=y)
    bm.deterministic("shrinkage", theta - mu)


def hierarchical_hand(parts, y, sigma):
    mu = parts["mu"]
    tau, jt = _to_positive(parts["tau"])
    theta = parts["theta"]
    inflation, ji = _to_positive(parts["inflation"])
    log_p = (
        jstats.norm.logpdf(mu, 0.0, 5.0)
        + _half_normal(tau, 5.0)
        + jt
        + jstats.norm.logpdf(theta, mu, tau).sum()
        + (_log_normal(inflation, 0.0, 0.5) + ji).sum()
        + jstats.norm.logpdf(y, theta, sigma * inflation).sum()
    )
    return log_p, {"mu": mu, "tau": tau, "theta": theta, "inflation": inflation}


class Case(NamedTuple):
    model: Callable
    args: Callable  # () -> model args, built inside the float64 context
    hand: Callable  # (parts, *args) -> (log density, constrained latent values)
    layout: tuple  # (name, shape, unconstrained shape) per slot, in order
    deterministic: Callable | None = None  # (constrained values, *args) -> {site: value}


def _cholesky_data():
    return (jnp.array([[0.3, -1.0, 0.5], [1.2, 0.4, -0.2], [-0.7, 0.1, 0.9], [0.2, 0.8, 1.1]]),)


def _regression_data():
    return (jnp.array([-1.0, 0.0, 0.5, 2.0, 3.0]), jnp.array([-2.1, 0.3, 0.9, 3.8, 6.2]))


def _hierarchical_data():
    return (jnp.array([2.0, -1.0, 4.0]), jnp.array([1.0, 2.0, 1.5]))


CASES = {
    "positive": Case(
        positive_model, lambda: (), positive_hand, (("s", (), ()), ("g", (), ()), ("ln", (), ()))
    ),
    "interval": Case(
        interval_model,
        lambda: (),
        interval_hand,
        (("u", (), ()), ("b", (), ()), ("s", (), ()), ("w", (), ())),
    ),
    "simplex": Case(simplex_model, lambda: (), simplex_hand, (("p", (4,), (3,)), ("q", (2, 3), (2, 2)))),
    "cholesky": Case(cholesky_model, _cholesky_data, cholesky_hand, (("L", (3, 3), (3,)),)),
    "regression": Case(
        regression_model,
        _regression_data,
        regression_hand,
        (("alpha", (), ()), ("beta", (), ()), ("sigma", (), ())),
        lambda v, x, y: {"mean": v["alpha"] + v["beta"] * x},
    ),
    "hierarchical": Case(
        hierarchical_model,
        _hierarchical_data,
        hierarchical_hand,
        (("mu", (), ()), ("tau", (), ()), ("theta", (3,), (3,)), ("inflation", (3,), (3,))),
        lambda v, y, sigma: {"shrinkage": v["theta"] - v["mu"]},
    ),
}


@functools.cache
def _built(name):
    """(info, args) for a case: one ``initialize_model`` per model, in float64 (call only
    inside ``jax.enable_x64(True)``)."""
    case = CASES[name]
    args = case.args()
    return initialize_model(KEY, case.model, model_args=args), args


def _positions(size, count=3):
    return [1.5 * jax.random.normal(jax.random.PRNGKey(10 + i), (size,)) for i in range(count)]


# ----------------------------------------------------------- log density vs hand-written


@pytest.mark.parametrize("name", list(CASES))
def test_layout_lists_latent_sites_with_shapes_and_offsets(name):
    with jax.enable_x64(True):
        info, _ = _built(name)
        slots = info.layout.slots
        assert [(s.name, s.shape, s.unconstrained_shape) for s in slots] == list(CASES[name].layout)
        offsets = np.cumsum([0] + [math.prod(s.unconstrained_shape) for s in slots])
        assert [s.offset for s in slots] == list(offsets[:-1])
        assert info.layout.size == offsets[-1]
        assert info.param_info.z.shape == (offsets[-1],)


@pytest.mark.parametrize("name", list(CASES))
def test_log_density_equals_hand_written_density_with_jacobians(name):
    with jax.enable_x64(True):
        info, args = _built(name)
        bound = info.log_density_fn
        for z in _positions(info.layout.size):
            assert z.dtype == jnp.float64
            expected, _ = CASES[name].hand(_split(info.layout, z), *args)
            _close(bound(z), expected, rtol=1e-10, atol=1e-10)


def test_hand_written_lkj_density_agrees_with_its_c_vine_form():
    # Two independent derivations of the LKJ density in unconstrained space (normaliser
    # and Jacobian, or independent Beta partial correlations): a check on this file's own
    # formulas, so that the comparison with the library means something.
    with jax.enable_x64(True):
        for x in _positions(3, count=2):
            L, log_det = _to_corr_cholesky(x, 3)
            _close(_lkj_cholesky(L, 2.0) + log_det, _lkj_vine(x, 2.0, 3), rtol=1e-12, atol=1e-12)
        # For d = 2 the correlation r = L[1, 0] has (r + 1) / 2 ~ Beta(eta, eta).
        L2 = jnp.array([[1.0, 0.0], [0.6, 0.8]])
        _close(_lkj_cholesky(L2, 2.0), jstats.beta.logpdf(0.8, 2.0, 2.0) - LOG2, rtol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_log_density_gradient_matches_central_finite_differences(name):
    with jax.enable_x64(True):
        info, _ = _built(name)
        bound = info.log_density_fn
        h = 1e-5
        for z in _positions(info.layout.size, count=2):
            value, grad = value_and_grad(bound, z)  # the compiled gradient samplers use
            _close(value, bound(z), rtol=1e-12, atol=1e-12)
            basis = np.eye(z.shape[0])
            fd = [(bound(z + h * e) - bound(z - h * e)) / (2 * h) for e in basis]
            _close(grad, fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["regression", "hierarchical"])
def test_site_log_densities_sum_to_the_log_density_and_name_jacobian_factors(name):
    with jax.enable_x64(True):
        info, _ = _built(name)
        z = _positions(info.layout.size, count=1)[0]
        per_site = info.log_density_fn.site_log_densities(z)
        for slot in info.layout.slots:
            assert slot.name in per_site and f"_{slot.name}_log_det" in per_site
        assert "y" in per_site
        _close(sum(per_site.values()), info.log_density_fn(z))
        if name == "hierarchical":  # a positive latent in a plate: log J summed over it
            _close(per_site["_inflation_log_det"], _split(info.layout, z)["inflation"].sum())


# --------------------------------------------------------------- constrain / unconstrain


@pytest.mark.parametrize("name", list(CASES))
def test_constrain_gives_hand_transformed_values_in_the_support(name):
    with jax.enable_x64(True):
        info, args = _built(name)
        bound = info.log_density_fn
        for z in _positions(info.layout.size, count=2):
            _, expected = CASES[name].hand(_split(info.layout, z), *args)
            values = bound.constrain(z)
            for slot in info.layout.slots:
                assert values[slot.name].shape == slot.shape
                _close(values[slot.name], expected[slot.name], rtol=1e-12, atol=1e-12)
            model_trace = bound.density.trace(z, *bound.args, **bound.kwargs)  # supports at z
            for slot in info.layout.slots:
                support = model_trace[slot.name].fn.support
                assert bool(jnp.all(support(values[slot.name]))), slot.name


def test_constrained_values_satisfy_their_constraints_independently():
    with jax.enable_x64(True):
        z_simplex = _positions(_built("simplex")[0].layout.size, count=1)[0]
        values = _built("simplex")[0].log_density_fn.constrain(z_simplex)
        for simplex in (values["p"], values["q"][0], values["q"][1]):
            assert bool(jnp.all(simplex > 0))
            _close(simplex.sum(), 1.0, rtol=0, atol=1e-14)
        L = _built("cholesky")[0].log_density_fn.constrain(jnp.array([0.4, -1.2, 2.0]))["L"]
        assert bool(jnp.all(jnp.diagonal(L) > 0))
        _close(jnp.triu(L, 1), np.zeros((3, 3)), atol=0)
        _close(jnp.diagonal(L @ L.T), np.ones(3), atol=1e-14)
        info, _ = _built("interval")
        values = info.log_density_fn.constrain(jnp.array([4.0, -4.0, 0.3, 2.5]))
        assert -1.0 < values["u"] < 3.0 and 0.0 < values["b"] < 1.0 and 0.0 < values["w"] < values["s"]


@pytest.mark.parametrize("name", list(CASES))
def test_unconstrain_inverts_constrain(name):
    with jax.enable_x64(True):
        info, _ = _built(name)
        bound = info.log_density_fn
        for z in _positions(info.layout.size, count=2):
            latents = bound.constrain(z, return_deterministic=False)
            assert set(latents) == set(info.layout.names)
            _close(bound.unconstrain(latents), z, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["regression", "hierarchical", "simplex"])
def test_constrain_fn_and_unconstrain_fn_work_on_dicts(name):
    with jax.enable_x64(True):
        info, args = _built(name)
        case = CASES[name]
        z = _positions(info.layout.size, count=1)[0]
        params = info.layout.unravel(z)
        latents = constrain_fn(case.model, args, {}, params)
        assert set(latents) == set(info.layout.names)  # no deterministic sites by default
        _, expected = case.hand(_split(info.layout, z), *args)
        for site in latents:
            _close(latents[site], expected[site], rtol=1e-12, atol=1e-12)
        with_det = constrain_fn(case.model, args, {}, params, return_deterministic=True)
        deterministic = case.deterministic(expected, *args) if case.deterministic else {}
        assert set(with_det) == set(info.layout.names) | set(deterministic)
        back = unconstrain_fn(case.model, args, {}, latents)
        assert set(back) == set(info.layout.names)
        for site in back:
            _close(back[site], params[site], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["regression", "hierarchical"])
def test_postprocess_fn_includes_deterministic_sites(name):
    with jax.enable_x64(True):
        info, args = _built(name)
        case = CASES[name]
        z = _positions(info.layout.size, count=1)[0]
        _, latents = case.hand(_split(info.layout, z), *args)
        expected = {**latents, **case.deterministic(latents, *args)}
        out = info.postprocess_fn(z)
        assert set(out) == set(expected)
        for site, value in expected.items():
            _close(out[site], value, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------ data are not baked in

TRACES = {"count": 0}


def counted_regression(x, y):
    TRACES["count"] += 1  # once per run of the model body: eagerly, or while tracing
    regression_model(x, y)


@functools.cache
def _counted():
    x, y = (jnp.asarray(a, jnp.float32) for a in _regression_data())
    return initialize_model(KEY, counted_regression, model_args=(x, y)), x, y


def _hand_value_and_grad(z, layout, x, y):
    return jax.value_and_grad(lambda v: regression_hand(_split(layout, v), x, y)[0])(z)


def test_value_and_grad_is_not_retraced_for_new_data_of_the_same_shape():
    info, x, y = _counted()
    bound = info.log_density_fn
    z = jnp.array([0.3, 1.1, -0.4], jnp.float32)
    value_and_grad(bound, z)
    runs = TRACES["count"]
    previous = None
    for shift in (1.0, -2.0, 5.0):
        new_y = y + shift
        value, grad = value_and_grad(info.log_density_fn.density.bind(x, new_y), z)
        assert TRACES["count"] == runs, "new data values must reuse the compiled log density"
        expected_value, expected_grad = _hand_value_and_grad(z, info.layout, x, new_y)
        _close(value, expected_value, rtol=2e-6, atol=1e-5)
        _close(grad, expected_grad, rtol=2e-5, atol=1e-4)
        assert previous is None or float(value) != previous  # the data really changed it
        previous = float(value)
    longer_x, longer_y = jnp.linspace(-1.0, 1.0, 7), jnp.linspace(0.0, 2.0, 7)
    value, _ = value_and_grad(info.log_density_fn.density.bind(longer_x, longer_y), z)
    assert TRACES["count"] == runs + 1, "data of a new shape must retrace (once)"
    _close(value, _hand_value_and_grad(z, info.layout, longer_x, longer_y)[0], rtol=2e-6, atol=1e-5)


def test_jax_jit_over_a_bound_density_traces_once_for_new_data_values():
    info, x, y = _counted()
    evaluate = jax.jit(lambda bound, z: bound(z))
    z = jnp.array([-0.2, 0.5, 0.7], jnp.float32)
    evaluate(info.log_density_fn, z)
    runs = TRACES["count"]
    for shift in (0.5, 3.0):
        new_y = y * shift
        value = evaluate(info.log_density_fn.density.bind(x, new_y), z)
        assert TRACES["count"] == runs
        _close(value, _hand_value_and_grad(z, info.layout, x, new_y)[0], rtol=2e-6, atol=1e-5)


# ------------------------------------------------------------------------ initialize_model


def init_model():
    bm.sample("x", dist.Normal(10.0, 1.0))
    bm.sample("s", dist.HalfNormal(1.0))
    bm.sample("g", dist.Gamma(2.0, 3.0))
    bm.sample("p", dist.Dirichlet(jnp.array([1.0, 2.0, 5.0])))
    with bm.plate("items", 6):
        bm.sample("theta", dist.Normal(0.0, 1.0))


INIT_SIZE = 1 + 1 + 1 + 2 + 6


def _init(**kwargs):
    info = initialize_model(jax.random.PRNGKey(3), init_model, **kwargs)
    assert info.param_info.z.shape == (INIT_SIZE,)
    return info, info.postprocess_fn(info.param_info.z)


def test_initialize_model_returns_finite_log_density_and_its_gradient():
    info, _ = _init()
    z = info.param_info.z
    assert z.shape == (info.layout.size,)
    assert bool(jnp.isfinite(info.param_info.log_density))
    assert bool(jnp.all(jnp.isfinite(info.param_info.z_grad)))
    _close(info.param_info.log_density, info.log_density_fn(z), rtol=1e-6, atol=1e-5)
    h = 1e-3  # float32: central differences good to ~1e-3 relative
    fd = [(info.log_density_fn(z + h * e) - info.log_density_fn(z - h * e)) / (2 * h) for e in np.eye(z.size)]
    _close(info.param_info.z_grad, fd, rtol=2e-2, atol=2e-2)
    assert info.model_trace["x"].type == "sample" and not info.model_trace["x"].is_observed


@pytest.mark.parametrize("radius", [2.0, 0.5])
def test_init_to_uniform_stays_inside_the_radius_in_unconstrained_space(radius):
    strategy = init_to_uniform if radius == 2.0 else init_to_uniform(radius=radius)
    info, _ = _init(init_strategy=strategy)
    z = np.asarray(info.param_info.z)
    assert np.all(np.abs(z) <= radius)
    assert np.abs(z).max() > radius / 4  # spread over the box, not a point
    assert len(np.unique(z)) == z.size


def test_init_to_feasible_is_unconstrained_zero():
    info, values = _init(init_strategy=init_to_feasible)
    _close(info.param_info.z, np.zeros(INIT_SIZE), atol=0)
    _close(values["s"], 1.0, atol=1e-7)
    _close(values["p"], np.full(3, 1.0 / 3.0), atol=1e-7)


def test_init_to_median_is_near_the_prior_median():
    _, values = _init(init_strategy=init_to_median)
    # Median of 15 draws from Normal(10, 1): standard error ~ 1.2533 / sqrt(15); 5 of them.
    assert abs(float(values["x"]) - 10.0) < 5 * 1.2533 / math.sqrt(15)
    assert float(values["x"]) != 10.0  # a median of draws, not the exact location
    # Sites whose elementwise median may leave the support still get a valid start.
    _close(values["p"].sum(), 1.0, atol=1e-6)
    assert np.all(np.abs(np.asarray(values["theta"])) < 5 * 1.2533 / math.sqrt(15))


def test_init_to_mean_is_the_prior_mean():
    _, values = _init(init_strategy=init_to_mean)
    _close(values["x"], 10.0, rtol=1e-6)
    _close(values["s"], math.sqrt(2 / math.pi), rtol=1e-6)
    _close(values["g"], 2.0 / 3.0, rtol=1e-6)
    _close(values["p"], np.array([1.0, 2.0, 5.0]) / 8.0, rtol=1e-6)
    _close(values["theta"], np.zeros(6), atol=1e-6)


def test_init_to_mean_falls_back_to_the_median_where_the_mean_is_undefined():
    def model():
        bm.sample("c", dist.Cauchy(4.0, 1.0))

    info = initialize_model(KEY, model, init_strategy=init_to_mean)
    c = float(info.postprocess_fn(info.param_info.z)["c"])
    # Median of 15 Cauchy draws: standard error ~ (pi / 2) / sqrt(15); 5 of them.
    assert np.isfinite(c) and abs(c - 4.0) < 5 * (math.pi / 2) / math.sqrt(15)


def test_init_to_sample_is_a_prior_draw():
    info, values = _init(init_strategy=init_to_sample)
    assert abs(float(values["x"]) - 10.0) < 5.0  # far outside init_to_uniform's range
    assert float(values["s"]) > 0 and float(values["g"]) > 0
    other, _ = _init(init_strategy=init_to_sample, max_tries=2)
    _close(other.param_info.z, info.param_info.z, atol=0)  # same key, same draw
    with_other_key = initialize_model(jax.random.PRNGKey(4), init_model, init_strategy=init_to_sample)
    assert float(with_other_key.postprocess_fn(with_other_key.param_info.z)["x"]) != float(values["x"])


def test_init_to_value_sets_named_sites_exactly_and_the_rest_uniformly():
    info, values = _init(init_strategy=init_to_value(values={"x": 10.5, "s": 2.0}))
    _close(values["x"], 10.5, rtol=1e-6)
    _close(values["s"], 2.0, rtol=1e-6)
    parts = _split(info.layout, info.param_info.z)
    for name in ("g", "p", "theta"):
        assert np.all(np.abs(np.asarray(parts[name])) <= 2.0)


def test_init_params_are_used_as_the_start():
    p = np.array([0.2, 0.3, 0.5])
    theta = np.linspace(-1.0, 1.0, 6)
    full = {"x": 9.0, "s": 0.5, "g": 1.5, "p": p, "theta": theta}
    info, values = _init(init_params=full)
    for name, value in full.items():
        _close(values[name], value, rtol=1e-5, atol=1e-6)
    _close(info.param_info.log_density, info.log_density_fn(info.param_info.z), rtol=1e-6)
    info, values = _init(init_params={"x": 9.0})
    _close(values["x"], 9.0, rtol=1e-6)
    assert np.all(np.abs(np.asarray(_split(info.layout, info.param_info.z)["theta"])) <= 2.0)


def test_init_params_with_an_unknown_name_raises_naming_it():
    expected = r"init_params names \['bogus'\].*latent sites are \['x', 's', 'g', 'p', 'theta'\]"
    with pytest.raises(ValueError, match=expected):
        _init(init_params={"x": 9.0, "bogus": 1.0})


# ----------------------------------------------------------------------- failing to start


def unreachable_model(x):
    s = bm.sample("s", dist.HalfNormal(1.0))
    bm.sample("x", dist.Uniform(0.0, s), obs=x)


def test_no_finite_start_raises_listing_every_site_and_the_non_finite_ones():
    with pytest.raises(RuntimeError) as caught:
        initialize_model(KEY, unreachable_model, model_args=(jnp.array([5.0, 10.0]),), max_tries=3)
    message = str(caught.value)
    assert "in 3 tries" in message and "init_to_uniform" in message
    rows = {}
    for line in message.splitlines():
        match = re.match(r"\s+(\S+)\s+(latent|jacobian|observed|factor)\s+(\S+)\s+(\S+)", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3), match.group(4))
    assert set(rows) == {"s", "_s_log_det", "x"}
    assert rows["s"][:2] == ("latent", "HalfNormal")
    assert rows["_s_log_det"][0] == "jacobian" and rows["x"][:2] == ("observed", "Uniform")
    assert rows["x"][2] == "-inf"
    # The numbers are the real contributions: log J = z and s = exp(z) under HalfNormal(1).
    z = float(rows["_s_log_det"][2])
    assert abs(z) <= 2.0
    expected_s = LOG2 - 0.5 * math.log(2 * math.pi) - 0.5 * math.exp(2 * z)
    assert abs(float(rows["s"][2]) - expected_s) < 1e-4 * max(1.0, abs(expected_s))
    assert "Not finite: ['x']" in message


def test_a_model_with_no_latent_sites_has_nothing_to_sample():
    def model(y):
        bm.sample("y", dist.Normal(0.0, 1.0), obs=y)

    with pytest.raises(ValueError, match="nothing to sample"):
        initialize_model(KEY, model, model_args=(jnp.array([0.5]),))


@pytest.mark.parametrize(
    "family",
    [lambda: dist.Bernoulli(0.3), lambda: dist.Categorical(jnp.array([0.2, 0.3, 0.5]))],
    ids=["Bernoulli", "Categorical"],
)
def test_a_discrete_latent_site_raises_naming_it_and_suggesting_mixed_hmc(family):
    def model():
        bm.sample("mu", dist.Normal(0.0, 1.0))
        bm.sample("component", family())

    with pytest.raises(ValueError, match=r"'component' is discrete.*MixedHMC"):
        initialize_model(KEY, model)


# ------------------------------------------------------------------ mask, scale, obs_mask


def mask_scale_model(y, keep):
    mu = bm.sample("mu", dist.Normal(0.0, 1.0))
    with bm.handlers.scale(scale=0.5):
        s = bm.sample("s", dist.HalfNormal(1.0))  # scaled latent: its Jacobian is scaled too
    with bm.plate("data", y.shape[0]), bm.handlers.mask(mask=keep):
        bm.sample("y", dist.Normal(mu, s), obs=y)
    with bm.handlers.scale(scale=3.0):
        bm.sample("z", dist.Normal(mu, 1.0), obs=1.5)
    with bm.handlers.mask(mask=False):
        bm.sample("ignored", dist.Normal(mu, 1.0), obs=100.0)


def test_masked_and_scaled_sites_contribute_as_documented():
    with jax.enable_x64(True):
        y = jnp.array([0.5, 2.0, -1.0, 3.0])
        keep = jnp.array([True, False, True, False])
        info = initialize_model(KEY, mask_scale_model, model_args=(y, keep))
        assert info.layout.names == ("mu", "s")
        for z in _positions(2):
            mu, log_s = z[0], z[1]
            s = jnp.exp(log_s)
            expected = (
                jstats.norm.logpdf(mu, 0.0, 1.0)
                + 0.5 * (_half_normal(s, 1.0) + log_s)
                + jstats.norm.logpdf(y[jnp.array([0, 2])], mu, s).sum()
                + 3.0 * jstats.norm.logpdf(1.5, mu, 1.0)
            )
            _close(info.log_density_fn(z), expected)
            per_site = info.log_density_fn.site_log_densities(z)
            _close(per_site["ignored"], 0.0, atol=0)
            _close(per_site["_s_log_det"], 0.5 * log_s)


def imputation_model(y):
    mu = bm.sample("mu", dist.Normal(0.0, 2.0))
    with bm.plate("data", y.shape[0]):
        bm.sample("y", dist.Normal(mu, 1.0), obs=y, obs_mask=~jnp.isnan(y))


def test_obs_mask_imputes_missing_entries_as_a_latent_site():
    with jax.enable_x64(True):
        y = jnp.array([1.0, jnp.nan, 2.5, jnp.nan, -0.5])
        info = initialize_model(KEY, imputation_model, model_args=(y,))
        assert [(s.name, s.shape) for s in info.layout.slots] == [("mu", ()), ("y_unobserved", (5,))]
        observed, missing = np.array([0, 2, 4]), np.array([1, 3])
        for z in _positions(info.layout.size):
            mu, u = z[0], z[1:]
            per_site = info.log_density_fn.site_log_densities(z)
            _close(per_site["y_observed"], jstats.norm.logpdf(y[observed], mu, 1.0).sum())
            _close(per_site["y_unobserved"], jstats.norm.logpdf(u[missing], mu, 1.0).sum())
            expected = (
                jstats.norm.logpdf(mu, 0.0, 2.0)
                + jstats.norm.logpdf(y[observed], mu, 1.0).sum()
                + jstats.norm.logpdf(u[missing], mu, 1.0).sum()
            )
            _close(info.log_density_fn(z), expected)
            # The NaNs in the data must not reach the gradient.
            _, grad = value_and_grad(info.log_density_fn, z)
            expected_grad = np.zeros(6)
            expected_grad[0] = -mu / 4.0 + (y[observed] - mu).sum() + (u[missing] - mu).sum()
            expected_grad[1 + missing] = -(u[missing] - mu)
            _close(grad, expected_grad)
            combined = info.postprocess_fn(z)["y"]
            _close(combined, jnp.where(jnp.isnan(y), u, y), atol=0)


def test_obs_mask_without_a_plate_imputes_one_latent_entry_per_observation():
    y = jnp.array([1.0, jnp.nan, 2.0, jnp.nan])

    def model(y):
        mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        bm.sample("y", dist.Normal(mu, 1.0), obs=y, obs_mask=~jnp.isnan(y))

    info = initialize_model(jax.random.PRNGKey(0), model, model_args=(y,))
    slots = {slot.name: slot for slot in info.layout.slots}
    assert slots["y_unobserved"].shape == (4,)
    z = jnp.array([0.3, -1.0, 0.5, 1.5, 2.0])
    mu, imputed = z[0], z[1:]
    expected = (
        jax.scipy.stats.norm.logpdf(mu)
        + jax.scipy.stats.norm.logpdf(y[jnp.array([0, 2])], mu).sum()
        + jax.scipy.stats.norm.logpdf(imputed[jnp.array([1, 3])], mu).sum()
    )
    assert jnp.allclose(info.log_density_fn(z), expected, rtol=1e-5)
