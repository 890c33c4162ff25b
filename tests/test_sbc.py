r"""Simulation-based calibration of ``NUTS`` and ``HMC`` (Talts et al. 2018; see
``tests/sbc_util.py`` for the method).

For each (model, sampler): ``N`` parameter sets drawn from the prior, a data set
simulated from each, one chain fitted to each data set, and the rank of every true
scalar among ``L`` thinned posterior draws. A calibrated sampler gives uniform ranks.

Design, fixed before any rank histogram was looked at (one exception: HMC on the logistic
model uses 5 steps, not 10, because its ESS check failed; see ``SAMPLERS``):

- ``N = 100`` replications, ``L = 39`` draws (ranks take 40 values), ``B = 10`` bins of 4
  rank values: 10 ranks expected per bin, enough for the :math:`\chi^2_9` approximation.
- One chain of 200 warm-up iterations and 200 draws; every 5th draw is kept. Each test
  also checks that the spacing 5 is at least the typical autocorrelation time (median
  bulk ESS of the 200 draws at least 40); otherwise correlated draws, not a biased
  sampler, could distort the ranks.
- A scalar fails if the :math:`\chi^2` p-value is below ``0.001``. Seeds are fixed, so each
  test is deterministic: it either always passes or always fails for a given code version
  and platform. The small threshold makes a false alarm rare when the random numbers
  change (about 1% over the 12 scalars here, for a new platform or JAX version), and a
  real miscalibration is still obvious: posterior draws half or twice as wide as they
  should be give p-values of 1e-5 to 1e-20 at this ``N`` (checked below, on the exact
  posterior of a conjugate model, and on each sampler's own draws shrunk by half).
  Subtler errors (a shift of half a posterior sd) are not reliably caught at ``N = 100``.
- What that buys, checked by hand on the hierarchical model with deliberately broken
  copies of the library: leaving out the log-Jacobian of ``tau`` gives p ~ 1e-167 (NUTS
  and HMC); momenta drawn from :math:`N(0, M^{-1})` instead of :math:`N(0, M)` give
  p ~ 1e-50; a kinetic energy halved in the acceptance test gives p ~ 1e-14 for HMC but
  goes unnoticed by NUTS (p = 0.025).

Cost: one compiled sampler per (model, sampler) pair, reused by its 100 replications
(the model is defined once here and the data passed as an argument, so nothing
recompiles).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.infer import HMC, MCMC, NUTS

from .sbc_util import SBCResult, rank_chi_square, rank_statistics, simulation_based_calibration

NUM_REPLICATIONS = 100
NUM_WARMUP = NUM_SAMPLES = 200
NUM_DRAWS = 39
SPACING = NUM_SAMPLES // NUM_DRAWS  # 5
NUM_BINS = 10
P_THRESHOLD = 1e-3

NUM_GROUPS = 4
NUM_POINTS, NUM_FEATURES = 20, 3
FEATURES = jax.random.normal(jax.random.PRNGKey(20), (NUM_POINTS, NUM_FEATURES))


def hierarchical(y=None):
    r""":math:`\mu \sim N(0, 1)`, :math:`\tau \sim N^+(1)`, :math:`\theta_j = \mu + \tau z_j`
    with :math:`z_j \sim N(0, 1)` (non-centred), :math:`y_j \sim N(\theta_j, 1)`."""
    mu = bm.sample("mu", dist.Normal(0.0, 1.0))
    tau = bm.sample("tau", dist.HalfNormal(1.0))
    with bm.plate("group", NUM_GROUPS):
        z = bm.sample("z", dist.Normal(0.0, 1.0))
        theta = bm.deterministic("theta", mu + tau * z)
        bm.sample("y", dist.Normal(theta, 1.0), obs=y)


def logistic(x, y=None):
    r""":math:`\beta \sim N(0, I_3)`, :math:`y_n \sim \mathrm{Bernoulli}(\mathrm{logit}^{-1}(x_n^\top \beta))`."""
    beta = bm.sample("beta", dist.Normal(jnp.zeros(NUM_FEATURES), 1.0).to_event(1))
    with bm.plate("data", x.shape[0]):
        bm.sample("y", dist.Bernoulli(logits=x @ beta), obs=y)


MODELS = {
    "hierarchical": (hierarchical, (), ("mu", "tau", "theta[0]")),
    "logistic": (logistic, (FEATURES,), ("beta[0]", "beta[1]", "beta[2]")),
}

# HMC's trajectory length is num_steps * step_size. On the logistic posterior the adapted
# step size is about 0.7 posterior sd, so 10 steps travel about 2 pi: the trajectory
# comes back near where it started (Neal 2011, section 5.4.4), and the bulk ESS of 200
# draws falls to a few for some data sets. 5 steps (about pi) are efficient there.
SAMPLERS = {
    ("hierarchical", "NUTS"): lambda model: NUTS(model),
    ("hierarchical", "HMC"): lambda model: HMC(model, num_steps=10),
    ("logistic", "NUTS"): lambda model: NUTS(model),
    ("logistic", "HMC"): lambda model: HMC(model, num_steps=5),
}
SEEDS = {
    ("hierarchical", "NUTS"): 1,
    ("hierarchical", "HMC"): 2,
    ("logistic", "NUTS"): 3,
    ("logistic", "HMC"): 4,
}


def _p_values(ranks) -> list:
    return [rank_chi_square(ranks[:, p], NUM_DRAWS, NUM_BINS) for p in range(ranks.shape[1])]


def _report(labels, tests) -> str:
    return "; ".join(f"{label}: p={p:.2g}, bins {counts.tolist()}" for label, (counts, p) in zip(labels, tests))


def _shrunk(result: SBCResult, factor: float) -> np.ndarray:
    """Each replication's kept draws pulled towards their mean by ``factor``."""
    centre = result.draws.mean(axis=1, keepdims=True)
    return centre + factor * (result.draws - centre)


