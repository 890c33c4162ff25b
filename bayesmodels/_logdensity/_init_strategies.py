r"""Where a sampler starts: init strategies, NumPyro-style.

A strategy is a function ``strategy(site) -> value | None`` returning a *constrained*
initial value for a latent sample site (None: leave the site to the next rule). Each is
also callable with options only, ``init_to_uniform(radius=1)``, returning the configured
strategy. They run under ``seed``, so ``site.rng_key`` is set.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from ._layout import site_transform

__all__ = [
    "init_to_feasible",
    "init_to_mean",
    "init_to_median",
    "init_to_sample",
    "init_to_uniform",
    "init_to_value",
]


def _is_latent(site) -> bool:
    return site is not None and site.is_latent and site.value is None


def init_to_uniform(site=None, radius: float = 2.0):
    r"""Uniform on :math:`(-r, r)` in unconstrained space, mapped to the support
    (Stan's default, :math:`r = 2`):

    .. math::

        x_s = T_s(u), \qquad u_i \sim \mathcal U(-r, r), \qquad T_s = \mathrm{biject\_to}(\text{support}_s).

    Discrete sites take a prior draw.

    Args:
        site: the site being initialised (a trace site, with ``rng_key`` set), or
            None to return the strategy itself, configured with the other arguments.
        radius: :math:`r`, half-width of the interval (0 gives ``init_to_feasible``).

    Returns:
        The constrained initial value for a latent sample site, None for any other site
        (or one already given a value), or, without ``site``, the configured strategy.

    Example:
        >>> import jax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import init_to_uniform, initialize_model
        >>> def model():
        ...     bm.sample("s", dist.HalfNormal(1.0))
        >>> info = initialize_model(jax.random.PRNGKey(0), model, init_strategy=init_to_uniform(radius=0.5))
        >>> bool(abs(info.param_info.z[0]) <= 0.5)
        True
    """
    if site is None:
        return functools.partial(init_to_uniform, radius=radius)
    if not _is_latent(site):
        return None
    if site.fn.is_discrete:
        return init_to_sample(site)
    transform = site_transform(site)
    shape = transform.inverse_shape(site.fn.shape(site.sample_shape))
    z = jax.random.uniform(site.rng_key, shape, minval=-radius, maxval=radius)
    return transform(z)


def init_to_feasible(site=None):
    """The image of zero in unconstrained space (e.g. 1 for a positive site): ``init_to_uniform``
    with radius 0.

    Args:
        site: the site being initialised (a trace site, with ``rng_key`` set), or
            None to return the strategy itself, configured with the other arguments.

    Returns:
        The constrained initial value for a latent sample site, None for any other site
        (or one already given a value), or, without ``site``, the configured strategy.
    """
    if site is None:
        return init_to_feasible
    return init_to_uniform(site, radius=0.0)


def init_to_sample(site=None):
    """A draw from the site's prior (``init_to_uniform`` for an improper prior, which
    cannot be sampled).

    Args:
        site: the site being initialised (a trace site, with ``rng_key`` set), or
            None to return the strategy itself, configured with the other arguments.

    Returns:
        The constrained initial value for a latent sample site, None for any other site
        (or one already given a value), or, without ``site``, the configured strategy.
    """
    if site is None:
        return init_to_sample
    if not _is_latent(site):
        return None
    try:
        return site.fn.sample(site.rng_key, site.sample_shape)
    except NotImplementedError:  # an improper prior cannot be sampled
        return init_to_uniform(site)


def init_to_median(site=None, num_samples: int = 15):
    """The elementwise median of ``num_samples`` prior draws (a prior draw where that
    median leaves the support, as for a simplex or a Cholesky factor; the lower median
    for a discrete site; ``init_to_uniform`` for an improper prior).

    Args:
        site: the site being initialised (a trace site, with ``rng_key`` set), or
            None to return the strategy itself, configured with the other arguments.
        num_samples: prior draws the median is taken over.

    Returns:
        The constrained initial value for a latent sample site, None for any other site
        (or one already given a value), or, without ``site``, the configured strategy.
    """
    if site is None:
        return functools.partial(init_to_median, num_samples=num_samples)
    if not _is_latent(site):
        return None
    try:
        draws = site.fn.sample(site.rng_key, (num_samples,) + tuple(site.sample_shape))
    except NotImplementedError:  # an improper prior cannot be sampled
        return init_to_uniform(site)
    median = jnp.quantile(draws, 0.5, axis=0, method="lower") if site.fn.is_discrete else jnp.median(draws, axis=0)
    return jnp.where(_in_support(site, median), median, draws[0])


def init_to_mean(site=None):
    """The prior mean (``init_to_median`` where the mean is not implemented, not finite or
    outside the support).

    Args:
        site: the site being initialised (a trace site, with ``rng_key`` set), or
            None to return the strategy itself, configured with the other arguments.

    Returns:
        The constrained initial value for a latent sample site, None for any other site
        (or one already given a value), or, without ``site``, the configured strategy.
    """
    if site is None:
        return init_to_mean
    if not _is_latent(site):
        return None
    try:
        mean = jnp.broadcast_to(site.fn.mean, site.fn.shape(site.sample_shape))
    except NotImplementedError:
        return init_to_median(site)
    return jnp.where(_in_support(site, mean), mean, init_to_median(site))


def init_to_value(site=None, values=None):
    """``values[name]`` for the sites named there, ``init_to_uniform`` for the rest.

    Args:
        site: the site being initialised (a trace site, with ``rng_key`` set), or
            None to return the strategy itself, configured with the other arguments.
        values: ``{site name: constrained value}``.

    Returns:
        The constrained initial value for a latent sample site, None for any other site
        (or one already given a value), or, without ``site``, the configured strategy.
    """
    if site is None:
        return functools.partial(init_to_value, values=values)
    if not _is_latent(site):
        return None
    values = values or {}
    if site.name in values:
        return values[site.name]
    return init_to_uniform(site)


def _in_support(site, value):
    """Scalar boolean: ``value`` is finite and in the support (works under tracing)."""
    return jnp.all(site.fn.support(value)) & jnp.all(jnp.isfinite(value))
