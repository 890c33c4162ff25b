"""Wrapper and special distributions: what the reference table in
``tests/test_distributions.py`` cannot express.

Batch wrappers (``to_event`` / ``expand`` / ``mask``), truncation far in the tails,
censoring, mixtures with vector events, transformed distributions with vector events and
decreasing transforms, ``Delta``, ``Unit`` and ``ImproperUniform``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

import bayesmodels.distributions as dist
from bayesmodels.distributions import constraints, transforms

KEY = jax.random.PRNGKey(0)


def _close(actual, expected, rtol=1e-4, atol=1e-4):
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=rtol, atol=atol)


# --------------------------------------------------------------------- Independent


def test_to_event_moves_batch_dims_into_the_event_and_sums_log_prob():
    base = dist.Normal(jnp.arange(6.0).reshape(2, 3), 1.0)
    d = base.to_event(1)
    assert (d.batch_shape, d.event_shape) == ((2,), (3,))
    everything = base.to_event()
    assert (everything.batch_shape, everything.event_shape) == ((), (2, 3))
    assert base.to_event(0) is base

    @jax.jit
    def values():  # the distributions are constants here, not arguments
        x = base.sample(KEY, (4,))
        return dict(base=base.log_prob(x), d=d.log_prob(x), everything=everything.log_prob(x),
                    draw=d.sample(KEY, (4,)), entropy=d.entropy(), base_entropy=base.entropy())

    out = values()
    assert out["draw"].shape == (4, 2, 3)
    _close(out["d"], np.asarray(out["base"]).sum(-1))
    _close(out["everything"], np.asarray(out["base"]).sum((-1, -2)))
    _close(out["entropy"], np.asarray(out["base_entropy"]).sum(-1))


def test_to_event_of_too_many_dims_raises():
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        dist.Normal(jnp.zeros(3), 1.0).to_event(2)


# ----------------------------------------------------------- ExpandedDistribution


def test_expand_new_and_size_one_dims_draws_independently_per_element():
    # loc varies along the kept axis (size 3); a new leading axis (2) and a stretched
    # size-1 axis (4) are added: every element must be its own independent draw.
    loc = jnp.array([[0.0], [10.0], [20.0]])
    d = dist.Normal(loc, 1.0).expand((2, 3, 4))
    assert d.batch_shape == (2, 3, 4)

    @jax.jit
    def values(d):
        x = d.sample(KEY, (2000,))
        return x, d.log_prob(x[:5]), d.mean, d.variance, d.entropy()

    x, log_prob, mean, variance, entropy = values(d)
    x = np.asarray(x)
    assert x.shape == (2000, 2, 3, 4)
    _close(x.mean(0), np.broadcast_to(np.array([0.0, 10.0, 20.0])[:, None], (2, 3, 4)), atol=0.15)
    flat = x.reshape(2000, -1)
    correlation = np.corrcoef(flat, rowvar=False)
    off_diagonal = correlation[~np.eye(24, dtype=bool)]
    assert np.abs(off_diagonal).max() < 0.15, "expanded elements must not share draws"
    assert log_prob.shape == (5, 2, 3, 4)
    assert mean.shape == variance.shape == (2, 3, 4)
    assert entropy.shape == (2, 3, 4)
    _close(log_prob, stats.norm(np.broadcast_to(np.asarray(loc), (2, 3, 4))).logpdf(x[:5]))


def test_expand_of_expand_and_rsample_keep_shapes():
    d = dist.Normal(0.0, 1.0).expand((3,)).expand((2, 3))
    assert isinstance(d.base_dist, dist.Normal)
    assert jax.eval_shape(lambda: d.rsample(KEY, (5,))).shape == (5, 2, 3)
    grad = jax.jit(jax.grad(lambda s: dist.Normal(0.0, s).expand((4,)).rsample(KEY).sum()))(1.0)
    # the draws are s * eps, so the gradient is the sum of the four standard draws
    np.testing.assert_allclose(grad, jax.random.normal(KEY, (4,)).sum(), rtol=1e-5)


@pytest.mark.parametrize("batch_shape", [(2,), (), (3, 2)])
def test_expand_to_an_incompatible_shape_raises(batch_shape):
    with pytest.raises(ValueError, match="expand"):
        dist.Normal(jnp.zeros(3), 1.0).expand(batch_shape)


# -------------------------------------------------------------- MaskedDistribution


def test_mask_zeroes_log_prob_where_false():
    base = dist.Normal(jnp.zeros(3), 1.0)
    d = base.mask(jnp.array([True, False, True]))
    x = jnp.array([[0.5, 100.0, -1.0], [1.0, 2.0, 3.0]])
    expected = np.where([True, False, True], np.asarray(base.log_prob(x)), 0.0)
    _close(d.log_prob(x), expected)
    assert d.sample(KEY, (2,)).shape == (2, 3)
    _close(base.mask(False).log_prob(x), np.zeros((2, 3)))
    assert base.mask(True) is base
    traced = jax.jit(lambda m: base.mask(m).log_prob(x))(jnp.array([False, True, True]))
    _close(traced[:, 0], np.zeros(2))


def test_mask_larger_than_the_batch_expands_the_distribution():
    # As in NumPyro: a mask may carry plate dims the distribution does not have yet.
    d = dist.Normal(jnp.zeros(3), 1.0).mask(jnp.array([[True], [False]]))
    assert d.batch_shape == (2, 3)
    assert d.sample(KEY).shape == (2, 3)
    log_prob = np.asarray(d.log_prob(jnp.zeros(3)))
    assert log_prob.shape == (2, 3)
    assert np.all(log_prob[1] == 0.0) and np.all(log_prob[0] < 0)


@pytest.mark.parametrize("mask", [jnp.array([True, False]), jnp.ones((3, 2), bool)])
def test_mask_of_a_shape_that_does_not_broadcast_raises(mask):
    with pytest.raises(ValueError, match="mask"):
        dist.Normal(jnp.zeros(3), 1.0).mask(mask)


def test_mask_must_be_boolean():
    with pytest.raises(ValueError, match="boolean"):
        dist.Normal(jnp.zeros(3), 1.0).mask(jnp.array([1, 0, 1]))


# ----------------------------------------------------------------------- truncation


@jax.jit
def _truncated_values(d, points):
    """One compile per kind of truncation (the bounds are traced, so rows share it)."""
    return dict(log_prob=d.log_prob(points), cdf=d.cdf(points), x=d.sample(KEY, (2000,)),
                mean=d.mean, variance=d.variance)


@pytest.mark.parametrize(
    "low, high, points",
    [
        (10.0, None, [10.0, 10.3, 12.0]),
        (10.0, 11.0, [10.0, 10.5, 11.0]),
        (None, -10.0, [-12.0, -10.3, -10.0]),
        (30.0, 31.0, [30.0, 30.01, 30.5]),
    ],
)
def test_truncated_normal_far_in_the_tails(low, high, points):
    d = dist.TruncatedNormal(0.0, 1.0, low=low, high=high)
    a = -np.inf if low is None else low
    b = np.inf if high is None else high
    ref = stats.truncnorm(a, b)
    out = _truncated_values(d, jnp.array(points))
    _close(out["log_prob"], ref.logpdf(points), rtol=1e-5)
    _close(out["cdf"], ref.cdf(points), atol=1e-4)
    x = np.asarray(out["x"])
    assert np.all(np.isfinite(x)) and np.all(x >= a) and np.all(x <= b)
    assert stats.kstest(x.astype(np.float64), ref.cdf).pvalue > 1e-3
    _close(out["mean"], ref.mean(), rtol=1e-5)
    _close(out["variance"], ref.var(), rtol=1e-4, atol=0.0)


@pytest.mark.parametrize("low, high", [(0.5, None), (None, 0.5), (3.0, None)])
def test_truncated_normal_one_sided_entropy(low, high):
    d = dist.TruncatedNormal(1.0, 2.0, low=low, high=high)
    a = -np.inf if low is None else (low - 1.0) / 2.0
    b = np.inf if high is None else (high - 1.0) / 2.0
    ref = stats.truncnorm(a, b, loc=1.0, scale=2.0)
    lower, upper = ref.support()

    def integrand(x):
        p = ref.pdf(x)
        return -p * ref.logpdf(x) if p > 0 else 0.0

    expected = integrate.quad(integrand, lower, upper, limit=200)[0]
    _close(d.entropy(), expected)


def test_truncation_rsample_is_differentiable_in_the_bounds():
    def total(low, high):
        return jnp.sum(dist.TruncatedNormal(0.0, 1.0, low=low, high=high).rsample(KEY, (5,)))

    g_low, g_high = jax.jit(jax.grad(total, argnums=(0, 1)))(-1.0, 2.0)
    assert np.isfinite(g_low) and np.isfinite(g_high) and g_low > 0 and g_high > 0


def test_truncated_distribution_with_no_bounds_is_the_base():
    base = dist.Normal(0.0, 1.0)
    assert dist.TruncatedDistribution(base) is base


def test_truncated_generic_base_gamma():
    # A base that is neither Normal nor symmetric; the lower bound lies outside the base's
    # support and is moved onto it.
    d = dist.TruncatedDistribution(dist.Gamma(2.0, 1.0), low=-1.0, high=3.0)
    ref_base = stats.gamma(2.0)
    mass = ref_base.cdf(3.0)
    x = np.array([0.2, 1.0, 2.9])

    @jax.jit
    def values(d):
        return dict(log_prob=d.log_prob(x), cdf=d.cdf(x), icdf=d.icdf(jnp.array([0.1, 0.5, 0.9])),
                    outside=d.log_prob(jnp.array([-0.5, 3.5])), samples=d.sample(KEY, (2000,)))

    out = values(d)
    _close(out["log_prob"], ref_base.logpdf(x) - np.log(mass))
    _close(out["cdf"], ref_base.cdf(x) / mass)
    _close(out["icdf"], ref_base.ppf(np.array([0.1, 0.5, 0.9]) * mass), rtol=1e-3)
    assert np.all(out["outside"] == -np.inf)
    samples = np.asarray(out["samples"])
    assert np.all((samples > 0) & (samples <= 3.0))
    assert stats.kstest(samples.astype(np.float64), lambda t: ref_base.cdf(t) / mass).pvalue > 1e-3
    with pytest.raises(NotImplementedError, match="Normal"):
        d.mean


def test_truncated_cauchy_one_sided_moments_diverge():
    d = dist.TruncatedCauchy(0.0, 1.0, low=0.0)
    assert float(d.mean) == np.inf and float(d.variance) == np.inf
    assert float(dist.TruncatedCauchy(0.0, 1.0, high=0.0).mean) == -np.inf


def test_truncated_batch_shape_broadcasts_bounds_and_base():
    d = dist.TruncatedNormal(jnp.zeros((2, 1)), 1.0, low=jnp.array([-1.0, 0.0, 1.0]), high=3.0)
    assert d.batch_shape == (2, 3)
    # shapes by tracing; batched truncated values are checked in test_distributions.py
    draws, mean, variance, entropy = jax.eval_shape(
        lambda: (d.sample(KEY, (4,)), d.mean, d.variance, d.entropy()))
    assert draws.shape == (4, 2, 3)
    assert mean.shape == variance.shape == entropy.shape == (2, 3)


# ------------------------------------------------------------------------ censoring


def test_left_and_right_censoring_follow_numpyro():
    x = jnp.array([-1.0, 0.5, 2.0, 0.5])
    censored = jnp.array([0, 1, 0, 1])
    ref = stats.norm(0.3, 1.2)
    left = dist.LeftCensoredDistribution(dist.Normal(0.3, 1.2), censored)
    right = dist.RightCensoredDistribution(dist.Normal(0.3, 1.2), censored)
    _close(left.log_prob(x), np.where(censored, ref.logcdf(x), ref.logpdf(x)), rtol=1e-5)
    _close(right.log_prob(x), np.where(censored, ref.logsf(x), ref.logpdf(x)), rtol=1e-5)
    assert left.batch_shape == (4,) and left.sample(KEY, (3,)).shape == (3, 4)


def test_censoring_far_in_the_tail_stays_finite_and_accurate():
    ref = stats.norm()
    right = dist.RightCensoredDistribution(dist.Normal(0.0, 1.0), censored=True)
    left = dist.LeftCensoredDistribution(dist.Normal(0.0, 1.0), censored=True)
    _close(right.log_prob(40.0), ref.logsf(40.0), rtol=1e-5)
    _close(left.log_prob(-40.0), ref.logcdf(-40.0), rtol=1e-5)
    # a non-Normal base falls back on the cdf, clipped so the value stays finite
    exponential = dist.RightCensoredDistribution(dist.Exponential(2.0), censored=True)
    _close(exponential.log_prob(3.0), stats.expon(scale=0.5).logsf(3.0), rtol=1e-4)


def test_interval_censoring_cases():
    base = dist.Normal(0.5, 2.0)
    ref = stats.norm(0.5, 2.0)
    values = jnp.array([
        [-jnp.inf, 1.0],  # left-censored at 1
        [2.0, jnp.inf],  # right-censored at 2
        [-1.0, 3.0],  # in (-1, 3]
        [-1.0, 3.0],  # outside (-1, 3]
        [0.7, 0.7],  # exact
    ])
    left = jnp.array([1, 0, 0, 1, 0])
    right = jnp.array([0, 1, 0, 1, 0])
    d = dist.IntervalCensoredDistribution(base, left, right)
    assert d.event_shape == (2,) and d.batch_shape == (5,)
    exact = dist.IntervalCensoredDistribution(base, 0, 0)
    inside = ref.cdf(3.0) - ref.cdf(-1.0)
    expected = [ref.logcdf(1.0), ref.logsf(2.0), np.log(inside), np.log1p(-inside), ref.logpdf(0.7)]

    def total(loc):
        censored = dist.IntervalCensoredDistribution(dist.Normal(loc, 2.0), left, right)
        return censored.log_prob(values).sum()

    @jax.jit
    def evaluate(d, exact):
        nan_bound = jnp.array([jnp.nan, 1.0])
        return dict(log_prob=d.log_prob(values), grad=jax.grad(total)(0.5), draws=d.sample(KEY, (3,)),
                    nan_bound=exact.log_prob(nan_bound))

    out = evaluate(d, exact)
    _close(out["log_prob"], expected, rtol=1e-5)
    assert np.isfinite(out["grad"])
    draws = out["draws"]
    assert draws.shape == (3, 5, 2) and bool(np.all(draws[..., 0] == draws[..., 1]))
    assert float(out["nan_bound"]) == -np.inf


def test_censoring_needs_a_base_with_a_cdf():
    with pytest.raises(ValueError, match="cdf"):
        dist.LeftCensoredDistribution(dist.Delta(0.0), censored=1)


# ------------------------------------------------------------------------- mixtures


def test_mixture_dispatches_on_the_components():
    mixing = dist.Categorical(probs=jnp.array([0.4, 0.6]))
    assert isinstance(dist.Mixture(mixing, dist.Normal(jnp.zeros(2), 1.0)), dist.MixtureSameFamily)
    assert isinstance(dist.Mixture(mixing, [dist.Normal(), dist.Normal(1.0)]), dist.MixtureGeneral)


def test_mixture_of_vector_events():
    probs = jnp.array([0.25, 0.75])
    locs = jnp.array([[-2.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    components = dist.Normal(locs, 0.5).to_event(1)
    d = dist.MixtureSameFamily(dist.Categorical(probs=probs), components)
    assert (d.batch_shape, d.event_shape) == ((), (3,))

    @jax.jit
    def values():  # the distributions are constants here, not arguments
        x = d.sample(KEY, (4000,))
        samples, (indices,) = d.sample_with_intermediates(KEY, (5,))
        return dict(x=x, per_component=components.log_prob(x[:, None, :]), log_prob=d.log_prob(x),
                    mean=d.mean, variance=d.variance, samples=samples, indices=indices)

    out = values()
    x = out["x"]
    assert x.shape == (4000, 3)
    per_component = np.asarray(out["per_component"])
    expected = np.log(np.exp(per_component) @ np.asarray(probs))
    _close(out["log_prob"], expected, rtol=1e-5)
    mean = np.asarray(probs) @ np.asarray(locs)
    _close(out["mean"], mean)
    variance = 0.25 + np.asarray(probs) @ (np.asarray(locs) - mean) ** 2
    _close(out["variance"], variance)
    _close(np.asarray(x).mean(0), mean, atol=0.1)
    assert out["samples"].shape == (5, 3) and out["indices"].shape == (5,)


def test_mixture_batch_broadcasts_mixing_and_components():
    mixing = dist.Categorical(logits=jnp.zeros((4, 1, 2)))
    d = dist.MixtureSameFamily(mixing, dist.Normal(jnp.zeros((3, 2)), 1.0))
    assert d.batch_shape == (4, 3)
    # shapes by tracing (batched mixture values are checked in test_distributions.py)
    assert jax.eval_shape(lambda: d.sample(KEY, (2,))).shape == (2, 4, 3)
    assert jax.eval_shape(d.log_prob, jnp.zeros(3)).shape == (4, 3)
    assert jax.eval_shape(jax.jit(lambda d, x: d.log_prob(x)), d, jnp.zeros(3)).shape == (4, 3)


def test_mixture_general_needs_a_common_support_or_an_explicit_one():
    mixing = dist.Categorical(probs=jnp.array([0.5, 0.5]))
    mixed = [dist.Normal(), dist.Exponential(1.0)]
    with pytest.raises(ValueError, match="support"):
        dist.MixtureGeneral(mixing, mixed)
    d = dist.MixtureGeneral(mixing, mixed, support=constraints.real)
    expected = np.log(0.5 * stats.norm.pdf(-1.0))
    _close(d.log_prob(-1.0), expected, rtol=1e-5)  # the exponential gives -inf, not NaN
    with pytest.raises(ValueError, match="categories"):
        dist.MixtureGeneral(mixing, [dist.Normal()])


# ---------------------------------------------------------- TransformedDistribution


def test_transformed_vector_event_sums_the_log_det():
    base = dist.Normal(jnp.zeros(3), 1.0)
    d = dist.TransformedDistribution(base, transforms.AffineTransform(1.0, 2.0, event_dim=1))
    assert (d.batch_shape, d.event_shape) == ((), (3,))
    y = jnp.array([0.0, 1.0, 4.0])
    _close(d.log_prob(y), stats.norm(1.0, 2.0).logpdf(np.asarray(y)).sum(), rtol=1e-5)
    with pytest.raises(NotImplementedError, match="univariate"):
        d.cdf(y)


def test_transformed_parameters_broadcast_the_base():
    d = dist.TransformedDistribution(dist.Normal(0.0, 1.0), transforms.AffineTransform(jnp.arange(3.0), 1.0))
    assert d.batch_shape == (3,)
    x = np.asarray(d.sample(KEY, (2000,)))
    _close(x.mean(0), [0.0, 1.0, 2.0], atol=0.1)
    assert abs(np.corrcoef(x, rowvar=False)[0, 1]) < 0.1


def test_transformed_chain_and_decreasing_transform():
    # exp then x -> x^-1: the reciprocal of a log-normal is log-normal with -mu.
    inner = dist.TransformedDistribution(dist.Normal(0.4, 0.8), transforms.ExpTransform())
    d = dist.TransformedDistribution(inner, transforms.PowerTransform(-1.0))
    assert len(d.transforms) == 2 and isinstance(d.base_dist, dist.Normal)
    ref = stats.lognorm(s=0.8, scale=np.exp(-0.4))
    y = np.array([0.3, 0.7, 2.0])
    _close(d.log_prob(y), ref.logpdf(y), rtol=1e-5)
    _close(d.cdf(y), ref.cdf(y))
    _close(d.icdf(jnp.array([0.1, 0.5, 0.9])), ref.ppf([0.1, 0.5, 0.9]), rtol=1e-4)
    sample, intermediates = d.sample_with_intermediates(KEY, (2,))
    assert sample.shape == (2,) and len(intermediates) == 2
    shifted = dist.TransformedDistribution(
        dist.Normal(0.4, 0.8), [transforms.ExpTransform(), transforms.AffineTransform(1.0, 2.0)]
    )
    shifted_ref = stats.lognorm(s=0.8, loc=1.0, scale=2 * np.exp(0.4))
    _close(shifted.log_prob(y + 1.0), shifted_ref.logpdf(y + 1.0), rtol=1e-5)


def test_transformed_support_and_bad_arguments():
    d = dist.TransformedDistribution(dist.Normal(), transforms.SigmoidTransform())
    assert float(d.log_prob(1.5)) == -np.inf and np.isfinite(float(d.log_prob(0.3)))
    assert d.has_rsample
    with pytest.raises(ValueError, match="transforms"):
        dist.TransformedDistribution(dist.Normal(), "exp")


# ------------------------------------------------------------ Delta, Unit, Improper


def test_delta_with_an_event():
    v = jnp.array([[1.0, 2.0], [3.0, 4.0]])
    d = dist.Delta(v, log_density=jnp.array([0.5, -1.0]), event_dim=1)
    assert (d.batch_shape, d.event_shape) == ((2,), (2,))
    assert d.sample(KEY, (3,)).shape == (3, 2, 2)
    _close(d.log_prob(v), [0.5, -1.0])
    log_prob = np.asarray(d.log_prob(jnp.array([[1.0, 2.5], [3.0, 4.0]])))
    assert log_prob[0] == -np.inf and log_prob[1] == -1.0
    with pytest.raises(ValueError, match="event_dim"):
        dist.Delta(1.0, event_dim=1)


def test_unit_carries_a_log_factor():
    d = dist.Unit(jnp.array([-1.0, 2.0]))
    assert (d.batch_shape, d.event_shape) == ((2,), (0,))
    value = d.sample(KEY, (3,))
    assert value.shape == (3, 2, 0)
    _close(d.log_prob(value), np.broadcast_to([-1.0, 2.0], (3, 2)))


def test_improper_uniform_is_flat_on_its_support_and_cannot_be_sampled():
    d = dist.ImproperUniform(constraints.positive, (2,), (3,))
    assert (d.batch_shape, d.event_shape) == ((2,), (3,))
    assert d.support.event_dim == 1
    x = jnp.array([[1.0, 2.0, 3.0], [1.0, -2.0, 3.0]])
    log_prob = np.asarray(d.log_prob(x))
    assert log_prob.tolist() == [0.0, -np.inf]
    with pytest.raises(NotImplementedError, match="latent sites.*initialised by inference"):
        d.sample(KEY)
    with pytest.raises(ValueError, match="event_shape"):
        dist.ImproperUniform(constraints.simplex, (), ())
