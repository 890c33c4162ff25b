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
    """A method that needs the posterior was called before ``fit`` (sklearn's name)."""


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
    r"""Base class of models written as classes.

    Subclass it: take the hyper-parameters in ``__init__`` and store each under its own
    name; write the model in ``define(self, *data)``. ``fit(*data)`` samples the
    posterior and returns the model.

    Keyword names that ``fit`` and the predictive methods use for their own settings
    are reserved (``Model.reserved_names``): a ``define`` argument with one of these
    names is an error when the subclass is created.

    Attributes set by ``fit``:
        result_: the ``InferenceResult``.
        data_: the arguments ``define`` was fitted with, by name (what the predictive
            methods use when they are called without data).
        mcmc_: the ``MCMC`` object that sampled (None after ``load`` or ``"vi"``).
        svi_, guide_: the ``SVI`` object and the fitted guide of ``method="vi"`` (None
            otherwise); the guide's params are in ``result_.variational``.

    Class attribute:
        coords: dimension name -> coordinate values, used by every ``fit`` (``fit``'s
            own ``coords`` add to it). May be a property reading the hyper-parameters.

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
        >>> model = NormalModel().fit(y, num_warmup=300, num_samples=500, num_chains=1,
        ...                           progress_bar=False)
        >>> model
        NormalModel(prior_scale=10.0)
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
        """The generative story: ``bm.sample``, ``bm.plate``, ``bm.deterministic`` calls."""
        raise NotImplementedError(f"{type(self).__name__} must implement define(self, ...): the model itself")

    def __call__(self, *args, **kwargs):
        """Run ``define``: an instance is a model function."""
        return self.define(*args, **kwargs)

    # ------------------------------------------------------------------ hyper-parameters
    def get_params(self, deep: bool = True) -> dict:
        """Hyper-parameters by name (``__init__``'s arguments), sklearn's ``get_params``.

        With ``deep``, those of nested estimators too, as ``name__inner``.
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
        """Set hyper-parameters (``name=value``, or ``name__inner=value`` for a nested
        estimator); returns the model. A fitted result is kept: refit to use them."""
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
        """Fit the posterior given the data; returns the model (``result_`` is set).

        Args:
            *args, **kwargs: ``define``'s arguments (the data).
            method: ``"nuts"``, ``"hmc"``, ``"barker"`` (``BarkerMH``), ``"mixed_hmc"``
                (``MixedHMC(HMC)``, for discrete latent sites) or ``"sa"``
                (gradient-free), or a sampler configured without a model, e.g.
                ``bm.infer.NUTS(target_accept_prob=0.95)`` or
                ``bm.infer.DiscreteHMCGibbs(bm.infer.NUTS())``; or ``"vi"`` for
                variational inference (SVI with ``Trace_ELBO``).
            seed: an int or a ``jax.random.PRNGKey``; same seed, same draws.
            num_warmup, num_samples: warm-up iterations and draws per chain (for
                ``"vi"``: ``num_samples`` draws from the fitted guide, in one chain).
            num_chains: independent chains (run in parallel over devices when there
                are several, else vectorised); not used by ``"vi"``.
            progress_bar: show progress bars.
            coords: dimension name -> coordinate values (e.g. ``{"school": names}``),
                added to the class's ``coords``.
            guide: for ``"vi"``: ``"normal"`` (``AutoNormal``, the default),
                ``"diagonal"``, ``"mvn"``, ``"lowrank"``, ``"delta"`` (MAP), ``"laplace"``,
                an autoguide class or instance, or a guide function written with
                ``bm.param`` and ``bm.sample``.
            num_steps: for ``"vi"``: optimiser steps.
            optimizer: for ``"vi"``: an ``optax`` optimiser. Default: Adam with a step
                size decaying from 0.02 to 0.0002 on a cosine over ``num_steps``
                (large steps to get near the optimum, small ones to settle there).

        The data are checked before anything is compiled (NaN, values outside the
        support, shapes that do not fit the plates): the error names the site. With
        ``"vi"``, steps with a non-finite loss are skipped and counted (``SVI``'s
        ``stable_update``); the loss trace and the guide's params are in
        ``result_.variational``, the guide in ``guide_``.
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
        """Posterior summary as a ``pandas.DataFrame`` (see ``InferenceResult.summary``)."""
        return self._require_fit("summary()").summary(prob=prob, var_names=var_names)

    def print_summary(self, prob: float = 0.9) -> None:
        """Print NumPyro's summary table and the number of divergences."""
        self._require_fit("print_summary()").print_summary(prob=prob)

    def to_arviz(self):
        """The result as an ``arviz.InferenceData`` (dims named after plates)."""
        return self._require_fit("to_arviz()").to_arviz()

    def get_samples(self, group_by_chain: bool = False) -> dict:
        """Posterior draws per site (``[chain * draw, ...]``, or ``[chain, draw, ...]``)."""
        return self._require_fit("get_samples()").get_samples(group_by_chain=group_by_chain)

    # ------------------------------------------------------------------ prediction
    def sample_prior_predictive(self, *args, num_samples=500, seed=0, add_to_result=False, **kwargs) -> dict:
        """Draws of every site from the prior, observed sites drawn too (not fixed at data).

        Args:
            *args, **kwargs: ``define``'s arguments; with none, those of ``fit`` (if
                fitted), else ``define()``.
            num_samples: number of draws.
            seed: an int or a ``jax.random.PRNGKey``.
            add_to_result: also keep them in ``result_`` as the ``prior`` (latent and
                deterministic sites) and ``prior_predictive`` (observed sites) groups.

        Returns:
            site -> array ``[num_samples, *site_shape]``.
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
            *args, **kwargs: ``define``'s arguments, e.g. new covariates of any length;
                with none, the data of ``fit``.
            seed: an int or a ``jax.random.PRNGKey``.
            group_by_chain: keep the chain axis.
            add_to_result: also keep the observed sites' draws in ``result_`` as the
                ``posterior_predictive`` group (for ``az.plot_ppc``).

        Returns:
            site -> array ``[chain * draw, *site_shape]`` (or ``[chain, draw, ...]``) for
            the sample sites outside the posterior and the deterministic sites.
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
        """Posterior predictive mean of each observed site: site -> array of its shape.

        Args are as for ``sample_posterior_predictive`` (with none, the data of ``fit``).
        """
        result = self._require_fit("predict()")
        draws = self.sample_posterior_predictive(*args, seed=seed, **kwargs)
        return {name: draws[name].mean(axis=0) for name in result.observed_data if name in draws}

    def log_likelihood(self, *args, group_by_chain=False, **kwargs) -> dict:
        r"""Pointwise :math:`\log p(y_n \mid \theta^{(i)})` of each observed site, for each
        posterior draw; with no arguments, of the data of ``fit``.

        Returns:
            site -> array ``[chain * draw, *site_batch_shape]`` (or ``[chain, draw, ...]``).
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
        """A table of the model's sites (a ``pandas.DataFrame``, one row per site):
        ``kind`` (latent, observed, deterministic, factor), ``distribution``, ``shape``,
        ``plates``, ``support``.

        The model runs once on the data given (with none: the data of ``fit``, or
        ``define()`` before fitting).
        """
        data = self._data("describe", args, kwargs)
        model_trace = trace(seed_handler(self, rng_seed=0)).get_trace(*data.args, **data.kwargs)
        return site_table(model_trace)

    # ------------------------------------------------------------------ files
    def save(self, path) -> None:
        """Write the hyper-parameters, the fitted result, the data of ``fit`` and the
        library version to one netCDF file (``az.from_netcdf`` reads it too).

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

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not a saved model, or holds another class.
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
