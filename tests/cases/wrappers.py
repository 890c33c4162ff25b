"""Distribution table rows: wrappers families (truncation, mixtures, transformed, Delta).

Censoring, ``Unit``, ``ImproperUniform`` and the batch wrappers do not fit the table (no
reference law, an empty event, no sampler); ``tests/test_wrappers.py`` covers them.
"""

import numpy as np
from scipy import special, stats

import bayesmodels.distributions as dist
from tests.cases.case import Case, Formula, Invalid, Numerical, Scipy


def _truncnorm(loc, scale, low=-np.inf, high=np.inf, skip=()):
    return Scipy(stats.truncnorm((low - loc) / scale, (high - loc) / scale, loc=loc, scale=scale), skip=skip)


def _truncated_cauchy_reference(loc, scale, low, high):
    a, b = (low - loc) / scale, (high - loc) / scale
    log_mass = np.log((np.arctan(b) - np.arctan(a)) / np.pi)

    def log_density(x):
        z = (x - loc) / scale
        return -np.log(np.pi * scale) - np.log1p(z**2) - log_mass

    return Numerical(log_density, lower=low, upper=high, skip=("entropy",))


def _left_truncated_laplace_reference(loc, scale, low):
    # closed forms from scipy's Laplace (a Numerical cdf is far too slow for the KS test)
    base = stats.laplace(loc, scale)
    return Formula(
        log_prob=lambda x: base.logpdf(x) - base.logsf(low),
        cdf=lambda x: (base.cdf(x) - base.cdf(low)) / base.sf(low),
        icdf=lambda q: base.isf((1 - q) * base.sf(low)),
    )


def _normal_mixture(probs, locs, scales):
    return dist.MixtureSameFamily(dist.Categorical(probs=probs), dist.Normal(locs, scales))


def _normal_mixture_reference(probs, locs, scales):
    components = [stats.norm(m, s) for m, s in zip(locs, scales)]
    mean = float(np.sum(probs * locs))
    return Formula(
        log_prob=lambda x: special.logsumexp(
            [np.log(p) + c.logpdf(x) for p, c in zip(probs, components)], axis=0
        ),
        cdf=lambda x: sum(p * c.cdf(x) for p, c in zip(probs, components)),
        mean=mean,
        variance=float(np.sum(probs * (scales**2 + (locs - mean) ** 2))),
    )


def _normal_laplace_mixture(probs, loc, scale):
    components = [dist.Normal(loc, scale), dist.Laplace(-loc, scale)]
    return dist.MixtureGeneral(dist.Categorical(probs=probs), components)


def _normal_laplace_mixture_reference(probs, loc, scale):
    components = [stats.norm(loc, scale), stats.laplace(-loc, scale)]
    variances = np.array([scale**2, 2 * scale**2])
    locs = np.array([loc, -loc])
    mean = float(np.sum(probs * locs))
    return Formula(
        log_prob=lambda x: special.logsumexp(
            [np.log(p) + c.logpdf(x) for p, c in zip(probs, components)], axis=0
        ),
        cdf=lambda x: sum(p * c.cdf(x) for p, c in zip(probs, components)),
        mean=mean,
        variance=float(np.sum(probs * (variances + (locs - mean) ** 2))),
    )


def _delta_reference(v, log_density):
    return Formula(
        log_prob=lambda x: np.where(x == np.float32(v), log_density, -np.inf),
        mean=v,
        variance=0.0,
    )


_NO_MOMENTS = ("mean", "variance", "entropy")

