r"""The von Mises distribution on the circle: rejection sampler, density, cdf and moments."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import i0e, i1e, ndtr

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = ["VonMises"]

_LOG_2PI = math.log(2 * math.pi)
_MAX_REJECTION_ROUNDS = 100  # each round accepts at least ~65%: 100 rounds never run out
_SERIES_TERMS = 48  # enough for the cdf series below _NORMAL_CDF_FROM
_NORMAL_CDF_FROM = 20.0  # concentration from which the corrected normal cdf is used
_ASYMPTOTIC_FROM = 50.0  # concentration from which 1 - I1/I0 uses its asymptotic series


def _wrap(angle):
    """``angle`` moved into ``[-pi, pi)`` by whole turns."""
    return jnp.remainder(angle + math.pi, 2 * math.pi) - math.pi


@jax.jit
def _sample_centred(key, concentration):
    r"""Von Mises draws around zero, shaped like ``concentration``, by Best and Fisher's
    (1979) rejection sampler with a wrapped Cauchy proposal of parameter :math:`\rho`.

    In the usual statement one draws :math:`z = \cos \pi u_1`, sets
    :math:`f = (1 + rz)/(r + z)`, :math:`c = \kappa (r - f)`, accepts when
    :math:`u_2 \le c\,e^{1 - c}` and returns :math:`\pm \arccos f`. Here the same
    quantities are rewritten in :math:`\rho` and :math:`\cos^2(\pi u_1 / 2)` so that no
    difference of nearly equal numbers appears, for tiny or huge :math:`\kappa` alike:
    :math:`\theta = 2 \arctan\bigl(\tfrac{1 - \rho}{1 + \rho} \tan \tfrac{\pi u_1}{2}\bigr)`
    with :math:`u_1 \in (-1, 1)` carrying the sign. All elements are drawn in lockstep
    until every one has been accepted.
    """
    k = concentration
    dtype = k.dtype
    root = jnp.hypot(1.0, 2 * k)  # sqrt(1 + 4 k^2)
    tau = 1 + root
    a = tau + jnp.sqrt(2 * tau)
    rho = 2 * k / a  # = (tau - sqrt(2 tau)) / (2 k)
    one_minus_rho = (1 + 1 / (root + 2 * k) + jnp.sqrt(2 * tau)) / a  # (a - 2k) / a
    ratio = one_minus_rho / (1 + rho)
    scale = 0.25 * a * jnp.square(one_minus_rho * (1 + rho))  # k (1 - rho^2)^2 / (2 rho)

    def propose(key):
        key_angle, key_accept = jax.random.split(key)
        u1 = jax.random.uniform(key_angle, k.shape, dtype, minval=-1.0, maxval=1.0)
        u2 = jax.random.uniform(key_accept, k.shape, dtype)
        half = 0.5 * math.pi * u1
        theta = 2 * jnp.arctan(ratio * jnp.tan(half))
        c = scale / (jnp.square(one_minus_rho) + 4 * rho * jnp.square(jnp.cos(half)))
        accept = jnp.log(u2) <= jnp.log(c) + 1 - c
        return theta, accept

    def cond(state):
        i, _, done, _ = state
        return (i < _MAX_REJECTION_ROUNDS) & ~jnp.all(done)

    def body(state):
        i, key, done, theta = state
        key, key_round = jax.random.split(key)
        proposal, accept = propose(key_round)
        theta = jnp.where(accept & ~done, proposal, theta)
        return i + 1, key, done | accept, theta

    init = (0, key, jnp.zeros(k.shape, bool), jnp.full(k.shape, jnp.nan, dtype))
    return jax.lax.while_loop(cond, body, init)[3]


def _centred_cdf_series(x, k):
    r""":math:`F(x) = \frac{x + \pi}{2\pi} + \frac{1}{\pi} \sum_{n \ge 1}
    \frac{I_n(\kappa)}{I_0(\kappa)} \frac{\sin n x}{n}` on :math:`[-\pi, \pi]`.

    The ratios :math:`r_n = I_n / I_{n-1} = 1 / (2n/\kappa + r_{n+1})` come from the
    backward recurrence, and the sum is nested as
    :math:`r_1(\sin x + r_2(\tfrac12 \sin 2x + \dots))`, so one backward pass does both.
    """

    def step(carry, n):
        ratio, acc = carry
        ratio = 1 / (2 * n / k + ratio)
        return (ratio, ratio * (jnp.sin(n * x) / n + acc)), None

    zeros = jnp.zeros(jnp.broadcast_shapes(jnp.shape(x), jnp.shape(k)), jnp.result_type(x, k))
    n = jnp.arange(_SERIES_TERMS, 0, -1, dtype=zeros.dtype)
    (_, acc), _ = jax.lax.scan(step, (zeros, zeros), n)
    return (x + math.pi) / (2 * math.pi) + acc / math.pi


def _centred_cdf_normal(x, k):
    r"""Hill's (1977) corrected normal approximation for large :math:`\kappa`:
    :math:`\Phi(\xi)` with :math:`z = \sqrt{2/\pi}\,\sin(x/2) / \mathrm{i0e}(\kappa)`
    (about :math:`2\sqrt{\kappa} \sin(x/2)`) and :math:`\xi` a rational correction of
    :math:`z`; absolute error below 1e-9 for :math:`\kappa \ge 20`.
    """
    z = math.sqrt(2 / math.pi) * jnp.sin(0.5 * x) / i0e(k)
    z2 = jnp.square(z)
    c = 24 * k
    denominator = (c - 2 * z2 - 16) / 3 - (jnp.square(z2) + 1.75 * z2 + 83.5) / (c - 53 - z2)
    return ndtr(z - z * z2 / jnp.square(denominator))


def _centred_cdf(x, k):
    """The cdf of ``VonMises(0, k)`` on ``[-pi, pi]``."""
    large = k >= _NORMAL_CDF_FROM
    series = _centred_cdf_series(x, jnp.where(large, 1.0, k))  # each branch sees valid k only
    normal = _centred_cdf_normal(x, jnp.where(large, k, _NORMAL_CDF_FROM))
    return jnp.clip(jnp.where(large, normal, series), 0.0, 1.0)


def _unwrapped_cdf(y, k):
    """``P(Y <= y)`` counted along the real line for the centred law repeated every turn:
    the number of whole turns below ``y`` plus the cdf of the remainder."""
    turns = jnp.floor((y + math.pi) / (2 * math.pi))
    return turns + _centred_cdf(y - 2 * math.pi * turns, k)


@jax.jit
def _circular_cdf(value, loc, k):
    """``P(X <= value)`` for ``X ~ VonMises(loc, k)`` taking values in ``[-pi, pi]``."""
    value = jnp.clip(value, -math.pi, math.pi)
    return _unwrapped_cdf(value - loc, k) - _unwrapped_cdf(-math.pi - loc, k)


def _one_minus_bessel_ratio(k):
    r""":math:`1 - I_1(\kappa) / I_0(\kappa)`, with the asymptotic series in :math:`1/\kappa`
    for large :math:`\kappa`, where the direct form cancels."""
    large = k >= _ASYMPTOTIC_FROM
    small_k = jnp.where(large, 1.0, k)
    direct = 1 - i1e(small_k) / i0e(small_k)
    e = 1 / jnp.where(large, k, _ASYMPTOTIC_FROM)
    # k (1 - I1/I0) = 1/2 + e/8 + e^2/8 + 25 e^3/128 + 13 e^4/32 + 1073 e^5/1024 + O(e^6)
    series = e * (
        0.5 + e * (1 / 8 + e * (1 / 8 + e * (25 / 128 + e * (13 / 32 + e * 1073 / 1024))))
    )
    return jnp.where(large, series, direct)


class VonMises(Distribution):
    r"""Von Mises distribution on the circle :math:`[-\pi, \pi]` with mean direction
    ``loc`` and ``concentration`` :math:`\kappa`:

    .. math::

        p(x \mid \mu, \kappa) = \frac{e^{\kappa \cos(x - \mu)}}{2\pi I_0(\kappa)}.

    As in NumPyro, ``mean`` is ``loc`` (the circular mean) and ``variance`` is the
    *circular* variance :math:`1 - I_1(\kappa) / I_0(\kappa)`, not the variance of the
    angle as a real number. ``cdf`` is :math:`P(X \le x)` for :math:`X` in
    :math:`[-\pi, \pi]`, so it runs from 0 at :math:`-\pi` to 1 at :math:`\pi` whatever
    ``loc`` is. Samples come from Best and Fisher's rejection sampler and are not
    reparameterised (``has_rsample`` is False); there is no closed-form ``icdf``.

    Args:
        loc: the mean direction :math:`\mu` in radians, any real (an angle outside
            :math:`[-\pi, \pi]` stands for the same direction); a float or an array.
        concentration: :math:`\kappa`, positive: small values spread the mass round the
            circle (the limit 0 is uniform), large ones concentrate it near ``loc``;
            broadcasts with ``loc``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.VonMises(loc=0.0, concentration=2.0)
        >>> round(float(d.cdf(0.0)), 6), float(d.mean)
        (0.5, 0.0)
    """

    loc: jax.Array | float
    concentration: jax.Array | float

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.circular
    has_rsample = False

    def __init__(self, loc, concentration, *, validate_args=None):
        self.loc, self.concentration = promote_shapes(
            as_float_array(loc), as_float_array(concentration)
        )
        super().__init__(batch_shape_of(self.loc, self.concentration), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        k = jnp.broadcast_to(jnp.asarray(self.concentration, jnp.result_type(float)), shape)
        return _wrap(self.loc + _sample_centred(key, k))

    def _log_prob(self, value):
        k = self.concentration
        # k (cos d - 1) = -2 k sin^2(d / 2) avoids cancellation for large k
        return -2 * k * jnp.square(jnp.sin(0.5 * (value - self.loc))) - _LOG_2PI - jnp.log(i0e(k))

    def cdf(self, value):
        return _circular_cdf(value, self.loc, self.concentration)

    @property
    def mean(self):
        return jnp.broadcast_to(self.loc, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(_one_minus_bessel_ratio(self.concentration), self.batch_shape)

    def entropy(self):
        # log(2 pi I0(k)) - k I1(k) / I0(k), with I0 = e^k i0e
        k = self.concentration
        entropy = _LOG_2PI + jnp.log(i0e(k)) + k * _one_minus_bessel_ratio(k)
        return jnp.broadcast_to(entropy, self.batch_shape)
