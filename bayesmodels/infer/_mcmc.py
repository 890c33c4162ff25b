r"""``MCMC``: run a sampler's chains, with warm-up, and hand back the draws.

The run is one compiled program per (model, settings, data shapes): blocks of iterations
are advanced by the same compiled call (:mod:`._chains`), so a second ``run`` — on this
object or a new ``MCMC`` with the same model — with data of the same shapes compiles
nothing. Draws come back to the host block by block, which also drives the progress
bar.
"""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from .._logdensity._predictive import log_likelihood as pointwise_log_likelihood
from ..results import InferenceResult, SamplingWarning, diagnostic_messages
from ._chains import BLOCK, ChainState, advance, chain_mesh, iteration_flags, shard_chains
from ._dims import site_dims

__all__ = ["MCMC", "MCMCState"]

CHAIN_METHODS = ("auto", "sequential", "vectorized", "parallel")

# NumPyro's extra_fields names -> ours (ArviZ's)
_FIELD_ALIASES = {
    "num_steps": "n_steps",
    "accept_prob": "acceptance_rate",
    "mean_accept_prob": "acceptance_rate",
    "adapt_state.step_size": "step_size",
    "potential_energy": "potential_energy",
}


class MCMCState(NamedTuple):
    """What continuing a run needs: every chain's state and adaptation, fresh per-chain
    keys, and how many iterations have run (so keys never repeat).

    ``MCMC.last_state`` gives one; set ``mcmc.post_warmup_state`` to it to continue.

    Args:
        chain: every chain's kernel state (position, log density, gradient; leading axis
            ``[chain]``) and warm-up state (adapted step size and metric).
        rng_key: one key per chain, ``[chain, 2]``.
        iteration: the number of iterations run so far (warm-up included).
    """

    chain: ChainState
    rng_key: jax.Array  # [chain, key]
    iteration: int


def _as_key(rng_key):
    if isinstance(rng_key, (int, np.integer)):
        return jax.random.PRNGKey(int(rng_key))
    return jnp.asarray(rng_key)


def _positive_int(name, value, minimum):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"MCMC: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@functools.partial(jax.jit, static_argnums=1)
def _init_and_chain_keys(rng_key, num_chains: int):
    """Each chain's key for its starting point and for its iterations (``[chain, 2]``
    each), from one key or from one key per chain."""
    chain_keys = rng_key if rng_key.ndim == 2 else jax.random.split(rng_key, num_chains)
    init_keys, iteration_keys = jnp.swapaxes(jax.vmap(jax.random.split)(chain_keys), 0, 1)
    return init_keys, iteration_keys


@jax.jit
def _next_keys(chain_keys, iteration):
    """Fresh per-chain keys for a run that continues at ``iteration``."""
    return jax.vmap(lambda key: jax.random.fold_in(key, iteration))(chain_keys)


@eqx.filter_jit
def _initial_carry(kernel, adaptation, params, positions, log_densities, grads) -> ChainState:
    """Every chain's state at its starting point, with a fresh warm-up state."""
    num_chains = positions.shape[0]
    warmup_state = jax.tree.map(lambda x: jnp.broadcast_to(x, (num_chains,) + x.shape), adaptation.init(params))
    return ChainState(jax.vmap(kernel.initial_state)(positions, log_densities, grads), warmup_state)


@eqx.filter_jit
def _constrain_draws(postprocess_fn, positions):
    return jax.vmap(postprocess_fn)(positions)


