r"""``initialize_model``: trace a model once, lay out its latent sites, find a start.

The model is run eagerly once (so data checks, duplicate names and missing keys fail
here, before anything is compiled); its latent sites fix the layout of the flat
unconstrained vector; then the init strategy proposes points until one has a finite log
density and gradient. If none does, the error lists every site's contribution at the
last try.

``initialize_chains`` does the same for many chains with one first run: chain
:math:`c` gets exactly the starting point ``initialize_model`` would give it with key
:math:`k_c`. (Proposals run eagerly: after the first chain every operation is already
compiled, which is cheaper than compiling one vectorised proposal program.)
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._effects._checks import family_name
from ..handlers import seed, substitute, trace
from ._density import BoundDensity, ModelDensity, value_and_grad
from ._init_strategies import init_to_uniform, init_to_value
from ._layout import LatentLayout, site_transform
from ._log_joint import site_log_prob

__all__ = ["ModelInfo", "ParamInfo", "initialize_chains", "initialize_model"]


class ParamInfo(NamedTuple):
    """A starting point: flat unconstrained position, its log density and gradient.

    Args:
        z: the flat unconstrained position ``[dim]`` (``[chain, dim]`` when stacked).
        log_density: the log density there (a scalar; NumPyro's ``potential_energy`` is
            its negative).
        z_grad: the gradient of the log density there, shaped like ``z``.
    """

    z: jax.Array
    log_density: jax.Array
    z_grad: jax.Array


class ModelInfo(NamedTuple):
    """What ``initialize_model`` returns.

    Args:
        param_info: the starting point (a ``ParamInfo``).
        log_density_fn: ``position -> log density`` (a ``BoundDensity``: its data are
            pytree leaves, so compiled functions of it are reused for new data).
        postprocess_fn: ``position -> {site: constrained value}`` for the latent and
            deterministic sites.
        model_trace: the trace of the first (eager) run.
    """

    param_info: ParamInfo
    log_density_fn: BoundDensity
    postprocess_fn: Callable
    model_trace: OrderedDict

    @property
    def layout(self) -> LatentLayout:
        """The ``LatentLayout`` of the flat unconstrained vector."""
        return self.log_density_fn.layout


def initialize_model(
    rng_key,
    model,
    *,
    init_strategy=init_to_uniform,
    model_args=(),
    model_kwargs=None,
    init_params=None,
    max_tries: int = 100,
    method: str = "a gradient-based sampler",
) -> ModelInfo:
    """Prepare ``model`` for a gradient-based method and find a valid starting point.

    Args:
        rng_key: key for the first run and the init strategy.
        model: the model function (or ``bm.Model`` instance).
        init_strategy: ``init_to_uniform`` (default), ``init_to_median``, ...
        model_args: positional arguments of the model (a tuple).
        model_kwargs: keyword arguments of the model (a dict, or None).
        init_params: constrained starting values, site name -> value (sites not named
            use ``init_strategy``).
        max_tries: proposals before giving up.
        method: the method's name, used in error messages.

    Returns:
        A ``ModelInfo``: ``param_info`` (the start ``z`` ``[dim]``, its log density and
        gradient), ``log_density_fn`` (a ``BoundDensity``), ``postprocess_fn`` (flat
        position to constrained values) and the first run's ``model_trace``.

    Raises:
        ValueError: ``max_tries < 1``, the model has no latent sites or a discrete one,
            or ``init_params`` names a site that is not latent.
        RuntimeError: no proposal has a finite log density and gradient (the message
            lists each site's contribution at the last try).

    Example:
        >>> import jax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import initialize_model
        >>> def model():
        ...     bm.sample("s", dist.HalfNormal(1.0))
        >>> info = initialize_model(jax.random.PRNGKey(0), model)
        >>> info.param_info.z.shape, info.layout.names
        ((1,), ('s',))
    """
    model_kwargs = dict(model_kwargs or {})
    if max_tries < 1:
        raise ValueError(f"initialize_model: max_tries must be at least 1, got {max_tries}")
    first_trace, layout = _first_run(rng_key, model, init_strategy, model_args, model_kwargs, method)
    if init_params is not None:
        unknown = sorted(set(init_params) - set(layout.names))
        if unknown:
            raise ValueError(f"init_params names {unknown}, which are not latent sites; the latent sites are {list(layout.names)}")
        init_strategy = init_to_value(values=init_params)
        max_tries = 1 if set(init_params) == set(layout.names) else max_tries
    bound = ModelDensity(model, layout).bind(*model_args, **model_kwargs)
    param_info = _find_start(rng_key, bound, model, init_strategy, max_tries)
    return ModelInfo(param_info, bound, bound.constrain, first_trace)


def initialize_chains(
    rng_keys,
    model,
    *,
    init_strategy=init_to_uniform,
    model_args=(),
    model_kwargs=None,
    max_tries: int = 100,
    method: str = "a gradient-based sampler",
) -> tuple[ParamInfo, ModelInfo]:
    """Starting points for ``len(rng_keys)`` chains, with one first run of the model.

    Args:
        rng_keys: one key per chain, ``[chain, 2]``.
        model: the model function (or ``bm.Model`` instance).
        init_strategy: ``init_to_uniform`` (default), ``init_to_median``, ...
        model_args: positional arguments of the model (a tuple).
        model_kwargs: keyword arguments of the model (a dict, or None).
        max_tries: proposals per chain before giving up.
        method: the method's name, used in error messages.

    Returns:
        ``(param_info, model_info)``: the stacked ``ParamInfo`` (``[chain, dim]``
        positions and gradients, ``[chain]`` log densities) and the ``ModelInfo`` of the
        first chain (its ``log_density_fn``, ``postprocess_fn`` and ``model_trace``
        serve every chain).

    Raises:
        ValueError: as ``initialize_model``.
        RuntimeError: a chain finds no starting point.
    """
    model_kwargs = dict(model_kwargs or {})
    if max_tries < 1:
        raise ValueError(f"initialize_chains: max_tries must be at least 1, got {max_tries}")
    rng_keys = np.asarray(rng_keys)  # on the host: taking one key compiles nothing
    first_trace, layout = _first_run(rng_keys[0], model, init_strategy, model_args, model_kwargs, method)
    bound = ModelDensity(model, layout).bind(*model_args, **model_kwargs)
    starts = [_find_start(key, bound, model, init_strategy, max_tries) for key in rng_keys]
    stacked = ParamInfo(*(jnp.asarray(np.stack(parts)) for parts in zip(*starts)))
    return stacked, ModelInfo(starts[0], bound, bound.constrain, first_trace)


def _find_start(rng_key, bound: BoundDensity, model, init_strategy, max_tries: int) -> ParamInfo:
    """The first of ``max_tries`` proposals with a finite log density and gradient.

    The first proposal uses ``rng_key`` itself, so it repeats the first run (whose values
    are then a valid start whenever it is finite); later ones fold in the attempt number.
    """
    for attempt in range(max_tries):
        key = rng_key if attempt == 0 else jax.random.fold_in(rng_key, attempt)
        position = _propose(key, model, bound.args, bound.kwargs, init_strategy, bound.layout)
        log_density, grad = value_and_grad(bound, position)
        if np.isfinite(np.asarray(log_density)) and np.all(np.isfinite(np.asarray(grad))):
            return ParamInfo(position, log_density, grad)
    raise RuntimeError(_failure_message(bound, position, grad, init_strategy, max_tries))


def _first_run(key, model, init_strategy, model_args, model_kwargs, method):
    """The eager first run and the layout of its latent sites.

    It takes its latent values from the strategy (so that improper priors, which cannot
    be sampled, work) and checks the data on the way.
    """
    first_trace = trace(substitute(seed(model, rng_seed=key), substitute_fn=init_strategy)).get_trace(
        *model_args, **model_kwargs
    )
    layout = LatentLayout.from_trace(first_trace, method=method)
    if not layout.slots:
        observed = [name for name, site in first_trace.items() if site.type == "sample"]
        raise ValueError(
            f"the model has no latent sample sites, so there is nothing to sample (its sample "
            f"sites {observed} are all observed). Use Predictive to simulate from it."
        )
    return first_trace, layout


def _propose(key, model, model_args, model_kwargs, init_strategy, layout):
    """One flat unconstrained point proposed by ``init_strategy``."""
    proposal = trace(substitute(seed(model, rng_seed=key), substitute_fn=init_strategy)).get_trace(
        *model_args, **model_kwargs
    )
    values = {}
    for slot in layout.slots:
        site = proposal[slot.name]
        if jnp.shape(site.value) != slot.shape:
            raise ValueError(
                f"site {slot.name!r}: initial value has shape {jnp.shape(site.value)}, but the "
                f"site's shape is {slot.shape}"
            )
        values[slot.name] = site_transform(site).inv(jnp.asarray(site.value, dtype=jnp.result_type(float)))
    return layout.ravel(values)


def _failure_message(bound, position, grad, init_strategy, max_tries) -> str:
    model_trace = bound.density.trace(position, *bound.args, **bound.kwargs)
    contributions = {
        name: jnp.sum(site_log_prob(site)) for name, site in model_trace.items() if site.type == "sample"
    }
    grads = bound.layout.unravel(grad)
    rows = []
    for name, value in contributions.items():
        site = model_trace[name]
        if name in grads:
            kind, gradient = "latent", "finite" if bool(np.all(np.isfinite(grads[name]))) else "NOT finite"
        elif site.infer.get("is_auxiliary"):
            kind, gradient = ("jacobian" if name.endswith("_log_det") else "factor"), ""
        else:
            kind, gradient = "observed", ""
        rows.append(f"  {name:<24} {kind:<9} {family_name(site.fn):<22} {float(value):>14.6g}  {gradient}")
    bad = [name for name, value in contributions.items() if not np.isfinite(float(value))]
    bad += [name for name, g in grads.items() if not np.all(np.isfinite(g)) and name not in bad]
    strategy = getattr(init_strategy, "func", init_strategy)
    return (
        f"could not find a starting point with finite log density and gradient in {max_tries} "
        f"tries (init strategy {getattr(strategy, '__name__', strategy)}). At the last try:\n"
        f"  {'site':<24} {'kind':<9} {'distribution':<22} {'log density':>14}  gradient\n"
        + "\n".join(rows)
        + f"\nNot finite: {bad}. Check those sites' parameters and data (a scale that can "
        "reach 0, data outside the support a parameter allows), or pass init_params."
    )
