"""Probability distributions, constraints and bijective transforms.

Reachable as ``bayesmodels.distributions``, ``bm.distributions`` and ``bm.dist``. The
names and arguments follow NumPyro, so ``import bayesmodels.distributions as dist``
ports NumPyro code unchanged.
"""

from . import constraints, transforms
from ._batch_wrappers import *  # noqa: F401,F403
from ._distribution import Distribution
from .transforms import biject_to

# --- continuous, real line
from ._continuous_real import *  # noqa: F401,F403

# --- continuous, positive and bounded

# --- discrete

# --- multivariate

# --- wrappers: transformed, mixtures, truncation, censoring, Delta/Unit/ImproperUniform

# --- structured transforms (vector and matrix bijectors) register themselves on import

__all__ = sorted(
    name
    for name, value in dict(globals()).items()
    if not name.startswith("_") and (isinstance(value, type) or callable(value))
) + ["constraints", "transforms"]
