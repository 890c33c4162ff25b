"""Variational inference next to NUTS: ``fit(method="vi")`` with three guides.

Simulated data (fixed seed): ``y = 1.5 + 0.8 x + noise`` with noise sd 1.0, for 50 values
of x in [5, 15]. The x values are far from 0, so the intercept and the slope are strongly
(negatively) correlated in the posterior. The example fits

- NUTS (the reference),
- ``guide="normal"``: a mean-field normal (``AutoNormal``), which finds the posterior
  means but, with correlated latents, the *conditional* sds — too small;
- ``guide="mvn"``: a full-rank normal (``AutoMultivariateNormal``), which can match the
  correlation;
- ``guide="laplace"``: a normal at the mode with the inverse Hessian as covariance,

and prints, per guide, the posterior means and sds next to NUTS's. Run it with::

    python examples/variational_inference.py [--out DIR]

It writes ``variational_inference_loss.png`` (the loss, i.e. the negative ELBO, per
optimiser step) and ``variational_inference_posterior.png`` (draws of intercept and slope
from NUTS and from each guide) to ``DIR`` (default ``examples/figures``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # write files; no display needed
import matplotlib.pyplot as plt  # noqa: E402

import bayesmodels as bm  # noqa: E402
import bayesmodels.distributions as dist  # noqa: E402

TRUE_INTERCEPT, TRUE_SLOPE, TRUE_SIGMA = 1.5, 0.8, 1.0
GUIDES = ("normal", "mvn", "laplace")
PARAMETERS = ("intercept", "slope", "sigma")


class LinearRegression(bm.Model):
    """``y ~ Normal(intercept + slope * x, sigma)`` with normal priors on the coefficients."""

    def define(self, x, y=None):
        intercept = bm.sample("intercept", dist.Normal(0.0, 10.0))
        slope = bm.sample("slope", dist.Normal(0.0, 10.0))
        sigma = bm.sample("sigma", dist.HalfNormal(5.0))
        with bm.plate("data", len(x)):
            bm.sample("y", dist.Normal(intercept + slope * x, sigma), obs=y)


def simulate(n=50, seed=0):
    """``n`` points of the true line plus normal noise, x far from 0."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(5.0, 15.0, n)).astype(np.float32)
    y = (TRUE_INTERCEPT + TRUE_SLOPE * x + TRUE_SIGMA * rng.normal(size=n)).astype(np.float32)
    return x, y


def main(out_dir: Path, num_steps=10_000, num_samples=2000, num_warmup=1000, progress_bar=True) -> list:
    """Fit with NUTS and each guide, print the comparison, write the plots; returns the PNGs."""
    x, y = simulate()
    fits = {"nuts": LinearRegression().fit(x, y, num_warmup=num_warmup, num_samples=num_samples // 4, progress_bar=progress_bar)}
    for guide in GUIDES:
        fits[guide] = LinearRegression().fit(
            x, y, method="vi", guide=guide, num_steps=num_steps, num_samples=num_samples, progress_bar=progress_bar
        )

    rows = []
    for name, model in fits.items():
        table = model.summary(var_names=list(PARAMETERS))
        cells = "  ".join(f"{table.loc[p, 'mean']:7.3f} ({table.loc[p, 'sd']:.3f})" for p in PARAMETERS)
        rows.append(f"{name:>8}  {cells}")
    draws = {name: model.get_samples() for name, model in fits.items()}
    print("mean (sd)  " + "  ".join(f"{p:>15}" for p in PARAMETERS))
    print("\n".join(rows))
    for name, samples in draws.items():
        correlation = np.corrcoef(samples["intercept"], samples["slope"])[0, 1]
        print(f"{name}: correlation of intercept and slope {correlation:.3f}")

    out_dir.mkdir(parents=True, exist_ok=True)
    loss_path = out_dir / "variational_inference_loss.png"
    fig, ax = plt.subplots(figsize=(7, 4))
    for guide in GUIDES:
        loss = fits[guide].result_.variational["loss"]
        ax.plot(np.arange(1, len(loss) + 1), loss, label=guide, lw=0.8)
    ax.set(xscale="log", yscale="symlog", xlabel="optimiser step", ylabel="loss (negative ELBO)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(loss_path, dpi=100)
    plt.close(fig)

    posterior_path = out_dir / "variational_inference_posterior.png"
    fig, axes = plt.subplots(1, len(GUIDES), figsize=(12, 4), sharex=True, sharey=True)
    for ax, guide in zip(axes, GUIDES):
        ax.scatter(draws["nuts"]["intercept"], draws["nuts"]["slope"], s=2, alpha=0.3, label="NUTS")
        ax.scatter(draws[guide]["intercept"], draws[guide]["slope"], s=2, alpha=0.3, label=f"vi: {guide}")
        ax.set(title=guide, xlabel="intercept")
        ax.legend(markerscale=4)
    axes[0].set_ylabel("slope")
    fig.tight_layout()
    fig.savefig(posterior_path, dpi=100)
    plt.close(fig)
    return [loss_path, posterior_path]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "figures")
    for path in main(parser.parse_args().out):
        print(f"wrote {path}")
