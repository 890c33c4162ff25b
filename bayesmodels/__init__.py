"""bayesmodels: probabilistic programming on JAX.

``import bayesmodels as bm``; distributions are ``bm.dist`` (also ``bm.distributions``).
"""

from . import distributions
from ._config import enable_x64

dist = distributions

__version__ = "0.1.0"

__all__ = ["dist", "distributions", "enable_x64", "__version__"]
