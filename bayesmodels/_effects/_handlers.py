r"""Effect handlers: each changes what happens at the sites of a model run inside it.

Every handler works as a wrapper, ``seed(model, rng_seed=0)(*args)``, and as a context
manager, ``with seed(rng_seed=0): model(*args)``. Handlers nest; the innermost sees a
site first. The names and arguments follow NumPyro's ``numpyro.handlers``.
"""

from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from ..distributions._util import is_traced
from ._site import Site
from ._stack import Messenger, apply_stack_from

__all__ = [
    "block",
    "condition",
    "do",
    "infer_config",
    "mask",
    "replay",
    "scale",
    "scope",
    "seed",
    "substitute",
    "trace",
    "uncondition",
]


def _as_key(rng_seed):
    if isinstance(rng_seed, (int, np.integer)) and not isinstance(rng_seed, bool):
        return jax.random.PRNGKey(int(rng_seed))
    if isinstance(rng_seed, (jax.Array, np.ndarray)):
        if jnp.issubdtype(rng_seed.dtype, jax.dtypes.prng_key):
            return rng_seed
        if rng_seed.dtype == jnp.uint32 and rng_seed.shape == (2,):
            return jnp.asarray(rng_seed)
        if rng_seed.shape == () and jnp.issubdtype(rng_seed.dtype, jnp.integer):
            return jax.random.PRNGKey(rng_seed)
    raise TypeError(
        f"seed: rng_seed must be an int or a JAX key (jax.random.PRNGKey(0)), got {rng_seed!r}"
    )


class seed(Messenger):
    """Give every site that must draw randomness its own key, split from ``rng_seed``.

    On a site that would otherwise need a key (a latent sample site with no value yet, a
    ``prng_key`` site, a subsampled plate, a ``param`` whose ``init_value`` is a function)
    it sets ``site.rng_key`` to a fresh key and advances its own: ``key, site.rng_key =
    split(key)``. The handler keeps that state, so calling the same seeded model again
    draws new values; make a new ``seed`` to repeat a draw. Sites hidden by a ``block``
    inside it get no key: put ``seed`` inside ``block``.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        rng_seed: an int, or a JAX key (``jax.random.PRNGKey(0)``, a typed key, or a
            scalar integer array). Required (``TypeError`` if missing or of another type).
        hide_types: site types to leave alone, e.g. ``("plate",)``.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     return bm.sample("x", dist.Normal(0.0, 1.0))
        >>> bool(bm.handlers.seed(model, rng_seed=1)() == bm.handlers.seed(model, rng_seed=1)())
        True
    """

    def __init__(self, fn=None, rng_seed=None, hide_types=()):
        super().__init__(fn)
        if rng_seed is None:
            raise TypeError("seed: rng_seed is required (an int or a JAX key)")
        self.rng_key = _as_key(rng_seed)
        self.hide_types = tuple(hide_types)

    def process_message(self, site: Site) -> None:
        if site.type in self.hide_types or not site.needs_rng_key():
            return
        self.rng_key, site.rng_key = jax.random.split(self.rng_key)


class trace(Messenger):
    """Record every site, in order, into an ``OrderedDict`` name -> ``Site``.

    In ``postprocess_message``, once the site's value is final, it stores a copy of the
    site (``prng_key`` sites are not recorded). ``with trace() as tr:`` gives the dict;
    ``trace(model).get_trace(*args)`` runs the model and returns it. A second site under
    a name already used raises ``ValueError`` (a plate entered again is fine): this is
    where duplicate site names are caught, as every inference driver traces the model.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0), obs=0.5)
        >>> tr = bm.handlers.trace(model).get_trace()
        >>> tr["x"].is_observed, float(tr["x"].value)
        (True, 0.5)
    """

    def __init__(self, fn=None):
        super().__init__(fn)
        self.trace = OrderedDict()

    def __enter__(self):
        super().__enter__()
        self.trace = OrderedDict()
        return self.trace

    def postprocess_message(self, site: Site) -> None:
        if site.type == "prng_key":
            return
        previous = self.trace.get(site.name)
        if previous is not None:
            if site.type == "plate" and previous.type == "plate":
                return  # the same plate entered again
            raise ValueError(_duplicate_message(site, previous))
        self.trace[site.name] = site.copy()

    def get_trace(self, *args, **kwargs) -> OrderedDict:
        """Run the wrapped model once and return its trace.

        ``*args`` and ``**kwargs`` are passed to the model.

        Returns:
            an ``OrderedDict`` mapping each site name to a copy of its ``Site``, in the
                order the sites finished.

        Raises:
            ValueError: two sites share a name.
            TypeError: the handler was made without a model.
        """
        self(*args, **kwargs)
        return self.trace


