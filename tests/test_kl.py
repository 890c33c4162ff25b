"""``kl_divergence`` against references computed another way: numerical integration of
:math:`p (\\log p - \\log q)` with scipy for the 1-d families (and a 2-d integral for a
Dirichlet), dense numpy linear algebra for the Gaussians."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import gammaln

import bayesmodels.distributions as dist
from bayesmodels.distributions import kl_divergence


def _quad_kl(p, q, low, high):
    """KL(p || q) = int p(x) (log p(x) - log q(x)) dx by adaptive quadrature."""

    def integrand(x):
        log_p = p.logpdf(x)
        return np.exp(log_p) * (log_p - q.logpdf(x))

    value, error = integrate.quad(integrand, low, high, epsabs=1e-11, epsrel=1e-10, limit=200)
    assert error < 1e-7
    return value


# (ours p, ours q, scipy p, scipy q, integration range); parameters picked so the
# divergences are far from zero and from each other
UNIVARIATE = {
    "normal": (
        dist.Normal(0.3, 1.7), dist.Normal(-1.0, 0.6),
        stats.norm(0.3, 1.7), stats.norm(-1.0, 0.6), (-np.inf, np.inf),
    ),
    "exponential": (
        dist.Exponential(2.5), dist.Exponential(0.4),
        stats.expon(scale=1 / 2.5), stats.expon(scale=1 / 0.4), (0.0, np.inf),
    ),
    "gamma": (
        dist.Gamma(3.0, 2.0), dist.Gamma(1.5, 0.7),
        stats.gamma(3.0, scale=1 / 2.0), stats.gamma(1.5, scale=1 / 0.7), (0.0, np.inf),
    ),
    "beta": (
        dist.Beta(2.5, 1.5), dist.Beta(1.2, 4.0),
        stats.beta(2.5, 1.5), stats.beta(1.2, 4.0), (0.0, 1.0),
    ),
}


@pytest.mark.parametrize("name", sorted(UNIVARIATE))
def test_univariate_against_quadrature(name):
    p, q, sp, sq, (low, high) = UNIVARIATE[name]
    expected = _quad_kl(sp, sq, low, high)
    assert expected > 0.05
    assert float(kl_divergence(p, q)) == pytest.approx(expected, rel=1e-5)
    assert float(jax.jit(kl_divergence)(p, q)) == pytest.approx(expected, rel=1e-5)
    assert float(kl_divergence(p, p)) == pytest.approx(0.0, abs=1e-6)


def test_dirichlet_against_two_dim_quadrature_and_beta():
    a, b = np.array([2.0, 3.0, 1.5]), np.array([1.2, 1.1, 4.0])

    def log_pdf(x, c):  # the Dirichlet density, written out
        return gammaln(c.sum()) - gammaln(c).sum() + np.sum((c - 1.0) * np.log(x))

    def integrand(x2, x1):
        x = np.array([x1, x2, 1.0 - x1 - x2])
        if x.min() <= 0.0:
            return 0.0
        log_p, log_q = log_pdf(x, a), log_pdf(x, b)
        return np.exp(log_p) * (log_p - log_q)

    expected, _ = integrate.dblquad(integrand, 0.0, 1.0, 0.0, lambda x1: 1.0 - x1, epsabs=1e-9)
    got = float(kl_divergence(dist.Dirichlet(jnp.asarray(a)), dist.Dirichlet(jnp.asarray(b))))
    assert got == pytest.approx(expected, rel=1e-4)
    # a two-category Dirichlet is a Beta on its first coordinate
    two = kl_divergence(dist.Dirichlet(jnp.array([2.5, 1.5])), dist.Dirichlet(jnp.array([1.2, 4.0])))
    assert float(two) == pytest.approx(_quad_kl(stats.beta(2.5, 1.5), stats.beta(1.2, 4.0), 0.0, 1.0), rel=1e-5)


def _numpy_gaussian_kl(mu_p, cov_p, mu_q, cov_q):
    """The textbook formula with explicit inverses and determinants."""
    inv_q = np.linalg.inv(cov_q)
    diff = mu_q - mu_p
    k = len(mu_p)
    log_det = np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1]
    return 0.5 * (np.trace(inv_q @ cov_p) + diff @ inv_q @ diff - k + log_det)


def _random_cov(rng, k):
    a = rng.normal(size=(k, k))
    return a @ a.T + 0.5 * np.eye(k)


def test_multivariate_normal_pairs_against_numpy():
    rng = np.random.default_rng(0)
    k = 4
    mu_p, mu_q = rng.normal(size=k), rng.normal(size=k)
    cov_p, cov_q = _random_cov(rng, k), _random_cov(rng, k)
    w, diag = rng.normal(size=(k, 2)), rng.uniform(0.5, 2.0, size=k)
    sd = rng.uniform(0.5, 2.0, size=k)
    mvn_p = dist.MultivariateNormal(jnp.asarray(mu_p), covariance_matrix=jnp.asarray(cov_p))
    mvn_q = dist.MultivariateNormal(jnp.asarray(mu_q), precision_matrix=jnp.asarray(np.linalg.inv(cov_q)))
    low_rank = dist.LowRankMultivariateNormal(jnp.asarray(mu_p), jnp.asarray(w), jnp.asarray(diag))
    diagonal = dist.Normal(jnp.asarray(mu_q), jnp.asarray(sd)).to_event(1)
    cov_low_rank, cov_diagonal = w @ w.T + np.diag(diag), np.diag(sd**2)
    cases = [
        (mvn_p, mvn_q, (mu_p, cov_p, mu_q, cov_q)),
        (low_rank, mvn_q, (mu_p, cov_low_rank, mu_q, cov_q)),
        (mvn_q, low_rank, (mu_q, cov_q, mu_p, cov_low_rank)),
        (low_rank, low_rank, (mu_p, cov_low_rank, mu_p, cov_low_rank)),
        (low_rank, diagonal, (mu_p, cov_low_rank, mu_q, cov_diagonal)),
        (diagonal, mvn_p, (mu_q, cov_diagonal, mu_p, cov_p)),
    ]
    for p, q, args in cases:
        expected = _numpy_gaussian_kl(*args)
        assert float(kl_divergence(p, q)) == pytest.approx(expected, rel=1e-4, abs=1e-5), (type(p), type(q))


def test_one_dim_multivariate_normal_matches_quadrature():
    p = dist.MultivariateNormal(jnp.array([0.3]), covariance_matrix=jnp.array([[1.7**2]]))
    q = dist.MultivariateNormal(jnp.array([-1.0]), scale_tril=jnp.array([[0.6]]))
    expected = _quad_kl(stats.norm(0.3, 1.7), stats.norm(-1.0, 0.6), -np.inf, np.inf)
    assert float(kl_divergence(p, q)) == pytest.approx(expected, rel=1e-5)


def _normal_kl(mu_p, s_p, mu_q, s_q):
    return np.log(s_q / s_p) + (s_p**2 + (mu_p - mu_q) ** 2) / (2 * s_q**2) - 0.5


def test_batch_shapes_broadcast_elementwise():
    rng = np.random.default_rng(1)
    mu_p, s_p = rng.normal(size=(2, 3)), rng.uniform(0.5, 2.0, size=(2, 3))
    mu_q, s_q = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    p = dist.Normal(jnp.asarray(mu_p), jnp.asarray(s_p))
    kl = kl_divergence(p, dist.Normal(jnp.asarray(mu_q), jnp.asarray(s_q)))
    assert kl.shape == (2, 3)
    np.testing.assert_allclose(kl, _normal_kl(mu_p, s_p, mu_q, s_q), rtol=1e-5)
    # a batch of MVNs against one MVN
    cov = jnp.stack([jnp.eye(2), 2.0 * jnp.eye(2), jnp.array([[1.0, 0.5], [0.5, 1.0]])])
    p = dist.MultivariateNormal(jnp.zeros((3, 2)), cov)
    kl = kl_divergence(p, dist.MultivariateNormal(jnp.ones(2), jnp.eye(2)))
    assert kl.shape == (3,)
    expected = [_numpy_gaussian_kl(np.zeros(2), np.asarray(c), np.ones(2), np.eye(2)) for c in cov]
    np.testing.assert_allclose(kl, expected, rtol=1e-5)
    # Dirichlet batch
    conc = jnp.array([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]])
    assert kl_divergence(dist.Dirichlet(conc), dist.Dirichlet(jnp.ones(3))).shape == (2,)


def test_wrappers_expanded_and_independent():
    rng = np.random.default_rng(2)
    mu, sd = rng.normal(size=(2, 3)), rng.uniform(0.5, 2.0, size=(2, 3))
    guide = dist.Normal(jnp.asarray(mu), jnp.asarray(sd))
    prior = dist.Normal(0.5, 1.5)
    pointwise = _normal_kl(mu, sd, 0.5, 1.5)
    # what plates make of a scalar prior: an ExpandedDistribution
    np.testing.assert_allclose(kl_divergence(guide, prior.expand((2, 3))), pointwise, rtol=1e-5)
    np.testing.assert_allclose(kl_divergence(prior.expand((2, 3)), guide), _normal_kl(0.5, 1.5, mu, sd), rtol=1e-5)
    # Independent sums over the reinterpreted dims, however the wrappers nest
    by_row = kl_divergence(guide.to_event(1), prior.expand((2, 3)).to_event(1))
    assert by_row.shape == (2,)
    np.testing.assert_allclose(by_row, pointwise.sum(-1), rtol=1e-5)
    total = kl_divergence(guide.to_event(1).to_event(1), prior.expand((3,)).to_event(1).expand((2,)).to_event(1))
    assert total.shape == ()
    assert float(total) == pytest.approx(pointwise.sum(), rel=1e-5)
    # a plate around an Independent guide site: Expanded(Independent(...))
    plated = dist.Normal(jnp.asarray(mu[0]), jnp.asarray(sd[0])).to_event(1).expand((4,))
    kl = kl_divergence(plated, prior.expand((4, 3)).to_event(1))
    np.testing.assert_allclose(kl, np.full(4, pointwise[0].sum()), rtol=1e-5)


def test_gradient_of_normal_kl():
    grad = jax.grad(lambda m: kl_divergence(dist.Normal(m, 1.0), dist.Normal(0.5, 2.0)))(1.5)
    assert float(grad) == pytest.approx((1.5 - 0.5) / 4.0, rel=1e-6)


def test_unknown_pairs_raise():
    with pytest.raises(NotImplementedError, match="Normal.*Cauchy"):
        kl_divergence(dist.Normal(0.0, 1.0), dist.Cauchy(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="Gamma.*Exponential"):
        kl_divergence(dist.Gamma(1.0, 1.0), dist.Exponential(1.0))
    with pytest.raises(NotImplementedError, match="1 dims vs Independent over 2"):
        kl_divergence(dist.MultivariateNormal(jnp.zeros((2, 3)), jnp.eye(3)).to_event(1),
                      dist.Normal(jnp.zeros((2, 3)), 1.0).to_event(2))
    with pytest.raises(NotImplementedError, match="Gaussian"):
        kl_divergence(dist.Cauchy(jnp.zeros(2), 1.0).to_event(1), dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2)))
    with pytest.raises(ValueError, match="event_shape"):
        kl_divergence(dist.Normal(jnp.zeros(2), 1.0).to_event(1), dist.Normal(0.0, 1.0))
