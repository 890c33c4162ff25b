r"""Families built on one success probability: ``Bernoulli``, ``Binomial`` and ``Geometric``.

Each takes exactly one of ``probs`` and ``logits`` (:math:`p = \sigma(\ell)`) and keeps
both as attributes; ``log_prob`` uses the one you gave, so logits never pass through a
rounded probability and probabilities of exactly 0 or 1 stay exact. NumPyro's explicit
names (``BernoulliProbs``, ``BernoulliLogits``, ...) are functions returning the family.
Draws are integers of JAX's default integer dtype (``int32``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.nn import softplus
from jax.scipy.special import betainc, xlog1py, xlogy

from . import _constraints as constraints
from ._discrete_util import (
    arange_support,
    concrete_max,
    entropy_by_enumeration,
    int_dtype,
    is_concrete_and_homogeneous,
    log_binomial_coefficient,
    probs_or_logits,
    to_int,
)
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = [
    "Bernoulli",
    "BernoulliLogits",
    "BernoulliProbs",
    "Binomial",
    "BinomialLogits",
    "BinomialProbs",
    "Geometric",
    "GeometricLogits",
    "GeometricProbs",
]


def _log_p_and_log_q(d):
    r""":math:`(\log p, \log(1 - p))`, from whichever of probs/logits ``d`` was given."""
    if d._given == "logits":
        return -softplus(-d.logits), -softplus(d.logits)
    return jnp.log(d.probs), jnp.log1p(-d.probs)


def _q(d):
    """``1 - p``, without rounding ``sigmoid(logits)`` first."""
    return jax.nn.sigmoid(-d.logits) if d._given == "logits" else 1.0 - d.probs


class Bernoulli(Distribution):
    r"""A single trial that gives 1 with probability :math:`p` and 0 otherwise:

    .. math::

        P(X = x \mid p) = p^{x} (1 - p)^{1 - x}, \qquad x \in \{0, 1\},

    with :math:`p` = ``probs`` or :math:`p = \sigma(\ell)`, :math:`\ell` = ``logits``
    (pass exactly one).

    Args:
        probs: the probability :math:`p` of a 1, in :math:`[0, 1]`; a float or an array
            whose shape is the ``batch_shape``.
        logits: the log-odds :math:`\ell = \log(p / (1 - p))`, any real number or array
            (instead of ``probs``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if neither or both of ``probs`` and ``logits`` are given, or a concrete
            parameter lies outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Bernoulli(probs=0.25)
        >>> float(d.mean), d.has_enumerate_support
        (0.25, True)
        >>> d.sample(jax.random.PRNGKey(0), (3,)).dtype
        dtype('int32')
    """

    probs: jax.Array | float
    logits: jax.Array | float
    _given: str = eqx.field(static=True, repr=False)

    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, *, validate_args=None):
        self.probs, self.logits, self._given = probs_or_logits(
            "Bernoulli", probs, logits, is_binary=True
        )
        super().__init__(jnp.shape(self.probs), validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """The constraint of the parameter given: ``logits`` real or ``probs`` in [0, 1]."""
        if self._given == "logits":
            return {"logits": constraints.real}
        return {"probs": constraints.unit_interval}

    def sample(self, key, sample_shape=()):
        u = jax.random.uniform(key, self.shape(sample_shape))
        return (u < self.probs).astype(int_dtype())

    def _log_prob(self, value):
        value = jnp.asarray(value, jnp.result_type(value, float))
        if self._given == "logits":
            return -softplus(jnp.where(value > 0, -self.logits, self.logits))
        return xlogy(value, self.probs) + xlog1py(1.0 - value, -self.probs)

    def cdf(self, value):
        value = jnp.asarray(value)
        return jnp.where(value < 0, 0.0, jnp.where(value < 1, _q(self), 1.0))

    def icdf(self, q):
        return jnp.where(q <= _q(self), 0.0, 1.0)

    @property
    def mean(self):
        return jnp.broadcast_to(self.probs, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(self.probs * _q(self), self.batch_shape)

    def entropy(self):
        log_p, log_q = _log_p_and_log_q(self)
        if self._given == "logits":
            h = -self.probs * log_p - _q(self) * log_q
        else:
            h = -xlogy(self.probs, self.probs) - xlog1py(1.0 - self.probs, -self.probs)
        return jnp.broadcast_to(h, self.batch_shape)

    def enumerate_support(self, expand=True):
        return arange_support(0, 1, self.batch_shape, expand)


class Binomial(Distribution):
    r"""Number of successes in ``total_count`` independent trials of probability :math:`p`:

    .. math::

        P(X = k \mid n, p) = \binom{n}{k} p^{k} (1 - p)^{n - k}, \qquad k = 0, \dots, n,

    with :math:`p` = ``probs`` or :math:`\sigma(` ``logits`` :math:`)` (pass exactly one).
    ``enumerate_support`` needs a concrete ``total_count`` that is the same across the
    batch; ``has_enumerate_support`` says whether that holds.

    Args:
        total_count: the number of trials :math:`n`, a non-negative integer (stored as a
            float; an array gives a batch). Default 1.
        probs: the success probability :math:`p` of each trial, in :math:`[0, 1]`.
        logits: the log-odds :math:`\log(p / (1 - p))` of a success, any real (instead of
            ``probs``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if neither or both of ``probs`` and ``logits`` are given, or a concrete
            parameter lies outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Binomial(total_count=10, logits=0.0)
        >>> float(d.mean), float(d.variance)
        (5.0, 2.5)
        >>> d.enumerate_support().shape
        (11,)
    """

    total_count: jax.Array | float
    probs: jax.Array | float
    logits: jax.Array | float
    _given: str = eqx.field(static=True, repr=False)

    def __init__(self, total_count=1, probs=None, logits=None, *, validate_args=None):
        probs, logits, self._given = probs_or_logits("Binomial", probs, logits, is_binary=True)
        self.total_count, self.probs, self.logits = promote_shapes(
            as_float_array(total_count), probs, logits
        )
        batch_shape = batch_shape_of(self.total_count, self.probs)
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """``total_count`` a non-negative integer; ``logits`` real or ``probs`` in [0, 1]."""
        if self._given == "logits":
            return {"total_count": constraints.nonnegative_integer, "logits": constraints.real}
        return {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval}

    @property
    def support(self):  # type: ignore[override]
        """The integers from 0 to ``total_count``."""
        return constraints.integer_interval(0, self.total_count)

    @property
    def has_enumerate_support(self):  # type: ignore[override]
        """Whether ``total_count`` is concrete and the same across the batch."""
        return is_concrete_and_homogeneous(self.total_count)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        return to_int(jax.random.binomial(key, self.total_count, self.probs, shape))

    def _log_prob(self, value):
        value = jnp.asarray(value, jnp.result_type(value, float))
        n = self.total_count
        if self._given == "logits":
            # k log p + (n - k) log(1 - p) without the cancellation of k*l - n*softplus(l)
            log_lik = -value * softplus(-self.logits) - (n - value) * softplus(self.logits)
        else:
            log_lik = xlogy(value, self.probs) + xlog1py(n - value, -self.probs)
        return log_binomial_coefficient(n, value) + log_lik

    def cdf(self, value):
        k = jnp.floor(jnp.asarray(value, jnp.result_type(value, float)))
        n, q = self.total_count, _q(self)
        k = jnp.broadcast_to(k, jnp.broadcast_shapes(jnp.shape(k), jnp.shape(n), jnp.shape(q)))
        inside = (k >= 0) & (k < n)
        a = jnp.where(inside, n - k, 1.0)
        b = jnp.where(inside, k + 1.0, 1.0)
        tail = betainc(a, b, jnp.broadcast_to(q, k.shape))
        return jnp.where(k < 0, 0.0, jnp.where(k >= n, 1.0, tail))

    @property
    def mean(self):
        return jnp.broadcast_to(self.total_count * self.probs, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(self.total_count * self.probs * _q(self), self.batch_shape)

    def entropy(self):
        r"""Entropy in nats, :math:`-\sum_k P(k) \log P(k)` summed over the support.

        ``total_count`` must be concrete (not traced); it may differ across the batch.

        Returns:
            An array of shape ``batch_shape``: one entropy per batch element.

        Raises:
            NotImplementedError: if ``total_count`` is traced (inside ``jit`` or ``vmap``).
        """
        n_max = concrete_max("Binomial", "total_count", self.total_count, homogeneous=False)
        return entropy_by_enumeration(self, arange_support(0, n_max, self.batch_shape, False))

    def enumerate_support(self, expand=True):
        n = concrete_max("Binomial", "total_count", self.total_count, homogeneous=True)
        return arange_support(0, n, self.batch_shape, expand)


class Geometric(Distribution):
    r"""Number of failures before the first success in trials of probability :math:`p`:

    .. math::

        P(X = k \mid p) = (1 - p)^{k} p, \qquad k = 0, 1, 2, \dots,

    with :math:`p` = ``probs`` or :math:`\sigma(` ``logits`` :math:`)` (pass exactly one).
    (SciPy's ``geom`` counts trials instead, starting at 1.)

    Args:
        probs: the success probability :math:`p` of each trial, in :math:`[0, 1]`; a float
            or an array whose shape is the ``batch_shape``.
        logits: the log-odds :math:`\log(p / (1 - p))` of a success, any real (instead of
            ``probs``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if neither or both of ``probs`` and ``logits`` are given, or a concrete
            parameter lies outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Geometric(probs=0.5)
        >>> float(d.mean), float(d.cdf(0.0))
        (1.0, 0.5)
    """

    probs: jax.Array | float
    logits: jax.Array | float
    _given: str = eqx.field(static=True, repr=False)

    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, *, validate_args=None):
        self.probs, self.logits, self._given = probs_or_logits(
            "Geometric", probs, logits, is_binary=True
        )
        super().__init__(jnp.shape(self.probs), validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """The constraint of the parameter given: ``logits`` real or ``probs`` in [0, 1]."""
        if self._given == "logits":
            return {"logits": constraints.real}
        return {"probs": constraints.unit_interval}

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        u = jax.random.uniform(key, shape, minval=jnp.finfo(jnp.result_type(float)).tiny)
        _, log_q = _log_p_and_log_q(self)
        return to_int(jnp.floor(jnp.log(u) / log_q))

    def _log_prob(self, value):
        value = jnp.asarray(value, jnp.result_type(value, float))
        if self._given == "logits":
            return -value * softplus(self.logits) - softplus(-self.logits)
        return xlog1py(value, -self.probs) + jnp.log(self.probs)

    def cdf(self, value):
        k = jnp.floor(jnp.asarray(value, jnp.result_type(value, float)))
        _, log_q = _log_p_and_log_q(self)
        return jnp.where(k < 0, 0.0, -jnp.expm1((jnp.maximum(k, 0.0) + 1.0) * log_q))

    def icdf(self, q):
        _, log_q = _log_p_and_log_q(self)
        q = jnp.asarray(q)
        k = jnp.maximum(jnp.ceil(jnp.log1p(-q) / log_q - 1.0), 0.0)
        # the ratio of logs can round up past a whole number; step back when the cdf allows
        return jnp.where((k > 0) & (self.cdf(k - 1.0) >= q), k - 1.0, k)

    @property
    def mean(self):
        odds = jnp.exp(-self.logits) if self._given == "logits" else jnp.divide(_q(self), self.probs)
        return jnp.broadcast_to(odds, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(_q(self) / jnp.square(self.probs), self.batch_shape)

    def entropy(self):
        log_p, log_q = _log_p_and_log_q(self)
        if self._given == "logits":
            h = -(self.probs * log_p + _q(self) * log_q) / self.probs
        else:
            h = -(xlogy(self.probs, self.probs) + xlog1py(1.0 - self.probs, -self.probs)) / self.probs
        return jnp.broadcast_to(h, self.batch_shape)


def BernoulliProbs(probs, *, validate_args=None):
    """``Bernoulli(probs=probs)`` (NumPyro's name).

    Args:
        probs: the probability of a 1, in :math:`[0, 1]`.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Bernoulli`` parameterised by ``probs``.
    """
    return Bernoulli(probs=probs, validate_args=validate_args)


def BernoulliLogits(logits, *, validate_args=None):
    """``Bernoulli(logits=logits)`` (NumPyro's name).

    Args:
        logits: the log-odds of a 1, any real.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Bernoulli`` parameterised by ``logits``.
    """
    return Bernoulli(logits=logits, validate_args=validate_args)


def BinomialProbs(probs, total_count=1, *, validate_args=None):
    """``Binomial(total_count, probs=probs)`` (NumPyro's name and argument order).

    Args:
        probs: the success probability of each trial, in :math:`[0, 1]`.
        total_count: the number of trials, a non-negative integer (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Binomial`` parameterised by ``probs``.
    """
    return Binomial(total_count, probs=probs, validate_args=validate_args)


def BinomialLogits(logits, total_count=1, *, validate_args=None):
    """``Binomial(total_count, logits=logits)`` (NumPyro's name and argument order).

    Args:
        logits: the log-odds of a success in each trial, any real.
        total_count: the number of trials, a non-negative integer (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Binomial`` parameterised by ``logits``.
    """
    return Binomial(total_count, logits=logits, validate_args=validate_args)


def GeometricProbs(probs, *, validate_args=None):
    """``Geometric(probs=probs)`` (NumPyro's name).

    Args:
        probs: the success probability of each trial, in :math:`[0, 1]`.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Geometric`` parameterised by ``probs``.
    """
    return Geometric(probs=probs, validate_args=validate_args)


def GeometricLogits(logits, *, validate_args=None):
    """``Geometric(logits=logits)`` (NumPyro's name).

    Args:
        logits: the log-odds of a success in each trial, any real.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Geometric`` parameterised by ``logits``.
    """
    return Geometric(logits=logits, validate_args=validate_args)
