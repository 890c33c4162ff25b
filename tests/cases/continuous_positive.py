"""Distribution table rows: continuous families on the positive reals or a bounded interval.

Each scipy mapping below was checked against the density written out by hand (see the
family's docstring); NumPyro's parameter names are on the left of each mapping.
"""

import numpy as np
from scipy import stats

import bayesmodels.distributions as dist
from tests.cases.case import Case, Invalid, Numerical, Scipy


def _kumaraswamy_log_density(a, b):
    def log_density(x):
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore"):
            return np.log(a * b) + (a - 1) * np.log(x) + (b - 1) * np.log1p(-(x**a))

    return log_density


class _Kumaraswamy(Numerical):
    """Numerical integrals of the density, with the textbook closed-form cdf and quantile
    (integrating the cdf point by point would make the KS test slow)."""

    def __init__(self, a, b):
        super().__init__(_kumaraswamy_log_density(a, b), 0.0, 1.0)
        self.a, self.b = a, b

    def cdf(self, x):
        x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
        return 1.0 - (1.0 - x**self.a) ** self.b

    def icdf(self, q):
        return (1.0 - (1.0 - np.asarray(q, dtype=np.float64)) ** (1.0 / self.b)) ** (1.0 / self.a)


CASES: list[Case] = [
    # ------------------------------------------------------------- positive reals
    Case(
        dist.LogNormal,
        [dict(loc=0.0, scale=1.0), dict(loc=-0.5, scale=0.4), dict(loc=1.2, scale=1.5)],
        lambda loc, scale: Scipy(stats.lognorm(s=scale, scale=np.exp(loc))),
    ),
    Case(
        dist.HalfNormal,
        [dict(scale=1.0), dict(scale=0.3), dict(scale=4.0)],
        lambda scale: Scipy(stats.halfnorm(scale=scale)),
    ),
    Case(
        dist.HalfCauchy,
        [dict(scale=1.0), dict(scale=0.5), dict(scale=3.0)],
        lambda scale: Scipy(stats.halfcauchy(scale=scale)),
    ),
    Case(
        dist.Exponential,
        [dict(rate=1.0), dict(rate=0.2), dict(rate=5.0)],
        lambda rate: Scipy(stats.expon(scale=1 / rate)),
    ),
    Case(
        dist.Gamma,
        [dict(concentration=2.0, rate=1.0), dict(concentration=0.5, rate=3.0),
         dict(concentration=7.5, rate=0.4)],
        lambda concentration, rate: Scipy(stats.gamma(concentration, scale=1 / rate)),
    ),
    Case(
        dist.InverseGamma,
        # the second set has an infinite variance (concentration <= 2)
        [dict(concentration=3.0, rate=2.0), dict(concentration=1.5, rate=0.5),
         dict(concentration=6.0, rate=10.0)],
        lambda concentration, rate: Scipy(stats.invgamma(concentration, scale=rate)),
    ),
    Case(
        dist.Chi2,
        [dict(df=3.0), dict(df=0.8), dict(df=12.0)],
        lambda df: Scipy(stats.chi2(df)),
    ),
    Case(
        dist.Weibull,
        [dict(scale=1.0, concentration=1.5), dict(scale=2.0, concentration=0.7),
         dict(scale=0.5, concentration=4.0)],
        lambda scale, concentration: Scipy(stats.weibull_min(c=concentration, scale=scale)),
    ),
    Case(
        dist.Pareto,
        # the second set has an infinite variance (alpha <= 2)
        [dict(scale=1.0, alpha=3.0), dict(scale=0.5, alpha=1.5), dict(scale=2.0, alpha=5.0)],
        lambda scale, alpha: Scipy(stats.pareto(b=alpha, scale=scale)),
    ),
    Case(
        dist.Gompertz,
        # NumPyro's F(x) = 1 - exp(-concentration * (exp(rate * x) - 1)) is scipy's
        # gompertz(c=concentration, scale=1/rate); the variance has no closed form here
        [dict(concentration=2.0, rate=1.0), dict(concentration=0.3, rate=0.5),
         dict(concentration=5.0, rate=2.0)],
        lambda concentration, rate: Scipy(stats.gompertz(c=concentration, scale=1 / rate),
                                          skip=("variance",)),
    ),
    Case(
        dist.Levy,
        [dict(loc=0.0, scale=1.0), dict(loc=-1.0, scale=0.5), dict(loc=2.0, scale=3.0)],
        lambda loc, scale: Scipy(stats.levy(loc=loc, scale=scale)),
    ),
    # ----------------------------------------------------------- bounded interval
    Case(
        dist.Beta,
        [dict(concentration1=2.0, concentration0=3.0), dict(concentration1=0.7, concentration0=1.5),
         dict(concentration1=5.0, concentration0=0.9)],
        # no icdf: JAX has no inverse of the regularised incomplete beta function
        lambda concentration1, concentration0: Scipy(stats.beta(concentration1, concentration0),
                                                     skip=("icdf",)),
    ),
    Case(
        dist.BetaProportion,
        [dict(mean=0.3, concentration=5.0), dict(mean=0.8, concentration=2.5),
         dict(mean=0.5, concentration=20.0)],
        lambda mean, concentration: Scipy(
            stats.beta(mean * concentration, (1 - mean) * concentration), skip=("icdf",)
        ),
    ),
    Case(
        dist.Kumaraswamy,
        # scipy has no Kumaraswamy: numerical integrals of the density written out here
        [dict(concentration1=2.0, concentration0=3.0), dict(concentration1=0.8, concentration0=1.5),
         dict(concentration1=5.0, concentration0=0.9)],
        lambda concentration1, concentration0: _Kumaraswamy(concentration1, concentration0),
    ),
    Case(
        dist.Uniform,
        [dict(low=0.0, high=1.0), dict(low=-2.0, high=3.0), dict(low=1.5, high=1.7)],
        lambda low, high: Scipy(stats.uniform(loc=low, scale=high - low)),
    ),
    Case(
        dist.LogUniform,
        [dict(low=1.0, high=10.0), dict(low=0.01, high=2.0), dict(low=3.0, high=3.5)],
        lambda low, high: Scipy(stats.loguniform(low, high)),
    ),
]