CASES: list[Case] = [
    Case(
        dist.TruncatedNormal,
        [
            dict(loc=0.0, scale=1.0, low=-1.0, high=2.0),
            dict(loc=1.5, scale=0.5, low=0.0, high=1.0),
            dict(loc=-2.0, scale=3.0, low=3.0, high=8.0),
        ],
        _truncnorm,
        id="TruncatedNormal-two-sided",
    ),
    Case(
        dist.TruncatedNormal,
        [
            dict(loc=0.0, scale=1.0, low=0.5),
            dict(loc=2.0, scale=0.5, low=0.0),
            dict(loc=-1.0, scale=2.0, low=3.0),
        ],
        lambda loc, scale, low: _truncnorm(loc, scale, low=low, skip=("entropy",)),
        id="TruncatedNormal-left",
        note="scipy's truncnorm entropy is NaN with an infinite bound; test_wrappers checks ours numerically",
    ),
    Case(
        dist.TruncatedNormal,
        [
            dict(loc=0.0, scale=1.0, high=0.5),
            dict(loc=2.0, scale=0.5, high=3.0),
            dict(loc=1.0, scale=2.0, high=-3.0),
        ],
        lambda loc, scale, high: _truncnorm(loc, scale, high=high, skip=("entropy",)),
        id="TruncatedNormal-right",
        note="scipy's truncnorm entropy is NaN with an infinite bound; test_wrappers checks ours numerically",
    ),
    Case(
        dist.TruncatedCauchy,
        [dict(loc=0.0, scale=1.0, low=-1.0, high=3.0), dict(loc=2.0, scale=0.5, low=2.5, high=6.0)],
        _truncated_cauchy_reference,
        id="TruncatedCauchy-two-sided",
        note="entropy has no closed form for a truncated Cauchy; not implemented",
    ),
    Case(
        lambda loc, scale, low: dist.TruncatedDistribution(dist.Laplace(loc, scale), low=low),
        [dict(loc=0.0, scale=1.0, low=1.0), dict(loc=1.0, scale=2.0, low=-2.0)],
        _left_truncated_laplace_reference,
        id="TruncatedDistribution-Laplace-left",
        note="moments of a generic truncated base are not implemented; this row exercises "
        "the reflection used for bases symmetric about loc",
    ),
    Case(
        _normal_mixture,
        [
            dict(probs=np.array([0.3, 0.7]), locs=np.array([-1.0, 2.0]), scales=np.array([0.5, 1.0])),
            dict(probs=np.array([0.5, 0.5]), locs=np.array([0.0, 0.5]), scales=np.array([1.0, 3.0])),
        ],
        _normal_mixture_reference,
        id="MixtureSameFamily-Normal",
    ),
    Case(
        _normal_laplace_mixture,
        [
            dict(probs=np.array([0.4, 0.6]), loc=1.0, scale=0.7),
            dict(probs=np.array([0.9, 0.1]), loc=-2.0, scale=1.5),
        ],
        _normal_laplace_mixture_reference,
        id="MixtureGeneral-Normal-Laplace",
    ),
    Case(
        lambda loc, scale: dist.TransformedDistribution(
            dist.Normal(loc, scale), dist.transforms.ExpTransform()
        ),
        [dict(loc=0.0, scale=1.0), dict(loc=1.0, scale=0.3), dict(loc=-0.5, scale=2.0)],
        lambda loc, scale: Scipy(stats.lognorm(s=scale, scale=np.exp(loc)), skip=_NO_MOMENTS),
        id="TransformedDistribution-Exp",
        note="TransformedDistribution has no generic mean/variance/entropy (as in NumPyro)",
    ),
    Case(
        lambda loc, scale, shift, factor: dist.TransformedDistribution(
            dist.Normal(loc, scale), dist.transforms.AffineTransform(shift, factor)
        ),
        [
            dict(loc=0.0, scale=1.0, shift=1.0, factor=2.0),
            dict(loc=1.0, scale=0.5, shift=-2.0, factor=-3.0),
        ],
        lambda loc, scale, shift, factor: Scipy(
            stats.norm(shift + factor * loc, abs(factor) * scale), skip=_NO_MOMENTS
        ),
        id="TransformedDistribution-Affine",
        note="TransformedDistribution has no generic mean/variance/entropy; a negative factor flips the cdf",
    ),
    Case(
        dist.Delta,
        [dict(v=1.5, log_density=0.0), dict(v=-2.0, log_density=-0.7)],
        _delta_reference,
        sample_test="moments",
    ),
]

INVALID: list[Invalid] = [
    Invalid(dist.TruncatedNormal, dict(loc=0.0, scale=1.0, low=1.0, high=0.0), "high"),
    Invalid(dist.TruncatedNormal, dict(loc=0.0, scale=-1.0, low=0.0), "scale"),
    Invalid(dist.TruncatedCauchy, dict(loc=0.0, scale=1.0, low=2.0, high=np.array([3.0, 2.0])), "high"),
    Invalid(dist.TwoSidedTruncatedDistribution, dict(base_dist=dist.Normal(), low=1.0, high=1.0), "high"),
    Invalid(dist.LeftTruncatedDistribution, dict(base_dist=dist.Normal(), low=np.nan), "low"),
    Invalid(dist.TruncatedDistribution, dict(base_dist=dist.Categorical(probs=np.array([0.5, 0.5])), low=0.0),
            "base_dist"),
    Invalid(dist.LeftCensoredDistribution, dict(base_dist=dist.Normal(), censored=np.array([0, 2])),
            "censored"),
    Invalid(dist.IntervalCensoredDistribution,
            dict(base_dist=dist.Normal(), left_censored=0.5, right_censored=0), "left_censored"),
    Invalid(dist.MixtureSameFamily,
            dict(mixing_distribution=dist.Categorical(probs=np.array([0.5, 0.5])),
                 component_distribution=dist.Normal(np.zeros(3), 1.0)), "component_distribution"),
    Invalid(dist.MixtureGeneral,
            dict(mixing_distribution=dist.Normal(), component_distributions=[dist.Normal()]),
            "mixing_distribution"),
    Invalid(dist.Delta, dict(v=0.0, log_density=np.nan), "log_density"),
    Invalid(dist.Unit, dict(log_factor=np.inf), "log_factor"),
]
