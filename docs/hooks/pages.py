"""mkdocs hook: the guide pages' code runs, and the figures it draws appear on the page.

Every ``python`` block of a guide page runs, in order, in one namespace and a fresh working
directory (``tests/test_docs.py`` does this for every page; a block preceded by the line
``<!-- skip-test -->`` is shown but not run). A figure the code saves there, say
``plt.savefig("trace.png")`` on ``getting-started.md``, is published as
``getting-started/trace.png`` next to the page, which shows it with
``![Trace](getting-started/trace.png)``.

Output works the same way: a ``text`` block preceded by the line ``<!-- output -->`` shows
what the ``python`` block before it printed; the build replaces the block's content with
the recorded output (what the page's source holds there is only a placeholder).

The test suite records each page's run under ``build/pages/<page>/`` with a fingerprint of
the page and the library's code; the hook publishes the recorded figures and output, or
runs the page itself when the record is missing or out of date, so both always come from
the code on the page as it is now.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.pages")

REPOSITORY = Path(__file__).resolve().parents[2]
DOCS = REPOSITORY / "docs"
RUNS_DIR = REPOSITORY / "build" / "pages"
SKIP_MARK = "<!-- skip-test -->"
OUTPUT_MARK = "<!-- output -->"
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
FIGURE_SUFFIXES = (".png", ".svg", ".jpg")


def guide_pages() -> list[str]:
    """The guide pages: every page under ``docs/`` but the API reference (docstrings, run as
    doctests) and the generated gallery.

    Returns:
        their paths relative to ``docs/``, sorted.
    """
    return sorted(
        page.relative_to(DOCS).as_posix()
        for page in DOCS.rglob("*.md")
        if page.relative_to(DOCS).parts[0] not in ("api", "gallery")
    )


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ``python`` code blocks of a Markdown page that are meant to run, in order.

    Args:
        text: the page's Markdown.

    Returns:
        (line number, code) pairs, the code dedented to its fence's indentation.
    """
    blocks = []
    for match in FENCE.finditer(text):
        if match.group("lang") not in ("python", "py"):
            continue
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
        if before == SKIP_MARK:
            continue
        indent = match.group("indent")
        lines = match.group("body").splitlines(True)
        body = "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)
        blocks.append((text[: match.start()].count("\n") + 1, body))
    return blocks


def output_blocks(text: str) -> list[tuple[int, int, int]]:
    """The output placeholders of a page: ``text`` blocks right after ``<!-- output -->``.

    Args:
        text: the page's Markdown.

    Returns:
        (start, end, line) per placeholder: the span of the block's content in ``text`` and
        the line of the ``python`` block before it (whose output it shows), in order.

    Raises:
        ValueError: a placeholder with no ``python`` block before it.
    """
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
        if match.group("lang") != "text" or before != OUTPUT_MARK:
            continue
        earlier = [line for line, _ in python_blocks(text[: match.start()])]
        if not earlier:
            raise ValueError(f"the output block at line {text[: match.start()].count(chr(10)) + 1} follows no python block")
        found.append((match.start("body"), match.end("body"), earlier[-1]))
    return found


def fingerprint(page: str) -> str:
    """A hash of the page and the library's code (``gallery.library_fingerprint``).

    Args:
        page: the page's path relative to ``docs/``.

    Returns:
        a hex digest that changes whenever the page's figures could change.
    """
    digest = hashlib.sha256((DOCS / page).read_bytes())
    digest.update(_gallery().library_fingerprint().encode())
    return digest.hexdigest()


