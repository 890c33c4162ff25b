"""InferenceResult, its ArviZ export, save/load and the post-sampling checks.

Everything is built from synthetic numpy draws with known answers; no sampler runs.
"""

import warnings

import arviz as az
import matplotlib
import numpy as np
import pytest

from bayesmodels.results import InferenceResult, SamplingWarning, diagnostic_messages, warn_diagnostics

matplotlib.use("Agg")

CHAINS, DRAWS, WARMUP = 4, 500, 50
SCHOOLS = ["Choate", "Deerfield", "Exeter"]
Y = np.array([1.0, -0.5, 2.0, 0.3, 1.1])
# y_n ~ N(mu, 1) with a flat prior: the posterior of mu is N(mean(y), 1 / sqrt(n))
MU, SD = Y.mean(), 1 / np.sqrt(len(Y))


def _draws(seed=0):
    """iid draws: mu from its posterior, theta ~ N(0, 1) per school, L ~ N(0, 1) (2 x 2, float32)."""
    rng = np.random.default_rng(seed)
    return {
        "mu": rng.normal(MU, SD, size=(CHAINS, DRAWS)),
        "theta": rng.normal(size=(CHAINS, DRAWS, 3)),
        "L": rng.normal(size=(CHAINS, DRAWS, 2, 2)).astype(np.float32),
    }


def _stats(divergent=0, depth=3):
    diverging = np.zeros((CHAINS, DRAWS), dtype=bool)
    diverging.flat[np.arange(divergent) * 7] = True
    return {
        "diverging": diverging,
        "tree_depth": np.full((CHAINS, DRAWS), depth, dtype=np.int32),
        "lp": np.linspace(-10.0, -5.0, CHAINS * DRAWS).reshape(CHAINS, DRAWS),
    }


POSTERIOR = _draws()
# pointwise log N(y_n | mu, 1)
LOG_LIK = -0.5 * (Y - POSTERIOR["mu"][..., None]) ** 2 - 0.5 * np.log(2 * np.pi)
ATTRS = {"sampler": "NUTS", "num_warmup": WARMUP, "max_tree_depth": 10, "target_accept_prob": 0.8, "dense_mass": False}
RESULT = InferenceResult(
    POSTERIOR,
    sample_stats=_stats(divergent=3),
    warmup_posterior={name: value[:, :WARMUP] for name, value in POSTERIOR.items()},
    warmup_sample_stats={"step_size": np.full((CHAINS, WARMUP), 0.5, dtype=np.float32)},
    log_likelihood={"y": LOG_LIK},
    observed_data={"y": Y},
    constant_data={"n": np.array(5, dtype=np.int64)},
    dims={"theta": ["school"], "y": ["obs"]},
    coords={"school": SCHOOLS},
    attrs=ATTRS,
)
CLEAN = InferenceResult(POSTERIOR, sample_stats=_stats(), attrs={"max_tree_depth": 10})


