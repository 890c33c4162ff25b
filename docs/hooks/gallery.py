"""mkdocs hook: the example gallery, one page per script in ``examples/gallery.py``.

Each page shows the script's description (its module docstring), the code, what it printed
and the figures it drew. The output and figures are those of the run the test suite
recorded (``tests/test_examples.py`` runs every example through ``gallery.run``); when a
record is missing or out of date (its fingerprint covers the script, its settings and the
library's source), the hook runs the example itself. So a page always shows the output of
the code as it is now.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import sys
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.gallery")

REPOSITORY = Path(__file__).resolve().parents[2]


def _import(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gallery = _import("examples_gallery", REPOSITORY / "examples" / "gallery.py")
rst = _import("docs_rst_math", REPOSITORY / "docs" / "hooks" / "rst_math.py")


def describe(script: Path) -> tuple[str, str]:
    """The title (first docstring line) and description (the rest) of an example script.

    Args:
        script: the example's path.

    Returns:
        (title, description in Markdown).
    """
    docstring = ast.get_docstring(ast.parse(script.read_text())) or script.stem
    title, _, body = docstring.partition("\n")
    return title.rstrip("."), rst.rst_to_markdown(body.strip())


def _without_run_dir(run) -> str:
    """The printed output with the recording directory cut from the figures' paths."""
    printed = run.printed
    for directory in {str(figure.parent) for figure in run.figures}:
        printed = printed.replace(directory + "/", "")
    return printed


def page(name: str, run, title: str, description: str, code: str) -> str:
    """The Markdown of one gallery page.

    Args:
        name: the example's name (its script is ``examples/<name>.py``).
        run: its recorded run (``printed`` and ``figures``).
        title: the page title.
        description: the script's description, in Markdown.
        code: the script's source.

    Returns:
        the page's Markdown: description, figures, output, code.
    """
    settings = ", ".join(f"{key}={value!r}" for key, value in gallery.EXAMPLES[name].items())
    parts = [
        f"# {title}",
        description,
        "## Figures",
        *(f"![{figure.stem.replace('_', ' ')}]({name}/{figure.name})" for figure in run.figures),
        "## Output",
        f"What `main(out_dir{', ' + settings if settings else ''})` printed, in the run the test "
        "suite checks (`tests/test_examples.py`). Running `python examples/"
        f"{name}.py` uses the script's full-length defaults.",
        "```text\n" + _without_run_dir(run).rstrip() + "\n```",
        "## Code",
        f"`examples/{name}.py`:",
        "```python\n" + code.rstrip() + "\n```",
    ]
    return "\n\n".join(parts) + "\n"


def index(entries: list[tuple[str, str, str, object]]) -> str:
    """The gallery's front page: each example's title, first paragraph and first figure.

    Args:
        entries: (name, short title, description, run) per example, in gallery order.

    Returns:
        the page's Markdown.
    """
    lines = [
        "# Gallery",
        "Worked examples, each a script in `examples/` that the test suite runs and checks; "
        "the output and figures on each page come from that run.",
    ]
    for name, title, description, run in entries:
        first_paragraph = description.split("\n\n")[0]
        figure = f"[![{title}]({name}/{run.figures[0].name}){{ width=480 }}]({name}.md)" if run.figures else ""
        lines += [f"## [{title}]({name}.md)", first_paragraph, figure]
    return "\n\n".join(lines) + "\n"


def on_config(config, **kwargs):
    """Add the gallery section to the navigation, before the API reference."""
    entries = [{"Overview": "gallery/index.md"}]
    entries += [{gallery.TITLES[name]: f"gallery/{name}.md"} for name in gallery.EXAMPLES]
    nav = config["nav"]
    position = next((i for i, item in enumerate(nav) if "API reference" in item), len(nav))
    nav.insert(position, {"Gallery": entries})
    return config


def on_files(files, config, **kwargs):
    """Generate the gallery pages and add the figures they show."""
    from mkdocs.structure.files import File  # here, so the tests can use this module without mkdocs

    entries = []
    for name in gallery.EXAMPLES:
        run = gallery.recorded(name)
        if run is None:
            log.info("gallery: no up-to-date recorded run of %s; running it", name)
            run = gallery.run(name)
        script = gallery.EXAMPLES_DIR / f"{name}.py"
        title, description = describe(script)
        files.append(File.generated(config, f"gallery/{name}.md", content=page(name, run, title, description, script.read_text())))
        for figure in run.figures:
            files.append(File.generated(config, f"gallery/{name}/{figure.name}", abs_src_path=str(figure)))
        entries.append((name, gallery.TITLES[name], description, run))
    files.append(File.generated(config, "gallery/index.md", content=index(entries)))
    return files
