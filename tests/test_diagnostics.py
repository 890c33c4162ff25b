"""bayesmodels.diagnostics: NumPyro's names and layout, ArviZ's numbers."""

import arviz as az
import numpy as np
import pytest
from scipy import stats

from bayesmodels import diagnostics

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