def _duplicate_message(site, previous) -> str:
    if previous.type == "plate" or site.type == "plate":
        return (
            f"site name {site.name!r} is used by both a {previous.type} site and a "
            f"{site.type} site; plate names become dimension names, so give the site "
            "another name"
        )
    return (
        f"site name {site.name!r} is used twice (a {previous.type} site and a {site.type} site). "
        "Every site needs its own name: in a loop use f-strings (f'x_{i}'), or vectorise "
        "the loop with a plate."
    )


class condition(Messenger):
    """Observe sample sites: ``data[name]`` (or ``condition_fn(site)``) becomes their value.

    On a sample site with a value to give (not None) it sets ``site.value`` and
    ``site.is_observed = True``, so the site contributes its log density at that value
    instead of being drawn. Other sites pass unchanged.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        data: a dict mapping site names to observed values.
        condition_fn: instead of ``data``, a function ``site -> value or None``.
            Give exactly one of ``data`` and ``condition_fn`` (``ValueError`` otherwise).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     return bm.sample("x", dist.Normal(0.0, 1.0))
        >>> float(bm.handlers.condition(model, data={"x": 2.0})())
        2.0
    """

    def __init__(self, fn=None, data=None, condition_fn=None):
        super().__init__(fn)
        if (data is None) == (condition_fn is None):
            raise ValueError("condition: give exactly one of data= and condition_fn=")
        self.data = data
        self.condition_fn = condition_fn

    def process_message(self, site: Site) -> None:
        if site.type != "sample":
            return
        value = self.data.get(site.name) if self.data is not None else self.condition_fn(site)
        if value is not None:
            site.value = value
            site.is_observed = True


class substitute(Messenger):
    """Set the value of sample, param, deterministic and plate sites without observing
    them: ``data[name]`` or ``substitute_fn(site)`` (None leaves a site alone).

    It sets ``site.value`` and leaves ``site.is_observed`` as it was, so a substituted
    latent site stays latent (it is how inference runs a model at given parameter values).

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        data: a dict mapping site names to values.
        substitute_fn: instead of ``data``, a function ``site -> value or None``.
            Give exactly one of ``data`` and ``substitute_fn`` (``ValueError`` otherwise).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     return bm.sample("x", dist.Normal(0.0, 1.0))
        >>> tr = bm.handlers.trace(bm.handlers.substitute(model, data={"x": 2.0})).get_trace()
        >>> float(tr["x"].value), tr["x"].is_observed
        (2.0, False)
    """

    def __init__(self, fn=None, data=None, substitute_fn=None):
        super().__init__(fn)
        if (data is None) == (substitute_fn is None):
            raise ValueError("substitute: give exactly one of data= and substitute_fn=")
        self.data = data
        self.substitute_fn = substitute_fn

    def process_message(self, site: Site) -> None:
        if site.type not in ("sample", "param", "deterministic", "plate"):
            return
        value = self.data.get(site.name) if self.data is not None else self.substitute_fn(site)
        if value is not None:
            site.value = value


class replay(Messenger):
    """Give latent sample (and plate) sites the values recorded in ``trace``.

    For a latent sample site or a plate site whose name is in ``trace`` it sets
    ``site.value`` to the recorded value; observed sites and names not in the trace pass
    unchanged. A site whose type differs from the recorded one raises ``ValueError``.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        trace: a trace to replay, e.g. from ``trace(model).get_trace()`` (a dict name ->
            ``Site``). Required (``ValueError`` if missing).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     return bm.sample("x", dist.Normal(0.0, 1.0))
        >>> tr = bm.handlers.trace(bm.handlers.seed(model, rng_seed=0)).get_trace()
        >>> bool(bm.handlers.replay(model, trace=tr)() == tr["x"].value)
        True
    """

    def __init__(self, fn=None, trace=None):
        super().__init__(fn)
        if trace is None:
            raise ValueError("replay: trace= is required")
        self.trace = trace

    def process_message(self, site: Site) -> None:
        if site.type not in ("sample", "plate") or site.name not in self.trace:
            return
        if site.type == "sample" and site.is_observed:
            return
        recorded = self.trace[site.name]
        if recorded.type != site.type:
            raise ValueError(
                f"replay: site {site.name!r} is a {site.type} site here but a {recorded.type} "
                "site in the trace being replayed"
            )
        site.value = recorded.value


