r"""Guides on the flat unconstrained vector :math:`z \in \mathbb{R}^D` of all latent sites.

The guide draws :math:`z \sim q_\phi` at one auxiliary site ``_{prefix}_latent``, cuts it
into the sites' pieces :math:`z_s` (the layout of ``initialize_model``), and records each
site as a point mass at :math:`x_s = T_s(z_s)` carrying the change of variables,

.. math::

    \log q(x_s \mid z) = -\log\left\lvert\det J_{T_s}(z_s)\right\rvert,

so that the guide's log density is that of :math:`x`:
:math:`\log q_\phi(z) - \sum_s \log\lvert\det J_{T_s}(z_s)\rvert`.
"""

from __future__ import annotations

import abc
import math

import jax
import jax.numpy as jnp

from ... import distributions as dist
from ..._effects._primitives import param, sample
from ..._logdensity._init_strategies import init_to_uniform
from ..._logdensity._layout import site_transform
from ...distributions import constraints
from ...distributions._util import sum_rightmost
from ._base import AutoGuide, subsampled_frames

__all__ = ["AutoContinuous", "AutoDiagonalNormal", "AutoLowRankMultivariateNormal", "AutoMultivariateNormal"]


class AutoContinuous(AutoGuide):
    r"""A guide given by a distribution over the flat unconstrained latent vector.

    All latent sites' unconstrained values are concatenated into
    :math:`z \in \mathbb{R}^D` (``latent_dim``), drawn from one distribution
    :math:`q_\phi(z)`, and cut back into the sites, :math:`x_s = T_s(z_s)`, so that

    .. math::

        \log q_\phi(x) = \log q_\phi(z) - \sum_s \log\lvert\det J_{T_s}(z_s)\rvert.

    Subclasses define ``_posterior()`` (the distribution of :math:`z`, its params declared
    with ``param``) and ``_from_params(params)`` (the same distribution from a dict of
    fitted params). Sites in subsampled plates are not supported (use ``AutoNormal``).

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites (default ``"auto"``).
        init_loc_fn: init strategy giving the starting location of each latent site
            (``init_to_uniform`` by default; ``init_to_median``, ``init_to_value``, ...).
    """

    @property
    def latent_dim(self) -> int:
        """Length :math:`D` of the flat unconstrained vector."""
        self._require_prototype("latent_dim")
        return self.layout.size

    def _setup_prototype(self, *args, **kwargs) -> None:
        super()._setup_prototype(*args, **kwargs)
        for site in self._latent_sites():
            frames = subsampled_frames(site)
            if frames:
                self.prototype_trace = None
                raise ValueError(
                    f"{type(self).__name__}: site {site.name!r} is in plate {frames[0].name!r}, which "
                    f"subsamples {frames[0].subsample_size} of {frames[0].size}; a guide on the "
                    "flat latent vector cannot follow a subsample. Use AutoNormal (or AutoDelta)."
                )

    def _init_flat(self):
        return self.layout.ravel(self._init_unconstrained)

    def _guide(self, *args, **kwargs) -> dict:
        latent = sample(f"_{self.prefix}_latent", self._posterior(), infer={"is_auxiliary": True})
        result = {}
        for name, z in self.layout.unravel(latent).items():
            site = self.prototype_trace[name]
            value, log_det = site_transform(site).forward_and_log_det(z)
            batch_ndim = jnp.ndim(value) - site.fn.event_dim
            log_density = -sum_rightmost(log_det, jnp.ndim(log_det) - batch_ndim)
            result[name] = sample(name, dist.Delta(value, log_density, event_dim=site.fn.event_dim))
        return result

    @abc.abstractmethod
    def _posterior(self):
        """The distribution of ``z``, its parameters declared with ``param``."""

    @abc.abstractmethod
    def _from_params(self, params: dict):
        """The distribution of ``z`` at the fitted ``params`` (constrained)."""

    def get_posterior(self, params: dict):
        r"""The fitted distribution of the flat unconstrained vector :math:`z`.

        Args:
            params: the fitted params, constrained.

        Returns:
            The distribution :math:`q_\phi(z)` over vectors of length ``latent_dim``
            (event shape ``(latent_dim,)``), e.g. a ``MultivariateNormal``.

        Raises:
            RuntimeError: the guide has not been run on the model yet (fit it first).
        """
        self._require_prototype("get_posterior")
        return self._from_params(params)

    def _unpack_and_constrain(self, flat) -> dict:
        return self._constrain(self.layout.unravel(flat))

    def sample_posterior(self, rng_key, params: dict, sample_shape=()) -> dict:
        flat = self.get_posterior(params).sample(rng_key, tuple(sample_shape))
        return self._unpack_and_constrain(flat)

    def median(self, params: dict) -> dict:
        return self._unpack_and_constrain(self.get_posterior(params).mean)

    def quantiles(self, params: dict, quantiles) -> dict:
        r""":math:`T(\mu + \sigma\,\Phi^{-1}(q))` with :math:`\mu` the mean and
        :math:`\sigma` the marginal sds of :math:`z` (exact for elementwise transforms).

        Args:
            params: the fitted params, constrained.
            quantiles: probabilities in (0, 1), a list or 1-d array.

        Returns:
            ``{site: array}`` of shape ``[len(quantiles), *site_shape]``.

        Raises:
            RuntimeError: the guide has not been run on the model yet (fit it first).
        """
        posterior = self.get_posterior(params)
        z = jax.scipy.stats.norm.ppf(jnp.asarray(quantiles, float))
        flat = posterior.mean + jnp.sqrt(posterior.variance) * jnp.reshape(z, jnp.shape(z) + (1,))
        return self._unpack_and_constrain(flat)


