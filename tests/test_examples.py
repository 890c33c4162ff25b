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
    figure = _load("numpyro_basics").main(tmp_path)
    assert figure.exists() and figure.stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "z.loc, z.scale = (0.0, 1.0)" in printed
    assert "z.has_rsample = True" in printed
    assert "z.shape() = ()" in printed
    assert "shape() = (2,)" in printed
    assert "without a seed: latent sample site 'mu' needs a random key" in printed
    assert printed.count("(mu, s) =") == 5
    assert "site 'data': plate" in printed and "site 'x': sample, observed=True, shape=(20,)" in printed
    assert "'x': (1000, 20)" in printed
