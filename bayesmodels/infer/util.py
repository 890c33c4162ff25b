"""Model utilities, as in ``numpyro.infer.util``: the log density of a model at given
values, moving values between constrained and unconstrained space, and initialisation.
"""

from .._logdensity._density import BoundDensity, ModelDensity, value_and_grad
from .._logdensity._initialize import ModelInfo, ParamInfo, initialize_model
from .._logdensity._layout import LatentLayout
from .._logdensity._log_joint import log_density
from .._logdensity._predictive import Predictive, log_likelihood
from .._logdensity._unconstrain import constrain_values, unconstrain_values


def constrain_fn(model, model_args, model_kwargs, params, return_deterministic=False):
    r"""Constrained values of the latent sites at unconstrained ``params`` (NumPyro's name):
    :math:`x_s = T_s(z_s)`, :math:`T_s = \mathrm{biject\_to}(\text{support}_s)`.

    Args:
        model: the model function.
        model_args: positional arguments of the model (a tuple).
        model_kwargs: keyword arguments of the model (a dict).
        params: ``{site: unconstrained value}`` for the latent sites.
        return_deterministic: also return the deterministic sites computed at those
            values.

    Returns:
        ``{site: constrained value}`` of the latent sites (and the deterministic ones
        with ``return_deterministic``).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer.util import constrain_fn
        >>> def model():
        ...     bm.sample("s", dist.HalfNormal(1.0))
        >>> float(constrain_fn(model, (), {}, {"s": 0.0})["s"])
        1.0
    """
    return constrain_values(model, model_args, model_kwargs, params, return_deterministic=return_deterministic)


def unconstrain_fn(model, model_args, model_kwargs, params):
    r"""Unconstrained values of the latent sites at constrained ``params``:
    :math:`z_s = T_s^{-1}(x_s)`, the inverse of ``constrain_fn``.

    Args:
        model: the model function.
        model_args: positional arguments of the model (a tuple).
        model_kwargs: keyword arguments of the model (a dict).
        params: ``{site: constrained value}`` for the latent sites.

    Returns:
        ``{site: unconstrained value}`` (shaped as the site's unconstrained space, e.g.
        :math:`K - 1` values for a :math:`K`-simplex).

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer.util import unconstrain_fn
        >>> def model():
        ...     bm.sample("s", dist.HalfNormal(1.0))
        >>> float(unconstrain_fn(model, (), {}, {"s": 1.0})["s"])
        0.0
    """
    return unconstrain_values(model, model_args, model_kwargs, params)


__all__ = [
    "BoundDensity",
    "LatentLayout",
    "ModelDensity",
    "ModelInfo",
    "ParamInfo",
    "Predictive",
    "constrain_fn",
    "initialize_model",
    "log_density",
    "log_likelihood",
    "unconstrain_fn",
    "value_and_grad",
]
