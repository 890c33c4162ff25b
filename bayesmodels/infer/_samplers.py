r"""``NUTS`` and ``HMC`` as users name them: a model (or a potential function) plus
settings. They build what the ``MCMC`` driver runs — the kernel on the model's log
density, the warm-up adaptation, and the starting points — and never run anything
themselves.

Keyword names follow NumPyro. ``potential_fn`` is the *negative* log density of an
unconstrained pytree, as in NumPyro; it needs ``init_params``.
"""

from __future__ import annotations

import copy
import math
from typing import Callable, NamedTuple, Optional

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .._logdensity._init_strategies import init_to_uniform
from .._logdensity._initialize import initialize_chains, initialize_model
from ..adaptation import WindowAdaptation
from ..kernels import HMCKernel, KernelParams, NUTSKernel
from ..kernels._integrators import as_integrator
from ..kernels._metric import LowRankMetric

__all__ = ["HMC", "NUTS", "Start"]


class Start(NamedTuple):
    """Where the chains start and what they run on."""

    positions: jax.Array  # [chain, dim]
    log_densities: jax.Array  # [chain]
    grads: jax.Array  # [chain, dim]
    log_density_fn: Callable  # flat position -> log density
    postprocess_fn: Callable  # flat position -> {site: constrained value}
    model_trace: Optional[dict]  # the first run's trace (None with potential_fn)


class _PotentialDensity:
    """``-potential_fn`` of the pytree a flat vector unravels to (hashable by identity)."""

    def __init__(self, potential_fn, unravel):
        self.potential_fn, self.unravel = potential_fn, unravel

    def __call__(self, position):
        return -self.potential_fn(self.unravel(position))

    def constrain(self, position) -> dict:
        """The pytree at ``position`` (a dict of sites, or ``{"z": array}``)."""
        values = self.unravel(position)
        return values if isinstance(values, dict) else {"z": values}


_POTENTIAL_DENSITIES: dict = {}  # (potential_fn, pytree layout) -> its _PotentialDensity


