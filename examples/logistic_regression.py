"""Logistic regression with two covariates as a ``bm.Model`` class.

Simulated data (fixed seed): 200 subjects with two standardised covariates, ``dose``
and ``age``, in a matrix ``X``; each has an outcome ``y`` in {0, 1} with

    P(y = 1) = sigmoid(-0.5 + 1.2 dose - 0.8 age).

The model puts normal priors on the intercept and on the coefficients (one per column
of ``X``, in a plate ``covariate`` whose coordinates are the column names) and writes
the likelihood as ``Bernoulli(logits=...)``. The example fits it with NUTS, prints the
summary, then predicts on NEW covariates: for a grid of doses at three ages, the
probability of ``y = 1`` (the mean of ``sigmoid(logits)`` over the posterior, with a
90% band) and ``predict(X_new)`` (the posterior predictive mean of ``y``, the same
probability estimated from draws of ``y``). Run it with::

    python examples/logistic_regression.py [--out DIR]

It writes ``logistic_regression_posterior.png`` (the coefficients' posteriors, true
values marked), ``logistic_regression_probability.png`` (predicted probabilities on
the new covariates) and ``logistic_regression_ppc.png`` (ArviZ's posterior predictive
check) to ``DIR`` (default ``examples/figures``).
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

COVARIATES = ["dose", "age"]
TRUE_INTERCEPT, TRUE_BETA = -0.5, np.array([1.2, -0.8])
AGES = (-1.0, 0.0, 1.0)  # standardised ages of the prediction curves


class LogisticRegression(bm.Model):
    """``y ~ Bernoulli(logits=intercept + X @ beta)``; the scales of the normal priors are hyper-parameters."""

    def __init__(self, intercept_scale=5.0, coef_scale=2.5):
        self.intercept_scale = intercept_scale
        self.coef_scale = coef_scale

    def define(self, X, y=None):
        num_rows, num_covariates = X.shape
        intercept = bm.sample("intercept", dist.Normal(0.0, self.intercept_scale))
        with bm.plate("covariate", num_covariates):
            beta = bm.sample("beta", dist.Normal(0.0, self.coef_scale))
        with bm.plate("data", num_rows):
            logits = bm.deterministic("logits", intercept + X @ beta)
            bm.sample("y", dist.Bernoulli(logits=logits), obs=y)


def simulate(n=200, seed=1):
    """Standardised covariates and outcomes drawn from the true model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(COVARIATES))).astype(np.float32)
    probability = 1.0 / (1.0 + np.exp(-(TRUE_INTERCEPT + X @ TRUE_BETA)))
    y = (rng.uniform(size=n) < probability).astype(np.int32)  # integers, like Bernoulli draws (for plot_ppc)
    return X, y


def new_covariates(num_doses=41):
    """A grid of doses at each of the ``AGES``: ``len(AGES) * num_doses`` rows."""
    doses = np.linspace(-2.5, 2.5, num_doses, dtype=np.float32)
    X_new = np.concatenate([np.column_stack([doses, np.full_like(doses, age)]) for age in AGES])
    return doses, X_new


def main(out_dir: Path, num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=True) -> list:
    """Fit, print the summary and predicted probabilities, and write the plots; returns the PNG paths."""
    X, y = simulate()
    print(f"{len(y)} subjects, {int(y.sum())} with y = 1")
    model = LogisticRegression(intercept_scale=5.0, coef_scale=2.5)
    model.fit(
        X,
        y,
        coords={"covariate": COVARIATES},
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        progress_bar=progress_bar,
    )
    print(model)
    table = model.summary(var_names=["intercept", "beta"])
    print(table.round(3).to_string())
    print(f"Number of divergences: {model.result_.num_divergences}")
    truths = {"intercept": TRUE_INTERCEPT, **{f"beta[{name}]": b for name, b in zip(COVARIATES, TRUE_BETA)}}
    for name, truth in truths.items():
        mean, sd = table.loc[name, "mean"], table.loc[name, "sd"]
        print(f"{name}: posterior mean {mean:.4f}, sd {sd:.4f}; true value {truth}")

    # new subjects: P(y = 1) from the posterior draws of the logits, and predict()
    doses, X_new = new_covariates()
    draws = model.sample_posterior_predictive(X_new)
    probability = 1.0 / (1.0 + np.exp(-draws["logits"]))  # [draws, rows of X_new]
    predicted = model.predict(X_new)["y"]  # mean of the drawn outcomes: the same probability, noisier
    print("X_new shape:", X_new.shape, "-> predict(X_new)['y'] shape:", predicted.shape)
    true_probability = 1.0 / (1.0 + np.exp(-(TRUE_INTERCEPT + X_new @ TRUE_BETA)))
    print("P(y = 1) at age 0 (posterior mean of sigmoid(logits), predict(), truth):")
    for dose in (-2.0, 0.0, 2.0):
        row = len(doses) * AGES.index(0.0) + int(np.argmin(np.abs(doses - dose)))
        print(
            f"  dose {dose:+.1f}: {probability[:, row].mean():.3f}  {predicted[row]:.3f}  {true_probability[row]:.3f}"
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    idata = model.to_arviz()
    axes = az.plot_posterior(idata, var_names=["intercept", "beta"], hdi_prob=0.9, figsize=(12, 3.5))
    for ax, truth in zip(np.ravel(axes), [TRUE_INTERCEPT, *TRUE_BETA]):
        ax.axvline(truth, color="black", linestyle="--")
    posterior_figure = out_dir / "logistic_regression_posterior.png"
    plt.gcf().tight_layout()
    plt.savefig(posterior_figure, dpi=100)
    plt.close("all")

    fig, ax = plt.subplots(figsize=(8, 5))
    for index, (age, color) in enumerate(zip(AGES, ["tab:blue", "tab:orange", "tab:green"])):
        rows = slice(index * len(doses), (index + 1) * len(doses))
        low, high = np.percentile(probability[:, rows], [5, 95], axis=0)
        ax.fill_between(doses, low, high, color=color, alpha=0.25)
        ax.plot(doses, probability[:, rows].mean(axis=0), color=color, label=f"age {age:+.0f} sd")
        ax.plot(doses, predicted[rows], color=color, linestyle=":", linewidth=1)
        ax.plot(doses, true_probability[rows], color="black", linestyle="--", linewidth=1)
    ax.set(
        xlabel="dose (standardised)",
        ylabel="P(y = 1)",
        title="predicted probability on new covariates: mean, 90% band; dotted: predict(); dashed: truth",
    )
    ax.title.set_fontsize(10)
    ax.legend(loc="upper left")
    probability_figure = out_dir / "logistic_regression_probability.png"
    fig.tight_layout()
    fig.savefig(probability_figure, dpi=100)
    plt.close(fig)

    # posterior predictive check on the data: outcomes drawn for the observed X, kept in result_
    model.sample_posterior_predictive(add_to_result=True)
    az.plot_ppc(model.to_arviz(), var_names=["y"], num_pp_samples=100, random_seed=0)
    ppc_figure = out_dir / "logistic_regression_ppc.png"
    plt.gcf().tight_layout()
    plt.savefig(ppc_figure, dpi=100)
    plt.close("all")
    print(f"plots written: {posterior_figure}, {probability_figure}, {ppc_figure}")
    return [posterior_figure, probability_figure, ppc_figure]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "figures")
    main(parser.parse_args().out)
