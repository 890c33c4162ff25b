r"""Guides with parameters per site: ``AutoNormal`` (mean field) and ``AutoDelta`` (MAP).

Each latent site keeps its own parameters, shaped like the site, so sites inside a
subsampled plate train only the rows of the current subsample (and the guide enters the
same plates as the model, so both see the same rows).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ... import distributions as dist
from ..._effects._primitives import param, sample
from ..._logdensity._init_strategies import init_to_median, init_to_uniform
from ..._logdensity._layout import site_transform
from ...distributions import constraints
from ._base import AutoGuide, full_size, site_plates, take_subsample, unconstrained_event_dim

__all__ = ["AutoDelta", "AutoNormal"]


class AutoNormal(AutoGuide):
    r"""Independent normals in unconstrained space, one per latent element:

    .. math::

        q_\phi(x_s) = \mathcal{N}\!\left(T_s^{-1}(x_s) \mid \mu_s, \sigma_s^2\right)
            \left\lvert\det J_{T_s^{-1}}(x_s)\right\rvert,

    with params ``{prefix}_{site}_loc`` and ``{prefix}_{site}_scale`` (positive). A mean-
    field guide matches the posterior's mean but its sds are the *conditional* ones
    (the inverse of the precision's diagonal), smaller than the marginal sds when the
    latents are correlated.

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites (default ``"auto"``).
        init_loc_fn: init strategy for the locations (``init_to_uniform`` by default).
        init_scale: the starting scale of every element (positive; default 0.1).

    Example:
        >>> import jax, optax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import SVI, Trace_ELBO
        >>> from bayesmodels.infer.autoguide import AutoNormal
        >>> def model():
        ...     bm.sample("s", dist.LogNormal(1.0, 0.5))
        >>> guide = AutoNormal(model)
        >>> svi = SVI(model, guide, optax.adam(0.05), Trace_ELBO(num_particles=8))
        >>> params = svi.run(jax.random.key(0), 500, progress_bar=False).params
        >>> bool(abs(params["auto_s_loc"] - 1.0) < 0.15), bool(abs(params["auto_s_scale"] - 0.5) < 0.1)
        (True, True)
    """

    def __init__(self, model, *, prefix: str = "auto", init_loc_fn=init_to_uniform, init_scale: float = 0.1):
        if not init_scale > 0:
            raise ValueError(f"AutoNormal: init_scale must be positive, got {init_scale!r}")
        super().__init__(model, prefix=prefix, init_loc_fn=init_loc_fn)
        self.init_scale = init_scale

    def _guide(self, *args, **kwargs) -> dict:
        result = {}
        for site in self._latent_sites():
            event_dim = unconstrained_event_dim(site)
            init_loc = full_size(self._init_unconstrained[site.name], site, event_dim)
            loc = param(f"{self.prefix}_{site.name}_loc", init_loc, event_dim=event_dim)
            scale = param(
                f"{self.prefix}_{site.name}_scale",
                jnp.full(jnp.shape(init_loc), self.init_scale),
                constraint=constraints.positive,
                event_dim=event_dim,
            )
            with site_plates(site) as indices:
                loc = take_subsample(loc, site, event_dim, indices)
                scale = take_subsample(scale, site, event_dim, indices)
                base = dist.Normal(loc, scale).to_event(event_dim)
                result[site.name] = sample(site.name, _on_support(base, site))
        return result

    def _locs_and_scales(self, params: dict):
        self._require_prototype("sample_posterior")
        names = self.layout.names
        return (
            {name: params[f"{self.prefix}_{name}_loc"] for name in names},
            {name: params[f"{self.prefix}_{name}_scale"] for name in names},
        )

    def sample_posterior(self, rng_key, params: dict, sample_shape=()) -> dict:
        locs, scales = self._locs_and_scales(params)
        keys = jax.random.split(rng_key, len(locs))
        draws = {
            name: locs[name] + scales[name] * jax.random.normal(key, tuple(sample_shape) + jnp.shape(locs[name]))
            for key, name in zip(keys, locs)
        }
        return self._constrain(draws)

    def median(self, params: dict) -> dict:
        locs, _ = self._locs_and_scales(params)
        return self._constrain(locs)

    def quantiles(self, params: dict, quantiles) -> dict:
        r"""Elementwise :math:`T_s(\mu_s + \sigma_s \Phi^{-1}(q))` (exact for elementwise
        transforms such as ``exp``; for transforms that mix elements, e.g. a simplex,
        the image of the unconstrained quantiles).

        Args:
            params: the fitted params, constrained.
            quantiles: probabilities in (0, 1), a list or 1-d array.

        Returns:
            ``{site: array}`` of shape ``[len(quantiles), *site_shape]``.

        Raises:
            RuntimeError: the guide has not been run on the model yet (fit it first).
        """
        locs, scales = self._locs_and_scales(params)
        z = jax.scipy.stats.norm.ppf(jnp.asarray(quantiles, float))
        return self._constrain(
            {
                name: locs[name] + scales[name] * jnp.reshape(z, jnp.shape(z) + (1,) * jnp.ndim(locs[name]))
                for name in locs
            }
        )


class AutoDelta(AutoGuide):
    r"""A point mass at each latent site: SVI with it finds the MAP estimate

    .. math::

        \hat x = \arg\max_x \log p(y, x),

    in the constrained space (no Jacobian term), with params ``{prefix}_{site}_loc``
    constrained to the site's support. The guide is
    :math:`q_\phi(x_s) = \delta(x_s - \hat x_s)` for each site, so ``sample_posterior``, ``median`` and
    ``quantiles`` all return :math:`\hat x` (broadcast to the requested shape).

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites (default ``"auto"``).
        init_loc_fn: init strategy for the point masses (``init_to_median`` by default).

    Example:
        >>> import jax, optax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import SVI, Trace_ELBO
        >>> from bayesmodels.infer.autoguide import AutoDelta
        >>> def model():
        ...     bm.sample("s", dist.Gamma(3.0, 1.0))  # mode at 2
        >>> svi = SVI(model, AutoDelta(model), optax.adam(0.05), Trace_ELBO())
        >>> round(float(svi.run(jax.random.key(0), 1000, progress_bar=False).params["auto_s_loc"]), 2)
        2.0
    """

    def __init__(self, model, *, prefix: str = "auto", init_loc_fn=init_to_median):
        super().__init__(model, prefix=prefix, init_loc_fn=init_loc_fn)

    def _guide(self, *args, **kwargs) -> dict:
        result = {}
        for site in self._latent_sites():
            event_dim = site.fn.event_dim
            init = full_size(self.prototype_trace[site.name].value, site, event_dim)
            value = param(f"{self.prefix}_{site.name}_loc", init, constraint=site.fn.support, event_dim=event_dim)
            with site_plates(site) as indices:
                value = take_subsample(value, site, event_dim, indices)
                result[site.name] = sample(site.name, dist.Delta(value, event_dim=event_dim))
        return result

    def _locs(self, params: dict) -> dict:
        self._require_prototype("median")
        return {name: params[f"{self.prefix}_{name}_loc"] for name in self.layout.names}

    def sample_posterior(self, rng_key, params: dict, sample_shape=()) -> dict:
        return {
            name: jnp.broadcast_to(value, tuple(sample_shape) + jnp.shape(value))
            for name, value in self._locs(params).items()
        }

    def median(self, params: dict) -> dict:
        return self._locs(params)

    def quantiles(self, params: dict, quantiles) -> dict:
        q = jnp.shape(jnp.asarray(quantiles))
        return {name: jnp.broadcast_to(value, q + jnp.shape(value)) for name, value in self._locs(params).items()}


def _on_support(base, site):
    """``base`` (unconstrained) pushed through the site's ``biject_to`` transform."""
    transform = site_transform(site)
    if isinstance(transform, dist.transforms.IdentityTransform):
        return base
    return dist.TransformedDistribution(base, transform)