class _GradientSampler:
    """What the gradient-based samplers (``HMC``, ``NUTS``, ``BarkerMH``) share: model or
    potential, step size, metric, warm-up, starting points."""

    name = "HMC"

    def __init__(
        self,
        model,
        potential_fn,
        step_size,
        inverse_mass_matrix,
        adapt_step_size,
        adapt_mass_matrix,
        dense_mass,
        target_accept_prob,
        init_strategy,
        regularize_mass_matrix=True,
        low_rank_mass=0,
    ):
        if model is not None and potential_fn is not None:
            raise ValueError(f"{self.name} takes a `model` or a `potential_fn`, not both")
        if not (np.ndim(step_size) == 0 and float(step_size) > 0 and math.isfinite(float(step_size))):
            raise ValueError(f"{self.name}: step_size must be a positive finite number, got {step_size!r}")
        if not isinstance(dense_mass, (bool, np.bool_)):
            raise ValueError(
                f"{self.name}: dense_mass must be True or False, got {dense_mass!r} (block-structured "
                "dense mass matrices are not supported yet)"
            )
        if not 0.0 < float(target_accept_prob) < 1.0:
            raise ValueError(f"{self.name}: target_accept_prob must be in (0, 1), got {target_accept_prob!r}")
        if isinstance(low_rank_mass, (bool, np.bool_)) or not (
            isinstance(low_rank_mass, (int, np.integer)) and low_rank_mass >= 0
        ):
            raise ValueError(
                f"{self.name}: low_rank_mass must be a non-negative integer (the number of corrected "
                f"directions; 0 for none), got {low_rank_mass!r}"
            )
        if low_rank_mass and dense_mass:
            raise ValueError(
                f"{self.name}: low_rank_mass={low_rank_mass} and dense_mass=True conflict: the low-rank "
                "metric is a diagonal plus a few directions, the dense one a full matrix; pass one of them"
            )
        if low_rank_mass and not adapt_mass_matrix:
            raise ValueError(
                f"{self.name}: low_rank_mass={low_rank_mass} needs adapt_mass_matrix=True (its directions are "
                "estimated during warm-up); pass low_rank_mass=0 to keep a fixed metric"
            )
        if not callable(init_strategy):
            raise ValueError(f"{self.name}: init_strategy must be callable (e.g. init_to_median), got {init_strategy!r}")
        if inverse_mass_matrix is not None:
            inverse_mass_matrix = np.asarray(inverse_mass_matrix)
            if inverse_mass_matrix.ndim != (2 if dense_mass else 1):
                raise ValueError(
                    f"{self.name}: inverse_mass_matrix must be a {'matrix' if dense_mass else 'vector'} "
                    f"with dense_mass={bool(dense_mass)}, got shape {inverse_mass_matrix.shape}"
                )
        self.model = model
        self.potential_fn = potential_fn
        self.step_size = float(step_size)
        self.inverse_mass_matrix = inverse_mass_matrix
        self.adapt_step_size = bool(adapt_step_size)
        self.adapt_mass_matrix = bool(adapt_mass_matrix)
        self.dense_mass = bool(dense_mass)
        self.target_accept_prob = float(target_accept_prob)
        self.init_strategy = init_strategy
        self.regularize_mass_matrix = bool(regularize_mass_matrix)
        self.low_rank_mass = int(low_rank_mass)

    # -- what the driver asks for ------------------------------------------------------

    def adaptation(self) -> WindowAdaptation:
        """The warm-up this sampler runs: Stan's windowed adaptation of the step size (dual
        averaging towards ``target_accept_prob``) and of the metric.

        Returns:
            A ``WindowAdaptation`` with this sampler's switches (``adapt_step_size``,
            ``adapt_mass_matrix``, ``dense_mass``, ``regularize_mass_matrix``,
            ``low_rank_mass``).
        """
        return WindowAdaptation(
            adapt_step_size=self.adapt_step_size,
            adapt_mass_matrix=self.adapt_mass_matrix,
            dense_mass=self.dense_mass,
            target_accept_prob=self.target_accept_prob,
            regularize=self.regularize_mass_matrix,
            low_rank_mass=self.low_rank_mass,
        )

    def initial_params(self, dim: int, dtype) -> KernelParams:
        """The step size and inverse mass matrix the chains start warm-up with.

        Args:
            dim: number of unconstrained dimensions of the model.
            dtype: floating dtype of the positions.

        Returns:
            ``KernelParams(step_size, inverse_mass_matrix)``: the scalar ``step_size`` and
            the given ``inverse_mass_matrix`` (``[dim]``, or ``[dim, dim]`` with
            ``dense_mass``), the identity when none was given; a ``LowRankMetric`` with no
            corrected direction yet when ``low_rank_mass > 0``.

        Raises:
            ValueError: the given ``inverse_mass_matrix`` does not have the model's
                dimension.
        """
        if self.inverse_mass_matrix is not None:
            expected = (dim, dim) if self.dense_mass else (dim,)
            if self.inverse_mass_matrix.shape != expected:
                raise ValueError(
                    f"{self.name}: inverse_mass_matrix has shape {self.inverse_mass_matrix.shape}, but the "
                    f"model has {dim} unconstrained dimensions, so {expected} is expected"
                )
            inverse_mass_matrix = jnp.asarray(self.inverse_mass_matrix, dtype)
        else:
            inverse_mass_matrix = jnp.eye(dim, dtype=dtype) if self.dense_mass else jnp.ones(dim, dtype)
        if self.low_rank_mass:  # the diagonal given (or 1), with no direction corrected yet
            inverse_mass_matrix = LowRankMetric.diagonal(inverse_mass_matrix, min(self.low_rank_mass, dim))
        return KernelParams(jnp.asarray(self.step_size, dtype), inverse_mass_matrix)

    def attrs(self) -> dict:
        """Settings worth keeping with the result (its ``attrs``).

        Returns:
            A dict of the sampler's name (``"sampler"``) and its settings, e.g.
            ``target_accept_prob``, ``dense_mass``, the integrator and the trajectory
            settings.
        """
        return {
            "sampler": self.name,
            "target_accept_prob": self.target_accept_prob,
            "dense_mass": self.dense_mass,
            **({"low_rank_mass": self.low_rank_mass} if self.low_rank_mass else {}),
        }

    def with_model(self, model):
        """A copy of this sampler, with the same settings, for ``model``.

        This is how ``Model.fit(method=NUTS(target_accept_prob=0.9))`` uses a sampler
        configured without a model.

        Args:
            model: the model function (or ``bm.Model`` instance) to sample.

        Returns:
            A shallow copy of this sampler whose ``model`` is ``model``.

        Raises:
            ValueError: the sampler samples a ``potential_fn``, or already another model.
        """
        if self.potential_fn is not None:
            raise ValueError(f"this {self.name} samples a potential_fn, so it cannot be given a model")
        if self.model is not None and self.model is not model:
            raise ValueError(
                f"this {self.name} already samples {self.model!r}; configure it without a model, "
                f"e.g. {self.name}(target_accept_prob=0.9), to use it for another"
            )
        bound = copy.copy(self)
        bound.model = model
        return bound

    def start(self, keys, model_args, model_kwargs, init_params) -> Start:
        """Starting points for ``len(keys)`` chains, and the functions they run on.

        Args:
            keys: one PRNG key per chain, ``[chain, 2]``.
            model_args: positional arguments of the model.
            model_kwargs: keyword arguments of the model.
            init_params: constrained starting values ``{site: value}`` (a leading axis of
                length ``len(keys)`` gives each chain its own), the unconstrained pytree
                with ``potential_fn``, or None to use ``init_strategy``.

        Returns:
            A ``Start``: ``positions`` ``[chain, dim]`` (flat, unconstrained), their
            ``log_densities`` ``[chain]`` and ``grads`` ``[chain, dim]``, the
            ``log_density_fn`` and ``postprocess_fn`` (flat position to constrained
            values), and the first run's ``model_trace`` (None with ``potential_fn``).

        Raises:
            ValueError: there is neither a model nor a ``potential_fn``, or
                ``potential_fn`` is given without ``init_params``.
            RuntimeError: no starting point with a finite log density and gradient.
        """
        if self.model is None and self.potential_fn is None:
            raise ValueError(
                f"{self.name} has neither a model nor a potential_fn: write {self.name}(model), "
                f"{self.name}(potential_fn=...), or pass it to Model.fit(method=...)"
            )
        if self.potential_fn is not None:
            return self._start_from_potential(len(keys), init_params)
        if init_params is None:
            param_info, info = initialize_chains(
                keys,
                self.model,
                init_strategy=self.init_strategy,
                model_args=model_args,
                model_kwargs=model_kwargs,
                method=self.name,
            )
            return Start(
                positions=param_info.z,
                log_densities=param_info.log_density,
                grads=param_info.z_grad,
                log_density_fn=info.log_density_fn,
                postprocess_fn=info.postprocess_fn,
                model_trace=info.model_trace,
            )
        # starting values given (perhaps per chain): chain by chain
        num_chains = len(keys)
        infos = []
        for chain, key in enumerate(keys):
            infos.append(
                initialize_model(
                    key,
                    self.model,
                    init_strategy=self.init_strategy,
                    model_args=model_args,
                    model_kwargs=model_kwargs,
                    init_params=_chain_values(init_params, chain, num_chains),
                    method=self.name,
                )
            )
        first = infos[0]
        return Start(
            positions=jnp.stack([info.param_info.z for info in infos]),
            log_densities=jnp.stack([info.param_info.log_density for info in infos]),
            grads=jnp.stack([info.param_info.z_grad for info in infos]),
            log_density_fn=first.log_density_fn,
            postprocess_fn=first.postprocess_fn,
            model_trace=first.model_trace,
        )

    def _start_from_potential(self, num_chains, init_params) -> Start:
        if init_params is None:
            raise ValueError(f"{self.name} with potential_fn needs init_params (the starting point, unconstrained)")
        leaves = jax.tree.leaves(init_params)
        batched = num_chains > 1 and all(np.shape(leaf)[:1] == (num_chains,) for leaf in leaves)
        per_chain = [
            jax.tree.map(lambda leaf: jnp.asarray(leaf)[c] if batched else jnp.asarray(leaf), init_params)
            for c in range(num_chains)
        ]
        flat, unravel = ravel_pytree(per_chain[0])
        flat = flat.astype(jnp.result_type(float))
        positions = jnp.stack([ravel_pytree(p)[0].astype(flat.dtype) for p in per_chain])
        # one wrapper per pytree layout, so reruns find the compiled sampler again
        layout = (jax.tree.structure(per_chain[0]), tuple((np.shape(x), jnp.result_type(x)) for x in jax.tree.leaves(per_chain[0])))
        log_density_fn = _POTENTIAL_DENSITIES.setdefault(
            (self.potential_fn, layout), _PotentialDensity(self.potential_fn, unravel)
        )
        unravel = log_density_fn.unravel
        log_densities, grads = _values_and_grads(log_density_fn, positions)
        for chain, (value, grad) in enumerate(zip(np.asarray(log_densities), np.asarray(grads))):
            if not (np.isfinite(value) and np.all(np.isfinite(grad))):
                raise RuntimeError(
                    f"chain {chain}: potential_fn at init_params is {-float(value)} with "
                    f"{'a finite' if np.all(np.isfinite(grad)) else 'a non-finite'} gradient; "
                    "start from a point where both are finite"
                )
        postprocess = log_density_fn.constrain
        return Start(
            positions=positions,
            log_densities=log_densities,
            grads=grads,
            log_density_fn=log_density_fn,
            postprocess_fn=postprocess,
            model_trace=None,
        )


