r"""Student's t distribution, and the incomplete-beta inversion its quantile function needs."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import betainc, betaln, digamma, ndtr, ndtri

from . import _constraints as constraints
from ._continuous_real import log1p_square
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["StudentT"]

_NEWTON_STEPS = 12
_X_SWITCH = 0.9  # where _beta_quantile changes from solving for x to solving for 1 - x
_LINEAR_CDF_BELOW = 1e-3  # |y| below which the cdf is 1/2 + p(0) y
_LARGE_DF = 100.0  # from here on the normal-based forms beat float32 incomplete betas
_HALF_LOG_2PI_E = 0.5 * (1 + math.log(2 * math.pi))


def _small_betaincinv(a, b, p):
    r"""The :math:`x \in (0, 1)` with :math:`I_x(a, b) = p`, for solutions below about 0.9.

    Newton's method on :math:`\log I_x(a, b)` as a function of :math:`\log x`. Near zero
    :math:`I_x \approx x^a / (a B(a, b))`, so that curve is close to a straight line of
    slope :math:`a`, and the first-order guess it gives is an upper bound of the root for
    :math:`b \le 1` and a lower bound for :math:`b \ge 1`. From there a dozen steps reach
    float precision for roots below 0.9 (checked against scipy for ``a`` from 0.05 to 50);
    callers keep the root there.
    """
    log_p = jnp.log(p)
    log_norm = betaln(a, b)
    u_max = math.log(0.999)  # keeps the density finite at the iterates
    u = jnp.minimum((log_p + jnp.log(a) + log_norm) / a, u_max)  # u = log x

    def step(_, u):
        x = jnp.exp(u)
        cdf = jnp.maximum(betainc(a, b, x), jnp.finfo(x.dtype).tiny)
        log_pdf = (a - 1) * u + (b - 1) * jnp.log1p(-x) - log_norm
        slope = jnp.exp(u + log_pdf - jnp.log(cdf))  # d log I / d log x
        return jnp.minimum(u - (jnp.log(cdf) - log_p) / slope, u_max)

    return jnp.exp(jax.lax.fori_loop(0, _NEWTON_STEPS, step, u))


def _lower_tail_beta(t, df):
    r""":math:`P(T < -t)` for :math:`t \ge 0`, as :math:`\tfrac12 I_x(\nu/2, 1/2)` with
    :math:`x = \nu / (\nu + t^2)`.

    Near the centre the complement :math:`1 - I_w(1/2, \nu/2)`, :math:`w = 1 - x`, is used
    instead, so that neither incomplete beta is asked for an argument close to one.
    """
    s = t / jnp.sqrt(df)
    # x = df / (df + t^2) without overflow, floored so that the derivative of I_x, which is
    # infinite at x = 0 for df < 2, stays finite
    x = jnp.maximum(jnp.exp(-log1p_square(s)), jnp.finfo(jnp.result_type(s)).tiny)
    half_df = 0.5 * df
    near_centre = 1 - x < 1.5 / (half_df + 2.5)
    r = jnp.square(jnp.where(near_centre, s, 0.0))
    # one incomplete beta for both forms: I_w(1/2, df/2) near the centre, I_x(df/2, 1/2) out
    ix = betainc(
        jnp.where(near_centre, 0.5, half_df),
        jnp.where(near_centre, half_df, 0.5),
        jnp.where(near_centre, r / (1 + r), x),
    )
    return jnp.where(near_centre, 0.5 - 0.5 * ix, 0.5 * ix)


def _hill_correction(y, df):
    """Hill's (1970, ACM algorithm 395) correction factor in ``z = sqrt(y) * factor``."""
    a = df - 0.5
    b = 48 * jnp.square(a)
    ratio = (((-0.4 * y - 3.3) * y - 24) * y - 85.5) / (0.8 * jnp.square(y) + 100 + b)
    return 1 + (ratio + y + 3) / b


def _hill_normalise(t, df):
    r"""Hill's normalising transform: :math:`P(T > t) \approx \Phi(-z(t))` for
    :math:`t \ge 0`, with absolute error below 1e-15 for :math:`\nu \ge 100`. Here
    :math:`y = (\nu - \tfrac12) \log(1 + t^2/\nu)` and :math:`z = \sqrt{y}` times a
    small rational correction.
    """
    y = (df - 0.5) * log1p_square(t / jnp.sqrt(df))
    return jnp.sqrt(y) * _hill_correction(y, df)


