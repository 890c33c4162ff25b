r"""Elliptical families on :math:`\mathbb{R}^d`: the multivariate normal (dense and
low-rank-plus-diagonal covariance) and the multivariate Student t.

Densities are computed from a lower Cholesky factor with triangular solves; no matrix is
ever inverted to evaluate them.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import digamma, gammaln

from . import _constraints as constraints
from ._distribution import Distribution
from ._multivariate_util import (
    as_square_matrix,
    as_vector,
    cholesky_of_inverse,
    inverse_from_cholesky,
    mahalanobis,
    matvec,
    one_of,
    outer_self,
    tri_logdet,
)
from ._util import as_float_array, is_traced

__all__ = ["LowRankMultivariateNormal", "MultivariateNormal", "MultivariateStudentT"]

_LOG_2PI = math.log(2 * math.pi)

_MATRIX_CONSTRAINTS = {
    "covariance_matrix": constraints.positive_definite,
    "precision_matrix": constraints.positive_definite,
    "scale_tril": constraints.lower_cholesky,
}


def _from_given(name: str, matrix):
    """``(covariance_matrix, precision_matrix, scale_tril)`` from whichever was given."""
    if name == "covariance_matrix":
        tril = jnp.linalg.cholesky(matrix)
        return matrix, inverse_from_cholesky(tril), tril
    if name == "precision_matrix":
        tril = cholesky_of_inverse(matrix)
        return outer_self(tril), matrix, tril
    return outer_self(matrix), inverse_from_cholesky(matrix), matrix


class MultivariateNormal(Distribution):
    r"""Multivariate normal distribution with mean ``loc`` and covariance :math:`\Sigma`,
    given by exactly one of ``covariance_matrix``, ``precision_matrix``
    (:math:`\Sigma^{-1}`) or ``scale_tril`` (lower Cholesky factor :math:`L`,
    :math:`\Sigma = L L^T`):

    .. math::

        p(x \mid \mu, \Sigma) = (2\pi)^{-d/2} \, |\Sigma|^{-1/2}
            \exp\!\Bigl(-\tfrac12 (x - \mu)^T \Sigma^{-1} (x - \mu)\Bigr).

    All three matrices are attributes whichever was given (the other two are derived
    from it). ``batch_shape`` is the broadcast of ``loc.shape[:-1]`` and the matrix's
    ``shape[:-2]``; ``event_shape`` is ``(d,)``.

    Args:
        loc: the mean :math:`\mu`, shape ``(..., d)``; a scalar, or a last dim of 1,
            is broadcast to ``d`` entries (default 0).
        covariance_matrix: the covariance :math:`\Sigma`, positive definite, shape
            ``(..., d, d)``.
        precision_matrix: the precision :math:`\Sigma^{-1}`, positive definite, shape
            ``(..., d, d)`` (instead of ``covariance_matrix``).
        scale_tril: the lower Cholesky factor :math:`L` of :math:`\Sigma`, lower
            triangular with a positive diagonal, shape ``(..., d, d)`` (instead of
            ``covariance_matrix``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if not exactly one of ``covariance_matrix``, ``precision_matrix`` and
            ``scale_tril`` is given, it is not a (batch of) square matrices, ``loc`` has
            neither 1 nor ``d`` entries in its last dim, or a concrete parameter lies
            outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2))
        >>> d.batch_shape, d.event_shape
        ((), (2,))
        >>> d.scale_tril.tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        >>> d.sample(jax.random.PRNGKey(0), (5,)).shape
        (5, 2)
    """

    loc: jax.Array
    covariance_matrix: jax.Array
    precision_matrix: jax.Array
    scale_tril: jax.Array
    _given: str = eqx.field(static=True, repr=False)

    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc=0.0,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        *,
        validate_args=None,
    ):
        owner = type(self).__name__
        given, matrix = one_of(
            owner,
            covariance_matrix=covariance_matrix,
            precision_matrix=precision_matrix,
            scale_tril=scale_tril,
        )
        matrix = as_square_matrix(owner, given, matrix)
        d = matrix.shape[-1]
        self.loc = as_vector(owner, "loc", loc, d)
        self._given = given
        self.covariance_matrix, self.precision_matrix, self.scale_tril = _from_given(given, matrix)
        batch_shape = jnp.broadcast_shapes(self.loc.shape[:-1], matrix.shape[:-2])
        super().__init__(batch_shape, (d,), validate_args=validate_args)
        if self.validate_args and is_traced(matrix) and given != "scale_tril":
            # the runtime check wraps the given matrix; derive from it so the check runs
            self.covariance_matrix, self.precision_matrix, self.scale_tril = _from_given(
                given, getattr(self, given)
            )

    @property
    def arg_constraints(self):  # type: ignore[override]
        """``loc`` a real vector and the constraint of the matrix given."""
        return {"loc": constraints.real_vector, self._given: _MATRIX_CONSTRAINTS[self._given]}

    def sample(self, key, sample_shape=()):
        eps = jax.random.normal(key, self.shape(sample_shape))
        return self.loc + matvec(self.scale_tril, eps)

    def _log_prob(self, value):
        d = self.event_shape[0]
        m = mahalanobis(self.scale_tril, value - self.loc)
        return -0.5 * m - tri_logdet(self.scale_tril) - 0.5 * d * _LOG_2PI

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc, self.batch_shape + self.event_shape)

    @property
    def variance(self):
        diagonal = jnp.sum(jnp.square(self.scale_tril), axis=-1)
        return jnp.broadcast_to(diagonal, self.batch_shape + self.event_shape)

    def entropy(self):
        d = self.event_shape[0]
        value = 0.5 * d * (1.0 + _LOG_2PI) + tri_logdet(self.scale_tril)
        return jnp.broadcast_to(value, self.batch_shape)


class LowRankMultivariateNormal(Distribution):
    r"""Multivariate normal whose covariance is low rank plus diagonal,
    :math:`\Sigma = W W^T + \operatorname{diag}(D)` with ``cov_factor`` :math:`W`
    (``(..., d, k)``) and ``cov_diag`` :math:`D` (``(..., d)``):

    .. math::

        p(x) = (2\pi)^{-d/2} \, |\Sigma|^{-1/2}
            \exp\!\Bigl(-\tfrac12 (x - \mu)^T \Sigma^{-1} (x - \mu)\Bigr).

    With the capacitance :math:`C = I_k + W^T D^{-1} W`, the Woodbury identity
    :math:`\Sigma^{-1} = D^{-1} - D^{-1} W C^{-1} W^T D^{-1}` and the matrix determinant
    lemma :math:`|\Sigma| = |C|\,|D|` give the density in :math:`O(d k^2)`.

    Args:
        loc: the mean :math:`\mu`, shape ``(..., d)``; a scalar, or a last dim of 1,
            is broadcast to ``d`` entries.
        cov_factor: the factor :math:`W` of the low-rank part, any real, shape
            ``(..., d, k)``; it fixes ``d`` and the rank ``k``.
        cov_diag: the diagonal :math:`D`, positive, shape ``(..., d)`` (a scalar is
            broadcast).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``cov_factor`` has fewer than two dims, ``loc`` or ``cov_diag`` has
            neither 1 nor ``d`` entries in its last dim, or a concrete parameter lies
            outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.LowRankMultivariateNormal(jnp.zeros(3), jnp.ones((3, 1)), jnp.ones(3))
        >>> d.covariance_matrix.tolist()
        [[2.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]]
    """

    loc: jax.Array
    cov_factor: jax.Array
    cov_diag: jax.Array

    arg_constraints = {
        "loc": constraints.real_vector,
        "cov_factor": constraints.independent(constraints.real, 2),
        "cov_diag": constraints.independent(constraints.positive, 1),
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, *, validate_args=None):
        owner = type(self).__name__
        cov_factor = jnp.asarray(as_float_array(cov_factor))
        if cov_factor.ndim < 2:
            raise ValueError(
                f"{owner}: parameter 'cov_factor' must be a (batch of) d x k matrices; "
                f"got shape {cov_factor.shape}."
            )
        d = cov_factor.shape[-2]
        self.loc = as_vector(owner, "loc", loc, d)
        self.cov_factor = cov_factor
        self.cov_diag = as_vector(owner, "cov_diag", cov_diag, d)
        batch_shape = jnp.broadcast_shapes(
            self.loc.shape[:-1], cov_factor.shape[:-2], self.cov_diag.shape[:-1]
        )
        super().__init__(batch_shape, (d,), validate_args=validate_args)

    def _scaled_factor_t(self):
        """:math:`W^T D^{-1}`, shape ``(..., k, d)``."""
        return jnp.swapaxes(self.cov_factor, -1, -2) / self.cov_diag[..., None, :]

    def _capacitance_tril(self):
        k = self.cov_factor.shape[-1]
        capacitance = jnp.matmul(self._scaled_factor_t(), self.cov_factor) + jnp.eye(k)
        return jnp.linalg.cholesky(capacitance)

    def _log_det(self, capacitance_tril):
        return 2.0 * tri_logdet(capacitance_tril) + jnp.sum(jnp.log(self.cov_diag), axis=-1)

    def sample(self, key, sample_shape=()):
        key_factor, key_diag = jax.random.split(key)
        lead = tuple(sample_shape) + self.batch_shape
        eps_factor = jax.random.normal(key_factor, lead + self.cov_factor.shape[-1:])
        eps_diag = jax.random.normal(key_diag, lead + self.event_shape)
        return self.loc + matvec(self.cov_factor, eps_factor) + jnp.sqrt(self.cov_diag) * eps_diag

    def _log_prob(self, value):
        diff = value - self.loc
        capacitance_tril = self._capacitance_tril()
        projected = matvec(self._scaled_factor_t(), diff)
        m = jnp.sum(jnp.square(diff) / self.cov_diag, axis=-1) - mahalanobis(capacitance_tril, projected)
        d = self.event_shape[0]
        return -0.5 * (d * _LOG_2PI + self._log_det(capacitance_tril) + m)

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc, self.batch_shape + self.event_shape)

    @property
    def variance(self):
        diagonal = jnp.sum(jnp.square(self.cov_factor), axis=-1) + self.cov_diag
        return jnp.broadcast_to(diagonal, self.batch_shape + self.event_shape)

    @property
    def covariance_matrix(self):
        r"""The dense covariance :math:`W W^T + \operatorname{diag}(D)`, shape ``(..., d, d)``."""
        dense = outer_self(self.cov_factor)
        return dense + self.cov_diag[..., None] * jnp.eye(self.event_shape[0])

    @property
    def precision_matrix(self):
        r"""The dense precision :math:`\Sigma^{-1}` (Woodbury identity), shape ``(..., d, d)``."""
        # Woodbury: inv(D) - A^T A with A = inv(L_C) W^T inv(D)
        a = solve_triangular(self._capacitance_tril(), self._scaled_factor_t(), lower=True)
        return jnp.reciprocal(self.cov_diag)[..., None] * jnp.eye(self.event_shape[0]) - jnp.matmul(
            jnp.swapaxes(a, -1, -2), a
        )

    @property
    def scale_tril(self):
        r"""The lower Cholesky factor of :math:`\Sigma`, shape ``(..., d, d)``."""
        # W W^T + D = D^{1/2} (I + D^{-1/2} W W^T D^{-1/2}) D^{1/2}; the middle factor's
        # eigenvalues are >= 1, so its Cholesky factorisation is well conditioned.
        root = jnp.sqrt(self.cov_diag)[..., None]
        scaled = self.cov_factor / root
        inner = outer_self(scaled) + jnp.eye(self.event_shape[0])
        return root * jnp.linalg.cholesky(inner)

    def entropy(self):
        d = self.event_shape[0]
        value = 0.5 * (d * (1.0 + _LOG_2PI) + self._log_det(self._capacitance_tril()))
        return jnp.broadcast_to(value, self.batch_shape)


class MultivariateStudentT(Distribution):
    r"""Multivariate Student t with ``df`` :math:`\nu`, location ``loc`` :math:`\mu` and
    scale :math:`\Sigma = L L^T` given by its lower Cholesky factor ``scale_tril``
    (the identity when omitted):

    .. math::

        p(x) = \frac{\Gamma\bigl(\frac{\nu + d}{2}\bigr)}
                    {\Gamma\bigl(\frac{\nu}{2}\bigr) (\nu\pi)^{d/2} |L|}
            \Bigl(1 + \tfrac{1}{\nu} (x - \mu)^T \Sigma^{-1} (x - \mu)\Bigr)^{-(\nu + d)/2}.

    The mean is ``loc`` for :math:`\nu > 1` (NaN otherwise); the variance is
    :math:`\frac{\nu}{\nu - 2} \operatorname{diag}\Sigma` for :math:`\nu > 2`, infinite
    for :math:`1 < \nu \le 2` and NaN for :math:`\nu \le 1`. ``covariance_matrix`` and
    ``precision_matrix`` are those of the scale :math:`\Sigma`, as in NumPyro, not of the
    distribution.

    Args:
        df: the degrees of freedom :math:`\nu`, positive; a float or an array that
            broadcasts with the batch dims of ``loc`` and ``scale_tril``.
        loc: the location :math:`\mu`, shape ``(..., d)``; a scalar, or a last dim of 1,
            is broadcast to ``d`` entries (default 0).
        scale_tril: the lower Cholesky factor :math:`L` of the scale :math:`\Sigma`,
            lower triangular with a positive diagonal, shape ``(..., d, d)``; ``None``
            (the default) is the :math:`d \times d` identity with ``d`` read from a
            vector ``loc``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``scale_tril`` is omitted while ``loc`` is a scalar, ``scale_tril``
            is not a (batch of) square matrices, ``loc`` has neither 1 nor ``d`` entries
            in its last dim, or a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.MultivariateStudentT(4.0, jnp.zeros(3), jnp.eye(3))
        >>> d.variance.tolist()
        [2.0, 2.0, 2.0]
        >>> d.rsample(jax.random.PRNGKey(0), (2,)).shape
        (2, 3)
    """

    df: jax.Array | float
    loc: jax.Array
    scale_tril: jax.Array

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real_vector,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, df, loc=0.0, scale_tril=None, *, validate_args=None):
        owner = type(self).__name__
        if scale_tril is None:
            if jnp.ndim(loc) == 0:
                raise ValueError(
                    f"{owner}: parameter 'scale_tril' is needed to know the dimension when "
                    "'loc' is a scalar; pass scale_tril (or a vector loc for an identity scale)."
                )
            scale_tril = jnp.eye(jnp.shape(loc)[-1])
        scale_tril = as_square_matrix(owner, "scale_tril", scale_tril)
        d = scale_tril.shape[-1]
        self.df = as_float_array(df)
        self.loc = as_vector(owner, "loc", loc, d)
        self.scale_tril = scale_tril
        batch_shape = jnp.broadcast_shapes(
            jnp.shape(self.df), self.loc.shape[:-1], scale_tril.shape[:-2]
        )
        super().__init__(batch_shape, (d,), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        key_normal, key_chi2 = jax.random.split(key)
        eps = jax.random.normal(key_normal, self.shape(sample_shape))
        half_df = jnp.broadcast_to(0.5 * jnp.asarray(self.df), tuple(sample_shape) + self.batch_shape)
        # chi2 = 2 * Gamma(df / 2); work in logs so that tiny draws (small df) stay finite
        log_chi2 = jax.random.loggamma(key_chi2, half_df) + math.log(2.0)
        scale = jnp.exp(0.5 * (jnp.log(self.df) - log_chi2))
        return self.loc + matvec(self.scale_tril, eps * scale[..., None])

    def _log_prob(self, value):
        d = self.event_shape[0]
        df = jnp.asarray(self.df)
        m = mahalanobis(self.scale_tril, value - self.loc)
        log_norm = (
            tri_logdet(self.scale_tril)
            + 0.5 * d * (jnp.log(df) + math.log(math.pi))
            + gammaln(0.5 * df)
            - gammaln(0.5 * (df + d))
        )
        return -0.5 * (df + d) * jnp.log1p(m / df) - log_norm

    @property
    def mean(self):
        df = jnp.asarray(self.df)[..., None]
        return jnp.broadcast_to(jnp.where(df > 1, self.loc, jnp.nan), self.batch_shape + self.event_shape)

    @property
    def variance(self):
        df = jnp.asarray(self.df)[..., None]
        scale_diag = jnp.sum(jnp.square(self.scale_tril), axis=-1)
        finite = scale_diag * df / jnp.where(df > 2, df - 2, 1.0)
        value = jnp.where(df > 2, finite, jnp.where(df > 1, jnp.inf, jnp.nan))
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    @property
    def covariance_matrix(self):
        r"""The scale matrix :math:`\Sigma = L L^T`, shape ``(..., d, d)``.

        It is not the covariance of the distribution, which is
        :math:`\frac{\nu}{\nu - 2} \Sigma` for :math:`\nu > 2`.
        """
        return outer_self(self.scale_tril)

    @property
    def precision_matrix(self):
        r"""The inverse :math:`\Sigma^{-1}` of the scale matrix, shape ``(..., d, d)``."""
        return inverse_from_cholesky(self.scale_tril)

    def entropy(self):
        d = self.event_shape[0]
        df = jnp.asarray(self.df)
        half, half_d = 0.5 * df, 0.5 * (df + d)
        value = (
            gammaln(half)
            - gammaln(half_d)
            + 0.5 * d * (jnp.log(df) + math.log(math.pi))
            + half_d * (digamma(half_d) - digamma(half))
            + tri_logdet(self.scale_tril)
        )
        return jnp.broadcast_to(value, self.batch_shape)
