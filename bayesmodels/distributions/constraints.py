r"""Public constraints module: ``bayesmodels.distributions.constraints``.

The sets a distribution's ``support`` or a parameter lives in, named as in NumPyro. Each
name is a ``Constraint`` (or a constructor returning one): calling it on an array says
which elements lie in the set, and ``biject_to(c)`` maps the reals onto ``c``. The
definitions are in :mod:`bayesmodels.distributions._constraints`.

Scalars (``event_dim`` 0):

* ``real``: :math:`\mathbb{R}` (finite values);
* ``positive`` and ``softplus_positive``: :math:`x > 0`; ``nonnegative``: :math:`x \ge 0`;
* ``greater_than(a)``, ``greater_than_eq(a)``, ``less_than(b)``, ``less_than_eq(b)``:
  :math:`x > a`, :math:`x \ge a`, :math:`x < b`, :math:`x \le b`;
* ``interval(a, b)``: :math:`[a, b]`; ``open_interval(a, b)``: :math:`(a, b)`;
  ``unit_interval``: :math:`[0, 1]`; ``circular``: :math:`[-\pi, \pi]`;
* discrete: ``boolean``: :math:`\{0, 1\}`; ``integer_interval(a, b)``:
  :math:`\{a, \dots, b\}`; ``integer_greater_than(a)``: :math:`\{a, a + 1, \dots\}`;
  ``nonnegative_integer``: :math:`\{0, 1, \dots\}`; ``positive_integer``:
  :math:`\{1, 2, \dots\}`.

Vectors (``event_dim`` 1): ``real_vector``; ``simplex`` (non-negative entries summing
to 1); ``ordered_vector`` (strictly increasing); ``positive_ordered_vector``; ``sphere``
(unit norm); ``zero_sum(event_dim=1)`` (summing to 0); ``multinomial(n)`` (non-negative
integers summing to :math:`n`).

Matrices (``event_dim`` 2): ``real_matrix``; ``lower_cholesky``,
``scaled_unit_lower_cholesky`` and ``softplus_lower_cholesky`` (lower triangular with a
positive diagonal); ``corr_cholesky`` (the same, with rows of unit norm);
``positive_definite``; ``positive_semidefinite``; ``corr_matrix`` (positive definite
with a unit diagonal).

Others: ``independent(c, n)`` treats ``n`` more rightmost dims of ``c`` as one event;
``dependent`` stands for a set that depends on other values and cannot be checked.

Example:
    >>> import jax.numpy as jnp
    >>> from bayesmodels.distributions import constraints
    >>> constraints.interval(0.0, 2.0)(jnp.array([-1.0, 1.0, 2.0]))
    Array([False,  True,  True], dtype=bool)
    >>> constraints.independent(constraints.positive, 1).event_dim
    1
"""

from ._constraints import *  # noqa: F401,F403
from ._constraints import Constraint, __all__  # noqa: F401
