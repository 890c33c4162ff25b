r"""Moments of the standard Normal and Cauchy truncated to :math:`[a, b]`.

Bounds are standardised, :math:`z = (x - \mathrm{loc}) / \mathrm{scale}`, and ``None``
marks an open end. ``TruncatedNormal`` and ``TruncatedCauchy`` scale the results back.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

__all__ = ["truncated_cauchy", "truncated_normal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_GAUSS_LEGENDRE = np.polynomial.legendre.leggauss(64)


def _normal_mean_and_variance(a, b):
    r"""Mean and variance of the standard normal on :math:`[a, b]`, by quadrature.

    The closed forms, :math:`m = (\varphi(a) - \varphi(b))/Z` and
    :math:`1 + (a\varphi(a) - b\varphi(b))/Z - m^2`, are small differences of large terms
    for a narrow interval or one in a tail: in float32 the variance has lost 1% by ten
    standard deviations and all its digits by thirty. Gauss-Legendre quadrature (64 nodes)
    over the part of :math:`[a, b]` that holds all but :math:`e^{-40}` of the mass, in
    coordinates :math:`u` measured from its lower end and centred on their mean, is
    accurate to float precision throughout: the density there is smooth and log-concave.
    """
    nodes, weights = (jnp.asarray(v, jnp.result_type(float)) for v in _GAUSS_LEGENDRE)
    mode = jnp.clip(0.0, a, b)
    reach = jnp.sqrt(mode**2 + 80.0)  # where the log density is 40 below the mode
    lower = jnp.maximum(a, -reach)[..., None]
    width = jnp.minimum(b, reach)[..., None] - lower
    u = 0.5 * width * (nodes + 1.0)
    log_density = -0.5 * u * (2.0 * lower + u)  # -(lower + u)^2 / 2, up to a constant
    w = weights * jnp.exp(log_density - jnp.max(log_density, axis=-1, keepdims=True))
    total = jnp.sum(w, axis=-1, keepdims=True)
    mean_u = jnp.sum(w * u, axis=-1, keepdims=True) / total
    variance = jnp.sum(w * (u - mean_u) ** 2, axis=-1) / total[..., 0]
    return (lower + mean_u)[..., 0], variance


def truncated_normal(a, b, log_mass):
    r"""``(mean, variance, entropy)`` of the standard normal truncated to :math:`[a, b]`,
    given :math:`\log Z = \log(\Phi(b) - \Phi(a))`. The entropy is in closed form,

    .. math:: H = \tfrac12 \log(2\pi e) + \log Z + \frac{a\varphi(a) - b\varphi(b)}{2Z}.
    """

    def z_density(z):  # z phi(z) / Z, 0 at an open end
        if z is None:
            return 0.0
        return z * jnp.exp(-0.5 * z**2 - _HALF_LOG_2PI - log_mass)

    entropy = 0.5 + _HALF_LOG_2PI + log_mass + 0.5 * (z_density(a) - z_density(b))
    mean, variance = _normal_mean_and_variance(
        -jnp.inf if a is None else a, jnp.inf if b is None else b
    )
    return mean, variance, entropy


def truncated_cauchy(a, b):
    r"""``(mean, variance)`` of the standard Cauchy truncated to :math:`[a, b]`:

    .. math::

        m = \frac{\log(1 + b^2) - \log(1 + a^2)}{2(\arctan b - \arctan a)}, \qquad
        \mathbb{E}[z^2] = \frac{b - a}{\arctan b - \arctan a} - 1.

    With an open end both diverge: the mean is :math:`\pm\infty` towards the open end and
    the variance :math:`+\infty`.
    """
    if a is None or b is None:
        sign = 1.0 if b is None else -1.0
        bound = a if b is None else b
        return jnp.full(jnp.shape(bound), sign * jnp.inf), jnp.full(jnp.shape(bound), jnp.inf)
    angle = jnp.arctan(b) - jnp.arctan(a)  # pi Z
    mean = (jnp.log1p(b**2) - jnp.log1p(a**2)) / (2 * angle)
    second = (b - a) / angle - 1.0
    return mean, second - mean**2
