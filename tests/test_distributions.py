"""Every distribution family against an independent reference, from one table.

The table lives in ``tests/cases/`` (one module per family group). For each row we check,
for scalar parameters and for parameters batched along a new axis:

* the shapes ``sample`` gives for several sample shapes (by tracing), and that draws lie
  in the support;
* ``log_prob`` / ``cdf`` at draws of each of those sample shapes, and ``icdf`` / ``mean`` /
  ``variance`` / ``entropy``, against the reference, under ``jit``;
* ``log_prob`` is ``-inf`` (never NaN) outside the support;
* samples follow the distribution (fixed-seed KS, chi-square or moment test);
* distributions pass through ``jit`` as pytrees;

and, for scalar parameters:

* eagerly, at one sample shape, the sampler runs and every method agrees with ``jit``;
* ``rsample`` gradients agree with central finite differences (in float64);
* finite supports enumerate to total probability one.

A separate table checks that invalid parameters raise ``ValueError`` naming the parameter.

Compilation, not arithmetic, is what these tests spend their time on: eagerly, JAX
compiles every operation for every new shape. So every value the checks compare is
computed by one compiled call per (row, batch mode): ``_evaluate`` is a single
module-level ``jax.jit`` of a function of the distribution pytree, and the module-scoped
``evaluated`` fixture holds its result. Pytest runs the tests that share a fixture
parameter one after another, so a row is compiled once per batch mode.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

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
EAGER = 0  # the sample shape (index into SAMPLE_SHAPES) at which eager and jit are compared
OUTSIDE = 1  # the draws from which points outside the support are made
QUANTILES = np.array([0.01, 0.2, 0.5, 0.77, 0.99])
NUM_DRAWS = 4000
KS_ALPHA = 1e-3  # fixed seeds make these deterministic; alpha bounds a false alarm on a change
MOMENT_Z = 5.0  # sample moments must lie within 5 standard errors of the truth

# The compiled functions here run once, on small inputs: XLA's backend optimisation
# (LLVM) costs far more than it saves, so it is turned off for them. It does not change
# what is computed (no fast-math), only how fast the machine code is.
QUICK_COMPILE = {"xla_backend_optimization_level": 0}

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
        return fn()
    except NotImplementedError:
        return None


def _close(case, ours, expected, what):
    np.testing.assert_allclose(
        np.asarray(ours), expected, rtol=case.rtol, atol=case.atol, equal_nan=True,
        err_msg=f"{case.id}: {what}",
    )


def _quantiles(batch_shape):
    """``QUANTILES`` along a leading axis, broadcast over the batch."""
    column = QUANTILES.reshape((-1,) + (1,) * len(batch_shape))
    return np.broadcast_to(column, (QUANTILES.size,) + tuple(batch_shape))


def _outside_candidates(x):
    """Points that are, for most supports, outside: below, between integers, far out, NaN."""
    x = x.astype(jnp.float32)
    return jnp.stack([-jnp.abs(x) - 1.0, x + 0.5, 10 * jnp.abs(x) + 10, -10 * jnp.abs(x) - 10,
                      jnp.full_like(x, jnp.nan)])


# ------------------------------------------------------- one compiled call per row


def _parameter_methods(d):
    """The methods that depend on the parameters only, as functions of nothing."""
    return dict(
        icdf=lambda: d.icdf(jnp.asarray(_quantiles(d.batch_shape), jnp.float32)),
        mean=lambda: d.mean,
        variance=lambda: d.variance,
        entropy=d.entropy,
    )


@functools.partial(jax.jit, compiler_options=QUICK_COMPILE)
def _evaluate(d):
    """Every value the table compares, for one distribution, in one compiled function.

    The sampler runs once, for ``NUM_DRAWS`` draws; the values at each sample shape are
    the first draws reshaped (the shapes ``sample`` itself gives are checked by tracing).
    A method the family does not have (``NotImplementedError`` while tracing) gives None.
    The distribution itself is returned too: that is the pytree round trip.
    """
    samples = d.sample(jax.random.PRNGKey(2024), (NUM_DRAWS,))
    draws = [samples[: math.prod(shape)].reshape(d.shape(shape)) for shape in SAMPLE_SHAPES]
    outside = _outside_candidates(draws[OUTSIDE])
    return dict(
        dist=d,
        samples=samples,
        draws=draws,
        in_support=[d.support(x) for x in draws],
        log_prob=[d.log_prob(x) for x in draws],
        cdf=[_ours(lambda x=x: d.cdf(x)) for x in draws],
        **{name: _ours(method) for name, method in _parameter_methods(d).items()},
        outside=outside,
        outside_in_support=d.support(outside),
        outside_log_prob=d.log_prob(outside),
    )


@dataclass
class Evaluated:
    """One row in one batch mode: the eager distribution, its references, and the values
    ``_evaluate`` computed under ``jit`` (as NumPy arrays, or None)."""

    case: Case
    batched: bool
    dist: Any
    returned: Any  # the distribution after going through jit
    refs: list
    jitted: dict
    eager_only: list  # methods that need concrete parameters, so were evaluated eagerly

    @property
    def label(self):
        return f"{self.case.id} ({'batched' if self.batched else 'scalar'})"


CASE_MODES = [
    pytest.param((case, batched), id=f"{case.id}-{'batched' if batched else 'scalar'}")
    for case in CASES
    for batched in (False, True)
    if not batched or len(case.params) > 1
]
CASE_PARAMS = [pytest.param(case, id=case.id) for case in CASES]


@pytest.fixture(scope="module", params=CASE_MODES)
def evaluated(request) -> Evaluated:
    case, batched = request.param
    d = _make(case, batched)
    out = _evaluate(d)
    returned = out.pop("dist")
    jitted = jax.tree.map(np.asarray, out)
    # Rows rarely share a compiled function, and each XLA executable kept alive holds
    # hundreds of memory maps: keeping them all would exhaust vm.max_map_count.
    _evaluate.clear_cache()
    # A few methods need concrete parameters (Binomial's entropy sums over 0..total_count)
    # and say so by raising NotImplementedError under jit; those are taken eagerly.
    eager_only = []
    for name, method in _parameter_methods(d).items():
        if jitted[name] is None and (value := _ours(method)) is not None:
            jitted[name] = np.asarray(value)
            eager_only.append(name)
    return Evaluated(case, batched, d, returned, _references(case, batched), jitted, eager_only)


# ------------------------------------------------------------------- density checks


def test_shapes_and_support(evaluated):
    ev, d, out = evaluated, evaluated.dist, evaluated.jitted
    key = jax.random.PRNGKey(0)
    for i, sample_shape in enumerate(SAMPLE_SHAPES):
        traced = jax.eval_shape(lambda shape=sample_shape: d.sample(key, shape))
        assert traced.shape == d.shape(sample_shape), (ev.label, traced.shape, d.shape(sample_shape))
        assert traced.dtype == out["samples"].dtype, (ev.label, traced.dtype)
        assert out["log_prob"][i].shape == tuple(sample_shape) + d.batch_shape, (ev.label, i)
        if out["cdf"][i] is not None:
            assert out["cdf"][i].shape == out["log_prob"][i].shape, (ev.label, "cdf", i)
        assert np.all(out["in_support"][i]), f"{ev.label}: a sample lies outside the support"
    assert out["samples"].shape == (NUM_DRAWS,) + d.batch_shape + d.event_shape
    for name in ("mean", "variance"):
        if out[name] is not None:
            assert out[name].shape == d.batch_shape + d.event_shape, (ev.label, name, out[name].shape)
    if out["entropy"] is not None:
        assert out["entropy"].shape == d.batch_shape, (ev.label, "entropy", out["entropy"].shape)
    if out["icdf"] is not None:
        assert out["icdf"].shape == (QUANTILES.size,) + d.batch_shape, (ev.label, "icdf")


def test_values_match_reference(evaluated):
    ev, d, out, refs = evaluated, evaluated.dist, evaluated.jitted, evaluated.refs
    if not refs:
        pytest.skip(f"{ev.case.id} has no reference: {ev.case.note}")
    case, batched, event_dim = ev.case, ev.batched, len(d.event_shape)
    for i, x in enumerate(out["draws"]):
        if _has(refs[0], "log_prob"):
            expected = _reference_at(refs, batched, "log_prob", x, event_dim)
            _close(case, out["log_prob"][i], expected, "log_prob disagrees with the reference")
        if _has(refs[0], "cdf"):
            assert out["cdf"][i] is not None, f"{case.id}: the reference has a cdf but the family does not"
            expected = _reference_at(refs, batched, "cdf", x, event_dim)
            _close(case, out["cdf"][i], expected, "cdf disagrees with the reference")
    if _has(refs[0], "icdf"):
        assert out["icdf"] is not None, f"{case.id}: the reference has an icdf but the family does not"
        expected = _reference_at(refs, batched, "icdf", _quantiles(d.batch_shape), 0)
        _close(case, out["icdf"], expected, "icdf disagrees with the reference")
    for name in ("mean", "variance", "entropy"):
        if _has(refs[0], name):
            assert out[name] is not None, f"{case.id}: the reference has {name} but the family does not"
            _close(case, out[name], _reference_value(refs, batched, name),
                   f"{name} disagrees with the reference")


def test_eager_matches_jit(evaluated):
    """Eagerly, once per family (scalar parameters, one sample shape): the sampler's shape
    and support, and every method's value at the jitted draws against its value under
    jit. Eager code compiles each operation for each new shape, so this is kept to one."""
    ev, d, out = evaluated, evaluated.dist, evaluated.jitted
    if ev.batched:
        pytest.skip("eager evaluation is compared with jit once per family, for scalar parameters")
    x = d.sample(jax.random.PRNGKey(EAGER), SAMPLE_SHAPES[EAGER])
    assert x.shape == d.shape(SAMPLE_SHAPES[EAGER]), (ev.label, x.shape)
    assert bool(jnp.all(d.support(x))), f"{ev.label}: an eager sample lies outside the support"

    x = out["draws"][EAGER]
    _close(ev.case, d.log_prob(x), out["log_prob"][EAGER], "log_prob eagerly vs under jit")
    cdf = _ours(lambda: d.cdf(x))
    assert (cdf is None) == (out["cdf"][EAGER] is None), ev.label
    if cdf is not None:
        _close(ev.case, cdf, out["cdf"][EAGER], "cdf eagerly vs under jit")
    for name, method in _parameter_methods(d).items():
        value = _ours(method)
        assert (value is None) == (out[name] is None), (ev.label, name)
        if value is not None and name not in ev.eager_only:
            _close(ev.case, value, out[name], f"{name} eagerly vs under jit")


def test_pytree_roundtrip_through_jit(evaluated):
    """The distribution that comes out of jit has the same type, static fields (shapes,
    flags) and parameter values as the one that went in."""
    ev, d, same = evaluated, evaluated.dist, evaluated.returned
    assert type(same) is type(d)
    assert same.batch_shape == d.batch_shape and same.event_shape == d.event_shape
    assert jax.tree.structure(same) == jax.tree.structure(d), ev.label
    for ours, theirs in zip(jax.tree.leaves(same), jax.tree.leaves(d)):
        ours = np.asarray(ours)  # a Python float parameter comes back in the default dtype
        np.testing.assert_array_equal(ours, np.asarray(theirs).astype(ours.dtype),
                                      err_msg=f"{ev.label}: a parameter changed in jit")


def test_log_prob_outside_support_is_minus_inf(evaluated):
    ev, out = evaluated, evaluated.jitted
    outside, log_prob = ~out["outside_in_support"], out["outside_log_prob"]
    for bad, lp, off in zip(out["outside"], log_prob, outside):
        assert not np.any(np.isnan(lp)), f"{ev.label}: log_prob gave NaN at {bad}"
        assert np.all(lp[off] == -np.inf), f"{ev.label}: finite log_prob outside the support at {bad}"


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


def test_samples_follow_distribution(evaluated):
    ev, case, out = evaluated, evaluated.case, evaluated.jitted
    if case.sample_test == "none":
        pytest.skip(case.note)
    samples = out["samples"]
    columns = range(len(case.params)) if ev.batched else [None]
    for b in columns:
        column = samples if b is None else samples[:, b]
        label = "scalar" if b is None else f"batch element {b}"
        ref = ev.refs[0 if b is None else b] if ev.refs else None
        if case.sample_test == "ks":
            _ks(case, column, ref, label)
        elif case.sample_test == "chi2":
            _chi2(case, column, ref, label)
        else:
            mean = np.asarray(out["mean"], np.float64)
            variance = np.asarray(out["variance"], np.float64)
            if b is not None:
                mean, variance = mean[b], variance[b]
            _moments(case, column, mean, variance, label)


# ----------------------------------------------------------------- per-family checks


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
        theta = np.array([base[name] for name in names], np.float64)
        eps = 1e-6 * np.maximum(1.0, np.abs(theta))

        def objective(theta):
            params = dict(base, **{name: theta[i] for i, name in enumerate(names)})
            x = case.dist(**params).rsample(key, (6,))
            return jnp.sum(jnp.tanh(x))  # bounded, so heavy tails do not swamp the check

        @functools.partial(jax.jit, compiler_options=QUICK_COMPILE)
        def gradient_and_differences(theta):
            """One compile: the gradient and every central difference."""
            up = jnp.stack([objective(theta.at[i].add(eps[i])) for i in range(len(names))])
            down = jnp.stack([objective(theta.at[i].add(-eps[i])) for i in range(len(names))])
            return jax.grad(objective)(theta), (up - down) / (2 * eps)

        auto, numeric = gradient_and_differences(jnp.asarray(theta))
        assert auto.dtype == jnp.float64
        for i, name in enumerate(names):
            np.testing.assert_allclose(
                auto[i], numeric[i], rtol=1e-4, atol=1e-6,
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
