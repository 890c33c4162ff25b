"""Linear regression as a ``bm.Model`` class, with predictions on new x.

Simulated data (fixed seed): ``y = 1.5 + 0.8 x + noise`` with noise sd 1.0, for 50 values
of x in [0, 10]. The model is

    intercept ~ Normal(0, coef_scale), slope ~ Normal(0, coef_scale),
    sigma ~ HalfNormal(noise_scale),  y[i] ~ Normal(intercept + slope * x[i], sigma)

The example fits it with NUTS, prints the summary, then predicts on a new grid of x
(61 points over [-1, 11], another length than the data): ``predict(x_new)`` gives the
posterior predictive mean and ``sample_posterior_predictive(x_new)`` the draws, of the
regression line ``mu`` and of new observations ``y``. The observed sites are drawn
there, so ``define`` needs no ``obs=None`` branch. Run it with::

    python examples/linear_regression.py [--out DIR]

It writes ``linear_regression_trace.png`` (traces), ``linear_regression_fit.png`` (the
data, the mean line and 90% bands of the line and of new observations on the new grid)
and ``linear_regression_ppc.png`` (ArviZ's posterior predictive check) to ``DIR``
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

TRUE_INTERCEPT, TRUE_SLOPE, TRUE_SIGMA = 1.5, 0.8, 1.0


class LinearRegression(bm.Model):
    """``y ~ Normal(intercept + slope * x, sigma)`` with normal priors on the coefficients."""

    def __init__(self, coef_scale=10.0, noise_scale=5.0):
        self.coef_scale = coef_scale
        self.noise_scale = noise_scale

    def define(self, x, y=None):
        intercept = bm.sample("intercept", dist.Normal(0.0, self.coef_scale))
        slope = bm.sample("slope", dist.Normal(0.0, self.coef_scale))
        sigma = bm.sample("sigma", dist.HalfNormal(self.noise_scale))
        with bm.plate("data", len(x)):
            mu = bm.deterministic("mu", intercept + slope * x)
            bm.sample("y", dist.Normal(mu, sigma), obs=y)


def simulate(n=50, seed=0):
    """``n`` points of the true line plus normal noise."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 10.0, n)).astype(np.float32)
    y = (TRUE_INTERCEPT + TRUE_SLOPE * x + TRUE_SIGMA * rng.normal(size=n)).astype(np.float32)
    return x, y


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Fit, print the summary and predictions, and write the plots; returns the PNG paths."""
    x, y = simulate()
    model = LinearRegression(coef_scale=10.0, noise_scale=5.0)
    model.fit(x, y, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains, progress_bar=progress_bar)
    print(model)
    coefficients = model.summary(var_names=["intercept", "slope", "sigma"])
    print(coefficients.round(3).to_string())
    print(f"Number of divergences: {model.result_.num_divergences}")
    for name, truth in (("intercept", TRUE_INTERCEPT), ("slope", TRUE_SLOPE), ("sigma", TRUE_SIGMA)):
        mean, sd = coefficients.loc[name, "mean"], coefficients.loc[name, "sd"]
        print(f"{name}: posterior mean {mean:.4f}, sd {sd:.4f}; true value {truth}")

    # prediction on a new grid, longer than the data and reaching outside it
    x_new = np.linspace(-1.0, 11.0, 61, dtype=np.float32)
    mean_new = model.predict(x_new)["y"]
    draws = model.sample_posterior_predictive(x_new)
    print("predict(x_new)['y'] shape:", mean_new.shape)
    print("sample_posterior_predictive(x_new) shapes:", {name: value.shape for name, value in draws.items()})
    print("predicted mean at x = 0, 5, 10:", np.round(np.interp([0.0, 5.0, 10.0], x_new, mean_new), 3))

    out_dir.mkdir(parents=True, exist_ok=True)
    idata = model.to_arviz()
    az.plot_trace(idata, var_names=["intercept", "slope", "sigma"])
    trace_figure = out_dir / "linear_regression_trace.png"
    plt.gcf().tight_layout()
    plt.savefig(trace_figure, dpi=100)
    plt.close("all")

    fig, ax = plt.subplots(figsize=(8, 5))
    y_low, y_high = np.percentile(draws["y"], [5, 95], axis=0)
    ax.fill_between(x_new, y_low, y_high, color="tab:blue", alpha=0.2, label="90% band of new y")
    # plot_hdi reads (chain, draw, x) arrays: the flattened draws as one chain
    az.plot_hdi(x_new, draws["mu"][None], hdi_prob=0.9, ax=ax, color="tab:blue", fill_kwargs={"alpha": 0.4})
    ax.plot(x_new, draws["mu"].mean(axis=0), color="tab:blue", label="posterior mean line (90% HDI)")
    ax.plot(x_new, TRUE_INTERCEPT + TRUE_SLOPE * x_new, color="black", linestyle="--", label="true line")
    ax.scatter(x, y, color="black", s=12, label="data")
    ax.set(xlabel="x", ylabel="y", title="linear regression: predictions on a new grid of x")
    ax.legend(loc="upper left")
    fit_figure = out_dir / "linear_regression_fit.png"
    fig.tight_layout()
    fig.savefig(fit_figure, dpi=100)
    plt.close(fig)

    # posterior predictive check on the data: y drawn at the observed x, kept in result_
    model.sample_posterior_predictive(add_to_result=True)
    az.plot_ppc(model.to_arviz(), var_names=["y"], num_pp_samples=100, random_seed=0)
    ppc_figure = out_dir / "linear_regression_ppc.png"
    plt.gcf().tight_layout()
    plt.savefig(ppc_figure, dpi=100)
    plt.close("all")
    print(f"plots written: {trace_figure}, {fit_figure}, {ppc_figure}")
    return [trace_figure, fit_figure, ppc_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
