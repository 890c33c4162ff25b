r"""HMC within Gibbs: ``DiscreteHMCGibbs`` (each update scheme), ``HMCGibbs`` (a user's
exact conditional) and ``MixedHMC`` on models whose posteriors are known in closed form;
the MCMC driver's outputs for discrete sites, chain methods, and the errors.

Every run shares one mixture model with a scalar Bernoulli indicator and a plate of
three-valued Categorical indicators, so supports of different sizes (2 and 3) and sites
in a plate are always exercised. Its posterior factorises: for an observation
:math:`y` with indicator :math:`z \sim \mathrm{Cat}(w)`, :math:`x \mid z \sim N(\mu_z, 1)`,
:math:`y \mid x \sim N(x, 1)`,

.. math::

    P(z = k \mid y) \propto w_k\, N(y; \mu_k, 2), \qquad
    E[x \mid y] = \sum_k P(z = k \mid y)\, (\mu_k + y) / 2 .

Estimates are compared with these within 5 Monte Carlo standard errors (ESS for the
mean from ``bayesmodels.diagnostics``).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.stats import norm

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.diagnostics import effective_sample_size
from bayesmodels.infer import HMC, MCMC, NUTS
from bayesmodels.infer._gibbs import DiscreteHMCGibbs, HMCGibbs
from bayesmodels.infer._mixed_hmc import MixedHMC

pytestmark = [
    pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning"),
    pytest.mark.xdist_group("test_gibbs"),
]

KEY = jax.random.PRNGKey(0)
W = np.array([0.2, 0.3, 0.5])
MU = np.array([-2.0, 0.0, 2.0])
Y = np.array([-1.5, 0.3, 2.5])
P_B, MU_B, V = 0.3, np.array([-1.0, 1.0]), 0.5


def mixture(y, v):
    b = bm.sample("b", dist.Bernoulli(P_B))
    u = bm.sample("u", dist.Normal(jnp.asarray(MU_B)[b], 1.0))
    bm.sample("v", dist.Normal(u, 1.0), obs=v)
    with bm.plate("data", y.shape[0]):
        z = bm.sample("z", dist.Categorical(probs=jnp.asarray(W)))
        x = bm.sample("x", dist.Normal(jnp.asarray(MU)[z], 1.0))
        bm.sample("y", dist.Normal(x, 1.0), obs=y)


def exact_posterior():
    """P(z_i = k | y_i) [3, 3], E[x_i | y_i] [3], P(b = 1 | v), E[u | v]."""
    logits = np.log(W) + norm.logpdf(Y[:, None], MU, np.sqrt(2.0))
    p_z = np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))
    mean_x = np.sum(p_z * (MU + Y[:, None]) / 2, axis=1)
    logits_b = np.log([1 - P_B, P_B]) + norm.logpdf(V, MU_B, np.sqrt(2.0))
    p_b = np.exp(logits_b - np.logaddexp.reduce(logits_b))
    return p_z, mean_x, p_b[1], np.sum(p_b * (MU_B + V) / 2)


def exact_gibbs(rng_key, gibbs_sites, hmc_sites):
    """Draws b | u and z | x from their exact conditionals."""
    key_b, key_z = jax.random.split(rng_key)
    log_b = jnp.log(jnp.array([1 - P_B, P_B])) + norm.logpdf(hmc_sites["u"], MU_B, 1.0)
    log_z = jnp.log(W) + norm.logpdf(hmc_sites["x"][:, None], MU, 1.0)
    b = jax.random.categorical(key_b, log_b).astype(gibbs_sites["b"].dtype)
    z = jax.random.categorical(key_z, log_z, axis=-1).astype(gibbs_sites["z"].dtype)
    return {"b": b, "z": z}


SAMPLERS = {
    "gibbs": lambda: DiscreteHMCGibbs(NUTS(mixture)),
    "modified": lambda: DiscreteHMCGibbs(NUTS(mixture, dense_mass=True), modified=True),
    "random_walk": lambda: DiscreteHMCGibbs(HMC(mixture, num_steps=8), random_walk=True),
    "random_walk_modified": lambda: DiscreteHMCGibbs(NUTS(mixture), random_walk=True, modified=True),
    "hmc_gibbs": lambda: HMCGibbs(NUTS(mixture), exact_gibbs, ["b", "z"]),
    "mixed_hmc": lambda: MixedHMC(HMC(mixture, trajectory_length=2.0)),
    "mixed_hmc_random_walk_modified": lambda: MixedHMC(
        HMC(mixture, num_steps=10), num_discrete_updates=6, random_walk=True, modified=True
    ),
}
CHAINS, WARMUP, DRAWS, THIN = 2, 300, 2000, 2


@pytest.fixture(scope="module")
def runs():
    """The mixture run once per sampler (2 vectorized chains, thinned), on first use."""
    cache = {}

    def get(name):
        if name not in cache:
            mcmc = MCMC(SAMPLERS[name](), num_warmup=WARMUP, num_samples=DRAWS, num_chains=CHAINS,
                        thinning=THIN, chain_method="vectorized", progress_bar=False)
            mcmc.run(KEY, jnp.asarray(Y), jnp.asarray(V))
            cache[name] = mcmc
        return cache[name]

    return get


def assert_within_5_mcse(draws, expected, what):
    """Means over ``draws [chain, draw, ...]`` within 5 MCSE (ESS for the mean)."""
    draws = np.asarray(draws, np.float64)
    ess = effective_sample_size(draws, method="mean")
    mcse = draws.std(axis=(0, 1), ddof=1) / np.sqrt(ess)
    error = np.abs(draws.mean(axis=(0, 1)) - expected)
    assert np.all(error < 5 * mcse), f"{what}: |error| {error} against 5 MCSE {5 * mcse}"


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_mixture_posterior(runs, name):
    mcmc = runs(name)
    draws = mcmc.get_samples(group_by_chain=True)
    assert draws["z"].shape == (CHAINS, DRAWS // THIN, 3) and draws["b"].shape == (CHAINS, DRAWS // THIN)
    assert draws["z"].dtype == jnp.int32 and draws["b"].dtype == jnp.int32
    assert set(np.unique(draws["z"])) == {0, 1, 2} and set(np.unique(draws["b"])) == {0, 1}
    p_z, mean_x, p_b, mean_u = exact_posterior()
    one_hot = draws["z"][..., None] == np.arange(3)  # [chain, draw, 3, 3]
    assert_within_5_mcse(one_hot, p_z, "P(z | y)")
    assert_within_5_mcse(draws["x"], mean_x, "E[x | y]")
    assert_within_5_mcse(draws["b"], p_b, "P(b | v)")
    assert_within_5_mcse(draws["u"], mean_u, "E[u | v]")
    assert mcmc.num_divergences == 0


def test_results_with_discrete_sites(runs):
    mcmc = runs("gibbs")
    result = mcmc.to_result()
    assert result.attrs["sampler"] == "DiscreteHMCGibbs" and result.attrs["inner_sampler"] == "NUTS"
    loglik = result.log_likelihood
    kept = DRAWS // THIN
    assert np.shape(loglik["y"]) == (CHAINS, kept, 3) and np.shape(loglik["v"]) == (CHAINS, kept)
    samples = mcmc.get_samples(group_by_chain=True)
    np.testing.assert_allclose(loglik["y"], norm.logpdf(Y, samples["x"], 1.0), rtol=1e-5, atol=1e-5)
    idata = mcmc.to_arviz() if hasattr(mcmc, "to_arviz") else result.to_arviz()
    assert idata.posterior["z"].dtype.kind == "i"
    assert "diverging" in idata.sample_stats and "tree_depth" in idata.sample_stats
    # the continuous block of the metric was adapted (its variances differ from 1)
    metric = mcmc.last_state.chain.warmup.params.inverse_mass_matrix
    assert metric.shape == (CHAINS, 1 + 3 + 1 + 3)
    assert np.all(np.abs(np.asarray(metric[:, :4]) - 1.0) > 1e-3)


def test_chain_methods_agree_thin_and_continue():
    def short(chain_method):
        mcmc = MCMC(SAMPLERS["gibbs"](), num_warmup=50, num_samples=20, num_chains=2, thinning=THIN,
                    chain_method=chain_method, progress_bar=False)
        mcmc.run(KEY, jnp.asarray(Y), jnp.asarray(V))
        return mcmc

    vectorized, sequential = short("vectorized"), short("sequential")
    draws = vectorized.get_samples(group_by_chain=True)
    for name, value in draws.items():
        assert value.shape[:2] == (2, 10)
        np.testing.assert_allclose(sequential.get_samples(group_by_chain=True)[name], value, rtol=1e-4, atol=1e-4)
    assert np.any(draws["z"][0] != draws["z"][1])
    # continuing from the last state starts where the run ended
    last = vectorized.last_state.chain.state.position
    vectorized.post_warmup_state = vectorized.last_state
    vectorized.run(vectorized.post_warmup_state.rng_key, jnp.asarray(Y), jnp.asarray(V))
    more = vectorized.get_samples(group_by_chain=True)
    assert more["z"].shape == (2, 10, 3) and more["z"].dtype == jnp.int32
    assert np.asarray(last).shape == (2, 8)


# -- HMCGibbs with a continuous Gibbs site: conjugate regression ------------------------------

X_REG = np.linspace(-1.0, 1.0, 8)
Y_REG = 0.5 + 1.5 * X_REG + np.array([0.3, -0.2, 0.1, 0.4, -0.5, 0.2, -0.1, 0.05])
SIGMA, TAU = 0.5, 2.0


def regression(x, y):
    a = bm.sample("a", dist.Normal(0.0, TAU))
    b = bm.sample("b", dist.Normal(0.0, TAU))
    with bm.plate("data", x.shape[0]):
        bm.sample("y", dist.Normal(a + b * x, SIGMA), obs=y)


def gibbs_intercept(rng_key, gibbs_sites, hmc_sites):
    """a | b, y: Normal with precision 1/tau^2 + n/sigma^2."""
    precision = 1 / TAU**2 + len(Y_REG) / SIGMA**2
    mean = jnp.sum(Y_REG - hmc_sites["b"] * X_REG) / SIGMA**2 / precision
    return {"a": mean + jax.random.normal(rng_key, dtype=gibbs_sites["a"].dtype) / jnp.sqrt(precision)}


def test_hmc_gibbs_recovers_conjugate_regression():
    design = np.stack([np.ones_like(X_REG), X_REG], axis=1)
    covariance = np.linalg.inv(design.T @ design / SIGMA**2 + np.eye(2) / TAU**2)
    mean = covariance @ design.T @ Y_REG / SIGMA**2
    mcmc = MCMC(HMCGibbs(NUTS(regression), gibbs_intercept, ["a"]), num_warmup=300, num_samples=2000,
                num_chains=2, progress_bar=False)
    mcmc.run(KEY, jnp.asarray(X_REG), jnp.asarray(Y_REG))
    draws = mcmc.get_samples(group_by_chain=True)
    both = np.stack([draws["a"], draws["b"]], axis=-1)
    assert_within_5_mcse(both, mean, "posterior mean")
    centred = (both - mean) ** 2  # E[(theta - m)^2] is the posterior variance
    assert_within_5_mcse(centred, np.diag(covariance), "posterior variance")
    product = (both[..., 0] - mean[0]) * (both[..., 1] - mean[1])
    assert_within_5_mcse(product, covariance[0, 1], "posterior covariance")


# -- errors --------------------------------------------------------------------------------------


def poisson_model():
    n = bm.sample("n", dist.Poisson(3.0))
    bm.sample("x", dist.Normal(n, 1.0))


def discrete_only():
    bm.sample("z", dist.Bernoulli(0.5))


def test_discrete_site_without_enumerable_support_is_refused():
    with pytest.raises(ValueError, match=r"site 'n' \(Poisson.*no finite support.*HMCGibbs with a gibbs_fn"):
        MCMC(DiscreteHMCGibbs(NUTS(poisson_model)), num_warmup=10, num_samples=10, progress_bar=False).run(KEY)


def test_nuts_alone_on_a_discrete_model_keeps_its_error():
    with pytest.raises(ValueError, match=r"site 'b' is discrete \(Bernoulli.*use MixedHMC"):
        MCMC(NUTS(mixture), num_warmup=10, num_samples=10, progress_bar=False).run(KEY, jnp.asarray(Y), jnp.asarray(V))


def test_hmc_gibbs_leaving_a_discrete_site_to_nuts_names_it():
    sampler = HMCGibbs(NUTS(mixture), lambda rng_key, gibbs_sites, hmc_sites: gibbs_sites, ["b"])
    with pytest.raises(ValueError, match=r"site 'z' is discrete \(Categorical"):
        MCMC(sampler, num_warmup=10, num_samples=10, progress_bar=False).run(KEY, jnp.asarray(Y), jnp.asarray(V))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: HMCGibbs(NUTS(mixture), exact_gibbs, ["b", "w"]), r"gibbs_sites \['w'\] are not latent sample sites"),
        (lambda: DiscreteHMCGibbs(NUTS(discrete_only)), r"every latent site \(\['z'\]\).*at least one continuous"),
    ],
    ids=["unknown site", "nothing continuous"],
)
def test_bad_gibbs_sites(make, message):
    args = () if "discrete_only" in message or "every" in message else (jnp.asarray(Y), jnp.asarray(V))
    with pytest.raises(ValueError, match=message):
        MCMC(make(), num_warmup=10, num_samples=10, progress_bar=False).run(KEY, *args)


def test_bad_settings_are_refused_at_construction():
    with pytest.raises(ValueError, match=r"low_rank_mass=2.*use low_rank_mass=0"):
        DiscreteHMCGibbs(NUTS(mixture, low_rank_mass=2))
    with pytest.raises(ValueError, match=r"inner_kernel must be an HMC or NUTS sampler"):
        DiscreteHMCGibbs(mixture)
    with pytest.raises(ValueError, match=r"gibbs_sites must be a non-empty list"):
        HMCGibbs(NUTS(mixture), exact_gibbs, "z")
    with pytest.raises(ValueError, match=r"MixedHMC: inner_kernel must be HMC.*DiscreteHMCGibbs\(NUTS\(model\)\)"):
        MixedHMC(NUTS(mixture))
    with pytest.raises(ValueError, match=r"num_discrete_updates must be a positive integer"):
        MixedHMC(HMC(mixture), num_discrete_updates=0)


def test_gibbs_fn_returning_other_sites_is_refused():
    sampler = HMCGibbs(NUTS(mixture), lambda rng_key, gibbs_sites, hmc_sites: {"b": gibbs_sites["b"]}, ["b", "z"])
    with pytest.raises(ValueError, match=r"exactly the gibbs_sites \['b', 'z'\], got \['b'\]"):
        MCMC(sampler, num_warmup=10, num_samples=10, progress_bar=False).run(KEY, jnp.asarray(Y), jnp.asarray(V))


class Mixture(bm.Model):
    """The mixture above as a ``bm.Model``."""

    def define(self, y, v):
        mixture(y, v)


@pytest.mark.parametrize(
    "method", ["mixed_hmc", DiscreteHMCGibbs(NUTS())], ids=["mixed_hmc", "DiscreteHMCGibbs(NUTS())"]
)
def test_model_fit_with_discrete_latent_sites(method):
    fitted = Mixture().fit(
        jnp.asarray(Y), jnp.asarray(V), method=method, num_warmup=WARMUP, num_samples=1000, num_chains=2,
        progress_bar=False,
    )
    draws = fitted.result_.posterior
    assert draws["z"].dtype == np.int32 and draws["z"].shape == (2, 1000, 3)
    p_z, mean_x, p_b, mean_u = exact_posterior()
    assert_within_5_mcse(np.asarray(draws["z"])[..., None] == np.arange(3), p_z, "P(z | y)")
    assert_within_5_mcse(draws["x"], mean_x, "E[x | y]")
    assert_within_5_mcse(draws["b"], p_b, "P(b | v)")
    assert fitted.to_arviz().posterior["z"].dims == ("chain", "draw", "data")


def test_mixed_hmc_kernel_refuses_a_discrete_update_at_the_wrong_offset():
    from bayesmodels.kernels import DiscreteGibbsUpdate, HMCKernel, MixedHMCKernel

    def log_density(q):
        return -0.5 * q[0] ** 2 + jnp.where(q[1] == 1.0, 0.0, -1.0)

    values, sizes = jnp.array([[0.0, 1.0]]), jnp.array([2])
    inner = HMCKernel(log_density, num_steps=3)
    MixedHMCKernel(log_density, inner, DiscreteGibbsUpdate(1, values, sizes), num_continuous=1)  # fine
    with pytest.raises(ValueError, match="offset must be 1; got 0"):
        MixedHMCKernel(log_density, inner, DiscreteGibbsUpdate(0, values, sizes), num_continuous=1)