# ----------------------------------------------------------------------------- construction
def test_properties_shapes_and_default_dims():
    assert (RESULT.num_chains, RESULT.num_draws, RESULT.num_divergences) == (CHAINS, DRAWS, 3)
    assert list(RESULT.posterior) == ["mu", "theta", "L"]
    assert RESULT.posterior["L"].dtype == np.float32
    assert RESULT.dims["theta"] == ("school",) and RESULT.dims["y"] == ("obs",)
    assert RESULT.dims["L"] == ("L_dim_0", "L_dim_1") and RESULT.dims["mu"] == ()
    assert RESULT.dims["n"] == ()
    assert list(RESULT.coords) == ["school"] and RESULT.coords["school"].tolist() == SCHOOLS
    assert RESULT.attrs == ATTRS
    assert RESULT.prior == {} and RESULT.posterior_predictive == {}
    assert not RESULT.posterior["mu"].flags.writeable
    assert CLEAN.num_divergences == 0
    assert InferenceResult({"mu": POSTERIOR["mu"]}).num_divergences == 0  # no diverging stat
    text = repr(RESULT)
    assert "4 chains x 500 draws, 3 divergences" in text
    assert "posterior: mu (), theta (3,), L (2, 2)" in text and "log_likelihood: y (5,)" in text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"posterior": {"mu": np.zeros(500)}}, r"posterior\['mu'\] has shape \(500,\), but arrays in posterior must be \[chain, draw, \*shape\]"),
        (
            {"posterior": {"mu": np.zeros((4, 500))}, "sample_stats": {"lp": np.zeros((4, 400))}},
            r"sample_stats\['lp'\] has shape \(4, 400\), but the expected leading \(chain, draw\) shape is \(4, 500\) \(from posterior\['mu'\]\)",
        ),
        (
            {"posterior": {"mu": np.zeros((4, 500))}, "warmup_posterior": {"mu": np.zeros((2, 50))}},
            r"warmup_posterior\['mu'\] has shape \(2, 50\) with 2 chains, but the posterior has 4 chains",
        ),
        (
            {"posterior": {"theta": np.zeros((4, 500, 3))}, "dims": {"theta": ["school", "x"]}},
            r"dims\['theta'\] = \['school', 'x'\] \(2 axes\), but posterior\['theta'\] has shape \(4, 500, 3\): 1 axes after \(chain, draw\)",
        ),
        ({"posterior": {"theta": np.zeros((4, 500, 3))}, "dims": {"theta": "school"}}, r"write \['school'\]"),
        (
            {"posterior": {"theta": np.zeros((4, 500, 3))}, "dims": {"theta": ["school"]}, "coords": {"school": ["a", "b"]}},
            r"coords\['school'\] has 2 values, but dimension 'school' of posterior\['theta'\] \(shape \(4, 500, 3\)\) has size 3",
        ),
        (
            {"posterior": {"a": np.zeros((4, 500, 3)), "b": np.zeros((4, 500, 2))}, "dims": {"a": ["k"], "b": ["k"]}},
            r"dimension 'k' has size 3 in posterior\['a'\] but size 2 in posterior\['b'\]",
        ),
        (
            {"posterior": {"y": np.zeros((4, 500, 3))}, "observed_data": {"y": np.zeros((3, 2))}},
            r"posterior\['y'\] has dims \['y_dim_0'\] \(1 axes\), but observed_data\['y'\] has shape \(3, 2\): 2 axes in all",
        ),
        ({"posterior": {"mu": np.zeros((4, 500))}, "attrs": {"m": [1, 2]}}, r"attrs\['m'\] is \[1, 2\] of type list"),
        ({"posterior": {"mu": np.zeros((4, 500))}, "attrs": {"inference_library": "x"}}, r"attrs\['inference_library'\] is set by bayesmodels"),
        ({"posterior": [np.zeros((4, 500))]}, r"posterior must be a mapping from variable name to array, but got list"),
    ],
)
def test_invalid_input_is_rejected_naming_variable_and_shapes(kwargs, message):
    kwargs = dict(kwargs)
    with pytest.raises(ValueError, match=message):
        InferenceResult(kwargs.pop("posterior"), **kwargs)


def test_get_samples_both_ways():
    flat = RESULT.get_samples()
    assert flat["theta"].shape == (CHAINS * DRAWS, 3) and flat["L"].shape == (CHAINS * DRAWS, 2, 2)
    np.testing.assert_array_equal(flat["theta"][DRAWS + 7], POSTERIOR["theta"][1, 7])  # chain-major
    grouped = RESULT.get_samples(group_by_chain=True)
    assert grouped["L"].shape == (CHAINS, DRAWS, 2, 2)
    np.testing.assert_array_equal(grouped["mu"], POSTERIOR["mu"])


