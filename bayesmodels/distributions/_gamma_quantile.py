r"""Quantiles of the gamma distribution, with reparameterisation gradients.

JAX has the regularised incomplete gamma functions :math:`P(a, x)` (``gammainc``) and
:math:`Q(a, x) = 1 - P(a, x)` (``gammaincc``) but not their inverses. This module solves

.. math::

    P(a, x) = p \quad\text{or}\quad Q(a, x) = q = 1 - p

for :math:`x` with Newton's method in :math:`y = \log x` on the logarithm of whichever
tail probability is smaller (so the far tails keep their relative precision), starting
from the Wilson-Hilferty approximation (:math:`a \ge 1`) or the small-shape expansion
:math:`P(a, x) \approx x^a / \Gamma(a + 1)`. Six steps reach working precision in float32
and float64 for :math:`10^{-3} \le a \le 10^{4}`.

Derivatives come from the implicit function theorem rather than from the iterations:

.. math::

    \frac{\partial x}{\partial a} = -\frac{\partial_a P(a, x)}{p(x \mid a)}, \qquad
    \frac{\partial x}{\partial p} = \frac{1}{p(x \mid a)},

so a draw made as ``icdf(u)`` with ``u`` uniform is a reparameterised sample whose
gradient is exactly the derivative of the draw for a fixed key. ``jax.random.gamma`` has
the same implicit gradient, but its draws come from a rejection sampler, so for a fixed
key they do not move along that gradient when the shape changes.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import gammainc, gammaincc, gammaln, ndtri

__all__ = ["standard_gamma_icdf", "standard_gamma_log_icdf", "standard_gamma_log_sample"]

_NEWTON_STEPS = 6
_MAX_STEP = 4.0  # largest Newton step in log x; only a poor start ever hits it


def standard_gamma_log_icdf(concentration, log_p, log_q):
    r""":math:`\log x` where :math:`P(a, x) = p` (equivalently :math:`Q(a, x) = q`).

    Both tails are passed as logs, ``log_p`` and ``log_q = log(1 - p)``, so that a caller
    holding either one precisely loses nothing: the smaller tail is the one solved for.
    The result is :math:`-\infty` for :math:`p = 0` and :math:`+\infty` for :math:`q = 0`.
    Differentiable in all three arguments.
    """
    dtype = jnp.result_type(concentration, log_p, log_q, float)
    shape = jnp.broadcast_shapes(jnp.shape(concentration), jnp.shape(log_p), jnp.shape(log_q))
    size = math.prod(shape)
    padded = _bucket_size(size)
    # flatten and pad to a bucketed length, so that the (slow to compile) solver is
    # compiled for a few lengths rather than for every shape it meets; pads solve p = 1/2
    flat = [
        jnp.pad(jnp.ravel(jnp.broadcast_to(jnp.asarray(v, dtype), shape)), (0, padded - size),
                constant_values=fill)
        for v, fill in ((concentration, 1.0), (log_p, -math.log(2)), (log_q, -math.log(2)))
    ]
    return jnp.reshape(_log_icdf(*flat)[:size], shape)


def _bucket_size(n: int) -> int:
    """``n`` rounded up to 32, or to the next multiple of 1/8 of its leading power of two
    (so at most 12.5% padding)."""
    if n <= 32:
        return 32
    step = 1 << (n.bit_length() - 4)
    return -(-n // step) * step


def standard_gamma_icdf(concentration, q):
    """The ``q``-quantile of ``Gamma(concentration, 1)``."""
    q = jnp.asarray(q)
    return jnp.exp(standard_gamma_log_icdf(concentration, jnp.log(q), jnp.log1p(-q)))


def standard_gamma_log_sample(key, concentration, shape):
    """Logs of ``Gamma(concentration, 1)`` draws of shape ``shape``, by inversion.

    Kept in log space so that draws for small ``concentration`` that underflow as numbers
    (as in a ratio of gammas for a Beta draw) still carry their value.
    """
    dtype = jnp.result_type(concentration, float)
    u = jax.random.uniform(key, shape, dtype, minval=jnp.finfo(dtype).tiny)
    return standard_gamma_log_icdf(concentration, jnp.log(u), jnp.log1p(-u))


def _initial_guess(a, log_p, log_q):
    lower = log_p <= log_q
    p, q = jnp.exp(log_p), jnp.exp(log_q)
    # a < 1: P ~ x^a / Gamma(a + 1) up to a knot, an exponential tail beyond it
    knot = 1.0 - a * (0.253 + 0.12 * a)
    small = jnp.where(p < knot, (log_p - jnp.log(knot)) / a, jnp.log1p(jnp.log1p(-knot) - log_q))
    # a >= 1: Wilson-Hilferty, (x / a)^(1/3) is nearly normal
    z = jnp.where(lower, ndtri(p), -ndtri(q))
    cube_root = 1.0 - 1.0 / (9.0 * a) + z / (3.0 * jnp.sqrt(a))
    wilson_hilferty = jnp.log(a) + 3.0 * jnp.log(jnp.maximum(cube_root, 1e-3))
    far_lower_tail = (log_p + gammaln(a + 1.0)) / a  # below the root: a safe start there
    large = jnp.where(cube_root > 0.05, wilson_hilferty, far_lower_tail)
    return jnp.where(a < 1.0, small, large)


@jax.custom_jvp
def _log_icdf(a, log_p, log_q):
    return _newton_solve(a, log_p, log_q)


@jax.jit  # one compiled solver per shape and dtype, also when called eagerly
def _newton_solve(a, log_p, log_q):
    lower = log_p <= log_q
    target = jnp.where(lower, log_p, log_q)
    sign = jnp.where(lower, 1.0, -1.0).astype(a.dtype)
    log_gamma_a = gammaln(a)

    def newton_step(_, y):
        x = jnp.exp(y)
        log_tail = jnp.log(jnp.where(lower, gammainc(a, x), gammaincc(a, x)))
        # d log(tail) / dy = sign * x * density(x) / tail
        slope = sign * jnp.exp(a * y - x - log_gamma_a - log_tail)
        step = -(log_tail - target) / slope
        # a tail that under- or overflowed: walk towards the bulk
        step = jnp.where(jnp.isfinite(log_tail), step, sign * _MAX_STEP)
        step = jnp.where(jnp.isnan(step), 0.0, step)
        return y + jnp.clip(step, -_MAX_STEP, _MAX_STEP)

    return lax.fori_loop(0, _NEWTON_STEPS, newton_step, _initial_guess(a, log_p, log_q))


@_log_icdf.defjvp
def _log_icdf_jvp(primals, tangents):
    a, log_p, log_q = primals
    da, dlog_p, dlog_q = tangents
    y = _log_icdf(a, log_p, log_q)
    x = jnp.maximum(jnp.exp(y), jnp.finfo(y.dtype).tiny)
    log_x_density = a * y - x - gammaln(a)  # log(x * density(x))
    dy_da = lax.random_gamma_grad(a, x) / x
    # only the tail that was solved for carries a derivative; the other coefficient is an
    # exact zero (not a masked inf) so that reverse mode gets no 0 * inf
    lower = log_p <= log_q
    dy_dlog_p = jnp.where(lower, jnp.exp(jnp.where(lower, log_p, 0.0) - log_x_density), 0.0)
    dy_dlog_q = jnp.where(lower, 0.0, -jnp.exp(jnp.where(lower, 0.0, log_q) - log_x_density))
    return y, dy_da * da + dy_dlog_p * dlog_p + dy_dlog_q * dlog_q
