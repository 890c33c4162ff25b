"""The persistent compilation cache that ``import bayesmodels`` switches on.

Each case runs a fresh Python process (the cache is about what a *new* process finds),
with ``XDG_CACHE_HOME`` pointing into a temporary directory, and counts JAX's own cache
events (``/jax/compilation_cache/cache_hits`` and ``cache_misses``) for one jitted
function. Whether that makes a real model start in about a second is for the benchmarks
(``benchmarks/``) to measure, not for a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys
import jax, jax.numpy as jnp
from jax import monitoring
counts = {"hits": 0, "misses": 0}
def listener(event, **kwargs):
    for name in counts:
        if event == f"/jax/compilation_cache/cache_{name}":
            counts[name] += 1
monitoring.register_event_listener(listener)
import bayesmodels as bm
if len(sys.argv) > 1:
    bm.set_compilation_cache(None if sys.argv[1] == "none" else sys.argv[1])
f = jax.jit(lambda x: jnp.sin(x) * 3.0 + jnp.cumsum(x))
f(jnp.arange(7.0)).block_until_ready()
print(json.dumps({**counts, "dir": jax.config.jax_compilation_cache_dir,
                  "enabled": jax.config.jax_enable_compilation_cache}))
"""


def _run(tmp_path, *args, env=None):
    environment = {name: value for name, value in os.environ.items() if name != "BAYESMODELS_COMPILATION_CACHE"}
    environment.update({"XDG_CACHE_HOME": str(tmp_path / "xdg"), **(env or {})})
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the default directory follows XDG on Linux")
def test_a_new_process_finds_what_the_last_one_compiled(tmp_path):
    default = tmp_path / "xdg" / "bayesmodels" / "jax"
    first = _run(tmp_path)
    assert first["dir"] == str(default) and first["enabled"]
    assert first["misses"] >= 1 and first["hits"] == 0
    assert any(default.iterdir()), "nothing was written to the cache directory"
    second = _run(tmp_path)
    assert second["misses"] == 0 and second["hits"] == first["misses"]


def test_the_environment_switches_it_off_or_moves_it(tmp_path):
    off = _run(tmp_path, env={"BAYESMODELS_COMPILATION_CACHE": "off"})
    assert off["dir"] is None and off["hits"] == off["misses"] == 0
    assert not (tmp_path / "xdg" / "bayesmodels").exists()
    elsewhere = tmp_path / "elsewhere"
    moved = _run(tmp_path, env={"BAYESMODELS_COMPILATION_CACHE": str(elsewhere)})
    assert moved["dir"] == str(elsewhere) and moved["misses"] >= 1 and any(elsewhere.iterdir())


def test_set_compilation_cache_none_turns_it_off_and_a_path_moves_it(tmp_path):
    off = _run(tmp_path, "none")
    assert not off["enabled"] and off["hits"] == off["misses"] == 0
    chosen = tmp_path / "chosen"
    moved = _run(tmp_path, str(chosen))
    assert moved["dir"] == str(chosen) and moved["misses"] >= 1 and any(chosen.iterdir())
