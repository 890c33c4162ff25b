"""bayesmodels.diagnostics: NumPyro's names and layout, ArviZ's numbers; and the
vectorised r-hat and bulk ESS of the post-sampling checks, against ArviZ's."""

import warnings

import arviz as az
import numpy as np
import pytest
from scipy import special, stats
from scipy.fftpack import next_fast_len

from bayesmodels import diagnostics
from bayesmodels.results import _convergence
from bayesmodels.results._convergence import _next_fast_len, _normal_quantile, site_convergence

RNG = np.random.default_rng(20240604)
CHAINS, DRAWS = 4, 500
# iid N(0, 1) draws of a 2 x 3 site, and of a scalar site N(3, 2)
MATRIX = RNG.normal(size=(CHAINS, DRAWS, 2, 3))
SCALAR = RNG.normal(3.0, 2.0, size=(CHAINS, DRAWS))


def test_effective_sample_size_is_arviz_ess_per_scalar():
    for method in ("bulk", "tail"):
        ess = diagnostics.effective_sample_size(MATRIX, method=method)
        assert ess.shape == (2, 3)
        for i, j in np.ndindex(2, 3):
            assert ess[i, j] == az.ess(MATRIX[:, :, i, j], method=method)
    quantile = diagnostics.effective_sample_size(SCALAR, method="quantile", prob=0.25)
    assert quantile == az.ess(SCALAR, method="quantile", prob=0.25)


def test_split_gelman_rubin_is_arviz_rank_rhat_and_gelman_rubin_the_classic_one():
    r_hat = diagnostics.split_gelman_rubin(MATRIX)
    classic = diagnostics.gelman_rubin(MATRIX)
    assert r_hat.shape == classic.shape == (2, 3)
    for i, j in np.ndindex(2, 3):
        assert r_hat[i, j] == az.rhat(MATRIX[:, :, i, j])
        assert classic[i, j] == az.rhat(MATRIX[:, :, i, j], method="identity")
    assert np.isnan(diagnostics.split_gelman_rubin(SCALAR[:1]))
    with pytest.raises(ValueError, match=r"gelman_rubin needs at least 2 chains, but got shape \(1, 500\)"):
        diagnostics.gelman_rubin(SCALAR[:1])


def test_draws_without_chain_axis_are_rejected_with_the_shape():
    with pytest.raises(ValueError, match=r"effective_sample_size expects draws shaped \[chain, draw, \*shape\].*shape \(500,\).*x\[None\]"):
        diagnostics.effective_sample_size(SCALAR[0])
    with pytest.raises(ValueError, match=r"split_gelman_rubin expects .*shape \(500,\)"):
        diagnostics.split_gelman_rubin(SCALAR[0])


def test_hpdi_on_a_grid_is_the_shortest_interval():
    grid = np.arange(1001.0)  # uniform: every window of 900 draws is equally short; the first wins
    np.testing.assert_array_equal(diagnostics.hpdi(grid, prob=0.9), [0.0, 900.0])
    skewed = np.array([0.0, 0.5, 0.9, 1.0, 1.1, 1.2, 10.0])  # 4 of 7 draws -> k = 4 steps
    np.testing.assert_array_equal(diagnostics.hpdi(skewed, prob=0.6), [0.5, 1.2])
    np.testing.assert_array_equal(diagnostics.hpdi(grid, prob=1.0), [0.0, 1000.0])


def test_hpdi_equals_arviz_hdi_and_the_normal_interval_within_mcse():
    draws = RNG.normal(size=20_000)
    interval = diagnostics.hpdi(draws, prob=0.9)
    np.testing.assert_array_equal(interval, az.hdi(draws, hdi_prob=0.9))
    # for a symmetric density the HPD interval is the central one, +-1.645; the standard
    # error of a sample 5% quantile is sqrt(p (1 - p) / n) / f(q)
    q = stats.norm.ppf(0.95)
    mcse = np.sqrt(0.05 * 0.95 / draws.size) / stats.norm.pdf(q)
    np.testing.assert_allclose(interval, [-q, q], atol=5 * mcse)