class MCMC:
    r"""Markov chain Monte Carlo with a kernel such as ``NUTS`` or ``HMC``.

    Each chain runs ``num_warmup`` iterations of the sampler's transition while its step
    size and metric adapt (for the samplers that have them; the draws are dropped), then ``num_samples`` with the adapted
    settings fixed, keeping every ``thinning``-th. The draws are mapped from the flat
    unconstrained space back to each site's support.

    Args:
        sampler: ``NUTS(model, ...)``, ``HMC(model, ...)``, or another sampler of
            ``bayesmodels.infer`` (``BarkerMH``, ``SA``, ``HMCGibbs``,
            ``DiscreteHMCGibbs``, ``MixedHMC``).
        num_warmup: warm-up (adaptation) iterations per chain, discarded from the draws.
        num_samples: draws kept per chain (before thinning).
        num_chains: independent chains.
        thinning: keep every ``thinning``-th draw.
        chain_method: ``"vectorized"`` (all chains in one ``vmap``), ``"sequential"`` (one
            chain after another, one compiled program), ``"parallel"`` (chains split over
            devices; a device with one chain runs it without ``vmap``), or ``"auto"``:
            parallel when there are several devices, else vectorized. On a CPU,
            ``import bayesmodels`` exposes one device per core, at least 4
            (``BAYESMODELS_HOST_DEVICES`` or ``bm.set_host_device_count`` change that).
        progress_bar: show tqdm bars (warm-up and sampling, divergences so far).
        jit_model_args: accepted for NumPyro compatibility; array arguments are always
            passed to the compiled sampler as arguments, so new data of the same shapes
            never recompiles.

    Each chain's random numbers depend only on ``rng_key`` and its index, not on the
    chain method. To continue sampling without warm-up, set
    ``mcmc.post_warmup_state = mcmc.last_state`` and call ``run`` again.

    Example:
        >>> import jax, bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import MCMC, NUTS
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0))
        >>> mcmc = MCMC(NUTS(model), num_warmup=200, num_samples=400, num_chains=2,
        ...             chain_method="vectorized", progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0), extra_fields=("accept_prob",))
        >>> mcmc.get_samples(group_by_chain=True)["x"].shape
        (2, 400)
        >>> mcmc.get_extra_fields()["accept_prob"].shape
        (800,)
    """

    def __init__(
        self,
        sampler,
        *,
        num_warmup,
        num_samples,
        num_chains=1,
        thinning=1,
        chain_method="auto",
        progress_bar=True,
        jit_model_args=False,
    ):
        if not (hasattr(sampler, "start") and hasattr(sampler, "kernel")):
            raise ValueError(f"MCMC: sampler must be a sampler such as NUTS(model) or HMC(model), got {sampler!r}")
        self.sampler = sampler
        self.num_warmup = _positive_int("num_warmup", num_warmup, 0)
        self.num_samples = _positive_int("num_samples", num_samples, 1)
        self.num_chains = _positive_int("num_chains", num_chains, 1)
        self.thinning = _positive_int("thinning", thinning, 1)
        if self.thinning > self.num_samples:
            raise ValueError(f"MCMC: thinning={thinning} keeps no draw out of num_samples={num_samples}")
        if chain_method not in CHAIN_METHODS:
            raise ValueError(f"MCMC: chain_method must be one of {CHAIN_METHODS}, got {chain_method!r}")
        self.chain_method = chain_method
        self.progress_bar = bool(progress_bar)
        self.jit_model_args = bool(jit_model_args)
        self.post_warmup_state = None
        self._last = None
        self._run = None
        self._method_used = None

    @property
    def last_state(self):
        """The ``MCMCState`` at the end of the last run (``None`` before any): set
        ``post_warmup_state`` to it to continue sampling."""
        if self._last is None:
            return None
        carry, chain_keys, iteration = self._last
        return MCMCState(carry, _next_keys(chain_keys, iteration), iteration)

    # -- running ---------------------------------------------------------------------------

    def warmup(self, rng_key, *args, extra_fields=(), collect_warmup=False, init_params=None, **kwargs) -> None:
        """Run warm-up only and keep its end in ``post_warmup_state`` (NumPyro's API).

        A later ``run`` then continues from there without warming up again. Warm-up
        always starts afresh (an earlier ``post_warmup_state`` is dropped).

        Args:
            rng_key: a ``jax.random.PRNGKey`` (or an int seed), or one key per chain.
            *args: positional arguments passed to the model.
            extra_fields: sampler statistics to keep, as in ``run``.
            collect_warmup: keep the warm-up draws as the samples (``get_samples`` then
                returns them, ``num_warmup`` per chain, unthinned).
            init_params: constrained starting values ``{site: value}``, as in ``run``.
            **kwargs: keyword arguments passed to the model.

        Raises:
            ValueError: ``num_warmup`` is 0, or ``extra_fields`` names an unknown field.
        """
        self.post_warmup_state = None  # warm up afresh, as NumPyro does
        run = self._sample(rng_key, args, kwargs, extra_fields, init_params, phase="warmup")
        self.post_warmup_state = self.last_state
        if collect_warmup:
            self._run = run

    def run(self, rng_key, *args, extra_fields=(), init_params=None, **kwargs) -> None:
        """Warm up (unless continuing from ``post_warmup_state``) and draw ``num_samples``.

        The draws are kept on this object (``get_samples``, ``get_extra_fields``,
        ``to_result``); a ``SamplingWarning`` is issued for high r-hat, low ESS,
        divergences or a saturated tree depth.

        Args:
            rng_key: a ``jax.random.PRNGKey`` (or an int seed); per-chain keys are split
                from it. ``last_state.rng_key`` (one key per chain) also works.
            *args: positional arguments passed to the model.
            **kwargs: keyword arguments passed to the model.
            extra_fields: sampler statistics to keep beyond the defaults, NumPyro's names
                (``"num_steps"``, ``"accept_prob"``, ``"potential_energy"``, ...) or
                ArviZ's (``"n_steps"``, ``"acceptance_rate"``, ``"lp"``, ...).
            init_params: constrained starting values ``{site: value}`` (a leading axis of
                length ``num_chains`` gives each chain its own). NumPyro takes
                unconstrained values here; with a model we take constrained ones, which is
                what users have at hand. With ``potential_fn``: the unconstrained pytree.

        Raises:
            ValueError: ``extra_fields`` names an unknown field, the number of keys is not
                ``num_chains``, ``init_params`` is given while continuing from
                ``post_warmup_state``, or that state does not match this run's shapes.
            RuntimeError: a chain finds no starting point with a finite log density.
        """
        self._run = self._sample(rng_key, args, kwargs, extra_fields, init_params, phase="sample")
        self._warn()

    def _sample(self, rng_key, args, kwargs, extra_fields, init_params, phase):
        extra_fields = self._check_extra_fields(extra_fields)
        sampler = self.sampler
        continuing = self.post_warmup_state is not None
        init_keys, chain_keys = _init_and_chain_keys(self._check_keys(_as_key(rng_key)), self.num_chains)
        if continuing:
            if init_params is not None:
                raise ValueError("MCMC.run: init_params cannot be given when continuing from post_warmup_state")
            start = sampler.start(np.asarray(init_keys)[:1], args, kwargs, None)
            carry, first_index = self.post_warmup_state.chain, self.post_warmup_state.iteration
            if carry.state.position.shape != (self.num_chains, start.positions.shape[1]):
                raise ValueError(
                    f"MCMC.run: post_warmup_state holds positions of shape {carry.state.position.shape}, "
                    f"but this run has {self.num_chains} chains of {start.positions.shape[1]} dimensions"
                )
            num_warmup = 0
        else:
            start = sampler.start(np.asarray(init_keys), args, kwargs, init_params)
            params = sampler.initial_params(start.positions.shape[1], start.positions.dtype)
            kernel = sampler.kernel(start.log_density_fn)
            carry = _initial_carry(
                kernel, sampler.adaptation(), params, start.positions, start.log_densities, start.grads
            )
            first_index, num_warmup = 0, self.num_warmup
        num_samples = self.num_samples if phase == "sample" else 0
        if num_warmup + num_samples == 0:
            raise ValueError("MCMC.warmup: num_warmup is 0, so there is nothing to run")
        kernel = sampler.kernel(start.log_density_fn)
        adaptation = sampler.adaptation()
        blocks = iteration_flags(adaptation.schedule(num_warmup), first_index, num_warmup, num_samples)
        carry, outputs = self._run_chains(kernel, adaptation, chain_keys, carry, blocks, num_warmup, num_samples)
        self._last = (carry, chain_keys, first_index + num_warmup + num_samples)
        return _Run(self, start, outputs, num_warmup, args, kwargs, extra_fields, phase)

    def _check_keys(self, rng_key):
        """One key, or one per chain."""
        shape = jnp.shape(rng_key)
        if len(shape) == 2 and shape[0] != self.num_chains:
            raise ValueError(f"MCMC.run: got {shape[0]} keys for {self.num_chains} chains")
        return rng_key

    def _resolved_chain_method(self) -> tuple:
        """(method, number of devices) actually used."""
        devices = jax.local_device_count()
        method = self.chain_method
        if method == "auto":
            method = "parallel" if devices > 1 and self.num_chains > 1 else "vectorized"
        if method == "parallel":
            used = max(d for d in range(1, min(devices, self.num_chains) + 1) if self.num_chains % d == 0)
            if used == 1:
                if self.chain_method == "parallel":
                    warnings.warn(
                        f"chain_method='parallel' with {devices} device(s) and {self.num_chains} chains: "
                        "running the chains vectorized on one device (bm.set_host_device_count(n) before "
                        "JAX starts gives n CPU devices)",
                        UserWarning,
                        stacklevel=4,
                    )
                return "vectorized", 1
            return "parallel", used
        return method, 1

    def _run_chains(self, kernel, adaptation, chain_keys, carry, blocks, num_warmup, num_samples):
        method, devices = self._resolved_chain_method()
        self._method_used = method
        mesh = chain_mesh(devices) if method == "parallel" else None
        groups = [[c] for c in range(self.num_chains)] if method == "sequential" else [list(range(self.num_chains))]
        if len(groups) == 1:
            return self._run_group(kernel, adaptation, chain_keys, carry, blocks, num_warmup, num_samples, mesh, "")
        finals, collected = [], []
        for group in groups:
            index = np.asarray(group)
            group_carry = jax.tree.map(lambda x: x[index], carry)
            label = f"chain {group[0] + 1}/{self.num_chains} "
            group_carry, outputs = self._run_group(
                kernel, adaptation, chain_keys[index], group_carry, blocks, num_warmup, num_samples, mesh, label
            )
            finals.append(group_carry)
            collected.append(outputs)
        carry = jax.tree.map(lambda *xs: jnp.concatenate(xs), *finals)
        outputs = jax.tree.map(lambda *xs: np.concatenate(xs), *collected)
        return carry, outputs

    def _run_group(self, kernel, adaptation, chain_keys, carry, blocks, num_warmup, num_samples, mesh, label):
        """Advance the chains block by block. Each block is dispatched before the previous
        one's draws are copied to the host, so the devices never wait for the host (nor,
        in parallel, for each other: a device starts its next block as soon as its own
        chains finish); at most two blocks of draws are on the devices at a time."""
        total = num_warmup + num_samples
        bar = tqdm(total=total, disable=not self.progress_bar, desc=f"{label}warmup" if num_warmup else f"{label}sample")
        pieces, progress = [], {"done": 0, "divergences": 0}
        if mesh is not None:
            chain_keys, carry = shard_chains((chain_keys, carry), mesh)

        def collect(outputs):
            outputs = jax.tree.map(np.asarray, outputs)  # waits for the block
            pieces.append(outputs)
            done = progress["done"]
            steps = min(BLOCK, total - done)
            after_warmup = np.arange(done, done + steps) >= num_warmup
            progress["divergences"] += int(outputs[1].diverging[:, :steps][:, after_warmup].sum())
            progress["done"] = done + steps
            if self.progress_bar:
                bar.set_description(f"{label}{'warmup' if progress['done'] < num_warmup else 'sample'}")
                bar.set_postfix(divergences=progress["divergences"], refresh=False)
                bar.update(steps)

        try:
            pending = None
            for flags in blocks:
                carry, outputs = advance(kernel, adaptation, chain_keys, carry, flags, mesh)
                if pending is not None:
                    collect(pending)
                pending = outputs
            collect(pending)
        finally:
            bar.close()
        outputs = jax.tree.map(lambda *xs: np.concatenate(xs, axis=1)[:, :total], *pieces)
        return carry, outputs

    def _check_extra_fields(self, extra_fields) -> tuple:
        if isinstance(extra_fields, str):
            extra_fields = (extra_fields,)
        known = set(_FIELD_ALIASES) | {"diverging", "energy", "lp", "tree_depth", "n_steps", "acceptance_rate", "step_size", "z"}
        unknown = [f for f in extra_fields if f not in known]
        if unknown:
            raise ValueError(f"MCMC.run: unknown extra_fields {unknown}; available: {sorted(known)}")
        return tuple(extra_fields)

    # -- results ---------------------------------------------------------------------------

    def _require_run(self) -> _Run:
        if self._run is None:
            raise RuntimeError("MCMC has no draws yet: call mcmc.run(rng_key, *args) first")
        return self._run

    def get_samples(self, group_by_chain: bool = False) -> dict:
        """The draws of the last run, in each site's support.

        Args:
            group_by_chain: keep a leading chain axis instead of concatenating the chains.

        Returns:
            ``{site: array}`` for the latent and deterministic sites, each
            ``[num_chains * draws, *site_shape]``, or ``[num_chains, draws, *site_shape]``
            with ``group_by_chain`` (``draws`` is ``num_samples // thinning``).

        Raises:
            RuntimeError: nothing has been run yet.
        """
        return self._require_run().samples(group_by_chain)

    def get_extra_fields(self, group_by_chain: bool = False) -> dict:
        """The sampler statistics asked for in ``run`` (``extra_fields``), and ``diverging``.

        Args:
            group_by_chain: keep a leading chain axis instead of concatenating the chains.

        Returns:
            ``{field: array}`` under the names given to ``run`` (NumPyro's or ArviZ's),
            each ``[num_chains * draws, ...]`` or ``[num_chains, draws, ...]``;
            ``"potential_energy"`` is minus ``lp`` and ``"z"`` the flat unconstrained
            positions ``[..., dim]``.

        Raises:
            RuntimeError: nothing has been run yet.
            ValueError: a field the sampler does not record (e.g. ``tree_depth`` with
                ``HMC``).
        """
        return self._require_run().extra_fields(group_by_chain)

    def to_result(self, *, log_likelihood: bool = True, coords=None) -> InferenceResult:
        """The draws, statistics, observed data and dims as an ``InferenceResult``.

        Args:
            log_likelihood: compute the pointwise log likelihood of the observed sites
                (the ``log_likelihood`` group, which LOO and WAIC need).
            coords: coordinate values per dim, e.g. ``{"school": names}`` for sites in
                plate ``"school"`` (integer ranges otherwise).

        Returns:
            An ``InferenceResult`` with the groups ``posterior`` (``[chain, draw, ...]``),
            ``sample_stats``, ``observed_data``, ``log_likelihood`` (if asked and there
            are observed sites), ``warmup_posterior`` and ``warmup_sample_stats`` (the
            thinned warm-up draws, when there was warm-up), and ``attrs`` holding the
            sampler's and the run's settings.

        Raises:
            RuntimeError: nothing has been run yet.
        """
        result = self._require_run().result(log_likelihood=log_likelihood)
        if coords:
            result = result.add_groups(coords=coords)
        return result

    def print_summary(self, prob: float = 0.9, exclude_deterministic: bool = True) -> None:
        """Print a table of the sites (mean, sd, median, interval, ESS, r-hat) and the
        number of divergences (NumPyro's layout).

        Args:
            prob: probability mass of the central interval shown, in (0, 1).
            exclude_deterministic: leave the deterministic sites out of the table.

        Raises:
            RuntimeError: nothing has been run yet.
            ValueError: ``prob`` is not in (0, 1).
        """
        result = self._require_run().result(log_likelihood=False, exclude_deterministic=exclude_deterministic)
        result.print_summary(prob=prob)

    @property
    def num_divergences(self) -> int:
        """Number of divergent transitions among the kept draws of the last run, all chains."""
        return int(self._require_run().stats["diverging"].sum())

    def _warn(self):
        """Warn (pointing at the caller of ``run``) about r-hat, ESS, divergences, tree depth."""
        for message in diagnostic_messages(self._run.result(log_likelihood=False, exclude_deterministic=True)):
            warnings.warn(message, SamplingWarning, stacklevel=3)


