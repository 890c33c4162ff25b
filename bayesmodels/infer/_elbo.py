r"""Variational objectives (NumPyro's ``Trace_ELBO``, ``TraceMeanField_ELBO`` and
``RenyiELBO``).

For a model :math:`p(x, z)` and a guide :math:`q_\phi(z)`,

.. math::
    \mathrm{ELBO}(\phi) = \mathbb{E}_{z \sim q_\phi}\left[\log p(x, z) - \log q_\phi(z)\right]
    \le \log p(x),

estimated with ``num_particles`` draws of :math:`z`. All three losses share one walk over
a guide trace and the model replayed on it, which gives each particle's
:math:`\log p - \log q` (each site's log density masked and scaled as in ``log_joint``).
Reparameterised guide sites carry the gradient through the draw. For a guide site
without a reparameterised sampler the score-function surrogate is added,

.. math::
    \widehat{\mathrm{ELBO}} + \operatorname{stop\_gradient}(\widehat{\mathrm{ELBO}})
    \sum_{\text{non-rep. sites}} \log q_\phi(z) - \operatorname{stop\_gradient}(\cdot),

whose value is the estimate and whose gradient is the score-function estimator.
"""

import math
from numbers import Real

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from .._effects._handlers import replay, seed, substitute, trace
from .._logdensity._log_joint import site_log_prob
from ..distributions import kl_divergence

__all__ = ["RenyiELBO", "TraceMeanField_ELBO", "Trace_ELBO"]


def _traces(owner, rng_key, param_map, model, guide, args, kwargs):
    """Guide trace (seeded, params substituted), then the model replayed on it."""
    guide_key, model_key = jax.random.split(rng_key)
    guide_trace = trace(substitute(seed(guide, guide_key), data=param_map)).get_trace(*args, **kwargs)
    model_trace = trace(
        replay(substitute(seed(model, model_key), data=param_map), trace=guide_trace)
    ).get_trace(*args, **kwargs)
    for name, site in model_trace.items():
        if site.type == "sample" and not site.is_observed and name not in guide_trace:
            raise ValueError(
                f"{owner}: the model's latent site {name!r} is not in the guide; "
                "the guide must sample every latent site of the model"
            )
    return guide_trace, model_trace


def _weighted(site, terms):
    """``terms`` masked and scaled by ``site`` as ``site_log_prob`` does a log density."""
    if site.mask is not None and site.mask is not True:
        terms = jnp.where(site.mask, terms, 0.0)
    return terms if site.scale is None else site.scale * terms


def _same_weights(a, b):
    """True when sites ``a`` and ``b`` surely mask and scale alike (None/True: no mask)."""

    def same(x, y):
        return x is y or (isinstance(x, (bool, int, float)) and isinstance(y, (bool, int, float)) and x == y)

    mask = [True if s.mask is None else s.mask for s in (a, b)]
    return same(a.scale, b.scale) and same(*mask)


def _analytic_kl(guide_site, model_site):
    r""":math:`\text{scale}\cdot\text{mask}\cdot\mathrm{KL}(q \| p)` of a latent site (the
    model site's scale and mask), or None without a closed form or when the two sites'
    distributions do not line up element for element."""
    q, p = guide_site.fn, model_site.fn
    if (q.batch_shape, q.event_shape, tuple(guide_site.sample_shape)) != (
        p.batch_shape,
        p.event_shape,
        tuple(model_site.sample_shape),
    ):
        return None
    try:
        kl = kl_divergence(q, p)
    except NotImplementedError:
        return None
    return _weighted(model_site, jnp.broadcast_to(kl, tuple(model_site.sample_shape) + p.batch_shape))


def _particle(owner, rng_key, param_map, model, guide, args, kwargs, *, analytic_kl=False, reparam_only=False):
    """``(elbo, score)`` of one particle: the ELBO estimate (with the analytic KL of each
    latent site that has one, if ``analytic_kl``) and the summed :math:`\\log q` of the
    non-reparameterised guide sites (which ``reparam_only`` forbids)."""
    guide_trace, model_trace = _traces(owner, rng_key, param_map, model, guide, args, kwargs)
    elbo, score, analytic = jnp.zeros(()), jnp.zeros(()), set()
    for name, site in model_trace.items():
        if site.type != "sample":
            continue
        kl = _analytic_kl(guide_trace[name], site) if analytic_kl and not site.is_observed else None
        if kl is None:
            elbo = elbo + jnp.sum(site_log_prob(site))
        else:
            elbo = elbo - jnp.sum(kl)
            analytic.add(name)
    for name, site in guide_trace.items():
        if site.type != "sample" or site.is_observed:
            continue
        if reparam_only and not site.fn.has_rsample:
            raise ValueError(
                f"{owner}: guide site {name!r} ({type(site.fn).__name__}) has no reparameterised "
                f"sampler, and {owner} uses reparameterised gradients only; use Trace_ELBO "
                "(score-function gradients) or a reparameterisable family for this site"
            )
        if name in analytic and site.fn.has_rsample and _same_weights(site, model_trace[name]):
            continue  # the KL already holds E[log q], weighted alike
        raw = site.fn.log_prob(site.value)
        log_q = jnp.sum(_weighted(site, raw))
        if name in analytic:
            # w_p log p - w_q log q = w_p (log p - log q) + (w_p - w_q) log q
            elbo = elbo + jnp.sum(_weighted(model_trace[name], raw)) - log_q
        else:
            elbo = elbo - log_q
        if not site.fn.has_rsample:
            score = score + log_q
    return elbo, score


