"""The first half of the NumPyro basics tutorial, with bayesmodels in place of numpyro.

Builds a standard normal, reads its parameters, plots its density and cdf over
[-5, 5], draws reparameterised samples, and shows how parameter shapes become batch
shapes. Run it with::

    python examples/numpyro_basics.py [--out DIR]

It prints each step and writes ``DIR/numpyro_basics.png`` (default ``examples/figures``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax.numpy as jnp
import jax.random as random
import matplotlib

matplotlib.use("Agg")  # write files; no display needed
import matplotlib.pyplot as plt  # noqa: E402

import bayesmodels.distributions as dists  # noqa: E402


def main(out_dir: Path) -> Path:
    # A normal distribution, specified by its mean (loc) and standard deviation (scale).
    z = dists.Normal(loc=0.0, scale=1.0)
    print(z)
    print("z.loc, z.scale =", (z.loc, z.scale))

    # Log density and cumulative distribution function over a grid.
    x = jnp.linspace(-5, 5, num=100)
    log_pdf = z.log_prob(x)
    cdf_x = z.cdf(x)

    fig, (ax_pdf, ax_cdf) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax_pdf.plot(x, jnp.exp(log_pdf))
    ax_pdf.set(title="Normal(0, 1) density: exp(log_prob(x))", xlabel="x")
    ax_cdf.plot(x, cdf_x)
    ax_cdf.set(title="Normal(0, 1) cdf(x)", xlabel="x")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = out_dir / "numpyro_basics.png"
    fig.savefig(figure, dpi=100)
    plt.close(fig)
    print(f"density and cdf plotted to {figure}")

    # Reparameterised samples: z = loc + scale * eps with eps ~ Normal(0, 1).
    key = random.PRNGKey(1234)
    print("z.has_rsample =", z.has_rsample)
    print("z.rsample(key, sample_shape=(3, 3)) =\n", z.rsample(key, sample_shape=(3, 3)))

    # Shapes: a scalar normal has shape (); vector parameters give a batch of normals.
    print("z.shape() =", z.shape())
    z = dists.Normal(loc=jnp.array([0, 10]), scale=jnp.array([1, 1]))
    print("Normal(loc=[0, 10], scale=[1, 1]).shape() =", z.shape())
    print("z.rsample(key, sample_shape=(5,)) =\n", z.rsample(key, sample_shape=(5,)))
    return figure


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
