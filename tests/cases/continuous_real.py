"""Distribution table rows: continuous families on the real line (and the circle)."""

import numpy as np
from scipy import integrate, stats

import bayesmodels.distributions as dist
from tests.cases.case import Case, Formula, Invalid, Scipy


def _quantile_laplace(loc, scale, quantile):
    """The asymmetric Laplace of quantile regression. The density is written from the check
    loss rho_q(u) = u (q - [u < 0]); the rest is scipy's laplace_asymmetric with
    kappa = sqrt(q / (1 - q)) and scale / sqrt(q (1 - q)), which has that density."""
    frozen = stats.laplace_asymmetric(np.sqrt(quantile / (1 - quantile)), loc,
                                      scale / np.sqrt(quantile * (1 - quantile)))

    def log_prob(x):
        u = (np.asarray(x) - loc) / scale
        return np.log(quantile * (1 - quantile) / scale) - u * (quantile - (u < 0))

    return Formula(log_prob=log_prob, cdf=frozen.cdf, icdf=frozen.ppf, mean=frozen.mean(),
                   variance=frozen.var(), entropy=frozen.entropy)


def _von_mises(loc, concentration):
    """scipy's von Mises, with the cdf taken over [-pi, pi] (scipy's cdf counts from
    ``loc - pi`` along the real line) and the circular mean and variance of NumPyro."""
    frozen = stats.vonmises(concentration, loc=loc)
    mean_cos, _ = integrate.quad(lambda x: np.cos(x - loc) * frozen.pdf(x), -np.pi, np.pi,
                                 epsabs=1e-13)
    return Formula(
        log_prob=frozen.logpdf,
        cdf=lambda x: frozen.cdf(x) - frozen.cdf(-np.pi),
        mean=np.float64(loc),
        variance=1 - mean_cos,
        entropy=frozen.entropy,
    )


CASES: list[Case] = [
    Case(
        dist.Normal,
        [dict(loc=0.0, scale=1.0), dict(loc=-1.5, scale=0.3), dict(loc=4.0, scale=7.0)],
        lambda loc, scale: Scipy(stats.norm(loc, scale)),
    ),
    Case(
        dist.Cauchy,
        [dict(loc=0.0, scale=1.0), dict(loc=-1.5, scale=0.3), dict(loc=4.0, scale=7.0)],
        lambda loc, scale: Scipy(stats.cauchy(loc, scale)),
    ),
    Case(
        dist.StudentT,
        # df > 2 (all moments), 1 < df <= 2 (infinite variance), df <= 1 (no mean)
        [dict(df=3.0, loc=0.0, scale=1.0), dict(df=1.5, loc=-2.0, scale=0.5),
         dict(df=0.8, loc=1.0, scale=2.0)],
        lambda df, loc, scale: Scipy(stats.t(df, loc, scale)),
        grad_params=("loc", "scale"),
        note="df is reparameterised through jax.random.loggamma's implicit gradient, which "
             "is unbiased for the gradient of expectations but is not the pathwise derivative "
             "of the fixed-key sampler, so finite differences do not apply to it.",
    ),
    Case(
        dist.StudentT,
        # df >= 100 switches cdf, icdf and entropy to their large-df forms
        [dict(df=150.0, loc=0.5, scale=2.0), dict(df=5000.0, loc=-1.0, scale=0.5)],
        lambda df, loc, scale: Scipy(stats.t(df, loc, scale)),
        id="StudentT-large_df",
        grad_params=("loc", "scale"),
        note="df: see the StudentT row.",
    ),
    Case(
        dist.Laplace,
        [dict(loc=0.0, scale=1.0), dict(loc=-1.5, scale=0.3), dict(loc=4.0, scale=7.0)],
        lambda loc, scale: Scipy(stats.laplace(loc, scale)),
    ),
    Case(
        dist.Logistic,
        [dict(loc=0.0, scale=1.0), dict(loc=-1.5, scale=0.3), dict(loc=4.0, scale=7.0)],
        lambda loc, scale: Scipy(stats.logistic(loc, scale)),
    ),
    Case(
        dist.Gumbel,
        [dict(loc=0.0, scale=1.0), dict(loc=-1.5, scale=0.3), dict(loc=4.0, scale=7.0)],
        lambda loc, scale: Scipy(stats.gumbel_r(loc, scale)),
    ),
    Case(
        dist.SoftLaplace,
        # scipy's hypsecant has density 1 / (pi cosh x): exactly SoftLaplace(0, 1)
        [dict(loc=0.0, scale=1.0), dict(loc=-1.5, scale=0.3), dict(loc=4.0, scale=7.0)],
        lambda loc, scale: Scipy(stats.hypsecant(loc, scale)),
    ),
    Case(
        dist.SkewNormal,
        [dict(loc=0.0, scale=1.0, skewness=0.0), dict(loc=-1.0, scale=2.0, skewness=4.0),
         dict(loc=0.5, scale=0.7, skewness=-2.5)],
        lambda loc, scale, skewness: Scipy(stats.skewnorm(skewness, loc, scale),
                                           skip=("icdf", "entropy")),
        note="no closed-form icdf or entropy (scipy computes both numerically)",
    ),
    Case(
        dist.AsymmetricLaplace,
        [dict(loc=0.0, scale=1.0, asymmetry=1.0), dict(loc=1.0, scale=2.0, asymmetry=0.5),
         dict(loc=-2.0, scale=0.5, asymmetry=3.0)],
        lambda loc, scale, asymmetry: Scipy(stats.laplace_asymmetric(asymmetry, loc, scale)),
    ),
    Case(
        dist.AsymmetricLaplaceQuantile,
        [dict(loc=0.0, scale=1.0, quantile=0.5), dict(loc=1.0, scale=2.0, quantile=0.1),
         dict(loc=-2.0, scale=0.5, quantile=0.8)],
        _quantile_laplace,
    ),
    Case(
        dist.VonMises,
        # the last set uses the large-concentration (normal) form of the cdf
        [dict(loc=0.0, concentration=2.0), dict(loc=2.8, concentration=0.5),
         dict(loc=-2.5, concentration=60.0)],
        _von_mises,
    ),
]

