r"""The LKJ distribution on correlation matrices and on their Cholesky factors.

Lewandowski, Kurowicka and Joe (2009), "Generating random correlation matrices based on
vines and extended onion method", J. Multivariate Analysis 100. Both of their samplers are
here: the extended onion method (``"onion"``, the default) and the C-vine
(``"cvine"``). They draw from the same distribution.
"""

from __future__ import annotations

import math
import operator

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, multigammaln

from . import _constraints as constraints
from ._distribution import Distribution
from ._multivariate_util import outer_self, tri_logdet
from ._util import as_float_array

__all__ = ["LKJ", "LKJCholesky"]

_SAMPLE_METHODS = ("onion", "cvine")


def _check_arguments(owner: str, dimension, sample_method) -> int:
    try:
        dimension = operator.index(dimension)
    except TypeError:
        raise ValueError(
            f"{owner}: parameter 'dimension' must be an integer >= 2; got {dimension!r}."
        ) from None
    if dimension < 2:
        raise ValueError(f"{owner}: parameter 'dimension' must be an integer >= 2; got {dimension}.")
    if sample_method not in _SAMPLE_METHODS:
        raise ValueError(
            f"{owner}: parameter 'sample_method' must be 'onion' or 'cvine'; got {sample_method!r}."
        )
    return dimension


def _log_normalizer(concentration, dimension: int):
    r"""Log of the LKJ normalising constant, in the multivariate-gamma form of the proof on
    p. 1999 of LKJ (2009):
    :math:`\tfrac{d-1}{2}\log\pi + \log\Gamma_{d-1}(\alpha - \tfrac12) - (d-1)\log\Gamma(\alpha)`
    with :math:`\alpha = \eta + \tfrac{d-1}{2}`."""
    dm1 = dimension - 1
    alpha = jnp.asarray(concentration) + 0.5 * dm1
    return 0.5 * dm1 * math.log(math.pi) + multigammaln(alpha - 0.5, dm1) - dm1 * gammaln(alpha)


def _log_gamma_pair(key, a, b, shape: tuple):
    """Independent ``log Gamma(a)`` and ``log Gamma(b)`` draws of ``shape`` from one call
    to the gamma sampler (whose compilation dominates the cost of a first draw)."""
    alpha = jnp.stack([jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)])
    log_g = jax.random.loggamma(key, alpha)
    return log_g[0], log_g[1]


def _log_cosh(x):
    x = jnp.abs(x)
    return x + jax.nn.softplus(-2.0 * x) - math.log(2.0)


def _onion(key, concentration, dimension: int, lead: tuple):
    """Extended onion method (LKJ 2009, section 3.2), one row of the factor at a time:
    row ``k`` is ``(sqrt(y_k) u_k, sqrt(1 - y_k), 0, ...)`` with
    ``y_k ~ Beta(k/2, eta + (d - 1 - k)/2)`` and ``u_k`` uniform on the unit sphere in R^k.
    ``y_k = G_a / (G_a + G_b)`` for gamma draws, kept in log space so that neither
    ``y_k`` nor ``1 - y_k`` rounds to 0."""
    d = dimension
    key_beta, key_normal = jax.random.split(key)
    k = jnp.arange(1, d)
    eta = jnp.asarray(concentration)[..., None]
    log_a, log_b = _log_gamma_pair(key_beta, 0.5 * k, eta + 0.5 * (d - 1 - k), lead + (d - 1,))
    log_total = jnp.logaddexp(log_a, log_b)
    z = jnp.tril(jax.random.normal(key_normal, lead + (d, d)), -1)[..., 1:, :]
    u = z / jnp.linalg.norm(z, axis=-1, keepdims=True)
    root_y = jnp.exp(0.5 * (log_a - log_total))
    root_rest = jnp.exp(0.5 * (log_b - log_total))
    rows = root_y[..., None] * u + root_rest[..., None] * jnp.eye(d)[1:]
    first = jnp.broadcast_to(jnp.eye(d)[:1], lead + (1, d)).astype(rows.dtype)
    return jnp.concatenate([first, rows], axis=-2)


