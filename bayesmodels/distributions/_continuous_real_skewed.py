r"""Skewed families on the whole real line: Gumbel, SkewNormal, AsymmetricLaplace and its
quantile-regression parametrisation AsymmetricLaplaceQuantile."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import log_ndtr, ndtr, owens_t

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["AsymmetricLaplace", "AsymmetricLaplaceQuantile", "Gumbel", "SkewNormal"]

_EULER_GAMMA = 0.57721566490153286060651209008240243
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Gumbel(Distribution):
    r"""Gumbel (type-I extreme value, maximum) distribution with location ``loc`` and scale
    ``scale``:

    .. math::

        p(x \mid \mu, \beta) = \frac{1}{\beta} \exp\!\bigl(-(z + e^{-z})\bigr),
        \qquad z = \frac{x - \mu}{\beta}.

    Args:
        loc: the location :math:`\mu` (the mode), any real; a float or an array
            (default 0).
        scale: the scale :math:`\beta`, positive; broadcasts with ``loc`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Gumbel(loc=0.0, scale=1.0)
        >>> round(float(d.mean), 4)
        0.5772
    """

    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, *, validate_args=None):
        self.loc, self.scale = promote_shapes(as_float_array(loc), as_float_array(scale))
        super().__init__(batch_shape_of(self.loc, self.scale), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return self.loc + self.scale * jax.random.gumbel(key, self.shape(sample_shape))

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        return -(z + jnp.exp(-z)) - jnp.log(self.scale)

    def cdf(self, value):
        # below z = -20 the cdf is 0 even in float64; clamping there keeps its gradient finite
        z = jnp.maximum((value - self.loc) / self.scale, -20.0)
        return jnp.exp(-jnp.exp(-z))

    def icdf(self, q):
        return self.loc - self.scale * jnp.log(-jnp.log(q))

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc + _EULER_GAMMA * self.scale, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(jnp.square(math.pi * self.scale) / 6, self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(jnp.log(self.scale) + _EULER_GAMMA + 1, self.batch_shape)


@jax.jit
def _skew_normal_cdf(z, skewness):
    r""":math:`\Phi(z) - 2\,T(z, \alpha)` with Owen's T function (compiled once per shape)."""
    return jnp.clip(ndtr(z) - 2 * owens_t(z, skewness), 0.0, 1.0)


class SkewNormal(Distribution):
    r"""Skew-normal distribution (Azzalini) with location ``loc``, scale ``scale`` and shape
    ``skewness`` (:math:`\alpha`; scipy's ``skewnorm`` calls it ``a``):

    .. math::

        p(x \mid \mu, \sigma, \alpha) = \frac{2}{\sigma}\, \varphi(z)\, \Phi(\alpha z),
        \qquad z = \frac{x - \mu}{\sigma}.

    ``skewness=0`` is ``Normal(loc, scale)``. The cdf is
    :math:`\Phi(z) - 2\,T(z, \alpha)` with Owen's T function. There is no closed-form
    quantile function or entropy, so ``icdf`` and ``entropy`` raise ``NotImplementedError``.

    Args:
        loc: the location :math:`\mu`, any real; a float or an array (default 0).
        scale: the scale :math:`\sigma`, positive; broadcasts with ``loc`` (default 1).
        skewness: the shape :math:`\alpha`, any real: positive skews to the right,
            negative to the left; broadcasts with ``loc`` (default 0, a normal).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.SkewNormal(loc=0.0, scale=1.0, skewness=3.0)
        >>> d.skewness, d.batch_shape
        (3.0, ())
    """

    loc: jax.Array | float
    scale: jax.Array | float
    skewness: jax.Array | float

    arg_constraints = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "skewness": constraints.real,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, skewness=0.0, *, validate_args=None):
        self.loc, self.scale, self.skewness = promote_shapes(
            as_float_array(loc), as_float_array(scale), as_float_array(skewness)
        )
        super().__init__(
            batch_shape_of(self.loc, self.scale, self.skewness), validate_args=validate_args
        )

    @property
    def _delta(self):
        """:math:`\\delta = \\alpha / \\sqrt{1 + \\alpha^2}`, the correlation in the
        sampling representation."""
        return self.skewness / jnp.hypot(1.0, self.skewness)

    def sample(self, key, sample_shape=()):
        # delta |U| + sqrt(1 - delta^2) V is skew-normal for independent normals U, V
        u, v = jax.random.normal(key, (2,) + self.shape(sample_shape))
        z = self._delta * jnp.abs(u) + v / jnp.hypot(1.0, self.skewness)
        return self.loc + self.scale * z

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        return (
            math.log(2.0) - _HALF_LOG_2PI - 0.5 * jnp.square(z) - jnp.log(self.scale)
            # clamped where -z^2/2 is -inf anyway, so that log_ndtr's gradient stays finite
            + log_ndtr(jnp.maximum(self.skewness * z, -1e18))
        )

    def cdf(self, value):
        return _skew_normal_cdf((value - self.loc) / self.scale, self.skewness)

    @property
    def mean(self):
        mean = self.loc + self.scale * self._delta * math.sqrt(2 / math.pi)
        return jnp.broadcast_to(mean, self.batch_shape)

    @property
    def variance(self):
        variance = jnp.square(self.scale) * (1 - 2 * jnp.square(self._delta) / math.pi)
        return jnp.broadcast_to(variance, self.batch_shape)


# --------------------------------------------------------- asymmetric Laplace, two ways
#
# Both parametrisations describe the density
#     p(x) = exp(-|x - loc| / s(x)) / (left + right),  s = left below loc, right above,
# which puts mass left / (left + right) below loc. The helpers take (loc, left, right).


def _ald_log_prob(value, loc, left, right):
    z = value - loc
    return -jnp.abs(z) / jnp.where(z < 0, left, right) - jnp.log(left + right)


def _ald_sample(key, shape, loc, left, right):
    exponentials = jax.random.exponential(key, (2,) + shape)
    return loc - left * exponentials[0] + right * exponentials[1]


def _ald_cdf(value, loc, left, right):
    z = value - loc
    total = left + right
    decay = jnp.exp(-jnp.abs(z) / jnp.where(z < 0, left, right))
    return jnp.where(z < 0, left / total * decay, 1 - right / total * decay)


def _ald_icdf(q, loc, left, right):
    q = jnp.asarray(q)
    total = left + right
    p_left = left / total
    below = q <= p_left
    q_below = jnp.where(below, q, p_left)  # each branch sees only its own values
    q_above = jnp.where(below, p_left, q)
    return jnp.where(
        below,
        loc + left * jnp.log(q_below / p_left),
        loc - right * (jnp.log1p(-q_above) - jnp.log(right / total)),
    )


class AsymmetricLaplace(Distribution):
    r"""Asymmetric Laplace distribution with location ``loc``, scale ``scale`` and
    ``asymmetry`` :math:`\kappa` (NumPyro's parametrisation; scipy's
    ``laplace_asymmetric(kappa=asymmetry, loc=loc, scale=scale)``):

    .. math::

        p(x \mid \mu, \lambda, \kappa) = \frac{1}{\lambda(\kappa + 1/\kappa)}
        \begin{cases}
            e^{(x - \mu) / (\lambda \kappa)} & x < \mu, \\
            e^{-\kappa (x - \mu) / \lambda} & x \ge \mu.
        \end{cases}

    The left tail decays on the scale ``left_scale`` :math:`= \lambda\kappa`, the right on
    ``right_scale`` :math:`= \lambda / \kappa`; ``asymmetry=1`` is ``Laplace(loc, scale)``.

    Args:
        loc: the location :math:`\mu` (the mode), any real; a float or an array
            (default 0).
        scale: the scale :math:`\lambda`, positive; broadcasts with ``loc`` (default 1).
        asymmetry: :math:`\kappa`, positive: above 1 the left tail is the heavier, below 1
            the right; broadcasts with ``loc`` (default 1, a Laplace).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.AsymmetricLaplace(loc=0.0, scale=1.0, asymmetry=2.0)
        >>> float(d.left_scale), float(d.right_scale)
        (2.0, 0.5)
    """

    loc: jax.Array | float
    scale: jax.Array | float
    asymmetry: jax.Array | float

    arg_constraints = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "asymmetry": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, asymmetry=1.0, *, validate_args=None):
        self.loc, self.scale, self.asymmetry = promote_shapes(
            as_float_array(loc), as_float_array(scale), as_float_array(asymmetry)
        )
        super().__init__(
            batch_shape_of(self.loc, self.scale, self.asymmetry), validate_args=validate_args
        )

    @property
    def left_scale(self):
        r"""The decay scale of the left tail, ``scale * asymmetry`` (:math:`\lambda\kappa`)."""
        return self.scale * self.asymmetry

    @property
    def right_scale(self):
        r"""The decay scale of the right tail, ``scale / asymmetry`` (:math:`\lambda / \kappa`)."""
        return self.scale / self.asymmetry

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        return _ald_sample(key, shape, self.loc, self.left_scale, self.right_scale)

    def _log_prob(self, value):
        return _ald_log_prob(value, self.loc, self.left_scale, self.right_scale)

    def cdf(self, value):
        return _ald_cdf(value, self.loc, self.left_scale, self.right_scale)

    def icdf(self, q):
        return _ald_icdf(q, self.loc, self.left_scale, self.right_scale)

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc + self.right_scale - self.left_scale, self.batch_shape)

    @property
    def variance(self):
        variance = jnp.square(self.left_scale) + jnp.square(self.right_scale)
        return jnp.broadcast_to(variance, self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(1 + jnp.log(self.left_scale + self.right_scale), self.batch_shape)


class AsymmetricLaplaceQuantile(Distribution):
    r"""Asymmetric Laplace distribution in the parametrisation of Bayesian quantile
    regression: ``loc`` is the ``quantile``-th quantile :math:`\tau` and the density is the
    exponentiated check loss :math:`\rho_\tau(u) = u\,(\tau - [u < 0])`:

    .. math::

        p(x \mid \mu, \sigma, \tau) = \frac{\tau (1 - \tau)}{\sigma}
            \exp\!\Bigl(-\rho_\tau\Bigl(\frac{x - \mu}{\sigma}\Bigr)\Bigr).

    This is ``AsymmetricLaplace(loc, scale / sqrt(tau (1 - tau)), sqrt(tau / (1 - tau)))``,
    as in NumPyro; ``AsymmetricLaplaceQuantile(0, 1, 0.5)`` is ``Laplace(0, 2)``.

    Args:
        loc: the location :math:`\mu`, the ``quantile``-th quantile of the
            distribution, any real; a float or an array (default 0).
        scale: the scale :math:`\sigma`, positive; broadcasts with ``loc`` (default 1).
        quantile: the quantile level :math:`\tau`, in the open interval :math:`(0, 1)`;
            broadcasts with ``loc`` (default 0.5, a Laplace).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.AsymmetricLaplaceQuantile(loc=1.0, scale=1.0, quantile=0.9)
        >>> round(float(d.cdf(1.0)), 6)
        0.9
    """

    loc: jax.Array | float
    scale: jax.Array | float
    quantile: jax.Array | float

    arg_constraints = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "quantile": constraints.open_interval(0.0, 1.0),
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, loc=0.0, scale=1.0, quantile=0.5, *, validate_args=None):
        self.loc, self.scale, self.quantile = promote_shapes(
            as_float_array(loc), as_float_array(scale), as_float_array(quantile)
        )
        super().__init__(
            batch_shape_of(self.loc, self.scale, self.quantile), validate_args=validate_args
        )

    @property
    def _left(self):
        return self.scale / (1 - self.quantile)

    @property
    def _right(self):
        return self.scale / self.quantile

    def sample(self, key, sample_shape=()):
        return _ald_sample(key, self.shape(sample_shape), self.loc, self._left, self._right)

    def _log_prob(self, value):
        return _ald_log_prob(value, self.loc, self._left, self._right)

    def cdf(self, value):
        return _ald_cdf(value, self.loc, self._left, self._right)

    def icdf(self, q):
        return _ald_icdf(q, self.loc, self._left, self._right)

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc + self._right - self._left, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(jnp.square(self._left) + jnp.square(self._right), self.batch_shape)

    def entropy(self):
        # left + right = scale / (tau (1 - tau))
        total = self.scale / (self.quantile * (1 - self.quantile))
        return jnp.broadcast_to(1 + jnp.log(total), self.batch_shape)