# ----------------------------------------------------------------------------- summaries
def test_summary_rows_columns_and_arviz_numbers():
    table = RESULT.summary()
    assert list(table.columns) == [
        "mean", "sd", "median", "hdi_5%", "hdi_95%", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat",
    ]  # fmt: skip
    assert list(table.index) == [
        "mu", "theta[Choate]", "theta[Deerfield]", "theta[Exeter]", "L[0, 0]", "L[0, 1]", "L[1, 0]", "L[1, 1]",
    ]  # fmt: skip
    theta = POSTERIOR["theta"]
    rows = table.loc[["theta[Choate]", "theta[Deerfield]", "theta[Exeter]"]]
    np.testing.assert_allclose(rows["mean"], theta.mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(rows["sd"], theta.std(axis=(0, 1), ddof=1), rtol=1e-12)
    np.testing.assert_allclose(rows["median"], np.median(theta, axis=(0, 1)), rtol=1e-12)
    for i, row in enumerate(rows.itertuples()):
        assert row.ess_bulk == az.ess(theta[..., i])
        assert row.ess_tail == az.ess(theta[..., i], method="tail")
        assert row.r_hat == az.rhat(theta[..., i])
        assert row.mcse_mean == pytest.approx(az.mcse(theta[..., i]), rel=1e-12)
        np.testing.assert_array_equal([row[4], row[5]], az.hdi(theta[..., i].ravel(), hdi_prob=0.9))
    L = POSTERIOR["L"]
    assert table.loc["L[1, 0]", "ess_bulk"] == az.ess(L[:, :, 1, 0])  # C-order rows of a matrix
    # its posterior mean within 5 Monte Carlo standard errors
    assert abs(table.loc["mu", "mean"] - MU) < 5 * table.loc["mu", "mcse_mean"]


def test_summary_prob_var_names_and_one_chain():
    table = RESULT.summary(prob=0.8, var_names=["theta"])
    assert list(table.columns[3:5]) == ["hdi_10%", "hdi_90%"] and len(table) == 3
    assert list(RESULT.summary(var_names="mu").index) == ["mu"]
    with pytest.raises(ValueError, match=r"var_names \['tau'\] are not posterior sites; the sites are \['mu', 'theta', 'L'\]"):
        RESULT.summary(var_names=["tau"])
    one = InferenceResult({"mu": POSTERIOR["mu"][:1]})
    row = one.summary().loc["mu"]
    assert np.isnan(row["r_hat"]) and row["ess_bulk"] == az.ess(POSTERIOR["mu"][:1])


def test_site_diagnostics_have_the_site_shape():
    found = RESULT.site_diagnostics("L")
    assert found["r_hat"].shape == (2, 2)
    assert found["ess_tail"][0, 1] == az.ess(POSTERIOR["L"][:, :, 0, 1], method="tail")
    with pytest.raises(KeyError, match="'tau' is not a posterior site"):
        RESULT.site_diagnostics("tau")


def test_print_summary_table_and_divergences(capsys):
    RESULT.print_summary()
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert lines[0] == ["mean", "std", "median", "5.0%", "95.0%", "n_eff", "r_hat"]
    assert [line[0] for line in lines[1:-1]] == [
        "mu", "theta[0]", "theta[1]", "theta[2]", "L[0,0]", "L[0,1]", "L[1,0]", "L[1,1]",
    ]  # fmt: skip
    assert lines[1][1] == f"{POSTERIOR['mu'].mean():.2f}"
    assert lines[2][6] == f"{az.ess(POSTERIOR['theta'][..., 0]):.2f}"
    assert out.rstrip().endswith("Number of divergences: 3")


# ----------------------------------------------------------------------------- ArviZ
def test_to_arviz_groups_dims_coords_attrs():
    idata = RESULT.to_arviz()
    assert set(idata.groups()) == {
        "posterior", "sample_stats", "log_likelihood", "observed_data", "constant_data",
        "warmup_posterior", "warmup_sample_stats",
    }  # fmt: skip
    assert idata.posterior["theta"].dims == ("chain", "draw", "school")
    assert idata.posterior["school"].values.tolist() == SCHOOLS
    assert idata.posterior["L"].dims == ("chain", "draw", "L_dim_0", "L_dim_1")
    assert idata.posterior["L"].dtype == np.float32
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "obs")
    assert idata.observed_data["y"].dims == ("obs",)
    assert idata.sample_stats["diverging"].dtype == bool and int(idata.sample_stats["diverging"].sum()) == 3
    assert idata.warmup_posterior.sizes["draw"] == WARMUP
    assert idata.posterior.attrs["inference_library"] == "bayesmodels"
    assert idata.posterior.attrs["sampler"] == "NUTS" and idata.posterior.attrs["max_tree_depth"] == 10


