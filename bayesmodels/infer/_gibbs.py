r"""``HMCGibbs`` and ``DiscreteHMCGibbs``: HMC or NUTS within Gibbs, as users name them
(NumPyro's names and arguments).

Each iteration first updates the Gibbs sites :math:`x_g` given everything else, then
takes one step of the inner ``HMC``/``NUTS`` on the other latent sites :math:`x_c` with
:math:`x_g` fixed:

.. math::

    x_g' \sim \pi(x_g \mid x_c, y) \ \text{(or an update leaving it invariant)}, \qquad
    x_c' \sim K_{\text{HMC}}\bigl(\cdot \mid x_c;\ \pi(x_c \mid x_g', y)\bigr).

Settings of the inner sampler (step size, ``target_accept_prob``, ``dense_mass``,
``max_tree_depth``, ``init_strategy``) are used as they are; warm-up adapts the step size
and the metric of the continuous sites.
"""

from __future__ import annotations

import copy

import equinox as eqx
import jax.numpy as jnp

from .._logdensity._discrete import MixedDensity, initialize_gibbs_chains
from ..kernels import KernelParams
from ..kernels._gibbs import DiscreteGibbsUpdate, GibbsKernel
from ._samplers import Start, _chain_values

__all__ = ["DiscreteHMCGibbs", "HMCGibbs"]


class _UserGibbsUpdate(eqx.Module):
    """The user's ``gibbs_fn`` on flat positions: constrained values in, raveled values out."""

    gibbs_fn: object = eqx.field(static=True)
    density: MixedDensity

    def __call__(self, key, position, log_density_fn):
        layout = self.density.layout
        gibbs = layout.gibbs_values(position)
        hmc_sites = self.density.continuous_sites(position)
        new = self.gibbs_fn(rng_key=key, gibbs_sites=gibbs, hmc_sites=hmc_sites)
        if not isinstance(new, dict) or set(new) != set(gibbs):
            got = sorted(new) if isinstance(new, dict) else type(new).__name__
            raise ValueError(
                f"HMCGibbs: gibbs_fn must return a dict with exactly the gibbs_sites {sorted(gibbs)}, got {got}"
            )
        block = layout.ravel_gibbs(new, position.dtype)
        return jnp.concatenate([position[: layout.continuous_size], block])


