r"""Docstring reST for the API reference: maths to MathJax, roles to code spans.

The package's docstrings are Google style with a little reST: display maths as a
``.. math::`` block, inline maths as :math:`...`, cross-references as :class:`...` (and
``:func:``, ``:meth:``, ``:mod:``), and ``text::`` before a literal block. mkdocstrings renders
Markdown, so this griffe extension rewrites those pieces as the docs load them:

- a ``.. math::`` block becomes ``$$ ... $$`` at the block's indentation,
- :math:`x` becomes ``$x$`` (pymdownx.arithmatex, generic mode, hands both to MathJax),
- :class:`X` and the other roles become the code span ```X```,
- a trailing ``::`` becomes ``:`` (the indented block after it is already a code block),
- an ``Example:`` header becomes ``Examples:``, the section griffe renders as code (it
  reads the singular as an admonition of prose).

The docstrings themselves stay as they are, so ``help()`` in a terminal still reads well.
"""

from __future__ import annotations

import re

import griffe

INLINE_MATH = re.compile(r":math:`([^`]+)`")
ROLE = re.compile(r":(?:class|func|meth|mod|attr|obj|data|exc):`~?([^`]+)`")
MATH_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<inline>.*)$")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _split_at_blank_lines(lines: list[str]) -> list[list[str]]:
    groups, current = [], []
    for line in lines + [""]:
        if line.strip():
            current.append(line)
        elif current:
            groups.append(current)
            current = []
    return groups


def convert_math_blocks(text: str) -> str:
    """Replace each ``.. math::`` directive and its indented body with ``$$`` blocks.

    Equations separated by a blank line in the body (reST's way of writing several) become
    one ``$$`` block each.

    Args:
        text: a docstring.

    Returns:
        the docstring with display maths in ``$$ ... $$`` fences, indented as the directive was.
    """
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        match = MATH_DIRECTIVE.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent = match.group("indent")
        body = [match.group("inline")] if match.group("inline").strip() else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent_of(lines[i]) > len(indent)):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        depth = min((_indent_of(line) for line in body if line.strip()), default=0)
        for equation in _split_at_blank_lines(body):  # a blank line would end a Markdown block
            out += [f"{indent}$$"] + [indent + line[depth:] for line in equation] + [f"{indent}$$", ""]
    return "\n".join(out).rstrip("\n") + ("\n" if text.endswith("\n") else "")


def rst_to_markdown(text: str) -> str:
    """The docstring with its reST maths, roles and literal markers in Markdown.

    Args:
        text: a docstring.

    Returns:
        the converted docstring.

    Example:
        >>> rst_to_markdown("Density :math:`e^{-x}`, see :class:`Exponential`::")
        'Density $e^{-x}$, see `Exponential`:'
    """
    text = convert_math_blocks(text)
    text = INLINE_MATH.sub(lambda m: f"${m.group(1)}$", text)
    text = ROLE.sub(lambda m: f"`{m.group(1)}`", text)
    text = re.sub(r"^([ \t]*)Example:[ \t]*$", r"\1Examples:", text, flags=re.M)
    return re.sub(r"(?<=\S)::[ \t]*$", ":", text, flags=re.M)


class ReSTMath(griffe.Extension):
    """Converts every loaded docstring with :func:`rst_to_markdown`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        """Rewrite ``obj``'s docstring in place (griffe calls this for every object).

        Args:
            obj: the object griffe has just loaded.
            **kwargs: the other hook arguments (unused).
        """
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