def test_to_arviz_output_works_with_summary_plot_trace_and_loo():
    import matplotlib.pyplot as plt

    idata = RESULT.to_arviz()
    table = az.summary(idata, round_to="none")
    assert table.loc["theta[Exeter]", "r_hat"] == RESULT.summary().loc["theta[Exeter]", "r_hat"]
    axes = az.plot_trace(idata, var_names=["mu", "theta"])
    assert axes.shape == (2, 2)
    plt.close("all")
    loo = az.loo(idata)
    assert loo.n_data_points == len(Y) and np.isfinite(loo.elpd_loo)
    assert np.all(loo.pareto_k.values < 0.7)


def test_from_arviz_of_a_foreign_inference_data():
    idata = az.from_dict(
        posterior={"theta": POSTERIOR["theta"]},
        dims={"theta": ["school"]},
        coords={"school": SCHOOLS},
        attrs={"sampler": "other"},
    )
    result = InferenceResult.from_arviz(idata)
    assert result.dims == {"theta": ("school",)}
    assert list(result.coords) == ["school"] and result.coords["school"].tolist() == SCHOOLS
    assert result.attrs == {"sampler": "other"}
    np.testing.assert_array_equal(result.posterior["theta"], POSTERIOR["theta"])


def test_add_groups_returns_a_new_result():
    rng = np.random.default_rng(1)
    y_rep = POSTERIOR["mu"][..., None] + rng.normal(size=(CHAINS, DRAWS, len(Y)))
    prior = {"mu": rng.normal(size=(1, 200))}
    added = RESULT.add_groups(posterior_predictive={"y": y_rep}, prior=prior, coords={"obs": [10, 20, 30, 40, 50]})
    assert RESULT.posterior_predictive == {} and RESULT.prior == {} and "obs" not in RESULT.coords
    np.testing.assert_array_equal(added.posterior_predictive["y"], y_rep)
    assert added.prior["mu"].shape == (1, 200) and added.num_chains == CHAINS
    idata = added.to_arviz()
    assert idata.posterior_predictive["y"].dims == ("chain", "draw", "obs")
    assert idata.observed_data["obs"].values.tolist() == [10, 20, 30, 40, 50]
    assert idata.prior.sizes["chain"] == 1
    with pytest.raises(ValueError, match=r"posterior_predictive\['y'\] has shape \(2000, 5\), but the expected leading"):
        RESULT.add_groups(posterior_predictive={"y": y_rep.reshape(-1, len(Y))})


# ----------------------------------------------------------------------------- save / load
def _assert_same(a: InferenceResult, b: InferenceResult):
    for group in (
        "posterior", "sample_stats", "warmup_posterior", "warmup_sample_stats", "log_likelihood",
        "observed_data", "constant_data", "posterior_predictive", "prior", "prior_predictive",
    ):  # fmt: skip
        left, right = getattr(a, group), getattr(b, group)
        assert list(left) == list(right), group
        for name in left:
            assert left[name].dtype == right[name].dtype, (group, name)
            np.testing.assert_array_equal(left[name], right[name])
    assert a.dims == b.dims
    assert list(a.coords) == list(b.coords)
    for dim in a.coords:
        assert a.coords[dim].dtype == b.coords[dim].dtype
        np.testing.assert_array_equal(a.coords[dim], b.coords[dim])
    assert a.attrs == b.attrs
    assert [type(value) for value in a.attrs.values()] == [type(value) for value in b.attrs.values()]


def test_save_load_round_trip_loses_nothing(tmp_path):
    rng = np.random.default_rng(2)
    full = RESULT.add_groups(
        posterior_predictive={"y": rng.normal(size=(CHAINS, DRAWS, len(Y))).astype(np.float32)},
        prior={"mu": rng.normal(size=(1, 100))},
        prior_predictive={"y": rng.integers(0, 5, size=(1, 100, len(Y))).astype(np.int32)},
        coords={"obs": [10, 20, 30, 40, 50]},
    )
    path = tmp_path / "result.nc"
    full.save(path)
    loaded = InferenceResult.load(path)
    _assert_same(full, loaded)
    assert loaded.sample_stats["diverging"].dtype == bool and loaded.num_divergences == 3
    assert loaded.attrs["dense_mass"] is False
    assert az.from_netcdf(path).posterior.attrs["inference_library"] == "bayesmodels"  # ArviZ reads it


