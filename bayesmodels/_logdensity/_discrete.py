r"""A model with Gibbs-updated sites on one flat vector: continuous sites unconstrained,
Gibbs sites (the discrete ones, or any named ones) as their own values.

The flat position of a chain is

.. math::

    \bigl[\, z_c \;\big|\; x_g \,\bigr], \qquad z_c \in \mathbb R^{D_c},\; x_g \in \mathbb R^{D_g},

where :math:`z_c` is the unconstrained vector of the continuous latent sites (laid out by
``LatentLayout``) and :math:`x_g` holds the Gibbs sites' values themselves, raveled (a
discrete value :math:`k` is stored as the float :math:`k` and cast back to the site's
integer dtype when the model runs). The log density is the joint

.. math::

    \log \pi(z_c, x_g) = \log p\bigl(T(z_c), x_g, y\bigr) + \log\lvert\det J_T(z_c)\rvert ,

so with :math:`x_g` held fixed it is the conditional log density of :math:`z_c`, up to a
constant, and with :math:`z_c` fixed, that of :math:`x_g`. The Gibbs sites are never
transformed: a Gibbs step moves them within their support.

For enumerable discrete sites the support of every scalar coordinate is tabulated once
(``support_values[i, :support_sizes[i]]`` are coordinate :math:`i`'s values), so the
kernel can update one coordinate by enumeration without seeing the model.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._effects._checks import family_name
from ..handlers import seed, substitute, trace
from ._init_strategies import init_to_uniform, init_to_value
from ._initialize import ParamInfo
from ._layout import LatentLayout, site_transform
from ._log_joint import log_joint
from ._unconstrain import unconstrained

__all__ = ["GibbsSlot", "MixedDensity", "MixedLayout", "initialize_gibbs_chains"]


class GibbsSlot(NamedTuple):
    """One Gibbs site: name, shape, dtype (its values' own) and offset in the Gibbs block."""

    name: str
    shape: tuple
    dtype: str
    offset: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclasses.dataclass(frozen=True)
class MixedLayout:
    """The continuous block (``LatentLayout``) followed by the Gibbs block."""

    continuous: LatentLayout
    gibbs: tuple

    @classmethod
    def from_trace(cls, model_trace, gibbs_names, *, method: str) -> MixedLayout:
        continuous = LatentLayout.from_trace(model_trace, method=method, exclude=frozenset(gibbs_names))
        slots, offset = [], 0
        for name in gibbs_names:
            value = jnp.asarray(model_trace[name].value)
            slots.append(GibbsSlot(name, tuple(value.shape), str(value.dtype), offset))
            offset += value.size
        return cls(continuous, tuple(slots))

    @property
    def continuous_size(self) -> int:
        return self.continuous.size

    @property
    def size(self) -> int:
        return self.continuous.size + sum(slot.size for slot in self.gibbs)

    @property
    def names(self) -> tuple:
        return self.continuous.names + self.gibbs_names

    @property
    def gibbs_names(self) -> tuple:
        return tuple(slot.name for slot in self.gibbs)

    def continuous_values(self, position) -> dict:
        """Unconstrained values of the continuous sites."""
        return self.continuous.unravel(position[: self.continuous_size])

    def gibbs_values(self, position) -> dict:
        """Values of the Gibbs sites, in their own dtypes (integers rounded, not truncated)."""
        block = position[self.continuous_size :]
        values = {}
        for slot in self.gibbs:
            value = jnp.reshape(block[slot.offset : slot.offset + slot.size], slot.shape)
            if not jnp.issubdtype(slot.dtype, jnp.floating):
                value = jnp.round(value)
            values[slot.name] = value.astype(slot.dtype)
        return values

    def ravel_gibbs(self, values: dict, dtype):
        """The Gibbs block of the flat vector from ``{site: value}``."""
        parts = []
        for slot in self.gibbs:
            if slot.name not in values:
                raise KeyError(f"no value for the Gibbs site {slot.name!r}")
            value = jnp.asarray(values[slot.name])
            if value.shape != slot.shape:
                raise ValueError(f"Gibbs site {slot.name!r}: value has shape {value.shape}, expected {slot.shape}")
            parts.append(jnp.ravel(value).astype(dtype))
        return jnp.concatenate(parts) if parts else jnp.zeros((0,), dtype)


def discrete_latent_names(model_trace) -> tuple:
    """Names of the discrete latent sample sites, in the order the model samples them."""
    return tuple(name for name, site in model_trace.items() if site.is_latent and site.fn.is_discrete)


def support_table(model_trace, layout: MixedLayout, dtype, *, method: str):
    r"""``(values [D_g, K], sizes [D_g])``: coordinate :math:`i` of the Gibbs block takes
    the values ``values[i, :sizes[i]]`` (``K`` the largest support; the rest is padding)."""
    columns, sizes = [], []
    for slot in layout.gibbs:
        site = model_trace[slot.name]
        fn = site.fn
        if not (fn.is_discrete and fn.has_enumerate_support):
            raise ValueError(
                f"site {slot.name!r} ({family_name(fn)}, support {fn.support}) has no finite support that "
                f"{method} can enumerate: use HMCGibbs with a gibbs_fn that updates {slot.name!r}, "
                "marginalise it out, or pass it as data"
            )
        if fn.event_shape:
            raise ValueError(
                f"site {slot.name!r} ({family_name(fn)}) has event shape {fn.event_shape}; {method} updates "
                "scalar discrete values one at a time: use a Categorical in place of a OneHotCategorical, "
                "or HMCGibbs with a gibbs_fn"
            )
        support = np.asarray(fn.enumerate_support(expand=True))  # [K, *batch_shape]
        count = support.shape[0]
        support = support.reshape((count,) + (1,) * len(site.sample_shape) + support.shape[1:])
        support = np.broadcast_to(support, (count,) + slot.shape).reshape(count, slot.size)
        columns.append(support.T)
        sizes.append(np.full(slot.size, count, np.int32))
    width = max(c.shape[1] for c in columns)
    padded = [np.pad(c, ((0, 0), (0, width - c.shape[1])), mode="edge") for c in columns]
    return jnp.asarray(np.concatenate(padded), dtype), jnp.asarray(np.concatenate(sizes))


class MixedDensity(eqx.Module):
    r"""``position -> log density`` of ``model`` over a ``MixedLayout`` position, with the
    model's arguments bound (pytree leaves, as in ``BoundDensity``) and, for enumerable
    Gibbs sites, the support table (array leaves too, so new data never recompile).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels._logdensity._discrete import initialize_gibbs_chains
        >>> def model():
        ...     z = bm.sample("z", dist.Bernoulli(0.3))
        ...     bm.sample("x", dist.Normal(2.0 * z, 1.0))
        >>> starts, density, _ = initialize_gibbs_chains(jax.random.split(jax.random.PRNGKey(0), 2), model)
        >>> starts.z.shape, density.layout.names, density.support_values.tolist()
        ((2, 2), ('x', 'z'), [[0.0, 1.0]])
        >>> density.constrain(jnp.array([0.5, 1.0]))["z"].dtype
        dtype('int32')
    """

    model: Callable = eqx.field(static=True)
    layout: MixedLayout = eqx.field(static=True)
    args: tuple
    kwargs: dict[str, Any]
    support_values: Any = None
    support_sizes: Any = None

    def _trace(self, position, jacobian: bool = True):
        model = substitute(self.model, data=self.layout.gibbs_values(position))
        handler = unconstrained(model, values=self.layout.continuous_values(position), jacobian=jacobian)
        return trace(handler).get_trace(*self.args, **self.kwargs)

    def __call__(self, position):
        """The joint log density at the flat ``position`` (Jacobians of the continuous
        block included)."""
        return log_joint(self._trace(position))

    def constrain(self, position, return_deterministic: bool = True) -> dict:
        """Every latent site's value (Gibbs sites in their dtypes) and the deterministic sites."""
        names = set(self.layout.names)
        return {
            name: site.value
            for name, site in self._trace(position, jacobian=False).items()
            if (site.type == "sample" and name in names) or (return_deterministic and site.type == "deterministic")
        }

    def continuous_sites(self, position) -> dict:
        """Constrained values of the continuous (non-Gibbs) latent sites."""
        names = set(self.layout.continuous.names)
        return {name: v for name, v in self.constrain(position, return_deterministic=False).items() if name in names}


@eqx.filter_jit
def _continuous_value_and_grad(density: MixedDensity, position):
    """Log density and its gradient in the continuous block (zeros in the Gibbs block)."""
    n = density.layout.continuous_size
    head, tail = position[:n], position[n:]
    value, grad = jax.value_and_grad(lambda h: density(jnp.concatenate([h, tail])))(head)
    return value, jnp.concatenate([grad, jnp.zeros_like(tail)])


def initialize_gibbs_chains(
    rng_keys,
    model,
    *,
    gibbs_sites=None,
    init_strategy=init_to_uniform,
    model_args=(),
    model_kwargs=None,
    init_params=None,
    max_tries: int = 100,
    method: str = "DiscreteHMCGibbs",
):
    """Starting points of ``len(rng_keys)`` chains for a Gibbs-within-HMC sampler.

    Args:
        rng_keys: ``[chain, 2]`` keys.
        gibbs_sites: names of the sites the Gibbs step updates; ``None``: every discrete
            latent site, whose supports are then tabulated (they must be enumerable).
        init_strategy: proposes every latent value (discrete ones: a prior draw for
            ``init_to_uniform``, as in NumPyro).
        init_params: ``None`` or one ``{site: constrained value}`` per chain.

    Returns ``(ParamInfo [chain, ...], MixedDensity, first trace)``.
    """
    model_kwargs = dict(model_kwargs or {})
    rng_keys = np.asarray(rng_keys)
    first = trace(substitute(seed(model, rng_seed=rng_keys[0]), substitute_fn=init_strategy)).get_trace(
        *model_args, **model_kwargs
    )
    enumerate_all = gibbs_sites is None
    names = discrete_latent_names(first) if enumerate_all else tuple(gibbs_sites)
    latent = [name for name, site in first.items() if site.is_latent]
    unknown = [name for name in names if name not in latent]
    if unknown:
        raise ValueError(f"{method}: gibbs_sites {unknown} are not latent sample sites of the model; its latent sites are {latent}")
    if enumerate_all and not names:
        raise ValueError(f"{method}: the model has no discrete latent sites; use NUTS or HMC directly")
    layout = MixedLayout.from_trace(first, names, method=f"{method}'s inner HMC/NUTS step")
    if layout.continuous_size == 0:
        raise ValueError(
            f"{method}: every latent site ({list(names)}) is updated by the Gibbs step, so the inner "
            "HMC/NUTS kernel has nothing to move; this needs at least one continuous latent site"
        )
    dtype = jnp.result_type(float)
    support = support_table(first, layout, dtype, method=method) if enumerate_all else (None, None)
    density = MixedDensity(model, layout, tuple(model_args), model_kwargs, *support)
    starts = []
    for chain, key in enumerate(rng_keys):
        strategy = init_strategy
        given = None if init_params is None else init_params[chain]
        if given:
            bad = sorted(set(given) - set(layout.names))
            if bad:
                raise ValueError(f"init_params names {bad}, which are not latent sites; the latent sites are {list(layout.names)}")
            strategy = init_to_value(values=given)
        starts.append(_find_start(key, density, strategy, max_tries, method))
    stacked = ParamInfo(*(jnp.asarray(np.stack(parts)) for parts in zip(*starts)))
    return stacked, density, first


def _find_start(key, density: MixedDensity, strategy, max_tries: int, method: str) -> ParamInfo:
    layout = density.layout
    for attempt in range(max_tries):
        proposal_key = key if attempt == 0 else jax.random.fold_in(key, attempt)
        proposal = trace(substitute(seed(density.model, rng_seed=proposal_key), substitute_fn=strategy)).get_trace(
            *density.args, **density.kwargs
        )
        dtype = jnp.result_type(float)
        continuous = {
            slot.name: site_transform(proposal[slot.name]).inv(jnp.asarray(proposal[slot.name].value, dtype))
            for slot in layout.continuous.slots
        }
        gibbs = {slot.name: proposal[slot.name].value for slot in layout.gibbs}
        position = jnp.concatenate([layout.continuous.ravel(continuous), layout.ravel_gibbs(gibbs, dtype)])
        if density.support_values is not None:
            _check_in_support(layout, density, position, method)
        value, grad = _continuous_value_and_grad(density, position)
        if np.isfinite(np.asarray(value)) and np.all(np.isfinite(np.asarray(grad))):
            return ParamInfo(position, value, grad)
    raise RuntimeError(
        f"{method}: no starting point with a finite log density and gradient in {max_tries} tries "
        f"(log density {float(value)} at the last); pass init_params or check the model's parameters"
    )


def _check_in_support(layout: MixedLayout, density: MixedDensity, position, method: str):
    block = np.asarray(position[layout.continuous_size :])
    values, sizes = np.asarray(density.support_values), np.asarray(density.support_sizes)
    valid = np.arange(values.shape[1])[None, :] < sizes[:, None]
    found = np.any((values == block[:, None]) & valid, axis=1)
    for slot in layout.gibbs:
        missing = ~found[slot.offset : slot.offset + slot.size]
        if missing.any():
            bad = block[slot.offset : slot.offset + slot.size][missing][0]
            raise ValueError(
                f"{method}: the starting value {bad:g} of site {slot.name!r} is not in its support; "
                "give an init_params value within the support"
            )
