r"""A local-level time series (random walk plus noise), with a forecast of the next steps.

Simulated data (fixed seed): 80 observations of a level that starts at 1.0 and moves as a
Gaussian random walk with step sd 0.4, each observed with noise sd 0.8. The model is

    level0 ~ Normal(0, level_scale)                  (the level before the first observation)
    sigma_level ~ HalfNormal(sigma_scale),  sigma_obs ~ HalfNormal(sigma_scale)
    path - level0 ~ GaussianRandomWalk(sigma_level, T)
        i.e. path[t] = path[t-1] + sigma_level * eps[t], path[0] = level0
    level[t] = path[t]                               for t = 1..T  (plate "time")
    y[t] ~ Normal(level[t], sigma_obs)

``path`` is sampled as ``GaussianRandomWalk`` shifted by ``level0``
(``TransformedDistribution`` with an ``AffineTransform``), so the sampler moves the levels
themselves. Sampling the walk from 0 and adding ``level0`` afterwards instead leaves one
direction, ``level0`` up and every value of the walk down by as much, that only the
walk's first step resists: NUTS crawls along it (in short runs, effective sample sizes of
``level0`` of 2-10% of the draws, against about 80% here).

The walk is one event of 80 values, which a plate cannot index, so ``level`` repeats it
as a deterministic site inside the plate ``time``: ``time`` is the dimension of ``level``
and ``y`` in the ArviZ export. ``sigma_level`` mixes slowest (effective sample sizes of
5-10% of the draws): the levels and their step size form a mild funnel.

With ``horizon=H`` the model goes on for ``H`` more steps (plate ``horizon``):

    future - level[T] ~ GaussianRandomWalk(sigma_level, H),
    forecast[h] ~ Normal(future[h], sigma_obs)

These sites are not in the posterior, so ``sample_posterior_predictive(y, horizon=12)``
draws them given each posterior draw: the forecast of :math:`p(y_{T+h} \mid y_{1:T})`.
The example prints the summary of the parameters next to the truth, the dims of
``level``, and the forecast's mean and 90% interval for each step. Run it with::

    python examples/time_series.py [--out DIR]

It writes ``time_series_trace.png`` (traces of the parameters) and
``time_series_forecast.png`` (the series, the fitted level with its 90% band, the true
level, and the forecast with 90% bands of the level and of new observations) to ``DIR``
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

TRUE_LEVEL0, TRUE_SIGMA_LEVEL, TRUE_SIGMA_OBS = 1.0, 0.4, 0.8
HORIZON = 12


class LocalLevel(bm.Model):
    """A random-walk level observed with noise; ``horizon`` more steps are forecast."""

    def __init__(self, level_scale=10.0, sigma_scale=1.0):
        self.level_scale = level_scale
        self.sigma_scale = sigma_scale

    def define(self, y, horizon=0):
        num_steps = len(y)
        level0 = bm.sample("level0", dist.Normal(0.0, self.level_scale))
        sigma_level = bm.sample("sigma_level", dist.HalfNormal(self.sigma_scale))
        sigma_obs = bm.sample("sigma_obs", dist.HalfNormal(self.sigma_scale))
        # the random walk started at level0 (a walk from 0, shifted)
        walk_from_level0 = dist.TransformedDistribution(
            dist.GaussianRandomWalk(sigma_level, num_steps), dist.transforms.AffineTransform(level0, 1.0)
        )
        path = bm.sample("path", walk_from_level0)
        with bm.plate("time", num_steps):
            level = bm.deterministic("level", path)  # the path again, its axis named "time"
            bm.sample("y", dist.Normal(level, sigma_obs), obs=y)
        if horizon:
            future_walk = bm.sample("future_walk", dist.GaussianRandomWalk(sigma_level, horizon))
            with bm.plate("horizon", horizon):
                future = bm.deterministic("future", level[-1] + future_walk)
                bm.sample("forecast", dist.Normal(future, sigma_obs))


def simulate(num_steps=80, seed=3):
    """The true level and its noisy observations."""
    rng = np.random.default_rng(seed)
    level = TRUE_LEVEL0 + np.cumsum(TRUE_SIGMA_LEVEL * rng.normal(size=num_steps))
    y = level + TRUE_SIGMA_OBS * rng.normal(size=num_steps)
    return level.astype(np.float32), y.astype(np.float32)


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Fit, print the summary and the forecast, and write the plots; returns the PNG paths."""
    true_level, y = simulate()
    num_steps = len(y)
    model = LocalLevel(level_scale=10.0, sigma_scale=1.0)
    print(model)
    model.fit(y, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains, progress_bar=progress_bar)
    names = ["level0", "sigma_level", "sigma_obs"]
    parameters = model.summary(var_names=names)
    print(parameters[["mean", "sd", "hdi_5%", "hdi_95%", "ess_bulk", "r_hat"]].round(3).to_string())
    print(f"Number of divergences: {model.result_.num_divergences}")
    for name, truth in zip(names, (TRUE_LEVEL0, TRUE_SIGMA_LEVEL, TRUE_SIGMA_OBS)):
        mean, sd = parameters.loc[name, "mean"], parameters.loc[name, "sd"]
        print(f"{name}: posterior mean {mean:.4f}, sd {sd:.4f}; true value {truth}")

    idata = model.to_arviz()
    print("level dims:", idata.posterior["level"].dims)
    last = model.get_samples()["level"][:, -1]
    print(f"level at the last step: posterior mean {last.mean():.4f}, sd {last.std():.4f}; true value {true_level[-1]:.4f}")

    # the forecast: the sites past the data, drawn given each posterior draw
    draws = model.sample_posterior_predictive(y, horizon=HORIZON)
    print("forecast shapes:", {name: draws[name].shape for name in ("future", "forecast")})
    forecast = draws["forecast"]
    low, high = np.percentile(forecast, [5, 95], axis=0)
    print(f"forecast of y, {HORIZON} steps ahead (mean, 90% interval):")
    print("  step      mean       5%      95%")
    for h in range(HORIZON):
        print(f"  {num_steps + h + 1:4d} {forecast[:, h].mean():9.4f} {low[h]:8.4f} {high[h]:8.4f}")

    out_dir.mkdir(parents=True, exist_ok=True)
    az.plot_trace(idata, var_names=names)
    trace_figure = out_dir / "time_series_trace.png"
    plt.gcf().tight_layout()
    plt.savefig(trace_figure, dpi=100)
    plt.close("all")

    time = np.arange(1, num_steps + 1)
    future_time = np.arange(num_steps + 1, num_steps + HORIZON + 1)
    level = model.get_samples()["level"]
    fig, ax = plt.subplots(figsize=(11, 5))
    ax.scatter(time, y, color="black", s=12, label="observed y")
    ax.plot(time, true_level, color="red", linestyle=":", label="true level")
    ax.fill_between(time, *np.percentile(level, [5, 95], axis=0), color="tab:blue", alpha=0.3,
                    label="fitted level, 90% band")
    ax.plot(time, level.mean(axis=0), color="tab:blue", label="fitted level, posterior mean")
    ax.fill_between(future_time, low, high, color="tab:orange", alpha=0.2, label="forecast of y, 90% band")
    ax.fill_between(future_time, *np.percentile(draws["future"], [5, 95], axis=0), color="tab:orange", alpha=0.4,
                    label="forecast of the level, 90% band")
    ax.plot(future_time, forecast.mean(axis=0), color="tab:orange", label="forecast, mean")
    ax.axvline(num_steps + 0.5, color="grey", linestyle="--")
    ax.set(xlabel="time step", ylabel="y", title=f"local-level model: fit and forecast of {HORIZON} steps")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)  # outside: the data fill the axes
    forecast_figure = out_dir / "time_series_forecast.png"
    fig.tight_layout()
    fig.savefig(forecast_figure, dpi=100)
    plt.close(fig)
    print(f"plots written: {trace_figure}, {forecast_figure}")
    return [trace_figure, forecast_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
