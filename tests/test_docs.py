"""The documentation: its code runs, its machinery works, the API reference is complete.

Every ``python`` block of every guide page runs, in order, in one namespace (a page is one
session) in a fresh working directory (``docs/hooks/pages.py``; a block preceded by the line
``<!-- skip-test -->`` is shown but not run, and the page says why). The figures a page's
code saves are recorded for the docs build, which shows them on the page. The site itself
is built by ``.ci/run`` after the tests (``mkdocs build --strict``).
"""

import importlib
import importlib.util
import inspect
import json
import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _import_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pages = _import_path("docs_pages", DOCS / "hooks" / "pages.py")
gallery_hook = _import_path("docs_gallery", DOCS / "hooks" / "gallery.py")
gallery = gallery_hook.gallery
rst_math = _import_path("docs_rst_math", DOCS / "hooks" / "rst_math.py")


def test_python_blocks_finds_blocks_and_honours_the_skip_mark():
    text = "intro\n\n```python\nx = 1\n```\n\n<!-- skip-test -->\n```python\nraise SystemExit\n```\n\n```bash\nls\n```\n"
    assert pages.python_blocks(text) == [(3, "x = 1\n")]
    indented = "1. a step:\n\n    ```python\n    y = 2\n    ```\n"
    assert pages.python_blocks(indented) == [(3, "y = 2\n")]


def test_output_placeholders_show_what_the_block_before_printed():
    text = "```python\nprint(1)\n```\n\n<!-- output -->\n```text\nstale\n```\n\n```text\nkept\n```\n"
    assert [line for *_, line in pages.output_blocks(text)] == [1]
    assert pages.with_output(text, {1: "1\n"}) == text.replace("stale", "1")
    with pytest.raises(ValueError, match="printed nothing"):
        pages.with_output(text, {1: ""})


@pytest.mark.filterwarnings("ignore::bayesmodels.SamplingWarning")
@pytest.mark.parametrize("page", pages.guide_pages())
def test_guide_page_code_runs(page):
    try:
        figures, printed = pages.run(page)  # also records the figures and output the docs build shows
    except pages.PageCodeError as error:
        pytest.fail(str(error))
    text = (DOCS / page).read_text()
    shown = set(re.findall(rf"\]\({re.escape(Path(page).stem)}/([^)\s]+)\)", text))
    assert shown <= {figure.name for figure in figures}, f"docs/{page} shows figures its code does not draw"
    pages.with_output(text, printed)  # every output placeholder has output to show


def test_pages_exist():
    assert {"index.md", "getting-started.md"} <= set(pages.guide_pages())
    assert os.path.exists(DOCS.parent / "mkdocs.yml")


# ---------------------------------------------------------------- the site's machinery


def test_rst_maths_and_roles_become_markdown():
    docstring = (
        "Density :math:`\\lambda e^{-\\lambda x}`; see :class:`~bayesmodels.distributions.Gamma`.\n"
        "\n"
        "    .. math::\n"
        "\n"
        "        p(x) = \\lambda e^{-\\lambda x},\n"
        "            \\qquad x \\ge 0.\n"
        "\n"
        "    Example:\n"
        "        >>> 1 + 1\n"
        "        2\n"
        "Run it with::\n"
    )
    assert rst_math.rst_to_markdown(docstring) == (
        "Density $\\lambda e^{-\\lambda x}$; see `bayesmodels.distributions.Gamma`.\n"
        "\n"
        "    $$\n"
        "    p(x) = \\lambda e^{-\\lambda x},\n"
        "        \\qquad x \\ge 0.\n"
        "    $$\n"
        "\n"
        "    Examples:\n"
        "        >>> 1 + 1\n"
        "        2\n"
        "Run it with:\n"
    )


def _resolve(path):
    """The object a mkdocstrings identifier such as ``bayesmodels.infer.NUTS`` names."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(path)


def test_a_math_block_with_several_equations_becomes_one_display_each():
    text = ".. math::\n\n    a = 1\n\n    b = 2\n      + 3\n\nAfter.\n"
    assert rst_math.rst_to_markdown(text) == "$$\na = 1\n$$\n\n$$\nb = 2\n  + 3\n$$\n\nAfter.\n"


def test_every_public_name_is_in_the_api_reference():
    from tests.test_docstrings import PUBLIC

    identifiers = set()
    for page in (DOCS / "api").rglob("*.md"):
        identifiers |= set(re.findall(r"^::: ([\w.]+)", page.read_text(), re.M))
    resolved = [_resolve(identifier) for identifier in identifiers]
    documented = {id(obj) for obj in resolved} | {id(type(obj)) for obj in resolved}  # PUBLIC has instances' classes
    whole_modules = {identifier for identifier in identifiers if inspect.ismodule(_resolve(identifier))}
    missing = [
        name
        for name, obj in PUBLIC
        if id(obj) not in documented and name.rpartition(".")[0] not in whole_modules
    ]
    assert not missing, f"public names without an entry in docs/api/: {missing}"


def test_every_example_script_is_a_gallery_page_the_tests_run():
    scripts = {script.stem for script in gallery.EXAMPLES_DIR.glob("*.py")} - {"gallery"}
    assert scripts == set(gallery.EXAMPLES) == set(gallery.TITLES)
    example_tests = (DOCS.parent / "tests" / "test_examples.py").read_text()
    assert all(f'gallery.run("{name}")' in example_tests for name in scripts)


def test_a_gallery_page_shows_description_figures_output_and_code(tmp_path):
    run = gallery.Run("eight_schools", f"mu  4.41\nplotted to {tmp_path}/eight_schools_trace.png\n", [tmp_path / "eight_schools_trace.png"])
    title, description = gallery_hook.describe(gallery.EXAMPLES_DIR / "eight_schools.py")
    text = gallery_hook.page("eight_schools", run, title, description, "print(1)\n")
    assert text.startswith("# Eight schools")
    assert "![eight schools trace](eight_schools/eight_schools_trace.png)" in text
    assert "```text\nmu  4.41\nplotted to eight_schools_trace.png\n```" in text and "```python\nprint(1)\n```" in text
    assert "num_warmup=200" in text  # the settings of the run shown
    assert text.index("## Figures") < text.index("## Output") < text.index("## Code")


def test_a_recorded_run_is_used_only_while_its_fingerprint_matches(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "RUNS_DIR", tmp_path)
    record = tmp_path / "eight_schools"
    record.mkdir()
    (record / "output.txt").write_text("printed\n")
    (record / "a.png").write_bytes(b"png")
    (record / "run.json").write_text(json.dumps({"fingerprint": gallery.fingerprint("eight_schools"), "figures": ["a.png"]}))
    assert gallery.recorded("eight_schools") == gallery.Run("eight_schools", "printed\n", [record / "a.png"])
    (record / "run.json").write_text(json.dumps({"fingerprint": "stale", "figures": ["a.png"]}))
    assert gallery.recorded("eight_schools") is None
    assert gallery.recorded("time_series") is None  # never recorded here


def test_the_library_fingerprint_ignores_docstrings_and_annotations_only():
    import ast

    def dump(source):
        return ast.dump(gallery._without_docstrings(ast.parse(source)))

    plain = "def f(x):\n    return x + 1\n"
    assert dump('"""Module."""\ndef f(x) -> int:\n    """Add one."""\n    return x + 1\n') == dump(plain)
    assert dump("def f(x):\n    return x + 2\n") != dump(plain)
