r"""``AutoLaplaceApproximation``: a normal at the mode of the unconstrained posterior.

Training fits a point mass :math:`\hat z` on the flat unconstrained vector, i.e. it
maximises the unconstrained log density
:math:`\log p(y, T(z)) + \log\lvert\det J_T(z)\rvert`. The fitted guide is then

.. math::

    q(z) = \mathcal{N}\!\left(z \mid \hat z, H^{-1}\right), \qquad
    H = -\nabla^2_z \left[\log p(y, T(z)) + \log\lvert\det J_T(z)\rvert\right]_{z = \hat z},

the Laplace approximation (Gaussian with the inverse Hessian of the negative log density
as covariance). The Hessian uses the data of the guide's first call.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ... import distributions as dist
from ..._effects._primitives import param
from ..._logdensity._density import ModelDensity
from ..._logdensity._init_strategies import init_to_uniform
from ...distributions._multivariate_util import cholesky_of_inverse
from ._continuous import AutoContinuous

__all__ = ["AutoLaplaceApproximation"]


class AutoLaplaceApproximation(AutoContinuous):
    r"""MAP in unconstrained space, then a Gaussian with the inverse Hessian there.

    Training fits a point mass at :math:`\hat z` (param ``{prefix}_loc``, ``[D]``), which
    maximises the unconstrained log density; the fitted guide is the Laplace
    approximation

    .. math::

        q(z) = \mathcal{N}\bigl(z \mid \hat z, H^{-1}\bigr), \qquad
        H = -\nabla^2_z \bigl[\log p(y, T(z)) + \log\lvert\det J_T(z)\rvert\bigr]_{z = \hat z}.

    ``get_posterior(params)`` is that ``MultivariateNormal`` (it raises ``ValueError``
    where :math:`H` is not positive definite); ``sample_posterior``, ``median`` and
    ``quantiles`` use it. The Hessian uses the data of the guide's first call.

    Args:
        model: the model function (or ``bm.Model`` instance).
        prefix: prepended to the names of the guide's ``param`` sites (default ``"auto"``).
        init_loc_fn: init strategy giving the starting location of each latent site
            (``init_to_uniform`` by default).
        hessian_fn: ``(f, z) -> Hessian of f at z`` (default ``jax.hessian``).

    Example:
        >>> import jax, optax
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import SVI, Trace_ELBO
        >>> from bayesmodels.infer.autoguide import AutoLaplaceApproximation
        >>> def model():
        ...     bm.sample("x", dist.Normal(1.0, 0.5))
        >>> guide = AutoLaplaceApproximation(model)
        >>> svi = SVI(model, guide, optax.adam(0.05), Trace_ELBO())
        >>> params = svi.run(jax.random.key(0), 500, progress_bar=False).params
        >>> posterior = guide.get_posterior(params)
        >>> round(float(posterior.mean[0]), 2), round(float(posterior.covariance_matrix[0, 0]), 2)
        (1.0, 0.25)
    """

    def __init__(self, model, *, prefix: str = "auto", init_loc_fn=init_to_uniform, hessian_fn=None):
        super().__init__(model, prefix=prefix, init_loc_fn=init_loc_fn)
        self.hessian_fn = hessian_fn if hessian_fn is not None else (lambda f, z: jax.hessian(f)(z))

    def _posterior(self):
        loc = param(f"{self.prefix}_loc", self._init_flat())
        return dist.Delta(loc, event_dim=1)

    def _from_params(self, params: dict):
        loc = params[f"{self.prefix}_loc"]
        log_density = ModelDensity(self.model, self.layout).bind(*self._args, **self._kwargs)
        precision = -self.hessian_fn(log_density, loc)
        scale_tril = cholesky_of_inverse(precision)
        if not isinstance(scale_tril, jax.core.Tracer) and not np.all(np.isfinite(np.asarray(scale_tril))):
            raise ValueError(
                "AutoLaplaceApproximation: the Hessian of the negative log density at the fitted "
                "loc is not positive definite, so there is no Gaussian approximation there; the "
                "optimiser has not reached a mode (train longer or with a smaller step size) or "
                "the posterior is flat in some direction (a weak prior)."
            )
        return dist.MultivariateNormal(loc, scale_tril=scale_tril)

