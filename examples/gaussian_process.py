r"""Gaussian-process regression with a squared-exponential kernel, hyper-parameters sampled.

Simulated data (fixed seed): 25 points ``y = f(x) + noise`` with
``f(x) = sin(x) + 0.5 cos(2.3 x)`` and noise sd 0.2, at x drawn over [0, 10] but none in
(6, 8), so the fit has a gap to bridge. The model is

    amplitude ~ HalfNormal(amplitude_scale)
    length_scale ~ InverseGamma(5, 5)        (little mass below the spacing of the data)
    noise ~ HalfNormal(noise_scale)
    K[i, j] = amplitude^2 * exp(-(x[i] - x[j])^2 / (2 length_scale^2))
    y ~ MultivariateNormal(0, K + noise^2 I)

The latent function values are integrated out: the 25-dimensional normal density of ``y``
is the marginal likelihood of the hyper-parameters: ``y`` is one observation of a
``MultivariateNormal``. NUTS samples the three hyper-parameters.

Predictions on a grid :math:`x_*` then use, for each posterior draw
:math:`\theta = (\alpha, \ell, \sigma)`, the Gaussian conditional of :math:`f_*` given
:math:`y` (Rasmussen & Williams 2006, eq. 2.25-2.26):

.. math::

    L L^\top = K + \sigma^2 I, \qquad a = L^{-\top} L^{-1} y, \qquad V = L^{-1} K_{x, x_*}

    \mathrm E[f_* \mid y, \theta] = K_{x_*, x}\, a, \qquad
    \mathrm{Var}[f_*(x_j) \mid y, \theta] = \alpha^2 - \textstyle\sum_i V_{ij}^2,

and a new observation :math:`y_*` adds :math:`\sigma^2` to the variance. The posterior
predictive mixes these normals over the draws: its mean is the mean of the conditional
means, and the pointwise 90% band comes from draws of :math:`f_*(x_j)` (or
:math:`y_*(x_j)`) from these normals, ten per posterior draw and grid point (pointwise
bands need only the marginal variances, so the grid's covariance is never factorised).

The example prints the hyper-parameters' summary and the predictive at a few grid points
next to the true function. Run it with::

    python examples/gaussian_process.py [--out DIR]

It writes ``gaussian_process_trace.png`` (traces of the hyper-parameters) and
``gaussian_process_fit.png`` (the data, the true function, the predictive mean and the
90% bands of f and of new observations) to ``DIR`` (default ``examples/figures``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import arviz as az
import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
from jax.scipy.linalg import cho_solve, solve_triangular

matplotlib.use("Agg")  # write files; no display needed
import matplotlib.pyplot as plt  # noqa: E402

import bayesmodels as bm  # noqa: E402
import bayesmodels.distributions as dist  # noqa: E402

TRUE_NOISE = 0.2
GRID = np.linspace(-1.0, 11.0, 121, dtype=np.float32)
SHOWN = [1.0, 2.5, 4.0, 5.5, 7.0, 10.5]  # grid points printed: in the data, in the gap, past them


def true_f(x):
    return np.sin(x) + 0.5 * np.cos(2.3 * x)


def rbf(x1, x2, amplitude, length_scale):
    """The squared-exponential kernel matrix ``[len(x1), len(x2)]``."""
    return amplitude**2 * jnp.exp(-0.5 * jnp.square((x1[:, None] - x2[None, :]) / length_scale))


class GaussianProcess(bm.Model):
    """GP regression, zero mean and an RBF kernel; ``f`` integrated out."""

    def __init__(self, amplitude_scale=2.0, length_concentration=5.0, length_rate=5.0, noise_scale=1.0):
        self.amplitude_scale = amplitude_scale
        self.length_concentration = length_concentration
        self.length_rate = length_rate
        self.noise_scale = noise_scale

    def define(self, x, y):
        amplitude = bm.sample("amplitude", dist.HalfNormal(self.amplitude_scale))
        length_scale = bm.sample("length_scale", dist.InverseGamma(self.length_concentration, self.length_rate))
        noise = bm.sample("noise", dist.HalfNormal(self.noise_scale))
        covariance = rbf(x, x, amplitude, length_scale) + (noise**2 + 1e-5) * jnp.eye(len(x))  # + jitter
        marginal = dist.MultivariateNormal(jnp.zeros(len(x)), covariance_matrix=covariance)
        bm.sample("y", marginal, obs=y)  # one 25-dimensional observation


def simulate(n=25, seed=4):
    """``n`` noisy values of ``true_f`` at x in [0, 10] outside (6, 8)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 8.0, n)
    x = np.sort(np.where(x > 6.0, x + 2.0, x))  # (6, 8) moved to (8, 10): a gap in the data
    y = true_f(x) + TRUE_NOISE * rng.normal(size=n)
    return x.astype(np.float32), y.astype(np.float32)


