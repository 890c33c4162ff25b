"""Every distribution family against an independent reference, from one table.

The table lives in ``tests/cases/`` (one module per family group). For each row we check,
for scalar parameters and for parameters batched along a new axis:

* ``sample`` shapes for several sample shapes, and ``log_prob`` / ``cdf`` / ``icdf`` /
  ``mean`` / ``variance`` / ``entropy`` against the reference, eagerly and under ``jit``;
* ``log_prob`` is ``-inf`` (never NaN) outside the support;
* samples follow the distribution (fixed-seed KS, chi-square or moment test);
* ``rsample`` gradients agree with central finite differences (in float64);
* finite supports enumerate to total probability one;
* distributions pass through ``jit`` as pytrees.

A separate table checks that invalid parameters raise ``ValueError`` naming the parameter.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import bayesmodels.distributions as dist
from tests.cases import continuous_positive, continuous_real, discrete, multivariate, wrappers
from tests.cases.case import Case

CASE_MODULES = [continuous_real, continuous_positive, discrete, multivariate, wrappers]
CASES: list[Case] = [case for module in CASE_MODULES for case in module.CASES]
INVALID = [row for module in CASE_MODULES for row in module.INVALID]

SAMPLE_SHAPES = [(), (4,), (2, 3)]
NUM_DRAWS = 4000
KS_ALPHA = 1e-3  # fixed seeds make these deterministic; alpha bounds a false alarm on a change
MOMENT_Z = 5.0  # sample moments must lie within 5 standard errors of the truth

ids = [case.id for case in CASES]
assert len(set(ids)) == len(ids), f"duplicate case ids: {sorted(i for i in ids if ids.count(i) > 1)}"


# ---------------------------------------------------------------------------- helpers


def _is_numeric(value) -> bool:
    return isinstance(value, (int, float, np.ndarray, jax.Array, list, tuple)) and not isinstance(
        value, bool
    )


def _params(case: Case, batched: bool) -> dict:
    if not batched:
        return dict(case.params[0])
    out = {}
    for name, value in case.params[0].items():
        if _is_numeric(value):
            out[name] = np.stack([np.asarray(p[name]) for p in case.params])
        else:
            out[name] = value
    return out


def _make(case: Case, batched: bool):
    return case.dist(**_params(case, batched))


def _references(case: Case, batched: bool):
    sets = case.params if batched else case.params[:1]
    return [case.reference(**p) for p in sets] if case.reference else []


def _has(ref, name) -> bool:
    try:
        getattr(ref, name)
    except AttributeError:
        return False
    return True


def _reference_at(refs, batched, method, x, event_dim):
    """Reference ``method`` at ``x``; batched references take their slice of the batch axis."""
    if not batched:
        return np.asarray(getattr(refs[0], method)(np.asarray(x, dtype=np.float64)))
    axis = np.ndim(x) - event_dim - 1
    columns = [
        np.asarray(getattr(ref, method)(np.take(np.asarray(x, np.float64), b, axis=axis)))
        for b, ref in enumerate(refs)
    ]
    return np.stack(columns, axis=-1)


def _reference_value(refs, batched, name):
    values = [np.asarray(getattr(ref, name)() if name == "entropy" else getattr(ref, name))
              for ref in refs]
    return np.stack(values) if batched else values[0]


def _ours(fn):
    """Our value, or None when the family says it has no such method."""
    try:
        return np.asarray(fn())
    except NotImplementedError:
        return None


def _close(case, ours, expected, what):
    np.testing.assert_allclose(
        ours, expected, rtol=case.rtol, atol=case.atol, equal_nan=True,
        err_msg=f"{case.id}: {what} disagrees with the reference",
    )


BATCH_MODES = [pytest.param(False, id="scalar"), pytest.param(True, id="batched")]
CASE_PARAMS = [pytest.param(case, id=case.id) for case in CASES]


# ------------------------------------------------------------------- density checks


@pytest.mark.parametrize("batched", BATCH_MODES)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_log_prob_and_moments_match_reference(case: Case, batched: bool):
    if batched and len(case.params) < 2:
        pytest.skip("one parameter set only")
    d = _make(case, batched)
    refs = _references(case, batched)
    event_dim = len(d.event_shape)

    def evaluate(d, x):
        return d.log_prob(x)

    jitted = jax.jit(evaluate)
    for i, sample_shape in enumerate(SAMPLE_SHAPES):
        x = d.sample(jax.random.PRNGKey(i), sample_shape)
        assert x.shape == d.shape(sample_shape), (case.id, x.shape, d.shape(sample_shape))
        assert bool(jnp.all(d.support(x))), f"{case.id}: a sample lies outside the support"
        eager, compiled = d.log_prob(x), jitted(d, x)
        assert eager.shape == tuple(sample_shape) + d.batch_shape
        _close(case, compiled, eager, "log_prob under jit vs eager")
        if refs and _has(refs[0], "log_prob"):
            _close(case, eager, _reference_at(refs, batched, "log_prob", x, event_dim), "log_prob")
        if refs and _has(refs[0], "cdf"):
            ours = _ours(lambda: d.cdf(x))
            assert ours is not None, f"{case.id}: the reference has a cdf but the family does not"
            _close(case, ours, _reference_at(refs, batched, "cdf", x, event_dim), "cdf")
            _close(case, jax.jit(lambda d, x: d.cdf(x))(d, x), ours, "cdf under jit vs eager")

    if refs and _has(refs[0], "icdf"):
        q = np.broadcast_to(np.array([0.01, 0.2, 0.5, 0.77, 0.99]).reshape((5,) + (1,) * len(d.batch_shape)),
                            (5,) + d.batch_shape)
        ours = _ours(lambda: d.icdf(jnp.asarray(q, jnp.float32)))
        assert ours is not None, f"{case.id}: the reference has an icdf but the family does not"
        _close(case, ours, _reference_at(refs, batched, "icdf", q, 0), "icdf")
    for name in ("mean", "variance"):
        if refs and _has(refs[0], name):
            ours = _ours(lambda: getattr(d, name))
            assert ours is not None, f"{case.id}: the reference has {name} but the family does not"
            assert ours.shape == d.batch_shape + d.event_shape, (case.id, name, ours.shape)
            _close(case, ours, _reference_value(refs, batched, name), name)
    if refs and _has(refs[0], "entropy"):
        ours = _ours(d.entropy)
        assert ours is not None, f"{case.id}: the reference has entropy but the family does not"
        assert ours.shape == d.batch_shape, (case.id, "entropy", ours.shape)
        _close(case, ours, _reference_value(refs, batched, "entropy"), "entropy")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_log_prob_outside_support_is_minus_inf(case: Case):
    d = _make(case, False)
    x = np.asarray(d.sample(jax.random.PRNGKey(0), (3,)), dtype=np.float64)
    candidates = [-np.abs(x) - 1.0, x + 0.5, 10 * np.abs(x) + 10, -10 * np.abs(x) - 10, np.full_like(x, np.nan)]
    for bad in candidates:
        outside = ~np.asarray(d.support(jnp.asarray(bad, jnp.float32)))
        log_prob = np.asarray(d.log_prob(jnp.asarray(bad, jnp.float32)))
        assert not np.any(np.isnan(log_prob)), f"{case.id}: log_prob gave NaN at {bad}"
        assert np.all(log_prob[outside] == -np.inf), f"{case.id}: finite log_prob outside the support"


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_pytree_roundtrip_through_jit(case: Case):
    d = _make(case, True if len(case.params) > 1 else False)
    same = jax.jit(lambda d: d)(d)
    assert type(same) is type(d)
    assert same.batch_shape == d.batch_shape and same.event_shape == d.event_shape
    x = d.sample(jax.random.PRNGKey(1))
    _close(case, same.log_prob(x), d.log_prob(x), "log_prob after a jit round trip")


# -------------------------------------------------------------------- sampling checks


def _ks(case, samples, ref, label):
    result = stats.kstest(np.asarray(samples, np.float64), ref.cdf)
    assert result.pvalue > KS_ALPHA, f"{case.id} {label}: KS p-value {result.pvalue:.2e}"


def _chi2(case, samples, ref, label):
    samples = np.asarray(samples).astype(np.int64)
    lo, hi = samples.min(), samples.max()
    values = np.arange(lo, hi + 1)
    counts = np.array([(samples == v).sum() for v in values], dtype=np.float64)
    probs = np.exp(np.asarray(ref.log_prob(values.astype(np.float64)), np.float64))
    probs[-1] += max(0.0, 1.0 - probs.sum())  # the unseen tail joins the last bin
    expected = probs * len(samples)
    # merge bins until each expects at least 5
    merged_obs, merged_exp, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(counts, expected):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            merged_obs.append(acc_o)
            merged_exp.append(acc_e)
            acc_o = acc_e = 0.0
    if merged_obs:
        merged_obs[-1] += acc_o
        merged_exp[-1] += acc_e
    if len(merged_obs) < 2:
        return  # a (near-)point mass: nothing to test beyond the support
    merged_exp = np.asarray(merged_exp) * np.sum(merged_obs) / np.sum(merged_exp)
    result = stats.chisquare(merged_obs, merged_exp)
    assert result.pvalue > KS_ALPHA, f"{case.id} {label}: chi-square p-value {result.pvalue:.2e}"


def _moments(case, samples, mean, variance, label):
    samples = np.asarray(samples, np.float64)
    n = samples.shape[0]
    sample_mean = samples.mean(0)
    se_mean = np.sqrt(np.asarray(variance, np.float64) / n)
    z = np.abs(sample_mean - mean) / np.maximum(se_mean, 1e-12)
    assert np.all(z < MOMENT_Z), f"{case.id} {label}: sample mean off by {z.max():.1f} SE"
    squared = (samples - mean) ** 2
    se_var = squared.std(0) / np.sqrt(n)
    z = np.abs(squared.mean(0) - variance) / np.maximum(se_var, 1e-12)
    assert np.all(z < MOMENT_Z), f"{case.id} {label}: sample variance off by {z.max():.1f} SE"


@pytest.mark.parametrize("batched", BATCH_MODES)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_samples_follow_distribution(case: Case, batched: bool):
    if case.sample_test == "none":
        pytest.skip(case.note)
    if batched and len(case.params) < 2:
        pytest.skip("one parameter set only")
    d = _make(case, batched)
    samples = np.asarray(d.sample(jax.random.PRNGKey(2024), (NUM_DRAWS,)))
    assert samples.shape == (NUM_DRAWS,) + d.batch_shape + d.event_shape
    refs = _references(case, batched)
    columns = range(len(case.params)) if batched else [None]
    for b in columns:
        column = samples if b is None else samples[:, b]
        label = "scalar" if b is None else f"batch element {b}"
        ref = refs[0 if b is None else b] if refs else None
        if case.sample_test == "ks":
            _ks(case, column, ref, label)
        elif case.sample_test == "chi2":
            _chi2(case, column, ref, label)
        else:
            mean = np.asarray(d.mean, np.float64)
            variance = np.asarray(d.variance, np.float64)
            if b is not None:
                mean, variance = mean[b], variance[b]
            _moments(case, column, mean, variance, label)


def _grad_params(case: Case):
    if case.grad_params is not None:
        return list(case.grad_params)
    return [name for name, value in case.params[0].items()
            if isinstance(value, float) or (isinstance(value, np.ndarray) and value.ndim == 0
                                             and np.issubdtype(value.dtype, np.floating))]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_rsample_gradient_matches_finite_differences(case: Case):
    d = _make(case, False)
    if not d.has_rsample:
        with pytest.raises(NotImplementedError):
            d.rsample(jax.random.PRNGKey(0))
        return
    names = _grad_params(case)
    if not names:
        pytest.skip("no scalar float parameters to differentiate")
    key = jax.random.PRNGKey(7)
    with jax.enable_x64(True):
        base = {k: (np.asarray(v, np.float64) if _is_numeric(v) else v) for k, v in case.params[0].items()}

        def objective(theta, name):
            params = dict(base, **{name: theta})
            x = case.dist(**params).rsample(key, (6,))
            return jnp.sum(jnp.tanh(x))  # bounded, so heavy tails do not swamp the check

        for name in names:
            theta = jnp.asarray(base[name], jnp.float64)
            auto = jax.grad(objective)(theta, name)
            eps = 1e-6 * max(1.0, abs(float(theta)))
            numeric = (objective(theta + eps, name) - objective(theta - eps, name)) / (2 * eps)
            np.testing.assert_allclose(
                auto, numeric, rtol=1e-4, atol=1e-6,
                err_msg=f"{case.id}: d rsample / d {name} disagrees with finite differences",
            )


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_enumerate_support_sums_to_one(case: Case):
    d = _make(case, len(case.params) > 1)
    if not d.has_enumerate_support:
        with pytest.raises(NotImplementedError):
            d.enumerate_support()
        return
    values = d.enumerate_support(expand=True)
    assert values.shape[1:] == d.batch_shape + d.event_shape
    unexpanded = d.enumerate_support(expand=False)
    assert unexpanded.shape[1:] == (1,) * len(d.batch_shape) + d.event_shape
    total = jnp.exp(jax.scipy.special.logsumexp(d.log_prob(values), axis=0))
    np.testing.assert_allclose(total, np.ones(d.batch_shape), rtol=1e-5, err_msg=case.id)


# ------------------------------------------------------------------ argument checks


@pytest.mark.parametrize("row", [pytest.param(r, id=r.id) for r in INVALID])
def test_invalid_parameters_raise_naming_the_parameter(row):
    name = getattr(row.dist, "__name__", "")
    with pytest.raises(ValueError, match=f"'{row.param}'") as info:
        row.dist(**row.params)
    assert name in str(info.value), f"the message should name the distribution: {info.value}"


def test_invalid_parameters_are_not_checked_under_jit():
    """Checks cost nothing in compiled code: a traced bad scale does not raise."""
    out = jax.jit(lambda s: dist.Normal(0.0, s).log_prob(0.0))(-1.0)  # must not raise
    assert out.shape == ()


def test_validate_args_true_checks_under_jit():
    import equinox as eqx

    f = jax.jit(lambda s: dist.Normal(0.0, s, validate_args=True).log_prob(0.0))
    assert np.isfinite(f(1.0))
    # jax.jit surfaces the runtime error as a ValueError; eqx.filter_jit as its own type
    with pytest.raises((ValueError, eqx.EquinoxRuntimeError), match="parameter 'scale'"):
        f(-1.0).block_until_ready()
