"""Distribution table rows: multivariate families.

scipy is the reference where it has the family (multivariate_normal, multivariate_t,
dirichlet, wishart); the LKJ densities are written out below from the normalising
constant in Lewandowski, Kurowicka and Joe (2009), independently of the library's
multivariate-gamma form. Matrix-valued scipy methods want the sample axis in odd places,
so those references are small :class:`Formula` adapters.
"""

import numpy as np
from scipy import special, stats

import bayesmodels.distributions as dist
from tests.cases.case import Case, Formula, Invalid, Scipy

# ------------------------------------------------------------------ parameter sets

LOCS = [np.array([0.0, 0.0, 0.0]), np.array([1.0, -2.0, 0.5]), np.array([3.0, 1.0, -1.0])]
COVARIANCES = [
    np.array([[2.0, 0.3, -0.4], [0.3, 1.0, 0.2], [-0.4, 0.2, 1.5]]),
    np.array([[0.5, 0.1, 0.0], [0.1, 0.8, -0.3], [0.0, -0.3, 1.2]]),
    np.array([[4.0, 1.5, 0.5], [1.5, 2.0, 0.7], [0.5, 0.7, 1.0]]),
]
TRILS = [np.linalg.cholesky(c) for c in COVARIANCES]
PRECISIONS = [np.linalg.inv(c) for c in COVARIANCES]


def _mvn_rows():
    rows = []
    for name, matrices, to_cov in [
        ("covariance_matrix", COVARIANCES, lambda m: m),
        ("precision_matrix", PRECISIONS, np.linalg.inv),
        ("scale_tril", TRILS, lambda m: m @ m.T),
    ]:
        rows.append(
            Case(
                dist.MultivariateNormal,
                [{"loc": loc, name: m} for loc, m in zip(LOCS, matrices)],
                lambda loc, _to_cov=to_cov, **matrix: Scipy(
                    stats.multivariate_normal(loc, _to_cov(next(iter(matrix.values())))),
                    skip=("cdf",),  # no multivariate cdf in NumPyro's API or here
                ),
                id=f"MultivariateNormal-{name}",
                sample_test="moments",
            )
        )
    return rows


# -------------------------------------------------------------- adapter references


def _mvt_reference(df, loc, scale_tril):
    shape = scale_tril @ scale_tril.T
    frozen = stats.multivariate_t(loc, shape, df=df)
    return Formula(
        log_prob=frozen.logpdf,
        entropy=frozen.entropy,
        mean=loc,
        variance=np.diag(shape) * df / (df - 2.0),
    )


def _dirichlet_reference(concentration):
    frozen = stats.dirichlet(concentration)

    def log_prob(x):
        x = x / x.sum(-1, keepdims=True)  # float32 draws sum to 1 only to ~1e-7
        flat = [frozen.logpdf(row) for row in x.reshape(-1, x.shape[-1])]
        return np.reshape(flat, x.shape[:-1])

    return Formula(log_prob=log_prob, mean=frozen.mean(), variance=frozen.var(), entropy=frozen.entropy)


def _wishart_logpdf(frozen, x):
    """scipy wants matrices stacked along the last axis."""
    lead = x.shape[:-2]
    stacked = np.moveaxis(x.reshape((-1,) + x.shape[-2:]), 0, -1)
    return np.reshape(frozen.logpdf(stacked), lead)


def _wishart_reference(concentration, scale_matrix):
    frozen = stats.wishart(df=concentration, scale=scale_matrix)
    return Formula(
        log_prob=lambda x: _wishart_logpdf(frozen, x),
        mean=frozen.mean(),
        variance=frozen.var(),
        entropy=frozen.entropy,
    )


def _wishart_cholesky_reference(concentration, scale_tril):
    """Change of variables X = L L^T, |dX/dL| = 2^p prod_i L_ii^(p - i + 1); the moments
    from the Bartlett factor A (L = L_S A)."""
    p = scale_tril.shape[-1]
    frozen = stats.wishart(df=concentration, scale=scale_tril @ scale_tril.T)
    powers = np.arange(p, 0, -1)

    def log_jacobian(tril):
        return p * np.log(2.0) + np.sum(powers * np.log(np.diagonal(tril, axis1=-2, axis2=-1)), -1)

    def log_prob(tril):
        return _wishart_logpdf(frozen, tril @ np.swapaxes(tril, -1, -2)) + log_jacobian(tril)

    df = concentration - np.arange(p)  # A_ii^2 ~ chi2(df_i)
    root_mean = np.array([stats.chi(k).mean() for k in df])
    root_var = np.array([stats.chi(k).var() for k in df])
    latent_var = np.tril(np.ones((p, p)), -1) + np.diag(root_var)
    expected_log_diag = np.log(np.diag(scale_tril)) + 0.5 * (special.digamma(df / 2) + np.log(2.0))
    expected_log_jacobian = p * np.log(2.0) + np.sum(powers * expected_log_diag)
    return Formula(
        log_prob=log_prob,
        mean=scale_tril @ np.diag(root_mean),
        variance=scale_tril**2 @ latent_var,
        entropy=lambda: frozen.entropy() - expected_log_jacobian,
    )