class _WithinGibbs:
    """What the two samplers share: the inner sampler, starts, metric, kernel."""

    name = "HMCGibbs"

    def __init__(self, inner_kernel):
        if not (hasattr(inner_kernel, "kernel") and hasattr(inner_kernel, "adaptation")):
            raise ValueError(f"{self.name}: inner_kernel must be an HMC or NUTS sampler, e.g. NUTS(model); got {inner_kernel!r}")
        if getattr(inner_kernel, "potential_fn", None) is not None:
            raise ValueError(f"{self.name} needs a model to find its Gibbs sites: build the inner sampler with a model, not a potential_fn")
        if getattr(inner_kernel, "low_rank_mass", 0):
            raise ValueError(
                f"{self.name}: the inner sampler has low_rank_mass={inner_kernel.low_rank_mass}, but within Gibbs "
                "only a diagonal or dense metric of the continuous sites is adapted; use low_rank_mass=0"
            )
        self.inner_kernel = inner_kernel
        self._num_continuous = None

    @property
    def model(self):
        """The model, the inner sampler's (None when it was configured without one)."""
        return self.inner_kernel.model

    def _gibbs_sites(self):
        """Names of the Gibbs sites, or None for every discrete latent site."""
        raise NotImplementedError

    def start(self, keys, model_args, model_kwargs, init_params) -> Start:
        """Starting points for ``len(keys)`` chains: the continuous sites first, then the
        Gibbs sites, in one flat vector.

        Args:
            keys: one PRNG key per chain, ``[chain, 2]``.
            model_args: positional arguments of the model.
            model_kwargs: keyword arguments of the model.
            init_params: constrained starting values ``{site: value}`` (a leading axis of
                length ``len(keys)`` gives each chain its own), or None to use the inner
                sampler's ``init_strategy``.

        Returns:
            A ``Start`` whose ``log_density_fn`` is the mixed density over
            ``[continuous | gibbs]`` and whose ``positions`` are ``[chain, dim]``.

        Raises:
            ValueError: the inner sampler has no model.
        """
        if self.model is None:
            raise ValueError(
                f"{self.name}'s inner sampler has no model: write {self.name}(NUTS(model), ...), or pass the "
                "sampler to Model.fit(method=...)"
            )
        per_chain = None
        if init_params is not None:
            per_chain = [_chain_values(init_params, c, len(keys)) for c in range(len(keys))]
        starts, density, model_trace = initialize_gibbs_chains(
            keys,
            self.model,
            gibbs_sites=self._gibbs_sites(),
            init_strategy=self.inner_kernel.init_strategy,
            model_args=model_args,
            model_kwargs=model_kwargs,
            init_params=per_chain,
            method=self.name,
        )
        self._num_continuous = density.layout.continuous_size
        return Start(starts.z, starts.log_density, starts.z_grad, density, density.constrain, model_trace)

    def initial_params(self, dim: int, dtype) -> KernelParams:
        """The inner sampler's parameters for the continuous sites, padded with the
        identity over the Gibbs coordinates (which the kernel never uses).

        Args:
            dim: length of the flat position (continuous and Gibbs coordinates).
            dtype: floating dtype of the positions.

        Returns:
            ``KernelParams(step_size, inverse_mass_matrix)`` with an inverse mass matrix of
            size ``dim`` (``[dim]``, or ``[dim, dim]`` for a dense metric).
        """
        continuous = self._num_continuous if self._num_continuous is not None else dim
        step_size, metric = self.inner_kernel.initial_params(continuous, dtype)
        extra = dim - continuous
        if metric.ndim == 1:
            metric = jnp.concatenate([metric, jnp.ones(extra, dtype)])
        else:
            metric = jnp.block(
                [[metric, jnp.zeros((continuous, extra), dtype)], [jnp.zeros((extra, continuous), dtype), jnp.eye(extra, dtype=dtype)]]
            )
        return KernelParams(step_size, metric)

    def adaptation(self):
        """The inner sampler's warm-up (step size and metric of the continuous sites).

        Returns:
            The inner sampler's ``WindowAdaptation``.
        """
        return self.inner_kernel.adaptation()

    def _update(self, density: MixedDensity):
        raise NotImplementedError

    def kernel(self, log_density_fn) -> GibbsKernel:
        """The transition: a Gibbs update of the Gibbs sites, then one step of the inner
        kernel on the continuous sites.

        Args:
            log_density_fn: the mixed density from ``start`` (its ``layout`` says which
                coordinates are continuous).

        Returns:
            A ``GibbsKernel`` (``bayesmodels.kernels``).
        """
        return GibbsKernel(
            log_density_fn,
            inner=self.inner_kernel.kernel(log_density_fn),
            update=self._update(log_density_fn),
            num_continuous=log_density_fn.layout.continuous_size,
        )

    def attrs(self) -> dict:
        """Settings worth keeping with the result (its ``attrs``).

        Returns:
            The inner sampler's ``attrs`` with ``"sampler"`` set to this sampler's name,
            ``"inner_sampler"`` to the inner one's, and this sampler's own settings.
        """
        return {**self.inner_kernel.attrs(), "sampler": self.name, "inner_sampler": self.inner_kernel.name}

    def with_model(self, model):
        """A copy of this sampler, with the same settings, for ``model``.

        Args:
            model: the model function (or ``bm.Model`` instance) to sample.

        Returns:
            A shallow copy whose inner sampler is ``inner_kernel.with_model(model)``.

        Raises:
            ValueError: the inner sampler already samples another model.
        """
        bound = copy.copy(self)
        bound.inner_kernel = self.inner_kernel.with_model(model)
        return bound


