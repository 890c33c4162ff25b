"""Rows of the distribution table and the reference objects they compare against.

A :class:`Case` names a distribution constructor, one to three parameter sets, and a
*reference*: an object exposing whichever of ``log_prob``, ``cdf``, ``icdf``, ``mean``,
``variance`` and ``entropy`` it can compute independently of bayesmodels (from
``scipy.stats``, a direct formula, or numerical integration). The test module checks every
method the reference has, for scalar parameters (the first set) and batched parameters
(the sets stacked along a new batch axis).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate


@dataclass(frozen=True)
class Case:
    """One distribution family (or parametrisation) under test.

    Attributes:
        dist: the constructor, called as ``dist(**params)``.
        params: parameter sets. Each must give a distribution with the same batch and
            event shapes; the batched check stacks them along a new leading batch axis.
        reference: ``reference(**params)`` returns a reference object for one parameter
            set (see :class:`Scipy` and :class:`Numerical`), or ``None``.
        id: test id; defaults to the constructor's name.
        sample_test: "ks" (univariate continuous, needs reference cdf), "chi2"
            (univariate discrete, needs reference log_prob), "moments" (mean and variance
            within 5 standard errors; any family), or "none" (explain why in ``note``).
        grad_params: parameters whose ``rsample`` gradient is checked against finite
            differences (default: the scalar-valued float parameters).
        rtol, atol: tolerances for comparisons with the reference. The defaults suit
            float32 arithmetic against a float64 reference; widen only with a reason in
            ``note``.
        note: why a default was changed.
    """

    dist: Callable[..., Any]
    params: Sequence[dict]
    reference: Callable[..., Any] | None
    id: str = ""
    sample_test: str = "ks"
    grad_params: Sequence[str] | None = None
    rtol: float = 1e-4
    atol: float = 1e-4
    note: str = ""

    def __post_init__(self):
        if not self.id:
            object.__setattr__(self, "id", getattr(self.dist, "__name__", str(self.dist)))
        if self.sample_test not in ("ks", "chi2", "moments", "none"):
            raise ValueError(f"{self.id}: unknown sample_test {self.sample_test!r}")
        if self.sample_test == "none" and not self.note:
            raise ValueError(f"{self.id}: sample_test='none' needs a note saying why")


@dataclass(frozen=True)
class Invalid:
    """Constructor arguments that must raise ``ValueError`` naming ``param``."""

    dist: Callable[..., Any]
    params: dict
    param: str
    id: str = ""

    def __post_init__(self):
        if not self.id:
            name = getattr(self.dist, "__name__", str(self.dist))
            object.__setattr__(self, "id", f"{name}-{self.param}")


class Scipy:
    """Reference backed by a frozen ``scipy.stats`` distribution.

    ``icdf`` maps to ``ppf``, ``variance`` to ``var()``; a discrete frozen distribution's
    ``logpmf`` serves as ``log_prob``. Pass ``skip`` to leave out methods scipy gets wrong
    or lacks for this family (e.g. ``skip=("entropy",)``).
    """

    def __init__(self, frozen, skip: Sequence[str] = ()):
        self.frozen = frozen
        self.skip = set(skip)
        dist = getattr(frozen, "dist", None)
        self.discrete = hasattr(frozen, "pmf") or hasattr(dist, "pmf")

    def __getattr__(self, name):
        if name in ("frozen", "skip", "discrete"):
            raise AttributeError(name)
        if name in self.skip:
            raise AttributeError(name)
        f = self.frozen
        if name == "log_prob":
            return f.logpmf if self.discrete else f.logpdf
        if name == "cdf":
            return f.cdf
        if name == "icdf":
            return f.ppf
        if name == "mean":
            return _call_or_value(f.mean)
        if name == "variance":
            if hasattr(f, "var"):
                return _call_or_value(f.var)
            return np.diagonal(np.asarray(f.cov), axis1=-2, axis2=-1)
        if name == "entropy":
            return lambda: np.asarray(f.entropy())
        raise AttributeError(name)


def _call_or_value(x):
    return x() if callable(x) else x


@dataclass
class Numerical:
    """Reference for a univariate continuous family scipy lacks.

    Give the log density as a NumPy formula written independently of the library; the cdf,
    mean, variance and entropy come from numerical integration over ``[lower, upper]``.
    ``icdf`` inverts the numerical cdf with a root finder.
    """

    log_density: Callable[[np.ndarray], np.ndarray]
    lower: float = -np.inf
    upper: float = np.inf
    skip: Sequence[str] = field(default_factory=tuple)

    def __getattribute__(self, name):
        if name in ("cdf", "icdf", "mean", "variance", "entropy") and name in object.__getattribute__(
            self, "skip"
        ):
            raise AttributeError(name)
        return object.__getattribute__(self, name)

    def log_prob(self, x):
        return np.asarray(self.log_density(np.asarray(x, dtype=np.float64)))

    def _pdf(self, x):
        return float(np.exp(self.log_density(np.float64(x))))

    def _integrate(self, f, lower=None, upper=None):
        lower = self.lower if lower is None else lower
        upper = self.upper if upper is None else upper
        value, _ = integrate.quad(f, lower, upper, limit=200, epsabs=1e-12, epsrel=1e-10)
        return value

    def cdf(self, x):
        x = np.asarray(x, dtype=np.float64)
        flat = [self._integrate(self._pdf, upper=min(v, self.upper)) if v > self.lower else 0.0
                for v in x.ravel()]
        return np.reshape(flat, x.shape)

    def icdf(self, q):
        from scipy.optimize import brentq

        q = np.asarray(q, dtype=np.float64)
        lo = self.lower if np.isfinite(self.lower) else -1e6
        hi = self.upper if np.isfinite(self.upper) else 1e6
        flat = [brentq(lambda x, p=p: float(self.cdf(x)) - p, lo, hi, xtol=1e-12) for p in q.ravel()]
        return np.reshape(flat, q.shape)

    @property
    def mean(self):
        return self._integrate(lambda x: x * self._pdf(x))

    @property
    def variance(self):
        m = self.mean
        return self._integrate(lambda x: (x - m) ** 2 * self._pdf(x))

    def entropy(self):
        def integrand(x):
            p = self._pdf(x)
            return -p * float(self.log_density(np.float64(x))) if p > 0 else 0.0

        return self._integrate(integrand)


class Formula:
    """Reference built from explicit functions (for multivariate or discrete families
    scipy lacks). Pass any of ``log_prob``, ``cdf``, ``icdf``, ``entropy`` as callables and
    ``mean``, ``variance`` as values."""

    def __init__(self, **methods):
        for name, value in methods.items():
            if name not in ("log_prob", "cdf", "icdf", "mean", "variance", "entropy"):
                raise ValueError(f"Formula: unknown method {name!r}")
            setattr(self, name, value)
