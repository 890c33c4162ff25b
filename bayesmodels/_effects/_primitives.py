r"""The statements a model is written in: ``sample``, ``param``, ``deterministic``,
``factor``, ``prng_key`` and ``subsample`` (``plate`` lives in ``_plate.py``).

Each builds a ``Site`` and sends it through the handler stack; what comes back is the
site's value. With no handler active, ``sample`` draws with its ``rng_key`` (or raises
``MissingRNGKeyError``) and returns ``obs`` unchanged when it is given.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..distributions import Distribution, constraints
from ..distributions import Unit
from ._site import Site
from ._stack import apply_stack, current_stack

__all__ = ["deterministic", "factor", "param", "prng_key", "sample", "subsample"]


def sample(name: str, fn: Distribution, obs=None, *, obs_mask=None, infer=None, rng_key=None, sample_shape=()):
    r"""A random variable named ``name`` with distribution ``fn``.

    Latent when ``obs`` is None (its value is drawn, or set by a handler), observed
    otherwise: ``obs`` is returned and contributes :math:`\log p_{fn}(\text{obs})` to the
    model's log density.

    Args:
        name: unique name of the site within the model.
        fn: the site's distribution.
        obs: observed data, or None for a latent site.
        obs_mask: boolean array, True where ``obs`` is observed. The other entries become
            a latent site ``f"{name}_unobserved"`` (imputed); the observed ones are the
            site ``f"{name}_observed"``; ``name`` is the deterministic combination.
        infer: inference hints for this site (e.g. ``{"enumerate": "parallel"}``).
        rng_key: a key to draw with instead of one from ``seed``.
        sample_shape: extra leading shape of the draw.

    Returns:
        the site's value once the handlers have seen it. With no handler, ``obs``
            (lists and tuples as arrays) for an observed site, and for a latent site a
            draw with ``rng_key`` of shape ``sample_shape + fn.batch_shape +
            fn.event_shape``. Under ``seed``, a draw with a key split from the seed
            (enclosing plates broadcast ``fn``'s batch shape first). Under ``condition``,
            ``substitute``, ``replay`` or ``do``, the value they give. With ``obs_mask``,
            the observed entries where the mask is True and the imputed draws elsewhere.

    Raises:
        MissingRNGKeyError: a latent site with neither ``rng_key`` nor an enclosing
            ``seed`` (nor a handler giving it a value).
        TypeError: ``name`` is not a string, ``fn`` not a distribution, or ``obs_mask``
            not boolean.
        ValueError: ``obs_mask`` without ``obs``; observed data whose shape does not match
            the distribution's (or values outside its support); and, under ``trace``
            (every inference driver traces the model), a site name used twice.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> with bm.handlers.seed(rng_seed=0):
        ...     x = bm.sample("x", dist.Normal(0.0, 1.0))
        >>> x.shape
        ()
    """
    if not isinstance(name, str):
        raise TypeError(f"sample: the site name must be a string, got {name!r}")
    if not isinstance(fn, Distribution):
        raise TypeError(
            f"sample({name!r}, ...): fn must be a distribution (e.g. dist.Normal(0, 1)), "
            f"got {type(fn).__name__}"
        )
    if obs_mask is not None:
        if obs is None:
            raise ValueError(f"sample({name!r}, ...): obs_mask is given but obs is None")
        return _masked_observe(name, fn, obs, obs_mask, infer=infer, sample_shape=sample_shape)
    if isinstance(obs, (list, tuple)):
        obs = jnp.asarray(obs)
    site = Site(
        name=name,
        type="sample",
        fn=fn,
        value=obs,
        is_observed=obs is not None,
        rng_key=rng_key,
        sample_shape=tuple(sample_shape),
        infer=dict(infer or {}),
    )
    return apply_stack(site).value


def _masked_observe(name, fn, obs, obs_mask, *, infer, sample_shape):
    from ._handlers import mask  # handlers build on primitives, not the other way round

    obs = jnp.asarray(obs) if isinstance(obs, (list, tuple)) else obs
    obs_mask = np.asarray(obs_mask) if not hasattr(obs_mask, "dtype") else obs_mask
    if obs_mask.dtype != bool:
        raise TypeError(f"sample({name!r}, ...): obs_mask must be a boolean array, got dtype {obs_mask.dtype}")
    # the imputed latent has one entry per observation, plate or no plate
    obs_batch_shape = jnp.shape(obs)[: jnp.ndim(obs) - len(fn.event_shape)]
    fn = fn.expand(jnp.broadcast_shapes(fn.batch_shape, obs_batch_shape))
    with mask(mask=obs_mask):
        observed = sample(f"{name}_observed", fn, obs=obs, infer=infer, sample_shape=sample_shape)
    with mask(mask=~obs_mask):
        unobserved = sample(f"{name}_unobserved", fn, infer=infer, sample_shape=sample_shape)
    batch_mask = jnp.reshape(obs_mask, jnp.shape(obs_mask) + (1,) * len(fn.event_shape))
    return deterministic(name, jnp.where(batch_mask, observed, unobserved))


def param(name: str, init_value=None, *, constraint=constraints.real, event_dim=None):
    """A learnable parameter (optimised by ``SVI``), constrained to ``constraint``.

    ``init_value`` is an array, or a function of a random key returning one. Outside an
    optimiser the site returns ``init_value`` (or whatever a handler substitutes).

    Args:
        name: unique name of the site within the model.
        init_value: the initial value (an array or float, inside ``constraint``), or a
            function ``rng_key -> array`` called with a key from ``seed``.
        constraint: the set the parameter lives in (``constraints.positive``, ...); ``SVI``
            optimises it unconstrained, through ``biject_to(constraint)``.
        event_dim: how many rightmost dims of the value form one event (for params
            inside plates); None means all of them. Stored on the site.

    Returns:
        the parameter's value. In ``SVI``, its current (constrained) value; otherwise
            ``init_value``, or ``init_value(key)`` under ``seed`` when it is a function
            (None when there is neither an ``init_value`` nor a handler giving a value).

    Raises:
        MissingRNGKeyError: ``init_value`` is a function and no ``seed`` is active.
        ValueError: under ``trace`` (as in every inference driver), a site name used twice.

    Example:
        >>> import bayesmodels as bm
        >>> float(bm.param("w", 0.5))
        0.5
    """
    site = Site(
        name=name,
        type="param",
        init_value=init_value,
        constraint=constraint,
        event_dim=event_dim,
    )
    return apply_stack(site).value


def deterministic(name: str, value):
    """Record a function of other sites under ``name`` (kept with the draws); returns it.

    Args:
        name: unique name of the site within the model.
        value: the value to record (an array or float, usually computed from other sites).

    Returns:
        ``value``, unless a handler (``substitute``) replaced it.

    Raises:
        ValueError: under ``trace`` (as in every inference driver), a site name used twice.

    Example:
        >>> import bayesmodels as bm
        >>> bm.deterministic("twice", 2.0 * 3.0)
        6.0
    """
    site = Site(name=name, type="deterministic", value=value)
    return apply_stack(site).value


def factor(name: str, log_factor) -> None:
    r"""Add ``log_factor`` to the model's log density (a ``Unit`` observed site).

    With :math:`\ell` = ``log_factor``, the model's unnormalised log joint density becomes

    .. math::

        \log \tilde p(\theta, x) = \log p(\theta, x) + \ell

    (a soft constraint, a penalty, or a likelihood written by hand).

    Args:
        name: unique name of the site within the model.
        log_factor: the log-density term, a float or an array (its entries are summed
            with the rest of the log density; an array's shape is the site's batch shape).

    Raises:
        ValueError: under ``trace`` (as in every inference driver), a site name used twice.

    Example:
        >>> import bayesmodels as bm
        >>> with bm.handlers.trace() as tr:
        ...     bm.factor("penalty", -1.5)
        >>> float(tr["penalty"].fn.log_prob(tr["penalty"].value))
        -1.5
    """
    unit = Unit(log_factor)
    sample(name, unit, obs=unit.sample(None), infer={"is_auxiliary": True})


def prng_key():
    """A fresh random key from the enclosing ``seed`` handler.

    It is a ``prng_key`` site, which ``trace`` does not record.

    Returns:
        a JAX key split from the seed's key (shape ``(2,)``, dtype uint32, for a seed
            given as an int).

    Raises:
        MissingRNGKeyError: no ``seed`` handler is active (NumPyro returns None here).

    Example:
        >>> import bayesmodels as bm
        >>> with bm.handlers.seed(rng_seed=0):
        ...     key = bm.prng_key()
        >>> key.shape
        (2,)
    """
    site = Site(name="_prng_key", type="prng_key")
    return apply_stack(site).value


def subsample(data, event_dim: int):
    """Index ``data`` by the subsample of every enclosing subsampled plate.

    A plate at dim ``d`` indexes axis ``d - event_dim`` of ``data``, where that axis has the
    plate's full size.

    Args:
        data: an array with, for each subsampled plate, an axis of the plate's full size.
        event_dim: the number of rightmost dims of ``data`` that are one event (not plate
            dims), e.g. 1 for rows of features.

    Returns:
        ``data`` indexed by the plates' subsample indices (axes of other sizes, and data
            outside subsampled plates, are returned unchanged).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> with bm.handlers.seed(rng_seed=0), bm.plate("data", 10, subsample_size=3):
        ...     batch = bm.subsample(jnp.arange(10.0), event_dim=0)
        >>> batch.shape
        (3,)
    """
    from ._plate import plate

    for handler in current_stack():
        if not isinstance(handler, plate) or handler.subsample_size == handler.size:
            continue
        axis = handler.dim - event_dim
        if jnp.ndim(data) >= -axis and jnp.shape(data)[axis] == handler.size:
            data = jnp.take(data, handler.indices, axis=axis)
    return data
