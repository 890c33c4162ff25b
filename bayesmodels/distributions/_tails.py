r"""Tail probabilities of univariate distributions, in log space.

Truncation and censoring need :math:`\log F(x)`, :math:`\log S(x) = \log(1 - F(x))`,
:math:`\log P(a < X \le b)` and the quantile functions that invert them, accurately in
both tails. Working with :math:`F` alone fails in the right tail: in float32
:math:`1 - F(x)` is exactly 0 beyond about four standard deviations of a Normal.

Three levels of accuracy, picked by the family of the distribution:

* ``Normal``: ``log_ndtr`` and ``ndtri``, accurate far into both tails;
* families symmetric about ``loc`` (Cauchy, Laplace, Logistic, StudentT, SoftLaplace,
  when they exist): the right tail is read off the left one by reflection,
  :math:`S(x) = F(2\,\mathrm{loc} - x)`;
* anything else with a ``cdf`` and ``icdf``: :math:`\log F` and :math:`\log(1 - F)`
  straight from ``cdf``, clipped so that they stay finite.
"""

from __future__ import annotations

import importlib
import math

import jax.numpy as jnp
from jax.scipy.special import log_ndtr, ndtri

from . import _constraints as constraints
from ._continuous_real import Normal
from ._distribution import Distribution
from ._util import clamp_probs

__all__ = [
    "family",
    "icdf_of_log_tail",
    "is_upper_half",
    "log_cdf",
    "log_mass_between",
    "log_mass_from_tails",
    "log_survival",
    "support_bounds",
]

_SYMMETRIC_ABOUT_LOC = ("Normal", "Cauchy", "Laplace", "Logistic", "StudentT", "SoftLaplace")
_LOG_HALF = math.log(0.5)
_LOG_2 = math.log(2.0)


def family(name: str):
    """The distribution class ``bayesmodels.distributions.<name>``, or None if there is none.

    Looked up when called, so that families in other modules need not be imported here.
    """
    return getattr(importlib.import_module(__package__), name, None)


def _is_symmetric(d: Distribution) -> bool:
    if not hasattr(d, "loc"):
        return False
    classes = tuple(c for c in map(family, _SYMMETRIC_ABOUT_LOC) if isinstance(c, type))
    return isinstance(d, classes)


def _tiny(x):
    return jnp.finfo(jnp.result_type(x, float)).tiny


def log_cdf(d: Distribution, x):
    r""":math:`\log P(X \le x)`."""
    if isinstance(d, Normal):
        return log_ndtr((x - d.loc) / d.scale)
    cdf = d.cdf(x)
    return jnp.log(jnp.clip(cdf, _tiny(cdf), 1.0))


def log_survival(d: Distribution, x):
    r""":math:`\log P(X > x)`."""
    if isinstance(d, Normal):
        return log_ndtr((d.loc - x) / d.scale)
    if _is_symmetric(d):
        cdf = d.cdf(2 * d.loc - x)
        return jnp.log(jnp.clip(cdf, _tiny(cdf), 1.0))
    cdf = d.cdf(x)
    eps = jnp.finfo(jnp.result_type(cdf, float)).eps
    return jnp.log1p(-jnp.clip(cdf, 0.0, 1.0 - eps))


def _standard_normal_quantile_of_log(log_p):
    r"""The :math:`z` with :math:`\log\Phi(z) = \log p`, also where :math:`p` underflows.

    ``ndtri(exp(log_p))`` serves until :math:`p` nears the smallest normal float (about
    :math:`z = -13` in float32); beyond, Newton's method on :math:`t \mapsto \log\Phi(-t)`
    from the asymptotic :math:`t^2 \approx 2L - \log(2\pi \cdot 2L)`, :math:`L = -\log p`.
    """
    log_p = jnp.asarray(log_p)
    threshold = math.log(jnp.finfo(jnp.result_type(log_p, float)).tiny) + 10.0
    regular = ndtri(clamp_probs(jnp.exp(jnp.maximum(log_p, threshold))))
    deep = jnp.minimum(log_p, threshold)  # each branch sees inputs it handles
    two_l = -2.0 * deep
    t = jnp.sqrt(two_l - jnp.log(2 * math.pi * two_l))
    for _ in range(2):  # quadratic convergence: 1e-3 -> 1e-7 -> 1e-14
        log_tail = log_ndtr(-t)
        slope = -jnp.exp(-0.5 * t**2 - 0.5 * math.log(2 * math.pi) - log_tail)
        t = t - (log_tail - deep) / slope
    return jnp.where(log_p < threshold, -t, regular)


def icdf_of_log_tail(d: Distribution, log_p, upper):
    r"""The :math:`x` with :math:`\log F(x) = \log p`, or :math:`\log S(x) = \log p` where
    ``upper`` is True: accurate when :math:`p` is small, in whichever tail it is."""
    if isinstance(d, Normal):
        z = _standard_normal_quantile_of_log(log_p)
        return d.loc + d.scale * jnp.where(upper, -z, z)
    if _is_symmetric(d):
        x = d.icdf(clamp_probs(jnp.exp(log_p)))
        return jnp.where(upper, 2 * d.loc - x, x)
    return d.icdf(clamp_probs(jnp.where(upper, -jnp.expm1(log_p), jnp.exp(log_p))))


def _log1mexp_finite(x):
    r""":math:`\log(1 - e^x)` with ``x`` kept strictly negative, so neither it nor its
    gradient is infinite when two tail probabilities round to the same number. Each branch
    gets an input it handles (the double-``where`` idiom), so the branch not taken cannot
    put NaN into the gradient."""
    x = jnp.minimum(x, -_tiny(x))
    near_zero = x > -_LOG_2
    x_near = jnp.where(near_zero, x, -1.0)
    x_far = jnp.where(near_zero, -1.0, x)
    return jnp.where(near_zero, jnp.log(-jnp.expm1(x_near)), jnp.log1p(-jnp.exp(x_far)))


def log_mass_between(d: Distribution, a, b):
    r""":math:`\log P(a < X \le b)` for :math:`a < b`.

    The difference is taken between cdfs when :math:`a` lies below the median, and
    between survival functions when it lies above, so that an interval far in either
    tail keeps its digits.
    """
    return log_mass_from_tails(log_cdf(d, a), log_survival(d, a), log_cdf(d, b), log_survival(d, b))


def log_mass_from_tails(log_fa, log_sa, log_fb, log_sb):
    """``log_mass_between`` from the log cdf and log survival at both ends."""
    via_cdf = log_fb + _log1mexp_finite(log_fa - log_fb)
    via_survival = log_sa + _log1mexp_finite(log_sb - log_sa)
    return jnp.where(is_upper_half(log_fa), via_survival, via_cdf)


def is_upper_half(log_f):
    """Whether a point with log cdf ``log_f`` lies above the median (work with survival)."""
    return log_f > _LOG_HALF


def support_bounds(support: constraints.Constraint):
    """``(lower, upper)`` of a univariate interval-like support; ``None`` for an open end.

    Raises ``ValueError`` for a support that is not an interval of the real line.
    """
    if isinstance(support, constraints._Real):
        return None, None
    if isinstance(support, (constraints._GreaterThan, constraints._GreaterThanEq)):
        return support.lower_bound, None
    if isinstance(support, (constraints._LessThan, constraints._LessThanEq)):
        return None, support.upper_bound
    if isinstance(support, (constraints._Interval, constraints._OpenInterval)):
        return support.lower_bound, support.upper_bound
    if isinstance(support, constraints._SoftplusPositive):
        return 0.0, None
    raise ValueError(f"the support ({support}) is not an interval of the real line")
