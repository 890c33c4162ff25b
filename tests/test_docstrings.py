"""Every public name has a docstring that documents its arguments and its return value.

The public names are the ``__all__`` of the public modules (the API reference in
``docs/api/`` is generated from the same docstrings). For a class, its docstring's ``Args:``
section documents the constructor, and each public method or property defined on the
class is checked too (an override without a docstring inherits its parent's). A function
or method documents every named parameter under ``Args:`` and has a ``Returns:`` (or
``Yields:``) section unless it is annotated ``-> None``.
"""

import importlib
import inspect
import re

import pytest

PUBLIC_MODULES = (
    "bayesmodels",
    "bayesmodels.distributions",
    "bayesmodels.distributions.constraints",
    "bayesmodels.distributions.transforms",
    "bayesmodels.handlers",
    "bayesmodels.infer",
    "bayesmodels.infer.autoguide",
    "bayesmodels.infer.reparam",
    "bayesmodels.infer.util",
    "bayesmodels.diagnostics",
    "bayesmodels.kernels",
    "bayesmodels.adaptation",
    "bayesmodels.results",
)

# A Google-style section header ("Args:", "Returns:", "Example:", ...) on a line of its own.
SECTION = re.compile(r"^(\s*)([A-Z][A-Za-z]*(?: [A-Za-z]+)?):\s*$", re.M)


def _public_objects():
    """(qualified name, object) for each public class or function, each object once."""
    seen, found = set(), []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                obj = type(obj)  # an instance (a constraint, a transform): its class is documented
                if not obj.__module__.startswith("bayesmodels"):
                    continue
            if id(obj) not in seen:
                seen.add(id(obj))
                found.append((f"{module_name}.{name}", obj))
    return found


def _sections(doc):
    """Section name -> its body (the lines up to the next section header)."""
    headers = list(SECTION.finditer(doc))
    return {
        match.group(2): doc[match.end() : headers[i + 1].start() if i + 1 < len(headers) else len(doc)]
        for i, match in enumerate(headers)
    }


def _documented_args(doc):
    body = _sections(doc).get("Args", "")
    return set(re.findall(r"^\s+\**(\w+)(?:\s*\([^)]*\))?:", body, re.M))


def _named_parameters(signature):
    return [
        p.name
        for p in signature.parameters.values()
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _returns_none(signature):
    return signature.return_annotation in (None, "None")


def _problems_of_callable(label, fn, signature, *, needs_returns):
    doc = inspect.getdoc(fn) or ""
    if not doc.strip():
        return [f"{label}: no docstring"]
    problems = []
    missing = [name for name in _named_parameters(signature) if name not in _documented_args(doc)]
    if missing:
        problems.append(f"{label}: arguments not under 'Args:': {missing}")
    if not any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()):
        unknown = sorted(_documented_args(doc) - {p.name for p in signature.parameters.values()})
        if unknown:
            problems.append(f"{label}: 'Args:' documents parameters it does not have: {unknown}")
    shared = re.findall(r"^\s+(\**\w+(?:,\s*\**\w+)+):", _sections(doc).get("Args", ""), re.M)
    if shared:
        problems.append(f"{label}: one 'Args:' entry per parameter (the API reference needs it), not {shared}")
    if needs_returns and not _returns_none(signature):
        if not {"Returns", "Yields"} & set(_sections(doc)):
            problems.append(f"{label}: no 'Returns:' section (annotate '-> None' if it returns nothing)")
    return problems


def _signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _problems_of_class(label, cls):
    signature = _signature(cls)
    if signature is None:
        return [] if (inspect.getdoc(cls) or "").strip() else [f"{label}: no docstring"]
    problems = _problems_of_callable(label, cls, signature, needs_returns=False)
    for name, raw in vars(cls).items():
        if name.startswith("_"):
            continue
        member = f"{label}.{name}"
        if isinstance(raw, property):
            if not (inspect.getdoc(raw) or "").strip():  # getdoc finds an overridden property's parent doc
                problems.append(f"{member}: property without a docstring")
        elif inspect.isfunction(raw) or isinstance(raw, (staticmethod, classmethod)):
            fn = getattr(cls, name)
            member_signature = _signature(fn)
            if member_signature is not None:
                problems += _problems_of_callable(member, fn, member_signature, needs_returns=True)
    return problems


PUBLIC = _public_objects()


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_name_documents_its_arguments_and_return(name, obj):
    if inspect.isclass(obj):
        problems = _problems_of_class(name, obj)
    else:
        problems = _problems_of_callable(name, obj, inspect.signature(obj), needs_returns=True)
    assert not problems, "\n".join(problems)


def test_the_check_catches_an_undocumented_argument_and_a_missing_return():
    def documented(x, y):
        """Add.

        Args:
            x: one number.
            y: another.

        Returns:
            their sum.
        """

    def half_documented(x, y):
        """Add.

        Args:
            x: one number.
        """

    assert _problems_of_callable("ok", documented, inspect.signature(documented), needs_returns=True) == []
    problems = _problems_of_callable("bad", half_documented, inspect.signature(half_documented), needs_returns=True)
    assert problems == [
        "bad: arguments not under 'Args:': ['y']",
        "bad: no 'Returns:' section (annotate '-> None' if it returns nothing)",
    ]
