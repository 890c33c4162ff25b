r"""``SA``, Sample Adaptive MCMC as users name it (NumPyro's ``numpyro.infer.SA``): a
model (or a potential function) plus settings, turned into what the ``MCMC`` driver runs.

SA uses no gradient, not even to find the chains' starting points (which only need a
finite log density), so it samples models whose log density is not differentiable. It
has no step size and no mass matrix: its set of points is its adaptation, evolving
through warm-up like any other iteration. See ``bayesmodels.kernels._sa`` for the
transition.
"""

from __future__ import annotations

import copy

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .._logdensity._density import ModelDensity
from .._logdensity._init_strategies import init_to_uniform, init_to_value
from .._logdensity._initialize import _first_run, _propose
from ..adaptation import WindowAdaptation
from ..kernels import KernelParams
from ..kernels._sa import SAKernel
from ._samplers import _POTENTIAL_DENSITIES, Start, _chain_values, _PotentialDensity

__all__ = ["SA"]

_MAX_TRIES = 100


@eqx.filter_jit
def _log_density(log_density_fn, position):
    return log_density_fn(position)


@eqx.filter_jit
def _log_densities(log_density_fn, positions):
    return jax.vmap(log_density_fn)(positions)


class SA:
    r"""Sample Adaptive MCMC (Zhu 2019): a gradient-free sampler that keeps a set
    :math:`S = \{z_1, \dots, z_N\}` of :math:`N` points and proposes from the Gaussian
    fitted to them,

    .. math::

        z_{N+1} \sim q(\cdot \mid S) = \mathcal N(\bar z_S, \Sigma_S), \qquad
        \bar z_S = \frac1N \sum_{i=1}^N z_i, \quad
        \Sigma_S = \frac1N \sum_{i=1}^N (z_i - \bar z_S)(z_i - \bar z_S)^\top

    (only the diagonal of :math:`\Sigma_S` with ``dense_mass=False``). It then drops one
    of the :math:`N + 1` points of :math:`U = S \cup \{z_{N+1}\}`, point :math:`j` with
    probability

    .. math::

        \lambda_j = \frac{q(z_j \mid U_{-j}) / \pi(z_j)}
            {\sum_{i=1}^{N+1} q(z_i \mid U_{-i}) / \pi(z_i)},

    :math:`q(\cdot \mid U_{-j})` being the Gaussian fitted to the other :math:`N`
    points. Each draw is one point of the set, chosen uniformly.

    SA needs more draws than NUTS for the same effective sample size (each iteration
    changes one point of the set), but each costs one log-density evaluation and no
    gradient. The ``acceptance_rate`` statistic is the probability that the proposal
    entered the set; SA never diverges.

    Args:
        model: a model function (or ``bm.Model`` instance); or give ``potential_fn``.
        potential_fn: negative log density of an unconstrained pytree (needs
            ``init_params`` in ``MCMC.run``).
        adapt_state_size: :math:`N`, the points in the set; ``2 * dim`` by default.
            With ``dense_mass`` it must exceed the number of unconstrained dimensions.
            A larger set costs :math:`O(N D^2)` more per step but mixes better per draw
            (in one dimension, ``N = 8`` gives several times the ESS of ``N = 2``).
        dense_mass: fit a full covariance to the set (default, as NumPyro), or only its
            diagonal (cheaper in many dimensions, slower on correlated posteriors).
        init_strategy: how chains start (``init_to_uniform`` by default); the set starts
            as that point and :math:`N - 1` points around it at unit scale.

    Example:
        >>> import jax, bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import MCMC
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0))
        >>> mcmc = MCMC(SA(model, adapt_state_size=8), num_warmup=300, num_samples=1000, progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0))
        >>> mcmc.get_samples()["x"].shape
        (1000,)
    """

    name = "SA"

    def __init__(
        self,
        model=None,
        *,
        potential_fn=None,
        adapt_state_size=None,
        dense_mass=True,
        init_strategy=init_to_uniform,
    ):
        if model is not None and potential_fn is not None:
            raise ValueError("SA takes a `model` or a `potential_fn`, not both")
        if adapt_state_size is not None and (
            isinstance(adapt_state_size, (bool, np.bool_))
            or not isinstance(adapt_state_size, (int, np.integer))
            or adapt_state_size < 2
        ):
            raise ValueError(f"SA: adapt_state_size must be an integer >= 2 (or None for 2 * dim), got {adapt_state_size!r}")
        if not isinstance(dense_mass, (bool, np.bool_)):
            raise ValueError(f"SA: dense_mass must be True or False, got {dense_mass!r}")
        if not callable(init_strategy):
            raise ValueError(f"SA: init_strategy must be callable (e.g. init_to_median), got {init_strategy!r}")
        self.model = model
        self.potential_fn = potential_fn
        self.adapt_state_size = None if adapt_state_size is None else int(adapt_state_size)
        self.dense_mass = bool(dense_mass)
        self.init_strategy = init_strategy

    # -- what the driver asks for ------------------------------------------------------

    def adaptation(self) -> WindowAdaptation:
        """Nothing to adapt: SA's set of points is its adaptation.

        Returns:
            A ``WindowAdaptation`` with step-size and metric adaptation switched off.
        """
        return WindowAdaptation(adapt_step_size=False, adapt_mass_matrix=False)

    def initial_params(self, dim: int, dtype) -> KernelParams:
        """Placeholders (SA has no step size, recorded as NaN, nor metric); checks that
        ``adapt_state_size`` suits ``dim``.

        Args:
            dim: number of unconstrained dimensions of the model.
            dtype: floating dtype of the positions.

        Returns:
            ``KernelParams(step_size=nan, inverse_mass_matrix=ones(dim))``, unused by the
            kernel.

        Raises:
            ValueError: with ``dense_mass``, the set has no more points than ``dim``.
        """
        size = 2 * dim if self.adapt_state_size is None else self.adapt_state_size
        if self.dense_mass and size <= dim:
            raise ValueError(
                f"SA: adapt_state_size={size} points cannot fit a dense covariance to the model's {dim} "
                f"unconstrained dimensions; use adapt_state_size > {dim} (the default is 2 * dim = {2 * dim}) "
                "or dense_mass=False"
            )
        return KernelParams(jnp.asarray(jnp.nan, dtype), jnp.ones(dim, dtype))

    def kernel(self, log_density_fn) -> SAKernel:
        """The SA transition on a flat log density.

        Args:
            log_density_fn: ``position -> log density`` on the flat unconstrained vector.

        Returns:
            An ``SAKernel`` (``bayesmodels.kernels``) with ``adapt_state_size`` and
            ``dense_mass``.
        """
        return SAKernel(log_density_fn, adapt_state_size=self.adapt_state_size, dense_mass=self.dense_mass)

    def attrs(self) -> dict:
        """Settings worth keeping with the result (its ``attrs``).

        Returns:
            A dict with ``"sampler"``, ``"dense_mass"`` and, if given,
            ``"adapt_state_size"``.
        """
        size = {} if self.adapt_state_size is None else {"adapt_state_size": self.adapt_state_size}
        return {"sampler": self.name, "dense_mass": self.dense_mass, **size}

    def with_model(self, model):
        """A copy of this sampler, with the same settings, for ``model`` (how
        ``Model.fit(method=SA(dense_mass=False))`` uses a sampler configured without one).

        Args:
            model: the model function (or ``bm.Model`` instance) to sample.

        Returns:
            A shallow copy of this sampler whose ``model`` is ``model``.

        Raises:
            ValueError: the sampler samples a ``potential_fn``, or already another model.
        """
        if self.potential_fn is not None:
            raise ValueError("this SA samples a potential_fn, so it cannot be given a model")
        if self.model is not None and self.model is not model:
            raise ValueError(
                f"this SA already samples {self.model!r}; configure it without a model, e.g. "
                "SA(dense_mass=False), to use it for another"
            )
        bound = copy.copy(self)
        bound.model = model
        return bound

    def start(self, keys, model_args, model_kwargs, init_params) -> Start:
        """Starting points for ``len(keys)`` chains, found without gradients (``grads``
        are zeros).

        Args:
            keys: one PRNG key per chain, ``[chain, 2]``.
            model_args: positional arguments of the model.
            model_kwargs: keyword arguments of the model.
            init_params: constrained starting values ``{site: value}`` (a leading axis of
                length ``len(keys)`` gives each chain its own), the unconstrained pytree
                with ``potential_fn``, or None to use ``init_strategy``.

        Returns:
            A ``Start``: ``positions`` ``[chain, dim]``, ``log_densities`` ``[chain]``,
            zero ``grads``, the ``log_density_fn`` and ``postprocess_fn``, and the first
            run's ``model_trace`` (None with ``potential_fn``).

        Raises:
            ValueError: there is neither a model nor a ``potential_fn``, ``init_params``
                names a site that is not latent, or ``potential_fn`` is given without
                ``init_params``.
            RuntimeError: no starting point with a finite log density.
        """
        if self.model is None and self.potential_fn is None:
            raise ValueError(
                "SA has neither a model nor a potential_fn: write SA(model), SA(potential_fn=...), "
                "or pass it to Model.fit(method=...)"
            )
        if self.potential_fn is not None:
            return self._start_from_potential(len(keys), init_params)
        return self._start_from_model(np.asarray(keys), model_args, dict(model_kwargs or {}), init_params)

    def _start_from_model(self, keys, model_args, model_kwargs, init_params) -> Start:
        first_trace, layout = _first_run(keys[0], self.model, self.init_strategy, model_args, model_kwargs, self.name)
        if init_params is not None:
            unknown = sorted(set(init_params) - set(layout.names))
            if unknown:
                raise ValueError(
                    f"init_params names {unknown}, which are not latent sites; the latent sites are {list(layout.names)}"
                )
        bound = ModelDensity(self.model, layout).bind(*model_args, **model_kwargs)
        positions, log_densities = [], []
        for chain, key in enumerate(keys):
            strategy, tries = self.init_strategy, _MAX_TRIES
            if init_params is not None:
                strategy = init_to_value(values=_chain_values(init_params, chain, len(keys)))
                tries = 1 if set(init_params) == set(layout.names) else _MAX_TRIES
            for attempt in range(tries):
                attempt_key = key if attempt == 0 else jax.random.fold_in(key, attempt)
                position = _propose(attempt_key, self.model, bound.args, bound.kwargs, strategy, layout)
                log_density = _log_density(bound, position)
                if np.isfinite(np.asarray(log_density)):
                    break
            else:
                contributions = {name: float(v) for name, v in bound.site_log_densities(position).items()}
                bad = [name for name, value in contributions.items() if not np.isfinite(value)]
                raise RuntimeError(
                    f"SA: chain {chain} found no starting point with a finite log density in {tries} tries; "
                    f"at the last try the sites {bad} are not finite ({contributions}). Check those sites' "
                    "parameters and data, or pass init_params."
                )
            positions.append(position)
            log_densities.append(log_density)
        positions = jnp.stack(positions)
        return Start(
            positions=positions,
            log_densities=jnp.stack(log_densities),
            grads=jnp.zeros_like(positions),
            log_density_fn=bound,
            postprocess_fn=bound.constrain,
            model_trace=first_trace,
        )

    def _start_from_potential(self, num_chains, init_params) -> Start:
        if init_params is None:
            raise ValueError("SA with potential_fn needs init_params (the starting point, unconstrained)")
        leaves = jax.tree.leaves(init_params)
        batched = num_chains > 1 and all(np.shape(leaf)[:1] == (num_chains,) for leaf in leaves)
        per_chain = [
            jax.tree.map(lambda leaf: jnp.asarray(leaf)[c] if batched else jnp.asarray(leaf), init_params)
            for c in range(num_chains)
        ]
        flat, unravel = ravel_pytree(per_chain[0])
        flat = flat.astype(jnp.result_type(float))
        positions = jnp.stack([ravel_pytree(p)[0].astype(flat.dtype) for p in per_chain])
        # the same wrapper as HMC/NUTS use for this layout, so reruns find compiled code
        first = per_chain[0]
        layout = (jax.tree.structure(first), tuple((np.shape(x), jnp.result_type(x)) for x in jax.tree.leaves(first)))
        log_density_fn = _POTENTIAL_DENSITIES.setdefault(
            (self.potential_fn, layout), _PotentialDensity(self.potential_fn, unravel)
        )
        log_densities = _log_densities(log_density_fn, positions)
        for chain, value in enumerate(np.asarray(log_densities)):
            if not np.isfinite(value):
                raise RuntimeError(
                    f"SA: chain {chain}: potential_fn at init_params is {-float(value)}; start from a point where "
                    "it is finite"
                )
        return Start(
            positions=positions,
            log_densities=log_densities,
            grads=jnp.zeros_like(positions),
            log_density_fn=log_density_fn,
            postprocess_fn=log_density_fn.constrain,
            model_trace=None,
        )
