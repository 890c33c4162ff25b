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
    """Constrained values of the latent sites at unconstrained ``params`` (NumPyro's name).

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
    """Unconstrained values of the latent sites at constrained ``params``.

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