def test_load_errors_name_the_path(tmp_path):
    missing = tmp_path / "missing.nc"
    with pytest.raises(FileNotFoundError, match="no saved InferenceResult at .*missing.nc"):
        InferenceResult.load(missing)
    text = tmp_path / "notes.txt"
    text.write_text("not a result")
    with pytest.raises(ValueError, match=r"notes.txt' is not a saved bayesmodels InferenceResult"):
        InferenceResult.load(text)
    foreign = tmp_path / "foreign.nc"
    az.from_dict(posterior={"mu": POSTERIOR["mu"]}).to_netcdf(str(foreign))
    with pytest.raises(ValueError, match=r"foreign.nc' is not a saved bayesmodels InferenceResult: .*without the 'bayesmodels_result_format'"):
        InferenceResult.load(foreign)


# ----------------------------------------------------------------------------- checks
def test_clean_draws_raise_no_diagnostic():
    assert diagnostic_messages(CLEAN) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplingWarning)
        assert warn_diagnostics(CLEAN) == []


def test_r_hat_check_names_the_unmixed_sites():
    draws = _draws(seed=3)
    draws["mu"] = draws["mu"] + np.array([0.0, 0.0, 0.0, 2.0 * SD])[:, None]  # one chain 2 sd away
    draws["theta"] = draws["theta"] + np.array([0.0, 0.0, 0.0, 1.0])[:, None, None]  # 1 sd
    [message] = [m for m in diagnostic_messages(InferenceResult(draws)) if m.startswith("r_hat")]
    assert message.startswith("r_hat > 1.01 for 'mu' (")
    assert "'theta' (" in message and "'L'" not in message and "have not mixed" in message
    worst = float(message.split("'mu' (")[1].split(")")[0])
    assert worst == pytest.approx(float(az.rhat(draws["mu"])), abs=0.005)
    assert diagnostic_messages(InferenceResult({"mu": draws["mu"][3:]})) == []  # one chain: no r-hat


def test_ess_check_names_the_autocorrelated_site():
    rng = np.random.default_rng(4)
    slow = np.zeros((CHAINS, DRAWS))
    noise = rng.normal(size=(CHAINS, DRAWS)) * np.sqrt(1 - 0.99**2)
    slow[:, 0] = rng.normal(size=CHAINS)
    for t in range(1, DRAWS):  # AR(1) with rho 0.99, stationary N(0, 1)
        slow[:, t] = 0.99 * slow[:, t - 1] + noise[:, t]
    messages = diagnostic_messages(InferenceResult({**_draws(seed=5), "slow": slow}))
    [ess] = [message for message in messages if message.startswith("bulk ESS")]
    ess_slow = float(az.ess(slow))
    assert ess_slow < 100
    assert ess == (
        f"bulk ESS < 400 (100 per chain) for 'slow' ({ess_slow:.0f}): posterior means and intervals "
        "are unreliable; draw more samples, or reparametrise the model"
    )


def test_divergence_and_tree_depth_checks():
    depth = np.full((CHAINS, DRAWS), 4, dtype=np.int32)
    depth[1, :40] = 10  # 40 draws at the maximum depth
    result = InferenceResult(
        POSTERIOR, sample_stats={**_stats(divergent=3), "tree_depth": depth}, attrs={"max_tree_depth": 10}
    )
    messages = diagnostic_messages(result)
    assert len(messages) == 2
    assert messages[0].startswith("3 divergent transitions after warm-up (0.1% of draws)")
    assert "target_accept_prob" in messages[0]
    assert messages[1].startswith("40 draws (2.0%) reached the maximum tree depth (10)")
    assert "max_tree_depth" in messages[1]
    no_setting = InferenceResult(POSTERIOR, sample_stats={"tree_depth": depth})
    assert diagnostic_messages(no_setting) == []  # without max_tree_depth there is no bound


def test_warn_diagnostics_emits_sampling_warnings():
    with pytest.warns(SamplingWarning, match="3 divergent transitions") as record:
        messages = warn_diagnostics(RESULT)
    assert [str(item.message) for item in record] == messages
    assert issubclass(SamplingWarning, UserWarning)


