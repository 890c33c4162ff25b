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
from ._continuous_real_skewed import *  # noqa: F401,F403
from ._student_t import *  # noqa: F401,F403
from ._von_mises import *  # noqa: F401,F403

# --- continuous, positive and bounded
from ._continuous_positive import *  # noqa: F401,F403
from ._continuous_lifetime import *  # noqa: F401,F403
from ._continuous_gamma import *  # noqa: F401,F403
from ._continuous_bounded import *  # noqa: F401,F403

# --- discrete
from ._discrete_binary import *  # noqa: F401,F403
from ._discrete_categorical import *  # noqa: F401,F403
from ._discrete_counts import *  # noqa: F401,F403
from ._discrete_multinomial import *  # noqa: F401,F403
from ._discrete_zero_inflated import *  # noqa: F401,F403

# --- multivariate
from ._dirichlet import *  # noqa: F401,F403
from ._lkj import *  # noqa: F401,F403
from ._multivariate_normal import *  # noqa: F401,F403
from ._structured_normal import *  # noqa: F401,F403
from ._wishart import *  # noqa: F401,F403

# --- wrappers: transformed, mixtures, truncation, censoring, Delta/Unit/ImproperUniform
from ._censored import *  # noqa: F401,F403
from ._mixtures import *  # noqa: F401,F403
from ._special import *  # noqa: F401,F403
from ._transformed import *  # noqa: F401,F403
from ._truncated import *  # noqa: F401,F403

# --- structured transforms (vector and matrix bijectors) register themselves on import
from . import _transforms_matrix, _transforms_vector  # noqa: F401

# --- closed-form KL divergences between families
from ._kl import kl_divergence

__all__ = sorted(
    name
    for name, value in dict(globals()).items()
    if not name.startswith("_") and (isinstance(value, type) or callable(value))
) + ["constraints", "transforms"]
