r"""Simulation-based calibration (Talts et al. 2018; see ``tests/sbc_util.py``) of the
samplers for discrete latent sites, ``MixedHMC(HMC)`` and ``DiscreteHMCGibbs(NUTS)``, on a
model with one binary and one continuous latent,

.. math::

    z \sim \mathrm{Bernoulli}(0.4), \qquad \mu \sim N(2z - 1, 1), \qquad
    y_i \sim N(\mu, 1), \quad i = 1, \dots, 5,

ranking both :math:`\mu` and :math:`z`. Design as ``tests/test_sbc.py`` (fixed before any
rank histogram was looked at): ``N = 100`` replications, ``L = 39`` draws 5 apart out of
200 after 150 warm-up iterations, ``B = 10`` bins, p-value threshold ``1e-3``, and a check
that the median bulk ESS of the 200 draws is at least 40.

**Ties.** ``sbc_util.rank_statistics`` counts the draws strictly below the truth. For a
discrete :math:`z` most draws equal the truth, and that count is not uniform even for
exact draws (a true :math:`z = 0` always has rank 0). Here ties are broken at random: the
rank is

.. math::

    r = \#\{l : z_l < \tilde z\} + U, \qquad U \sim \mathrm{Uniform}\{0, 1, \dots, \#\{l : z_l = \tilde z\}\},

which is what adding the same tiny continuous jitter, independently, to the truth and to
every draw would give: with the :math:`L + 1` values exchangeable, the truth's position
among its ties is uniform, so :math:`r` is uniform on :math:`0..L` exactly when the
draws come from the posterior. (For the continuous :math:`\mu` there are no ties and
:math:`r` is the usual rank.) The test shows that the strict ranks of :math:`z` fail.

**Power.** Draws of :math:`\mu` shrunk by half about their mean, and draws of :math:`z`
replaced by :math:`1 - z` (the data's pull on :math:`z` reversed), must be rejected.
One replication tells only one bit about :math:`z`, so at ``N = 100`` SBC sees gross
errors in :math:`P(z \mid y)`, not fine ones (moving half the draws :math:`z = 0` to 1
gives p of 0.004 to 0.005 here, not rejected): ``tests/test_gibbs.py`` and
``tests/test_kernels_exact.py`` check those probabilities against exact values.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.infer import HMC, MCMC, NUTS
from bayesmodels.infer._gibbs import DiscreteHMCGibbs
from bayesmodels.infer._mixed_hmc import MixedHMC

from .sbc_util import rank_chi_square, rank_statistics, simulation_based_calibration

NUM_POINTS = 5
NUM_REPLICATIONS, NUM_DRAWS, NUM_BINS = 100, 39, 10
NUM_WARMUP, NUM_SAMPLES = 150, 200
SPACING = NUM_SAMPLES // NUM_DRAWS  # 5
P_THRESHOLD = 1e-3
LABELS = ("mu", "z")


def switch(y=None):
    z = bm.sample("z", dist.Bernoulli(0.4))
    mu = bm.sample("mu", dist.Normal(2.0 * z - 1.0, 1.0))
    with bm.plate("data", NUM_POINTS):
        bm.sample("y", dist.Normal(mu, 1.0), obs=y)


SAMPLERS = {
    # a quarter period of a unit-variance Gaussian under the adapted metric (HMC's default,
    # 2 pi, would return the draws nearly where they started)
    "MixedHMC(HMC)": lambda: MixedHMC(HMC(switch, trajectory_length=1.5)),
    "DiscreteHMCGibbs(NUTS)": lambda: DiscreteHMCGibbs(NUTS(switch)),
}


def randomised_ranks(truth, draws, rng) -> np.ndarray:
    r"""Ranks ``[N, P]`` of ``truth [N, P]`` among ``draws [N, L, P]``, ties broken uniformly
    at random: draws strictly below, plus a uniform integer in ``0..(number of ties)``."""
    truth, draws = np.asarray(truth), np.asarray(draws)
    below = np.sum(draws < truth[:, None, :], axis=1)
    ties = np.sum(draws == truth[:, None, :], axis=1)
    return below + rng.integers(0, ties + 1)


def test_randomised_ranks_of_exact_draws_are_uniform():
    r"""The tie-breaking itself, on exact posterior draws of a conjugate binary model
    (:math:`z \sim \mathrm{Bernoulli}(0.3)`, one observation :math:`y \sim N(2z, 1)`): the
    randomised ranks pass, the strict ranks do not."""
    rng = np.random.default_rng(0)
    n = 2000
    z = rng.random(n) < 0.3
    y = rng.normal(2.0 * z, 1.0)
    p1 = 1.0 / (1.0 + (0.7 / 0.3) * np.exp(-0.5 * y**2 + 0.5 * (y - 2.0) ** 2))  # P(z = 1 | y)
    draws = (rng.random((n, NUM_DRAWS)) < p1[:, None]).astype(float)[..., None]
    truth = z.astype(float)[:, None]
    assert rank_chi_square(randomised_ranks(truth, draws, rng)[:, 0], NUM_DRAWS, NUM_BINS)[1] >= P_THRESHOLD
    assert rank_chi_square(rank_statistics(truth, draws)[:, 0], NUM_DRAWS, NUM_BINS)[1] < 1e-10
    # and not vacuous: a fair coin in place of the posterior is rejected
    coins = (rng.random((n, NUM_DRAWS)) < 0.5).astype(float)[..., None]
    assert rank_chi_square(randomised_ranks(truth, coins, rng)[:, 0], NUM_DRAWS, NUM_BINS)[1] < 1e-10


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning")
@pytest.mark.parametrize("name", list(SAMPLERS))
def test_simulation_based_calibration(name):
    mcmc = MCMC(SAMPLERS[name](), num_warmup=NUM_WARMUP, num_samples=NUM_SAMPLES, progress_bar=False)
    result = simulation_based_calibration(
        mcmc, switch, jax.random.PRNGKey(11), NUM_REPLICATIONS, LABELS, NUM_DRAWS, observed="y"
    )
    assert set(np.unique(result.truth[:, 1])) == set(np.unique(result.draws[..., 1])) == {0.0, 1.0}
    ranks = randomised_ranks(result.truth, result.draws, np.random.default_rng(12))
    tests = [rank_chi_square(ranks[:, p], NUM_DRAWS, NUM_BINS) for p in range(len(LABELS))]
    report = "; ".join(f"{label}: p={p:.2g}, bins {counts.tolist()}" for label, (counts, p) in zip(LABELS, tests))
    assert all(p >= P_THRESHOLD for _, p in tests), report
    # a chain whose z never moves (posterior probability near 0 or 1) has no ESS
    median_ess = np.nanmedian(result.ess, axis=0)
    assert np.all(median_ess >= NUM_SAMPLES / SPACING), f"median bulk ESS {median_ess}: draws are correlated"

    # ties matter: the strict ranks of z are far from uniform
    assert rank_chi_square(result.ranks[:, 1], NUM_DRAWS, NUM_BINS)[1] < P_THRESHOLD
    # power: mu's draws shrunk by half about their mean; z's draws reversed
    mu, z = result.draws[..., :1], result.draws[..., 1:]
    centre = mu.mean(axis=1, keepdims=True)
    shrunk = rank_statistics(result.truth[:, :1], centre + 0.5 * (mu - centre))[:, 0]
    assert rank_chi_square(shrunk, NUM_DRAWS, NUM_BINS)[1] < P_THRESHOLD
    reversed_ = randomised_ranks(result.truth[:, 1:], 1.0 - z, np.random.default_rng(13))[:, 0]
    assert rank_chi_square(reversed_, NUM_DRAWS, NUM_BINS)[1] < P_THRESHOLD
