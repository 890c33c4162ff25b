r"""Measure one (model, library, setting) in this fresh process and write a JSON record.

``python -m benchmarks.worker SPEC OUT`` (``run.py`` starts it; SPEC is a JSON object
``{"model", "library", "setting", "size", "quick_size"}``, OUT a path for the record).

What it does, in order:

1. imports the libraries (timed, but not part of any figure);
2. **first run** on the model's data (``data(0)``, key 0): one ``run`` call (or
   ``fit``), as a user makes it. Its wall time includes compilation; its draws give
   the ESS, r-hat, divergences, gradient count and the posterior means compared with
   NumPyro's;
3. **more draws** (most settings): ``num_samples`` more draws from where the first run
   left the chains, with no warm-up (NumPyro's ``post_warmup_state = last_state``
   idiom): the sampling phase on its own. Compilation seen here (NumPyro compiles a
   sampling-only program) is measured and subtracted;
4. **refit** (``bm.Model.fit``): two more fits at the quick size, on the same data
   (what changing only the run's length compiles) and then on new data of the same
   shapes (``data(1)``: what a second fit compiles);
5. (some settings) the time of one bare jitted gradient of the same log density.
"""

from __future__ import annotations

import json
import sys
import time
import warnings


def main(spec: dict, out_path: str) -> None:
    started = time.perf_counter()
    from benchmarks import measure, stats
    from benchmarks.libraries import SETTINGS, RunSize, make_runner
    from benchmarks.models import MODELS

    setting = next(s for s in SETTINGS if s.label == f"{spec['library']}/{spec['setting']}")
    model = MODELS[spec["model"]]
    size = RunSize(**spec["quick_size" if setting.quick else "size"])
    runner = make_runner(setting, model, size)
    import jax

    record = {
        "model": spec["model"],
        "library": setting.library,
        "setting": setting.name,
        "size": vars(size),
        "devices": jax.local_device_count(),
        "compilation_cache": jax.config.jax_compilation_cache_dir if jax.config.jax_enable_compilation_cache else None,
        "import_seconds": time.perf_counter() - started,
        "memory_after_import_mb": measure.peak_memory_mb(),
    }
    warnings.simplefilter("ignore")  # sampling warnings are judged from the figures

    def summarise(draws, keep_scalars=False) -> dict:
        figures = stats.summary(draws.samples, model.LATENTS, draws.num_steps, draws.diverging)
        return figures if keep_scalars else {k: v for k, v in figures.items() if k != "scalars"}

    data = model.data(0)
    with measure.Window() as first:
        draws = runner.run(data, seed=0)
    record["memory_first_run_mb"] = measure.peak_memory_mb()
    record["first_run"] = first.as_dict() | summarise(draws, keep_scalars=True)

    if setting.continuation and runner.continues:
        with measure.Window() as more:
            draws = runner.more_draws()
        record["more_draws"] = more.as_dict() | {"execution_seconds": more.execution_seconds} | summarise(draws)
    if setting.refit:
        quick = make_runner(setting, model, RunSize(**spec["quick_size"]))
        with measure.Window() as resized:
            quick.run(data, seed=0)
        with measure.Window() as refit:
            quick.run(model.data(1), seed=1)
        record["resized"], record["refit"] = resized.as_dict(), refit.as_dict()
    if setting.time_gradient:
        record["bare_gradient_seconds"] = measure.seconds_per_gradient(*runner.log_density(data))
    record["memory_end_mb"] = measure.peak_memory_mb()
    with open(out_path, "w") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), sys.argv[2])