@eqx.filter_jit
def _values_and_grads(log_density_fn, positions):
    """Log density and gradient at each row of ``positions``."""
    return jax.vmap(jax.value_and_grad(log_density_fn))(positions)


def _chain_values(init_params: dict, chain: int, num_chains: int) -> dict:
    """Chain ``chain``'s values: a leading axis of length ``num_chains`` is per chain."""
    values = {}
    for name, value in init_params.items():
        value = np.asarray(value)
        values[name] = value[chain] if num_chains > 1 and value.ndim >= 1 and value.shape[0] == num_chains else value
    return values


class _HamiltonianSampler(_GradientSampler):
    """``_GradientSampler`` with an integrator: what ``HMC`` and ``NUTS`` share."""

    def __init__(
        self,
        model,
        potential_fn,
        step_size,
        inverse_mass_matrix,
        adapt_step_size,
        adapt_mass_matrix,
        dense_mass,
        target_accept_prob,
        init_strategy,
        integrator,
        regularize_mass_matrix,
        low_rank_mass,
    ):
        super().__init__(
            model, potential_fn, step_size, inverse_mass_matrix, adapt_step_size, adapt_mass_matrix,
            dense_mass, target_accept_prob, init_strategy, regularize_mass_matrix, low_rank_mass,
        )  # fmt: skip
        self.integrator = as_integrator(integrator)

    def attrs(self) -> dict:
        return {**super().attrs(), "integrator": self.integrator.name}


