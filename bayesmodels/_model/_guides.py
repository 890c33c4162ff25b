"""``fit(method="vi", guide=...)``: which guide a name stands for."""

from __future__ import annotations

import inspect

from ..infer.autoguide import (
    AutoDelta,
    AutoDiagonalNormal,
    AutoGuide,
    AutoLaplaceApproximation,
    AutoLowRankMultivariateNormal,
    AutoMultivariateNormal,
    AutoNormal,
)

__all__ = ["GUIDES", "make_guide"]

GUIDES = {
    "normal": AutoNormal,
    "diagonal": AutoDiagonalNormal,
    "mvn": AutoMultivariateNormal,
    "lowrank": AutoLowRankMultivariateNormal,
    "delta": AutoDelta,
    "laplace": AutoLaplaceApproximation,
}


def make_guide(guide, model):
    """The guide for ``model``: a name in ``GUIDES``, an ``AutoGuide`` class, an autoguide
    instance (of this model), or a hand-written guide function."""
    if isinstance(guide, str):
        name = guide.lower()
        if name not in GUIDES:
            raise ValueError(f"guide={guide!r} is not a guide name; use one of {', '.join(GUIDES)}, or a guide")
        return GUIDES[name](model)
    if inspect.isclass(guide) and issubclass(guide, AutoGuide):
        return guide(model)
    if isinstance(guide, AutoGuide):
        if guide.model != model:
            raise ValueError(
                f"the guide {type(guide).__name__} was built for {guide.model!r}, not for this model; "
                f"build it with {type(guide).__name__}(model) or pass its name"
            )
        return guide
    if callable(guide):
        return guide
    raise ValueError(
        f"guide must be one of {', '.join(repr(n) for n in GUIDES)}, an autoguide, or a guide function; got {guide!r}"
    )
