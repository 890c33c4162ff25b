"""The examples run end to end (the README's main job among them)."""

import importlib.util
from pathlib import Path

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