class AutoDiagonalNormal(AutoContinuous):
    r"""A normal with diagonal covariance on the flat unconstrained vector,

    .. math::

        q_\phi(z) = \mathcal{N}\bigl(z \mid \mu, \operatorname{diag}(\sigma^2)\bigr),
        \qquad \phi = (\mu, \sigma),

    with params ``{prefix}_loc`` (:math:`\mu`, ``[D]``) and ``{prefix}_scale``
    (:math:`\sigma`, ``[D]``, positive).

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites (default ``"auto"``).
        init_loc_fn: init strategy giving the starting location of each latent site
            (``init_to_uniform`` by default; ``init_to_median``, ``init_to_value``, ...).
        init_scale: the starting value of every :math:`\sigma_i` (positive; default 0.1).

    Example:
        >>> import jax, optax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import SVI, Trace_ELBO
        >>> from bayesmodels.infer.autoguide import AutoDiagonalNormal
        >>> def model():
        ...     bm.sample("x", dist.Normal(3.0, 2.0))
        >>> guide = AutoDiagonalNormal(model)
        >>> svi = SVI(model, guide, optax.adam(0.05), Trace_ELBO(num_particles=8))
        >>> params = svi.run(jax.random.key(0), 600, progress_bar=False).params
        >>> bool(abs(guide.median(params)["x"] - 3.0) < 0.3), bool(abs(params["auto_scale"][0] - 2.0) < 0.3)
        (True, True)
    """

    def __init__(self, model, *, prefix: str = "auto", init_loc_fn=init_to_uniform, init_scale: float = 0.1):
        if not init_scale > 0:
            raise ValueError(f"AutoDiagonalNormal: init_scale must be positive, got {init_scale!r}")
        super().__init__(model, prefix=prefix, init_loc_fn=init_loc_fn)
        self.init_scale = init_scale

    def _posterior(self):
        loc = param(f"{self.prefix}_loc", self._init_flat())
        scale = param(f"{self.prefix}_scale", jnp.full(self.latent_dim, self.init_scale), constraint=constraints.positive)
        return dist.Normal(loc, scale).to_event(1)

    def _from_params(self, params: dict):
        return dist.Normal(params[f"{self.prefix}_loc"], params[f"{self.prefix}_scale"]).to_event(1)


