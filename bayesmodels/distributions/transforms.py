"""Public transforms module: ``bayesmodels.distributions.transforms``.

Bijective transforms with ``__call__``, ``inv``, ``log_abs_det_jacobian`` and shape maps,
and ``biject_to(constraint)``, the bijection from the reals onto a constraint's set.
"""

from ._biject_to import ConstraintRegistry, biject_to
from ._transforms import *  # noqa: F401,F403
from ._transforms import __all__ as _scalar_names
from ._transforms_matrix import *  # noqa: F401,F403
from ._transforms_matrix import __all__ as _matrix_names
from ._transforms_vector import *  # noqa: F401,F403
from ._transforms_vector import __all__ as _vector_names

__all__ = ["ConstraintRegistry", "biject_to", *_scalar_names, *_matrix_names, *_vector_names]
