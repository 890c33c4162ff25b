r"""One context-local stack of handlers, and how a site travels through it.

A primitive builds a ``Site`` and calls ``apply_stack``. Handlers see it innermost first
in ``process_message`` (where they may set its value, broadcast its distribution, or
stop it from reaching outer handlers); then the default behaviour fills in whatever is
still missing (a latent site draws with its key); then ``postprocess_message`` runs on
the same handlers, outermost first (as in Pyro and NumPyro), so recorders such as
``trace`` see final values.

The stack lives in a ``contextvars.ContextVar`` holding an immutable tuple: each thread
(and each asyncio task) has its own, and leaving a handler restores the stack as it was
before the handler was entered, even when the model raised.
"""

from __future__ import annotations

import contextvars

import jax
import jax.numpy as jnp

from ._checks import check_observed
from ._errors import MissingRNGKeyError
from ._site import Site

__all__ = ["Messenger", "apply_stack", "apply_stack_from", "current_stack"]

_STACK: contextvars.ContextVar[tuple] = contextvars.ContextVar("bayesmodels_handler_stack", default=())


def current_stack() -> tuple:
    """The active handlers, outermost first."""
    return _STACK.get()


class Messenger:
    """Base of every handler: two hooks and a place on the stack.

    A handler works as a wrapper, ``handler(model, ...)(*args)``, and as a context manager,
    ``with handler(...): model(*args)``. Calling a wrapping handler enters it, calls
    ``fn`` with the arguments given, leaves it and returns what ``fn`` returned. Entering
    pushes the handler on the (context-local) stack; leaving restores the stack as it was,
    even when the model raised.

    Each site of the model goes through ``process_message`` of the active handlers,
    innermost first (until one sets ``site.stop``), then gets its default value (a latent
    sample site draws with its ``rng_key``), then goes through ``postprocess_message`` of the
    same handlers, outermost first. A new handler subclasses ``Messenger`` and overrides
    one or both hooks, changing the ``Site`` in place.

    Args:
        fn: the model (any callable) to wrap, or None to use the handler as a context
            manager only (``TypeError`` if it is given and not callable, or if a handler
            made without one is called).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> class double_data(bm.handlers.Messenger):
        ...     def process_message(self, site) -> None:
        ...         if site.type == "sample" and site.is_observed:
        ...             site.value = 2.0 * site.value
        >>> def model():
        ...     return bm.sample("x", dist.Normal(0.0, 1.0), obs=1.5)
        >>> float(double_data(model)())
        3.0
        >>> with double_data():
        ...     float(model())
        3.0
    """

    def __init__(self, fn=None):
        if fn is not None and not callable(fn):
            raise TypeError(
                f"{type(self).__name__}: the first argument is the model to wrap, and must be "
                f"callable; got {fn!r}. Pass the handler's settings by keyword "
                f"(e.g. seed(model, rng_seed=0), or `with seed(rng_seed=0): ...`)."
            )
        self.fn = fn

    def __enter__(self):
        _STACK.set(_STACK.get() + (self,))
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        stack = _STACK.get()
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] is self:
                _STACK.set(stack[:index])  # also drops handlers entered inside and never left
                break
        return None

    def __call__(self, *args, **kwargs):
        if self.fn is None:
            raise TypeError(
                f"{type(self).__name__} was created without a model; use it as a context "
                f"manager (`with {type(self).__name__}(...): ...`) or pass the model first."
            )
        with self:
            return self.fn(*args, **kwargs)

    def process_message(self, site: Site) -> None:
        """Act on a site before its value is final (innermost handler first).

        The base does nothing. A handler may set ``site.value`` (and ``is_observed``),
        replace ``site.fn``, multiply ``site.scale``, combine ``site.mask``, give
        ``site.rng_key``, rename the site, or set ``site.stop`` so that the handlers
        outside it do not see the site (neither hook).

        Args:
            site: the ``Site`` being processed, changed in place.
        """

    def postprocess_message(self, site: Site) -> None:
        """Act on a site once its value is final (outermost handler first).

        The base does nothing; recorders such as ``trace`` read the site here.

        Args:
            site: the ``Site``, with its final value.
        """


def apply_stack(site: Site) -> Site:
    """Send ``site`` through the active handlers and the default behaviour; return it."""
    stack = _STACK.get()
    processed = 0
    for handler in reversed(stack):
        handler.process_message(site)
        processed += 1
        if site.stop:
            break
    _default_process(site)
    for handler in stack[len(stack) - processed :]:
        handler.postprocess_message(site)
    return site


def apply_stack_from(site: Site, handler: Messenger) -> Site:
    """Send ``site`` through ``handler`` and the handlers outside it only (for a handler
    that splits a site it is processing: the handlers inside have already seen it)."""
    stack = _STACK.get()
    index = max(i for i, active in enumerate(stack) if active is handler)
    token = _STACK.set(stack[: index + 1])
    try:
        return apply_stack(site)
    finally:
        _STACK.reset(token)


def _default_process(site: Site) -> None:
    """Fill in what no handler provided: draws for latent sites, checks for data."""
    if site.type == "sample":
        if site.value is None:
            if site.rng_key is None:
                raise MissingRNGKeyError.for_site(site)
            site.value, site.intermediates = site.fn.sample_with_intermediates(
                site.rng_key, site.sample_shape
            )
        elif site.is_observed:
            check_observed(site)
    elif site.type == "param" and site.value is None:
        if callable(site.init_value):
            if site.rng_key is None:
                raise MissingRNGKeyError.for_site(site)
            site.value = site.init_value(site.rng_key)
        else:
            site.value = site.init_value
    elif site.type == "prng_key" and site.value is None:
        if site.rng_key is None:
            raise MissingRNGKeyError.for_site(site)
        site.value = site.rng_key
    elif site.type == "plate" and site.value is None:
        site.value = _plate_indices(site)


def _plate_indices(site: Site):
    frame = site.fn
    if frame.subsample_size == frame.size:
        return jnp.arange(frame.size)
    if site.rng_key is None:
        raise MissingRNGKeyError.for_site(site)
    return jax.random.permutation(site.rng_key, frame.size)[: frame.subsample_size]