@jax.jit
def conditional(x, y, x_new, amplitude, length_scale, noise):
    """Mean and variance of f at ``x_new`` given ``y``, for one draw of the hyper-parameters."""
    chol = jnp.linalg.cholesky(rbf(x, x, amplitude, length_scale) + (noise**2 + 1e-5) * jnp.eye(len(x)))
    cross = rbf(x, x_new, amplitude, length_scale)  # K(x, x_new)
    mean = cross.T @ cho_solve((chol, True), y)
    v = solve_triangular(chol, cross, lower=True)
    variance = jnp.maximum(amplitude**2 - jnp.sum(v**2, axis=0), 0.0)
    return mean, variance


def predict(samples, x, y, x_new, draws_per_sample=10, seed=0):
    """Posterior predictive on ``x_new`` from the draws of the hyper-parameters.

    Returns:
        the conditional means and variances of f, one row per posterior draw
        ``[draws, len(x_new)]``, and ``draws_per_sample`` draws of f and of a new y per
        posterior draw and point, ``[draws * draws_per_sample, len(x_new)]`` (several per
        posterior draw, so that short runs still give smooth bands).
    """
    means, variances = jax.vmap(conditional, in_axes=(None, None, None, 0, 0, 0))(
        x, y, x_new, samples["amplitude"], samples["length_scale"], samples["noise"]
    )
    shape = (draws_per_sample,) + means.shape
    key_f, key_y = jax.random.split(jax.random.PRNGKey(seed))
    f_draws = means + jnp.sqrt(variances) * jax.random.normal(key_f, shape)
    y_draws = f_draws + samples["noise"][:, None] * jax.random.normal(key_y, shape)
    flat = (-1, len(x_new))
    f_draws, y_draws = np.asarray(f_draws).reshape(flat), np.asarray(y_draws).reshape(flat)
    return np.asarray(means), np.asarray(variances), f_draws, y_draws


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Fit, print the summary and predictions, and write the plots; returns the PNG paths."""
    x, y = simulate()
    model = GaussianProcess()
    print(model)
    model.fit(x, y, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains, progress_bar=progress_bar)
    names = ["amplitude", "length_scale", "noise"]
    hyper = model.summary(var_names=names)
    print(hyper[["mean", "sd", "hdi_5%", "hdi_95%", "ess_bulk", "r_hat"]].round(3).to_string())
    print(f"Number of divergences: {model.result_.num_divergences}")
    mean, sd = hyper.loc["noise", "mean"], hyper.loc["noise", "sd"]
    print(f"noise: posterior mean {mean:.4f}, sd {sd:.4f}; true value {TRUE_NOISE}")

    means, variances, f_draws, y_draws = predict(model.get_samples(), x, y, GRID)
    print("predictive shapes: conditional means", means.shape, "draws of f", f_draws.shape, "of y", y_draws.shape)
    f_mean = means.mean(axis=0)
    f_sd = np.sqrt(variances.mean(axis=0) + means.var(axis=0))  # the sd of the mixture over draws
    f_low, f_high = np.percentile(f_draws, [5, 95], axis=0)
    y_low, y_high = np.percentile(y_draws, [5, 95], axis=0)
    print("predictive of f at a few grid points (data in [0, 6] and [8, 10]):")
    print("      x      mean      sd       5%      95%   true f")
    for value in SHOWN:
        j = int(np.argmin(np.abs(GRID - value)))
        print(f"  {GRID[j]:5.2f} {f_mean[j]:9.4f} {f_sd[j]:7.4f} {f_low[j]:8.4f} {f_high[j]:8.4f} {true_f(GRID[j]):8.4f}")

    out_dir.mkdir(parents=True, exist_ok=True)
    az.plot_trace(model.to_arviz(), var_names=names)
    trace_figure = out_dir / "gaussian_process_trace.png"
    plt.gcf().tight_layout()
    plt.savefig(trace_figure, dpi=100)
    plt.close("all")

    fig, ax = plt.subplots(figsize=(11, 5))
    ax.fill_between(GRID, y_low, y_high, color="tab:blue", alpha=0.15, label="90% band of new y")
    ax.fill_between(GRID, f_low, f_high, color="tab:blue", alpha=0.35, label="90% band of f")
    ax.plot(GRID, f_mean, color="tab:blue", label="predictive mean of f")
    ax.plot(GRID, true_f(GRID), color="red", linestyle=":", label="true f")
    ax.scatter(x, y, color="black", s=15, zorder=3, label="data")
    ax.set(xlabel="x", ylabel="y", title="Gaussian-process regression (RBF kernel): posterior predictive")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)  # outside: the bands fill the axes
    fit_figure = out_dir / "gaussian_process_fit.png"
    fig.tight_layout()
    fig.savefig(fit_figure, dpi=100)
    plt.close(fig)
    print(f"plots written: {trace_figure}, {fit_figure}")
    return [trace_figure, fit_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