def _gallery():
    """``examples/gallery.py``, which fingerprints the library's code for both hooks."""
    if "examples_gallery" not in sys.modules:
        spec = importlib.util.spec_from_file_location("examples_gallery", REPOSITORY / "examples" / "gallery.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["examples_gallery"]


class PageCodeError(RuntimeError):
    """A code block of a guide page raised; the message names the page and the line."""


def run(page: str) -> tuple[list[Path], dict[int, str]]:
    """Run a page's code blocks in a fresh directory and record its figures and output.

    Args:
        page: the page's path relative to ``docs/``.

    Returns:
        the recorded figures (under ``build/pages/<page>/``, sorted by name) and what each
        block printed, by the line of its fence.

    Raises:
        PageCodeError: a block raised; the message gives the page, the block's line and the error.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace = {"__name__": f"docs_{Path(page).stem.replace('-', '_')}"}
    record_dir = RUNS_DIR / page
    printed = {}
    with tempfile.TemporaryDirectory() as workdir:
        previous = os.getcwd()
        os.chdir(workdir)
        try:
            for line, code in python_blocks((DOCS / page).read_text()):
                out = io.StringIO()
                try:
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                        exec(compile(code, f"docs/{page}:{line}", "exec"), namespace)
                    printed[line] = out.getvalue()
                except Exception as error:
                    raise PageCodeError(f"docs/{page}: the code block at line {line} failed: {error!r}") from error
        finally:
            os.chdir(previous)
            plt.close("all")
        shutil.rmtree(record_dir, ignore_errors=True)
        record_dir.mkdir(parents=True)
        figures = sorted(path for path in Path(workdir).iterdir() if path.suffix in FIGURE_SUFFIXES)
        for figure in figures:
            shutil.copy(figure, record_dir / figure.name)
    record = {
        "fingerprint": fingerprint(page),
        "figures": [figure.name for figure in figures],
        "printed": {str(line): text for line, text in printed.items()},
    }
    (record_dir / "run.json").write_text(json.dumps(record, indent=1))
    return [record_dir / figure.name for figure in figures], printed


def recorded(page: str) -> tuple[list[Path], dict[int, str]] | None:
    """The page's recorded run, or None when there is none or it is out of date.

    Args:
        page: the page's path relative to ``docs/``.

    Returns:
        the recorded figures and printed output (as :func:`run` returns them), if the
        record's fingerprint matches the current page and code.
    """
    record_dir = RUNS_DIR / page
    try:
        record = json.loads((record_dir / "run.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not {"fingerprint", "figures", "printed"} <= set(record):
        return None  # written by an older version of this hook
    figures = [record_dir / name for name in record["figures"]]
    if record["fingerprint"] != fingerprint(page) or not all(figure.exists() for figure in figures):
        return None
    return figures, {int(line): text for line, text in record["printed"].items()}


def _up_to_date_run(page: str):
    result = recorded(page)
    if result is None:
        log.info("pages: no up-to-date recorded run of %s; running its code", page)
        result = run(page)
    return result


def with_output(text: str, printed: dict[int, str]) -> str:
    """The page with each output placeholder filled with what its code block printed.

    Args:
        text: the page's Markdown.
        printed: what each ``python`` block printed, by the line of its fence.

    Returns:
        the Markdown to render.

    Raises:
        ValueError: a placeholder whose block printed nothing.
    """
    for start, end, line in reversed(output_blocks(text)):
        if not printed.get(line, "").strip():
            raise ValueError(f"the output block after the python block at line {line} shows nothing: it printed nothing")
        text = text[:start] + printed[line].rstrip("\n") + "\n" + text[end:]
    return text


def on_files(files, config, **kwargs):
    """Publish each page's figures next to it, running a page whose record is out of date."""
    from mkdocs.structure.files import File  # here, so the tests can use this module without mkdocs

    for page in guide_pages():
        text = (DOCS / page).read_text()
        stem = page[: -len(".md")]
        if f"]({Path(stem).name}/" not in text:
            continue  # the page shows no figure of its own
        figures, _ = _up_to_date_run(page)
        for figure in figures:
            files.append(File.generated(config, f"{stem}/{figure.name}", abs_src_path=str(figure)))
    return files


def on_page_markdown(markdown, page, **kwargs):
    """Fill a guide page's output placeholders with what its code printed."""
    src = page.file.src_uri
    if src not in guide_pages() or not output_blocks(markdown):
        return markdown
    _, printed = _up_to_date_run(src)
    return with_output(markdown, printed)
