"""Imports flow one way (DESIGN.md, "Layers"): a lower layer never imports a higher one.

The check reads each module's import statements, so it needs no layer to exist yet:
as layers land (effects, model, kernels, ...), their rank here keeps them honest.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "bayesmodels"

# rank: a module may import only from layers of the same or lower rank
LAYERS = {
    "distributions": 0,
    "primitives": 1,
    "handlers": 1,
    "effects": 1,
    "logdensity": 2,  # the model -> log density package (bayesmodels/_logdensity/)
    "kernels": 3,
    "adaptation": 3,
    "results": 4,  # InferenceResult sits below the drivers: every driver returns one
    "diagnostics": 4,
    "infer": 5,
    "model": 6,  # the sklearn-like bm.Model front (bayesmodels/model.py), on top of all
}


def _layer_of(module: str):
    parts = module.split(".")
    if parts[0] != "bayesmodels" or len(parts) < 2:
        return None
    return LAYERS.get(parts[1].lstrip("_"))


def _imports(path: Path, module: str):
    tree = ast.parse(path.read_text())
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                yield ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.module


def test_lower_layers_never_import_higher_ones():
    violations = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        own = _layer_of(module)
        if own is None:
            continue
        for imported in _imports(path, module):
            other = _layer_of(imported)
            if other is not None and other > own:
                violations.append(f"{module} imports {imported}")
    assert not violations, "imports against the layer order:\n" + "\n".join(violations)


def test_library_never_imports_benchmark_peers():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        for peer in ("numpyro", "blackjax"):
            assert f"import {peer}" not in text and f"from {peer}" not in text, (path, peer)