def test_constant_and_discrete_sites_are_summarised_without_warnings():
    rng = np.random.default_rng(6)
    result = InferenceResult(
        {
            "c": np.ones((CHAINS, DRAWS)),  # e.g. a deterministic site that does not vary
            "k": rng.integers(0, 3, size=(CHAINS, DRAWS)).astype(np.int32),
            "flag": rng.random((CHAINS, DRAWS)) < 0.5,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        table = result.summary()
        messages = diagnostic_messages(result)
    assert np.isnan(table.loc["c", "r_hat"]) and table.loc["c", "sd"] == 0.0
    assert table.loc["flag", "mean"] == pytest.approx(result.posterior["flag"].mean(), rel=1e-12)
    assert not any("'c'" in message for message in messages)


def test_a_prior_only_result():
    rng = np.random.default_rng(7)
    result = InferenceResult({}, prior={"mu": rng.normal(size=(1, 300))}, prior_predictive={"y": rng.normal(size=(1, 300, 5))})
    assert (result.num_chains, result.num_draws) == (0, 0)
    assert set(result.to_arviz().groups()) == {"prior", "prior_predictive"}
    assert result.summary().empty and diagnostic_messages(result) == []


def test_convergence_is_arviz_r_hat_and_bulk_ess_of_each_site():
    result = InferenceResult(_draws(seed=8))  # 500 draws: az.summary's r-hat is az.rhat's
    found = result.convergence
    assert list(found) == ["mu", "theta", "L"]
    for name, draws in result.posterior.items():
        assert set(found[name]) == {"r_hat", "ess_bulk"}
        assert found[name]["r_hat"].shape == found[name]["ess_bulk"].shape == draws.shape[2:]
        arviz = result.site_diagnostics(name)
        np.testing.assert_allclose(found[name]["r_hat"], arviz["r_hat"], rtol=1e-10)
        np.testing.assert_allclose(found[name]["ess_bulk"], arviz["ess_bulk"], rtol=1e-10)
    with pytest.raises(ValueError, match="read-only"):
        found["mu"]["r_hat"][...] = 1.0
    assert InferenceResult({}, prior={"mu": np.zeros((1, 10))}).convergence == {}


def test_checks_need_no_arviz_summary():
    result = InferenceResult(_draws(seed=9))
    assert diagnostic_messages(result) == []
    assert "_diagnostics" not in vars(result)  # az.summary's table was never built


def test_log_likelihood_of_an_observation_with_an_event_shape_has_its_batch_dims(tmp_path):
    # y: 4 groups of a 3-vector observation (a MultivariateNormal in plate "group"); its
    # pointwise log likelihood is per group, the event axis summed away (ArviZ's convention)
    rng = np.random.default_rng(3)
    observed = rng.normal(size=(4, 3))
    result = InferenceResult(
        {"mu": rng.normal(size=(CHAINS, DRAWS))},
        log_likelihood={"y": rng.normal(size=(CHAINS, DRAWS, 4))},
        observed_data={"y": observed},
        dims={"y": ["group", "coordinate"]},
        coords={"group": list("abcd")},
    )
    assert result.dims["y"] == ("group", "coordinate")
    idata = result.to_arviz()
    assert idata.observed_data["y"].dims == ("group", "coordinate")
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "group")
    assert list(idata.log_likelihood["group"].values) == list("abcd")
    assert np.isfinite(az.loo(idata, pointwise=True).loo_i).all()  # LOO works on the groups
    result.save(tmp_path / "event.nc")
    loaded = InferenceResult.load(tmp_path / "event.nc")
    assert loaded.dims["y"] == ("group", "coordinate")
    assert loaded.to_arviz().log_likelihood["y"].dims == ("chain", "draw", "group")
    # more log-likelihood axes than the variable has dims is still an error
    with pytest.raises(ValueError, match=r"log_likelihood\['y'\] has shape \(4, 500, 4, 3, 2\)"):
        InferenceResult(
            {"mu": rng.normal(size=(CHAINS, DRAWS))},
            log_likelihood={"y": np.zeros((CHAINS, DRAWS, 4, 3, 2))},
            observed_data={"y": observed},
        )