class HMC(_HamiltonianSampler):
    r"""Hamiltonian Monte Carlo with a fixed trajectory length (Neal 2011).

    Each transition draws a momentum :math:`p \sim \mathcal N(0, M)` (:math:`M^{-1}` is
    the inverse mass matrix) and, from :math:`(q_0, p_0) = (q, p)`, takes :math:`L` steps of
    the leapfrog map (velocity Verlet) with step size :math:`\epsilon`,

    .. math::

        p_{n+1/2} = p_n + \tfrac{\epsilon}{2}\,\nabla\log\pi(q_n), \qquad
        q_{n+1} = q_n + \epsilon\, M^{-1} p_{n+1/2}, \qquad
        p_{n+1} = p_{n+1/2} + \tfrac{\epsilon}{2}\,\nabla\log\pi(q_{n+1}),

    (``"mclachlan"`` and ``"yoshida"`` compose more such half steps per step), then accepts
    the end point :math:`(q', p') = (q_L, p_L)` with the Metropolis probability

    .. math::

        \alpha = \min\bigl(1, \exp\bigl(H(q, p) - H(q', p')\bigr)\bigr), \qquad
        H(q, p) = -\log\pi(q) + \tfrac12 p^\top M^{-1} p,

    where :math:`\pi` is the density on the unconstrained space (Jacobians included).
    :math:`L` is ``num_steps``, or
    :math:`\lceil \mathrm{trajectory\_length} / \epsilon \rceil` clipped to
    ``[1, max_num_steps]``, so adapting :math:`\epsilon` keeps the integration time. A transition whose energy error :math:`H(q', p') - H(q, p)`
    exceeds 1000 (or is NaN) is rejected and counted as a divergence.

    Args:
        model: a model function (or ``bm.Model`` instance); or give ``potential_fn``.
        potential_fn: negative log density of an unconstrained pytree (needs
            ``init_params`` in ``MCMC.run``).
        step_size: initial step size :math:`\epsilon` (adapted when ``adapt_step_size``).
        inverse_mass_matrix: initial inverse mass matrix (vector, or matrix with
            ``dense_mass=True``); the identity by default.
        adapt_step_size: adapt the step size during warm-up (dual averaging towards
            ``target_accept_prob``).
        adapt_mass_matrix: estimate the metric (inverse mass matrix) from the warm-up
            draws, in Stan's windows.
        dense_mass: estimate a dense (full) metric instead of a diagonal one.
        target_accept_prob: the acceptance rate dual averaging aims for.
        num_steps: steps per trajectory; if ``None``, ``trajectory_length`` sets it.
        trajectory_length: integration time, default :math:`2\pi`.
        init_strategy: how chains start (``init_to_uniform`` by default).
        integrator: ``"velocity_verlet"`` (default), ``"mclachlan"``, ``"yoshida"`` or an
            ``Integrator``.
        regularize_mass_matrix: shrink the estimated metric towards the identity (Stan).
        max_num_steps: the cap on steps per trajectory when ``num_steps`` is ``None``.
        low_rank_mass: with ``k > 0``, adapt nutpie's low-rank modified metric instead of
            a diagonal one: Stan's diagonal plus up to ``k`` directions estimated from the
            warm-up draws and their gradients (``bayesmodels.adaptation._low_rank``). Off
            (0) by default; not with ``dense_mass``.

    Example:
        >>> import jax, bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0))
        >>> mcmc = bm.infer.MCMC(bm.infer.HMC(model, num_steps=5), num_warmup=300, num_samples=500,
        ...                      progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0))
        >>> mcmc.get_samples()["x"].shape
        (500,)
    """

    name = "HMC"

    def __init__(
        self,
        model=None,
        *,
        potential_fn=None,
        step_size=1.0,
        inverse_mass_matrix=None,
        adapt_step_size=True,
        adapt_mass_matrix=True,
        dense_mass=False,
        target_accept_prob=0.8,
        num_steps=None,
        trajectory_length=2 * math.pi,
        init_strategy=init_to_uniform,
        integrator="velocity_verlet",
        regularize_mass_matrix=True,
        max_num_steps=1024,
        low_rank_mass=0,
    ):
        super().__init__(
            model, potential_fn, step_size, inverse_mass_matrix, adapt_step_size, adapt_mass_matrix,
            dense_mass, target_accept_prob, init_strategy, integrator, regularize_mass_matrix, low_rank_mass,
        )  # fmt: skip
        if num_steps is not None and not (isinstance(num_steps, (int, np.integer)) and num_steps >= 1):
            raise ValueError(f"HMC: num_steps must be a positive integer, got {num_steps!r}")
        if num_steps is None and not (trajectory_length is not None and float(trajectory_length) > 0):
            raise ValueError(f"HMC: trajectory_length must be positive, got {trajectory_length!r}")
        self.num_steps = None if num_steps is None else int(num_steps)
        self.trajectory_length = None if num_steps is not None else float(trajectory_length)
        self.max_num_steps = int(max_num_steps)

    def kernel(self, log_density_fn) -> HMCKernel:
        """The transition on a flat log density, with this sampler's trajectory settings.

        Args:
            log_density_fn: ``position -> log density`` on the flat unconstrained vector.

        Returns:
            An ``HMCKernel`` (``bayesmodels.kernels``) with ``num_steps`` or
            ``trajectory_length``, ``max_num_steps`` and the integrator.
        """
        return HMCKernel(
            log_density_fn,
            num_steps=self.num_steps,
            trajectory_length=self.trajectory_length,
            max_num_steps=self.max_num_steps,
            integrator=self.integrator,
        )

    def attrs(self) -> dict:
        extra = {"num_steps": self.num_steps} if self.num_steps else {"trajectory_length": self.trajectory_length}
        return {**super().attrs(), **extra}


