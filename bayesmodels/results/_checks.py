r"""Checks run after sampling, each naming what it found and what to do about it.

- :math:`\hat R > 1.01` for some scalar of a site (with at least 2 chains): the chains
  disagree, so they have not all reached the posterior.
- Bulk ESS below 100 per chain: means and quantiles are too noisy to trust, and the
  r-hat and ESS estimates themselves are unreliable (Vehtari et al. 2021).
- Divergent transitions after warm-up: the integrator broke down in regions of high
  curvature, so draws there are missing and estimates are biased.
- Draws whose tree depth reached ``attrs["max_tree_depth"]``: NUTS cut its trajectories
  short, which costs efficiency (and hints at a badly scaled posterior).

r-hat and bulk ESS come from ``InferenceResult.convergence``: ArviZ's numbers, computed
once per result in numpy, so the checks neither import ArviZ nor pay for its loop over
scalars (``summary`` computes its own with ArviZ).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["SamplingWarning", "diagnostic_messages", "warn_diagnostics"]

R_HAT_THRESHOLD = 1.01
ESS_PER_CHAIN = 100
_LISTED = 10  # sites named in one message at most


class SamplingWarning(UserWarning):
    r"""A post-sampling diagnostic found a problem (r-hat, ESS, divergences, tree depth).

    ``MCMC.run`` (and so ``Model.fit``) issues one per problem found, each naming the
    sites and what to do: rank-normalised split :math:`\hat R > 1.01` for some scalar
    (with at least 2 chains), bulk ESS below 100 per chain, divergent transitions after
    warm-up, or draws whose NUTS tree reached ``max_tree_depth``. A ``UserWarning``;
    silence it with ``warnings.filterwarnings("ignore", category=bm.SamplingWarning)``.
    """


def _listing(found: list[tuple[str, float]], digits: int) -> str:
    shown = ", ".join(f"{name!r} ({value:.{digits}f})" for name, value in found[:_LISTED])
    return shown + (f" and {len(found) - _LISTED} more" if len(found) > _LISTED else "")


def _worst(result, column: str, reduce) -> list[tuple[str, float]]:
    """(site, worst value of ``column`` over its scalars), skipping sites with only NaN."""
    found = []
    for name, site in result.convergence.items():
        values = site[column]
        if values.size and not np.all(np.isnan(values)):
            found.append((name, float(reduce(values))))
    return found


def _r_hat_message(result) -> str | None:
    if result.num_chains < 2:
        return None
    found = [(name, value) for name, value in _worst(result, "r_hat", np.nanmax) if value > R_HAT_THRESHOLD]
    if not found:
        return None
    found.sort(key=lambda item: -item[1])
    return (
        f"r_hat > {R_HAT_THRESHOLD} for {_listing(found, 2)}: the chains have not mixed; run "
        "longer (more warm-up and draws), or reparametrise the model"
    )


def _ess_message(result) -> str | None:
    threshold = ESS_PER_CHAIN * result.num_chains
    found = [(name, value) for name, value in _worst(result, "ess_bulk", np.nanmin) if value < threshold]
    if not found:
        return None
    found.sort(key=lambda item: item[1])
    return (
        f"bulk ESS < {threshold} ({ESS_PER_CHAIN} per chain) for {_listing(found, 0)}: posterior "
        "means and intervals are unreliable; draw more samples, or reparametrise the model"
    )


def _divergence_message(result) -> str | None:
    count = result.num_divergences
    if count == 0:
        return None
    share = 100 * count / np.size(result.sample_stats["diverging"])
    return (
        f"{count} divergent transitions after warm-up ({share:.1f}% of draws): the sampler "
        "missed regions of high curvature, so the draws may be biased; raise "
        "target_accept_prob (e.g. 0.95), or reparametrise the model (e.g. non-centred)"
    )


def _tree_depth_message(result) -> str | None:
    depth = result.sample_stats.get("tree_depth")
    max_depth = result.attrs.get("max_tree_depth")
    if depth is None or max_depth is None:
        return None
    count = int(np.count_nonzero(depth >= max_depth))
    if count == 0:
        return None
    return (
        f"{count} draws ({100 * count / depth.size:.1f}%) reached the maximum tree depth "
        f"({max_depth}): NUTS stopped those trajectories early; raise max_tree_depth, or "
        "reparametrise the model"
    )


def diagnostic_messages(result) -> list[str]:
    r"""One message per problem found in an ``InferenceResult`` (empty when all is well).

    The checks, in this order: rank-normalised split :math:`\hat R > 1.01` for some scalar
    of a site (only with at least 2 chains), bulk ESS below 100 per chain, divergent
    transitions after warm-up, and draws whose tree depth reached
    ``result.attrs["max_tree_depth"]`` (when the result records tree depths). The r-hat
    and ESS messages name the failing sites (at most 10, worst first, with their worst
    values); each message says what to do about the problem. Issues no warning itself;
    see :func:`warn_diagnostics`.

    Args:
        result: an ``InferenceResult``; its ``convergence`` (r-hat and bulk ESS per site),
            ``num_chains``, ``num_divergences``, ``sample_stats`` and ``attrs`` are read.

    Returns:
        a list of strings, one per failed check (at most 4), in the order above.
    """
    checks = (_r_hat_message, _ess_message, _divergence_message, _tree_depth_message)
    return [message for message in (check(result) for check in checks) if message is not None]


def warn_diagnostics(result, stacklevel: int = 2) -> list[str]:
    """Issue a :class:`SamplingWarning` for each of :func:`diagnostic_messages`.

    Args:
        result: an ``InferenceResult``.
        stacklevel: as in ``warnings.warn``; the default points at the caller.

    Returns:
        the messages warned about (those of :func:`diagnostic_messages`; empty when all
        is well).
    """
    messages = diagnostic_messages(result)
    for message in messages:
        warnings.warn(message, SamplingWarning, stacklevel=stacklevel)
    return messages
