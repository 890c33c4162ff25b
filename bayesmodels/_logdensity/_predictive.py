r"""``Predictive`` and ``log_likelihood``: a model run once per posterior (or prior) draw.

With posterior draws :math:`\theta^{(i)}`, ``Predictive`` fixes the latent sites at
:math:`\theta^{(i)}` and draws everything else, giving samples of
:math:`p(\tilde y \mid \theta^{(i)})`, i.e. of the posterior predictive. Without draws it
samples the prior (predictive). ``log_likelihood`` gives
:math:`\log p(y_n \mid \theta^{(i)})` pointwise for every observed site, the input of
LOO and WAIC. Both are batched over draws (``jax.vmap``, or ``jax.lax.map`` to save
memory) and compiled once per model and data shapes.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from ..handlers import seed, substitute, trace
from ._log_joint import site_log_prob

__all__ = ["Predictive", "log_likelihood"]


def _latent_substitution(values):
    """A substitute_fn that fixes only sample sites (deterministic ones are recomputed)."""
    return lambda site: values.get(site.name) if site.is_latent else None


def _run(model, key, values, args, kwargs):
    return trace(seed(substitute(model, substitute_fn=_latent_substitution(values)), rng_seed=key)).get_trace(
        *args, **kwargs
    )


def _flatten_draws(samples: dict, batch_ndims: int):
    """Merge the leading ``batch_ndims`` axes of every array: (dict, leading shape)."""
    if not samples:
        return samples, None
    shapes = {name: jnp.shape(value)[:batch_ndims] for name, value in samples.items()}
    leading = next(iter(shapes.values()))
    for name, shape in shapes.items():
        if len(shape) < batch_ndims or shape != leading:
            raise ValueError(
                f"posterior_samples[{name!r}] has leading shape {jnp.shape(samples[name])[:batch_ndims]}, "
                f"but every site must share the same {batch_ndims} leading draw axes {leading}"
            )
    flat = {
        name: jnp.reshape(value, (math.prod(leading),) + jnp.shape(value)[batch_ndims:])
        for name, value in samples.items()
    }
    return flat, leading


def _map(fn, xs, parallel: bool):
    return jax.vmap(fn)(*xs) if parallel else jax.lax.map(lambda x: fn(*x), xs)


@eqx.filter_jit
def _predict(model, keys, samples, return_sites, parallel, args, kwargs):
    def one(key, values):
        model_trace = _run(model, key, values, args, kwargs)
        return {name: model_trace[name].value for name in return_sites}

    return _map(one, (keys, samples), parallel)


class Predictive:
    r"""Draws of a model's sites, given posterior draws (or from the prior).

    For each posterior draw :math:`\theta^{(i)}` the model runs once with its latent sites
    fixed at :math:`\theta^{(i)}` and everything else drawn, so the returned observed
    sites are draws of the posterior predictive

    .. math::

        p(\tilde y \mid y) = \int p(\tilde y \mid \theta)\, p(\theta \mid y)\, d\theta;

    without ``posterior_samples`` (nor ``guide``) every site is drawn from the prior.
    Calling the ``Predictive``, ``predictive(rng_key, *args, **kwargs)``, passes the
    arguments to the model and returns ``{site: array}`` with the draw axes first.

    Args:
        model: the model function.
        posterior_samples: dict site -> draws with ``batch_ndims`` leading axes; None
            samples the prior.
        guide: a guide to draw the latent sites from instead (with ``params``).
        params: constrained values of the param sites (for ``guide`` and ``model``).
        num_samples: number of draws; required for the prior or a guide.
        return_sites: names of the sites to return. Default: the sample sites not in
            ``posterior_samples`` (observed ones included) and every deterministic site.
        parallel: ``jax.vmap`` over draws (faster, more memory) rather than ``lax.map``.
        batch_ndims: leading draw axes of ``posterior_samples`` (2 for
            ``[chain, draw, ...]``); default 1.

    Example:
        >>> import jax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import Predictive
        >>> def model(n=3):
        ...     mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        ...     with bm.plate("data", n):
        ...         bm.sample("y", dist.Normal(mu, 1.0))
        >>> prior = Predictive(model, num_samples=100)(jax.random.PRNGKey(0))
        >>> prior["mu"].shape, prior["y"].shape
        ((100,), (100, 3))
    """

    def __init__(
        self,
        model,
        posterior_samples=None,
        *,
        guide=None,
        params=None,
        num_samples=None,
        return_sites=None,
        parallel: bool = False,
        batch_ndims: int | None = None,
    ):
        if posterior_samples is not None and guide is not None:
            raise ValueError("Predictive: give posterior_samples or a guide, not both")
        self.model = model
        self.guide = guide
        self.params = dict(params or {})
        self.batch_ndims = 1 if batch_ndims is None else int(batch_ndims)
        self.posterior_samples, self._leading = _flatten_draws(dict(posterior_samples or {}), self.batch_ndims)
        if self._leading is not None:
            draws = math.prod(self._leading)
            if num_samples is not None and num_samples != draws:
                raise ValueError(
                    f"Predictive: num_samples={num_samples} but posterior_samples hold {draws} draws; "
                    "leave num_samples out (or thin the draws yourself)"
                )
            num_samples = draws
        elif num_samples is None:
            raise ValueError("Predictive: num_samples is required when there are no posterior_samples")
        if int(num_samples) < 1:
            raise ValueError(f"Predictive: num_samples must be positive, got {num_samples}")
        self.num_samples = int(num_samples)
        self.return_sites = None if return_sites is None else tuple(return_sites)
        self.parallel = bool(parallel)
        self._substituted = None
        self._guide_draws = None

    def _model(self):
        # built once, so that the compiled draws are reused across calls
        if self._substituted is None:
            self._substituted = substitute(self.model, data=self.params) if self.params else self.model
        return self._substituted

    def _default_sites(self, key, args, kwargs, given) -> tuple:
        prototype = _run(self._model(), key, {k: v[0] for k, v in given.items()}, args, kwargs)
        if self.return_sites is not None:
            unknown = [name for name in self.return_sites if name not in prototype]
            if unknown:
                raise ValueError(f"Predictive: return_sites {unknown} are not sites of the model; its sites are {list(prototype)}")
            return self.return_sites
        return tuple(
            name
            for name, site in prototype.items()
            if (site.type == "sample" and name not in given and not site.infer.get("is_auxiliary"))
            or site.type == "deterministic"
        )

    def __call__(self, rng_key, *args, **kwargs) -> dict:
        """Run the draws: dict site -> array with the draw axes first."""
        guide_key, model_key = jax.random.split(rng_key)
        samples = self.posterior_samples
        if self.guide is not None:
            if self._guide_draws is None:
                guide = substitute(self.guide, data=self.params) if self.params else self.guide
                self._guide_draws = Predictive(guide, num_samples=self.num_samples)
            samples = self._guide_draws(guide_key, *args, **kwargs)
        keys = jax.random.split(model_key, self.num_samples)
        return_sites = self._default_sites(keys[0], args, kwargs, samples)
        draws = _predict(self._model(), keys, samples, return_sites, self.parallel, args, kwargs)
        leading = self._leading if self._leading is not None and self.guide is None else (self.num_samples,)
        return {name: jnp.reshape(value, leading + jnp.shape(value)[1:]) for name, value in draws.items()}


@eqx.filter_jit
def _pointwise(model, samples, parallel, args, kwargs):
    def one(values):
        model_trace = trace(substitute(model, substitute_fn=_latent_substitution(values))).get_trace(*args, **kwargs)
        return {
            name: site_log_prob(site, scaled=False)
            for name, site in model_trace.items()
            if site.type == "sample" and site.is_observed and not site.infer.get("is_auxiliary")
        }

    return jax.vmap(one)(samples) if parallel else jax.lax.map(one, samples)


def log_likelihood(model, posterior_samples, *args, parallel: bool = False, batch_ndims: int = 1, **kwargs) -> dict:
    r"""Pointwise :math:`\log p(y_n \mid \theta^{(i)})` of every observed site.

    The model runs once per draw with its latent sites fixed at :math:`\theta^{(i)}`;
    each observed site's log density is kept element by element (not summed over its
    batch axes, not scaled by subsampling), the input of LOO and WAIC.

    Args:
        model: the model function.
        posterior_samples: ``{site: draws}`` of the latent sites, each with
            ``batch_ndims`` leading draw axes (the same for every site).
        *args: positional arguments passed to the model (its data).
        parallel: ``jax.vmap`` over draws (faster, more memory) rather than ``lax.map``.
        batch_ndims: number of leading draw axes (2 for ``[chain, draw, ...]``).
        **kwargs: keyword arguments passed to the model.

    Returns:
        ``{site: array}`` of shape ``draw axes + site batch shape`` (event dims summed)
        for every observed site; masked entries are 0.

    Raises:
        ValueError: ``posterior_samples`` is empty, or its sites' leading draw axes
            differ.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import log_likelihood
        >>> def model(y):
        ...     mu = bm.sample("mu", dist.Normal(0.0, 1.0))
        ...     with bm.plate("data", len(y)):
        ...         bm.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> log_likelihood(model, {"mu": jnp.zeros(4)}, jnp.zeros(3))["y"].shape
        (4, 3)
    """
    samples, leading = _flatten_draws(dict(posterior_samples), batch_ndims)
    if leading is None:
        raise ValueError("log_likelihood: posterior_samples is empty")
    result = _pointwise(model, samples, bool(parallel), args, kwargs)
    return {name: jnp.reshape(value, leading + jnp.shape(value)[1:]) for name, value in result.items()}
