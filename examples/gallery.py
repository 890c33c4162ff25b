"""The example gallery: which scripts become pages, the settings they run with, their runs.

The test suite runs every example through :func:`run` (``tests/test_examples.py``) and
checks what it printed; each run is also recorded under ``build/gallery/<name>/`` (the
printed output, the figures and a fingerprint of the script, its settings and the
library's source). The docs build (``docs/hooks/gallery.py``) turns each recorded run into
a gallery page, and runs the example itself when the record is missing or its fingerprint
no longer matches, so a page never shows output that the current code did not produce.

Settings are short runs, the ones the tests check; running a script from the command line
uses its full defaults.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.util
import io
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent
REPOSITORY = EXAMPLES_DIR.parent
RUNS_DIR = REPOSITORY / "build" / "gallery"

SHORT_RUN = dict(num_warmup=200, num_samples=200, num_chains=2, progress_bar=False)

# name -> keyword arguments of the example's main(out_dir, ...) for the tests and the gallery,
# in the order the gallery lists them
EXAMPLES: dict[str, dict] = {
    "numpyro_basics": {},
    "numpyro_basics_class": SHORT_RUN,
    "linear_regression": SHORT_RUN,
    "logistic_regression": SHORT_RUN,
    "eight_schools": SHORT_RUN,
    "hierarchical_regression": SHORT_RUN,
    "mixture_model": SHORT_RUN,
    "time_series": SHORT_RUN,
    "gaussian_process": SHORT_RUN,
    "variational_inference": dict(num_steps=3000, num_samples=800, num_warmup=300, progress_bar=False),
}

# the gallery's short titles (the pages' headings are the scripts' first docstring lines)
TITLES: dict[str, str] = {
    "numpyro_basics": "The NumPyro tutorial, ported",
    "numpyro_basics_class": "The NumPyro tutorial as a Model class",
    "linear_regression": "Linear regression",
    "logistic_regression": "Logistic regression",
    "eight_schools": "Eight schools",
    "hierarchical_regression": "Hierarchical regression (radon)",
    "mixture_model": "Mixture with discrete assignments",
    "time_series": "Time series: local level and forecast",
    "gaussian_process": "Gaussian-process regression",
    "variational_inference": "Variational inference",
}


@dataclass(frozen=True)
class Run:
    """One run of an example: what it printed and the figures it wrote (in order)."""

    name: str
    printed: str
    figures: list[Path]


def load(name: str):
    """Import ``examples/<name>.py`` as a module (the examples are scripts, not a package).

    Args:
        name: the script's name without ``.py``.

    Returns:
        the imported module.
    """
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses and pickling look there)
    spec.loader.exec_module(module)
    return module


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None  # annotations do not change what the code computes
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


@functools.lru_cache(maxsize=1)  # one build or test session reads the code once
def library_fingerprint() -> str:
    """A hash of the library's code: its syntax trees without docstrings, comments or return
    annotations.

    Editing a docstring or a comment leaves it unchanged; any change that could change what
    the code computes changes it.

    Returns:
        a hex digest.
    """
    digest = hashlib.sha256()
    for source in sorted((REPOSITORY / "bayesmodels").rglob("*.py")):
        digest.update(str(source.relative_to(REPOSITORY)).encode())
        digest.update(ast.dump(_without_docstrings(ast.parse(source.read_bytes()))).encode())
    return digest.hexdigest()


def fingerprint(name: str) -> str:
    """A hash of the script, its gallery settings and the library's code.

    Args:
        name: the example's name.

    Returns:
        a hex digest that changes whenever the example's output could change.
    """
    digest = hashlib.sha256()
    digest.update((EXAMPLES_DIR / f"{name}.py").read_bytes())
    digest.update(json.dumps(EXAMPLES[name], sort_keys=True).encode())
    digest.update(library_fingerprint().encode())
    return digest.hexdigest()


def run(name: str) -> Run:
    """Run an example with its gallery settings, record the run and return it.

    Args:
        name: a key of ``EXAMPLES``.

    Returns:
        the run: printed output and figure paths (under ``build/gallery/<name>/``).
    """
    out_dir = RUNS_DIR / name
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        figures = [Path(figure) for figure in load(name).main(out_dir, **EXAMPLES[name])]
    (out_dir / "output.txt").write_text(printed.getvalue())
    record = {"fingerprint": fingerprint(name), "figures": [figure.name for figure in figures]}
    (out_dir / "run.json").write_text(json.dumps(record, indent=1))
    return Run(name, printed.getvalue(), figures)


def recorded(name: str) -> Run | None:
    """The recorded run of an example, or None when there is none or it is out of date.

    Args:
        name: a key of ``EXAMPLES``.

    Returns:
        the run as :func:`run` recorded it, if its fingerprint matches the current code.
    """
    out_dir = RUNS_DIR / name
    try:
        record = json.loads((out_dir / "run.json").read_text())
        printed = (out_dir / "output.txt").read_text()
    except (OSError, ValueError):
        return None
    figures = [out_dir / figure for figure in record["figures"]]
    if record["fingerprint"] != fingerprint(name) or not all(figure.exists() for figure in figures):
        return None
    return Run(name, printed, figures)
