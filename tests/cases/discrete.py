"""Distribution table rows: discrete families.

SciPy conventions that differ from ours: ``geom`` counts trials from 1 (``loc=-1``
gives failures from 0), ``nbinom(n, p)`` puts ``p`` on the *stopping* event (ours is
``1 - probs``), ``randint`` excludes ``high``. Entropies that need infinite sums
(Poisson, negative binomials) and cdf/icdf that have no cheap exact form are skipped
on the reference side, so the family is not asked for them.
"""

import numpy as np
from scipy import stats
from scipy.special import expit, softmax

import bayesmodels.distributions as dist
from tests.cases.case import Case, Formula, Invalid, Scipy

# ------------------------------------------------------------ independent references


def _categorical(p):
    p = np.asarray(p, np.float64)
    k = np.arange(p.size)
    mean = np.sum(k * p)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    return Formula(
        log_prob=lambda x: log_p[np.asarray(x).astype(int)],
        mean=mean,
        variance=np.sum((k - mean) ** 2 * p),
        entropy=lambda: -np.sum(p[p > 0] * log_p[p > 0]),
    )


def _ordered_logistic(predictor, cutpoints):
    cumulative = expit(np.asarray(cutpoints, np.float64) - predictor)
    return _categorical(np.diff(np.concatenate([[0.0], cumulative, [1.0]])))


def _zero_inflated(gate, base):
    """Reference for ``base`` (a frozen scipy distribution) with extra mass ``gate`` at 0."""

    def log_prob(x):
        x = np.asarray(x)
        with np.errstate(divide="ignore"):
            return np.where(x == 0, np.log(gate + (1 - gate) * base.pmf(0)),
                            np.log1p(-gate) + base.logpmf(x))

    mean = (1 - gate) * base.mean()
    return Formula(
        log_prob=log_prob,
        cdf=lambda x: np.where(np.asarray(x) < 0, 0.0, gate + (1 - gate) * base.cdf(x)),
        mean=mean,
        variance=(1 - gate) * (base.var() + base.mean() ** 2) - mean**2,
    )


def _nb2(mean, concentration):
    return stats.nbinom(concentration, concentration / (concentration + mean))


def _multinomial(total_count, p):
    frozen = stats.multinomial(total_count, p)
    return Formula(log_prob=frozen.logpmf, mean=frozen.mean(), variance=np.diag(frozen.cov()))


P3 = [np.array([0.2, 0.5, 0.3]), np.array([0.05, 0.05, 0.9]), np.array([0.6, 0.0, 0.4])]
L3 = [np.array([0.0, 1.0, -1.0]), np.array([2.5, -3.0, 0.5]), np.array([-1.0, -1.0, -1.0])]

# -------------------------------------------------------------------------------- rows