class AutoMultivariateNormal(AutoContinuous):
    r"""A full-rank normal on the flat unconstrained vector,

    .. math::

        q_\phi(z) = \mathcal{N}(z \mid \mu, L L^\top), \qquad \phi = (\mu, L),

    with params ``{prefix}_loc`` (:math:`\mu`, ``[D]``) and ``{prefix}_scale_tril``
    (:math:`L`, ``[D, D]``, lower Cholesky factor, starting at ``init_scale`` times the
    identity). It can match a Gaussian posterior's mean and full covariance.

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites (default ``"auto"``).
        init_loc_fn: init strategy giving the starting location of each latent site
            (``init_to_uniform`` by default; ``init_to_median``, ``init_to_value``, ...).
        init_scale: the starting diagonal of :math:`L` (positive; default 0.1).

    Example:
        >>> import jax, jax.numpy as jnp, optax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import SVI, Trace_ELBO
        >>> from bayesmodels.infer.autoguide import AutoMultivariateNormal
        >>> def model():
        ...     bm.sample("x", dist.Normal(jnp.zeros(2), 1.0).to_event(1))
        ...     bm.sample("s", dist.HalfNormal(1.0))
        >>> guide = AutoMultivariateNormal(model)
        >>> svi = SVI(model, guide, optax.adam(0.01), Trace_ELBO())
        >>> params = svi.get_params(svi.init(jax.random.key(0)))
        >>> params["auto_scale_tril"].shape
        (3, 3)
        >>> guide.sample_posterior(jax.random.key(1), params, (5,))["x"].shape
        (5, 2)
    """

    def __init__(self, model, *, prefix: str = "auto", init_loc_fn=init_to_uniform, init_scale: float = 0.1):
        if not init_scale > 0:
            raise ValueError(f"AutoMultivariateNormal: init_scale must be positive, got {init_scale!r}")
        super().__init__(model, prefix=prefix, init_loc_fn=init_loc_fn)
        self.init_scale = init_scale

    def _posterior(self):
        loc = param(f"{self.prefix}_loc", self._init_flat())
        scale_tril = param(
            f"{self.prefix}_scale_tril",
            self.init_scale * jnp.eye(self.latent_dim),
            constraint=constraints.lower_cholesky,
        )
        return dist.MultivariateNormal(loc, scale_tril=scale_tril)

    def _from_params(self, params: dict):
        return dist.MultivariateNormal(params[f"{self.prefix}_loc"], scale_tril=params[f"{self.prefix}_scale_tril"])


class AutoLowRankMultivariateNormal(AutoContinuous):
    r"""A normal whose covariance is low rank plus diagonal,

    .. math::

        q_\phi(z) = \mathcal{N}\bigl(z \mid \mu, W W^\top + \operatorname{diag}(\sigma^2)\bigr),
        \qquad W \in \mathbb{R}^{D \times k},

    :math:`O(Dk)` parameters that capture the posterior's :math:`k` leading directions of
    correlation. Params ``{prefix}_loc`` (:math:`\mu`), ``{prefix}_cov_factor``
    (:math:`W`, ``[D, k]``) and ``{prefix}_scale`` (:math:`\sigma`, positive).

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites (default ``"auto"``).
        init_loc_fn: init strategy giving the starting location of each latent site
            (``init_to_uniform`` by default; ``init_to_median``, ``init_to_value``, ...).
        init_scale: starting value of :math:`\sigma` (and the size of :math:`W`'s random
            start, which breaks the symmetry that a zero :math:`W` would leave).
        rank: :math:`k` (default :math:`\max(1, \operatorname{round}(\sqrt{D}))`).

    Example:
        >>> import jax, jax.numpy as jnp, optax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import SVI, Trace_ELBO
        >>> from bayesmodels.infer.autoguide import AutoLowRankMultivariateNormal
        >>> def model():
        ...     bm.sample("x", dist.Normal(jnp.zeros(4), 1.0).to_event(1))
        >>> guide = AutoLowRankMultivariateNormal(model, rank=2)
        >>> svi = SVI(model, guide, optax.adam(0.01), Trace_ELBO())
        >>> params = svi.get_params(svi.init(jax.random.key(0)))
        >>> params["auto_cov_factor"].shape, guide.quantiles(params, [0.1, 0.9])["x"].shape
        ((4, 2), (2, 4))
    """

    def __init__(
        self, model, *, prefix: str = "auto", init_loc_fn=init_to_uniform, init_scale: float = 0.1, rank=None
    ):
        if not init_scale > 0:
            raise ValueError(f"AutoLowRankMultivariateNormal: init_scale must be positive, got {init_scale!r}")
        if rank is not None and (not isinstance(rank, int) or rank < 1):
            raise ValueError(f"AutoLowRankMultivariateNormal: rank must be a positive int or None, got {rank!r}")
        super().__init__(model, prefix=prefix, init_loc_fn=init_loc_fn)
        self.init_scale = init_scale
        self.rank = rank

    def _rank(self) -> int:
        return self.rank if self.rank is not None else max(1, round(math.sqrt(self.latent_dim)))

    def _posterior(self):
        dim, rank = self.latent_dim, self._rank()
        loc = param(f"{self.prefix}_loc", self._init_flat())
        cov_factor = param(
            f"{self.prefix}_cov_factor",
            lambda key: 0.1 * self.init_scale / math.sqrt(rank) * jax.random.normal(key, (dim, rank)),
        )
        scale = param(f"{self.prefix}_scale", jnp.full(dim, self.init_scale), constraint=constraints.positive)
        return dist.LowRankMultivariateNormal(loc, cov_factor, scale**2)

    def _from_params(self, params: dict):
        p = self.prefix
        return dist.LowRankMultivariateNormal(params[f"{p}_loc"], params[f"{p}_cov_factor"], params[f"{p}_scale"] ** 2)