def test_hpdi_axis_follows_numpyro():
    x = np.stack([np.arange(101.0), 2 * np.arange(101.0)])  # (2, 101): draws on axis 1
    interval = diagnostics.hpdi(x, prob=0.5, axis=1)
    assert interval.shape == (2, 2)
    np.testing.assert_array_equal(interval, [[0.0, 50.0], [0.0, 100.0]])
    leading = diagnostics.hpdi(x.T, prob=0.5)
    np.testing.assert_array_equal(leading, [[0.0, 0.0], [50.0, 100.0]])
    with pytest.raises(ValueError, match=r"prob in \(0, 1\], but got prob=1.5"):
        diagnostics.hpdi(x, prob=1.5)


def test_summary_has_numpyro_keys_and_arviz_diagnostics():
    summary = diagnostics.summary({"s": SCALAR, "m": MATRIX}, prob=0.8)
    assert list(summary) == ["s", "m"]
    assert list(summary["m"]) == ["mean", "std", "median", "10.0%", "90.0%", "n_eff", "r_hat"]
    flat = MATRIX.reshape(-1, 2, 3)
    np.testing.assert_allclose(summary["m"]["mean"], flat.mean(0), rtol=1e-12)
    np.testing.assert_allclose(summary["m"]["std"], flat.std(0), rtol=1e-12)
    np.testing.assert_allclose(summary["m"]["median"], np.median(flat, 0), rtol=1e-12)
    np.testing.assert_array_equal(summary["m"]["10.0%"], diagnostics.hpdi(flat, 0.8)[0])
    np.testing.assert_array_equal(summary["m"]["n_eff"], diagnostics.effective_sample_size(MATRIX))
    np.testing.assert_array_equal(summary["m"]["r_hat"], diagnostics.split_gelman_rubin(MATRIX))
    # N(3, 2): mean within 5 Monte Carlo standard errors (iid draws: sd / sqrt(n))
    assert abs(summary["s"]["mean"] - 3.0) < 5 * 2.0 / np.sqrt(SCALAR.size)


def test_summary_without_chains_treats_draws_as_one_chain():
    summary = diagnostics.summary(SCALAR[0], group_by_chain=False)
    assert list(summary) == ["Param:0"]
    assert summary["Param:0"]["n_eff"] == az.ess(SCALAR[:1])
    assert np.isnan(summary["Param:0"]["r_hat"])
    assert summary["Param:0"]["mean"] == pytest.approx(SCALAR[0].mean(), rel=1e-12)


def test_print_summary_prints_one_row_per_scalar(capsys):
    diagnostics.print_summary({"s": SCALAR, "m": MATRIX})
    lines = capsys.readouterr().out.strip("\n").splitlines()
    assert lines[0].split() == ["mean", "std", "median", "5.0%", "95.0%", "n_eff", "r_hat"]
    labels = [line.split()[0] for line in lines[1:]]
    assert labels == ["s", "m[0,0]", "m[0,1]", "m[0,2]", "m[1,0]", "m[1,1]", "m[1,2]"]
    assert lines[1].split()[1] == f"{SCALAR.mean():.2f}"
    last = lines[-1].split()
    assert last[6] == f"{az.ess(MATRIX[:, :, 1, 2]):.2f}"
    assert last[7] == f"{az.rhat(MATRIX[:, :, 1, 2]):.2f}"


# ------------------------------------------------- r-hat and bulk ESS without ArviZ's loop
def _arviz_per_scalar(draws):
    """az.rhat(method="rank") and az.ess(method="bulk") of each scalar, one call each."""
    flat = draws.reshape(draws.shape[0], draws.shape[1], -1)
    with np.errstate(invalid="ignore", divide="ignore"):  # constant draws: NaN
        r_hat = [az.rhat(flat[:, :, i], method="rank") for i in range(flat.shape[2])]
        ess = [az.ess(flat[:, :, i], method="bulk") for i in range(flat.shape[2])]
    return np.reshape(r_hat, draws.shape[2:]), np.reshape(ess, draws.shape[2:])