def _cvine(key, concentration, dimension: int, lead: tuple):
    """C-vine method (LKJ 2009, section 2.4): partial correlations on tree level ``j``
    are ``2 Beta(b_j, b_j) - 1`` with ``b_j = eta + (d - 2 - j)/2``; signed stick breaking
    turns them into the Cholesky factor: ``L_ij = p_ij sqrt(prod_{k<j} (1 - p_ik^2))``.
    With ``p = 2 G_a / (G_a + G_b) - 1 = tanh(delta / 2)``, ``delta = log G_a - log G_b``,
    ``1 - p^2 = cosh(delta / 2)^-2`` is accumulated in log space."""
    d = dimension
    j = jnp.arange(d)
    eta = jnp.asarray(concentration)[..., None, None]
    b = jnp.where(j < d - 1, eta + 0.5 * (d - 2 - j), 1.0)  # the last column is unused
    log_a, log_b = _log_gamma_pair(key, b, b, lead + (d, d))
    half_delta = 0.5 * (log_a - log_b)
    below = jnp.tril(jnp.ones((d, d), bool), -1)
    partial = jnp.where(below, jnp.tanh(half_delta), 0.0)
    log_remaining = jnp.where(below, -2.0 * _log_cosh(half_delta), 0.0)  # log(1 - p^2)
    log_before = jnp.cumsum(log_remaining, axis=-1) - log_remaining  # sum over k < j
    root = jnp.exp(0.5 * log_before)
    diagonal = jnp.diagonal(root, axis1=-2, axis2=-1)[..., None] * jnp.eye(d)
    return partial * root + diagonal


class LKJCholesky(Distribution):
    r"""LKJ distribution on lower Cholesky factors :math:`L` of :math:`d \times d`
    correlation matrices, with ``concentration`` :math:`\eta`: the correlation matrix
    :math:`L L^T` has density proportional to :math:`\det(L L^T)^{\eta - 1}`, which makes

    .. math::

        p(L \mid \eta) = \frac{1}{c_d(\eta)}
            \prod_{i=2}^{d} L_{ii}^{\,2\eta - 2 + d - i}

    (with respect to Lebesgue measure on the strictly lower entries). :math:`\eta = 1`
    is uniform over correlation matrices; :math:`\eta > 1` favours the identity. The mean
    and variance come from the onion construction: an off-diagonal entry has mean 0 and
    variance :math:`1 / (2\eta + d - 1)`; :math:`L_{kk}^2` is Beta distributed.

    Args:
        dimension: the matrix size :math:`d`, a Python integer of at least 2 (static:
            it fixes ``event_shape = (d, d)``).
        concentration: :math:`\eta`, positive; a float or an array whose shape is
            ``batch_shape`` (default 1, uniform over correlation matrices).
        sample_method: the sampler, ``"onion"`` (the extended onion method, default) or
            ``"cvine"`` (the C-vine method); both draw from the same distribution.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``dimension`` is not an integer of at least 2, ``sample_method`` is
            not ``"onion"`` or ``"cvine"``, or a concrete parameter lies outside its
            constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.LKJCholesky(3, concentration=2.0)
        >>> d.event_shape, d.sample_method
        ((3, 3), 'onion')
        >>> d.sample(jax.random.PRNGKey(0), (4,)).shape
        (4, 3, 3)
    """

    dimension: int = eqx.field(static=True)
    concentration: jax.Array | float
    sample_method: str = eqx.field(static=True)

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky
    has_rsample = True

    def __init__(self, dimension, concentration=1.0, sample_method="onion", *, validate_args=None):
        d = _check_arguments(type(self).__name__, dimension, sample_method)
        self.dimension = d
        self.concentration = as_float_array(concentration)
        self.sample_method = sample_method
        super().__init__(jnp.shape(self.concentration), (d, d), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        lead = tuple(sample_shape) + self.batch_shape
        draw = _onion if self.sample_method == "onion" else _cvine
        return draw(key, self.concentration, self.dimension, lead)

    def _log_prob(self, value):
        d = self.dimension
        k = jnp.arange(1, d)  # 0-based rows; row k is i = k + 1 in the formula
        order = 2.0 * jnp.asarray(self.concentration)[..., None] - 3.0 + d - k
        diagonal = jnp.diagonal(value, axis1=-2, axis2=-1)[..., 1:]
        unnormalised = jnp.sum(order * jnp.log(diagonal), axis=-1)
        return unnormalised - _log_normalizer(self.concentration, d)

    def _diagonal_moments(self):
        """Mean and second moment of ``L_kk`` for rows ``k = 1..d-1``:
        ``L_kk^2 ~ Beta(b, k/2)`` with ``b = eta + (d - 1 - k)/2``."""
        d = self.dimension
        k = jnp.arange(1, d)
        b = jnp.asarray(self.concentration)[..., None] + 0.5 * (d - 1 - k)
        half_k = 0.5 * k
        mean = jnp.exp(gammaln(b + 0.5) + gammaln(b + half_k) - gammaln(b) - gammaln(b + half_k + 0.5))
        return mean, b / (b + half_k)

    @property
    def mean(self):
        d = self.dimension
        diag_mean, _ = self._diagonal_moments()
        diag_mean = jnp.concatenate([jnp.ones_like(diag_mean[..., :1]), diag_mean], axis=-1)
        return jnp.broadcast_to(diag_mean[..., None] * jnp.eye(d), self.batch_shape + self.event_shape)

    @property
    def variance(self):
        d = self.dimension
        diag_mean, diag_square = self._diagonal_moments()
        diag_var = diag_square - jnp.square(diag_mean)
        diag_var = jnp.concatenate([jnp.zeros_like(diag_var[..., :1]), diag_var], axis=-1)
        off = 1.0 / (2.0 * jnp.asarray(self.concentration) + d - 1.0)
        below = jnp.tril(jnp.ones((d, d)), -1)
        value = off[..., None, None] * below + diag_var[..., None] * jnp.eye(d)
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)


