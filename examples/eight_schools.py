"""Eight schools: a hierarchical model written as a ``bm.Model`` class, non-centred.

Rubin's (1981) coaching experiments: each of eight schools reports an estimated effect
``y`` of coaching on SAT scores and its standard error ``sigma``. The schools' true
effects ``theta`` are drawn around a common mean ``mu`` with spread ``tau``:

    mu ~ Normal(0, mu_scale), tau ~ HalfCauchy(tau_scale)
    theta_tilde[j] ~ Normal(0, 1),  theta[j] = mu + tau * theta_tilde[j]
    y[j] ~ Normal(theta[j], sigma[j])

Writing ``theta`` through ``theta_tilde`` (the non-centred form) removes the funnel
between ``tau`` and ``theta`` that makes the centred form diverge. The example fits the
model with NUTS, passes the school names as coordinates of the plate ``school``, prints
the summary and the dims of ``theta`` in the ArviZ export, and plots. Run it with::

    python examples/eight_schools.py [--out DIR]

It writes ``eight_schools_trace.png`` (traces of mu and tau) and
``eight_schools_forest.png`` (the schools' effects, by name) to ``DIR`` (default
``examples/figures``).
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

SCHOOLS = [
    "Choate",
    "Deerfield",
    "Phillips Andover",
    "Phillips Exeter",
    "Hotchkiss",
    "Lawrenceville",
    "St. Paul's",
    "Mt. Hermon",
]
Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0], dtype=np.float32)
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0], dtype=np.float32)


class EightSchools(bm.Model):
    """Non-centred hierarchical normal model; ``mu_scale`` and ``tau_scale`` are the prior scales."""

    def __init__(self, mu_scale=5.0, tau_scale=5.0):
        self.mu_scale = mu_scale
        self.tau_scale = tau_scale

    def define(self, sigma, y=None):
        mu = bm.sample("mu", dist.Normal(0.0, self.mu_scale))
        tau = bm.sample("tau", dist.HalfCauchy(self.tau_scale))
        with bm.plate("school", len(sigma)):
            theta_tilde = bm.sample("theta_tilde", dist.Normal(0.0, 1.0))
            theta = bm.deterministic("theta", mu + tau * theta_tilde)
            bm.sample("y", dist.Normal(theta, sigma), obs=y)


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Fit, print the summary and the ArviZ dims, and write the plots; returns the PNG paths."""
    model = EightSchools(mu_scale=5.0, tau_scale=5.0)
    print(model)
    model.fit(
        SIGMA,
        Y,
        coords={"school": SCHOOLS},  # labels of the plate "school" in every export
        method=bm.infer.NUTS(target_accept_prob=0.9),  # smaller steps: no divergences near tau = 0
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        progress_bar=progress_bar,
    )
    model.print_summary()

    idata = model.to_arviz()
    theta = idata.posterior["theta"]
    print("theta dims:", theta.dims)
    print("school coords:", [str(school) for school in theta.coords["school"].values])
    print("theta by school:")
    print(model.summary(var_names="theta")[["mean", "sd", "hdi_5%", "hdi_95%", "r_hat"]].round(2).to_string())

    out_dir.mkdir(parents=True, exist_ok=True)
    az.plot_trace(idata, var_names=["mu", "tau"])
    trace_figure = out_dir / "eight_schools_trace.png"
    plt.gcf().tight_layout()
    plt.savefig(trace_figure, dpi=100)
    plt.close("all")

    # one row per school, labelled with its name; the pooled mean for reference
    axes = az.plot_forest(idata, var_names=["theta"], combined=True, hdi_prob=0.9, figsize=(8, 5))
    axes[0].axvline(float(idata.posterior["mu"].mean()), color="grey", linestyle="--")
    axes[0].set_title("theta by school, 90% HDI (dashed: mean of mu)", fontsize=11)
    forest_figure = out_dir / "eight_schools_forest.png"
    plt.gcf().tight_layout()
    plt.savefig(forest_figure, dpi=100)
    plt.close("all")
    print(f"traces plotted to {trace_figure}, the forest plot to {forest_figure}")
    return [trace_figure, forest_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
