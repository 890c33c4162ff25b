"""The NumPyro basics tutorial's model as a ``bm.Model`` class, from prior to saved fit.

The model of ``examples/numpyro_basics.py``, with its prior parameters ``mu0`` and
``s0`` turned into hyper-parameters:

    mu ~ Normal(mu0, s0),  s ~ LogNormal(mu, s0),  x[i] ~ Normal(mu, s) in plate "data"

The example shows the whole life of a class-based model: its hyper-parameters
(``get_params``, ``set_params`` and a copy made from them), ``describe()`` (a table of
its sites), the prior predictive before any fit, ``fit`` with NUTS and the summary, the
posterior predictive (added to the ArviZ export for ``az.plot_ppc``), and ``save`` to
one netCDF file and ``load`` back, after which the loaded model predicts the same draws.
Data: 20 draws of Normal(0, 5) at a fixed seed. Run it with::

    python examples/numpyro_basics_class.py [--out DIR]

It writes ``numpyro_basics_class_prior.png`` (the prior predictive of x),
``numpyro_basics_class_trace.png`` (traces of mu and s) and
``numpyro_basics_class_ppc.png`` (the posterior predictive check) to ``DIR`` (default
``examples/figures``); the saved model goes to a temporary directory.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import arviz as az
import matplotlib
import numpy as np

matplotlib.use("Agg")  # write files; no display needed
import matplotlib.pyplot as plt  # noqa: E402

import bayesmodels as bm  # noqa: E402
import bayesmodels.distributions as dist  # noqa: E402


class NormalModel(bm.Model):
    """The tutorial's model; ``mu0`` and ``s0`` are the prior's location and scale."""

    def __init__(self, mu0=0.0, s0=1.0):
        self.mu0 = mu0
        self.s0 = s0

    def define(self, x=None, n=None):
        mu = bm.sample("mu", dist.Normal(self.mu0, self.s0))
        s = bm.sample("s", dist.LogNormal(mu, self.s0))
        with bm.plate("data", len(x) if x is not None else n):
            bm.sample("x", dist.Normal(mu, s), obs=x)


def simulate(n=20, seed=0):
    """The tutorial's data: ``n`` draws of Normal(0, 5)."""
    return np.random.default_rng(seed).normal(0.0, 5.0, n).astype(np.float32)


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Go through the model's life, printing each step; returns the PNG paths."""
    x = simulate()

    # hyper-parameters, sklearn's way: a copy from get_params equals the model
    model = NormalModel(mu0=0.0, s0=1.0)
    print("model:", model)
    print("get_params():", model.get_params())
    wider = NormalModel(**model.get_params()).set_params(s0=2.0)
    print("copy with set_params(s0=2.0):", wider, "| equal to model:", wider == model)
    print("copy from get_params() equal to model:", NormalModel(**model.get_params()) == model)

    # the sites, and the prior predictive: no fit needed, only a size for the plate
    print("describe(x):")
    print(model.describe(x).to_string())
    prior = model.sample_prior_predictive(n=len(x), num_samples=1000, seed=1)
    print("prior predictive shapes:", {name: value.shape for name, value in prior.items()})

    out_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(np.clip(prior["x"].ravel(), -20, 20), bins=80, density=True)
    ax.set(title="prior predictive of x (clipped to [-20, 20])", xlabel="x")
    prior_figure = out_dir / "numpyro_basics_class_prior.png"
    fig.tight_layout()
    fig.savefig(prior_figure, dpi=100)
    plt.close(fig)

    # the posterior
    model.fit(x, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains, progress_bar=progress_bar)
    model.print_summary()
    print("is_fitted:", model.is_fitted, "| data mean, sd:", round(float(x.mean()), 3), round(float(x.std()), 3))

    az.plot_trace(model.to_arviz(), var_names=["mu", "s"])
    trace_figure = out_dir / "numpyro_basics_class_trace.png"
    plt.gcf().tight_layout()
    plt.savefig(trace_figure, dpi=100)
    plt.close("all")

    # the posterior predictive of the data, kept in the result for ArviZ
    replicated = model.sample_posterior_predictive(add_to_result=True)
    print("posterior predictive shapes:", {name: value.shape for name, value in replicated.items()})
    print("groups:", model.to_arviz().groups())
    az.plot_ppc(model.to_arviz(), var_names=["x"], num_pp_samples=100, random_seed=0)
    ppc_figure = out_dir / "numpyro_basics_class_ppc.png"
    plt.gcf().tight_layout()
    plt.savefig(ppc_figure, dpi=100)
    plt.close("all")

    # save, load, and predict the same draws from the loaded model
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "normal_model.nc"
        model.save(path)
        loaded = NormalModel.load(path)
    print("loaded:", loaded, "| fitted:", loaded.is_fitted, "| equal to model:", loaded == model)
    # draws on the data of fit (kept in the file) with one seed: the same arrays
    before = model.sample_posterior_predictive(seed=3)["x"]
    after = loaded.sample_posterior_predictive(seed=3)["x"]
    print("loaded model draws identically:", bool(np.array_equal(before, after)))
    print("loaded model predicts identically:", bool(np.array_equal(model.predict()["x"], loaded.predict()["x"])))
    print("predict()['x'][:3]:", np.round(loaded.predict()["x"][:3], 3))
    print(f"plots written: {prior_figure}, {trace_figure}, {ppc_figure}")
    return [prior_figure, trace_figure, ppc_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