def _hill_quantile(tail, df):
    """Inverse of ``_hill_normalise``: the ``t >= 0`` with ``P(T > t) = tail``."""
    z = -ndtri(jnp.clip(tail, 0.0, 0.5))
    root_y = z
    for _ in range(4):  # a contraction: the correction is within 1e-3 of one
        root_y = z / _hill_correction(jnp.square(root_y), df)
    return jnp.sqrt(df * jnp.expm1(jnp.square(root_y) / (df - 0.5)))


def _beta_quantile(tail, df):
    """The ``t >= 0`` with ``P(T < -t) = tail``, by inverting an incomplete beta."""
    tiny = jnp.finfo(jnp.result_type(tail, float)).tiny
    two_tail = jnp.clip(2 * tail, tiny, 1.0)
    half_df = 0.5 * df
    # In the tails solve for x = df / (df + t^2); near the centre (x > 0.9) for w = 1 - x,
    # so that t^2 = df (1 - x) / x = df w / (1 - w) keeps its precision. (Near the centre
    # the target 1 - two_tail is large, so forming it loses nothing that matters.)
    in_tail = two_tail < betainc(half_df, 0.5, _X_SWITCH)
    root = _small_betaincinv(
        jnp.where(in_tail, half_df, 0.5),
        jnp.where(in_tail, 0.5, half_df),
        jnp.where(in_tail, two_tail, jnp.maximum(1 - two_tail, tiny)),
    )
    t_squared = df * jnp.where(in_tail, (1 - root) / root, root / (1 - root))
    return jnp.where(two_tail >= 1, 0.0, jnp.sqrt(t_squared))


@jax.jit
def _standard_cdf(y, df):
    """The cdf of ``StudentT(df)``: incomplete betas below ``_LARGE_DF``, Hill above.

    Within ``_LINEAR_CDF_BELOW`` of zero it is ``1/2 + p(0) y`` (relative error below
    1e-6 there); both general forms have an infinite derivative in ``|y|`` at zero, which
    would turn the gradient at ``y = 0`` into NaN.
    """
    large = df >= _LARGE_DF
    small_df = jnp.where(large, 1.0, df)  # each branch sees only valid df values
    large_df = jnp.where(large, df, _LARGE_DF)
    central = jnp.abs(y) < _LINEAR_CDF_BELOW
    a = jnp.where(central, _LINEAR_CDF_BELOW, jnp.abs(y))
    tail = jnp.where(
        large, ndtr(-_hill_normalise(a, large_df)), _lower_tail_beta(a, small_df)
    )
    general = jnp.where(y < 0, tail, 1 - tail)
    density_at_zero = jnp.exp(-betaln(0.5 * df, 0.5) - 0.5 * jnp.log(df))
    return jnp.where(central, 0.5 + density_at_zero * y, general)


@jax.jit
def _standard_icdf(q, df):
    """The quantile function of ``StudentT(df)``."""
    tail = jnp.minimum(q, 1 - q)
    large = df >= _LARGE_DF
    small_df = jnp.where(large, 1.0, df)
    large_df = jnp.where(large, df, _LARGE_DF)
    t = jnp.where(large, _hill_quantile(tail, large_df), _beta_quantile(tail, small_df))
    t = jnp.where(tail <= 0, jnp.inf, t)
    return jnp.sign(q - 0.5) * t


