r"""The new samplers through the ``MCMC`` driver's chain machinery: progress bars, and
``chain_method="parallel"``.

- **Progress bars.** ``BarkerMH``, ``SA``, ``HMCGibbs``, ``DiscreteHMCGibbs`` and
  ``MixedHMC`` each run two vectorized chains with ``progress_bar=True``; the tqdm bar
  (written to stderr) must show its ``warmup`` and ``sample`` descriptions, reach
  ``total/total`` and report the divergences.
- **Parallel chains.** ``BarkerMH``, ``SA`` and ``DiscreteHMCGibbs(NUTS)`` with
  ``chain_method="parallel"``, two chains on two CPU devices, give the draws of the
  vectorized runs above. Each chain's key is the same whichever the method, so the chains
  agree up to float rounding: a chain alone on its device and two chains ``vmap``-ed
  together may round differently (BarkerMH's draws differ by about 1e-5 after these 60
  iterations; SA's and DiscreteHMCGibbs's are equal), hence a tolerance of 1e-4 rather
  than equality, and short runs, so that rounding has no time to turn an accept
  decision. The number of devices is fixed when JAX starts, so one fresh interpreter
  with ``BAYESMODELS_HOST_DEVICES=2`` runs the three parallel runs.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist

pytestmark = [
    pytest.mark.filterwarnings("ignore::bayesmodels.results.SamplingWarning"),
    pytest.mark.xdist_group("test_kernels_chains"),
]

ROOT = Path(__file__).resolve().parents[1]
X = np.linspace(-1.0, 1.0, 8).astype(np.float32)
Y = (0.5 + 1.5 * X + np.array([0.3, -0.2, 0.1, 0.4, -0.5, 0.2, -0.1, 0.05])).astype(np.float32)
SETTINGS = dict(num_warmup=40, num_samples=20, num_chains=2)
KEY = jax.random.PRNGKey(3)


def regression(x, y):
    a = bm.sample("a", dist.Normal(0.0, 2.0))
    b = bm.sample("b", dist.Normal(0.0, 2.0))
    sigma = bm.sample("sigma", dist.HalfNormal(1.0))
    with bm.plate("data", x.shape[0]):
        bm.sample("y", dist.Normal(a + b * x, sigma), obs=y)


def switch(y):
    z = bm.sample("z", dist.Bernoulli(0.4))
    mu = bm.sample("mu", dist.Normal(2.0 * z - 1.0, 1.0))
    with bm.plate("data", y.shape[0]):
        bm.sample("y", dist.Normal(mu, 1.0), obs=y)


def z_given_mu(rng_key, gibbs_sites, hmc_sites):
    r"""The exact conditional of ``switch``: :math:`\mathrm{logit} P(z = 1 \mid \mu) = \log(0.4/0.6) + 2\mu`."""
    logit = jnp.log(0.4 / 0.6) + 2.0 * hmc_sites["mu"]
    return {"z": jax.random.bernoulli(rng_key, jax.nn.sigmoid(logit)).astype(gibbs_sites["z"].dtype)}


def samplers():
    """name -> (sampler, model arguments); the subprocess imports it too."""
    from bayesmodels.infer import HMC, NUTS
    from bayesmodels.infer._barker import BarkerMH
    from bayesmodels.infer._gibbs import DiscreteHMCGibbs, HMCGibbs
    from bayesmodels.infer._mixed_hmc import MixedHMC
    from bayesmodels.infer._sa import SA

    continuous, discrete = (jnp.asarray(X), jnp.asarray(Y)), (jnp.asarray(Y),)
    return {
        "BarkerMH": (BarkerMH(regression), continuous),
        "SA": (SA(regression), continuous),
        "HMCGibbs": (HMCGibbs(NUTS(switch), z_given_mu, ["z"]), discrete),
        "DiscreteHMCGibbs": (DiscreteHMCGibbs(NUTS(switch)), discrete),
        "MixedHMC": (MixedHMC(HMC(switch, trajectory_length=1.5)), discrete),
    }


PARALLEL = ("BarkerMH", "SA", "DiscreteHMCGibbs")


@pytest.fixture(scope="module")
def vectorized():
    """Every sampler's vectorized run with a progress bar: name -> (samples, stderr)."""
    from bayesmodels.infer import MCMC

    runs = {}
    for name, (sampler, args) in samplers().items():
        mcmc = MCMC(sampler, chain_method="vectorized", progress_bar=True, **SETTINGS)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):  # tqdm writes to sys.stderr as it is then
            mcmc.run(KEY, *args)
        runs[name] = (mcmc.get_samples(group_by_chain=True), stderr.getvalue())
    return runs


@pytest.mark.parametrize("name", ["BarkerMH", "SA", "HMCGibbs", "DiscreteHMCGibbs", "MixedHMC"])
def test_progress_bar(vectorized, name):
    samples, stderr = vectorized[name]
    total = SETTINGS["num_warmup"] + SETTINGS["num_samples"]
    assert "warmup:" in stderr and "sample:" in stderr, stderr
    assert f"{total}/{total}" in stderr and "divergences=" in stderr, stderr
    assert all(np.shape(value)[:2] == (2, SETTINGS["num_samples"]) for value in samples.values())


_SCRIPT = """
import json, warnings
import jax, numpy as np
from bayesmodels.infer import MCMC
from tests.test_kernels_chains import KEY, PARALLEL, SETTINGS, samplers
report = {"devices": jax.local_device_count()}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name in PARALLEL:
        sampler, args = samplers()[name]
        mcmc = MCMC(sampler, chain_method="parallel", progress_bar=False, **SETTINGS)
        mcmc.run(KEY, *args)
        report[name] = {
            "chain_method": mcmc.to_result().attrs["chain_method"],
            "samples": {k: np.asarray(v).tolist() for k, v in mcmc.get_samples(group_by_chain=True).items()},
        }
print(json.dumps(report))
"""


def test_parallel_chains_draw_what_vectorized_chains_draw(vectorized):
    env = dict(os.environ, BAYESMODELS_HOST_DEVICES="2", JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["devices"] == 2
    for name in PARALLEL:
        assert report[name]["chain_method"] == "parallel", name
        expected = vectorized[name][0]
        assert set(report[name]["samples"]) == set(expected), name
        for site, value in expected.items():
            value, parallel = np.asarray(value), np.asarray(report[name]["samples"][site])
            np.testing.assert_allclose(parallel, value, rtol=1e-4, atol=1e-4, err_msg=f"{name}: site {site!r}")
            if site != "z":  # the chains are not copies of each other
                assert not np.allclose(value[0], value[1]), f"{name}: the two chains drew the same {site!r}"