CASES: list[Case] = [
    Case(
        dist.Bernoulli,
        [dict(probs=0.3), dict(probs=0.9), dict(probs=0.02)],
        lambda probs: Scipy(stats.bernoulli(probs)),
        id="Bernoulli-probs", sample_test="chi2",
    ),
    Case(
        dist.Bernoulli,
        [dict(logits=-0.8), dict(logits=2.0), dict(logits=0.0)],
        lambda logits: Scipy(stats.bernoulli(expit(logits))),
        id="Bernoulli-logits", sample_test="chi2",
    ),
    Case(
        dist.Binomial,
        [dict(total_count=10, probs=0.3), dict(total_count=4, probs=0.85), dict(total_count=25, probs=0.5)],
        lambda total_count, probs: Scipy(stats.binom(total_count, probs), skip=("icdf",)),
        id="Binomial-probs", sample_test="chi2",
    ),
    Case(
        dist.Binomial,
        [dict(total_count=12, logits=-1.0), dict(total_count=12, logits=1.7), dict(total_count=12, logits=0.2)],
        lambda total_count, logits: Scipy(stats.binom(total_count, expit(logits)), skip=("icdf",)),
        id="Binomial-logits", sample_test="chi2",
    ),
    Case(
        dist.Geometric,
        [dict(probs=0.3), dict(probs=0.75), dict(probs=0.05)],
        lambda probs: Scipy(stats.geom(probs, loc=-1)),
        id="Geometric-probs", sample_test="chi2",
    ),
    Case(
        dist.Geometric,
        [dict(logits=-1.2), dict(logits=0.9), dict(logits=-3.0)],
        lambda logits: Scipy(stats.geom(expit(logits), loc=-1)),
        id="Geometric-logits", sample_test="chi2",
    ),
    Case(
        dist.Categorical,
        [dict(probs=p) for p in P3],
        lambda probs: _categorical(probs),
        id="Categorical-probs", sample_test="chi2",
    ),
    Case(
        dist.Categorical,
        [dict(logits=logit) for logit in L3],
        lambda logits: _categorical(softmax(logits)),
        id="Categorical-logits", sample_test="chi2",
    ),
    Case(
        dist.DiscreteUniform,
        [dict(low=-2, high=4), dict(low=0, high=2), dict(low=3, high=13)],
        lambda low, high: Scipy(stats.randint(low, high + 1)),
        sample_test="chi2",
    ),
    Case(
        dist.OrderedLogistic,
        [dict(predictor=0.3, cutpoints=np.array([-1.0, 0.5, 2.0])),
         dict(predictor=-2.0, cutpoints=np.array([-3.0, -2.5, 1.0])),
         dict(predictor=4.0, cutpoints=np.array([0.0, 1.0, 5.0]))],
        _ordered_logistic,
        sample_test="chi2",
    ),
    Case(
        dist.Multinomial,
        [dict(total_count=10, probs=p) for p in P3],
        lambda total_count, probs: _multinomial(total_count, probs),
        id="Multinomial-probs", sample_test="moments",
    ),
    Case(
        dist.Multinomial,
        [dict(total_count=n, logits=logit) for n, logit in zip([6, 15, 1], L3)],
        lambda total_count, logits: _multinomial(total_count, softmax(logits)),
        id="Multinomial-logits", sample_test="moments",
    ),
    Case(
        dist.DirichletMultinomial,
        [dict(concentration=np.array([0.5, 1.0, 2.5]), total_count=7),
         dict(concentration=np.array([3.0, 3.0, 0.2]), total_count=20),
         dict(concentration=np.array([1.0, 1.0, 1.0]), total_count=2)],
        lambda concentration, total_count: Scipy(
            stats.dirichlet_multinomial(concentration, total_count), skip=("entropy",)),
        sample_test="moments",
    ),
    Case(
        dist.Poisson,
        [dict(rate=3.0), dict(rate=0.2), dict(rate=40.0)],
        lambda rate: Scipy(stats.poisson(rate), skip=("icdf", "entropy")),
        sample_test="chi2",
    ),
    Case(
        dist.GammaPoisson,
        [dict(concentration=2.0, rate=0.5), dict(concentration=0.7, rate=1.3), dict(concentration=30.0, rate=4.0)],
        lambda concentration, rate: Scipy(stats.nbinom(concentration, rate / (1 + rate)),
                                          skip=("icdf", "entropy")),
        sample_test="chi2",
    ),
    Case(
        dist.NegativeBinomial,
        [dict(total_count=5.0, probs=0.4), dict(total_count=0.8, probs=0.7), dict(total_count=20.0, probs=0.1)],
        lambda total_count, probs: Scipy(stats.nbinom(total_count, 1 - probs), skip=("icdf", "entropy")),
        id="NegativeBinomial-probs", sample_test="chi2",
    ),
    Case(
        dist.NegativeBinomial,
        [dict(total_count=3.0, logits=0.5), dict(total_count=1.5, logits=-2.0), dict(total_count=12.0, logits=1.0)],
        lambda total_count, logits: Scipy(stats.nbinom(total_count, expit(-logits)), skip=("icdf", "entropy")),
        id="NegativeBinomial-logits", sample_test="chi2",
    ),
    Case(
        dist.NegativeBinomial2,
        [dict(mean=3.0, concentration=2.0), dict(mean=0.5, concentration=10.0), dict(mean=25.0, concentration=0.9)],
        lambda mean, concentration: Scipy(_nb2(mean, concentration), skip=("icdf", "entropy")),
        sample_test="chi2",
    ),
    Case(
        dist.BetaBinomial,
        [dict(concentration1=2.0, concentration0=3.0, total_count=10),
         dict(concentration1=0.5, concentration0=0.5, total_count=4),
         dict(concentration1=8.0, concentration0=1.5, total_count=30)],
        lambda concentration1, concentration0, total_count: Scipy(
            stats.betabinom(total_count, concentration1, concentration0), skip=("cdf", "icdf")),
        sample_test="chi2",
    ),
    Case(
        dist.ZeroInflatedPoisson,
        [dict(gate=0.3, rate=2.5), dict(gate=0.8, rate=0.6), dict(gate=0.05, rate=12.0)],
        lambda gate, rate: _zero_inflated(gate, stats.poisson(rate)),
        sample_test="chi2",
    ),
    Case(
        dist.ZeroInflatedNegativeBinomial2,
        [dict(mean=4.0, concentration=2.0, gate=0.3), dict(mean=1.0, concentration=0.5, gate=0.6),
         dict(mean=15.0, concentration=8.0, gate=0.1)],
        lambda mean, concentration, gate: _zero_inflated(gate, _nb2(mean, concentration)),
        sample_test="chi2",
    ),
]

