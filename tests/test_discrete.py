"""Checks of the discrete families that the distribution table does not cover: the
probs/logits choice, integer draws, enumeration rules, extreme parameters and NumPyro's
alias names."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, gammaln

import bayesmodels.distributions as dist

KEY = jax.random.PRNGKey(0)


# ----------------------------------------------------------------- probs or logits


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: dist.Bernoulli(**kw),
        lambda **kw: dist.Binomial(5, **kw),
        lambda **kw: dist.Geometric(**kw),
        lambda **kw: dist.NegativeBinomial(3.0, **kw),
    ],
    ids=["Bernoulli", "Binomial", "Geometric", "NegativeBinomial"],
)
def test_probs_and_logits_agree_and_both_are_attributes(make):
    p = np.array([0.1, 0.5, 0.8], np.float32)
    by_probs, by_logits = make(probs=p), make(logits=np.log(p / (1 - p)))

    @jax.jit
    def values(d):
        return d.logits, d.probs, d.log_prob(jnp.arange(4)[:, None])

    for ours, theirs in zip(values(by_probs), values(by_logits)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    assert list(by_probs.arg_constraints)[-1] == "probs"
    assert list(by_logits.arg_constraints)[-1] == "logits"


def test_numpyro_alias_names_return_the_family():
    p, logit = 0.3, -0.5
    assert isinstance(dist.BernoulliProbs(p), dist.Bernoulli)
    assert isinstance(dist.BernoulliLogits(logit), dist.Bernoulli)
    assert float(dist.BinomialProbs(p, total_count=7).total_count) == 7.0
    assert float(dist.BinomialLogits(logit, 7).mean) == pytest.approx(7 * expit(logit), rel=1e-6)
    assert isinstance(dist.GeometricProbs(p), dist.Geometric)
    assert isinstance(dist.GeometricLogits(logit), dist.Geometric)
    assert isinstance(dist.CategoricalProbs(jnp.array([0.5, 0.5])), dist.Categorical)
    assert isinstance(dist.CategoricalLogits(jnp.zeros(3)), dist.Categorical)
    assert dist.MultinomialProbs(jnp.array([0.5, 0.5]), 4).event_shape == (2,)
    assert dist.MultinomialLogits(jnp.zeros(3), total_count=2).event_shape == (3,)
    assert isinstance(dist.NegativeBinomialProbs(2.0, p), dist.NegativeBinomial)
    assert isinstance(dist.NegativeBinomialLogits(2.0, logit), dist.NegativeBinomial)


def test_exactly_one_of_probs_and_logits():
    for family in (dist.Bernoulli, dist.Geometric, dist.Categorical):
        with pytest.raises(ValueError, match="exactly one of 'probs' or 'logits'"):
            family()
    with pytest.raises(ValueError, match="exactly one of 'probs' or 'logits'"):
        dist.Multinomial(3, probs=jnp.array([0.5, 0.5]), logits=jnp.zeros(2))


# ------------------------------------------------------------------ draws and dtypes


@pytest.mark.parametrize(
    "d",
    [
        dist.Bernoulli(probs=0.3),
        dist.Binomial(4, logits=0.2),
        dist.Geometric(probs=0.4),
        dist.Categorical(logits=jnp.zeros(3)),
        dist.DiscreteUniform(-1, 2),
        dist.OrderedLogistic(0.0, jnp.array([-1.0, 1.0])),
        dist.Poisson(2.0),
        dist.GammaPoisson(2.0, 1.0),
        dist.NegativeBinomial(2.0, probs=0.3),
        dist.BetaBinomial(1.0, 2.0, 5),
        dist.ZeroInflatedPoisson(0.2, 3.0),
        dist.ZeroInflatedNegativeBinomial2(2.0, 3.0, gate_logits=0.0),
        dist.Multinomial(5, probs=jnp.array([0.2, 0.8])),
        dist.DirichletMultinomial(jnp.ones(3), 4),
    ],
    ids=lambda d: type(d).__name__,
)
def test_draws_are_default_integers(d):
    # dtype and shape by tracing; the values of every family's draws are checked in
    # test_distributions.py
    x = jax.eval_shape(lambda: d.sample(KEY, (5,)))
    assert x.dtype == jnp.result_type(int)
    assert x.shape == d.shape((5,))
    assert d.is_discrete


def test_multinomial_counts_sum_to_a_batched_total_count_under_jit():
    d = dist.Multinomial(jnp.array([0.0, 3.0, 40.0]), probs=jnp.array([0.1, 0.0, 0.6, 0.3]))
    x = jax.jit(lambda d, k: d.sample(k, (50,)))(d, KEY)
    assert x.shape == (50, 3, 4)
    np.testing.assert_array_equal(x.sum(-1), np.broadcast_to([0, 3, 40], (50, 3)))
    assert np.all(np.asarray(x)[..., 1] == 0), "a zero-probability category was drawn"


# ---------------------------------------------------------------------- enumeration


def test_enumerate_support_shapes():
    d = dist.Categorical(probs=jnp.full((2, 3, 4), 0.25))
    assert jax.eval_shape(d.enumerate_support).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: d.enumerate_support(expand=False)).shape == (4, 1, 1)
    b = dist.Binomial(jnp.full((2,), 3.0), probs=0.5)
    assert jax.eval_shape(lambda: b.enumerate_support(expand=False)).shape == (4, 1)


@pytest.mark.parametrize(
    "d",
    [
        dist.Binomial(jnp.array([2.0, 5.0]), probs=0.5),
        dist.BetaBinomial(1.0, 1.0, jnp.array([2.0, 5.0])),
        dist.DiscreteUniform(jnp.array([0.0, 1.0]), 3),
    ],
    ids=["Binomial", "BetaBinomial", "DiscreteUniform"],
)
def test_inhomogeneous_bounds_cannot_be_enumerated(d):
    assert not d.has_enumerate_support
    with pytest.raises(NotImplementedError, match="same"):
        d.enumerate_support()


def test_traced_total_count_cannot_be_enumerated():
    def f(n):
        d = dist.Binomial(n, probs=0.5)
        assert not d.has_enumerate_support
        with pytest.raises(NotImplementedError, match="traced"):
            d.enumerate_support()
        return d.mean

    jax.jit(f)(3.0)


def test_heterogeneous_binomial_against_scipy():
    n, p = np.array([2.0, 5.0, 30.0]), np.array([0.3, 0.5, 0.9])
    d = dist.Binomial(n, probs=p)
    k = np.arange(6)[:, None]
    # d is a constant of the compiled function, so the entropy's sum can see total_count
    log_prob, cdf, entropy = jax.jit(lambda k: (d.log_prob(k), d.cdf(k), d.entropy()))(k)
    expected = stats.binom(n, p).logpmf(k)
    np.testing.assert_allclose(log_prob, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(cdf, stats.binom(n, p).cdf(k), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(entropy, stats.binom(n, p).entropy(), rtol=1e-4)


# ------------------------------------------------------------------ extreme numbers


def test_probs_at_zero_and_one_are_exact():
    d = dist.Bernoulli(probs=jnp.array([0.0, 1.0]))
    b = dist.Binomial(4, probs=jnp.array([0.0, 1.0]))
    g = dist.Geometric(probs=1.0)
    c = dist.Categorical(probs=jnp.array([0.0, 1.0]))

    @jax.jit
    def values(d, b, g, c):
        return dict(
            bernoulli=d.log_prob(jnp.array([[0], [1]])), bernoulli_entropy=d.entropy(),
            binomial=b.log_prob(jnp.array([0, 4])),
            geometric=g.log_prob(jnp.array([0, 2])),
            categorical=c.log_prob(jnp.array([1, 0])), categorical_entropy=c.entropy(),
        )

    out = values(d, b, g, c)
    np.testing.assert_array_equal(out["bernoulli"], [[0.0, -np.inf], [-np.inf, 0.0]])
    np.testing.assert_array_equal(out["bernoulli_entropy"], [0.0, 0.0])
    np.testing.assert_array_equal(out["binomial"], [0.0, 0.0])
    np.testing.assert_array_equal(out["geometric"], [0.0, -np.inf])
    np.testing.assert_array_equal(out["categorical"], [0.0, -np.inf])
    assert float(out["categorical_entropy"]) == 0.0


def test_large_logits_stay_finite():
    @jax.jit
    def values(logits):
        return (dist.Bernoulli(logits=logits).log_prob(1),
                dist.Binomial(100, logits=logits).log_prob(jnp.array([0, 100])),
                dist.Geometric(logits=logits).log_prob(3),
                dist.NegativeBinomial(5.0, logits=logits).log_prob(2))

    bernoulli, binomial, geometric, negative_binomial = values(jnp.array([-60.0, 60.0]))
    np.testing.assert_allclose(bernoulli, [-60.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(binomial, [0.0, 0.0], atol=1e-5)
    assert geometric.shape == (2,) and np.isfinite(geometric).all()
    assert negative_binomial.shape == (2,) and np.isfinite(negative_binomial).all()


def test_large_counts_keep_precision():
    from bayesmodels.distributions._discrete_util import log_binomial_coefficient

    # log C(n, k) through betaln is as exact as float32 can hold (summing three gammaln
    # terms of size 1e7 is 20 times worse); the terms of log_prob then still cancel in
    # float32, so exact large-count likelihoods need x64
    n, k = 1e6, 300_000.0
    mean, phi = 50.0, 1e5  # nearly Poisson
    ours, log_prob = jax.jit(lambda n, k: (log_binomial_coefficient(n, k),
                                           dist.NegativeBinomial2(mean, phi).log_prob(45.0)))(n, k)
    assert ours.dtype == jnp.float32
    expected = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    np.testing.assert_allclose(ours, expected, rtol=3e-7)
    np.testing.assert_allclose(log_prob, stats.nbinom(phi, phi / (phi + mean)).logpmf(45), rtol=1e-4)


def test_ordered_logistic_extreme_predictor_has_no_nan():
    d = dist.OrderedLogistic(jnp.array([-200.0, 200.0]), jnp.array([-1.0, 0.0, 1.0]))

    @jax.jit
    def values(d):
        log_probs = d.log_prob(jnp.arange(4)[:, None])
        grad = jax.grad(lambda eta: dist.OrderedLogistic(eta, jnp.array([-1.0, 1.0])).log_prob(1))(0.3)
        return log_probs, grad

    log_probs, grad = values(d)
    assert log_probs.shape == (4, 2) and not np.isnan(log_probs).any()
    np.testing.assert_allclose(log_probs[0, 0], 0.0, atol=1e-6)
    np.testing.assert_allclose(log_probs[3, 1], 0.0, atol=1e-6)
    assert np.isfinite(grad)


def test_logits_gradient_is_finite_in_the_tails():
    def f(logit):
        return dist.Binomial(10, logits=logit).log_prob(10) + dist.Bernoulli(logits=logit).log_prob(0)

    grad = jax.jit(jax.vmap(jax.grad(f)))(jnp.array([-50.0, 0.0, 50.0]))
    assert grad.shape == (3,) and np.all(np.isfinite(grad))


# -------------------------------------------------------------------- other rules


def test_ordered_logistic_rejects_unordered_cutpoints():
    with pytest.raises(ValueError, match="'cutpoints'"):
        dist.OrderedLogistic(0.0, jnp.array([0.0, 0.0]))


def test_zero_inflation_with_gate_logits_matches_gate():
    by_gate = dist.ZeroInflatedDistribution(dist.Poisson(2.0), gate=0.25)
    by_logits = dist.ZeroInflatedDistribution(dist.Poisson(2.0), gate_logits=np.log(1 / 3))
    zip_ = dist.ZeroInflatedPoisson(0.25, 2.0)
    log_probs = jax.jit(lambda ds: [d.log_prob(jnp.arange(5)) for d in ds])([by_gate, by_logits, zip_])
    np.testing.assert_allclose(log_probs[1], log_probs[0], rtol=1e-5)
    np.testing.assert_allclose(log_probs[2], log_probs[0], rtol=1e-5)
    np.testing.assert_allclose(log_probs[0][0], np.log(0.25 + 0.75 * np.exp(-2.0)), rtol=1e-5)


def test_zero_inflated_distribution_expands_base_to_gate_batch():
    d = dist.ZeroInflatedDistribution(dist.Poisson(3.0), gate=jnp.array([0.0, 0.5, 1.0]))
    assert d.batch_shape == (3,)
    x, mean = jax.jit(lambda d: (d.sample(KEY, (200,)), d.mean))(d)
    assert x.shape == (200, 3)
    assert np.all(np.asarray(x)[:, 2] == 0)
    np.testing.assert_allclose(mean, [3.0, 1.5, 0.0])


def test_negative_binomial2_is_gamma_poisson_with_its_mean():
    d = dist.NegativeBinomial2(jnp.array([1.0, 4.0]), 2.0)
    assert isinstance(d, dist.GammaPoisson)
    np.testing.assert_allclose(d.mean, [1.0, 4.0], rtol=1e-6)


def test_discrete_uniform_icdf_inverts_cdf():
    d = dist.DiscreteUniform(-2, 4)
    k = np.arange(-2, 5).astype(np.float32)
    np.testing.assert_array_equal(jax.jit(lambda d, k: d.icdf(d.cdf(k)))(d, k), k)


def test_families_without_closed_forms_say_so():
    with pytest.raises(NotImplementedError):
        dist.Poisson(1.0).entropy()
    with pytest.raises(NotImplementedError):
        dist.Poisson(1.0).icdf(0.5)
    with pytest.raises(NotImplementedError):
        dist.BetaBinomial(1.0, 1.0, 3).cdf(1.0)


def test_moments_at_the_edge_of_the_unit_interval_are_infinite_not_an_exception():
    # Python-float parameters used to divide as Python floats and raise ZeroDivisionError
    assert float(dist.Geometric(probs=0.0).mean) == float("inf")  # never a success
    assert float(dist.NegativeBinomial(2.0, probs=1.0).mean) == float("inf")
    assert float(dist.NegativeBinomial(2.0, probs=1.0).variance) == float("inf")
    assert float(dist.Geometric(probs=0.25).mean) == 3.0  # (1 - p) / p, unchanged inside