class block(Messenger):
    """Hide sites from the handlers outside this one.

    By default every site is hidden; ``hide=[names]``, ``expose=[names]``,
    ``expose_types=[types]`` or ``hide_fn(site) -> bool`` choose (the first one given in
    that signature order wins). A hidden site gets ``site.stop = True``: the handlers
    outside this one see neither hook for it (so an outer ``trace`` does not record it,
    and an outer ``seed`` gives it no key). Its value is still computed.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        hide_fn: a function ``site -> bool``, True for the sites to hide.
        hide: the names of the sites to hide.
        expose_types: the site types to let through (``"sample"``, ``"param"``, ...);
            the others are hidden.
        expose: the names of the sites to let through; the others are hidden.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("a", dist.Normal(0.0, 1.0), obs=0.0)
        ...     bm.sample("b", dist.Normal(0.0, 1.0), obs=0.0)
        >>> list(bm.handlers.trace(bm.handlers.block(model, hide=["a"])).get_trace())
        ['b']
    """

    def __init__(self, fn=None, hide_fn=None, hide=None, expose_types=None, expose=None):
        super().__init__(fn)
        if hide_fn is not None:
            self.hide_fn = hide_fn
        elif hide is not None:
            hidden = set(hide)
            self.hide_fn = lambda site: site.name in hidden
        elif expose_types is not None:
            exposed_types = set(expose_types)
            self.hide_fn = lambda site: site.type not in exposed_types
        elif expose is not None:
            exposed = set(expose)
            self.hide_fn = lambda site: site.name not in exposed
        else:
            self.hide_fn = lambda site: True

    def process_message(self, site: Site) -> None:
        if self.hide_fn(site):
            site.stop = True


class mask(Messenger):
    """Switch off the log density of sample sites where ``mask`` is False.

    Values are still drawn (or observed); only their contribution to the log density is
    dropped. On a sample site it sets ``site.mask`` to ``mask`` (``and``-ed with a mask
    already there).

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        mask: a bool or a boolean array broadcasting to the sites' batch shape; True
            keeps a term (``TypeError`` for other types).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
        >>> tr = bm.handlers.trace(bm.handlers.mask(model, mask=False)).get_trace()
        >>> tr["x"].mask
        False
    """

    def __init__(self, fn=None, mask=True):
        super().__init__(fn)
        if not isinstance(mask, (bool, np.bool_)):
            dtype = getattr(mask, "dtype", None)
            if dtype is None or dtype != bool:
                raise TypeError(f"mask: mask must be a bool or a boolean array, got {mask!r}")
        self.mask = mask

    def process_message(self, site: Site) -> None:
        if site.type != "sample":
            return
        site.mask = self.mask if site.mask is None else (site.mask & self.mask)


class scale(Messenger):
    r"""Multiply the log density of sample sites by ``scale``.

    On a sample site it sets ``site.scale`` to ``scale`` (times a scale already there),
    so the site's term in the model's log density becomes
    :math:`\mathrm{scale}\cdot\log p(x)` (e.g. to weight a likelihood, or to
    rescale a minibatch).

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        scale: a positive float, or a positive array broadcasting to the sites' batch
            shape (``ValueError`` when a concrete value is not positive).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
        >>> bm.handlers.trace(bm.handlers.scale(model, scale=10.0)).get_trace()["x"].scale
        10.0
    """

    def __init__(self, fn=None, scale=1.0):
        super().__init__(fn)
        if not is_traced(scale) and not np.all(np.asarray(scale) > 0):
            raise ValueError(f"scale: scale must be positive, got {scale!r}")
        self.scale = scale

    def process_message(self, site: Site) -> None:
        if site.type != "sample":
            return
        site.scale = self.scale if site.scale is None else self.scale * site.scale


