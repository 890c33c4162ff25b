"""Varying intercepts and slopes by group, as a ``bm.Model`` class (radon-like data).

Simulated data in the spirit of Gelman and Hill's radon study (fixed seed): houses in
eight counties, unevenly many per county (3 to 40); each house has a floor ``floor``
(0: basement, 1: ground floor) and a log radon level. Each county has its own intercept
(log radon in a basement) and its own slope (the change on the ground floor), drawn
around shared means:

    a_mu ~ Normal(0, 5), a_sigma ~ HalfNormal(1), b_mu ~ Normal(0, 5), b_sigma ~ HalfNormal(1)
    a[c] = a_mu + a_sigma * a_raw[c],  b[c] = b_mu + b_sigma * b_raw[c],  a_raw, b_raw ~ Normal(0, 1)
    log_radon[i] ~ Normal(a[county[i]] + b[county[i]] * floor[i], sigma)

Writing ``a`` and ``b`` through standard normal ``a_raw`` and ``b_raw`` (non-centred)
avoids the funnels that a few houses per county would give the centred form. The
county names are the coordinates of the plate ``county`` (the class's ``coords``), so
the ArviZ export and the forest plot are labelled with them. After fitting, the model
predicts log radon for a new basement and a new ground-floor house in every county
(new data of another length). Run it with::

    python examples/hierarchical_regression.py [--out DIR]

It writes ``hierarchical_regression_trace.png`` (the shared parameters) and
``hierarchical_regression_forest.png`` (intercepts and slopes by county) to ``DIR``
(default ``examples/figures``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import arviz as az
import matplotlib
import numpy as np

matplotlib.use("Agg")  # write files; no display needed
import matplotlib.pyplot as plt  # noqa: E402

import bayesmodels as bm  # noqa: E402
import bayesmodels.distributions as dist  # noqa: E402

COUNTIES = ["Aitkin", "Anoka", "Becker", "Beltrami", "Benton", "Big Stone", "Blue Earth", "Brown"]
TRUE = {"a_mu": 1.5, "a_sigma": 0.5, "b_mu": -0.6, "b_sigma": 0.3, "sigma": 0.6}
SHARED = ["a_mu", "a_sigma", "b_mu", "b_sigma", "sigma"]


class VaryingSlopes(bm.Model):
    """Per-county intercept and slope with normal hyper-priors, non-centred.

    ``define(county, floor, num_counties, log_radon=None)``: ``county`` holds each
    house's county index in ``0 .. num_counties - 1``.
    """

    coords = {"county": COUNTIES}  # labels of the plate "county" in every fit

    def __init__(self, coef_scale=5.0, group_scale=1.0, noise_scale=1.0):
        self.coef_scale = coef_scale
        self.group_scale = group_scale
        self.noise_scale = noise_scale

    def define(self, county, floor, num_counties, log_radon=None):
        a_mu = bm.sample("a_mu", dist.Normal(0.0, self.coef_scale))
        a_sigma = bm.sample("a_sigma", dist.HalfNormal(self.group_scale))
        b_mu = bm.sample("b_mu", dist.Normal(0.0, self.coef_scale))
        b_sigma = bm.sample("b_sigma", dist.HalfNormal(self.group_scale))
        sigma = bm.sample("sigma", dist.HalfNormal(self.noise_scale))
        with bm.plate("county", num_counties):
            a_raw = bm.sample("a_raw", dist.Normal(0.0, 1.0))
            b_raw = bm.sample("b_raw", dist.Normal(0.0, 1.0))
            a = bm.deterministic("a", a_mu + a_sigma * a_raw)
            b = bm.deterministic("b", b_mu + b_sigma * b_raw)
        with bm.plate("house", len(county)):
            bm.sample("log_radon", dist.Normal(a[county] + b[county] * floor, sigma), obs=log_radon)


def simulate(seed=2):
    """Houses per county, their floors and log radon levels, and the true a and b."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 41, len(COUNTIES))
    a = TRUE["a_mu"] + TRUE["a_sigma"] * rng.normal(size=len(COUNTIES))
    b = TRUE["b_mu"] + TRUE["b_sigma"] * rng.normal(size=len(COUNTIES))
    county = np.repeat(np.arange(len(COUNTIES)), sizes).astype(np.int32)
    floor = (rng.uniform(size=len(county)) < 0.3).astype(np.float32)
    log_radon = a[county] + b[county] * floor + TRUE["sigma"] * rng.normal(size=len(county))
    return county, floor, log_radon.astype(np.float32), a, b


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Fit, print the summary and the predictions, and write the plots; returns the PNG paths."""
    county, floor, log_radon, true_a, true_b = simulate()
    print(f"{len(county)} houses; per county:", dict(zip(COUNTIES, np.bincount(county).tolist())))
    model = VaryingSlopes()
    model.fit(
        county,
        floor,
        len(COUNTIES),
        log_radon,
        method=bm.infer.NUTS(target_accept_prob=0.9),  # small steps for the group scales near 0
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        progress_bar=progress_bar,
    )
    print(model)
    table = model.summary(var_names=[*SHARED, "a", "b"])
    print(table[["mean", "sd", "hdi_5%", "hdi_95%", "ess_bulk", "r_hat"]].round(3).to_string())
    print(f"Number of divergences: {model.result_.num_divergences}")
    idata = model.to_arviz()
    print("a dims:", idata.posterior["a"].dims, "county coords:", [str(c) for c in idata.posterior["county"].values])
    for name in SHARED:
        mean, sd = table.loc[name, "mean"], table.loc[name, "sd"]
        print(f"{name}: posterior mean {mean:.4f}, sd {sd:.4f}; true {TRUE[name]}")

    # new houses: a basement and a ground floor in every county (16 houses)
    new_county = np.repeat(np.arange(len(COUNTIES)), 2).astype(np.int32)
    new_floor = np.tile([0.0, 1.0], len(COUNTIES)).astype(np.float32)
    predicted = model.predict(new_county, new_floor, len(COUNTIES))["log_radon"]
    print("predicted log radon of a new house (basement, ground floor):")
    for index, name in enumerate(COUNTIES):
        print(f"  {name:<11} {predicted[2 * index]:6.3f} {predicted[2 * index + 1]:6.3f}")

    out_dir.mkdir(parents=True, exist_ok=True)
    az.plot_trace(idata, var_names=SHARED)
    trace_figure = out_dir / "hierarchical_regression_trace.png"
    plt.gcf().tight_layout()
    plt.savefig(trace_figure, dpi=100)
    plt.close("all")

    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(12, 5))
    for ax, name, truth in ((ax_a, "a", true_a), (ax_b, "b", true_b)):
        az.plot_forest(idata, var_names=[name], combined=True, hdi_prob=0.9, ax=ax)
        # plot_forest draws the first label at the top: the true values in the same order
        ticks = sorted(ax.get_yticks(), reverse=True)
        ax.scatter(truth, ticks, marker="x", color="black", zorder=3, label="true value")
        ax.set_title(f"{name} by county (90% HDI)")
        ax.legend(loc="lower right")
    forest_figure = out_dir / "hierarchical_regression_forest.png"
    fig.tight_layout()
    fig.savefig(forest_figure, dpi=100)
    plt.close(fig)
    print(f"plots written: {trace_figure}, {forest_figure}")
    return [trace_figure, forest_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