INVALID: list[Invalid] = [
    Invalid(dist.Bernoulli, dict(probs=1.5), "probs"),
    Invalid(dist.Bernoulli, dict(probs=np.array([0.2, -0.1])), "probs", id="Bernoulli-probs-negative"),
    Invalid(dist.Bernoulli, dict(logits=np.nan), "logits"),
    Invalid(dist.Bernoulli, dict(), "probs", id="Bernoulli-neither"),
    Invalid(dist.Bernoulli, dict(probs=0.5, logits=0.0), "logits", id="Bernoulli-both"),
    Invalid(dist.Binomial, dict(total_count=-1, probs=0.5), "total_count"),
    Invalid(dist.Binomial, dict(total_count=2.5, probs=0.5), "total_count", id="Binomial-total_count-fraction"),
    Invalid(dist.Binomial, dict(total_count=3, probs=1.2), "probs"),
    Invalid(dist.Binomial, dict(total_count=3), "probs", id="Binomial-neither"),
    Invalid(dist.Geometric, dict(probs=-0.2), "probs"),
    Invalid(dist.Geometric, dict(logits=np.inf), "logits"),
    Invalid(dist.Categorical, dict(probs=np.array([0.2, 0.2, 0.2])), "probs"),
    Invalid(dist.Categorical, dict(probs=np.array([1.2, -0.2])), "probs", id="Categorical-probs-negative"),
    Invalid(dist.Categorical, dict(probs=0.5), "probs", id="Categorical-probs-scalar"),
    Invalid(dist.Categorical, dict(logits=np.array([0.0, np.nan])), "logits"),
    Invalid(dist.Multinomial, dict(total_count=5, probs=np.array([0.5, 0.6])), "probs"),
    Invalid(dist.Multinomial, dict(total_count=-2, probs=np.array([0.5, 0.5])), "total_count"),
    Invalid(dist.Multinomial, dict(total_count=1.5, logits=np.zeros(2)), "total_count",
            id="Multinomial-total_count-fraction"),
    Invalid(dist.DiscreteUniform, dict(low=3, high=1), "high"),
    Invalid(dist.DiscreteUniform, dict(low=0.5, high=3), "low"),
    Invalid(dist.OrderedLogistic, dict(predictor=0.0, cutpoints=np.array([1.0, 0.0, 2.0])), "cutpoints"),
    Invalid(dist.OrderedLogistic, dict(predictor=np.nan, cutpoints=np.array([0.0, 1.0])), "predictor"),
    Invalid(dist.DirichletMultinomial, dict(concentration=np.array([1.0, -1.0]), total_count=3), "concentration"),
    Invalid(dist.DirichletMultinomial, dict(concentration=np.ones(2), total_count=-3), "total_count"),
    Invalid(dist.Poisson, dict(rate=-1.0), "rate"),
    Invalid(dist.GammaPoisson, dict(concentration=0.0, rate=1.0), "concentration"),
    Invalid(dist.GammaPoisson, dict(concentration=1.0, rate=-1.0), "rate"),
    Invalid(dist.NegativeBinomial, dict(total_count=-1.0, probs=0.5), "total_count"),
    Invalid(dist.NegativeBinomial, dict(total_count=2.0, probs=1.5), "probs"),
    Invalid(dist.NegativeBinomial2, dict(mean=-1.0, concentration=1.0), "mean"),
    Invalid(dist.NegativeBinomial2, dict(mean=1.0, concentration=0.0), "concentration"),
    Invalid(dist.BetaBinomial, dict(concentration1=-1.0, concentration0=1.0, total_count=3), "concentration1"),
    Invalid(dist.BetaBinomial, dict(concentration1=1.0, concentration0=0.0, total_count=3), "concentration0"),
    Invalid(dist.BetaBinomial, dict(concentration1=1.0, concentration0=1.0, total_count=3.5), "total_count"),
    Invalid(dist.ZeroInflatedPoisson, dict(gate=1.5, rate=1.0), "gate"),
    Invalid(dist.ZeroInflatedPoisson, dict(gate=0.5, rate=-1.0), "rate"),
    Invalid(dist.ZeroInflatedNegativeBinomial2, dict(mean=1.0, concentration=1.0, gate=-0.1), "gate"),
    Invalid(dist.ZeroInflatedNegativeBinomial2, dict(mean=0.0, concentration=1.0, gate=0.5), "mean"),
    Invalid(dist.ZeroInflatedDistribution, dict(base_dist=dist.Poisson(1.0), gate=2.0), "gate"),
    Invalid(dist.ZeroInflatedDistribution, dict(base_dist=dist.Poisson(1.0)), "gate",
            id="ZeroInflatedDistribution-neither"),
    Invalid(dist.ZeroInflatedDistribution, dict(base_dist=dist.Normal(0.0, 1.0), gate=0.5), "base_dist"),
]