class NUTS(_HamiltonianSampler):
    r"""The No-U-Turn Sampler: multinomial NUTS with the generalised U-turn criterion
    (Hoffman & Gelman 2014; Betancourt 2017).

    Each transition draws :math:`p \sim \mathcal N(0, M)` and builds a trajectory of
    leapfrog points :math:`(q_i, p_i)` (the map of ``HMC``) by doubling: at depth :math:`d`
    a sub-tree of :math:`2^d` steps is added forwards or backwards in time (a fair coin).
    With :math:`\rho = \sum_i p_i` the summed momentum of a (sub-)trajectory and
    :math:`p^\sharp_\pm = M^{-1} p_\pm` the velocities at its two ends, it keeps growing
    while the generalised no-U-turn criterion holds,

    .. math::

        p^\sharp_{-} \cdot \rho > 0 \quad\text{and}\quad p^\sharp_{+} \cdot \rho > 0,

    checked on every balanced sub-tree and across the seams between halves (as Stan
    does). It stops at a U-turn, at a divergence (an energy error
    :math:`H(q_i, p_i) - H(q, p)` above 1000) or after ``max_tree_depth`` doublings
    (``2**max_tree_depth - 1`` steps). The draw is multinomial over the trajectory's points,

    .. math::

        P(q' = q_i) \propto w_i = \exp\bigl(-H(q_i, p_i)\bigr), \qquad
        H(q, p) = -\log\pi(q) + \tfrac12 p^\top M^{-1} p,

    sampled progressively within each sub-tree and, at each merge, biased towards the new
    sub-tree (its point replaces the current one with probability
    :math:`\min(1, W_\text{new} / W_\text{old})`, :math:`W` the summed weights), as in
    Stan. The statistic the step-size adaptation aims at ``target_accept_prob`` is the mean
    of :math:`\min(1, e^{H(q, p) - H(q_i, p_i)})` over the points built. See
    ``bayesmodels.kernels.NUTSKernel``.

    Args:
        model: a model function (or ``bm.Model`` instance); or give ``potential_fn``.
        potential_fn: negative log density of an unconstrained pytree (needs
            ``init_params`` in ``MCMC.run``).
        step_size: initial step size :math:`\epsilon` (adapted when ``adapt_step_size``).
        inverse_mass_matrix: initial inverse mass matrix (vector, or matrix with
            ``dense_mass=True``); the identity by default.
        adapt_step_size: adapt the step size during warm-up (dual averaging towards
            ``target_accept_prob``).
        adapt_mass_matrix: estimate the metric (inverse mass matrix) from the warm-up
            draws, in Stan's windows.
        dense_mass: estimate a dense (full) metric instead of a diagonal one.
        target_accept_prob: the acceptance statistic dual averaging aims for.
        max_tree_depth: at most ``max_tree_depth`` doublings, so ``2**max_tree_depth - 1``
            integrator steps per draw.
        init_strategy: how chains start (``init_to_uniform`` by default).
        integrator: ``"velocity_verlet"`` (default), ``"mclachlan"``, ``"yoshida"``.
        regularize_mass_matrix: shrink the estimated metric towards the identity (Stan).
        low_rank_mass: with ``k > 0``, adapt nutpie's low-rank modified metric instead of
            a diagonal one: Stan's diagonal plus up to ``k`` directions (those whose variance
            differs most from the diagonal's) estimated from the warm-up draws and their
            gradients. Costs :math:`O(k\,\mathrm{dim})` per step. Off (0) by default; not
            with ``dense_mass``.

    Example:
        >>> import jax, bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0))
        >>> mcmc = bm.infer.MCMC(bm.infer.NUTS(model), num_warmup=300, num_samples=500, progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0))
        >>> mcmc.get_samples()["x"].shape
        (500,)
    """

    name = "NUTS"

    def __init__(
        self,
        model=None,
        *,
        potential_fn=None,
        step_size=1.0,
        inverse_mass_matrix=None,
        adapt_step_size=True,
        adapt_mass_matrix=True,
        dense_mass=False,
        target_accept_prob=0.8,
        max_tree_depth=10,
        init_strategy=init_to_uniform,
        integrator="velocity_verlet",
        regularize_mass_matrix=True,
        low_rank_mass=0,
    ):
        super().__init__(
            model, potential_fn, step_size, inverse_mass_matrix, adapt_step_size, adapt_mass_matrix,
            dense_mass, target_accept_prob, init_strategy, integrator, regularize_mass_matrix, low_rank_mass,
        )  # fmt: skip
        if not (isinstance(max_tree_depth, (int, np.integer)) and 1 <= max_tree_depth <= 30):
            raise ValueError(f"NUTS: max_tree_depth must be an integer in [1, 30], got {max_tree_depth!r}")
        self.max_tree_depth = int(max_tree_depth)

    def kernel(self, log_density_fn) -> NUTSKernel:
        """The transition on a flat log density, with this sampler's tree settings.

        Args:
            log_density_fn: ``position -> log density`` on the flat unconstrained vector.

        Returns:
            A ``NUTSKernel`` (``bayesmodels.kernels``) with ``max_tree_depth`` and the
            integrator.
        """
        return NUTSKernel(log_density_fn, max_tree_depth=self.max_tree_depth, integrator=self.integrator)

    def attrs(self) -> dict:
        return {**super().attrs(), "max_tree_depth": self.max_tree_depth}
