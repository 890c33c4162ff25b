"""The examples run end to end (the README's main job among them)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numpyro_basics_runs_and_writes_its_figure(tmp_path, capsys):
    figures = _load("numpyro_basics").main(tmp_path)
    assert [f.name for f in figures] == [
        "numpyro_basics.png",
        "numpyro_basics_trace.png",
        "numpyro_basics_posterior.png",
    ]
    assert all(f.exists() and f.stat().st_size > 10_000 for f in figures)
    printed = capsys.readouterr().out
    assert "z.loc, z.scale = (0.0, 1.0)" in printed
    assert "z.has_rsample = True" in printed
    assert "z.shape() = ()" in printed
    assert "shape() = (2,)" in printed
    assert "without a seed: latent sample site 'mu' needs a random key" in printed
    assert printed.count("(mu, s) =") == 5
    assert "site 'data': plate" in printed and "site 'x': sample, observed=True, shape=(20,)" in printed
    assert "'x': (1000, 20)" in printed
    # the MCMC section: the summary table and the samples grouped by chain
    assert "Number of divergences: 0" in printed
    assert "samples by chain: {'mu': (2, 1000), 's': (2, 1000)}" in printed
    rows = {line.split()[0]: line.split() for line in printed.splitlines() if line.strip().startswith(("mu ", "s "))}
    mu_mean, s_mean = float(rows["mu"][1]), float(rows["s"][1])
    assert -2.0 < mu_mean < 4.0 and 3.0 < s_mean < 9.0  # data: 20 draws of Normal(0, 5)


# ---------------------------------------------------------------- the class-based examples
# Each test runs its example's main() once with small settings (the model is fitted once),
# then checks the figures and what the example printed. Posterior means are compared with
# an exact answer (quadrature) or the simulation's truth; tolerances are 5 Monte Carlo
# standard errors (std / sqrt(bulk ESS)) or 5 posterior sds, as each assertion says.

# short runs warn about ESS and r-hat by design: those warnings are expected here
small_run = pytest.mark.filterwarnings("ignore::bayesmodels.SamplingWarning")
SMALL = dict(num_warmup=200, num_samples=200, num_chains=2, progress_bar=False)
NUM_DRAWS = SMALL["num_samples"] * SMALL["num_chains"]


def _figures_ok(figures, names):
    assert [f.name for f in figures] == names
    for figure in figures:
        assert figure.exists() and figure.stat().st_size > 10_000, figure


def _summary_rows(printed):
    """print_summary's rows: name -> (mean, std, median, low, high, n_eff, r_hat)."""
    rows = {}
    for line in printed.splitlines():
        parts = line.split()
        if len(parts) == 8:
            try:
                rows[parts[0]] = tuple(float(value) for value in parts[1:])
            except ValueError:
                continue
    return rows


def _posterior_line(printed, name):
    """(mean, sd, truth) from a line 'name: posterior mean M, sd S; true[ value] T'."""
    line = next(line for line in printed.splitlines() if line.startswith(f"{name}: posterior mean"))
    mean = float(line.split("posterior mean ")[1].split(",")[0])
    sd = float(line.split(" sd ")[1].split(";")[0])
    truth = float(line.rsplit(" ", 1)[1])
    return mean, sd, truth