class LKJ(Distribution):
    r"""LKJ distribution on :math:`d \times d` correlation matrices :math:`C` with
    ``concentration`` :math:`\eta`:

    .. math::

        p(C \mid \eta) = \frac{1}{c_d(\eta)} \det(C)^{\eta - 1}

    (with respect to Lebesgue measure on the strictly lower entries). The mean is the
    identity; each off-diagonal entry is :math:`2B - 1` with
    :math:`B \sim \mathrm{Beta}(\eta - 1 + d/2, \eta - 1 + d/2)`, so its variance is
    :math:`1 / (2\eta + d - 1)`. Samples are :math:`L L^T` for
    :math:`L \sim` ``LKJCholesky(dimension, concentration, sample_method)``.

    Args:
        dimension: the matrix size :math:`d`, a Python integer of at least 2 (static:
            it fixes ``event_shape = (d, d)``).
        concentration: :math:`\eta`, positive; a float or an array whose shape is
            ``batch_shape`` (default 1, uniform over correlation matrices).
        sample_method: the sampler, ``"onion"`` (the extended onion method, default) or
            ``"cvine"`` (the C-vine method); both draw from the same distribution.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``dimension`` is not an integer of at least 2, ``sample_method`` is
            not ``"onion"`` or ``"cvine"``, or a concrete parameter lies outside its
            constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.LKJ(2, concentration=1.5)
        >>> d.mean.tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        >>> d.sample(jax.random.PRNGKey(0)).shape
        (2, 2)
    """

    dimension: int = eqx.field(static=True)
    concentration: jax.Array | float
    sample_method: str = eqx.field(static=True)

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_matrix
    has_rsample = True

    def __init__(self, dimension, concentration=1.0, sample_method="onion", *, validate_args=None):
        d = _check_arguments(type(self).__name__, dimension, sample_method)
        self.dimension = d
        self.concentration = as_float_array(concentration)
        self.sample_method = sample_method
        super().__init__(jnp.shape(self.concentration), (d, d), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        lead = tuple(sample_shape) + self.batch_shape
        draw = _onion if self.sample_method == "onion" else _cvine
        corr = outer_self(draw(key, self.concentration, self.dimension, lead))
        corr = 0.5 * (corr + jnp.swapaxes(corr, -1, -2))
        eye = jnp.eye(self.dimension, dtype=bool)
        return jnp.where(eye, 1.0, corr)  # unit diagonal exactly

    def _log_prob(self, value):
        log_det = 2.0 * tri_logdet(jnp.linalg.cholesky(value))
        eta = jnp.asarray(self.concentration)
        return (eta - 1.0) * log_det - _log_normalizer(eta, self.dimension)

    @property
    def mean(self):
        return jnp.broadcast_to(jnp.eye(self.dimension), self.batch_shape + self.event_shape)

    @property
    def variance(self):
        d = self.dimension
        off = 1.0 / (2.0 * jnp.asarray(self.concentration) + d - 1.0)
        value = off[..., None, None] * (1.0 - jnp.eye(d))
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)
