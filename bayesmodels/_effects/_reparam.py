r"""Reparameterisation: rewrite a latent site as a deterministic function of easier ones.

``reparam(model, config={"theta": LocScaleReparam(0)})`` replaces the site ``theta`` by
an auxiliary latent ``theta_decentered`` and records ``theta`` as a deterministic site.
For a location-scale family :math:`\theta \sim D(\mu, \sigma)` and centring
:math:`c \in [0, 1]`:

.. math::

    \tilde\theta \sim D(c\,\mu, \sigma^{c}), \qquad
    \theta = \mu + \sigma^{1 - c}\,(\tilde\theta - c\,\mu),

so :math:`c = 0` is the non-centred parameterisation (:math:`\tilde\theta \sim D(0, 1)`)
and :math:`c = 1` leaves the site alone. ``TransformReparam`` draws the base of a
``TransformedDistribution`` and applies its transforms.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..distributions import ExpandedDistribution, Independent, TransformedDistribution, constraints
from ._primitives import param, sample
from ._site import Site
from ._stack import Messenger

__all__ = ["LocScaleReparam", "Reparam", "TransformReparam", "reparam"]


class Reparam:
    """Base of the reparameterisers: ``__call__(name, fn, obs) -> (new_fn, value)``.

    The ``reparam`` handler calls a reparameteriser with the site's name, distribution and
    observed value (None for a latent site). It may draw auxiliary sites itself (with
    ``sample``) and returns the pair ``(new_fn, value)``: ``new_fn is None`` turns the
    site into a deterministic site holding ``value``; otherwise the site becomes an
    observed site of ``new_fn`` at ``value``; ``value is None`` leaves the site unchanged.
    """

    def __call__(self, name, fn, obs):
        raise NotImplementedError

    @staticmethod
    def _unwrap(fn):
        """Strip ``Independent``/``ExpandedDistribution``.

        Returns the base, the batch shape the base must be expanded to (everything left of
        its own event dims), and the event dim of the site.
        """
        shape = fn.shape()
        event_dim = fn.event_dim
        while isinstance(fn, (Independent, ExpandedDistribution)):
            fn = fn.base_dist
        return fn, shape[: len(shape) - fn.event_dim], event_dim

    @staticmethod
    def _wrap(fn, batch_shape, event_dim):
        """Undo ``_unwrap`` for a new base distribution."""
        fn = fn.expand(tuple(batch_shape))
        if fn.event_dim < event_dim:
            fn = fn.to_event(event_dim - fn.event_dim)
        return fn


class LocScaleReparam(Reparam):
    r"""Decentre a location-scale site (Normal, StudentT, Cauchy, Laplace, ...).

    For :math:`\theta \sim D(\mu, \sigma)` and centring :math:`c` it draws the latent
    site ``f"{name}_decentered"`` and records ``name`` as a deterministic site:

    .. math::

        \tilde\theta \sim D(c\,\mu, \sigma^{c}), \qquad
        \theta = \mu + \sigma^{1 - c}\,(\tilde\theta - c\,\mu),

    which has the distribution of :math:`\theta`. With :math:`c = 0` (non-centred),
    :math:`\tilde\theta \sim D(0, 1)`, which often samples better than a centred
    hierarchical parameter; with :math:`c = 1` the site is left as it is.
    ``Independent`` and ``ExpandedDistribution`` wrappers (from ``to_event``, plates) are
    kept. The reparameteriser raises ``ValueError`` for an observed site and
    ``TypeError`` for a family without ``loc`` and ``scale``.

    Args:
        centered: centring in [0, 1]: 0 is fully non-centred, 1 leaves the site as it is,
            None learns it as a param site ``f"{name}_centered"`` (for SVI).
        shape_params: names of other parameters the family needs, e.g. ``("df",)``
            for StudentT.

    Raises:
        ValueError: a number ``centered`` outside [0, 1].
    """

    def __init__(self, centered=None, shape_params=()):
        if centered is not None and not isinstance(centered, jnp.ndarray):
            if not 0.0 <= float(centered) <= 1.0:
                raise ValueError(f"LocScaleReparam: centered must be in [0, 1], got {centered!r}")
        self.centered = centered
        self.shape_params = tuple(shape_params)

    def __call__(self, name, fn, obs):
        if obs is not None:
            raise ValueError(f"LocScaleReparam: site {name!r} is observed; it applies to latent sites only")
        base, batch_shape, event_dim = self._unwrap(fn)
        if not (hasattr(base, "loc") and hasattr(base, "scale")):
            raise TypeError(
                f"LocScaleReparam: site {name!r} has a {type(base).__name__} distribution, which "
                "has no loc and scale; use it with a location-scale family (Normal, StudentT, "
                "Cauchy, Laplace, ...)"
            )
        centered = self.centered
        if isinstance(centered, (int, float)) and centered == 1:
            return fn, None
        if centered is None:
            centered = param(
                f"{name}_centered",
                jnp.full(jnp.shape(base.loc), 0.5),
                constraint=constraints.unit_interval,
            )
        arguments = {p: getattr(base, p) for p in self.shape_params}
        arguments["loc"] = base.loc * centered
        arguments["scale"] = base.scale**centered
        decentered_fn = self._wrap(type(base)(**arguments), batch_shape, event_dim)
        decentered = sample(f"{name}_decentered", decentered_fn)
        value = base.loc + base.scale ** (1 - centered) * (decentered - centered * base.loc)
        return None, value


class TransformReparam(Reparam):
    r"""Draw the base of a ``TransformedDistribution`` as ``f"{name}_base"`` and push it
    through the transforms.

    For :math:`\theta = (f_n \circ \dots \circ f_1)(z)` with :math:`z \sim p_0`, the
    latent site becomes :math:`z` (site ``f"{name}_base"``), and ``name`` a deterministic
    site holding :math:`\theta`, so no Jacobian enters the model's density. Wrappers
    (``Independent``, ``ExpandedDistribution``) around the ``TransformedDistribution``
    are kept. The reparameteriser raises ``ValueError`` for an observed site and
    ``TypeError`` when the site's distribution is not a ``TransformedDistribution``.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.distributions.transforms import ExpTransform
        >>> from bayesmodels.infer.reparam import TransformReparam
        >>> def model():
        ...     d = dist.TransformedDistribution(dist.Normal(0.0, 1.0), [ExpTransform()])
        ...     bm.sample("s", d)
        >>> model = bm.handlers.reparam(model, config={"s": TransformReparam()})
        >>> tr = bm.handlers.trace(bm.handlers.seed(model, rng_seed=0)).get_trace()
        >>> [(name, site.type) for name, site in tr.items()]
        [('s_base', 'sample'), ('s', 'deterministic')]
    """

    def __call__(self, name, fn, obs):
        if obs is not None:
            raise ValueError(f"TransformReparam: site {name!r} is observed; it applies to latent sites only")
        base, batch_shape, event_dim = self._unwrap(fn)
        if not isinstance(base, TransformedDistribution):
            raise TypeError(
                f"TransformReparam: site {name!r} has a {type(base).__name__} distribution; "
                "it needs a TransformedDistribution"
            )
        base_event_dim = event_dim
        for transform in reversed(base.transforms):
            base_event_dim += transform.domain.event_dim - transform.codomain.event_dim
        x = sample(f"{name}_base", self._wrap(base.base_dist, batch_shape, base_event_dim))
        for transform in base.transforms:
            x = transform(x)
        return None, x


class reparam(Messenger):
    """Apply reparameterisers to sample sites: ``config`` maps a site name to a
    ``Reparam`` (or is a function ``site -> Reparam | None``).

    On a sample site with a reparameteriser it calls ``reparameteriser(name, fn, obs)``
    (which draws its auxiliary sites) and, from the ``(new_fn, value)`` it returns, makes
    the site a deterministic site holding ``value`` (``new_fn`` None) or an observed site
    of ``new_fn`` at ``value``. Other sites pass unchanged.

    Args:
        fn: the model to wrap; None (the default) to use the handler as a context manager.
        config: a dict mapping site names to ``Reparam`` instances (e.g.
            ``LocScaleReparam(0)``), or a function ``site -> Reparam or None``. Required
            (``ValueError`` if missing).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer.reparam import LocScaleReparam
        >>> def model():
        ...     return bm.sample("theta", dist.Normal(3.0, 2.0))
        >>> model = bm.handlers.reparam(model, config={"theta": LocScaleReparam(0)})
        >>> tr = bm.handlers.trace(bm.handlers.seed(model, rng_seed=0)).get_trace()
        >>> list(tr), tr["theta"].type
        (['theta_decentered', 'theta'], 'deterministic')
    """

    def __init__(self, fn=None, config=None):
        super().__init__(fn)
        if config is None:
            raise ValueError("reparam: config= (site name -> Reparam, or a function of the site) is required")
        self.config = config

    def process_message(self, site: Site) -> None:
        if site.type != "sample":
            return
        if callable(self.config) and not isinstance(self.config, dict):
            reparameteriser = self.config(site)
        else:
            reparameteriser = self.config.get(site.name)
        if reparameteriser is None:
            return
        obs = site.value if site.is_observed else None
        new_fn, value = reparameteriser(site.name, site.fn, obs)
        if value is None:
            return
        if new_fn is None:
            site.type = "deterministic"
            site.fn = None
            site.value = value
            site.is_observed = False
            return
        site.fn = new_fn
        site.value = value
        site.is_observed = True
