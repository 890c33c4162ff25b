"""Stochastic variational inference (NumPyro's ``SVI``): optimise a guide's ``param``
sites against a loss (e.g. ``Trace_ELBO``) with an ``optax`` optimiser."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._effects._handlers import replay, seed, substitute, trace
from ..distributions.transforms import biject_to

__all__ = ["SVI", "SVIRunResult", "SVIState"]


class SVIState(NamedTuple):
    """What the next step needs: optimiser state, unconstrained params, a key.

    Args:
        optim_state: the ``optax`` optimiser's state.
        params: ``{name: value}`` of the ``param`` sites, in unconstrained space
            (``SVI.get_params`` maps them to their constraints).
        rng_key: the key the next step splits its draws from.
    """

    optim_state: Any
    params: dict
    rng_key: Any


class SVIRunResult(NamedTuple):
    """What ``SVI.run`` returns.

    Args:
        params: the fitted params ``{name: value}``, constrained.
        state: the final ``SVIState`` (pass it as ``init_state`` to continue).
        losses: the loss at each step, ``[num_steps]``.
        num_skipped: how many steps ``stable_update`` skipped (non-finite loss or
            gradient); 0 otherwise.
    """

    params: dict
    state: SVIState
    losses: Any
    num_skipped: int = 0


class SVI:
    r"""Fit ``guide``'s params to ``model`` by minimising ``loss`` with ``optimizer``.

    The ``param`` sites of guide and model are optimised in unconstrained space: a param
    :math:`\phi` with constraint :math:`C` is stored as :math:`\theta = T_C^{-1}(\phi)`,
    :math:`T_C = \mathrm{biject\_to}(C)`. Step :math:`t` draws a fresh key and applies the
    optimiser's update to a stochastic gradient of the loss :math:`\mathcal L` (e.g.
    :math:`-\mathrm{ELBO}`),

    .. math::

        g_t = \nabla_\theta\, \widehat{\mathcal L}\bigl(T_C(\theta_t)\bigr), \qquad
        (u_t, s_{t+1}) = \texttt{optimizer.update}(g_t, s_t, \theta_t), \qquad
        \theta_{t+1} = \theta_t + u_t

    (for plain gradient descent :math:`u_t = -\eta\, g_t`).

    Args:
        model: the model function (or ``bm.Model`` instance).
        guide: the guide, a function of the same arguments as the model that samples
            every latent site of the model (e.g. an ``autoguide``).
        optimizer: an ``optax.GradientTransformation`` (e.g. ``optax.adam(1e-2)``).
        loss: e.g. ``Trace_ELBO()``; anything with ``loss(key, params, model, guide,
            *args, **kwargs)``.
        **static_kwargs: keyword arguments passed to model and guide on every call.

    Raises:
        TypeError: ``optimizer`` is not an ``optax.GradientTransformation``, or ``loss``
            has no ``loss`` method.

    Example:
        >>> import jax, optax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import SVI, Trace_ELBO
        >>> def model():
        ...     bm.sample("z", dist.Normal(1.0, 1.0))
        >>> def guide():
        ...     bm.sample("z", dist.Normal(bm.param("m", 0.0), 1.0))
        >>> svi = SVI(model, guide, optax.adam(0.05), Trace_ELBO(num_particles=10))
        >>> result = svi.run(jax.random.key(0), 300, progress_bar=False)
        >>> abs(float(result.params["m"]) - 1.0) < 0.3
        True
    """

    def __init__(self, model, guide, optimizer, loss, **static_kwargs):
        if not isinstance(optimizer, optax.GradientTransformation):
            raise TypeError(
                f"SVI: optimizer must be an optax.GradientTransformation (e.g. optax.adam(1e-2)), "
                f"got {type(optimizer).__name__}"
            )
        if not hasattr(loss, "loss"):
            raise TypeError(f"SVI: loss must have a .loss method (e.g. Trace_ELBO()), got {loss!r}")
        self.model = model
        self.guide = guide
        self.optimizer = optimizer
        self.loss = loss
        self.static_kwargs = static_kwargs
        self._constraints = {}
        self._chunks = {}

    # -- params -----------------------------------------------------------------
    def _constrain(self, params):
        return {name: biject_to(self._constraints[name])(value) for name, value in params.items()}

    def get_params(self, state: SVIState) -> dict:
        """The params in their constrained spaces.

        Args:
            state: an ``SVIState`` from ``init``, ``update`` or ``run``.

        Returns:
            ``{name: value}`` of every ``param`` site, mapped to its constraint.
        """
        return self._constrain(state.params)

    def _loss(self, rng_key, params, args, kwargs):
        return self.loss.loss(rng_key, self._constrain(params), self.model, self.guide, *args, **kwargs, **self.static_kwargs)

    # -- init -------------------------------------------------------------------
    def init(self, rng_key, *args, init_params=None, **kwargs) -> SVIState:
        """Trace guide and model once, collect their ``param`` sites, store them unconstrained.

        Args:
            rng_key: a ``jax.random`` key (for the first runs, the params' random initial
                values and later steps).
            *args: positional arguments passed to model and guide.
            init_params: constrained starting values ``{name: value}`` for ``param``
                sites (replacing their declared initial values).
            **kwargs: keyword arguments passed to model and guide.

        Returns:
            The initial ``SVIState``.

        Raises:
            ValueError: the loss at the initial params is not finite (the message names
                the sites whose log density is not).
        """
        model_kwargs = kwargs
        kwargs = {**kwargs, **self.static_kwargs}
        rng_key, guide_key, model_key, loss_key = jax.random.split(rng_key, 4)
        guide_init = substitute(seed(self.guide, guide_key), data=dict(init_params or {}))
        guide_trace = trace(guide_init).get_trace(*args, **kwargs)
        model_init = replay(substitute(seed(self.model, model_key), data=dict(init_params or {})), trace=guide_trace)
        model_trace = trace(model_init).get_trace(*args, **kwargs)
        params = {}
        for tr in (guide_trace, model_trace):
            for name, site in tr.items():
                if site.type == "param" and name not in params:
                    self._constraints[name] = site.constraint
                    value = jnp.asarray(site.value, dtype=jnp.result_type(float))
                    # strongly typed, so the state after a step has the same types (no recompile)
                    params[name] = jnp.asarray(biject_to(site.constraint).inv(value), dtype=value.dtype)
        state = SVIState(self.optimizer.init(params), params, rng_key)
        loss = self._loss(loss_key, params, args, model_kwargs)
        if not bool(jnp.isfinite(loss)):
            self._raise_non_finite(loss_key, params, args, kwargs)
        return state

    def _raise_non_finite(self, rng_key, params, args, kwargs):
        bad = []
        if hasattr(self.loss, "site_log_probs"):
            log_probs = self.loss.site_log_probs(rng_key, self._constrain(params), self.model, self.guide, *args, **kwargs)
            bad = [f"{tag} site {name!r}" for (tag, name), lp in log_probs.items() if not bool(jnp.isfinite(lp))]
        where = ", ".join(bad) if bad else "no single site (check the params' initial values)"
        raise ValueError(f"SVI.init: the loss at the initial params is not finite; non-finite log density at: {where}")

    # -- steps ------------------------------------------------------------------
    def _step(self, state, args, kwargs, stable):
        rng_key, step_key = jax.random.split(state.rng_key)
        loss, grads = jax.value_and_grad(lambda p: self._loss(step_key, p, args, kwargs))(state.params)
        updates, optim_state = self.optimizer.update(grads, state.optim_state, state.params)
        params = optax.apply_updates(state.params, updates)
        new = SVIState(optim_state, params, rng_key)
        if not stable:
            return new, loss, jnp.zeros((), bool)
        finite = jnp.isfinite(loss) & jnp.all(
            jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)])
        )
        kept = SVIState(state.optim_state, state.params, rng_key)
        new = jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, kept)
        return new, loss, ~finite

    def update(self, state: SVIState, *args, **kwargs):
        """One optimiser step.

        Args:
            state: the current ``SVIState``.
            *args: positional arguments passed to model and guide.
            **kwargs: keyword arguments passed to model and guide.

        Returns:
            ``(new_state, loss)``: the ``SVIState`` after the step and the (scalar) loss
            at the params before it.
        """
        new, loss, _ = self._step(state, args, kwargs, stable=False)
        return new, loss

    def stable_update(self, state: SVIState, *args, **kwargs):
        """As ``update``, but a step with a non-finite loss or gradient leaves the state
        unchanged (except for its key, which moves on).

        Args:
            state: the current ``SVIState``.
            *args: positional arguments passed to model and guide.
            **kwargs: keyword arguments passed to model and guide.

        Returns:
            ``(new_state, loss)``, the loss possibly not finite.
        """
        new, loss, _ = self._step(state, args, kwargs, stable=True)
        return new, loss

    def evaluate(self, state: SVIState, *args, **kwargs):
        """The loss at ``state`` with the key ``update`` would use next (no step taken).

        Args:
            state: an ``SVIState``.
            *args: positional arguments passed to model and guide.
            **kwargs: keyword arguments passed to model and guide.

        Returns:
            The scalar loss.
        """
        _, step_key = jax.random.split(state.rng_key)
        return self._loss(step_key, state.params, args, kwargs)

    def _chunk(self, length, stable):
        """``length`` steps in one compiled ``lax.scan``; a step whose flag is off leaves
        the state as it is (so a shorter last chunk reuses the same program)."""
        key = (length, stable)
        if key not in self._chunks:

            def run_chunk(state, active, args, kwargs):
                def body(state, is_active):
                    new, loss, skipped = self._step(state, args, kwargs, stable)
                    new = jax.tree_util.tree_map(lambda a, b: jnp.where(is_active, a, b), new, state)
                    return new, (loss, skipped & is_active)

                return jax.lax.scan(body, state, active)

            self._chunks[key] = eqx.filter_jit(run_chunk)  # non-array data (sizes) stay static
        return self._chunks[key]

    def run(
        self,
        rng_key,
        num_steps,
        *args,
        progress_bar=True,
        stable_update=False,
        init_state=None,
        init_params=None,
        **kwargs,
    ):
        """``num_steps`` optimiser steps, in jitted ``lax.scan`` chunks.

        Args:
            rng_key: a ``jax.random`` key (for ``init``, unless ``init_state`` is given).
            num_steps: number of optimiser steps, a positive int.
            *args: positional arguments passed to model and guide.
            progress_bar: show a tqdm bar with the recent mean loss.
            stable_update: use ``stable_update`` (skip steps with a non-finite loss or
                gradient, and warn how many were skipped) instead of ``update``.
            init_state: the ``state`` of an earlier run, to continue it instead of
                starting afresh.
            init_params: constrained starting values ``{name: value}`` for ``param``
                sites (not with ``init_state``).
            **kwargs: keyword arguments passed to model and guide.

        Returns:
            An ``SVIRunResult``: the fitted ``params`` (constrained), the final
            ``state``, the ``losses`` ``[num_steps]`` and ``num_skipped``.

        Raises:
            ValueError: ``num_steps`` is not a positive int, both ``init_state`` and
                ``init_params`` are given, or the initial loss is not finite.
            TypeError: ``init_state`` is not an ``SVIState``.
        """
        if not isinstance(num_steps, (int, np.integer)) or num_steps < 1:
            raise ValueError(f"SVI.run: num_steps must be a positive int, got {num_steps!r}")
        if init_state is not None:
            if not isinstance(init_state, SVIState):
                raise TypeError(f"SVI.run: init_state must be an SVIState (a run's .state), got {type(init_state).__name__}")
            if init_params is not None:
                raise ValueError("SVI.run: give init_state (to continue) or init_params (to start), not both")
            if not self._constraints:
                self.init(rng_key, *args, **kwargs)  # learn the params' constraints
            state = init_state
        else:
            state = self.init(rng_key, *args, init_params=init_params, **kwargs)
        chunk = -(-num_steps // 20)  # about 20 updates of the progress bar
        run_chunk = self._chunk(chunk, stable_update)
        bar = None
        if progress_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=num_steps, desc="SVI")
        losses, skipped, done = [], [], 0
        while done < num_steps:
            length = min(chunk, num_steps - done)
            active = jnp.arange(chunk) < length
            state, (chunk_losses, chunk_skipped) = run_chunk(state, active, args, kwargs)
            losses.append(chunk_losses[:length])
            skipped.append(chunk_skipped[:length])
            done += length
            if bar is not None:
                bar.update(length)
                bar.set_postfix(loss=f"{float(jnp.nanmean(chunk_losses[:length])):.4g}")
        if bar is not None:
            bar.close()
        losses = jnp.concatenate(losses)
        num_skipped = int(jnp.sum(jnp.concatenate(skipped)))
        if num_skipped:
            warnings.warn(f"SVI.run: stable_update skipped {num_skipped} of {num_steps} steps (non-finite loss or gradient)")
        return SVIRunResult(self.get_params(state), state, losses, num_skipped)
