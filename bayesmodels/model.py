r"""``bm.Model``: a probabilistic model written as a class and fitted like an sklearn
estimator.

A subclass takes its hyper-parameters in ``__init__`` (stored under the same names) and
tells its generative story in ``define`` with ``bm.sample``, ``bm.plate`` and
``bm.deterministic``; the arguments of ``define`` are the data. ``fit`` samples the
posterior

.. math::

    p(\theta \mid y) \propto p(y \mid \theta)\, p(\theta)

with NUTS (by default) and keeps the ``InferenceResult`` in ``result_``. Everything
after that reads from it: summaries, the ArviZ export, posterior predictive draws on
new data, pointwise log likelihoods, and ``save``/``load``.

An instance is also an ordinary model function (``model(*data)`` runs ``define``), so
handlers, ``NUTS(model)`` and ``Predictive(model)`` accept it.
"""

from __future__ import annotations

import importlib
import inspect
import warnings

import jax
import numpy as np
import optax

from ._model._describe import site_table
from ._model._params import RESERVED_NAMES, check_subclass, hyper_parameter_names, params_key
from ._model._persist import load_model, save_model
from .handlers import seed as seed_handler
from .handlers import trace, uncondition
from ._model._guides import make_guide
from .infer import HMC, MCMC, NUTS, SA, SVI, BarkerMH, MixedHMC, Predictive, Trace_ELBO
from .infer._svi_result import variational_result
from .infer import log_likelihood as pointwise_log_likelihood
from .results import InferenceResult, SamplingWarning

__all__ = ["Model", "NotFittedError"]

METHODS = ("nuts", "hmc", "barker", "mixed_hmc", "sa", "vi")


class NotFittedError(ValueError, AttributeError):
    """A method that needs the posterior was called before ``fit`` (sklearn's name).

    It is both a ``ValueError`` and an ``AttributeError``, as sklearn's is, so code
    catching either (or ``hasattr``) treats an unfitted model as sklearn does. The
    message names the method and says to call ``fit(data)`` first.
    """


class _Resampled:
    """``model`` with its observed sites drawn instead of fixed at their data.

    Equal to any other ``_Resampled`` of an equal model, so the compiled predictive
    draws are found again on the next call (and not after a hyper-parameter changed).
    """

    def __init__(self, model):
        self.model = model

    def __call__(self, *args, **kwargs):
        return uncondition(self.model)(*args, **kwargs)

    def __eq__(self, other):
        return type(other) is _Resampled and other.model == self.model

    def __hash__(self):
        return hash(("resampled", self.model))


def _as_key(seed):
    if isinstance(seed, (int, np.integer)):
        return jax.random.PRNGKey(int(seed))
    if hasattr(seed, "shape") and (seed.shape == (2,) or jax.dtypes.issubdtype(seed.dtype, jax.dtypes.prng_key)):
        return seed
    raise ValueError(f"seed must be an int or a jax.random.PRNGKey, got {seed!r}")


def _numpy(draws: dict) -> dict:
    return {name: np.asarray(value) for name, value in draws.items()}


def _flat(draws: dict) -> dict:
    return {name: value.reshape((-1,) + value.shape[2:]) for name, value in draws.items()}


