r"""A Gaussian mixture with discrete assignments, sampled by HMC within Gibbs.

Simulated data (fixed seed): 90 points from three normal components with weights
(0.3, 0.45, 0.25), means (-4, 0, 4) and standard deviations (0.7, 0.9, 0.7). Each point
keeps its component as a discrete latent variable ``z[i]``:

    weights ~ Dirichlet(concentration * ones(3))
    mu ~ Normal(0, mu_scale) for each component, restricted to mu[0] < mu[1] < mu[2]
    sigma[k] ~ HalfNormal(sigma_scale)
    z[i] ~ Categorical(weights),  x[i] ~ Normal(mu[z[i]], sigma[z[i]])

A mixture's likelihood does not change when the components swap labels, so without a
device against it each chain may settle on its own labelling (and the summary averages
unrelated components). The prior on ``mu`` is the one of three independent normals
restricted to increasing values (their order statistics): ``mu`` lives on the ordered
vectors (a flat ``ImproperUniform`` on ``constraints.ordered_vector``, sampled through
Stan's ordered transform) and the normal prior is added with ``bm.factor``. Component
``k`` is then "the k-th from the left" in every chain.

The assignments ``z`` are discrete, which NUTS cannot move. ``DiscreteHMCGibbs(NUTS())``
alternates an exact Gibbs sweep over every ``z[i]`` (drawn from its conditional
:math:`P(z_i = k \mid \cdot) \propto w_k\, \mathcal N(x_i \mid \mu_k, \sigma_k)`) with
one NUTS step on the continuous parameters; draws of ``z`` come out as integers. (The
alternative, ``method="mixed_hmc"``, moves the 90 assignments inside a fixed-length HMC
trajectory; on these data it took as long and gave a smaller effective sample size.)
Both move one assignment at a time given the parameters, so components that overlap more
than these do make them slow: a chain can sit for hundreds of iterations with two
components merged.

The example prints the summary of the component parameters, the dtype of the ``z``
draws, and for a few points the posterior probability of each component next to the
component that generated the point. Run it with::

    python examples/mixture_model.py [--out DIR]

It writes ``mixture_model_density.png`` (a histogram of the data with the fitted mixture
density, its 90% band and the weighted components) and
``mixture_model_assignments.png`` (each point's posterior probability of each
component against x, with the true components marked, and lines for a new point at x)
to ``DIR`` (default ``examples/figures``).
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

TRUE_WEIGHTS = np.array([0.3, 0.45, 0.25])
TRUE_MU = np.array([-4.0, 0.0, 4.0])
TRUE_SIGMA = np.array([0.7, 0.9, 0.7])
NUM_COMPONENTS = len(TRUE_WEIGHTS)
COLORS = ["tab:blue", "tab:orange", "tab:green"]


class GaussianMixture(bm.Model):
    """A mixture of ``num_components`` normals; the latent ``z[i]`` says which one drew ``x[i]``."""

    def __init__(self, num_components=3, concentration=1.0, mu_scale=5.0, sigma_scale=2.0):
        self.num_components = num_components
        self.concentration = concentration
        self.mu_scale = mu_scale
        self.sigma_scale = sigma_scale

    def define(self, x):
        k = self.num_components
        weights = bm.sample("weights", dist.Dirichlet(self.concentration * np.ones(k, dtype=np.float32)))
        # ordered means: iid Normal(0, mu_scale) restricted to mu[0] < ... < mu[k-1]
        mu = bm.sample("mu", dist.ImproperUniform(dist.constraints.ordered_vector, (), (k,)))
        bm.factor("mu_prior", dist.Normal(0.0, self.mu_scale).log_prob(mu).sum())
        with bm.plate("component", k):
            sigma = bm.sample("sigma", dist.HalfNormal(self.sigma_scale))
        with bm.plate("data", len(x)):
            z = bm.sample("z", dist.Categorical(weights))
            bm.sample("x", dist.Normal(mu[z], sigma[z]), obs=x)


def simulate(n=90, seed=1):
    """``n`` points of the true mixture and the components that drew them."""
    rng = np.random.default_rng(seed)
    z = rng.choice(NUM_COMPONENTS, size=n, p=TRUE_WEIGHTS)
    x = rng.normal(TRUE_MU[z], TRUE_SIGMA[z]).astype(np.float32)
    return x, z


def normal_pdf(x, loc, scale):
    return np.exp(-0.5 * ((x - loc) / scale) ** 2) / (scale * np.sqrt(2 * np.pi))


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Fit, print the summary and assignment probabilities, write the plots; returns the PNG paths."""
    x, z_true = simulate()
    model = GaussianMixture(num_components=NUM_COMPONENTS)
    print(model)
    model.fit(
        x,
        method=bm.infer.DiscreteHMCGibbs(bm.infer.NUTS()),  # exact Gibbs sweep over z, then NUTS
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        progress_bar=progress_bar,
    )
    parameters = model.summary(var_names=["weights", "mu", "sigma"])
    print(parameters[["mean", "sd", "hdi_5%", "hdi_95%", "ess_bulk", "r_hat"]].round(3).to_string())
    print(f"Number of divergences: {model.result_.num_divergences}")
    for name, truth in (("weights", TRUE_WEIGHTS), ("mu", TRUE_MU), ("sigma", TRUE_SIGMA)):
        for k in range(NUM_COMPONENTS):
            mean, sd = parameters.loc[f"{name}[{k}]", ["mean", "sd"]]
            print(f"{name}[{k}]: posterior mean {mean:.4f}, sd {sd:.4f}; true value {truth[k]}")

    samples = model.get_samples()
    z_draws = samples["z"]
    print(f"z draws: dtype {z_draws.dtype}, shape {z_draws.shape}, values {sorted(np.unique(z_draws).tolist())}")
    # P(z[i] = k | x): the share of draws that put point i in component k
    assignment = np.stack([(z_draws == k).mean(axis=0) for k in range(NUM_COMPONENTS)], axis=1)
    shown = [int(np.argmin(x)), int(np.argmin(np.abs(x - TRUE_MU[1]))), int(np.argmax(x))]
    shown += [int(i) for i in np.argsort(np.abs(x - 0.5 * (TRUE_MU[1] + TRUE_MU[2])))[:2]]  # between two components
    print("posterior probability of each component, for a few points:")
    print("   i        x   " + "  ".join(f"P(z={k})" for k in range(NUM_COMPONENTS)) + "  true z")
    for i in shown:
        probabilities = "  ".join(f"{p:6.3f}" for p in assignment[i])
        print(f"  {i:2d} {x[i]:+8.3f}   {probabilities}  {z_true[i]:6d}")
    agreement = float((assignment.argmax(axis=1) == z_true).mean())
    print(f"most probable component = true component for {agreement:.1%} of the points")

    out_dir.mkdir(parents=True, exist_ok=True)
    grid = np.linspace(x.min() - 1.5, x.max() + 1.5, 300)
    # mixture density per posterior draw: [draws, grid]
    weights, mu, sigma = samples["weights"], samples["mu"], samples["sigma"]
    components = weights[:, :, None] * normal_pdf(grid[None, None, :], mu[:, :, None], sigma[:, :, None])
    density = components.sum(axis=1)
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.hist(x, bins=30, density=True, color="wheat", edgecolor="tan", label="data (histogram)")
    low, high = np.percentile(density, [5, 95], axis=0)
    ax.fill_between(grid, low, high, color="black", alpha=0.25, label="mixture density, 90% band")
    ax.plot(grid, density.mean(axis=0), color="black", label="mixture density, posterior mean")
    for k in range(NUM_COMPONENTS):
        ax.plot(grid, components[:, k].mean(axis=0), color=COLORS[k], linestyle="--", label=f"component {k} (weighted)")
    ax.plot(grid, (TRUE_WEIGHTS[:, None] * normal_pdf(grid, TRUE_MU[:, None], TRUE_SIGMA[:, None])).sum(axis=0),
            color="red", linestyle=":", label="true density")
    ax.set(xlabel="x", ylabel="density", title="Gaussian mixture: data and fitted density")
    ax.set_ylim(0, 1.3 * max(high.max(), ax.get_ylim()[1]))  # room for the legend
    ax.legend(loc="upper center", ncol=3, fontsize=8)
    density_figure = out_dir / "mixture_model_density.png"
    fig.tight_layout()
    fig.savefig(density_figure, dpi=100)
    plt.close(fig)

    # for a new point at x, P(z = k | x) averaged over the draws: the lines between the points
    responsibility = (components / density[:, None, :]).mean(axis=0)
    fig, ax = plt.subplots(figsize=(8, 5))
    markers = ["o", "s", "^"]
    for k in range(NUM_COMPONENTS):
        ax.plot(grid, responsibility[k], color=COLORS[k], linewidth=1, alpha=0.7,
                label=f"P(z = {k}): points, and a new point at x (line)")
        for true_k in range(NUM_COMPONENTS):
            points = z_true == true_k
            ax.scatter(x[points], assignment[points, k], color=COLORS[k], marker=markers[true_k], s=22, alpha=0.8)
    for true_k in range(NUM_COMPONENTS):
        ax.scatter([], [], color="grey", marker=markers[true_k], label=f"marker: drawn from component {true_k}")
    ax.set(xlabel="x", ylabel="posterior probability of the component", ylim=(-0.05, 1.05),
           title="Gaussian mixture: P(z = k | data) of each point (colour: k)")
    ax.legend(loc="center left", fontsize=9)
    assignment_figure = out_dir / "mixture_model_assignments.png"
    fig.tight_layout()
    fig.savefig(assignment_figure, dpi=100)
    plt.close(fig)
    print(f"plots written: {density_figure}, {assignment_figure}")
    return [density_figure, assignment_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
