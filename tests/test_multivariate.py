"""Checks on the multivariate families that the distribution table cannot express.

* LKJ: off-diagonal correlations have the Beta marginal of LKJ (2009), for both
  samplers; the LKJCholesky density integrates to one; LKJ and LKJCholesky agree.
* MultivariateNormal: the three parametrisations agree, batch dims broadcast, checks
  behave under jit, reparameterised gradients match finite differences.
* Gradients that flow through jax.random.gamma (Student t, Wishart, LKJ, Dirichlet) are
  implicit reparameterisation gradients, not the derivative of the fixed-key sampler, so
  they are checked in expectation: the mean of per-draw gradients must match the
  derivative of a closed-form moment within 5 Monte Carlo standard errors.
* Cross-family identities: the random walk is a dense normal with covariance
  ``scale^2 min(s, t)``, LowRank equals the dense normal, Wishart and WishartCholesky
  differ by the Jacobian of ``L -> L L^T``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

import bayesmodels.distributions as dist
from tests.cases.multivariate import COVARIANCES, LOCS, TRILS

KS_ALPHA = 1e-3
MOMENT_Z = 5.0


# --------------------------------------------------------------------------------- LKJ


@functools.partial(jax.jit, static_argnames="sample_method")
def _lkj_draws(eta, sample_method):
    """4000 draws of a 4 x 4 LKJ matrix; one compile per sampler, shared by every eta."""
    return dist.LKJ(4, eta, sample_method).sample(jax.random.PRNGKey(11), (4000,))


@pytest.mark.parametrize("sample_method", ["onion", "cvine"])
@pytest.mark.parametrize("eta", [0.7, 2.0])
def test_lkj_off_diagonal_marginals_are_beta(sample_method, eta):
    d = 4
    corr = np.asarray(_lkj_draws(eta, sample_method), np.float64)
    b = eta - 1.0 + d / 2.0
    marginal = stats.beta(b, b, loc=-1.0, scale=2.0)
    for i, j in [(1, 0), (3, 0), (3, 2)]:
        result = stats.kstest(corr[:, i, j], marginal.cdf)
        assert result.pvalue > KS_ALPHA, (sample_method, eta, (i, j), result.pvalue)


@jax.jit
def _lkj_2d_densities(phi, eta):
    """Both LKJ densities at r = sin(phi), times dr/dphi; one compile for every eta."""
    r, root = jnp.sin(phi), jnp.cos(phi)
    tril = jnp.array([[1.0, 0.0], [r, root]])
    matrix = jnp.array([[1.0, r], [r, 1.0]])
    chol, corr = dist.LKJCholesky(2, eta), dist.LKJ(2, eta)
    return jnp.exp(chol.log_prob(tril)) * root, jnp.exp(corr.log_prob(matrix)) * root


@pytest.mark.parametrize("eta", [0.8, 1.0, 3.0])
def test_lkj_densities_integrate_to_one_in_two_dims(eta):
    """The one free correlation is r = sin(phi); dr = cos(phi) dphi removes the endpoint
    singularity of (1 - r^2)^(eta - 1)."""
    eta = jnp.float32(eta)
    for which in range(2):
        # float32 densities: ask quad for no more than float32 can give
        total, _ = integrate.quad(lambda phi: float(_lkj_2d_densities(phi, eta)[which]),
                                  -np.pi / 2, np.pi / 2, epsabs=1e-6, epsrel=1e-6)
        np.testing.assert_allclose(total, 1.0, rtol=1e-4)


def test_lkj_cholesky_density_integrates_to_one_in_three_dims():
    """L = [[1, 0, 0], [a, sqrt(1 - a^2), 0], [b, c, sqrt(1 - b^2 - c^2)]], integrated
    over a in (-1, 1) and (b, c) in the unit disc (polar coordinates, Gauss-Legendre)."""
    eta = 2.0
    nodes, weights = np.polynomial.legendre.leggauss(48)
    a = nodes  # on (-1, 1)
    rho = 0.5 * (nodes + 1.0)  # on (0, 1)
    theta = np.pi * (nodes + 1.0)  # on (0, 2 pi)
    A, R, T = np.meshgrid(a, rho, theta, indexing="ij")
    W = weights[:, None, None] * (0.5 * weights)[None, :, None] * (np.pi * weights)[None, None, :] * R
    b, c = R * np.cos(T), R * np.sin(T)
    zeros = np.zeros_like(A)
    tril = np.stack(
        [
            np.stack([np.ones_like(A), zeros, zeros], -1),
            np.stack([A, np.sqrt(1 - A**2), zeros], -1),
            np.stack([b, c, np.sqrt(np.clip(1 - R**2, 0, None))], -1),
        ],
        -2,
    )
    with jax.enable_x64(True):
        log_density = jax.jit(lambda tril: dist.LKJCholesky(3, eta).log_prob(tril))(jnp.asarray(tril))
        density = np.exp(np.asarray(log_density))
        assert log_density.dtype == jnp.float64
    np.testing.assert_allclose(np.sum(W * density), 1.0, rtol=1e-4)


@pytest.mark.parametrize("sample_method", ["onion", "cvine"])
def test_lkj_and_lkj_cholesky_differ_by_the_jacobian(sample_method):
    d, eta = 4, 1.7
    chol, full = dist.LKJCholesky(d, eta, sample_method), dist.LKJ(d, eta, sample_method)

    @jax.jit
    def both(chol, full):
        tril = chol.sample(jax.random.PRNGKey(3), (5,))
        diagonal = jnp.diagonal(tril, axis1=-2, axis2=-1)
        log_jacobian = jnp.sum((d - jnp.arange(1, d + 1)) * jnp.log(diagonal), axis=-1)
        return full.log_prob(tril @ jnp.swapaxes(tril, -1, -2)), chol.log_prob(tril) - log_jacobian

    corr, expected = both(chol, full)
    assert corr.shape == (5,)
    np.testing.assert_allclose(corr, expected, rtol=1e-4, atol=1e-4)


def test_lkj_batched_concentration():
    # Shapes only, by tracing: batched LKJ values are checked in test_distributions.py.
    d = dist.LKJCholesky(3, jnp.array([0.5, 1.0, 4.0]))
    assert d.batch_shape == (3,) and d.event_shape == (3, 3)
    x = jax.eval_shape(lambda: d.sample(jax.random.PRNGKey(0), (2,)))
    assert x.shape == (2, 3, 3, 3)
    assert jax.eval_shape(d.log_prob, x).shape == (2, 3)
    assert jax.eval_shape(lambda: d.mean).shape == jax.eval_shape(lambda: d.variance).shape == (3, 3, 3)


# --------------------------------------------------------------- MultivariateNormal


def test_mvn_parametrisations_agree():
    loc, cov = jnp.asarray(LOCS[1]), jnp.asarray(COVARIANCES[1])
    names = ("covariance_matrix", "precision_matrix", "scale_tril")

    @jax.jit
    def values(loc, cov):
        by_cov = dist.MultivariateNormal(loc, covariance_matrix=cov)
        by_prec = dist.MultivariateNormal(loc, precision_matrix=jnp.linalg.inv(cov))
        by_tril = dist.MultivariateNormal(loc, scale_tril=jnp.linalg.cholesky(cov))
        x = by_cov.sample(jax.random.PRNGKey(0), (7,))
        return [[d.log_prob(x)] + [getattr(d, name) for name in names] for d in (by_cov, by_prec, by_tril)]

    expected, *others = values(loc, cov)
    for other in others:
        for ours, theirs in zip(other, expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    by_cov = dist.MultivariateNormal(loc, covariance_matrix=cov)
    # the given matrix is kept as passed
    assert by_cov.covariance_matrix is cov


def test_mvn_batch_dims_broadcast():
    locs = np.stack(LOCS[:2])[:, None, :]  # (2, 1, 3)
    trils = np.stack(TRILS)  # (3, 3, 3)
    d = dist.MultivariateNormal(locs, scale_tril=trils)
    single = dist.MultivariateNormal(LOCS[0], covariance_matrix=COVARIANCES[0])
    assert d.batch_shape == (2, 3) and d.event_shape == (3,)

    @jax.jit
    def values(d, single):
        x = d.sample(jax.random.PRNGKey(1), (5,))
        return dict(x=x, mean=d.mean, variance=d.variance, entropy=d.entropy(), log_prob=d.log_prob(x),
                    one_value=d.log_prob(x[0, 0, 0]), plate=single.log_prob(x.reshape(-1, 3)))

    out = values(d, single)
    assert out["mean"].shape == out["variance"].shape == (2, 3, 3)
    assert out["entropy"].shape == (2, 3)
    x = np.asarray(out["x"], np.float64)
    assert x.shape == (5, 2, 3, 3)
    ours = np.asarray(out["log_prob"])
    for i in range(2):
        for j in range(3):
            ref = stats.multivariate_normal(LOCS[i], COVARIANCES[j]).logpdf(x[:, i, j])
            np.testing.assert_allclose(ours[:, i, j], ref, rtol=1e-4, atol=1e-4)
    # one value against the whole batch, and a plate of values against one factor
    assert out["one_value"].shape == (2, 3)
    np.testing.assert_allclose(
        out["plate"],
        stats.multivariate_normal(LOCS[0], COVARIANCES[0]).logpdf(x.reshape(-1, 3)),
        rtol=1e-4, atol=1e-4,
    )


def test_mvn_checks_are_free_under_jit_unless_asked():
    bad = jnp.array([[1.0, 2.0], [2.0, 1.0]])
    out = jax.jit(lambda c: dist.MultivariateNormal(jnp.zeros(2), covariance_matrix=c).loc)(bad)
    assert out.shape == (2,)  # traced: no check, no error
    import equinox as eqx

    f = jax.jit(lambda c: dist.MultivariateNormal(jnp.zeros(2), covariance_matrix=c, validate_args=True)
                .log_prob(jnp.zeros(2)))
    assert np.isfinite(f(jnp.eye(2)))
    with pytest.raises((ValueError, eqx.EquinoxRuntimeError), match="'covariance_matrix'"):
        f(bad).block_until_ready()


def _fd_check(objective, theta, eps=1e-6):
    """The gradient and every central difference, in one compiled call."""
    steps = eps * np.eye(np.size(theta)).reshape((-1,) + np.shape(theta))

    @jax.jit
    def gradient_and_differences(theta):
        up = jax.lax.map(objective, theta + steps)
        down = jax.lax.map(objective, theta - steps)
        return jax.grad(objective)(theta), (up - down) / (2 * eps)

    auto, numeric = gradient_and_differences(theta)
    assert auto.dtype == jnp.float64
    np.testing.assert_allclose(np.ravel(auto), numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["loc", "covariance_matrix", "precision_matrix", "scale_tril",
                                  "cov_factor", "cov_diag", "random_walk", "zero_sum"])
def test_normal_based_rsample_gradients_match_finite_differences(name):
    key = jax.random.PRNGKey(5)
    with jax.enable_x64(True):
        cov = jnp.asarray(COVARIANCES[0])
        factor = jnp.array([[1.0, 0.0], [0.5, -0.3], [0.2, 0.8]])
        makers = {
            "loc": (jnp.asarray(LOCS[1]), lambda t: dist.MultivariateNormal(t, covariance_matrix=cov)),
            "covariance_matrix": (cov, lambda t: dist.MultivariateNormal(0.0, covariance_matrix=(t + t.T) / 2)),
            "precision_matrix": (jnp.linalg.inv(cov),
                                 lambda t: dist.MultivariateNormal(0.0, precision_matrix=(t + t.T) / 2)),
            "scale_tril": (jnp.asarray(TRILS[0]), lambda t: dist.MultivariateNormal(0.0, scale_tril=jnp.tril(t))),
            "cov_factor": (factor, lambda t: dist.LowRankMultivariateNormal(jnp.zeros(3), t, jnp.ones(3))),
            "cov_diag": (jnp.array([0.5, 1.0, 2.0]),
                         lambda t: dist.LowRankMultivariateNormal(jnp.zeros(3), factor, t)),
            "random_walk": (jnp.float64(0.7), lambda t: dist.GaussianRandomWalk(t, num_steps=4)),
            "zero_sum": (jnp.float64(1.3), lambda t: dist.ZeroSumNormal(t, event_shape=(3, 2))),
        }
        theta, make = makers[name]
        _fd_check(lambda t: jnp.sum(jnp.tanh(make(t).rsample(key, (4,)))), theta)


# ------------------------------------------- gamma-based gradients, in expectation


def _expected_gradient(draw_one, theta, n=20000):
    """Mean and standard error of per-draw gradients of ``draw_one(key, theta)``."""
    keys = jax.random.split(jax.random.PRNGKey(2024), n)
    grads = np.asarray(jax.jit(jax.vmap(jax.grad(draw_one, argnums=1), in_axes=(0, None)))(keys, theta),
                       np.float64)
    return grads.mean(), grads.std() / np.sqrt(n)


@pytest.mark.parametrize(
    "label, draw_one, theta, truth",
    [
        # d/d df E[x_0^2] = d/d df [df / (df - 2)] = -2 / (df - 2)^2
        ("student-t df",
         lambda k, t: dist.MultivariateStudentT(t, jnp.zeros(2), jnp.eye(2)).rsample(k)[0] ** 2,
         7.0, -2.0 / 25.0),
        # d/dn E[X_00] = S_00
        ("wishart concentration",
         lambda k, t: dist.Wishart(t, scale_matrix=jnp.array([[2.0, 0.5], [0.5, 1.0]])).rsample(k)[0, 0],
         4.0, 2.0),
        # L_00^2 = S_00 chi2(n): d/dn E = S_00
        ("wishart-cholesky concentration",
         lambda k, t: dist.WishartCholesky(t, scale_tril=jnp.array([[1.5, 0.0], [0.3, 1.0]])).rsample(k)[0, 0] ** 2,
         3.5, 2.25),
        # d/d eta E[C_10^2] = d/d eta 1 / (2 eta + d - 1)
        ("lkj onion", lambda k, t: dist.LKJ(3, t).rsample(k)[1, 0] ** 2, 1.5, -2.0 / 25.0),
        ("lkj cvine", lambda k, t: dist.LKJ(3, t, "cvine").rsample(k)[2, 1] ** 2, 1.5, -2.0 / 25.0),
        # d/d alpha_0 E[x_0] = (A - alpha_0) / A^2 with A = alpha_0 + 3
        ("dirichlet", lambda k, t: dist.Dirichlet(jnp.stack([t, 1.0, 2.0])).rsample(k)[0], 1.5, 3.0 / 4.5**2),
    ],
)
def test_gamma_based_gradients_are_unbiased(label, draw_one, theta, truth):
    mean, se = _expected_gradient(draw_one, jnp.float32(theta))
    assert abs(mean - truth) < MOMENT_Z * se, (label, mean, truth, se)


# -------------------------------------------------------------- other families


def test_student_t_moments_where_they_do_not_exist():
    df = jnp.array([0.5, 1.0, 1.5, 2.0, 3.0])

    @jax.jit
    def values(df):
        d = dist.MultivariateStudentT(df, jnp.zeros(2), jnp.eye(2))
        identity = dist.MultivariateStudentT(3.0, jnp.ones(4))
        return d.mean, d.variance, identity.scale_tril

    mean, variance, identity_scale_tril = (np.asarray(v) for v in values(df))
    assert np.all(np.isnan(mean[:2])) and np.all(mean[2:] == 0.0)
    assert np.all(np.isnan(variance[:2])) and np.all(np.isinf(variance[2:4]))
    np.testing.assert_allclose(variance[4], [3.0, 3.0])
    identity = dist.MultivariateStudentT(3.0, jnp.ones(4))
    assert identity.event_shape == (4,) and np.allclose(identity_scale_tril, np.eye(4))


def test_low_rank_matches_dense():
    loc = jnp.array([0.0, 1.0, -1.0])
    factor = jnp.array([[1.0, 0.0], [0.5, -0.3], [0.2, 0.8]])
    diag = jnp.array([0.5, 1.0, 0.3])
    low = dist.LowRankMultivariateNormal(loc, factor, diag)
    cov = np.asarray(factor @ factor.T + jnp.diag(diag))
    dense = dist.MultivariateNormal(loc, covariance_matrix=cov)

    @jax.jit
    def values(low, dense):
        x = dense.sample(jax.random.PRNGKey(0), (6,))
        return dict(covariance_matrix=low.covariance_matrix, precision_matrix=low.precision_matrix,
                    scale_tril=low.scale_tril, log_prob=low.log_prob(x), dense_log_prob=dense.log_prob(x),
                    entropy=low.entropy(), dense_entropy=dense.entropy())

    out = values(low, dense)
    np.testing.assert_allclose(out["covariance_matrix"], cov, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["precision_matrix"], np.linalg.inv(cov), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["scale_tril"] @ out["scale_tril"].T, cov, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["log_prob"], out["dense_log_prob"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["entropy"], out["dense_entropy"], rtol=1e-5)


def test_random_walk_is_a_dense_normal():
    scale, n = 0.8, 6
    steps = np.arange(1, n + 1)
    cov = scale**2 * np.minimum.outer(steps, steps)
    walk = dist.GaussianRandomWalk(scale, num_steps=n)
    batched = dist.GaussianRandomWalk(jnp.array([1.0, 2.0]), num_steps=3)

    @jax.jit
    def values(walk, batched):
        x = walk.sample(jax.random.PRNGKey(4), (5,))
        return x, walk.log_prob(x), batched.log_prob(batched.sample(jax.random.PRNGKey(0)))

    x, log_prob, batched_log_prob = values(walk, batched)
    x = np.asarray(x, np.float64)
    np.testing.assert_allclose(log_prob, stats.multivariate_normal(np.zeros(n), cov).logpdf(x),
                               rtol=1e-4, atol=1e-4)
    assert batched.shape((4,)) == (4, 2, 3) and batched_log_prob.shape == (2,)


def test_zero_sum_normal_sums_to_zero_on_each_axis():
    d = dist.ZeroSumNormal(jnp.array([1.0, 3.0]), event_shape=(4, 3))

    @jax.jit
    def values(d):
        x = d.sample(jax.random.PRNGKey(0), (5,))
        return x, d.log_prob(x), d.log_prob(x + 1.0)

    x, log_prob, shifted = values(d)
    assert x.shape == (5, 2, 4, 3)
    np.testing.assert_allclose(x.sum(-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.sum(-2), 0.0, atol=1e-5)
    assert d.support.event_dim == 2
    assert log_prob.shape == (5, 2) and np.all(np.isfinite(log_prob))
    assert np.all(shifted == -np.inf)


def test_wishart_and_its_cholesky_differ_by_the_jacobian():
    scale = jnp.asarray(COVARIANCES[2])
    wishart = dist.Wishart(5.0, scale_matrix=scale)
    chol = dist.WishartCholesky(5.0, scale_matrix=scale)
    names = ("scale_matrix", "rate_matrix", "scale_tril")
    p = 3

    @jax.jit
    def values(wishart, chol):
        x = wishart.sample(jax.random.PRNGKey(2), (4,))
        tril = jnp.linalg.cholesky(x)
        diagonal = jnp.diagonal(tril, axis1=-2, axis2=-1)
        log_jacobian = p * np.log(2.0) + jnp.sum(jnp.arange(p, 0, -1) * jnp.log(diagonal), -1)
        others = [dist.Wishart(5.0, **{name: getattr(wishart, name)}).log_prob(x) for name in names]
        return chol.log_prob(tril), wishart.log_prob(x) + log_jacobian, wishart.log_prob(x), others

    chol_log_prob, expected, log_prob, others = values(wishart, chol)
    assert chol_log_prob.shape == (4,)
    np.testing.assert_allclose(chol_log_prob, expected, rtol=1e-4, atol=1e-4)
    for other in others:
        np.testing.assert_allclose(other, log_prob, rtol=1e-4, atol=1e-4)