def lkj_log_normalizer(eta, d):
    """log c_d, the integral of det(C)^(eta - 1) over d x d correlation matrices, in the
    product-of-Beta-functions form of LKJ (2009) (their C-vine derivation)."""
    k = np.arange(1, d)
    b = eta + (d - k - 1) / 2.0
    return np.log(2.0) * np.sum((2 * eta - 2 + d - k) * (d - k)) + np.sum((d - k) * special.betaln(b, b))


def lkj_corr_log_density(corr, eta):
    d = corr.shape[-1]
    _, log_det = np.linalg.slogdet(corr)
    return (eta - 1.0) * log_det - lkj_log_normalizer(eta, d)


def lkj_cholesky_log_density(tril, eta):
    """LKJ density of C = L L^T times the Jacobian of L -> C (strictly lower entries),
    prod_{i} L_ii^(d - i) for 1-based i."""
    d = tril.shape[-1]
    diagonal = np.diagonal(tril, axis1=-2, axis2=-1)
    log_jacobian = np.sum((d - np.arange(1, d + 1)) * np.log(diagonal), axis=-1)
    corr = tril @ np.swapaxes(tril, -1, -2)
    return lkj_corr_log_density(corr, eta) + log_jacobian


def _lkj_reference(concentration, d=3):
    off = 1.0 / (2.0 * concentration + d - 1.0)  # Var(2B - 1), B ~ Beta(eta - 1 + d/2, same)
    return Formula(
        log_prob=lambda x: lkj_corr_log_density(x, concentration),
        mean=np.eye(d),
        variance=off * (1.0 - np.eye(d)),
    )


def _zero_sum_reference(scale, event_shape):
    """The singular normal N(0, scale^2 kron(P_1, P_2, ...)) on the flattened event, P the
    centring projections; scipy's singular density is on the support subspace."""
    projection = np.ones((1, 1))
    for n in event_shape:
        projection = np.kron(projection, np.eye(n) - 1.0 / n)
    size = projection.shape[0]
    frozen = stats.multivariate_normal(np.zeros(size), scale**2 * projection, allow_singular=True)

    def log_prob(x):
        flat = x.reshape(x.shape[: x.ndim - len(event_shape)] + (size,))
        return frozen.logpdf(flat @ projection)  # float32 draws sum to zero only to ~1e-7

    return Formula(
        log_prob=log_prob,
        mean=np.zeros(event_shape),
        variance=np.diag(frozen.cov).reshape(event_shape),
        entropy=frozen.entropy,
    )


def _random_walk_reference(scale, num_steps=5):
    increments = stats.norm(0.0, scale)
    return Formula(
        log_prob=lambda x: increments.logpdf(np.diff(x, axis=-1, prepend=0.0)).sum(-1),
        mean=np.zeros(num_steps),
        variance=scale**2 * np.arange(1, num_steps + 1),
        entropy=lambda: num_steps * increments.entropy(),
    )


GAMMA_GRADIENT_NOTE = (
    "gradients flow through jax.random.gamma's implicit reparameterisation, which is not the "
    "pathwise derivative of its fixed-key rejection sampler, so finite differences do not "
    "apply; tests/test_multivariate.py checks these gradients in expectation instead"
)

ETAS = [dict(concentration=1.0), dict(concentration=2.5), dict(concentration=0.6)]