def _arviz_summary(draws):
    """The r_hat and ess_bulk columns of az.summary, one row per scalar (in C order)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        table = az.summary(draws, kind="diagnostics", round_to="none")
    return table["r_hat"].to_numpy().reshape(draws.shape[2:]), table["ess_bulk"].to_numpy().reshape(draws.shape[2:])


def _ar1(rho, shape, rng):
    """Stationary N(0, 1) AR(1) chains along axis 1: autocorrelated draws."""
    x = np.empty(shape)
    x[:, 0] = rng.normal(size=(shape[0],) + shape[2:])
    for t in range(1, shape[1]):
        x[:, t] = rho * x[:, t - 1] + np.sqrt(1 - rho**2) * rng.normal(size=(shape[0],) + shape[2:])
    return x


def _convergence_cases():
    rng = np.random.default_rng(11)
    constant = rng.normal(size=(4, 200, 3))
    constant[:, :, 1] = 2.5
    stuck = rng.normal(size=(4, 200, 3))
    stuck[2, :, 0] = 0.7  # one chain never moves
    with_nan = rng.normal(size=(4, 200, 3))
    with_nan[1, 5, 2] = np.nan
    with_inf = rng.normal(size=(4, 200, 2))
    with_inf[1, 5, 1], with_inf[0, 7, 1] = np.inf, -np.inf
    # +-1 with as many of each: the folded draws |x - 0| are constant, so the folded
    # r-hat is NaN and ArviZ's max(bulk, folded) returns the bulk one
    balanced = np.repeat([[-1.0, 1.0]], 4, axis=0).repeat(50, axis=1)
    balanced = rng.permuted(balanced, axis=1)[:, :, None]
    return {
        "normal 4x500x(2,3)": rng.normal(size=(4, 500, 2, 3)),
        "normal 3x101x4 (odd draws)": rng.normal(size=(3, 101, 4)),
        "normal 2x7x5 (few, odd draws)": rng.normal(size=(2, 7, 5)),
        "one chain": rng.normal(size=(1, 300, 3)),
        "4 draws": rng.normal(size=(4, 4, 3)),
        "3 draws (too few: NaN)": rng.normal(size=(2, 3, 2)),
        "AR(1) 0.9": _ar1(0.9, (4, 400, 4), rng),
        "AR(1) 0.99, short": _ar1(0.99, (4, 150, 4), rng),
        "AR(1) -0.7 (antithetic)": _ar1(-0.7, (4, 300, 4), rng),
        "one chain shifted": rng.normal(size=(4, 300, 3)) + np.array([0.0, 0.0, 0.0, 3.0])[:, None, None],
        "rounded (ties)": np.round(rng.normal(size=(4, 200, 5)), 1),
        "integers": rng.integers(0, 3, size=(4, 200, 3)),
        "float32, odd draws": rng.normal(size=(4, 201, 3)).astype(np.float32),
        "balanced +-1": balanced,
        "constant scalar": constant,
        "stuck chain": stuck,
        "NaN draw": with_nan,
        "infinite draws": with_inf,
    }


CONVERGENCE_CASES = _convergence_cases()


@pytest.mark.parametrize("case", list(CONVERGENCE_CASES))
def test_vectorised_r_hat_and_bulk_ess_are_arviz_numbers(case):
    draws = CONVERGENCE_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # constant, NaN or too few draws: NaN, silently
        found = site_convergence(draws)
        found_split = site_convergence(draws, fold_median="split")
    assert found["r_hat"].shape == found["ess_bulk"].shape == draws.shape[2:]
    r_hat, ess = _arviz_summary(draws)
    np.testing.assert_allclose(found["r_hat"], r_hat, rtol=1e-10)  # NaN where ArviZ has NaN
    np.testing.assert_allclose(found["ess_bulk"], ess, rtol=1e-10)
    r_hat, ess = _arviz_per_scalar(draws)
    np.testing.assert_allclose(found_split["r_hat"], r_hat, rtol=1e-10)
    np.testing.assert_allclose(found_split["ess_bulk"], ess, rtol=1e-10)


def test_az_summary_and_az_rhat_fold_around_different_medians_for_odd_draws():
    odd = CONVERGENCE_CASES["normal 3x101x4 (odd draws)"]
    # r-hat is the larger of the bulk and the folded one: where the folded one wins, they differ
    assert np.any(site_convergence(odd)["r_hat"] != site_convergence(odd, fold_median="split")["r_hat"])
    even = CONVERGENCE_CASES["normal 4x500x(2,3)"]
    np.testing.assert_array_equal(site_convergence(even)["r_hat"], site_convergence(even, fold_median="split")["r_hat"])
    with pytest.raises(ValueError, match='fold_median must be "draws" or "split", but got \'chains\''):
        site_convergence(even, fold_median="chains")


def test_vectorised_diagnostics_keep_arviz_conventions():
    cases = CONVERGENCE_CASES
    one_chain = site_convergence(cases["one chain"])
    assert np.all(np.isnan(one_chain["r_hat"])) and np.all(np.isfinite(one_chain["ess_bulk"]))
    constant = site_convergence(cases["constant scalar"])
    assert np.isnan(constant["r_hat"][1]) and constant["ess_bulk"][1] == 4 * 200  # all draws
    with_nan = site_convergence(cases["NaN draw"])
    assert np.isnan(with_nan["r_hat"][2]) and np.isnan(with_nan["ess_bulk"][2])
    assert np.all(np.isfinite(with_nan["r_hat"][:2]))
    assert np.isfinite(site_convergence(cases["balanced +-1"])["r_hat"][0])
    too_few = site_convergence(cases["3 draws (too few: NaN)"])
    assert np.all(np.isnan(too_few["r_hat"])) and np.all(np.isnan(too_few["ess_bulk"]))
    assert site_convergence(np.zeros((4, 100, 0)))["r_hat"].shape == (0,)


def test_big_sites_in_blocks_of_scalars_give_the_same_numbers(monkeypatch):
    draws = np.random.default_rng(3).normal(size=(4, 100, 7))
    draws[0, 0, 3] = np.nan
    whole = site_convergence(draws)
    monkeypatch.setattr(_convergence, "_BLOCK", 2 * 4 * 100)  # two scalars at a time
    blocks = site_convergence(draws)
    np.testing.assert_array_equal(blocks["r_hat"], whole["r_hat"])
    np.testing.assert_array_equal(blocks["ess_bulk"], whole["ess_bulk"])
    assert np.isnan(blocks["r_hat"][3]) and np.sum(np.isnan(blocks["r_hat"])) == 1


def test_vectorised_diagnostics_of_booleans_are_those_of_zeros_and_ones():
    flags = np.random.default_rng(0).random((4, 100, 2)) < 0.3
    found = site_convergence(flags)
    r_hat, ess = _arviz_per_scalar(flags.astype(np.int8))
    np.testing.assert_allclose(found["r_hat"], r_hat, rtol=1e-10)
    np.testing.assert_allclose(found["ess_bulk"], ess, rtol=1e-10)


def test_normal_quantile_and_fft_length_are_scipys():
    p = np.concatenate([np.logspace(-300, -1, 500), np.linspace(0.01, 0.99, 999), 1 - np.logspace(-16, -1, 200)])
    np.testing.assert_allclose(_normal_quantile(p), special.ndtri(p), rtol=1e-14, atol=1e-300)
    assert [_next_fast_len(n) for n in range(1, 3000)] == [next_fast_len(n) for n in range(1, 3000)]
