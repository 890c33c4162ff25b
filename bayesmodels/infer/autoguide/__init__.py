"""Guides built automatically from a model (NumPyro's ``numpyro.infer.autoguide``).

All work in unconstrained space and give ``sample_posterior(key, params, sample_shape)``,
``median(params)`` and ``quantiles(params, q)`` in the model's constrained space:

- ``AutoNormal``: independent normals per site (mean field; follows subsampled plates).
- ``AutoDelta``: a point mass per site (MAP).
- ``AutoDiagonalNormal``: a diagonal normal on the flat latent vector.
- ``AutoMultivariateNormal``: a full-rank normal on the flat latent vector.
- ``AutoLowRankMultivariateNormal``: low rank plus diagonal covariance.
- ``AutoLaplaceApproximation``: the mode plus the inverse Hessian there.
"""

from ._base import AutoGuide
from ._continuous import AutoContinuous, AutoDiagonalNormal, AutoLowRankMultivariateNormal, AutoMultivariateNormal
from ._laplace import AutoLaplaceApproximation
from ._local import AutoDelta, AutoNormal

__all__ = [
    "AutoContinuous",
    "AutoDelta",
    "AutoDiagonalNormal",
    "AutoGuide",
    "AutoLaplaceApproximation",
    "AutoLowRankMultivariateNormal",
    "AutoMultivariateNormal",
    "AutoNormal",
]
