r"""Closed-form Kullback-Leibler divergences,

.. math::

    \mathrm{KL}(p \,\|\, q) = \mathbb{E}_{x \sim p}\bigl[\log p(x) - \log q(x)\bigr],

one batch-shaped value per pair of batch elements.

``kl_divergence(p, q)`` looks the pair ``(type(p), type(q))`` up in a table of small
rules (NumPyro's ``numpyro.distributions.kl_divergence``, as a plain table). Batch
wrappers are unwrapped first: an ``ExpandedDistribution`` (what a plate makes of a site's
distribution) only broadcasts its base's KL, and ``Independent`` sums it over the
reinterpreted dims.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import betaln, digamma, gammaln

from ._batch_wrappers import ExpandedDistribution, Independent
from ._continuous_bounded import Beta
from ._continuous_gamma import Gamma
from ._continuous_lifetime import Exponential
from ._continuous_real import Normal
from ._dirichlet import Dirichlet
from ._distribution import Distribution
from ._multivariate_normal import LowRankMultivariateNormal, MultivariateNormal
from ._multivariate_util import mahalanobis, solve_lower, tri_logdet
from ._util import sum_rightmost

__all__ = ["kl_divergence"]

_RULES: dict = {}


def _rule(p_type, q_type):
    """Register the decorated function as the KL rule of ``(p_type, q_type)``."""

    def register(fn):
        _RULES[(p_type, q_type)] = fn
        return fn

    return register


def _lookup(p, q):
    for p_type in type(p).__mro__:
        for q_type in type(q).__mro__:
            if (p_type, q_type) in _RULES:
                return _RULES[(p_type, q_type)]
    return None


def kl_divergence(p: Distribution, q: Distribution):
    r"""The divergence :math:`\mathrm{KL}(p \,\|\, q)` in closed form:

    .. math::

        \mathrm{KL}(p \,\|\, q) = \mathbb{E}_{x \sim p}\bigl[\log p(x) - \log q(x)\bigr].

    Closed forms exist for Normal, Exponential, Gamma, Beta and Dirichlet pairs of the
    same family, for any pair of Gaussians among ``MultivariateNormal``,
    ``LowRankMultivariateNormal`` and ``Independent`` of a ``Normal`` over one dim, and for
    two ``Independent`` wrappers over the same number of dims (the KL of the bases summed
    over those dims). An ``ExpandedDistribution`` on either side broadcasts the KL of its
    base.

    Args:
        p: the distribution the expectation is taken under.
        q: the reference distribution, with the same ``event_shape`` as ``p``.

    Returns:
        An array of divergences in nats, one per batch element, whose shape is the
        broadcast of ``p.batch_shape`` and ``q.batch_shape``.

    Raises:
        ValueError: if ``p`` and ``q`` have different event shapes.
        NotImplementedError: for a pair with no closed form here (estimate it by Monte
            Carlo instead, :math:`\log p(x) - \log q(x)` averaged over draws
            :math:`x \sim p`).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> p = dist.Normal(jnp.array([0.0, 1.0]), 1.0)
        >>> kl = dist.kl_divergence(p, dist.Normal(0.0, 1.0))
        >>> kl.tolist()
        [0.0, 0.5]
    """
    if p.event_shape != q.event_shape:
        raise ValueError(
            f"kl_divergence: {type(p).__name__} has event_shape {p.event_shape} and "
            f"{type(q).__name__} has event_shape {q.event_shape}; they must be the same."
        )
    batch_shape = jnp.broadcast_shapes(p.batch_shape, q.batch_shape)
    if isinstance(p, ExpandedDistribution) or isinstance(q, ExpandedDistribution):
        # broadcasting a distribution's batch broadcasts its KL the same way
        p_base = p.base_dist if isinstance(p, ExpandedDistribution) else p
        q_base = q.base_dist if isinstance(q, ExpandedDistribution) else q
        return jnp.broadcast_to(kl_divergence(p_base, q_base), batch_shape)
    rule = _lookup(p, q)
    if rule is None:
        raise NotImplementedError(
            f"kl_divergence: no closed form for KL({type(p).__name__} || {type(q).__name__}). "
            "Estimate it by Monte Carlo (log p(x) - log q(x) at draws x ~ p) instead."
        )
    return jnp.broadcast_to(rule(p, q), batch_shape)


# ----------------------------------------------------------------------- wrappers


def _flatten_independent(d):
    """``(base, n)``: nested ``Independent`` wrappers read as one with ``n`` dims (an
    expanded ``Independent`` is read as an ``Independent`` of the expanded base)."""
    n = 0
    while True:
        if isinstance(d, ExpandedDistribution) and isinstance(d.base_dist, Independent):
            inner = d.base_dist
            m = inner.reinterpreted_batch_ndims
            reinterpreted = inner.base_dist.batch_shape[len(inner.base_dist.batch_shape) - m :]
            d = Independent(inner.base_dist.expand(d.batch_shape + reinterpreted), m)
        if not isinstance(d, Independent):
            return d, n
        n += d.reinterpreted_batch_ndims
        d = d.base_dist


@_rule(Independent, Independent)
def _kl_independent(p, q):
    r"""Independent coordinates add up:
    :math:`\mathrm{KL}(p \| q) = \sum_{i \in \text{event dims}} \mathrm{KL}(p_i \| q_i)`."""
    p_base, p_n = _flatten_independent(p)
    q_base, q_n = _flatten_independent(q)
    if p_n != q_n:
        raise NotImplementedError(
            f"kl_divergence: Independent over {p_n} dims vs Independent over {q_n} dims; "
            "reinterpret the same number of batch dims on both sides."
        )
    return sum_rightmost(kl_divergence(p_base, q_base), p_n)


# ------------------------------------------------------------------- univariate


@_rule(Normal, Normal)
def _kl_normal(p, q):
    r""":math:`\log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2}
    - \frac12`."""
    ratio = jnp.square(p.scale / q.scale)
    t = jnp.square((p.loc - q.loc) / q.scale)
    return 0.5 * (ratio + t - 1.0 - jnp.log(ratio))


@_rule(Exponential, Exponential)
def _kl_exponential(p, q):
    r""":math:`\log\frac{\lambda_p}{\lambda_q} + \frac{\lambda_q}{\lambda_p} - 1`."""
    ratio = q.rate / p.rate
    return ratio - 1.0 - jnp.log(ratio)


@_rule(Gamma, Gamma)
def _kl_gamma(p, q):
    r"""With shapes :math:`\alpha` and rates :math:`\beta`,
    :math:`(\alpha_p - \alpha_q)\psi(\alpha_p) - \log\Gamma(\alpha_p) + \log\Gamma(\alpha_q)
    + \alpha_q(\log\beta_p - \log\beta_q) + \alpha_p\frac{\beta_q - \beta_p}{\beta_p}`."""
    a_p, b_p, a_q, b_q = p.concentration, p.rate, q.concentration, q.rate
    return (
        (a_p - a_q) * digamma(a_p)
        - gammaln(a_p)
        + gammaln(a_q)
        + a_q * (jnp.log(b_p) - jnp.log(b_q))
        + a_p * (b_q / b_p - 1.0)
    )


@_rule(Beta, Beta)
def _kl_beta(p, q):
    r"""With :math:`p = \mathrm{Beta}(a, b)`, :math:`q = \mathrm{Beta}(c, d)`,
    :math:`\log\frac{B(c, d)}{B(a, b)} + (a - c)\psi(a) + (b - d)\psi(b)
    + (c - a + d - b)\psi(a + b)`."""
    a, b = p.concentration1, p.concentration0
    c, d = q.concentration1, q.concentration0
    return (
        betaln(c, d)
        - betaln(a, b)
        + (a - c) * digamma(a)
        + (b - d) * digamma(b)
        + (c - a + d - b) * digamma(a + b)
    )


# ----------------------------------------------------------------- multivariate


@_rule(Dirichlet, Dirichlet)
def _kl_dirichlet(p, q):
    r"""With :math:`\alpha_0 = \sum_i \alpha_i` (and :math:`\beta` for :math:`q`),
    :math:`\log\Gamma(\alpha_0) - \sum_i \log\Gamma(\alpha_i) - \log\Gamma(\beta_0)
    + \sum_i \log\Gamma(\beta_i) + \sum_i (\alpha_i - \beta_i)(\psi(\alpha_i) - \psi(\alpha_0))`."""
    a, b = p.concentration, q.concentration
    a0, b0 = jnp.sum(a, -1), jnp.sum(b, -1)
    return (
        gammaln(a0)
        - gammaln(b0)
        - jnp.sum(gammaln(a) - gammaln(b), -1)
        + jnp.sum((a - b) * (digamma(a) - digamma(a0)[..., None]), -1)
    )


def _gaussian(d):
    """``(loc, scale_tril)`` of a Gaussian with an event of one dim, or None."""
    if isinstance(d, (MultivariateNormal, LowRankMultivariateNormal)):
        return d.loc, d.scale_tril
    base, n = _flatten_independent(d)
    if isinstance(base, ExpandedDistribution):
        base = base.base_dist
    if n == 1 and isinstance(base, Normal):
        loc = jnp.broadcast_to(base.loc, d.batch_shape + d.event_shape)
        scale = jnp.broadcast_to(base.scale, d.batch_shape + d.event_shape)
        return loc, scale[..., None] * jnp.eye(d.event_shape[0])
    return None


def _kl_gaussian(p, q):
    r"""With :math:`\Sigma = L L^T` and :math:`k` the dimension,
    :math:`\frac12\bigl(\|L_q^{-1} L_p\|_F^2 + \|L_q^{-1}(\mu_q - \mu_p)\|^2 - k\bigr)
    + \log|L_q| - \log|L_p|`."""
    p_gauss, q_gauss = _gaussian(p), _gaussian(q)
    if p_gauss is None or q_gauss is None:
        raise NotImplementedError(
            f"kl_divergence: no closed form for KL({type(p).__name__} || {type(q).__name__}) "
            "unless both are Gaussian (an Independent wraps a Normal over one dim)."
        )
    (loc_p, tril_p), (loc_q, tril_q) = p_gauss, q_gauss
    k = p.event_shape[0]
    # columns of L_p as right-hand sides: L_q^{-1} L_p, one column per leading index
    solved = solve_lower(tril_q[..., None, :, :], jnp.swapaxes(tril_p, -1, -2))
    trace_term = jnp.sum(jnp.square(solved), axis=(-2, -1))
    return (
        0.5 * (trace_term + mahalanobis(tril_q, loc_q - loc_p) - k)
        + tri_logdet(tril_q)
        - tri_logdet(tril_p)
    )


for _p_type in (MultivariateNormal, LowRankMultivariateNormal, Independent):
    for _q_type in (MultivariateNormal, LowRankMultivariateNormal, Independent):
        if (_p_type, _q_type) != (Independent, Independent):
            _rule(_p_type, _q_type)(_kl_gaussian)