CASES: list[Case] = _mvn_rows() + [
    Case(
        dist.LowRankMultivariateNormal,
        [
            dict(loc=np.array([0.0, 1.0, -1.0, 2.0]),
                 cov_factor=np.array([[1.0, 0.0], [0.5, -0.3], [0.2, 0.8], [-0.4, 0.1]]),
                 cov_diag=np.array([0.5, 1.0, 0.3, 2.0])),
            dict(loc=np.array([3.0, 0.0, 0.0, -1.0]),
                 cov_factor=np.array([[0.1, 0.2], [1.5, 0.0], [-1.0, 0.4], [0.3, 0.3]]),
                 cov_diag=np.array([1.0, 0.2, 0.7, 0.4])),
        ],
        lambda loc, cov_factor, cov_diag: Scipy(
            stats.multivariate_normal(loc, cov_factor @ cov_factor.T + np.diag(cov_diag)),
            skip=("cdf",),
        ),
        sample_test="moments",
    ),
    Case(
        dist.MultivariateStudentT,
        [dict(df=7.0, loc=LOCS[0], scale_tril=TRILS[0]),
         dict(df=5.5, loc=LOCS[1], scale_tril=TRILS[1]),
         dict(df=12.0, loc=LOCS[2], scale_tril=TRILS[2])],
        _mvt_reference,
        sample_test="moments",
        grad_params=(),
        note=GAMMA_GRADIENT_NOTE + "; df > 4 so the sample variance has a finite variance",
    ),
    Case(
        dist.Dirichlet,
        [dict(concentration=np.array([1.5, 2.0, 3.0])),
         dict(concentration=np.array([0.7, 1.0, 4.0])),
         dict(concentration=np.array([5.0, 0.5, 2.0]))],
        _dirichlet_reference,
        sample_test="moments",
    ),
    Case(
        lambda concentration: dist.LKJCholesky(3, concentration, sample_method="onion"),
        ETAS,
        lambda concentration: Formula(log_prob=lambda x: lkj_cholesky_log_density(x, concentration)),
        id="LKJCholesky-onion",
        sample_test="moments",
        grad_params=(),
        note=GAMMA_GRADIENT_NOTE,
    ),
    Case(
        lambda concentration: dist.LKJCholesky(3, concentration, sample_method="cvine"),
        ETAS,
        lambda concentration: Formula(log_prob=lambda x: lkj_cholesky_log_density(x, concentration)),
        id="LKJCholesky-cvine",
        sample_test="moments",
        grad_params=(),
        note=GAMMA_GRADIENT_NOTE,
    ),
    Case(
        lambda concentration: dist.LKJ(3, concentration),
        ETAS,
        _lkj_reference,
        id="LKJ",
        sample_test="moments",
        grad_params=(),
        note=GAMMA_GRADIENT_NOTE,
    ),
    Case(
        dist.Wishart,
        [dict(concentration=4.5, scale_matrix=COVARIANCES[0]),
         dict(concentration=6.0, scale_matrix=COVARIANCES[1]),
         dict(concentration=9.0, scale_matrix=COVARIANCES[2])],
        _wishart_reference,
        sample_test="moments",
        grad_params=(),
        note=GAMMA_GRADIENT_NOTE,
    ),
    Case(
        dist.WishartCholesky,
        [dict(concentration=4.5, scale_tril=TRILS[0]),
         dict(concentration=6.0, scale_tril=TRILS[1]),
         dict(concentration=9.0, scale_tril=TRILS[2])],
        _wishart_cholesky_reference,
        sample_test="moments",
        grad_params=(),
        note=GAMMA_GRADIENT_NOTE,
    ),
    Case(
        lambda scale: dist.GaussianRandomWalk(scale, num_steps=5),
        [dict(scale=1.0), dict(scale=0.3), dict(scale=2.5)],
        _random_walk_reference,
        id="GaussianRandomWalk",
        sample_test="moments",
    ),
    Case(
        lambda scale: dist.ZeroSumNormal(scale, event_shape=(4,)),
        [dict(scale=1.0), dict(scale=0.4), dict(scale=3.0)],
        lambda scale: _zero_sum_reference(scale, (4,)),
        id="ZeroSumNormal",
        sample_test="moments",
    ),
    Case(
        lambda scale: dist.ZeroSumNormal(scale, event_shape=(3, 2)),
        [dict(scale=1.0), dict(scale=2.0)],
        lambda scale: _zero_sum_reference(scale, (3, 2)),
        id="ZeroSumNormal-2d",
        sample_test="moments",
    ),
]

NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]])
EYE2 = np.eye(2)
MVN = dist.MultivariateNormal