class HMCGibbs(_WithinGibbs):
    r"""HMC/NUTS within Gibbs, with the Gibbs step written by the user (NumPyro's ``HMCGibbs``).

    Each iteration updates the Gibbs sites :math:`x_g` with ``gibbs_fn`` (:math:`g`
    below, which must leave :math:`\pi(x_g \mid x_c, y)` invariant), then takes one step
    of the inner sampler on the other latent sites :math:`x_c` with :math:`x_g` fixed:

    .. math::

        x_g' = g(x_g, x_c), \qquad
        x_c' \sim K_{\text{HMC}}\bigl(\cdot \mid x_c;\ \pi(x_c \mid x_g', y)\bigr).

    Args:
        inner_kernel: ``HMC(model, ...)`` or ``NUTS(model, ...)``; it moves every latent
            site not in ``gibbs_sites``.
        gibbs_fn: ``gibbs_fn(rng_key, gibbs_sites, hmc_sites) -> dict`` (called with
            keywords): new values of the Gibbs sites given their current values and the
            (constrained) values of the other latent sites. It must leave the conditional
            :math:`\pi(x_g \mid x_c, y)` invariant, e.g. draw from it exactly; it runs inside
            compiled code, so write it with ``jax.numpy`` and ``jax.random``.
        gibbs_sites: names of the sites ``gibbs_fn`` updates (discrete or continuous; their
            values are used as given, untransformed).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import MCMC, NUTS
        >>> from bayesmodels.infer._gibbs import HMCGibbs
        >>> def model():
        ...     x = bm.sample("x", dist.Normal(0.0, 1.0))
        ...     bm.sample("y", dist.Normal(x, 1.0))
        >>> def gibbs_fn(rng_key, gibbs_sites, hmc_sites):  # y | x ~ Normal(x, 1)
        ...     return {"y": hmc_sites["x"] + jax.random.normal(rng_key)}
        >>> mcmc = MCMC(HMCGibbs(NUTS(model), gibbs_fn, ["y"]), num_warmup=200, num_samples=1000,
        ...             progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0))
        >>> mcmc.get_samples()["y"].shape
        (1000,)
    """

    name = "HMCGibbs"

    def __init__(self, inner_kernel, gibbs_fn, gibbs_sites):
        super().__init__(inner_kernel)
        if not callable(gibbs_fn):
            raise ValueError(f"HMCGibbs: gibbs_fn must be callable (rng_key, gibbs_sites, hmc_sites) -> dict, got {gibbs_fn!r}")
        if isinstance(gibbs_sites, str) or not all(isinstance(s, str) for s in gibbs_sites) or not gibbs_sites:
            raise ValueError(f"HMCGibbs: gibbs_sites must be a non-empty list of site names, got {gibbs_sites!r}")
        self.gibbs_fn = gibbs_fn
        self.gibbs_sites = tuple(gibbs_sites)

    def _gibbs_sites(self):
        return self.gibbs_sites

    def _update(self, density):
        return _UserGibbsUpdate(self.gibbs_fn, density)


class DiscreteHMCGibbs(_WithinGibbs):
    r"""HMC/NUTS within Gibbs for models with discrete latent sites (NumPyro's
    ``DiscreteHMCGibbs``).

    Each iteration sweeps over every scalar of every discrete latent site in a random
    order, updating it given all the others (over its enumerated support
    :math:`v_1, \dots, v_K`, ``enumerate_support``), then takes one inner HMC/NUTS step on
    the continuous sites :math:`x_c`. For the scalar :math:`x_{d,j}` the conditional
    probability of the :math:`k`-th support value is

    .. math::

        \pi_k = \frac{\pi(x_{d,j} = v_k,\ x_{d,-j},\ x_c \mid y)}
                     {\sum_{l=1}^{K} \pi(x_{d,j} = v_l,\ x_{d,-j},\ x_c \mid y)};

    with :math:`c` the index of the current value:

    - ``random_walk=False, modified=False``: draw from :math:`\pi` (exact Gibbs);
    - ``modified=True``: Metropolised Gibbs (Liu 1996), propose :math:`k \ne c` with
      probability :math:`\pi_k / (1 - \pi_c)`, accept with
      :math:`\min(1, (1 - \pi_c)/(1 - \pi_k))`; it mixes faster than Gibbs;
    - ``random_walk=True``: Metropolis with a uniform proposal on the support (on the other
      values with ``modified=True``), accepted with :math:`\min(1, \pi_k / \pi_c)`; one
      density evaluation per update instead of one per support value.

    Args:
        inner_kernel: ``HMC(model, ...)`` or ``NUTS(model, ...)`` (its ``init_strategy``
            starts discrete sites at a prior draw, for ``init_to_uniform``).
        random_walk: propose uniformly on the support and accept by Metropolis (see
            above) instead of enumerating the conditional.
        modified: Metropolised Gibbs (with ``random_walk``: a uniform proposal over the
            other support values).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import MCMC, NUTS
        >>> from bayesmodels.infer._gibbs import DiscreteHMCGibbs
        >>> def model():
        ...     z = bm.sample("z", dist.Bernoulli(0.3))
        ...     bm.sample("x", dist.Normal(z, 1.0))
        >>> mcmc = MCMC(DiscreteHMCGibbs(NUTS(model)), num_warmup=200, num_samples=1000, progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0))
        >>> mcmc.get_samples()["z"].dtype
        dtype('int32')
    """

    name = "DiscreteHMCGibbs"

    def __init__(self, inner_kernel, random_walk: bool = False, modified: bool = False):
        super().__init__(inner_kernel)
        self.random_walk = bool(random_walk)
        self.modified = bool(modified)

    def _gibbs_sites(self):
        return None

    def _update(self, density):
        return DiscreteGibbsUpdate(
            density.layout.continuous_size,
            density.support_values,
            density.support_sizes,
            random_walk=self.random_walk,
            modified=self.modified,
        )

    def attrs(self) -> dict:
        return {**super().attrs(), "random_walk": self.random_walk, "modified": self.modified}