def _surrogate(elbo, score):
    return elbo + jax.lax.stop_gradient(elbo) * (score - jax.lax.stop_gradient(score))


def _positive_int(owner, name, value, least=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{owner}: {name} must be an int >= {least}, got {value!r}")
    return value


class _AbstractELBO:
    """Shared by the losses: ``num_particles`` and the per-site log densities."""

    num_particles: int

    def loss(self, rng_key, param_map, model, guide, *args, **kwargs):
        """The loss to minimise: minus the objective of the class docstring, estimated
        with ``num_particles`` draws from the guide.

        Its gradient in ``param_map`` is the reparameterised gradient estimate (plus the
        score-function term for guide sites without a reparameterised sampler, except in
        ``RenyiELBO``, which needs ``rsample`` at every guide site).

        Args:
            rng_key: a ``jax.random`` key for the guide's draws.
            param_map: constrained values of the ``param`` sites of model and guide,
                ``{name: value}``.
            model: the model function.
            guide: the guide function; it must sample every latent site of the model.
            *args: positional arguments passed to both model and guide.
            **kwargs: keyword arguments passed to both model and guide.

        Returns:
            A scalar array: the negative objective estimate.

        Raises:
            ValueError: a latent site of the model is missing from the guide (or, for
                ``RenyiELBO``, a guide site has no reparameterised sampler).
        """
        raise NotImplementedError

    def _mean_surrogate(self, rng_key, param_map, model, guide, args, kwargs, analytic_kl):
        owner = type(self).__name__

        def one(key):
            return _surrogate(*_particle(owner, key, param_map, model, guide, args, kwargs, analytic_kl=analytic_kl))

        if self.num_particles == 1:
            return one(rng_key)
        return jnp.mean(jax.vmap(one)(jax.random.split(rng_key, self.num_particles)))

    def site_log_probs(self, rng_key, param_map, model, guide, *args, **kwargs):
        """Each sample site's summed log density in one particle (to find which one is not
        finite).

        Args:
            rng_key: a ``jax.random`` key for the guide's draw.
            param_map: constrained values of the ``param`` sites, ``{name: value}``.
            model: the model function.
            guide: the guide function.
            *args: positional arguments passed to both model and guide.
            **kwargs: keyword arguments passed to both model and guide.

        Returns:
            ``{("model" | "guide", site name): scalar}``: the model's sample sites and the
            guide's latent ones.
        """
        traces = _traces(type(self).__name__, rng_key, param_map, model, guide, args, kwargs)
        out = {}
        for tag, tr in zip(("guide", "model"), traces):
            for name, site in tr.items():
                if site.type == "sample" and not (tag == "guide" and site.is_observed):
                    out[(tag, name)] = jnp.sum(site_log_prob(site))
        return out


class Trace_ELBO(_AbstractELBO):
    r"""The ELBO of a model and guide, averaged over ``num_particles`` guide draws:

    .. math::

        \widehat{\mathrm{ELBO}}(\phi) = \frac1K \sum_{k=1}^{K}
            \bigl[\log p(x, z_k) - \log q_\phi(z_k)\bigr], \qquad z_k \sim q_\phi,

    with :math:`K` = ``num_particles``, each site's log density masked and scaled as in
    the model (subsampling).

    ``loss(rng_key, param_map, model, guide, *args, **kwargs)`` is
    :math:`-\widehat{\mathrm{ELBO}}` (a scalar to minimise); its gradient in ``param_map``
    is the reparameterised gradient estimate, plus the score-function term
    :math:`\widehat{\mathrm{ELBO}}\,\nabla_\phi \log q_\phi(z)` for guide sites without a
    reparameterised sampler.

    Args:
        num_particles: :math:`K`, the guide draws averaged per estimate (vectorised
            with ``jax.vmap``).

    Example:
        >>> import jax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import Trace_ELBO
        >>> def model():
        ...     z = bm.sample("z", dist.Normal(0.0, 1.0))
        ...     bm.sample("x", dist.Normal(z, 1.0), obs=1.0)
        >>> def guide():  # the exact posterior N(1/2, 1/2): the loss is -log p(x) for any draw
        ...     bm.sample("z", dist.Normal(bm.param("m", 0.0), 0.5**0.5))
        >>> round(float(Trace_ELBO(num_particles=4).loss(jax.random.key(0), {"m": 0.5}, model, guide)), 4)
        1.5155
    """

    def __init__(self, num_particles: int = 1):
        self.num_particles = _positive_int("Trace_ELBO", "num_particles", num_particles)

    def loss(self, rng_key, param_map, model, guide, *args, **kwargs):
        return -self._mean_surrogate(rng_key, param_map, model, guide, args, kwargs, analytic_kl=False)


class TraceMeanField_ELBO(_AbstractELBO):
    r"""The ELBO with each latent site's :math:`\log p - \log q` term replaced by its
    closed-form expectation where ``kl_divergence(guide_fn, model_fn)`` has one,

    .. math::
        \mathrm{ELBO} = \mathbb{E}_{q}\Bigl[\sum_{\text{obs.}} \log p(x \mid z)
            - \sum_{\text{guide-only}} \log q(z)\Bigr]
            - \sum_{\text{latent}} \mathbb{E}_{q}\bigl[\mathrm{KL}(q(z_s \mid \cdot)
            \,\|\, p(z_s \mid \cdot))\bigr],

    each KL masked and scaled as the model site is. The value is the same ELBO with a
    smaller variance; it is exact for a mean-field guide of a model whose latents'
    priors do not depend on other latents. Sites without a closed form (or whose guide
    and model distributions differ in shape) keep the Monte Carlo term.

    Args:
        num_particles: guide draws averaged per estimate (of the terms left to Monte
            Carlo).

    Example:
        >>> import jax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import TraceMeanField_ELBO
        >>> def model():
        ...     bm.sample("z", dist.Normal(0.0, 1.0))
        >>> def guide():
        ...     bm.sample("z", dist.Normal(bm.param("m", 1.0), 1.0))
        >>> float(TraceMeanField_ELBO().loss(jax.random.key(0), {"m": 1.0}, model, guide))  # KL
        0.5
    """

    def __init__(self, num_particles: int = 1):
        self.num_particles = _positive_int("TraceMeanField_ELBO", "num_particles", num_particles)

    def loss(self, rng_key, param_map, model, guide, *args, **kwargs):
        return -self._mean_surrogate(rng_key, param_map, model, guide, args, kwargs, analytic_kl=True)


class RenyiELBO(_AbstractELBO):
    r"""The variational Rényi bound of Li & Turner (2016), for :math:`\alpha \ne 1`,

    .. math::
        \mathcal{L}_\alpha = \frac{1}{1 - \alpha} \log \frac1K \sum_{k=1}^{K}
            \exp\bigl((1 - \alpha)\, w_k\bigr), \qquad
            w_k = \log p(x, z_k) - \log q(z_k), \quad z_k \sim q,

    with ``K = num_particles``; ``loss`` is :math:`-\mathcal{L}_\alpha`. :math:`\alpha = 0`
    is the importance-weighted bound (IWAE), tighter than the ELBO and equal to
    :math:`\log p(x)` when :math:`q` is the posterior; :math:`\alpha \to 1` is the ELBO
    (use ``Trace_ELBO``). Gradients are reparameterised only, so every guide site needs
    ``rsample``.

    Args:
        alpha: :math:`\alpha`, any finite value but 1 (default 0: the IWAE bound).
        num_particles: :math:`K`, the guide draws per estimate (default 2; with
            :math:`K = 1` every :math:`\alpha` gives the ELBO estimate).

    Example:
        >>> import jax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import RenyiELBO
        >>> def model():
        ...     z = bm.sample("z", dist.Normal(0.0, 1.0))
        ...     bm.sample("x", dist.Normal(z, 1.0), obs=1.0)
        >>> def guide():  # the exact posterior N(1/2, 1/2): -log p(x) = -log N(1; 0, 2)
        ...     bm.sample("z", dist.Normal(0.5, 0.5**0.5))
        >>> round(float(RenyiELBO(alpha=0.0).loss(jax.random.key(0), {}, model, guide)), 4)
        1.5155
    """

    def __init__(self, alpha: float = 0.0, num_particles: int = 2):
        if isinstance(alpha, bool) or not isinstance(alpha, Real) or not math.isfinite(alpha):
            raise ValueError(f"RenyiELBO: alpha must be a finite float, got {alpha!r}")
        if alpha == 1:
            raise ValueError("RenyiELBO: alpha = 1 is the ordinary ELBO; use Trace_ELBO instead")
        self.alpha = float(alpha)
        self.num_particles = _positive_int("RenyiELBO", "num_particles", num_particles)

    def loss(self, rng_key, param_map, model, guide, *args, **kwargs):
        def log_weight(key):
            elbo, _ = _particle("RenyiELBO", key, param_map, model, guide, args, kwargs, reparam_only=True)
            return elbo

        log_weights = jax.vmap(log_weight)(jax.random.split(rng_key, self.num_particles))
        scaled = (1.0 - self.alpha) * log_weights
        return -(logsumexp(scaled) - math.log(self.num_particles)) / (1.0 - self.alpha)