def _normal_logpdf(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def _eight_schools_exact_means(y, sigma):
    """E[mu], E[tau] by quadrature: theta integrates out, y_j ~ Normal(mu, sqrt(sigma_j^2 + tau^2)).

    tau = 5 tan(pi u / 2) with u ~ Uniform(0, 1) is HalfCauchy(5), so a midpoint grid in u
    carries the prior of tau exactly.
    """
    u = (np.arange(1000) + 0.5) / 1000
    tau = 5.0 * np.tan(0.5 * np.pi * u)
    mu = np.linspace(-40.0, 50.0, 451)
    M, T = np.meshgrid(mu, tau, indexing="ij")
    log_post = _normal_logpdf(M, 0.0, 5.0)
    for y_j, sigma_j in zip(y, sigma):
        log_post = log_post + _normal_logpdf(y_j, M, np.sqrt(sigma_j**2 + T**2))
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    return float((weights * M).sum()), float((weights * T).sum())


@small_run
def test_eight_schools_labels_schools_and_matches_the_exact_posterior(tmp_path, capsys):
    example = _load("eight_schools")
    figures = example.main(tmp_path, **SMALL)
    _figures_ok(figures, ["eight_schools_trace.png", "eight_schools_forest.png"])
    printed = capsys.readouterr().out
    assert "EightSchools(mu_scale=5.0, tau_scale=5.0)" in printed
    assert "theta dims: ('chain', 'draw', 'school')" in printed
    assert f"school coords: {example.SCHOOLS}" in printed
    # the summary table is labelled with the coords
    assert "theta[Choate]" in printed and "theta[St. Paul's]" in printed
    rows = _summary_rows(printed)
    assert set(rows) >= {"mu", "tau", *(f"theta[{j}]" for j in range(8)), *(f"theta_tilde[{j}]" for j in range(8))}
    exact_mu, exact_tau = _eight_schools_exact_means(example.Y.astype(float), example.SIGMA.astype(float))
    for name, exact in (("mu", exact_mu), ("tau", exact_tau)):
        mean, std, *_, n_eff, r_hat = rows[name]
        assert abs(mean - exact) < 5 * std / np.sqrt(n_eff) + 0.01, (name, mean, exact)  # + print rounding
        assert r_hat < 1.05


@small_run
def test_linear_regression_recovers_the_line_and_predicts_on_a_new_grid(tmp_path, capsys):
    figures = _load("linear_regression").main(tmp_path, **SMALL)
    _figures_ok(figures, ["linear_regression_trace.png", "linear_regression_fit.png", "linear_regression_ppc.png"])
    printed = capsys.readouterr().out
    for name in ("intercept", "slope", "sigma"):
        mean, sd, truth = _posterior_line(printed, name)
        assert abs(mean - truth) < 5 * sd, (name, mean, sd, truth)
    _, slope_sd, _ = _posterior_line(printed, "slope")
    assert slope_sd < 0.1  # 50 points over [0, 10] with noise sd 1 pin the slope to about 0.05
    # 61 new x, the data had 50
    assert "predict(x_new)['y'] shape: (61,)" in printed
    assert f"sample_posterior_predictive(x_new) shapes: {{'mu': ({NUM_DRAWS}, 61), 'y': ({NUM_DRAWS}, 61)}}" in printed
    line = next(line for line in printed.splitlines() if line.startswith("predicted mean at x = 0, 5, 10:"))
    predicted = np.array(line.split("[")[1].rstrip("]").split(), dtype=float)
    intercept, _, _ = _posterior_line(printed, "intercept")
    slope, _, _ = _posterior_line(printed, "slope")
    # predict() averages y = intercept + slope x + noise over the NUM_DRAWS posterior draws;
    # the line is linear, so it differs from the line at the posterior means by the mean
    # of NUM_DRAWS noise draws (sd about sigma = 1.05 each)
    line_at = intercept + slope * np.array([0.0, 5.0, 10.0])
    np.testing.assert_allclose(predicted, line_at, atol=5 * 1.2 / np.sqrt(NUM_DRAWS))


@small_run
def test_logistic_regression_recovers_coefficients_and_predicts_probabilities(tmp_path, capsys):
    figures = _load("logistic_regression").main(tmp_path, **SMALL)
    _figures_ok(
        figures,
        ["logistic_regression_posterior.png", "logistic_regression_probability.png", "logistic_regression_ppc.png"],
    )
    printed = capsys.readouterr().out
    assert "beta[dose]" in printed and "beta[age]" in printed  # the covariate coords label the summary
    for name in ("intercept", "beta[dose]", "beta[age]"):
        mean, sd, truth = _posterior_line(printed, name)
        assert abs(mean - truth) < 5 * sd, (name, mean, sd, truth)
    assert "X_new shape: (123, 2) -> predict(X_new)['y'] shape: (123,)" in printed
    lines = [line.split() for line in printed.splitlines() if line.startswith("  dose ")]
    assert [line[1] for line in lines] == ["-2.0:", "+0.0:", "+2.0:"]
    from_logits, from_predict, truth = (np.array(column, dtype=float) for column in zip(*(line[2:] for line in lines)))
    assert np.all(np.diff(from_logits) > 0.2)  # the probability rises with the dose
    # predict() is the mean of NUM_DRAWS Bernoulli draws, one per posterior draw: its
    # error around the posterior mean probability has sd at most sqrt(p (1 - p) / NUM_DRAWS)
    tolerance = 5 * np.sqrt(from_logits * (1 - from_logits) / NUM_DRAWS) + 0.002  # + print rounding
    assert np.all(np.abs(from_predict - from_logits) < tolerance)
    assert np.all(np.abs(from_logits - truth) < 0.15)


@small_run
def test_hierarchical_regression_labels_counties_and_predicts_new_houses(tmp_path, capsys):
    example = _load("hierarchical_regression")
    figures = example.main(tmp_path, **SMALL)
    _figures_ok(figures, ["hierarchical_regression_trace.png", "hierarchical_regression_forest.png"])
    printed = capsys.readouterr().out
    assert f"a dims: ('chain', 'draw', 'county') county coords: {example.COUNTIES}" in printed
    for name in example.SHARED:
        mean, sd, truth = _posterior_line(printed, name)
        assert abs(mean - truth) < 5 * sd, (name, mean, sd, truth)
    # the summary's a[county] and b[county] rows against the predicted new houses
    table = {}
    for line in printed.splitlines():
        for site in ("a", "b"):
            if line.startswith(f"{site}["):
                label, values = line.split("]", 1)
                table[(site, label[2:])] = float(values.split()[0])
    assert {county for _, county in table} == set(example.COUNTIES)
    start = printed.splitlines().index("predicted log radon of a new house (basement, ground floor):")
    predictions = printed.splitlines()[start + 1 : start + 1 + len(example.COUNTIES)]
    sigma, _, _ = _posterior_line(printed, "sigma")
    assert sigma < 0.8
    # a prediction is the mean over the posterior draws of a + b floor + noise, and the
    # summary's means are over the same draws: they differ by the mean of NUM_DRAWS
    # noise draws, sd about sigma / sqrt(NUM_DRAWS)
    tolerance = 5 * 0.8 / np.sqrt(NUM_DRAWS)
    for county, line in zip(example.COUNTIES, predictions):
        assert line.strip().startswith(county)
        basement, ground = (float(value) for value in line.split()[-2:])
        assert abs(basement - table[("a", county)]) < tolerance, county
        assert abs(ground - (table[("a", county)] + table[("b", county)])) < tolerance, county


def _normal_model_exact_means(x):
    """E[mu], E[s] of the tutorial's model by quadrature over (mu, log s)."""
    mu = np.linspace(-6.0, 6.0, 601)
    log_s = np.linspace(-4.0, 5.0, 901)
    M, L = np.meshgrid(mu, log_s, indexing="ij")
    log_post = _normal_logpdf(M, 0.0, 1.0) + _normal_logpdf(L, M, 1.0)  # density of log s: Normal(mu, 1)
    log_post = log_post + sum(_normal_logpdf(x_i, M, np.exp(L)) for x_i in x)
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    return float((weights * M).sum()), float((weights * np.exp(L)).sum())


@small_run
def test_numpyro_basics_class_goes_from_prior_to_a_loaded_fit(tmp_path, capsys):
    example = _load("numpyro_basics_class")
    figures = example.main(tmp_path, **SMALL)
    _figures_ok(
        figures, ["numpyro_basics_class_prior.png", "numpyro_basics_class_trace.png", "numpyro_basics_class_ppc.png"]
    )
    printed = capsys.readouterr().out
    assert "get_params(): {'mu0': 0.0, 's0': 1.0}" in printed
    assert "copy with set_params(s0=2.0): NormalModel(mu0=0.0, s0=2.0) | equal to model: False" in printed
    assert "copy from get_params() equal to model: True" in printed
    described = printed.split("describe(x):")[1].split("prior predictive shapes:")[0]
    site_rows = {line.split()[0]: line.split() for line in described.strip().splitlines()[2:]}  # after the header
    assert list(site_rows) == ["mu", "s", "x"]
    assert site_rows["mu"][1:3] == ["latent", "Normal"]
    assert site_rows["s"][1:3] == ["latent", "LogNormal"]
    assert site_rows["x"][1:5] == ["observed", "Normal", "(20,)", "data"]
    assert "prior predictive shapes: {'mu': (1000,), 's': (1000,), 'x': (1000, 20)}" in printed
    assert f"posterior predictive shapes: {{'x': ({NUM_DRAWS}, 20)}}" in printed
    assert "'posterior_predictive'" in printed.split("groups:")[1].splitlines()[0]
    assert "loaded: NormalModel(mu0=0.0, s0=1.0) | fitted: True | equal to model: True" in printed
    assert "loaded model draws identically: True" in printed
    assert "loaded model predicts identically: True" in printed
    rows = _summary_rows(printed)
    exact_mu, exact_s = _normal_model_exact_means(example.simulate().astype(float))
    for name, exact in (("mu", exact_mu), ("s", exact_s)):
        mean, std, *_, n_eff, r_hat = rows[name]
        assert abs(mean - exact) < 5 * std / np.sqrt(n_eff) + 0.01, (name, mean, exact)  # + print rounding
        assert r_hat < 1.05


@small_run
def test_variational_inference_compares_guides_with_nuts(tmp_path, capsys):
    figures = _load("variational_inference").main(
        tmp_path, num_steps=3000, num_samples=800, num_warmup=300, progress_bar=False
    )
    _figures_ok(figures, ["variational_inference_loss.png", "variational_inference_posterior.png"])
    printed = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in printed.splitlines() if line.split()[:1] in (["nuts"], ["normal"], ["mvn"], ["laplace"])}
    slope_sd = {name: float(row[4].strip("()")) for name, row in rows.items()}
    slope_mean = {name: float(row[3]) for name, row in rows.items()}
    correlation = {
        line.split(":")[0]: float(line.rsplit(" ", 1)[1]) for line in printed.splitlines() if "correlation" in line
    }
    # NUTS's mean has MCSE below sd / sqrt(100); every guide finds the mean to within 5 of them
    for guide in ("normal", "mvn", "laplace"):
        assert abs(slope_mean[guide] - slope_mean["nuts"]) < 5 * slope_sd["nuts"] / 10
    # mean field: conditional sd (about sqrt(1 - rho^2) = 0.27 of the marginal), no correlation;
    # the full-rank guides: the marginal sd within 20%, the correlation near NUTS's -0.96
    assert slope_sd["normal"] < 0.5 * slope_sd["nuts"] and abs(correlation["normal"]) < 0.2
    for guide in ("mvn", "laplace"):
        assert abs(slope_sd[guide] / slope_sd["nuts"] - 1) < 0.2
        assert correlation[guide] < -0.9
