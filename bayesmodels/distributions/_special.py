r"""Degenerate and improper distributions: ``Delta`` (a point mass), ``Unit`` (an empty
value carrying a log factor) and ``ImproperUniform`` (a flat density on a support)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import _constraints as constraints
from ._distribution import Distribution
from ._util import as_float_array, sum_rightmost

__all__ = ["Delta", "ImproperUniform", "Unit"]


class Delta(Distribution):
    r"""A point mass at ``v`` with log density ``log_density`` there:

    .. math::

        \log p(x) = \begin{cases} \mathrm{log\_density} & x = v, \\
                                  -\infty & \text{otherwise.} \end{cases}

    The rightmost ``event_dim`` dims of ``v`` form the event and the others (broadcast
    with the shape of ``log_density``) the batch. Draws are ``v`` itself (the key is not
    used), so they are differentiable in ``v`` (``has_rsample`` is True); the mean is ``v``
    and the variance 0.

    Args:
        v: the location of the point mass, an array (or float) of shape
            ``batch_shape + event_shape``.
        log_density: the log density at ``v`` (default 0), broadcasting with the batch
            shape of ``v``.
        event_dim: how many rightmost dims of ``v`` form one event (default 0).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``event_dim`` is not between 0 and ``v.ndim``, or ``log_density``
            does not broadcast with the batch shape of ``v``.

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Delta(jnp.array([1.0, 2.0]), event_dim=1)
        >>> d.batch_shape, d.event_shape
        ((), (2,))
        >>> d.sample(jax.random.PRNGKey(0), (3,)).shape
        (3, 2)
    """

    v: jax.Array | float
    log_density: jax.Array | float

    arg_constraints = {"v": constraints.dependent(is_discrete=False), "log_density": constraints.real}
    has_rsample = True

    def __init__(self, v=0.0, log_density=0.0, event_dim=0, *, validate_args=None):
        event_dim = int(event_dim)
        v_shape = jnp.shape(v)
        if not 0 <= event_dim <= len(v_shape):
            raise ValueError(
                f"Delta: 'event_dim' must be between 0 and v.ndim = {len(v_shape)}; got {event_dim}."
            )
        batch_shape = v_shape[: len(v_shape) - event_dim]
        event_shape = v_shape[len(v_shape) - event_dim :]
        self.v = as_float_array(v)
        self.log_density = as_float_array(log_density)
        try:
            batch_shape = jnp.broadcast_shapes(batch_shape, jnp.shape(self.log_density))
        except ValueError:
            raise ValueError(
                f"Delta: 'log_density' of shape {jnp.shape(self.log_density)} does not broadcast "
                f"with the batch shape {batch_shape} of v."
            ) from None
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        return constraints.independent(constraints.real, self.event_dim)

    def sample(self, key, sample_shape=()):
        del key
        return jnp.broadcast_to(self.v, self.shape(sample_shape))

    def _log_prob(self, value):
        log_prob = jnp.log(value == self.v)
        return sum_rightmost(log_prob, self.event_dim) + self.log_density

    @property
    def mean(self):
        return jnp.broadcast_to(self.v, self.batch_shape + self.event_shape)

    @property
    def variance(self):
        return jnp.zeros(self.batch_shape + self.event_shape, jnp.result_type(self.v, float))


class Unit(Distribution):
    r"""A distribution over the empty value that contributes ``log_factor`` to the log
    density: :math:`\log p(\cdot) = \mathrm{log\_factor}`. It is how ``factor`` statements
    enter a model.

    Its batch shape is the shape of ``log_factor`` and its event shape ``(0,)``; samples
    are empty arrays.

    Args:
        log_factor: the log factor, a float or an array (its shape is the batch shape);
            :math:`-\infty` is allowed (it rules a point out), NaN and :math:`+\infty`
            are not.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Unit(-1.5)
        >>> d.sample(jax.random.PRNGKey(0)).shape
        (0,)
        >>> float(d.log_prob(d.sample(jax.random.PRNGKey(0))))
        -1.5
    """

    log_factor: jax.Array | float

    # -inf is a legitimate factor (it rules a point out); NaN and +inf are not.
    arg_constraints = {"log_factor": constraints.less_than(jnp.inf)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, log_factor, *, validate_args=None):
        self.log_factor = as_float_array(log_factor)
        super().__init__(jnp.shape(self.log_factor), (0,), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        del key
        return jnp.empty(self.shape(sample_shape), jnp.result_type(self.log_factor, float))

    def log_prob(self, value):
        """``log_factor``, whatever the (empty) value.

        Args:
            value: an array of shape ``sample_shape + batch_shape + (0,)``; only its shape
                is read.

        Returns:
            ``log_factor`` broadcast to the broadcast of ``value.shape[:-1]`` and
            ``batch_shape``.
        """
        shape = jnp.broadcast_shapes(jnp.shape(value)[:-1], self.batch_shape)
        return jnp.broadcast_to(self.log_factor, shape)


class ImproperUniform(Distribution):
    r"""A flat, improper "distribution" on ``support``: :math:`\log p(x) = 0` on the support
    and :math:`-\infty` outside. It has no normalising constant and cannot be sampled.

    Use it for a latent site whose prior is flat: inference starts it from an init strategy
    and moves it in the unconstrained space of ``biject_to(support)``.

    Args:
        support: the constraint the values live in (a ``Constraint``, e.g.
            ``constraints.positive``).
        batch_shape: the batch shape of a value.
        event_shape: the event shape of a value. It must have at least
            ``support.event_dim`` dims; extra leftmost dims of the event hold independent
            copies of the support.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``support`` is not a ``Constraint``, or ``event_shape`` has fewer
            than ``support.event_dim`` dims.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.ImproperUniform(dist.constraints.positive, (), (3,))
        >>> float(d.log_prob(jnp.array([0.5, 1.0, 2.0]))), float(d.log_prob(jnp.array([0.5, -1.0, 2.0])))
        (0.0, -inf)
    """

    _support: constraints.Constraint

    def __init__(self, support: constraints.Constraint, batch_shape, event_shape, *, validate_args=None):
        if not isinstance(support, constraints.Constraint):
            raise ValueError(
                f"ImproperUniform: 'support' must be a Constraint; got {type(support).__name__}."
            )
        batch_shape, event_shape = tuple(batch_shape), tuple(event_shape)
        extra = len(event_shape) - support.event_dim
        if extra < 0:
            raise ValueError(
                f"ImproperUniform: 'event_shape' {event_shape} has fewer dims than the support "
                f"({support}) needs: at least {support.event_dim}."
            )
        self._support = constraints.independent(support, extra) if extra > 0 else support
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        return self._support

    def sample(self, key, sample_shape=()):
        """Not available: an improper distribution cannot be sampled.

        Args:
            key: unused.
            sample_shape: unused.

        Returns:
            Nothing: it always raises.

        Raises:
            NotImplementedError: always. Inference initialises such a site from an init
                strategy (``init_to_uniform``, ``init_to_value``) instead.
        """
        raise NotImplementedError(
            "ImproperUniform cannot be sampled: it is an improper flat prior for latent sites "
            "whose values are initialised by inference (an init strategy such as "
            "init_to_uniform or init_to_value), not drawn from the prior. Give the site a proper "
            "prior if you need prior or predictive draws."
        )

    def rsample(self, key, sample_shape=()):
        """Not available, like ``sample``.

        Args:
            key: unused.
            sample_shape: unused.

        Returns:
            Nothing: it always raises.

        Raises:
            NotImplementedError: always.
        """
        return self.sample(key, sample_shape)

    def _log_prob(self, value):
        value = jnp.asarray(value)
        shape = jnp.broadcast_shapes(jnp.shape(value)[: value.ndim - self.event_dim], self.batch_shape)
        return jnp.zeros(shape, jnp.result_type(value, float))
