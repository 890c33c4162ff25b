"""The NumPyro basics tutorial up to inference, with bayesmodels in place of numpyro.

Builds a standard normal, reads its parameters, plots its density and cdf over
[-5, 5], draws reparameterised samples, and shows how parameter shapes become batch
shapes. Then writes the tutorial's model with ``sample`` and ``plate``, shows that it
needs a seed, runs it under ``seed``, lists its sites with ``trace``, and plots its
prior predictive. Finally it samples the posterior with NUTS (two chains, as the
tutorial does), prints the summary, and plots the traces, the marginal posteriors and
the joint posterior with ArviZ and matplotlib. Run it with::

    python examples/numpyro_basics.py [--out DIR]

It prints each step and writes ``numpyro_basics.png``, ``numpyro_basics_trace.png`` and
``numpyro_basics_posterior.png`` to ``DIR`` (default ``examples/figures``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import arviz as az
import jax.numpy as jnp
import jax.random as random
import matplotlib

matplotlib.use("Agg")  # write files; no display needed
import matplotlib.pyplot as plt  # noqa: E402

import bayesmodels as bm  # noqa: E402
import bayesmodels.distributions as dists  # noqa: E402
from bayesmodels.infer import MCMC, NUTS, Predictive  # noqa: E402

mu0, s0 = 0.0, 1.0


def model(x=None, n=None):
    """mu ~ Normal(mu0, s0); s ~ LogNormal(mu, s0); x_i ~ Normal(mu, s) in plate 'data'."""
    mu = bm.sample(name="mu", fn=dists.Normal(loc=mu0, scale=s0))
    s = bm.sample(name="s", fn=dists.LogNormal(loc=mu, scale=s0))
    with bm.plate("data", size=len(x) if x is not None else n):
        bm.sample(name="x", fn=dists.Normal(loc=mu, scale=s), obs=x)
    return mu, s  # the return statement is optional


def main(out_dir: Path) -> list:
    # A normal distribution, specified by its mean (loc) and standard deviation (scale).
    z = dists.Normal(loc=0.0, scale=1.0)
    print(z)
    print("z.loc, z.scale =", (z.loc, z.scale))

    # Log density and cumulative distribution function over a grid.
    x = jnp.linspace(-5, 5, num=100)
    log_pdf = z.log_prob(x)
    cdf_x = z.cdf(x)

    fig, (ax_pdf, ax_cdf, ax_prior) = plt.subplots(1, 3, figsize=(15, 3.5))
    ax_pdf.plot(x, jnp.exp(log_pdf))
    ax_pdf.set(title="Normal(0, 1) density: exp(log_prob(x))", xlabel="x")
    ax_cdf.plot(x, cdf_x)
    ax_cdf.set(title="Normal(0, 1) cdf(x)", xlabel="x")

    # Reparameterised samples: z = loc + scale * eps with eps ~ Normal(0, 1).
    key = random.PRNGKey(1234)
    print("z.has_rsample =", z.has_rsample)
    print("z.rsample(key, sample_shape=(3, 3)) =\n", z.rsample(key, sample_shape=(3, 3)))

    # Shapes: a scalar normal has shape (); vector parameters give a batch of normals.
    print("z.shape() =", z.shape())
    z = dists.Normal(loc=jnp.array([0, 10]), scale=jnp.array([1, 1]))
    print("Normal(loc=[0, 10], scale=[1, 1]).shape() =", z.shape())
    print("z.rsample(key, sample_shape=(5,)) =\n", z.rsample(key, sample_shape=(5,)))

    # The model needs a random key for its latent sites: without one it says so.
    x = dists.Normal(0.0, 5.0).rsample(sample_shape=(20,), key=random.PRNGKey(0))
    try:
        model(x)
    except bm.MissingRNGKeyError as error:
        print("without a seed:", error)
    for seed in range(5):
        with bm.handlers.seed(rng_seed=seed):
            print(f"seed {seed}: (mu, s) =", model(x))

    # Its sites, as the inference algorithms see them.
    model_trace = bm.handlers.trace(bm.handlers.seed(model, rng_seed=0)).get_trace(x)
    for name, site in model_trace.items():
        print(f"site {name!r}: {site.type}, observed={site.is_observed}, shape={jnp.shape(site.value)}")

    # Prior predictive: 1000 draws of (mu, s, x) with no data given.
    prior = Predictive(model, num_samples=1000)(random.PRNGKey(2), n=len(x))
    print("prior predictive shapes:", {name: value.shape for name, value in prior.items()})
    ax_prior.hist(jnp.clip(prior["x"].ravel(), -20, 20), bins=80, density=True)
    ax_prior.set(title="prior predictive of x (clipped to [-20, 20])", xlabel="x")

    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = out_dir / "numpyro_basics.png"
    fig.savefig(figure, dpi=100)
    plt.close(fig)
    print(f"density, cdf and prior predictive plotted to {figure}")
    return [figure, *posterior(x, out_dir)]


def posterior(x, out_dir: Path) -> list:
    """The tutorial's MCMC section: NUTS, the summary, traces and posteriors."""
    sampler = MCMC(
        sampler=NUTS(model, adapt_step_size=True),
        num_chains=2,
        num_samples=1000,
        num_warmup=100,
        jit_model_args=True,
        progress_bar=False,
    )
    sampler.run(random.PRNGKey(0), x)
    sampler.print_summary()

    samples = sampler.get_samples(group_by_chain=True)
    print("samples by chain:", {name: value.shape for name, value in samples.items()})

    idata = sampler.to_result().to_arviz()
    az.plot_trace(idata, var_names=["mu", "s"])
    trace_figure = out_dir / "numpyro_basics_trace.png"
    plt.gcf().tight_layout()
    plt.savefig(trace_figure, dpi=100)
    plt.close("all")

    # the joint posterior; lines mark the values that generated the data (mu = 0, s = 5)
    # and the sample mean and sd of the data
    samples = sampler.get_samples(group_by_chain=False)
    fig, (ax_mu, ax_s, ax_joint) = plt.subplots(1, 3, figsize=(15, 3.5))
    az.plot_posterior(idata, var_names=["mu"], hdi_prob=0.9, ax=ax_mu)
    az.plot_posterior(idata, var_names=["s"], hdi_prob=0.9, ax=ax_s)
    for ax, truth, estimate in ((ax_mu, 0.0, x.mean()), (ax_s, 5.0, x.std())):
        ax.axvline(truth, color="tab:blue")
        ax.axvline(float(estimate), color="tab:blue", linestyle="--")
    ax_joint.scatter(samples["mu"], samples["s"], s=2, alpha=0.3)
    ax_joint.axvline(0.0, color="tab:blue")
    ax_joint.axhline(5.0, color="tab:blue")
    ax_joint.set(title="joint posterior", xlabel="mu", ylabel="s")
    fig.tight_layout()
    posterior_figure = out_dir / "numpyro_basics_posterior.png"
    fig.savefig(posterior_figure, dpi=100)
    plt.close(fig)
    print(f"traces plotted to {trace_figure}, posteriors to {posterior_figure}")
    return [trace_figure, posterior_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
