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
    r"""Abstract base of every distribution.

    Concrete families are final ``equinox.Module`` subclasses, so a distribution is a
    pytree: it can be passed into and returned from ``jax.jit``, and differentiated with
    ``jax.grad`` with respect to its (array) parameters.

    Shapes: a draw of ``sample(key, sample_shape)`` has shape
    ``sample_shape + batch_shape + event_shape``. ``batch_shape`` indexes independent,
    not identically distributed copies (the broadcast shape of the parameters);
    ``event_shape`` is the shape of one draw (``()`` for a univariate family).
    ``log_prob`` sums over the event dims, so for a value of shape
    ``sample_shape + batch_shape + event_shape`` it returns shape
    ``sample_shape + batch_shape``.

    Class-level attributes every family sets:

    * ``arg_constraints``: parameter name to the ``Constraint`` it must satisfy;
    * ``support``: the ``Constraint`` the values live in (a property where it depends on
      the parameters);
    * ``has_rsample``: whether ``rsample`` (reparameterised, differentiable draws) exists;
    * ``has_enumerate_support``: whether ``enumerate_support`` exists.

    Families are built with their own constructors, never with ``Distribution(...)``
    directly; the arguments below are what a family passes to ``super().__init__``.

    Args:
        batch_shape: the batch shape, a tuple of ints (default ``()``).
        event_shape: the event shape, a tuple of ints (default ``()``).
        validate_args: how parameters are checked against ``arg_constraints``. ``None``
            (the default) checks concrete parameters when the distribution is built and
            raises ``ValueError`` for a value outside its constraint, but skips traced
            ones (inside ``jit``, ``vmap`` or ``grad``), so checks cost nothing in
            compiled code; ``True`` also checks traced parameters at run time with
            ``equinox.error_if``; ``False`` turns the checks off. Values passed to
            ``log_prob`` are never checked: outside ``support`` they get
            :math:`-\infty`.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Normal(jnp.zeros((2, 3)), 1.0).to_event(1)
        >>> d.batch_shape, d.event_shape, d.shape((5,))
        ((2,), (3,), (5, 2, 3))
        >>> x = d.sample(jax.random.PRNGKey(0), (5,))
        >>> x.shape, d.log_prob(x).shape
        ((5, 2, 3), (5, 2))
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
        """The number of event dims, ``len(event_shape)`` (an int)."""
        return len(self.event_shape)

    @property
    def is_discrete(self) -> bool:
        """Whether the support is discrete (``support.is_discrete``), a Python bool."""
        return self.support.is_discrete

    def shape(self, sample_shape: Shape = ()) -> Shape:
        """The shape of ``sample(key, sample_shape)``.

        Args:
            sample_shape: the leading shape of independent draws (default ``()``).

        Returns:
            The tuple ``sample_shape + batch_shape + event_shape``.
        """
        return tuple(sample_shape) + self.batch_shape + self.event_shape

    # ----------------------------------------------------------------------- sampling

    def sample(self, key, sample_shape: Shape = ()):
        """Draw independent samples.

        Args:
            key: a ``jax.random`` PRNG key (``jax.random.PRNGKey(seed)``); the same key
                gives the same draws.
            sample_shape: the shape of the independent draws stacked in front, e.g.
                ``(1000,)``; the default ``()`` gives one draw of each batch element.

        Returns:
            An array of shape ``sample_shape + batch_shape + event_shape`` (that is,
            ``self.shape(sample_shape)``) with values in ``support``. Use ``rsample`` where
            the draws must be differentiable with respect to the parameters.

        Raises:
            NotImplementedError: if the family cannot be sampled.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement sample().")

    def rsample(self, key, sample_shape: Shape = ()):
        """Draw reparameterised samples: differentiable with respect to the parameters.

        The draw is a deterministic, differentiable function of the parameters and of
        parameter-free noise, so ``jax.grad`` passes through it (what SVI's
        reparameterised gradient estimator needs).

        Args:
            key: a ``jax.random`` PRNG key.
            sample_shape: the shape of the independent draws stacked in front (default
                ``()``: one draw).

        Returns:
            An array of shape ``sample_shape + batch_shape + event_shape``, distributed as
            ``sample(key, sample_shape)``.

        Raises:
            NotImplementedError: if ``has_rsample`` is False.
        """
        if not self.has_rsample:
            raise NotImplementedError(
                f"{type(self).__name__} has no reparameterised sampler (has_rsample is False). "
                "Use .sample(key, ...), whose draws are not differentiable in the parameters."
            )
        return self.sample(key, sample_shape)

    def sample_with_intermediates(self, key, sample_shape: Shape = ()):
        """Draw samples together with the intermediate values that produced them.

        Args:
            key: a ``jax.random`` PRNG key.
            sample_shape: the shape of the independent draws stacked in front (default
                ``()``).

        Returns:
            A pair ``(sample, intermediates)``: ``sample`` as from ``sample(key,
            sample_shape)`` and a list of intermediate arrays, empty for a plain family
            (the outputs of each transform for ``TransformedDistribution``, the component
            indices for a mixture).
        """
        return self.sample(key, sample_shape), []

    # ------------------------------------------------------------------------ density

    def log_prob(self, value):
        r"""Log density (or, for a discrete family, log mass) of ``value``.

        The log density of one event is one number: for a multivariate family it is the
        joint density of the event's coordinates. Values outside ``support`` get
        :math:`-\infty`. They are swapped for a point of the support before the family's
        formula runs, so neither the result nor its gradient picks up NaN from them.

        Args:
            value: an array whose rightmost dims are ``event_shape``, typically of shape
                ``sample_shape + batch_shape + event_shape``; its leading dims broadcast
                with ``batch_shape`` like any JAX operation.

        Returns:
            An array of the broadcast of ``value.shape[:value.ndim - event_dim]`` and
            ``batch_shape``, e.g. ``sample_shape + batch_shape``: one log density per event.

        Raises:
            NotImplementedError: if the family has no density.
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
        r"""Cumulative distribution function :math:`F(x) = P(X \le x)` of a univariate family.

        Args:
            value: the points :math:`x`, an array broadcasting with ``batch_shape``.

        Returns:
            :math:`P(X \le x)` in :math:`[0, 1]`, with the broadcast shape of ``value``
            and ``batch_shape``.

        Raises:
            NotImplementedError: if the family has no closed-form cdf.
        """
        raise NotImplementedError(f"{type(self).__name__} has no closed-form cdf.")

    def icdf(self, q):
        r"""Inverse cdf (quantile function) :math:`F^{-1}(q)` of a univariate family.

        For a discrete family it is the smallest :math:`x` with :math:`F(x) \ge q`.

        Args:
            q: probabilities in :math:`[0, 1]`, an array broadcasting with ``batch_shape``.

        Returns:
            The quantiles, with the broadcast shape of ``q`` and ``batch_shape``.

        Raises:
            NotImplementedError: if the family has no closed-form icdf.
        """
        raise NotImplementedError(f"{type(self).__name__} has no closed-form icdf.")

    # ------------------------------------------------------------------------ moments

    @property
    def mean(self):
        """The mean, shape ``batch_shape + event_shape`` (NaN or inf where it does not exist)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mean.")

    @property
    def variance(self):
        """The variance of each coordinate, shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement variance.")

    @property
    def stddev(self):
        """The standard deviation, ``sqrt(variance)``, shape ``batch_shape + event_shape``."""
        return jnp.sqrt(self.variance)

    def entropy(self):
        r"""Entropy :math:`H = -\mathbb{E}[\log p(X)]` in nats.

        Differential entropy for a continuous family, Shannon entropy for a discrete one.

        Returns:
            An array of shape ``batch_shape``: one value per batch element.

        Raises:
            NotImplementedError: if the family has no closed-form entropy.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy().")

    # ---------------------------------------------------------------------- discrete

    def enumerate_support(self, expand: bool = True):
        """All values of a finite discrete support, stacked along a new leading axis.

        This is what enumeration of a discrete latent site uses. The support must be the
        same for every batch element.

        Args:
            expand: broadcast the values over the batch dims (default ``True``); with
                ``False`` the batch dims have size 1.

        Returns:
            An array of shape ``(n,) + batch_shape + event_shape`` with ``expand=True``, or
            ``(n,) + (1,) * len(batch_shape) + event_shape`` with ``expand=False``, where
            ``n`` is the number of values in the support.

        Raises:
            NotImplementedError: if ``has_enumerate_support`` is False.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no finite support to enumerate "
            "(has_enumerate_support is False)."
        )

    # ------------------------------------------------------------------- reshaping

    def expand(self, batch_shape: Shape) -> Distribution:
        """The same distribution broadcast to a larger ``batch_shape``.

        New dims are added on the left and dims of size 1 are stretched; draws are
        independent along both.

        Args:
            batch_shape: the new batch shape; ``self.batch_shape`` must broadcast to it.

        Returns:
            An ``ExpandedDistribution`` with that ``batch_shape`` and the same
            ``event_shape`` (``self`` when ``batch_shape`` is unchanged).

        Raises:
            ValueError: if ``self.batch_shape`` does not broadcast to ``batch_shape``.
        """
        from ._batch_wrappers import ExpandedDistribution

        batch_shape = tuple(batch_shape)
        if batch_shape == self.batch_shape:
            return self
        return ExpandedDistribution(self, batch_shape)

    def expand_by(self, sample_shape: Shape) -> Distribution:
        """Add dims on the left of the batch: ``expand(sample_shape + batch_shape)``.

        Args:
            sample_shape: the dims to add.

        Returns:
            The distribution with batch shape ``sample_shape + batch_shape``.
        """
        return self.expand(tuple(sample_shape) + self.batch_shape)

    def to_event(self, reinterpreted_batch_ndims: int | None = None) -> Distribution:
        """Treat the rightmost batch dims as event dims, so ``log_prob`` sums over them.

        Args:
            reinterpreted_batch_ndims: how many batch dims to move into the event (default
                ``None``: all of them).

        Returns:
            An ``Independent`` with, for ``n = reinterpreted_batch_ndims``, batch shape
            ``batch_shape[:len(batch_shape) - n]`` and event shape
            ``batch_shape[len(batch_shape) - n:] + event_shape`` (``self`` when ``n`` is 0).

        Raises:
            ValueError: if ``reinterpreted_batch_ndims`` exceeds ``len(batch_shape)``.
        """
        from ._batch_wrappers import Independent

        if reinterpreted_batch_ndims is None:
            reinterpreted_batch_ndims = len(self.batch_shape)
        if reinterpreted_batch_ndims == 0:
            return self
        return Independent(self, reinterpreted_batch_ndims)

    def mask(self, mask) -> Distribution:
        """Zero ``log_prob`` where ``mask`` is False; sampling is unchanged.

        Args:
            mask: a boolean array broadcasting with ``batch_shape`` (a mask with more or
                larger dims expands the distribution to the broadcast shape), or a Python
                bool.

        Returns:
            A ``MaskedDistribution`` (``self`` when ``mask`` is the Python ``True``).

        Raises:
            ValueError: if a concrete ``mask`` is not boolean or does not broadcast with
                ``batch_shape``.
        """
        from ._batch_wrappers import MaskedDistribution

        if isinstance(mask, bool) and mask:
            return self
        return MaskedDistribution(self, mask)