@pytest.mark.slow
@pytest.mark.parametrize("model_name, sampler_name", list(SAMPLERS), ids=["-".join(k) for k in SAMPLERS])
def test_sbc_ranks_are_uniform(model_name, sampler_name):
    model, args, labels = MODELS[model_name]
    sampler = SAMPLERS[model_name, sampler_name](model)
    mcmc = MCMC(sampler, num_warmup=NUM_WARMUP, num_samples=NUM_SAMPLES, progress_bar=False)
    key = jax.random.PRNGKey(SEEDS[model_name, sampler_name])
    result = simulation_based_calibration(mcmc, model, key, NUM_REPLICATIONS, labels, NUM_DRAWS, args=args)
    assert result.draws.shape == (NUM_REPLICATIONS, NUM_DRAWS, len(labels))

    median_ess = dict(zip(labels, np.median(result.ess, axis=0).round(1)))
    tests = _p_values(result.ranks)
    failed = [label for label, (_, p) in zip(labels, tests) if p < P_THRESHOLD]
    assert not failed, (
        f"{sampler_name} on {model_name}: ranks not uniform for {failed}: {_report(labels, tests)} "
        f"(median bulk ESS of {NUM_SAMPLES} draws: {median_ess})"
    )
    # the design's premise: draws SPACING apart are roughly independent
    slow = {label: ess for label, ess in median_ess.items() if ess < NUM_SAMPLES / SPACING}
    assert not slow, (
        f"{sampler_name} on {model_name}: median bulk ESS of {NUM_SAMPLES} draws {slow} is below "
        f"{NUM_SAMPLES // SPACING}, so draws {SPACING} apart are correlated and the rank test is not about calibration"
    )

    # the test has power here: the same draws, half as wide about their mean, are rejected
    too_narrow = _p_values(rank_statistics(result.truth, _shrunk(result, 0.5)))
    missed = [label for label, (_, p) in zip(labels, too_narrow) if p >= P_THRESHOLD]
    assert not missed, f"draws shrunk by half not rejected for {missed}: {_report(labels, too_narrow)}"


def _conjugate_ranks(posterior_draws, seed=0):
    r"""Ranks in the conjugate model :math:`\mu \sim N(0, 1)`, :math:`y_{1..5} \sim N(\mu, 1)`,
    whose posterior is :math:`N(\sum y / 6, 1/6)`, among draws made by ``posterior_draws(m, s, z)``
    from the exact posterior mean ``m``, sd ``s`` and standard normals ``z [N, L]``."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=NUM_REPLICATIONS)
    y = mu[:, None] + rng.normal(size=(NUM_REPLICATIONS, 5))
    mean, sd = y.sum(axis=1) / 6.0, np.sqrt(1.0 / 6.0)
    z = rng.normal(size=(NUM_REPLICATIONS, NUM_DRAWS))
    draws = posterior_draws(mean[:, None], sd, z)
    return rank_statistics(mu[:, None], draws[:, :, None])[:, 0]


@pytest.mark.parametrize(
    "name, posterior_draws, calibrated",
    [
        ("exact posterior", lambda m, s, z: m + s * z, True),
        # SBC's blind spot: the prior, as a "posterior", averages to the prior
        ("prior draws", lambda m, s, z: z, True),
        ("sd halved", lambda m, s, z: m + 0.5 * s * z, False),
        ("sd doubled", lambda m, s, z: m + 2.0 * s * z, False),
    ],
)
def test_rank_test_rejects_a_wrong_posterior_and_accepts_the_exact_one(name, posterior_draws, calibrated):
    counts, p = rank_chi_square(_conjugate_ranks(posterior_draws), NUM_DRAWS, NUM_BINS)
    assert counts.sum() == NUM_REPLICATIONS
    assert (p >= P_THRESHOLD) == calibrated, f"{name}: p={p:.2g}, bins {counts.tolist()}"


def test_rank_helpers_count_strictly_smaller_draws_and_bin_evenly():
    truth = np.array([[0.5, 10.0], [-1.0, 2.0]])
    draws = np.array([[[0.0, 11.0], [1.0, 9.0], [0.5, 12.0]], [[-2.0, 1.0], [0.0, 3.0], [1.0, 2.0]]])
    np.testing.assert_array_equal(rank_statistics(truth, draws), [[1, 1], [1, 1]])
    counts, p = rank_chi_square(np.arange(40), 39, 10)
    np.testing.assert_array_equal(counts, np.full(10, 4))
    assert p == 1.0
    counts, _ = rank_chi_square(np.array([0, 3, 4, 39]), 39, 10)
    np.testing.assert_array_equal(counts, [2, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match=r"num_draws \+ 1 = 40 is not a multiple of num_bins=7"):
        rank_chi_square(np.arange(40), 39, 7)
    with pytest.raises(ValueError, match=r"expected ranks \[N\] in 0..39"):
        rank_chi_square(np.array([0, 40]), 39, 10)
