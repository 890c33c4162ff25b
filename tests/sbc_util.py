r"""Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari and Gelman 2018).

If :math:`\tilde\theta \sim p(\theta)` and :math:`\tilde y \sim p(y \mid \tilde\theta)`,
then :math:`\tilde\theta` is a draw from the posterior :math:`p(\theta \mid \tilde y)`
(the joint :math:`p(\theta)\,p(y \mid \theta)` factors either way). So if
:math:`\theta_1, \dots, \theta_L` are independent draws from that posterior, the rank

.. math::

    r = \#\{\, l : \theta_l < \tilde\theta \,\} \in \{0, 1, \dots, L\}

of the true value among them is uniform on its :math:`L + 1` values, for every scalar
function of :math:`\theta`. Draws that are too narrow, too wide, biased or too
autocorrelated give ranks that are not uniform (a U, an inverted U, a slope, spikes at
both ends). With :math:`N` replications the ranks are grouped into :math:`B` bins of
equal width and compared with the uniform by Pearson's statistic

.. math::

    X^2 = \sum_{b=1}^{B} \frac{(n_b - N/B)^2}{N/B} \;\overset{\text{approx.}}{\sim}\; \chi^2_{B-1}
    \quad \text{under uniformity.}

:math:`L + 1` must be a multiple of :math:`B`, so that every bin holds the same number of
rank values and is equally likely.

The MCMC draws of one replication are autocorrelated: the last ``L`` draws spaced
``num_samples // L`` apart are kept, and the bulk effective sample size of all the draws
is returned, so that a test can check the spacing is at least the autocorrelation time
:math:`\text{num\_samples} / \mathrm{ESS}`.

A blind spot, for whoever designs a negative control: drawing the "posterior" from the
prior passes (the ranks of a prior draw among prior draws are exactly uniform). SBC
checks the posterior averaged over data sets, not each posterior.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import numpy as np
from scipy import stats

from bayesmodels import diagnostics
from bayesmodels.infer import Predictive
from bayesmodels.results import SamplingWarning

__all__ = ["SBCResult", "rank_chi_square", "rank_statistics", "scalar", "simulation_based_calibration"]


class SBCResult(NamedTuple):
    """``N`` replications of ``P`` scalars, ranked among ``L`` kept draws each."""

    labels: tuple  # P names such as "theta[0]"
    truth: np.ndarray  # [N, P] the prior draws that generated each data set
    draws: np.ndarray  # [N, L, P] the kept (thinned) posterior draws
    ess: np.ndarray  # [N, P] bulk ESS of all num_samples draws of each replication

    @property
    def ranks(self) -> np.ndarray:
        """``[N, P]`` ranks in ``0..L``."""
        return rank_statistics(self.truth, self.draws)


def scalar(samples: dict, label: str) -> np.ndarray:
    """The draws ``[n]`` of the scalar ``label`` (``"mu"`` or ``"theta[0]"``) in ``samples``."""
    site, _, index = label.partition("[")
    value = np.asarray(samples[site])
    if index:
        value = value[(slice(None),) + tuple(int(i) for i in index.rstrip("]").split(","))]
    if value.ndim != 1:
        raise ValueError(f"{label!r} is not a scalar: site {site!r} has draws of shape {np.shape(samples[site])}")
    return value


def rank_statistics(truth, draws) -> np.ndarray:
    r"""How many draws lie strictly below the truth, :math:`\#\{l : \theta_l < \tilde\theta\}`.

    Args:
        truth: ``[N, P]`` true values.
        draws: ``[N, L, P]`` draws.

    Returns:
        integer ranks ``[N, P]`` in ``0..L``.
    """
    truth, draws = np.asarray(truth), np.asarray(draws)
    if draws.ndim != 3 or truth.shape != (draws.shape[0], draws.shape[2]):
        raise ValueError(
            f"rank_statistics: expected truth [N, P] and draws [N, L, P], got {truth.shape} and {draws.shape}"
        )
    return np.sum(draws < truth[:, None, :], axis=1)


def rank_chi_square(ranks, num_draws: int, num_bins: int) -> tuple:
    r"""Pearson's :math:`\chi^2` test that ``ranks`` (values ``0..num_draws``) are uniform.

    Args:
        ranks: ``[N]`` ranks.
        num_draws: ``L``; ``L + 1`` must be a multiple of ``num_bins``.
        num_bins: ``B``, the number of equal-width bins.

    Returns:
        ``(counts [B], p_value)``, the p-value from :math:`\chi^2_{B-1}`.
    """
    ranks = np.asarray(ranks)
    if (num_draws + 1) % num_bins:
        raise ValueError(f"rank_chi_square: num_draws + 1 = {num_draws + 1} is not a multiple of num_bins={num_bins}")
    if ranks.ndim != 1 or ranks.min() < 0 or ranks.max() > num_draws:
        raise ValueError(f"rank_chi_square: expected ranks [N] in 0..{num_draws}, got shape {ranks.shape}")
    counts = np.bincount(ranks // ((num_draws + 1) // num_bins), minlength=num_bins)
    return counts, float(stats.chisquare(counts).pvalue)


def simulation_based_calibration(
    mcmc, model, rng_key, num_replications: int, labels, num_draws: int, *, observed: str = "y", args=()
) -> SBCResult:
    r"""Prior draws and the posterior draws of ``mcmc`` given the data they generated.

    One prior-predictive call draws every replication's parameters and data; then, for
    replication ``i``, ``mcmc.run(key_i, *args, **{observed: y_i})`` fits the posterior
    and the last ``num_draws`` draws spaced ``num_samples // num_draws`` apart are kept.
    The same ``mcmc`` (hence the same compiled sampler) serves every replication.

    Args:
        mcmc: a ``bm.infer.MCMC`` with one chain and no thinning.
        model: the model function; called as ``model(*args)`` it simulates the site
            ``observed``, and ``model(*args, **{observed: y})`` conditions on ``y``.
        rng_key: key for the prior draws and the MCMC runs.
        num_replications: ``N``.
        labels: the scalars to rank, such as ``("mu", "tau", "theta[0]")``.
        num_draws: ``L``, at most ``mcmc.num_samples``.
        observed: the observed site, also the model's keyword argument for it.
        args: the model's other positional arguments, the same in every replication.
    """
    if mcmc.num_chains != 1 or mcmc.thinning != 1:
        raise ValueError(
            f"simulation_based_calibration: expected an MCMC with one chain and thinning=1, got "
            f"num_chains={mcmc.num_chains}, thinning={mcmc.thinning}"
        )
    spacing = mcmc.num_samples // num_draws
    if spacing < 1:
        raise ValueError(f"simulation_based_calibration: num_draws={num_draws} exceeds num_samples={mcmc.num_samples}")
    labels = tuple(labels)
    prior_key, run_key = jax.random.split(rng_key)
    prior = Predictive(model, num_samples=num_replications)(prior_key, *args)
    truth = np.stack([scalar(prior, label) for label in labels], axis=-1)
    draws = np.zeros((num_replications, num_draws, len(labels)), truth.dtype)
    ess = np.zeros((num_replications, len(labels)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short runs are intended
        for i, key in enumerate(jax.random.split(run_key, num_replications)):
            mcmc.run(key, *args, **{observed: prior[observed][i]})
            samples = mcmc.get_samples()
            chain = np.stack([scalar(samples, label) for label in labels], axis=-1)  # [num_samples, P]
            draws[i] = chain[::-1][::spacing][:num_draws]
            ess[i] = diagnostics.effective_sample_size(chain[None])
    return SBCResult(labels, truth, draws, ess)