INVALID: list[Invalid] = [
    Invalid(dist.LogNormal, dict(loc=0.0, scale=-1.0), "scale"),
    Invalid(dist.LogNormal, dict(loc=np.nan, scale=1.0), "loc"),
    Invalid(dist.HalfNormal, dict(scale=0.0), "scale"),
    Invalid(dist.HalfCauchy, dict(scale=-1.0), "scale"),
    Invalid(dist.Exponential, dict(rate=0.0), "rate"),
    Invalid(dist.Exponential, dict(rate=np.array([1.0, -2.0])), "rate",
            id="Exponential-rate-array"),
    Invalid(dist.Gamma, dict(concentration=-1.0, rate=1.0), "concentration"),
    Invalid(dist.Gamma, dict(concentration=1.0, rate=0.0), "rate"),
    Invalid(dist.InverseGamma, dict(concentration=0.0, rate=1.0), "concentration"),
    Invalid(dist.InverseGamma, dict(concentration=2.0, rate=-2.0), "rate"),
    Invalid(dist.Chi2, dict(df=0.0), "df"),
    Invalid(dist.Weibull, dict(scale=-1.0, concentration=1.0), "scale"),
    Invalid(dist.Weibull, dict(scale=1.0, concentration=0.0), "concentration"),
    Invalid(dist.Pareto, dict(scale=0.0, alpha=1.0), "scale"),
    Invalid(dist.Pareto, dict(scale=1.0, alpha=-1.0), "alpha"),
    Invalid(dist.Gompertz, dict(concentration=-1.0, rate=1.0), "concentration"),
    Invalid(dist.Gompertz, dict(concentration=1.0, rate=0.0), "rate"),
    Invalid(dist.Levy, dict(loc=0.0, scale=0.0), "scale"),
    Invalid(dist.Levy, dict(loc=np.inf, scale=1.0), "loc"),
    Invalid(dist.Beta, dict(concentration1=0.0, concentration0=1.0), "concentration1"),
    Invalid(dist.Beta, dict(concentration1=1.0, concentration0=-1.0), "concentration0"),
    Invalid(dist.BetaProportion, dict(mean=1.0, concentration=2.0), "mean"),
    Invalid(dist.BetaProportion, dict(mean=0.0, concentration=2.0), "mean",
            id="BetaProportion-mean-zero"),
    Invalid(dist.BetaProportion, dict(mean=0.5, concentration=0.0), "concentration"),
    Invalid(dist.Kumaraswamy, dict(concentration1=-1.0, concentration0=1.0), "concentration1"),
    Invalid(dist.Kumaraswamy, dict(concentration1=1.0, concentration0=0.0), "concentration0"),
    Invalid(dist.Uniform, dict(low=1.0, high=1.0), "high", id="Uniform-high-equal-low"),
    Invalid(dist.Uniform, dict(low=2.0, high=1.0), "high"),
    Invalid(dist.Uniform, dict(low=np.array([0.0, 3.0]), high=np.array([1.0, 2.0])), "high",
            id="Uniform-high-array"),
    Invalid(dist.Uniform, dict(low=np.nan, high=1.0), "low"),
    Invalid(dist.LogUniform, dict(low=0.0, high=1.0), "low"),
    Invalid(dist.LogUniform, dict(low=2.0, high=1.0), "high"),
]