def _thinned(start: int, length: int, thinning: int) -> slice:
    """Every ``thinning``-th of ``length`` draws from ``start``, ending with the last one:
    ``length // thinning`` draws, as NumPyro keeps."""
    if length == 0:
        return slice(start, start)
    return slice(start + length % thinning + thinning - 1, start + length, thinning)


class _Run:
    """The outcome of one ``run``: draws on the host, turned into what users ask for."""

    def __init__(self, mcmc: MCMC, start, outputs, num_warmup, args, kwargs, extra_fields, phase):
        positions, info, step_sizes = outputs
        stats = dict(info._asdict(), step_size=step_sizes)
        num_kept = positions.shape[1] - num_warmup
        keep = _thinned(num_warmup, num_kept, mcmc.thinning) if phase == "sample" else slice(0, num_warmup)
        self.mcmc = mcmc
        self.start = start
        self.args, self.kwargs = args, kwargs
        self.extra = extra_fields
        self.positions = positions[:, keep]
        self.stats = {name: value[:, keep] for name, value in stats.items()}
        warm = _thinned(0, num_warmup, mcmc.thinning) if phase == "sample" else slice(0, 0)
        self.warmup_positions = positions[:, warm]
        self.warmup_stats = {name: value[:, warm] for name, value in stats.items()}
        self._samples = self._constrain(self.positions)
        self._results = {}

    def _constrain(self, positions) -> dict:
        chains, draws = positions.shape[:2]
        if draws == 0:
            return {}
        flat = jnp.asarray(positions.reshape((chains * draws,) + positions.shape[2:]))
        values = _constrain_draws(self.start.postprocess_fn, flat)
        return {name: np.asarray(v).reshape((chains, draws) + np.shape(v)[1:]) for name, v in values.items()}

    def samples(self, group_by_chain: bool) -> dict:
        if group_by_chain:
            return dict(self._samples)
        return {name: v.reshape((-1,) + v.shape[2:]) for name, v in self._samples.items()}

    def extra_fields(self, group_by_chain: bool) -> dict:
        fields = {}
        for name in ("diverging",) + self.extra:
            ours = _FIELD_ALIASES.get(name, name)
            if ours == "potential_energy":
                value = -self.stats["lp"]
            elif ours == "z":
                value = self.positions
            else:
                if ours not in self.stats:
                    raise ValueError(f"extra field {name!r} is not recorded by {self.mcmc.sampler.name}")
                value = self.stats[ours]
            fields[name] = value if group_by_chain else value.reshape((-1,) + value.shape[2:])
        return fields

    def result(self, *, log_likelihood: bool = True, exclude_deterministic: bool = False) -> InferenceResult:
        key = (log_likelihood, exclude_deterministic)
        if key in self._results:
            return self._results[key]
        model_trace = self.start.model_trace
        posterior = dict(self._samples)
        if exclude_deterministic and model_trace is not None:
            posterior = {k: v for k, v in posterior.items() if k in model_trace and model_trace[k].type == "sample"}
        groups = {}
        dims = {}
        if model_trace is not None:
            dims = site_dims(model_trace)
            observed = {
                name: np.asarray(site.value)
                for name, site in model_trace.items()
                if site.type == "sample" and site.is_observed and not site.infer.get("is_auxiliary")
            }
            groups["observed_data"] = observed
            if log_likelihood and observed:
                chains, draws = self.positions.shape[:2]
                pointwise = pointwise_log_likelihood(
                    self.mcmc.sampler.model, self.samples(False), *self.args, **self.kwargs
                )
                groups["log_likelihood"] = {
                    name: np.asarray(v).reshape((chains, draws) + np.shape(v)[1:]) for name, v in pointwise.items()
                }
        if self.warmup_positions.shape[1]:
            warm = self._constrain(self.warmup_positions)
            groups["warmup_posterior"] = {k: v for k, v in warm.items() if k in posterior}
            groups["warmup_sample_stats"] = self.warmup_stats
        mcmc = self.mcmc
        attrs = {
            **mcmc.sampler.attrs(),
            "num_warmup": mcmc.num_warmup,
            "num_samples": mcmc.num_samples,
            "thinning": mcmc.thinning,
            "chain_method": mcmc._method_used,
        }
        dims = {name: d for name, d in dims.items() if name in posterior or name in groups.get("observed_data", {})}
        result = InferenceResult(posterior, sample_stats=self.stats, dims=dims, attrs=attrs, **groups)
        self._results[key] = result
        return result
