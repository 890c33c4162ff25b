"""The record of one call to a primitive, as it travels through the handler stack.

A ``Site`` has fixed, typed fields (it is a slotted dataclass), so a handler that
misspells a field raises ``AttributeError`` instead of silently writing a new key.
NumPyro code that reads sites as dicts (``site["value"]``) keeps working through
``__getitem__``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

__all__ = ["PlateFrame", "Site", "SITE_TYPES"]

SITE_TYPES = ("sample", "param", "deterministic", "plate", "prng_key")


class PlateFrame(NamedTuple):
    """One enclosing plate of a site: its name, batch dim, full size and subsample size."""

    name: str
    dim: int
    size: int
    subsample_size: int

    @property
    def scale(self) -> float:
        """How much one subsampled term stands for: ``size / subsample_size``."""
        return self.size / self.subsample_size


@dataclasses.dataclass(eq=False, slots=True)
class Site:
    """A primitive call: what it is, what it draws from, and what it ended up with.

    Fields:
        name: the site's name, unique within a model run.
        type: one of ``"sample"``, ``"param"``, ``"deterministic"``, ``"plate"``,
            ``"prng_key"``.
        fn: the distribution of a sample site (after plates have broadcast it); the
            ``PlateFrame`` of a plate site.
        value: the site's value; ``None`` until a handler or the default behaviour sets it.
        is_observed: True for data (``obs=`` or ``condition``).
        rng_key: the key a sample site draws with, set by ``seed``.
        sample_shape: extra leading shape of a draw (``sample(..., sample_shape=)``).
        scale: multiplier of the site's log density (subsampling, ``scale``), or None.
        mask: boolean array (or bool) switching log density terms off, or None.
        plates: the enclosing plates, innermost first.
        infer: free-form inference hints (``{"enumerate": "parallel"}``, ...).
        intermediates: values a distribution computed while sampling.
        init_value: a param site's initial value (or a function of a key giving it).
        constraint: a param site's constraint.
        event_dim: a param site's number of event dims (None: all of them).
        intervened: set by ``do`` on the sample it replaced.
        stop: set by ``block`` so that outer handlers do not see the site.
    """

    name: str
    type: str
    fn: Any = None
    value: Any = None
    is_observed: bool = False
    rng_key: Any = None
    sample_shape: tuple = ()
    scale: Any = None
    mask: Any = None
    plates: tuple = ()
    infer: dict = dataclasses.field(default_factory=dict)
    intermediates: list = dataclasses.field(default_factory=list)
    init_value: Any = None
    constraint: Any = None
    event_dim: int | None = None
    intervened: bool = False
    stop: bool = False

    def __post_init__(self):
        if self.type not in SITE_TYPES:
            raise ValueError(f"site {self.name!r}: type must be one of {SITE_TYPES}, got {self.type!r}")

    @property
    def cond_indep_stack(self) -> tuple:
        """NumPyro's name for ``plates``."""
        return self.plates

    @property
    def is_latent(self) -> bool:
        """A sample site whose value is drawn, not observed (nor an auxiliary factor)."""
        return self.type == "sample" and not self.is_observed

    def needs_rng_key(self) -> bool:
        """True when the default behaviour of this site would have to draw randomness."""
        if self.value is not None or self.rng_key is not None:
            return False
        if self.type == "sample":
            return not self.is_observed
        if self.type == "prng_key":
            return True
        if self.type == "plate":
            return self.fn.subsample_size < self.fn.size
        if self.type == "param":
            return callable(self.init_value)
        return False

    def copy(self) -> Site:
        """A shallow copy with its own ``infer`` dict."""
        return dataclasses.replace(self, infer=dict(self.infer))

    # NumPyro reads sites as dicts; keep that working for ported code.
    def __getitem__(self, key: str):
        if key == "cond_indep_stack":
            return self.plates
        if key not in _FIELD_NAMES:
            raise KeyError(f"a site has no field {key!r}; its fields are {sorted(_FIELD_NAMES)}")
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in _FIELD_NAMES or key == "cond_indep_stack"

    def get(self, key: str, default=None):
        return self[key] if key in self else default


_FIELD_NAMES = frozenset(field.name for field in dataclasses.fields(Site))
