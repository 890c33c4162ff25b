"""Public constraints module: ``bayesmodels.distributions.constraints``.

See :mod:`bayesmodels.distributions._constraints` for the definitions.
"""

from ._constraints import *  # noqa: F401,F403
from ._constraints import Constraint, __all__  # noqa: F401