INVALID: list[Invalid] = [
    Invalid(dist.Normal, dict(loc=0.0, scale=-1.0), "scale"),
    Invalid(dist.Normal, dict(loc=0.0, scale=0.0), "scale"),
    Invalid(dist.Normal, dict(loc=np.nan, scale=1.0), "loc"),
    Invalid(dist.Normal, dict(loc=0.0, scale=np.array([1.0, -2.0])), "scale"),
    Invalid(dist.Cauchy, dict(loc=0.0, scale=0.0), "scale"),
    Invalid(dist.Cauchy, dict(loc=np.inf, scale=1.0), "loc"),
    Invalid(dist.StudentT, dict(df=0.0), "df", id="StudentT-df-zero"),
    Invalid(dist.StudentT, dict(df=np.array([2.0, -1.0])), "df", id="StudentT-df-negative"),
    Invalid(dist.StudentT, dict(df=3.0, loc=0.0, scale=-1.0), "scale"),
    Invalid(dist.Laplace, dict(loc=0.0, scale=-0.5), "scale"),
    Invalid(dist.Logistic, dict(loc=0.0, scale=0.0), "scale"),
    Invalid(dist.Gumbel, dict(loc=0.0, scale=-2.0), "scale"),
    Invalid(dist.SoftLaplace, dict(loc=0.0, scale=0.0), "scale"),
    Invalid(dist.SkewNormal, dict(loc=0.0, scale=-1.0, skewness=1.0), "scale"),
    Invalid(dist.SkewNormal, dict(loc=0.0, scale=1.0, skewness=np.nan), "skewness"),
    Invalid(dist.AsymmetricLaplace, dict(scale=0.0), "scale"),
    Invalid(dist.AsymmetricLaplace, dict(asymmetry=0.0), "asymmetry",
            id="AsymmetricLaplace-asymmetry-zero"),
    Invalid(dist.AsymmetricLaplace, dict(asymmetry=-1.0), "asymmetry",
            id="AsymmetricLaplace-asymmetry-negative"),
    Invalid(dist.AsymmetricLaplaceQuantile, dict(scale=-1.0), "scale"),
    Invalid(dist.AsymmetricLaplaceQuantile, dict(quantile=0.0), "quantile",
            id="AsymmetricLaplaceQuantile-quantile-zero"),
    Invalid(dist.AsymmetricLaplaceQuantile, dict(quantile=1.0), "quantile",
            id="AsymmetricLaplaceQuantile-quantile-one"),
    Invalid(dist.AsymmetricLaplaceQuantile, dict(quantile=1.5), "quantile",
            id="AsymmetricLaplaceQuantile-quantile-above"),
    Invalid(dist.VonMises, dict(loc=0.0, concentration=0.0), "concentration",
            id="VonMises-concentration-zero"),
    Invalid(dist.VonMises, dict(loc=0.0, concentration=-1.0), "concentration",
            id="VonMises-concentration-negative"),
    Invalid(dist.VonMises, dict(loc=np.nan, concentration=1.0), "loc"),
]
