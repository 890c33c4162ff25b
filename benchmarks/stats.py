r"""Diagnostics of a run's draws, per scalar parameter, with ArviZ.

Every latent site is split into its scalar components (``beta[3]``), each summarised by
its posterior mean, the Monte Carlo standard error of that mean, bulk and tail ESS and
rank-normalised split :math:`\hat R` (Vehtari et al. 2021).
"""

from __future__ import annotations

from statistics import NormalDist

import arviz as az
import numpy as np


def per_scalar(samples: dict, names) -> dict:
    """Diagnostics of each scalar component of the sites ``names``.

    Args:
        samples: site -> draws ``[chain, draw, *site_shape]``, constrained.
        names: the sites to include, in order.

    Returns:
        ``{"name": [...], "mean": [...], "mcse_mean": [...], "ess_bulk": [...],
        "ess_tail": [...], "r_hat": [...]}``, one entry per scalar component.
    """
    columns = {key: [] for key in ("name", "mean", "mcse_mean", "ess_bulk", "ess_tail", "r_hat")}
    for name in names:
        draws = np.asarray(samples[name], dtype=np.float64)
        chains, length = draws.shape[:2]
        flat = draws.reshape(chains, length, -1)
        dataset = az.convert_to_dataset({"v": flat})
        figures = {
            "mean": flat.mean(axis=(0, 1)),
            "mcse_mean": az.mcse(dataset, method="mean")["v"].values,
            "ess_bulk": az.ess(dataset, method="bulk")["v"].values,
            "ess_tail": az.ess(dataset, method="tail")["v"].values,
            "r_hat": az.rhat(dataset)["v"].values,
        }
        shape = draws.shape[2:]
        for i, index in enumerate(np.ndindex(*shape)):
            columns["name"].append(name + (f"[{','.join(map(str, index))}]" if shape else ""))
            for key, values in figures.items():
                columns[key].append(float(np.ravel(values)[i]))
    return columns


def summary(samples: dict, names, num_steps: np.ndarray, diverging: np.ndarray) -> dict:
    """The figures the benchmark reports about one run's draws.

    ``num_steps`` and ``diverging`` are ``[chain, draw]``: integrator steps (= gradient
    evaluations) and divergence flags of the kept draws.
    """
    scalars = per_scalar(samples, names)
    return {
        "min_ess_bulk": min(scalars["ess_bulk"]),
        "min_ess_tail": min(scalars["ess_tail"]),
        "max_r_hat": max(scalars["r_hat"]),
        "divergences": int(np.sum(diverging)),
        "gradients": int(np.sum(num_steps)),
        "scalars": scalars,
    }


def agreement(ours: dict, reference: dict) -> tuple[float, str]:
    r"""Largest standardised difference of posterior means over the scalar parameters,

    .. math::

        z = \max_k \frac{|\bar\theta_k - \bar\theta^{\text{ref}}_k|}
        {\sqrt{\text{MCSE}_k^2 + (\text{MCSE}^{\text{ref}}_k)^2}},

    and the parameter where it occurs. Both arguments are ``per_scalar`` outputs of the
    same model.
    """
    if ours["name"] != reference["name"]:
        raise ValueError("agreement: the two runs have different parameters")
    mean, ref_mean = np.asarray(ours["mean"]), np.asarray(reference["mean"])
    scale = np.hypot(ours["mcse_mean"], reference["mcse_mean"])
    z = np.abs(mean - ref_mean) / scale
    worst = int(np.argmax(z))
    return float(z[worst]), ours["name"][worst]


def agreement_threshold(num_parameters: int, alpha: float = 0.01) -> float:
    r"""The :math:`z` that the largest of ``num_parameters`` independent :math:`|N(0,1)|`
    exceeds with probability about ``alpha`` (Bonferroni:
    :math:`\Phi^{-1}(1 - \alpha / 2K)`). A larger agreement figure means the two
    posteriors differ by more than Monte Carlo error explains."""
    return NormalDist().inv_cdf(1.0 - alpha / (2 * num_parameters))
