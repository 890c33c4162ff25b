"""The examples run end to end (the README's main job among them)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest


def _import_gallery():
    path = Path(__file__).resolve().parent.parent / "examples" / "gallery.py"
    spec = importlib.util.spec_from_file_location("examples_gallery", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


# Each test runs its example once through the gallery (with the settings the gallery page
# shows; the run is recorded for the docs build) and checks what it printed and drew.
gallery = _import_gallery()
_load = gallery.load


def test_numpyro_basics_runs_and_writes_its_figure():
    run = gallery.run("numpyro_basics")
    figures, printed = run.figures, run.printed
    assert [f.name for f in figures] == [
        "numpyro_basics.png",
        "numpyro_basics_trace.png",
        "numpyro_basics_posterior.png",
    ]
    assert all(f.exists() and f.stat().st_size > 10_000 for f in figures)
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
SMALL = gallery.SHORT_RUN
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
def test_eight_schools_labels_schools_and_matches_the_exact_posterior():
    example = _load("eight_schools")
    run = gallery.run("eight_schools")
    figures, printed = run.figures, run.printed
    _figures_ok(figures, ["eight_schools_trace.png", "eight_schools_forest.png"])
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
def test_linear_regression_recovers_the_line_and_predicts_on_a_new_grid():
    run = gallery.run("linear_regression")
    figures, printed = run.figures, run.printed
    _figures_ok(figures, ["linear_regression_trace.png", "linear_regression_fit.png", "linear_regression_ppc.png"])
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
def test_logistic_regression_recovers_coefficients_and_predicts_probabilities():
    run = gallery.run("logistic_regression")
    figures, printed = run.figures, run.printed
    _figures_ok(
        figures,
        ["logistic_regression_posterior.png", "logistic_regression_probability.png", "logistic_regression_ppc.png"],
    )
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
def test_hierarchical_regression_labels_counties_and_predicts_new_houses():
    example = _load("hierarchical_regression")
    run = gallery.run("hierarchical_regression")
    figures, printed = run.figures, run.printed
    _figures_ok(figures, ["hierarchical_regression_trace.png", "hierarchical_regression_forest.png"])
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
def test_numpyro_basics_class_goes_from_prior_to_a_loaded_fit():
    example = _load("numpyro_basics_class")
    run = gallery.run("numpyro_basics_class")
    figures, printed = run.figures, run.printed
    _figures_ok(
        figures, ["numpyro_basics_class_prior.png", "numpyro_basics_class_trace.png", "numpyro_basics_class_ppc.png"]
    )
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
def test_variational_inference_compares_guides_with_nuts():
    run = gallery.run("variational_inference")
    figures, printed = run.figures, run.printed
    _figures_ok(figures, ["variational_inference_loss.png", "variational_inference_posterior.png"])
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


def _table_rows(printed, names):
    """Rows of a printed summary DataFrame: name -> (mean, sd, hdi_5%, hdi_95%, ess_bulk, r_hat)."""
    rows = {}
    for line in printed.splitlines():
        parts = line.split()
        if len(parts) == 7 and parts[0] in names:
            rows[parts[0]] = tuple(float(value) for value in parts[1:])
    return rows


@small_run
def test_mixture_model_recovers_the_components_and_assigns_clear_points():
    example = _load("mixture_model")
    run = gallery.run("mixture_model")
    figures, printed = run.figures, run.printed
    _figures_ok(figures, ["mixture_model_density.png", "mixture_model_assignments.png"])
    assert "GaussianMixture(num_components=3, concentration=1.0, mu_scale=5.0, sigma_scale=2.0)" in printed
    for name, truth in (("weights", example.TRUE_WEIGHTS), ("mu", example.TRUE_MU), ("sigma", example.TRUE_SIGMA)):
        for k in range(3):
            mean, sd, printed_truth = _posterior_line(printed, f"{name}[{k}]")
            assert printed_truth == truth[k]
            assert abs(mean - truth[k]) < 5 * sd, (name, k, mean, sd, truth[k])
    # the discrete site's draws are integers, one per point and posterior draw
    x, z_true = example.simulate()
    assert f"z draws: dtype int32, shape ({NUM_DRAWS}, {len(x)}), values [0, 1, 2]" in printed
    # the assignment table: i, x, P(z=0), P(z=1), P(z=2), true z
    start = printed.splitlines().index("posterior probability of each component, for a few points:")
    table = [line.split() for line in printed.splitlines()[start + 2 : start + 7]]
    assert len(table) == 5
    # under the true parameters, P(z_i = k | x_i) = w_k N(x_i | mu_k, sigma_k) / sum over k
    density = example.TRUE_WEIGHTS * np.exp(_normal_logpdf(x[:, None], example.TRUE_MU, example.TRUE_SIGMA))
    true_responsibility = density / density.sum(axis=1, keepdims=True)
    clear = 0
    for i, x_i, *probabilities, z_i in table:
        i, probabilities = int(i), np.array(probabilities, dtype=float)
        assert float(x_i) == pytest.approx(float(x[i]), abs=1e-3) and int(z_i) == z_true[i]
        assert abs(probabilities.sum() - 1) < 0.002  # shares of the same draws (+ print rounding)
        if true_responsibility[i, z_true[i]] > 0.9999:
            # a clearly separated point: its posterior probability is 1 within 0.02, which
            # covers the parameters' uncertainty and more than 5 MCSE of a share near 1
            clear += 1
            assert probabilities[z_true[i]] > 0.98, (i, probabilities)
    assert clear >= 3  # the leftmost, the most central and the rightmost point


@small_run
def test_time_series_recovers_the_noise_levels_and_forecasts_from_the_last_level():
    example = _load("time_series")
    run = gallery.run("time_series")
    figures, printed = run.figures, run.printed
    _figures_ok(figures, ["time_series_trace.png", "time_series_forecast.png"])
    truths = {"level0": example.TRUE_LEVEL0, "sigma_level": example.TRUE_SIGMA_LEVEL, "sigma_obs": example.TRUE_SIGMA_OBS}
    posterior = {}
    for name, truth in truths.items():
        mean, sd, printed_truth = _posterior_line(printed, name)
        assert printed_truth == truth
        assert abs(mean - truth) < 5 * sd, (name, mean, sd, truth)
        posterior[name] = (mean, sd)
    assert "level dims: ('chain', 'draw', 'time')" in printed
    horizon = example.HORIZON
    assert f"forecast shapes: {{'future': ({NUM_DRAWS}, {horizon}), 'forecast': ({NUM_DRAWS}, {horizon})}}" in printed
    start = printed.splitlines().index(f"forecast of y, {horizon} steps ahead (mean, 90% interval):")
    rows = np.array([line.split() for line in printed.splitlines()[start + 2 : start + 2 + horizon]], dtype=float)
    num_steps = len(example.simulate()[1])
    assert rows[:, 0].tolist() == list(range(num_steps + 1, num_steps + horizon + 1))
    mean, low, high = rows[:, 1], rows[:, 2], rows[:, 3]
    assert np.all(low < mean) and np.all(mean < high)
    # Var(y[T+h]) = Var(level[T]) + h sigma_level^2 + sigma_obs^2 grows with h: at h = 12
    # the interval is about 1.8 times as wide as at h = 1 with the posterior means
    assert (high[-1] - low[-1]) > 1.3 * (high[0] - low[0])
    # forecast[h] = level[T] + walk + noise for each draw, so its mean differs from the
    # mean of level[T] (over the same draws) by the mean of NUM_DRAWS independent terms of
    # variance h sigma_level^2 + sigma_obs^2 (E[sigma^2] = mean^2 + sd^2)
    line = next(line for line in printed.splitlines() if line.startswith("level at the last step:"))
    last_level = float(line.split("posterior mean ")[1].split(",")[0])
    second_moment = {name: m**2 + s**2 for name, (m, s) in posterior.items()}
    steps = np.arange(1, horizon + 1)
    tolerance = 5 * np.sqrt((steps * second_moment["sigma_level"] + second_moment["sigma_obs"]) / NUM_DRAWS)
    assert np.all(np.abs(mean - last_level) < tolerance + 2e-4), (mean, last_level)  # + print rounding


@small_run
def test_gaussian_process_predicts_the_function_where_there_are_data():
    example = _load("gaussian_process")
    run = gallery.run("gaussian_process")
    figures, printed = run.figures, run.printed
    _figures_ok(figures, ["gaussian_process_trace.png", "gaussian_process_fit.png"])
    rows = _table_rows(printed, ("amplitude", "length_scale", "noise"))
    assert set(rows) == {"amplitude", "length_scale", "noise"}
    for name, (*_, r_hat) in rows.items():
        assert r_hat < 1.05, name
    mean, sd, truth = _posterior_line(printed, "noise")
    assert abs(mean - truth) < 5 * sd, (mean, sd, truth)
    num_grid = len(example.GRID)
    assert (
        f"predictive shapes: conditional means ({NUM_DRAWS}, {num_grid}) draws of f ({10 * NUM_DRAWS}, {num_grid}) "
        f"of y ({10 * NUM_DRAWS}, {num_grid})"
    ) in printed
    start = printed.splitlines().index("predictive of f at a few grid points (data in [0, 6] and [8, 10]):")
    table = np.array([line.split() for line in printed.splitlines()[start + 2 : start + 2 + len(example.SHOWN)]], dtype=float)
    grid_x, f_mean, f_sd, f_low, f_high, f_true = table.T
    np.testing.assert_allclose(grid_x, example.SHOWN, atol=0.05)
    np.testing.assert_allclose(f_true, example.true_f(grid_x), atol=1e-3)
    assert np.all(f_low < f_mean) and np.all(f_mean < f_high)
    dense = np.isin(grid_x, [1.0, 4.0, 5.5])  # among the data (x = 2.5 sits in a sparser stretch)
    assert np.all(np.abs(f_mean[dense] - f_true[dense]) < 4 * f_sd[dense]), (f_mean, f_sd, f_true)
    # in the gap (6, 8) the data say little: f is much less certain there than among them
    in_gap = grid_x == 7.0
    assert f_sd[in_gap][0] > 3 * f_sd[dense].max()
