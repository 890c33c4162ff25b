r"""Families on a finite set of integers: ``Categorical``, ``OrderedLogistic`` and
``DiscreteUniform``.

Draws are category indices (or integers in ``[low, high]``) of JAX's default integer
dtype (``int32``). ``Categorical`` takes exactly one of ``probs`` (a simplex along the
last axis) and ``logits`` (any finite vector, normalised by ``log_softmax``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.nn import log_softmax, softplus
from jax.scipy.special import xlogy

from . import _constraints as constraints
from ._discrete_util import (
    category_vector,
    arange_support,
    concrete_max,
    int_dtype,
    is_concrete_and_homogeneous,
    probs_or_logits,
    to_int,
)
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, describe_values, is_traced, log1mexp

__all__ = ["Categorical", "CategoricalLogits", "CategoricalProbs", "DiscreteUniform", "OrderedLogistic"]


def _pick(log_pmf, value):
    """``log_pmf[..., value]`` with ``value`` (sample + batch dims) broadcast against it."""
    index = jnp.asarray(value).astype(int_dtype())
    shape = jnp.broadcast_shapes(jnp.shape(index), log_pmf.shape[:-1])
    log_pmf = jnp.broadcast_to(log_pmf, shape + log_pmf.shape[-1:])
    index = jnp.broadcast_to(index, shape)[..., None]
    return jnp.take_along_axis(log_pmf, index, axis=-1)[..., 0]


def _index_moments(probs):
    """Mean and variance of the category index under ``probs`` (last axis)."""
    k = jnp.arange(probs.shape[-1], dtype=probs.dtype)
    mean = jnp.sum(k * probs, -1)
    return mean, jnp.sum(jnp.square(k - mean[..., None]) * probs, -1)


class Categorical(Distribution):
    r"""One draw from categories :math:`0, \dots, K - 1` with probabilities :math:`p`:

    .. math::

        P(X = k \mid p) = p_k, \qquad p = \texttt{probs} \text{ or }
        p = \operatorname{softmax}(\texttt{logits}),

    where the last axis of ``probs``/``logits`` indexes the categories (pass exactly one).
    ``mean`` and ``variance`` are those of the index :math:`k` (NumPyro returns NaN).

    Args:
        probs: the category probabilities, an array whose last axis (of length :math:`K`)
            is a simplex: non-negative, summing to 1. The leading axes are the
            ``batch_shape``.
        logits: unnormalised log probabilities, finite reals laid out like ``probs``
            (normalised with ``log_softmax``), instead of ``probs``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if neither or both of ``probs`` and ``logits`` are given, if the one
            given is a scalar, or if a concrete parameter lies outside its constraint
            (unless ``validate_args=False``).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Categorical(probs=jnp.array([0.2, 0.3, 0.5]))
        >>> d.batch_shape, d.enumerate_support().shape
        ((), (3,))
        >>> round(float(d.log_prob(2)), 4)
        -0.6931
    """

    probs: jax.Array
    logits: jax.Array
    _given: str = eqx.field(static=True, repr=False)

    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, *, validate_args=None):
        if probs is not None:
            probs = category_vector("Categorical", "probs", probs)
        if logits is not None:
            logits = category_vector("Categorical", "logits", logits)
        self.probs, self.logits, self._given = probs_or_logits(
            "Categorical", probs, logits, is_binary=False
        )
        super().__init__(jnp.shape(self.probs)[:-1], validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """The constraint of the parameter given: ``logits`` real or ``probs`` a simplex."""
        if self._given == "logits":
            return {"logits": constraints.real_vector}
        return {"probs": constraints.simplex}

    @property
    def support(self):  # type: ignore[override]
        """The category indices, the integers from 0 to :math:`K - 1`."""
        return constraints.integer_interval(0, self.probs.shape[-1] - 1)

    def _log_pmf(self):
        return log_softmax(self.logits, -1) if self._given == "logits" else jnp.log(self.probs)

    def sample(self, key, sample_shape=()):
        return to_int(jax.random.categorical(key, self._log_pmf(), shape=self.shape(sample_shape)))

    def _log_prob(self, value):
        return _pick(self._log_pmf(), value)

    @property
    def mean(self):
        return _index_moments(self.probs)[0]

    @property
    def variance(self):
        return _index_moments(self.probs)[1]

    def entropy(self):
        if self._given == "logits":
            return -jnp.sum(self.probs * log_softmax(self.logits, -1), -1)
        return -jnp.sum(xlogy(self.probs, self.probs), -1)

    def enumerate_support(self, expand=True):
        return arange_support(0, self.probs.shape[-1] - 1, self.batch_shape, expand)


class OrderedLogistic(Distribution):
    r"""Ordinal outcome :math:`0, \dots, K` from a latent logistic variable cut at
    ``cutpoints`` :math:`c_0 < \dots < c_{K-1}`:

    .. math::

        P(X \le k \mid \eta, c) = \sigma(c_k - \eta), \qquad
        P(X = k) = \sigma(c_k - \eta) - \sigma(c_{k-1} - \eta),

    with :math:`\eta` = ``predictor``, :math:`\sigma(c_{-1} - \eta) = 0` and
    :math:`\sigma(c_K - \eta) = 1`. Probabilities are computed in log space, so extreme
    predictors give exact zeros rather than NaN. ``probs`` and ``logits`` (normalised
    log probabilities) are available as properties.

    Args:
        predictor: the linear predictor :math:`\eta`, a real number or an array; it
            broadcasts with the leading (batch) axes of ``cutpoints``.
        cutpoints: the :math:`K` cut points along the last axis, strictly increasing and
            finite (an array of rank at least 1; leading axes are batch axes).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``cutpoints`` is a scalar, or a concrete parameter lies outside its
            constraint (unless ``validate_args=False``).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.OrderedLogistic(0.0, jnp.array([-1.0, 1.0]))
        >>> [round(float(p), 3) for p in d.probs]
        [0.269, 0.462, 0.269]
    """

    predictor: jax.Array | float
    cutpoints: jax.Array

    arg_constraints = {"predictor": constraints.real, "cutpoints": constraints.ordered_vector}
    has_enumerate_support = True

    def __init__(self, predictor, cutpoints, *, validate_args=None):
        self.predictor = as_float_array(predictor)
        self.cutpoints = category_vector("OrderedLogistic", "cutpoints", cutpoints)
        batch_shape = batch_shape_of(self.predictor, self.cutpoints, event_dims=(0, 1))
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        """The integers from 0 to :math:`K`, the number of cut points."""
        return constraints.integer_interval(0, self.cutpoints.shape[-1])

    @property
    def logits(self):
        """Log probabilities of the :math:`K + 1` outcomes (last axis)."""
        eta = jnp.asarray(self.predictor)[..., None]
        c = self.cutpoints
        first = -softplus(eta - c[..., :1])
        last = -softplus(c[..., -1:] - eta)
        # log(sigmoid(a) - sigmoid(b)) = log sigmoid(a) + log sigmoid(-b) + log(1 - e^(b - a))
        middle = -softplus(eta - c[..., 1:]) - softplus(c[..., :-1] - eta) + log1mexp(
            c[..., :-1] - c[..., 1:]
        )
        batch = self.batch_shape
        parts = [
            jnp.broadcast_to(first, batch + (1,)),
            jnp.broadcast_to(middle, batch + middle.shape[-1:]),
            jnp.broadcast_to(last, batch + (1,)),
        ]
        return jnp.concatenate(parts, axis=-1)

    @property
    def probs(self):
        """Probabilities of the :math:`K + 1` outcomes (last axis)."""
        return jnp.exp(self.logits)

    def sample(self, key, sample_shape=()):
        latent = jnp.asarray(self.predictor) + jax.random.logistic(key, self.shape(sample_shape))
        return jnp.sum(self.cutpoints < latent[..., None], axis=-1).astype(int_dtype())

    def _log_prob(self, value):
        return _pick(self.logits, value)

    @property
    def mean(self):
        return _index_moments(self.probs)[0]

    @property
    def variance(self):
        return _index_moments(self.probs)[1]

    def entropy(self):
        log_probs = self.logits
        return -jnp.sum(jnp.exp(log_probs) * log_probs, -1)

    def enumerate_support(self, expand=True):
        return arange_support(0, self.cutpoints.shape[-1], self.batch_shape, expand)


class DiscreteUniform(Distribution):
    r"""Equally likely integers from ``low`` to ``high``, both included:

    .. math::

        P(X = k \mid a, b) = \frac{1}{b - a + 1}, \qquad k = a, a + 1, \dots, b.

    ``low`` and ``high`` must be integers with ``low <= high``. (SciPy's ``randint``
    excludes ``high``.) ``enumerate_support`` needs concrete bounds that are the same
    across the batch; ``has_enumerate_support`` says whether that holds.

    Args:
        low: the smallest value :math:`a`, an integer (default 0).
        high: the largest value :math:`b`, an integer with ``high >= low`` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete ``low`` or ``high`` is not a whole number, or
            ``high < low`` (unless ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.DiscreteUniform(1, 6)
        >>> float(d.mean), round(float(d.cdf(2.0)), 4)
        (3.5, 0.3333)
    """

    low: jax.Array | float
    high: jax.Array | float

    def __init__(self, low=0, high=1, *, validate_args=None):
        self.low, self.high = as_float_array(low), as_float_array(high)
        for name, value in (("low", self.low), ("high", self.high)):
            _check_integer("DiscreteUniform", name, value, validate_args)
        super().__init__(batch_shape_of(self.low, self.high), validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """``low`` a real number and ``high`` at least ``low``."""
        return {"low": constraints.real, "high": constraints.greater_than_eq(self.low)}

    @property
    def support(self):  # type: ignore[override]
        """The integers from ``low`` to ``high``."""
        return constraints.integer_interval(self.low, self.high)

    @property
    def has_enumerate_support(self):  # type: ignore[override]
        """Whether ``low`` and ``high`` are concrete and each the same across the batch."""
        return is_concrete_and_homogeneous(self.low, self.high)

    def _count(self):
        return self.high - self.low + 1.0

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        u = jax.random.uniform(key, shape)
        offset = jnp.minimum(jnp.floor(u * self._count()), self._count() - 1.0)
        return to_int(self.low + offset)

    def _log_prob(self, value):
        shape = jnp.broadcast_shapes(jnp.shape(value), self.batch_shape)
        return jnp.broadcast_to(-jnp.log(self._count()), shape)

    def cdf(self, value):
        k = jnp.floor(jnp.asarray(value, jnp.result_type(value, float)))
        return jnp.clip((k - self.low + 1.0) / self._count(), 0.0, 1.0)

    def icdf(self, q):
        q = jnp.asarray(q)
        k = jnp.maximum(self.low + jnp.ceil(q * self._count()) - 1.0, self.low)
        # q * count can round up past a whole number; step back when the cdf allows
        return jnp.where((k > self.low) & (self.cdf(k - 1.0) >= q), k - 1.0, k)

    @property
    def mean(self):
        return jnp.broadcast_to((self.low + self.high) / 2.0, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to((jnp.square(self._count()) - 1.0) / 12.0, self.batch_shape)

    def entropy(self):
        return jnp.broadcast_to(jnp.log(self._count()), self.batch_shape)

    def enumerate_support(self, expand=True):
        low = -concrete_max("DiscreteUniform", "low", -jnp.asarray(self.low), homogeneous=True)
        high = concrete_max("DiscreteUniform", "high", self.high, homogeneous=True)
        return arange_support(low, high, self.batch_shape, expand)


def _check_integer(family, name, value, validate_args):
    if validate_args is False or is_traced(value):
        return
    value = np.asarray(value)
    ok = np.floor(value) == value
    if not ok.all():
        raise ValueError(
            f"{family}: parameter '{name}' must be an integer; got {describe_values(value, ok)}."
        )


def CategoricalProbs(probs, *, validate_args=None):
    """``Categorical(probs=probs)`` (NumPyro's name).

    Args:
        probs: the category probabilities, a simplex along the last axis.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Categorical`` parameterised by ``probs``.
    """
    return Categorical(probs=probs, validate_args=validate_args)


def CategoricalLogits(logits, *, validate_args=None):
    """``Categorical(logits=logits)`` (NumPyro's name).

    Args:
        logits: unnormalised log probabilities of the categories (last axis).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Categorical`` parameterised by ``logits``.
    """
    return Categorical(logits=logits, validate_args=validate_args)
