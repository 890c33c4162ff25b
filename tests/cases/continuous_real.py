"""Distribution table rows: continuous families on the real line."""

import numpy as np
from scipy import stats

import bayesmodels.distributions as dist
from tests.cases.case import Case, Invalid, Scipy

CASES: list[Case] = [
    Case(
        dist.Normal,
        [dict(loc=0.0, scale=1.0), dict(loc=-1.5, scale=0.3), dict(loc=4.0, scale=7.0)],
        lambda loc, scale: Scipy(stats.norm(loc, scale)),
    ),
]

INVALID: list[Invalid] = [
    Invalid(dist.Normal, dict(loc=0.0, scale=-1.0), "scale"),
    Invalid(dist.Normal, dict(loc=0.0, scale=0.0), "scale"),
    Invalid(dist.Normal, dict(loc=np.nan, scale=1.0), "loc"),
    Invalid(dist.Normal, dict(loc=0.0, scale=np.array([1.0, -2.0])), "scale"),
]
