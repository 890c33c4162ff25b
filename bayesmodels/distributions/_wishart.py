r"""The Wishart distribution on positive definite matrices, and the distribution of its
Cholesky factor. Both sample with the Bartlett decomposition: if :math:`A` is lower
triangular with :math:`A_{ii}^2 \sim \chi^2_{n - i + 1}` and standard normal entries
below the diagonal, then :math:`L_S A` is the Cholesky factor of a
:math:`\mathrm{Wishart}(n, L_S L_S^T)` draw.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import digamma, gammaln, multigammaln

from . import _constraints as constraints
from ._distribution import Distribution
from ._multivariate_util import (
    as_square_matrix,
    cholesky_of_inverse,
    inverse_from_cholesky,
    one_of,
    outer_self,
    tri_logdet,
)
from ._util import as_float_array, is_traced

__all__ = ["Wishart", "WishartCholesky"]

_LOG_2 = math.log(2.0)

_MATRIX_CONSTRAINTS = {
    "scale_matrix": constraints.positive_definite,
    "rate_matrix": constraints.positive_definite,
    "scale_tril": constraints.lower_cholesky,
}


def _from_given(name: str, matrix):
    """``(scale_matrix, rate_matrix, scale_tril)`` from whichever was given."""
    if name == "scale_matrix":
        tril = jnp.linalg.cholesky(matrix)
        return matrix, inverse_from_cholesky(tril), tril
    if name == "rate_matrix":
        tril = cholesky_of_inverse(matrix)
        return outer_self(tril), matrix, tril
    return outer_self(matrix), inverse_from_cholesky(matrix), matrix


def _parse(owner: str, concentration, scale_matrix, rate_matrix, scale_tril):
    """Shared argument handling: ``(concentration, given, matrices, batch_shape, p)``."""
    given, matrix = one_of(
        owner, scale_matrix=scale_matrix, rate_matrix=rate_matrix, scale_tril=scale_tril
    )
    matrix = as_square_matrix(owner, given, matrix)
    concentration = as_float_array(concentration)
    batch_shape = jnp.broadcast_shapes(jnp.shape(concentration), matrix.shape[:-2])
    return concentration, given, _from_given(given, matrix), batch_shape, matrix.shape[-1]


def _arg_constraints(given: str, p: int):
    return {
        "concentration": constraints.greater_than(float(p - 1)),
        given: _MATRIX_CONSTRAINTS[given],
    }


def _bartlett(key, concentration, p: int, lead: tuple):
    """The Bartlett factor ``A``: ``A_ii = sqrt(chi2(n - i))`` (0-based ``i``), standard
    normal below the diagonal, zero above."""
    key_diag, key_below = jax.random.split(key)
    half_df = 0.5 * (jnp.asarray(concentration)[..., None] - jnp.arange(p))
    log_chi2 = jax.random.loggamma(key_diag, jnp.broadcast_to(half_df, lead + (p,))) + _LOG_2
    below = jnp.tril(jax.random.normal(key_below, lead + (p, p)), -1)
    return below + jnp.exp(0.5 * log_chi2)[..., None] * jnp.eye(p)


def _log_density_of_cholesky(concentration, scale_tril, value_tril):
    r"""Wishart log density at :math:`X = L L^T`, from :math:`L` (no Jacobian)."""
    p = value_tril.shape[-1]
    n = jnp.asarray(concentration)
    solved = solve_triangular(*jnp.broadcast_arrays(scale_tril, value_tril), lower=True)
    trace = jnp.sum(jnp.square(solved), axis=(-2, -1))  # tr(S^{-1} X)
    return (
        (n - p - 1.0) * tri_logdet(value_tril)
        - 0.5 * trace
        - 0.5 * n * p * _LOG_2
        - n * tri_logdet(scale_tril)
        - multigammaln(0.5 * n, p)
    )


def _multidigamma(a, p: int):
    return jnp.sum(digamma(jnp.asarray(a)[..., None] - 0.5 * jnp.arange(p)), axis=-1)


def _wishart_entropy(concentration, scale_tril, p: int):
    n = jnp.asarray(concentration)
    return (
        (p + 1.0) * tri_logdet(scale_tril)
        + 0.5 * p * (p + 1) * _LOG_2
        + multigammaln(0.5 * n, p)
        - 0.5 * (n - p - 1.0) * _multidigamma(0.5 * n, p)
        + 0.5 * n * p
    )


class Wishart(Distribution):
    r"""Wishart distribution on :math:`p \times p` positive definite matrices with
    ``concentration`` (degrees of freedom) :math:`n > p - 1` and scale :math:`S`, given
    by exactly one of ``scale_matrix``, ``rate_matrix`` (:math:`S^{-1}`) or
    ``scale_tril`` (:math:`S = L_S L_S^T`):

    .. math::

        p(X \mid n, S) = \frac{|X|^{(n - p - 1)/2} \exp\bigl(-\tfrac12 \operatorname{tr}(S^{-1} X)\bigr)}
            {2^{np/2} \, |S|^{n/2} \, \Gamma_p(n/2)}.

    Mean :math:`nS`; :math:`\operatorname{Var}(X_{ij}) = n (S_{ij}^2 + S_{ii} S_{jj})`.

    Args:
        concentration: the degrees of freedom :math:`n`, greater than :math:`p - 1`; a
            float or an array that broadcasts with the matrix's batch dims.
        scale_matrix: the scale :math:`S`, positive definite, shape ``(..., p, p)``.
        rate_matrix: the inverse scale :math:`S^{-1}`, positive definite, shape
            ``(..., p, p)`` (instead of ``scale_matrix``).
        scale_tril: the lower Cholesky factor :math:`L_S` of :math:`S`, lower triangular
            with a positive diagonal, shape ``(..., p, p)`` (instead of
            ``scale_matrix``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if not exactly one of ``scale_matrix``, ``rate_matrix`` and
            ``scale_tril`` is given, it is not a (batch of) square matrices, or a concrete
            parameter lies outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Wishart(5.0, scale_matrix=jnp.eye(2))
        >>> d.mean.tolist()
        [[5.0, 0.0], [0.0, 5.0]]
        >>> d.sample(jax.random.PRNGKey(0), (3,)).shape
        (3, 2, 2)
    """

    concentration: jax.Array | float
    scale_matrix: jax.Array
    rate_matrix: jax.Array
    scale_tril: jax.Array
    _given: str = eqx.field(static=True, repr=False)

    support = constraints.positive_definite
    has_rsample = True

    def __init__(
        self, concentration, scale_matrix=None, rate_matrix=None, scale_tril=None, *, validate_args=None
    ):
        parsed = _parse(type(self).__name__, concentration, scale_matrix, rate_matrix, scale_tril)
        self.concentration, self._given, matrices, batch_shape, p = parsed
        self.scale_matrix, self.rate_matrix, self.scale_tril = matrices
        super().__init__(batch_shape, (p, p), validate_args=validate_args)
        given = self._given
        if self.validate_args and given != "scale_tril" and is_traced(getattr(self, given)):
            # the runtime check wraps the given matrix; derive from it so the check runs
            self.scale_matrix, self.rate_matrix, self.scale_tril = _from_given(given, getattr(self, given))

    @property
    def arg_constraints(self):  # type: ignore[override]
        """``concentration`` greater than :math:`p - 1` and the constraint of the matrix given."""
        return _arg_constraints(self._given, self.event_shape[-1])

    def sample(self, key, sample_shape=()):
        lead = tuple(sample_shape) + self.batch_shape
        factor = jnp.matmul(self.scale_tril, _bartlett(key, self.concentration, self.event_shape[-1], lead))
        x = outer_self(factor)
        return 0.5 * (x + jnp.swapaxes(x, -1, -2))

    def _log_prob(self, value):
        return _log_density_of_cholesky(self.concentration, self.scale_tril, jnp.linalg.cholesky(value))

    @property
    def mean(self):
        value = jnp.asarray(self.concentration)[..., None, None] * self.scale_matrix
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    @property
    def variance(self):
        s = self.scale_matrix
        diagonal = jnp.diagonal(s, axis1=-2, axis2=-1)
        value = jnp.asarray(self.concentration)[..., None, None] * (
            jnp.square(s) + diagonal[..., :, None] * diagonal[..., None, :]
        )
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    def entropy(self):
        value = _wishart_entropy(self.concentration, self.scale_tril, self.event_shape[-1])
        return jnp.broadcast_to(value, self.batch_shape)


class WishartCholesky(Distribution):
    r"""Distribution of the lower Cholesky factor :math:`L` of a
    :math:`\mathrm{Wishart}(n, S)` matrix :math:`X = L L^T` (same arguments as
    :class:`Wishart`). With the Jacobian of :math:`L \mapsto L L^T`,

    .. math::

        p(L \mid n, S) = p_{\mathrm{Wishart}}(L L^T \mid n, S) \; 2^p \prod_{i=1}^{p} L_{ii}^{\,p - i + 1}.

    The mean and variance follow from the Bartlett decomposition :math:`L = L_S A`.

    Args:
        concentration: the degrees of freedom :math:`n`, greater than :math:`p - 1`; a
            float or an array that broadcasts with the matrix's batch dims.
        scale_matrix: the scale :math:`S`, positive definite, shape ``(..., p, p)``.
        rate_matrix: the inverse scale :math:`S^{-1}`, positive definite, shape
            ``(..., p, p)`` (instead of ``scale_matrix``).
        scale_tril: the lower Cholesky factor :math:`L_S` of :math:`S`, lower triangular
            with a positive diagonal, shape ``(..., p, p)`` (instead of
            ``scale_matrix``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if not exactly one of ``scale_matrix``, ``rate_matrix`` and
            ``scale_tril`` is given, it is not a (batch of) square matrices, or a concrete
            parameter lies outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.WishartCholesky(4.0, scale_tril=jnp.eye(3))
        >>> d.batch_shape, d.event_shape
        ((), (3, 3))
        >>> d.sample(jax.random.PRNGKey(0)).shape
        (3, 3)
    """

    concentration: jax.Array | float
    scale_matrix: jax.Array
    rate_matrix: jax.Array
    scale_tril: jax.Array
    _given: str = eqx.field(static=True, repr=False)

    support = constraints.lower_cholesky
    has_rsample = True

    def __init__(
        self, concentration, scale_matrix=None, rate_matrix=None, scale_tril=None, *, validate_args=None
    ):
        parsed = _parse(type(self).__name__, concentration, scale_matrix, rate_matrix, scale_tril)
        self.concentration, self._given, matrices, batch_shape, p = parsed
        self.scale_matrix, self.rate_matrix, self.scale_tril = matrices
        super().__init__(batch_shape, (p, p), validate_args=validate_args)
        given = self._given
        if self.validate_args and given != "scale_tril" and is_traced(getattr(self, given)):
            self.scale_matrix, self.rate_matrix, self.scale_tril = _from_given(given, getattr(self, given))

    @property
    def arg_constraints(self):  # type: ignore[override]
        """``concentration`` greater than :math:`p - 1` and the constraint of the matrix given."""
        return _arg_constraints(self._given, self.event_shape[-1])

    def sample(self, key, sample_shape=()):
        lead = tuple(sample_shape) + self.batch_shape
        return jnp.matmul(self.scale_tril, _bartlett(key, self.concentration, self.event_shape[-1], lead))

    def _log_jacobian(self, value):
        p = self.event_shape[-1]
        diagonal = jnp.diagonal(value, axis1=-2, axis2=-1)
        return p * _LOG_2 + jnp.sum(jnp.arange(p, 0, -1) * jnp.log(diagonal), axis=-1)

    def _log_prob(self, value):
        wishart = _log_density_of_cholesky(self.concentration, self.scale_tril, value)
        return wishart + self._log_jacobian(value)

    def _bartlett_moments(self):
        """``E[A_ii]`` and ``E[A_ii^2] = n - i`` for the Bartlett diagonal."""
        p = self.event_shape[-1]
        df = jnp.asarray(self.concentration)[..., None] - jnp.arange(p)
        mean_root = math.sqrt(2.0) * jnp.exp(gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df))
        return mean_root, df

    @property
    def mean(self):
        mean_root, _ = self._bartlett_moments()
        value = self.scale_tril * mean_root[..., None, :]  # L_S diag(E[A_ii])
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    @property
    def variance(self):
        # Var(L_ij) = sum_k S_ik^2 Var(A_kj): Var(A_kj) = 1 below the diagonal,
        # n - j - E[A_jj]^2 on it, 0 above.
        p = self.event_shape[-1]
        mean_root, df = self._bartlett_moments()
        latent = jnp.tril(jnp.ones((p, p)), -1) + (df - jnp.square(mean_root))[..., None, :] * jnp.eye(p)
        value = jnp.matmul(jnp.square(self.scale_tril), latent)
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    def entropy(self):
        # H(L) = H(X) - E[log|J|], and E[log L_ii] = log S_ii + (digamma((n - i)/2) + log 2)/2
        p = self.event_shape[-1]
        n = jnp.asarray(self.concentration)
        df = n[..., None] - jnp.arange(p)
        scale_diag = jnp.diagonal(self.scale_tril, axis1=-2, axis2=-1)
        expected_log_diag = jnp.log(scale_diag) + 0.5 * (digamma(0.5 * df) + _LOG_2)
        expected_log_jacobian = p * _LOG_2 + jnp.sum(jnp.arange(p, 0, -1) * expected_log_diag, axis=-1)
        value = _wishart_entropy(n, self.scale_tril, p) - expected_log_jacobian
        return jnp.broadcast_to(value, self.batch_shape)