INVALID: list[Invalid] = [
    Invalid(MVN, dict(loc=np.zeros(2), covariance_matrix=NOT_PD), "covariance_matrix"),
    Invalid(MVN, dict(loc=np.zeros(2), covariance_matrix=np.array([[1.0, 0.5], [0.0, 1.0]])),
            "covariance_matrix", id="MultivariateNormal-covariance_matrix-asymmetric"),
    Invalid(MVN, dict(loc=np.zeros(2), precision_matrix=NOT_PD), "precision_matrix"),
    Invalid(MVN, dict(loc=np.zeros(2), scale_tril=np.array([[1.0, 0.0], [0.5, -1.0]])), "scale_tril"),
    Invalid(MVN, dict(loc=np.zeros(2), scale_tril=np.array([[1.0, 0.0], [0.5, 0.0]])), "scale_tril",
            id="MultivariateNormal-scale_tril-zero-diagonal"),
    Invalid(MVN, dict(loc=np.zeros(2), scale_tril=np.array([[1.0, 0.3], [0.5, 1.0]])), "scale_tril",
            id="MultivariateNormal-scale_tril-not-triangular"),
    Invalid(MVN, dict(loc=np.zeros(2), covariance_matrix=EYE2, scale_tril=EYE2), "scale_tril",
            id="MultivariateNormal-two-matrices"),
    Invalid(MVN, dict(loc=np.zeros(2), covariance_matrix=EYE2, precision_matrix=EYE2, scale_tril=EYE2),
            "precision_matrix", id="MultivariateNormal-three-matrices"),
    Invalid(MVN, dict(loc=np.zeros(2)), "covariance_matrix", id="MultivariateNormal-no-matrix"),
    Invalid(MVN, dict(loc=np.array([0.0, np.nan]), covariance_matrix=EYE2), "loc"),
    Invalid(MVN, dict(loc=np.zeros(3), covariance_matrix=EYE2), "loc", id="MultivariateNormal-loc-size"),
    Invalid(MVN, dict(loc=np.zeros(2), covariance_matrix=np.ones((2, 3))), "covariance_matrix",
            id="MultivariateNormal-covariance_matrix-not-square"),
    Invalid(dist.LowRankMultivariateNormal,
            dict(loc=np.zeros(2), cov_factor=np.ones((2, 1)), cov_diag=np.array([1.0, -1.0])), "cov_diag"),
    Invalid(dist.LowRankMultivariateNormal,
            dict(loc=np.zeros(2), cov_factor=np.ones(2), cov_diag=np.ones(2)), "cov_factor"),
    Invalid(dist.LowRankMultivariateNormal,
            dict(loc=np.zeros(2), cov_factor=np.array([[1.0], [np.inf]]), cov_diag=np.ones(2)), "cov_factor",
            id="LowRankMultivariateNormal-cov_factor-inf"),
    Invalid(dist.LowRankMultivariateNormal,
            dict(loc=np.array([np.nan, 0.0]), cov_factor=np.ones((2, 1)), cov_diag=np.ones(2)), "loc"),
    Invalid(dist.MultivariateStudentT, dict(df=0.0, loc=np.zeros(2), scale_tril=EYE2), "df"),
    Invalid(dist.MultivariateStudentT, dict(df=3.0, loc=np.zeros(2), scale_tril=NOT_PD), "scale_tril"),
    Invalid(dist.MultivariateStudentT, dict(df=3.0, loc=0.0), "scale_tril",
            id="MultivariateStudentT-no-dimension"),
    Invalid(dist.Dirichlet, dict(concentration=np.array([1.0, 0.0, 2.0])), "concentration"),
    Invalid(dist.Dirichlet, dict(concentration=2.0), "concentration", id="Dirichlet-concentration-scalar"),
    Invalid(dist.LKJCholesky, dict(dimension=3, concentration=0.0), "concentration"),
    Invalid(dist.LKJCholesky, dict(dimension=1), "dimension"),
    Invalid(dist.LKJCholesky, dict(dimension=3, sample_method="vine"), "sample_method"),
    Invalid(dist.LKJ, dict(dimension=3, concentration=-1.0), "concentration"),
    Invalid(dist.LKJ, dict(dimension=2.5), "dimension"),
    Invalid(dist.LKJ, dict(dimension=3, sample_method="onions"), "sample_method"),
    Invalid(dist.Wishart, dict(concentration=1.5, scale_matrix=np.eye(3)), "concentration"),
    Invalid(dist.Wishart, dict(concentration=3.0, scale_matrix=NOT_PD), "scale_matrix"),
    Invalid(dist.Wishart, dict(concentration=3.0, rate_matrix=NOT_PD), "rate_matrix"),
    Invalid(dist.Wishart, dict(concentration=3.0, scale_tril=-EYE2), "scale_tril"),
    Invalid(dist.Wishart, dict(concentration=3.0), "scale_matrix", id="Wishart-no-matrix"),
    Invalid(dist.Wishart, dict(concentration=3.0, scale_matrix=EYE2, rate_matrix=EYE2), "rate_matrix",
            id="Wishart-two-matrices"),
    Invalid(dist.WishartCholesky, dict(concentration=0.5, scale_tril=EYE2), "concentration"),
    Invalid(dist.WishartCholesky, dict(concentration=3.0, scale_tril=NOT_PD), "scale_tril"),
    Invalid(dist.WishartCholesky, dict(concentration=3.0), "scale_tril", id="WishartCholesky-no-matrix"),
    Invalid(dist.GaussianRandomWalk, dict(scale=-1.0, num_steps=3), "scale"),
    Invalid(dist.GaussianRandomWalk, dict(scale=1.0, num_steps=0), "num_steps"),
    Invalid(dist.GaussianRandomWalk, dict(scale=1.0, num_steps=2.5), "num_steps",
            id="GaussianRandomWalk-num_steps-float"),
    Invalid(dist.ZeroSumNormal, dict(scale=0.0, event_shape=(3,)), "scale"),
    Invalid(dist.ZeroSumNormal, dict(scale=1.0, event_shape=()), "event_shape"),
]