class Model:
    r"""Base class of models written as classes, fitted like an sklearn estimator.

    Subclass it: take the hyper-parameters in ``__init__`` and store each under its own
    name (``self.prior_scale = prior_scale``: ``get_params``, ``set_params``,
    ``sklearn.base.clone`` and ``save`` find them there); write the model in ``define(self, *data)``
    with ``bm.sample``, ``bm.plate`` and ``bm.deterministic``. ``fit(*data)`` samples the
    posterior

    .. math::

        p(\theta \mid y) \propto p(y \mid \theta)\, p(\theta)

    (NUTS by default, or variational inference) and returns the model, with the
    ``InferenceResult`` in ``result_``. ``Model`` itself takes no constructor arguments.

    Keyword names that ``fit`` and the predictive methods use for their own settings
    are reserved (``Model.reserved_names``: ``method``, ``seed``, ``num_warmup``,
    ``num_samples``, ``num_chains``, ``progress_bar``, ``coords``, ``guide``,
    ``num_steps``, ``optimizer``, ``group_by_chain``, ``add_to_result``): a ``define``
    argument with one of these names is a ``TypeError`` when the subclass is created, as
    is an ``__init__`` taking ``*args``. Two instances of one class with equal
    hyper-parameters are equal (and hash alike), so they share compiled samplers.

    Attributes:
        result_: the ``InferenceResult`` of the last ``fit`` (or of ``load``).
        data_: the arguments ``define`` was fitted with, by name (what the predictive
            methods use when they are called without data).
        mcmc_: the ``MCMC`` object that sampled (None after ``load`` or ``"vi"``).
        svi_: the ``SVI`` object of ``method="vi"`` (None otherwise).
        guide_: the fitted guide of ``method="vi"`` (None otherwise); its params are in
            ``result_.variational``.
        coords: class attribute: dimension name -> coordinate values, used by every
            ``fit`` (``fit``'s own ``coords`` add to it). May be a property reading the
            hyper-parameters.
        reserved_names: class attribute: the keyword names ``define`` may not use.

    Example:
        >>> import numpy as np
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> class NormalModel(bm.Model):
        ...     def __init__(self, prior_scale=10.0):
        ...         self.prior_scale = prior_scale
        ...
        ...     def define(self, y=None):
        ...         mu = bm.sample("mu", dist.Normal(0.0, self.prior_scale))
        ...         with bm.plate("data", 20 if y is None else len(y)):
        ...             bm.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> y = np.random.default_rng(0).normal(3.0, 1.0, 20)
        >>> model = NormalModel().fit(y, num_warmup=200, num_samples=400, num_chains=1,
        ...                           progress_bar=False)
        >>> model
        NormalModel(prior_scale=10.0)
        >>> model.get_params()
        {'prior_scale': 10.0}
        >>> bool(abs(model.get_samples()["mu"].mean() - y.mean()) < 0.3)
        True
        >>> model.predict()["y"].shape
        (20,)
    """

    reserved_names = RESERVED_NAMES
    coords = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        check_subclass(cls)

    def define(self, *args, **kwargs):
        """The generative story: ``bm.sample``, ``bm.plate``, ``bm.deterministic`` calls.

        Every subclass writes its own; its arguments are the data (observed values and
        covariates), which ``fit``, the predictive methods and ``describe`` pass on.
        Their names must not be among ``Model.reserved_names``.

        Args:
            *args: the data, positionally.
            **kwargs: the data, by name.

        Returns:
            whatever the subclass returns (``fit`` and the predictive methods ignore it;
            usually None).

        Raises:
            NotImplementedError: always, on ``Model`` itself.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement define(self, ...): the model itself")

    def __call__(self, *args, **kwargs):
        """Run ``define``: an instance is a model function."""
        return self.define(*args, **kwargs)

    # ------------------------------------------------------------------ hyper-parameters
    def get_params(self, deep: bool = True) -> dict:
        """Hyper-parameters by name (``__init__``'s arguments), sklearn's ``get_params``.

        Args:
            deep: also list the hyper-parameters of nested estimators (values with a
                ``get_params`` method), as ``name__inner``.

        Returns:
            dict hyper-parameter name -> its current value (read from ``self.<name>``),
            in ``__init__``'s order, each nested ``name__inner`` entry before ``name``.

        Raises:
            AttributeError: ``__init__`` takes a hyper-parameter it does not store under
                its own name.
        """
        params = {}
        for name in hyper_parameter_names(type(self)):
            try:
                value = getattr(self, name)
            except AttributeError:
                raise AttributeError(
                    f"{type(self).__name__}.__init__ takes {name!r} but does not store it as "
                    f"self.{name}; store every hyper-parameter under its own name (sklearn's rule)"
                ) from None
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{key}", inner) for key, inner in value.get_params().items())
            params[name] = value
        return params

    def set_params(self, **params) -> Model:
        """Set hyper-parameters, sklearn's ``set_params``.

        A fitted result is kept as it is: refit to use the new values.

        Args:
            **params: ``name=value`` for a hyper-parameter of this model, or
                ``name__inner=value`` for one of a nested estimator (passed on to its
                ``set_params``).

        Returns:
            the model itself.

        Raises:
            ValueError: a name that is not a hyper-parameter (``__init__`` argument).
        """
        names = hyper_parameter_names(type(self))
        nested = {}
        for key, value in params.items():
            name, _, inner = key.partition("__")
            if name not in names:
                raise ValueError(
                    f"{key!r} is not a hyper-parameter of {type(self).__name__}; its hyper-parameters "
                    f"are {list(names)}"
                )
            if inner:
                nested.setdefault(name, {})[inner] = value
            else:
                setattr(self, name, value)
        for name, inner_params in nested.items():
            getattr(self, name).set_params(**inner_params)
        return self

    def _params_key(self):
        return tuple((name, params_key(value)) for name, value in self.get_params(deep=False).items())

    def __eq__(self, other):
        """Models are equal when they are of one class with equal hyper-parameters (so
        compiled samplers are shared between them; the fitted state is not compared)."""
        if type(other) is not type(self):
            return NotImplemented
        return other._params_key() == self._params_key()

    def __hash__(self):
        return hash((type(self), self._params_key()))

    def __repr__(self):
        try:
            params = self.get_params(deep=False)
        except AttributeError:  # a hyper-parameter not stored under its name
            return f"<{type(self).__name__} with hyper-parameters not stored under their names>"
        return f"{type(self).__name__}({', '.join(f'{name}={value!r}' for name, value in params.items())})"

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        *args,
        method="nuts",
        seed=0,
        num_warmup=1000,
        num_samples=1000,
        num_chains=4,
        progress_bar=True,
        coords=None,
        guide="normal",
        num_steps=10_000,
        optimizer=None,
        **kwargs,
    ) -> Model:
        r"""Fit the posterior :math:`p(\theta \mid y)` given the data; returns the model.

        Sets ``result_`` (the ``InferenceResult``), ``data_`` and ``mcmc_`` (or
        ``svi_`` and ``guide_``). A sampling ``method`` runs ``MCMC`` with its default
        warm-up adaptation; its post-sampling checks (r-hat, ESS, divergences, tree
        depth) issue a ``SamplingWarning`` pointing at this call. The data are checked
        before anything is compiled (NaN, values outside the support, shapes that do
        not fit the plates): the error names the site.

        With ``method="vi"`` the guide :math:`q_\phi` is fitted by maximising the
        evidence lower bound (``SVI`` with ``Trace_ELBO``),

        .. math::

            \mathrm{ELBO}(\phi) = \mathbb{E}_{q_\phi(\theta)}
                \bigl[\log p(y, \theta) - \log q_\phi(\theta)\bigr],

        steps with a non-finite loss are skipped and counted (``SVI``'s
        ``stable_update``), and ``num_samples`` draws of the fitted guide become the
        posterior (one chain); the loss trace and the guide's params are in
        ``result_.variational``.

        Args:
            *args: ``define``'s arguments (the data), positionally.
            **kwargs: ``define``'s arguments (the data), by name.
            method: how to fit (default ``"nuts"``; names are case-insensitive):
                ``"nuts"`` (``NUTS``, the No-U-Turn sampler), ``"hmc"`` (``HMC``, fixed
                trajectory length), ``"barker"`` (``BarkerMH``, Barker's gradient-based
                Metropolis-Hastings), ``"mixed_hmc"`` (``MixedHMC(HMC)``, for discrete
                latent sites), ``"sa"`` (``SA``, gradient-free sample adaptive MCMC), or
                ``"vi"`` (variational inference: ``SVI`` with ``Trace_ELBO``). Or a
                sampler configured without a model, e.g.
                ``bm.infer.NUTS(target_accept_prob=0.95)`` or
                ``bm.infer.DiscreteHMCGibbs(bm.infer.NUTS())``: it is given this model
                (``with_model``).
            seed: an int or a ``jax.random.PRNGKey`` (default 0); same seed, same draws.
            num_warmup: warm-up (adaptation) iterations per chain, discarded (default
                1000); not used by ``"vi"``.
            num_samples: draws kept per chain (default 1000); for ``"vi"``: draws from
                the fitted guide, in one chain.
            num_chains: independent chains (default 4), run in parallel over devices
                when there are several, else vectorised; not used by ``"vi"``.
            progress_bar: show progress bars (default True).
            coords: dimension name -> coordinate values (e.g. ``{"school": names}``),
                added to (and overriding) the class's ``coords`` (default None).
            guide: for ``"vi"`` (default ``"normal"``): ``"normal"`` (``AutoNormal``),
                ``"diagonal"`` (``AutoDiagonalNormal``), ``"mvn"``
                (``AutoMultivariateNormal``), ``"lowrank"``
                (``AutoLowRankMultivariateNormal``), ``"delta"`` (``AutoDelta``, MAP),
                ``"laplace"`` (``AutoLaplaceApproximation``), an autoguide class or an
                instance built for this model, or a guide function written with
                ``bm.param`` and ``bm.sample``.
            num_steps: for ``"vi"``: optimiser steps (default 10000).
            optimizer: for ``"vi"``: an ``optax`` optimiser. Default (None): Adam with a
                step size decaying from 0.02 to 0.0002 on a cosine over ``num_steps``
                (large steps to get near the optimum, small ones to settle there).

        Returns:
            the model itself, fitted.

        Raises:
            ValueError: an unknown ``method`` or ``guide``, or data that do not fit the
                model (NaN, outside a site's support, a shape that does not fit the
                plates).
            TypeError: the data do not match ``define``'s signature.
            AttributeError: a hyper-parameter is not stored under its own name.
        """
        self.get_params()  # every hyper-parameter is stored where sklearn looks for it
        data = self._bind("fit", args, kwargs)
        coords = {**dict(self.coords or {}), **dict(coords or {})}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SamplingWarning)
            if isinstance(method, str) and method.lower() == "vi":
                self._fit_variational(data, seed, num_samples, progress_bar, coords, guide, num_steps, optimizer)
            else:
                self._fit_mcmc(data, method, seed, num_warmup, num_samples, num_chains, progress_bar, coords)
        for warning in caught:  # point the sampling warnings at the caller's fit()
            if issubclass(warning.category, SamplingWarning):
                warnings.warn(warning.message, SamplingWarning, stacklevel=2)
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        self.data_ = dict(data.arguments)
        return self

    def _fit_mcmc(self, data, method, seed, num_warmup, num_samples, num_chains, progress_bar, coords) -> None:
        sampler = self._sampler(method)
        mcmc = MCMC(
            sampler, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains, progress_bar=progress_bar
        )
        mcmc.run(_as_key(seed), *data.args, **data.kwargs)
        self.result_ = mcmc.to_result(coords=coords)
        self.mcmc_, self.svi_, self.guide_ = mcmc, None, None

    def _fit_variational(self, data, seed, num_samples, progress_bar, coords, guide, num_steps, optimizer) -> None:
        guide = make_guide(guide, self)
        if optimizer is None:
            optimizer = optax.adam(optax.cosine_decay_schedule(0.02, num_steps, alpha=0.01))
        svi = SVI(self, guide, optimizer, Trace_ELBO())
        svi_key, draw_key = jax.random.split(_as_key(seed))
        run = svi.run(svi_key, num_steps, *data.args, progress_bar=progress_bar, stable_update=True, **data.kwargs)
        attrs = {"inference_method": "vi", "guide": type(guide).__name__, "num_steps": int(num_steps)}
        self.result_ = variational_result(
            draw_key, self, guide, run.params, run.losses, num_samples, data.args, data.kwargs, coords=coords, attrs=attrs
        )
        self.mcmc_, self.svi_, self.guide_ = None, svi, guide

    def _sampler(self, method):
        if isinstance(method, str):
            name = method.lower()
            if name == "nuts":
                return NUTS(self)
            if name == "hmc":
                return HMC(self)
            if name == "barker":
                return BarkerMH(self)
            if name == "mixed_hmc":
                return MixedHMC(HMC(self))
            if name == "sa":
                return SA(self)
            raise ValueError(
                f"method={method!r} is not a sampling method; use one of {', '.join(METHODS)} or a "
                "configured sampler such as bm.infer.NUTS(target_accept_prob=0.9)"
            )
        if hasattr(method, "with_model"):
            return method.with_model(self)
        raise ValueError(
            f"method must be one of {', '.join(METHODS)} or a sampler such as bm.infer.NUTS(...), "
            f"got {method!r}"
        )

    def _bind(self, caller: str, args, kwargs) -> inspect.BoundArguments:
        signature = inspect.signature(self.define)
        try:
            return signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(
                f"{type(self).__name__}.{caller}() passes its data to define{signature}: {error}"
            ) from None

    def _data(self, caller: str, args, kwargs) -> inspect.BoundArguments:
        """The given data, or with none given the data of ``fit`` (if fitted)."""
        if args or kwargs or not self.is_fitted:
            return self._bind(caller, args, kwargs)
        return inspect.BoundArguments(inspect.signature(self.define), dict(self.data_))

    # ------------------------------------------------------------------ the fitted result
    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` (or ``load``) has given the model a posterior."""
        return getattr(self, "result_", None) is not None

    def _require_fit(self, call: str) -> InferenceResult:
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(data) before {call}")
        return self.result_

    def summary(self, prob: float = 0.9, var_names=None):
        """Posterior summary table, computed by ArviZ (``InferenceResult.summary``).

        Args:
            prob: probability mass of the highest density interval, in (0, 1).
            var_names: a site name or list of site names (default: all posterior sites).

        Returns:
            a ``pandas.DataFrame``, one row per scalar (``theta[0]``, or coordinate
            labels), columns ``mean, sd, median``, the HDI bounds (``hdi_5%, hdi_95%``
            for ``prob=0.9``), ``mcse_mean, mcse_sd, ess_bulk, ess_tail, r_hat``.

        Raises:
            NotFittedError: before ``fit``.
            ValueError: ``prob`` outside (0, 1), or a name in ``var_names`` that is not a
                posterior site.
        """
        return self._require_fit("summary()").summary(prob=prob, var_names=var_names)

    def print_summary(self, prob: float = 0.9) -> None:
        """Print NumPyro's summary table and the number of divergences.

        See ``InferenceResult.print_summary``: columns ``mean std median`` and the HPD
        bounds, ``n_eff`` (bulk ESS) and ``r_hat``, one row per scalar.

        Args:
            prob: probability mass of the HPD interval, in (0, 1).

        Raises:
            NotFittedError: before ``fit``.
            ValueError: ``prob`` outside (0, 1).
        """
        self._require_fit("print_summary()").print_summary(prob=prob)

    def to_arviz(self):
        """The fitted result as an ``arviz.InferenceData`` (``InferenceResult.to_arviz``).

        Returns:
            an ``arviz.InferenceData`` with the result's non-empty groups (posterior,
            sample_stats, log_likelihood, observed_data, ...), dims named after the
            plates and the coords given to ``fit``.

        Raises:
            NotFittedError: before ``fit``.
        """
        return self._require_fit("to_arviz()").to_arviz()

    def get_samples(self, group_by_chain: bool = False) -> dict:
        """Posterior draws per site, NumPyro's ``MCMC.get_samples``.

        Args:
            group_by_chain: keep the chain axis: ``[chain, draw, *site_shape]``.
                Otherwise the chains are concatenated in order:
                ``[chain * draw, *site_shape]``.

        Returns:
            dict site name -> numpy array of draws (latent and deterministic sites,
            constrained values).

        Raises:
            NotFittedError: before ``fit``.
        """
        return self._require_fit("get_samples()").get_samples(group_by_chain=group_by_chain)

    # ------------------------------------------------------------------ prediction
    def sample_prior_predictive(self, *args, num_samples=500, seed=0, add_to_result=False, **kwargs) -> dict:
        r"""Draws of every site from the prior, observed sites drawn too (not fixed at data).

        Each draw runs the model forwards: :math:`\theta \sim p(\theta)`, then
        :math:`\tilde y \sim p(\tilde y \mid \theta)`.

        Args:
            *args: ``define``'s arguments, positionally; with none (and no ``**kwargs``),
                those of ``fit`` (if fitted), else ``define()`` is run.
            **kwargs: ``define``'s arguments, by name.
            num_samples: number of draws.
            seed: an int or a ``jax.random.PRNGKey``.
            add_to_result: also keep them in ``result_`` as the ``prior`` (latent and
                deterministic sites) and ``prior_predictive`` (observed sites) groups.

        Returns:
            dict site -> numpy array ``[num_samples, *site_shape]``, for every sample site
            (latent and observed; ``bm.factor`` sites aside) and deterministic site.

        Raises:
            NotFittedError: ``add_to_result=True`` before ``fit``.
            ValueError: ``add_to_result=True`` with data given (the groups describe the
                data of ``fit``).
        """
        if add_to_result:
            self._require_fit("sample_prior_predictive(add_to_result=True)")
            _only_fit_data("sample_prior_predictive", args, kwargs)
        data = self._data("sample_prior_predictive", args, kwargs)
        predictive = Predictive(_Resampled(self), num_samples=num_samples, parallel=True)
        draws = _numpy(predictive(_as_key(seed), *data.args, **data.kwargs))
        if add_to_result:
            observed = set(self.result_.observed_data)
            grouped = {name: value[None] for name, value in draws.items()}
            self.result_ = self.result_.add_groups(
                prior={name: value for name, value in grouped.items() if name not in observed},
                prior_predictive={name: value for name, value in grouped.items() if name in observed},
            )
        return draws

    def sample_posterior_predictive(self, *args, seed=0, group_by_chain=False, add_to_result=False, **kwargs) -> dict:
        r"""Draws of :math:`p(\tilde y \mid \theta)` for each posterior draw :math:`\theta`.

        The observed sites are drawn (never fixed at data), so the model needs no
        ``obs=None`` branch; deterministic sites are recomputed on the data given.

        Args:
            *args: ``define``'s arguments, positionally, e.g. new covariates of any
                length; with none (and no ``**kwargs``), the data of ``fit``.
            **kwargs: ``define``'s arguments, by name.
            seed: an int or a ``jax.random.PRNGKey``.
            group_by_chain: keep the chain axis.
            add_to_result: also keep the observed sites' draws in ``result_`` as the
                ``posterior_predictive`` group (for ``az.plot_ppc``).

        Returns:
            dict site -> numpy array ``[chain * draw, *site_shape]`` (or ``[chain, draw,
            *site_shape]``) for the sample sites outside the posterior (the observed
            ones) and the deterministic sites.

        Raises:
            NotFittedError: before ``fit``.
            ValueError: ``add_to_result=True`` with data given.
        """
        result = self._require_fit("sample_posterior_predictive()")
        if add_to_result:
            _only_fit_data("sample_posterior_predictive", args, kwargs)
        data = self._data("sample_posterior_predictive", args, kwargs)
        predictive = Predictive(_Resampled(self), result.posterior, batch_ndims=2, parallel=True)
        draws = _numpy(predictive(_as_key(seed), *data.args, **data.kwargs))
        if add_to_result:
            observed = {name: value for name, value in draws.items() if name in result.observed_data}
            self.result_ = result.add_groups(posterior_predictive=observed)
        return draws if group_by_chain else _flat(draws)

    def predict(self, *args, seed=0, **kwargs) -> dict:
        r"""Posterior predictive mean of each observed site.

        The mean over the draws of ``sample_posterior_predictive``, a Monte Carlo
        estimate of

        .. math::

            \mathbb{E}[\tilde y \mid y] = \int \mathbb{E}[\tilde y \mid \theta]\,
                p(\theta \mid y)\, d\theta.

        Args:
            *args: ``define``'s arguments, positionally (e.g. new covariates); with
                none (and no ``**kwargs``), the data of ``fit``.
            **kwargs: ``define``'s arguments by name.
            seed: an int or a ``jax.random.PRNGKey``.

        Returns:
            dict observed site -> numpy array of its shape (one value per observation).

        Raises:
            NotFittedError: before ``fit``.
            TypeError: given ``group_by_chain`` or ``add_to_result``, options of
                ``sample_posterior_predictive`` that a mean over all draws cannot honour.
        """
        result = self._require_fit("predict()")
        options = sorted({"group_by_chain", "add_to_result"} & set(kwargs))
        if options:
            raise TypeError(
                f"predict() got {options}: predict() averages over all posterior draws and returns "
                "the means; for per-chain draws or to store them in result_, call "
                "sample_posterior_predictive(..., group_by_chain=..., add_to_result=...)"
            )
        draws = self.sample_posterior_predictive(*args, seed=seed, **kwargs)
        return {name: draws[name].mean(axis=0) for name in result.observed_data if name in draws}

    def log_likelihood(self, *args, group_by_chain=False, **kwargs) -> dict:
        r"""Pointwise :math:`\log p(y_n \mid \theta^{(i)})` of each observed site, for each
        posterior draw :math:`\theta^{(i)}`; with no arguments, of the data of ``fit``
        (read from ``result_``, not recomputed).

        Args:
            *args: ``define``'s arguments, positionally (new data to score).
            **kwargs: ``define``'s arguments, by name.
            group_by_chain: keep the chain axis.

        Returns:
            dict observed site -> numpy array ``[chain * draw, *site_batch_shape]`` (or
            ``[chain, draw, *site_batch_shape]``).

        Raises:
            NotFittedError: before ``fit``.
        """
        result = self._require_fit("log_likelihood()")
        if args or kwargs:
            data = self._bind("log_likelihood", args, kwargs)
            pointwise = pointwise_log_likelihood(
                self, result.posterior, *data.args, batch_ndims=2, parallel=True, **data.kwargs
            )
            pointwise = _numpy(pointwise)
        else:
            pointwise = result.log_likelihood
        return pointwise if group_by_chain else _flat(pointwise)

    # ------------------------------------------------------------------ the sites
    def describe(self, *args, **kwargs):
        """A table of the model's sites, in the order they run.

        The model runs once (seeded, nothing is fitted) on the data given: with none,
        the data of ``fit``, or ``define()`` before fitting.

        Args:
            *args: ``define``'s arguments, positionally.
            **kwargs: ``define``'s arguments, by name.

        Returns:
            a ``pandas.DataFrame`` indexed by site name, one row per sample,
            deterministic or factor site, with columns ``kind`` (latent, observed,
            deterministic, factor), ``distribution`` (the family), ``shape`` (of the
            value), ``plates`` (outermost first) and ``support``.

        Raises:
            TypeError: the data do not match ``define``'s signature.
        """
        data = self._data("describe", args, kwargs)
        model_trace = trace(seed_handler(self, rng_seed=0)).get_trace(*data.args, **data.kwargs)
        return site_table(model_trace)

    # ------------------------------------------------------------------ files
    def save(self, path) -> None:
        """Write the hyper-parameters, the fitted result, the data of ``fit`` and the
        library version to one netCDF file (``az.from_netcdf`` reads it too).

        The file is replaced only once it is completely written. Hyper-parameters and
        data may be None, bool, int, float, str, numpy or JAX arrays, and lists, tuples
        and dicts (string keys) of them.

        Args:
            path: the file to write (a ``str`` or ``os.PathLike``).

        Raises:
            NotFittedError: before ``fit``.
            ValueError: a hyper-parameter or argument that cannot be stored (a function,
                a distribution, ...), named; nothing is written then.
        """
        result = self._require_fit("save()")
        save_model(path, type(self), self.get_params(deep=False), self.data_, result)

    @classmethod
    def load(cls, path) -> Model:
        """A fitted instance from a file written by ``save``, in any process.

        ``MyModel.load(path)`` checks the file holds a ``MyModel`` (by class name, not
        module, so a model saved from a script or notebook loads where the class is
        imported from a module); ``bm.Model.load`` imports the saved class by name.
        The loaded model has ``result_`` and ``data_``; ``mcmc_``, ``svi_`` and
        ``guide_`` are None.

        Args:
            path: a file written by ``save`` (a ``str`` or ``os.PathLike``).

        Returns:
            a fitted instance of the saved class, built from the saved hyper-parameters.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not a saved model, holds another class, holds
                hyper-parameters the class no longer takes, or (for ``bm.Model.load``)
                names a class that cannot be imported.
        """
        saved = load_model(path)
        model_class = cls if cls is not Model else _import_class(saved.module, saved.class_name, path)
        if model_class.__qualname__ != saved.class_name:
            raise ValueError(
                f"{str(path)!r} holds a fitted {saved.module}.{saved.class_name}, not a "
                f"{model_class.__qualname__}: load it with {saved.class_name}.load(path)"
            )
        try:
            model = model_class(**saved.hyper_parameters)
        except TypeError as error:
            raise ValueError(
                f"{str(path)!r} holds hyper-parameters {sorted(saved.hyper_parameters)} that "
                f"{model_class.__qualname__}.__init__ does not take ({error}); was the class changed "
                "after the model was saved?"
            ) from error
        model.result_ = saved.result
        model.data_ = saved.data
        model.mcmc_, model.svi_, model.guide_ = None, None, None
        return model


def _only_fit_data(caller: str, args, kwargs) -> None:
    if args or kwargs:
        raise ValueError(
            f"{caller}(add_to_result=True) keeps draws of the data the model was fitted to, next "
            "to them in the result (for az.plot_ppc); call it without data, or without "
            "add_to_result to predict on new data"
        )


def _import_class(module: str, qualname: str, path) -> type:
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        raise ValueError(
            f"{str(path)!r} holds a fitted {module}.{qualname}, which cannot be imported here; "
            f"load it with {qualname}.load(path) where the class is defined"
        ) from None
    if not (isinstance(found, type) and issubclass(found, Model)):
        raise ValueError(f"{module}.{qualname}, named in {str(path)!r}, is not a bm.Model subclass")
    return found
