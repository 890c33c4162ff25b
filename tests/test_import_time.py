"""``import bayesmodels`` loads neither ArviZ nor xarray, pandas or scipy (together well
over a second), and sampling with its post-sampling checks never needs them: they are
imported where first used (summaries, ArviZ export, files, ``describe``).

Each check runs in a fresh interpreter, since this test process has imported them all.
"""

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("arviz", "xarray", "pandas", "scipy")


def _heavy_modules_loaded_by(code: str) -> list[str]:
    """Which of ``HEAVY`` a fresh interpreter holds after running ``code``."""
    report = f"\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    env = {**os.environ, "BAYESMODELS_COMPILATION_CACHE": "off"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code) + report],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def test_import_loads_no_arviz_xarray_pandas_or_scipy():
    assert _heavy_modules_loaded_by("import bayesmodels") == []


def test_sampling_and_its_warnings_load_no_arviz():
    code = """
        import warnings

        import bayesmodels as bm
        from bayesmodels.infer import MCMC, NUTS

        def model():
            with bm.plate("n", 3):
                bm.sample("z", bm.dist.Normal(0.0, 1.0))

        mcmc = MCMC(NUTS(model), num_warmup=20, num_samples=20, num_chains=2, progress_bar=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mcmc.run(0)
        # 2 x 20 draws: the bulk-ESS check (and so r-hat and ESS) ran and warned
        assert any("bulk ESS" in str(w.message) for w in caught), [str(w.message) for w in caught]
    """
    assert _heavy_modules_loaded_by(code) == []


def test_summary_imports_arviz_when_it_is_called():
    code = """
        import numpy as np

        import bayesmodels as bm

        result = bm.InferenceResult({"mu": np.random.default_rng(0).normal(size=(2, 50))})
        assert list(result.summary().index) == ["mu"]
    """
    assert {"arviz", "xarray", "pandas"} <= set(_heavy_modules_loaded_by(code))