class StudentT(Distribution):
    r"""Student's t distribution with ``df`` degrees of freedom, location ``loc`` and scale
    ``scale``:

    .. math::

        p(x \mid \nu, \mu, \sigma) = \frac{\Gamma(\frac{\nu + 1}{2})}
            {\Gamma(\frac{\nu}{2})\sqrt{\nu\pi}\,\sigma}
            \Bigl(1 + \frac{1}{\nu}\Bigl(\frac{x - \mu}{\sigma}\Bigr)^2\Bigr)^{-\frac{\nu + 1}{2}}.

    The mean is ``loc`` for ``df > 1`` and ``inf`` otherwise (scipy's convention); the
    variance is :math:`\sigma^2 \nu / (\nu - 2)` for ``df > 2``, ``inf`` for
    ``1 < df <= 2`` and NaN for ``df <= 1``. Samples are :math:`\mu + \sigma Z /
    \sqrt{V / \nu}` with :math:`Z` normal and :math:`V` chi-square, and are
    reparameterised in all three parameters (``df`` through the implicit gradient of
    ``jax.random.loggamma``). ``cdf`` and ``icdf`` use incomplete beta functions below
    ``df = 100`` and Hill's normalising transform above; they are differentiable in the
    value, ``loc`` and ``scale`` but not in ``df`` (``jax.scipy.special.betainc`` has no
    gradient in its shape parameters).

    Args:
        df: the degrees of freedom :math:`\nu`, positive (need not be an integer); a
            float or an array.
        loc: the location :math:`\mu`, any real; broadcasts with ``df`` (default 0).
        scale: the scale :math:`\sigma`, positive (not the standard deviation);
            broadcasts with ``df`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.StudentT(df=4.0, loc=1.0, scale=2.0)
        >>> d.df, float(d.variance)
        (4.0, 8.0)
    """

    df: jax.Array | float
    loc: jax.Array | float
    scale: jax.Array | float

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, *, validate_args=None):
        self.df, self.loc, self.scale = promote_shapes(
            as_float_array(df), as_float_array(loc), as_float_array(scale)
        )
        super().__init__(
            batch_shape_of(self.df, self.loc, self.scale), validate_args=validate_args
        )

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        key_normal, key_gamma = jax.random.split(key)
        half_df = jnp.broadcast_to(0.5 * jnp.asarray(self.df), shape)
        z = jax.random.normal(key_normal, shape, dtype=half_df.dtype)
        # V / df = G / (df / 2) with G ~ Gamma(df / 2); drawn in log space so that small
        # df cannot underflow G to zero
        log_gamma = jax.random.loggamma(key_gamma, half_df, shape, dtype=half_df.dtype)
        return self.loc + self.scale * z * jnp.sqrt(half_df) * jnp.exp(-0.5 * log_gamma)

    def _log_prob(self, value):
        y = (value - self.loc) / self.scale
        # Gamma((df+1)/2) / (Gamma(df/2) sqrt(df pi)) = 1 / (B(df/2, 1/2) sqrt(df))
        log_norm = betaln(0.5 * self.df, 0.5) + 0.5 * jnp.log(self.df) + jnp.log(self.scale)
        return -0.5 * (self.df + 1) * log1p_square(y / jnp.sqrt(self.df)) - log_norm

    def cdf(self, value):
        return _standard_cdf((value - self.loc) / self.scale, self.df)

    def icdf(self, q):
        return self.loc + self.scale * _standard_icdf(jnp.asarray(q), self.df)

    @property
    def mean(self):
        return jnp.broadcast_to(jnp.where(self.df > 1, self.loc, jnp.inf), self.batch_shape)

    @property
    def variance(self):
        df = jnp.where(self.df > 2, self.df, 3.0)  # keeps the unused branch finite
        finite = jnp.square(self.scale) * df / (df - 2)
        var = jnp.where(self.df > 2, finite, jnp.where(self.df > 1, jnp.inf, jnp.nan))
        return jnp.broadcast_to(var, self.batch_shape)

    def entropy(self):
        # The exact form loses digits to cancellation between the digammas at large df;
        # there an asymptotic series in 1/df (error below 1e-13 for df >= 100) takes over.
        large = self.df >= _LARGE_DF
        half_df = 0.5 * jnp.where(large, 1.0, self.df)
        exact = (
            (half_df + 0.5) * (digamma(half_df + 0.5) - digamma(half_df))
            + 0.5 * jnp.log(2 * half_df)
            + betaln(half_df, 0.5)
        )
        e = 2 / jnp.where(large, self.df, _LARGE_DF)  # 1 / (df / 2)
        series = _HALF_LOG_2PI_E + e * (
            1 / 2 + e * (1 / 16 + e * (-1 / 48 + e * (-1 / 128 + e * (3 / 320 + e / 256))))
        )
        entropy = jnp.where(large, series, exact) + jnp.log(self.scale)
        return jnp.broadcast_to(entropy, self.batch_shape)