class do(Messenger):
    """Intervene: the model continues with ``data[name]`` in place of the sampled value.

    As in Pyro and NumPyro, the site itself is still drawn (and recorded under its name),
    but what the rest of the model sees is the intervention: downstream sites are cut off
    from it. On a sample site named in ``data``, a copy of the site is sent through this
    handler and those outside it, and recorded under the site's name; the site itself is
    renamed ``f"{name}__CF"``, gets the intervention value (not observed) and is stopped,
    so the handlers outside do not see it.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        data: a dict mapping site names to intervention values. Required
            (``ValueError`` if missing).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     z = bm.sample("z", dist.Normal(0.0, 1.0))
        ...     return bm.sample("x", dist.Normal(z, 0.001))
        >>> x = bm.handlers.seed(bm.handlers.do(model, data={"z": 5.0}), rng_seed=0)()
        >>> abs(float(x) - 5.0) < 0.01
        True
    """

    def __init__(self, fn=None, data=None):
        super().__init__(fn)
        if data is None:
            raise ValueError("do: data= (site name -> intervention value) is required")
        self.data = data

    def process_message(self, site: Site) -> None:
        if site.type != "sample" or site.intervened or self.data.get(site.name) is None:
            return
        original = site.copy()
        original.intervened = True  # so that this handler leaves the copy alone
        # the site is still drawn and recorded under its own name, by the handlers from
        # this one outward (those inside have already processed it)
        apply_stack_from(original, self)
        site.name = f"{site.name}__CF"
        site.value = self.data[original.name]
        site.is_observed = False
        site.intervened = True
        site.stop = True  # the intervention itself is not a random variable


class uncondition(Messenger):
    """Turn observed sample sites back into latent ones (their data is ignored and the
    value is drawn), e.g. to simulate new data from a model written with ``obs=``.

    On an observed sample site it sets ``site.is_observed = False`` and ``site.value =
    None`` (``factor`` sites are left alone). The sites then need a key: run the model
    under ``seed``.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     return bm.sample("x", dist.Normal(0.0, 1.0), obs=100.0)
        >>> float(bm.handlers.seed(bm.handlers.uncondition(model), rng_seed=0)()) < 10
        True
    """

    def process_message(self, site: Site) -> None:
        if site.type == "sample" and site.is_observed and not site.infer.get("is_auxiliary"):
            site.is_observed = False
            site.value = None


class infer_config(Messenger):
    """Update each sample site's ``infer`` dict with ``config_fn(site)``.

    ``site.infer`` holds hints for inference algorithms, such as
    ``{"enumerate": "parallel"}``.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        config_fn: a function ``site -> dict`` (or None for no change) whose items are
            added to ``site.infer``. Required (``ValueError`` if missing).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
        >>> configured = bm.handlers.infer_config(model, config_fn=lambda site: {"hint": 1})
        >>> bm.handlers.trace(configured).get_trace()["x"].infer
        {'hint': 1}
    """

    def __init__(self, fn=None, config_fn=None):
        super().__init__(fn)
        if config_fn is None:
            raise ValueError("infer_config: config_fn= is required")
        self.config_fn = config_fn

    def process_message(self, site: Site) -> None:
        if site.type == "sample":
            site.infer.update(self.config_fn(site) or {})


class scope(Messenger):
    """Prefix the names of the sites inside with ``f"{prefix}{divider}"``.

    It renames every site but ``prng_key`` ones (plate sites included), e.g. to use one
    sub-model twice in a model without a name clash.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        prefix: the prefix (with the default ``""`` names become ``"/x"``).
        divider: the text between the prefix and the name.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0), obs=0.0)
        >>> list(bm.handlers.trace(bm.handlers.scope(model, prefix="a")).get_trace())
        ['a/x']
    """

    def __init__(self, fn=None, prefix="", divider="/"):
        super().__init__(fn)
        self.prefix = prefix
        self.divider = divider

    def process_message(self, site: Site) -> None:
        if site.type != "prng_key":
            site.name = f"{self.prefix}{self.divider}{site.name}"
