r"""Benchmark bayesmodels against NumPyro and BlackJAX.

    python benchmarks/run.py [--models a,b,...] [--peers numpyro,blackjax] [--quick]

Every (model, library, setting) pair runs in a fresh subprocess (``benchmarks/worker.py``),
so compilation is paid in full and memory is per run; pairs are interleaved across
libraries so that a change in the machine's load hits all of them alike. Writes
``results.json`` (every raw number) and ``results.md`` (the tables) to ``--output``;
``--results-md`` also rewrites ``benchmarks/RESULTS.md``. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.libraries import SETTINGS, RunSize, Setting  # noqa: E402

MODEL_KEYS = ("a", "b", "c", "d", "e", "f")
PEERS = ("numpyro", "blackjax")
FULL = RunSize(num_warmup=1000, num_samples=1000, num_chains=4)
QUICK = RunSize(num_warmup=200, num_samples=100, num_chains=4)
NOTES_MARKER = "<!-- notes below are kept when run.py --results-md rewrites the tables above -->"
PACKAGES = ("bayesmodels", "jax", "jaxlib", "numpyro", "blackjax", "arviz", "numpy")


def plan(models, peers, only=None) -> list[tuple[str, Setting]]:
    """The runs in order: per model, the libraries take turns (each keeps its own order)."""
    libraries = ("numpyro", "bayesmodels", "blackjax")
    chosen = [s for s in SETTINGS if s.library == "bayesmodels" or s.library in peers]
    if only:
        chosen = [s for s in chosen if s.label in only]
    queues = [[s for s in chosen if s.library == library] for library in libraries]
    turns = [s for group in itertools.zip_longest(*queues) for s in group if s is not None]
    return [(model, s) for model in models for s in turns if s.models is None or model in s.models]


def worker_env(setting: Setting, cache_dir: str | None) -> dict:
    """The worker's environment: CPU only, its host device count, its cache."""
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    flags = [f for f in env.get("XLA_FLAGS", "").split() if not f.startswith("--xla_force_host_platform_device_count")]
    if setting.host_devices > 1:
        flags.append(f"--xla_force_host_platform_device_count={setting.host_devices}")
    env["XLA_FLAGS"] = " ".join(flags)
    if setting.library != "bayesmodels":
        # the model modules import bayesmodels too; keep JAX's own device count for peers
        env["BAYESMODELS_HOST_DEVICES"] = "off"
    else:
        env.pop("BAYESMODELS_HOST_DEVICES", None)  # its default: a device per core, at least 4
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env["BAYESMODELS_COMPILATION_CACHE"] = cache_dir or "off"
    return env


def run_worker(model: str, setting: Setting, size: RunSize, cache_dir, timeout: float, scratch: Path) -> dict:
    """Run one worker; its record, or a record with ``error`` if it failed."""
    spec = {"model": model, "library": setting.library, "setting": setting.name, "size": vars(size), "quick_size": vars(QUICK)}
    out_path = scratch / f"{model}-{setting.library}-{setting.name}.json"
    base = {"model": model, "library": setting.library, "setting": setting.name}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", json.dumps(spec), str(out_path)],
            cwd=ROOT,
            env=worker_env(setting, cache_dir),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return base | {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0 or not out_path.exists():
        lines = (done.stderr or "").strip().splitlines() or ["(no output)"]
        return base | {"error": lines[-1], "stderr_tail": "\n".join(lines[-30:])}
    return json.loads(out_path.read_text())


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gib = None
    try:
        with open("/proc/meminfo") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
        memory_gib = round(kib / 2**20, 1)
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": memory_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def header(info: dict) -> str:
    """The Markdown preamble: machine, versions, settings, duration and load."""
    m, size = info["machine"], info["size"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    return "\n".join(
        [
            f"Run {info['started']} with `{info['command']}`: {size['num_chains']} chains × "
            f"{size['num_warmup']} warm-up + {size['num_samples']} draws; {info['wall_s'] / 60:.1f} min in all.",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM; {m['platform']}; "
            f"Python {m['python']}; {versions}.",
            f"Load average (1 min) at start {info['load_start']:.2f}, at end {info['load_end']:.2f}.",
            "",
        ]
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODEL_KEYS), help="comma-separated letters (default: all)")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated peers (default: numpyro,blackjax)")
    parser.add_argument("--settings", default="", help="only these library/setting labels, comma-separated")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK.num_warmup} + {QUICK.num_samples} iterations: a smoke test")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "out"), help="where results.json/.md go")
    parser.add_argument("--results-md", action="store_true", help="also write benchmarks/RESULTS.md")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per worker")
    args = parser.parse_args(argv)

    models = [m for m in args.models.split(",") if m]
    peers = [p for p in args.peers.split(",") if p]
    unknown = sorted(set(models) - set(MODEL_KEYS)) + sorted(set(peers) - set(PEERS))
    if unknown:
        parser.error(f"unknown models or peers: {unknown}; models are {MODEL_KEYS}, peers {PEERS}")
    size = QUICK if args.quick else FULL
    runs = plan(models, peers, set(filter(None, args.settings.split(","))))

    started, load_start, clock = datetime.datetime.now().isoformat(timespec="seconds"), os.getloadavg()[0], time.time()
    records = []
    with tempfile.TemporaryDirectory(prefix="bm-bench-") as scratch:
        scratch = Path(scratch)
        caches: dict[tuple[str, str], str] = {}
        for i, (model, setting) in enumerate(runs, 1):
            cache_dir = None
            if setting.cache == "cold":
                cache_dir = caches[model, setting.name] = str(scratch / f"cache-{model}-{setting.name}")
            elif setting.cache == "warm":
                cache_dir = caches.get((model, setting.warm_from))
                if cache_dir is None:
                    print(f"[{i}/{len(runs)}] ({model}) {setting.label}: skipped, {setting.warm_from} did not run", file=sys.stderr)
                    continue
            tick = time.time()
            record = run_worker(model, setting, size, cache_dir, args.timeout, scratch)
            records.append(record)
            outcome = record.get("error") or f"first run {record['first_run']['seconds']:.1f} s"
            print(f"[{i}/{len(runs)}] ({model}) {setting.label}: {outcome} (worker {time.time() - tick:.0f} s)", file=sys.stderr)

    from benchmarks.models import MODELS

    info = {
        "started": started,
        "command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "size": vars(size),
        "machine": machine(),
        "wall_s": time.time() - clock,
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
    }
    rows = report.analyse(records, vars(size))
    tables = report.markdown(rows, {key: MODELS[key].NAME for key in models})
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    results = {
        **info,
        "records": records,
        "figures": [{k: r.get(k) for k in ("model", "library", "setting", "error", "figures", "ratios")} for r in rows],
        "targets": report.targets(rows),
    }
    (output / "results.json").write_text(json.dumps(results, indent=1))
    (output / "results.md").write_text(header(info) + tables)
    if args.results_md:  # the generated part is replaced; hand-written notes are kept
        path = ROOT / "benchmarks" / "RESULTS.md"
        notes = path.read_text().partition(NOTES_MARKER)[2] if path.exists() else ""
        path.write_text("# Benchmark results\n\n" + header(info) + tables + "\n" + NOTES_MARKER + (notes or "\n"))
    print(header(info) + tables)


if __name__ == "__main__":
    main()
