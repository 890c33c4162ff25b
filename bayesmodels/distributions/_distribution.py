r"""The abstract ``Distribution``: shapes, sampling, densities and argument checks.

Shapes follow NumPyro and PyTorch: a draw has shape
``sample_shape + batch_shape + event_shape``. ``batch_shape`` indexes independent,
not-identically-distributed copies; ``event_shape`` is the shape of one draw of a
multivariate family. ``log_prob`` sums over the event dims and keeps the sample and batch
dims.

A concrete family

* declares its parameters as fields (under the constructor's argument names) and a
  class-level ``arg_constraints`` mapping each name to a constraint (a property when a
  constraint depends on another parameter, as ``Uniform.high > low``);
* ends its ``__init__`` with ``super().__init__(batch_shape, event_shape,
  validate_args=validate_args)``, which checks concrete parameters;
* implements ``sample`` and ``_log_prob`` (``log_prob`` adds the support check, so a
  value outside the support gets ``-inf``, never NaN), and whichever of ``cdf``, ``icdf``,
  ``mean``, ``variance``, ``entropy`` and ``enumerate_support`` exist for it.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from . import _constraints as constraints
from ._constraints import Constraint
from ._util import describe_values, is_traced

__all__ = ["Distribution"]

Shape = tuple[int, ...]


class Distribution(eqx.Module):
    """Abstract base of every distribution.

    Concrete families are final ``equinox.Module``s, so a distribution is a pytree: it can
    be passed into and returned from ``jax.jit``, and differentiated with ``jax.grad``
    with respect to its (array) parameters.
    """

    batch_shape: Shape = eqx.field(static=True)
    event_shape: Shape = eqx.field(static=True)
    validate_args: bool | None = eqx.field(static=True, repr=False)

    arg_constraints: ClassVar[dict[str, Constraint]] = {}
    support: ClassVar[Constraint] = constraints.real
    has_rsample: ClassVar[bool] = False
    has_enumerate_support: ClassVar[bool] = False

    def __init__(self, batch_shape: Shape = (), event_shape: Shape = (), *, validate_args=None):
        self.batch_shape = tuple(int(d) for d in batch_shape)
        self.event_shape = tuple(int(d) for d in event_shape)
        self.validate_args = validate_args
        self._check_parameters()

    # ------------------------------------------------------------------ argument checks

    def _check_parameters(self):
        """Raise ``ValueError`` for concrete parameters outside their constraints.

        Traced parameters (inside ``jit``/``vmap``/``grad``) are not checked, so checks cost
        nothing in compiled code, unless ``validate_args=True``, which installs a runtime
        check with ``equinox.error_if``.
        """
        if self.validate_args is False:
            return
        for name, constraint in self.arg_constraints.items():
            value = getattr(self, name, None)
            if value is None or isinstance(constraint, constraints._Dependent):
                continue
            if is_traced(value) or is_traced(constraint):
                if self.validate_args:
                    message = self._parameter_message(name, constraint, None)
                    ok = jnp.all(constraint(value))
                    setattr(self, name, eqx.error_if(jnp.asarray(value), ~ok, message))
                continue
            with jax.ensure_compile_time_eval():  # concrete values stay concrete inside jit
                ok = np.asarray(constraint(value))
            if not ok.all():
                raise ValueError(self._parameter_message(name, constraint, (value, ok)))

    def _parameter_message(self, name, constraint, bad):
        where = f"; got {describe_values(*bad)}" if bad is not None else ""
        return (
            f"{type(self).__name__}: parameter '{name}' must be {constraint}{where}. "
            "Check the values passed to the constructor."
        )

    # ------------------------------------------------------------------------- shapes

    @property
    def event_dim(self) -> int:
        return len(self.event_shape)

    @property
    def is_discrete(self) -> bool:
        return self.support.is_discrete

    def shape(self, sample_shape: Shape = ()) -> Shape:
        """``sample_shape + batch_shape + event_shape``: the shape of ``sample(key, sample_shape)``."""
        return tuple(sample_shape) + self.batch_shape + self.event_shape

    # ----------------------------------------------------------------------- sampling

    def sample(self, key, sample_shape: Shape = ()):
        """Draw ``sample_shape`` independent samples with the PRNG key ``key``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement sample().")

    def rsample(self, key, sample_shape: Shape = ()):
        """A reparameterised sample: differentiable with respect to the parameters."""
        if not self.has_rsample:
            raise NotImplementedError(
                f"{type(self).__name__} has no reparameterised sampler (has_rsample is False). "
                "Use .sample(key, ...), whose draws are not differentiable in the parameters."
            )
        return self.sample(key, sample_shape)

    def sample_with_intermediates(self, key, sample_shape: Shape = ()):
        """``(sample, intermediates)``; plain families have no intermediates."""
        return self.sample(key, sample_shape), []

    # ------------------------------------------------------------------------ density

    def log_prob(self, value):
        r"""Log density (or mass) of ``value``, summed over the event dims.

        Values outside ``support`` get :math:`-\infty`. They are swapped for a point of
        the support before the family's formula runs, so neither the result nor its
        gradient picks up NaN from them.
        """
        value = jnp.asarray(value)
        ok = self.support(value)
        support_event_dim = self.support.event_dim
        mask = jnp.reshape(ok, jnp.shape(ok) + (1,) * support_event_dim)
        safe = jnp.where(mask, value, self.support.feasible_like(value))
        log_prob = self._log_prob(safe)
        return jnp.where(ok, log_prob, -jnp.inf)

    def _log_prob(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob().")

    def cdf(self, value):
        """Cumulative distribution function, :math:`P(X \\le x)`."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form cdf.")

    def icdf(self, q):
        """Inverse cdf (quantile function)."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form icdf.")

    # ------------------------------------------------------------------------ moments

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mean.")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement variance.")

    @property
    def stddev(self):
        return jnp.sqrt(self.variance)

    def entropy(self):
        """Differential (or Shannon) entropy, one value per batch element."""
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy().")

    # ---------------------------------------------------------------------- discrete

    def enumerate_support(self, expand: bool = True):
        """All values of a finite discrete support, stacked along a new leading axis.

        With ``expand=False`` the result has shape ``(n,) + (1,) * len(batch_shape) +
        event_shape``; with ``expand=True`` the batch dims are broadcast out.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no finite support to enumerate "
            "(has_enumerate_support is False)."
        )

    # ------------------------------------------------------------------- reshaping

    def expand(self, batch_shape: Shape) -> Distribution:
        """The same distribution broadcast to a larger ``batch_shape``."""
        from ._batch_wrappers import ExpandedDistribution

        batch_shape = tuple(batch_shape)
        if batch_shape == self.batch_shape:
            return self
        return ExpandedDistribution(self, batch_shape)

    def expand_by(self, sample_shape: Shape) -> Distribution:
        """``expand(sample_shape + batch_shape)``."""
        return self.expand(tuple(sample_shape) + self.batch_shape)

    def to_event(self, reinterpreted_batch_ndims: int | None = None) -> Distribution:
        """Treat the rightmost ``reinterpreted_batch_ndims`` batch dims as event dims
        (all of them by default)."""
        from ._batch_wrappers import Independent

        if reinterpreted_batch_ndims is None:
            reinterpreted_batch_ndims = len(self.batch_shape)
        if reinterpreted_batch_ndims == 0:
            return self
        return Independent(self, reinterpreted_batch_ndims)

    def mask(self, mask) -> Distribution:
        """Zero ``log_prob`` where ``mask`` is False (``mask`` broadcasts to ``batch_shape``)."""
        from ._batch_wrappers import MaskedDistribution

        if isinstance(mask, bool) and mask:
            return self
        return MaskedDistribution(self, mask)

