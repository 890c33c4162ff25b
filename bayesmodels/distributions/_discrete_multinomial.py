r"""Count vectors: ``Multinomial`` and ``DirichletMultinomial``.

A draw is a vector of :math:`K` non-negative integer counts summing to ``total_count``
(event shape ``(K,)``), of JAX's default integer dtype (``int32``). Sampling draws the
categories one after another from conditional binomials, so ``total_count`` can be a
traced array and no static bound (NumPyro's ``total_count_max``) is needed.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.nn import log_softmax
from jax.scipy.special import betaln, gammaln, xlogy

from . import _constraints as constraints
from ._discrete_util import category_vector, probs_or_logits, sample_multinomial
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of

__all__ = ["DirichletMultinomial", "Multinomial", "MultinomialLogits", "MultinomialProbs"]


def _with_batch(total_count, vector):
    """``total_count`` and ``vector`` (event dim last) broadcast to a common batch shape."""
    batch_shape = batch_shape_of(total_count, vector, event_dims=(0, 1))
    total_count = jnp.broadcast_to(jnp.asarray(total_count, vector.dtype), batch_shape)
    vector = jnp.broadcast_to(vector, batch_shape + vector.shape[-1:])
    return total_count, vector, batch_shape


class Multinomial(Distribution):
    r"""Counts of each of :math:`K` categories in ``total_count`` independent draws:

    .. math::

        P(X = x \mid n, p) = \frac{n!}{\prod_k x_k!} \prod_k p_k^{x_k},
        \qquad \sum_k x_k = n,

    with :math:`p` = ``probs`` (a simplex) or :math:`\operatorname{softmax}(` ``logits``
    :math:`)` (pass exactly one). ``total_count_max`` is accepted for NumPyro
    compatibility and not needed.

    Args:
        total_count: the number of draws :math:`n`, a non-negative integer (default 1); an
            array broadcasts with the batch axes of ``probs``/``logits``.
        probs: the category probabilities, an array whose last axis (of length :math:`K`,
            the ``event_shape``) is a simplex; the leading axes are batch axes.
        logits: unnormalised log probabilities laid out like ``probs`` (normalised with
            ``log_softmax``), instead of ``probs``.
        total_count_max: accepted for NumPyro compatibility and ignored.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if neither or both of ``probs`` and ``logits`` are given, if the one
            given is a scalar, or if a concrete parameter lies outside its constraint
            (unless ``validate_args=False``).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Multinomial(10, probs=jnp.array([0.2, 0.3, 0.5]))
        >>> d.event_shape, d.mean
        ((3,), Array([2., 3., 5.], dtype=float32))
        >>> int(d.sample(jax.random.PRNGKey(0)).sum())
        10
    """

    total_count: jax.Array
    probs: jax.Array
    logits: jax.Array
    _given: str = eqx.field(static=True, repr=False)

    def __init__(self, total_count=1, probs=None, logits=None, *, total_count_max=None,
                 validate_args=None):
        del total_count_max  # the conditional-binomial sampler needs no static bound
        if probs is not None:
            probs = category_vector("Multinomial", "probs", probs)
        if logits is not None:
            logits = category_vector("Multinomial", "logits", logits)
        probs, logits, self._given = probs_or_logits("Multinomial", probs, logits, is_binary=False)
        self.total_count, self.probs, batch_shape = _with_batch(as_float_array(total_count), probs)
        self.logits = jnp.broadcast_to(logits, self.probs.shape)
        super().__init__(batch_shape, self.probs.shape[-1:], validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """``total_count`` a non-negative integer; ``logits`` real or ``probs`` a simplex."""
        if self._given == "logits":
            return {"total_count": constraints.nonnegative_integer, "logits": constraints.real_vector}
        return {"total_count": constraints.nonnegative_integer, "probs": constraints.simplex}

    @property
    def support(self):  # type: ignore[override]
        """Vectors of :math:`K` non-negative integers summing to ``total_count``."""
        return constraints.multinomial(self.total_count)

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + self.batch_shape
        return sample_multinomial(key, self.total_count, self.probs, shape)

    def _log_prob(self, value):
        value = jnp.asarray(value, jnp.result_type(value, float))
        if self._given == "logits":
            log_lik = jnp.sum(value * log_softmax(self.logits, -1), -1)
        else:
            log_lik = jnp.sum(xlogy(value, self.probs), -1)
        return gammaln(self.total_count + 1.0) - jnp.sum(gammaln(value + 1.0), -1) + log_lik

    @property
    def mean(self):
        return self.total_count[..., None] * self.probs

    @property
    def variance(self):
        return self.total_count[..., None] * self.probs * (1.0 - self.probs)


class DirichletMultinomial(Distribution):
    r"""Multinomial counts whose probabilities are drawn from ``Dirichlet(concentration)``:

    .. math::

        P(X = x \mid \alpha, n) = \frac{n!\,\Gamma(\alpha_0)}{\Gamma(n + \alpha_0)}
            \prod_k \frac{\Gamma(x_k + \alpha_k)}{x_k!\,\Gamma(\alpha_k)},
        \qquad \alpha_0 = \sum_k \alpha_k,\ \sum_k x_k = n.

    Args:
        concentration: the Dirichlet concentrations :math:`\alpha`, positive, along the
            last axis (of length :math:`K`, the ``event_shape``); leading axes are batch
            axes.
        total_count: the number of draws :math:`n`, a non-negative integer (default 1); an
            array broadcasts with the batch axes of ``concentration``.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``concentration`` is a scalar, or a concrete parameter lies outside
            its constraint (unless ``validate_args=False``).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> d = dist.DirichletMultinomial(jnp.array([1.0, 1.0, 2.0]), total_count=8)
        >>> d.mean
        Array([2., 2., 4.], dtype=float32)
    """

    concentration: jax.Array
    total_count: jax.Array

    arg_constraints = {
        "concentration": constraints.independent(constraints.positive, 1),
        "total_count": constraints.nonnegative_integer,
    }

    def __init__(self, concentration, total_count=1, *, validate_args=None):
        concentration = category_vector("DirichletMultinomial", "concentration", concentration)
        self.total_count, self.concentration, batch_shape = _with_batch(
            as_float_array(total_count), concentration
        )
        super().__init__(batch_shape, concentration.shape[-1:], validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        """Vectors of :math:`K` non-negative integers summing to ``total_count``."""
        return constraints.multinomial(self.total_count)

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + self.batch_shape
        key_p, key_x = jax.random.split(key)
        probs = jax.random.dirichlet(key_p, self.concentration, shape)
        return sample_multinomial(key_x, self.total_count, probs, shape)

    def _log_prob(self, value):
        # n! G(a0) / G(n + a0) = n B(a0, n) and G(x + a) / (x! G(a)) = 1 / (x B(a, x)),
        # through betaln so that large counts keep their precision
        x = jnp.asarray(value, jnp.result_type(value, float))
        alpha, n = self.concentration, self.total_count
        alpha0 = jnp.sum(alpha, -1)
        safe_n = jnp.where(n > 0, n, 1.0)
        norm = jnp.where(n > 0, jnp.log(safe_n) + betaln(alpha0, safe_n), 0.0)
        safe_x = jnp.where(x > 0, x, 1.0)
        terms = jnp.where(x > 0, jnp.log(safe_x) + betaln(alpha, safe_x), 0.0)
        return norm - jnp.sum(terms, -1)

    @property
    def mean(self):
        share = self.concentration / jnp.sum(self.concentration, -1, keepdims=True)
        return self.total_count[..., None] * share

    @property
    def variance(self):
        alpha0 = jnp.sum(self.concentration, -1, keepdims=True)
        share = self.concentration / alpha0
        n = self.total_count[..., None]
        return n * share * (1.0 - share) * (n + alpha0) / (1.0 + alpha0)


def MultinomialProbs(probs, total_count=1, *, total_count_max=None, validate_args=None):
    """``Multinomial(total_count, probs=probs)`` (NumPyro's name and argument order).

    Args:
        probs: the category probabilities, a simplex along the last axis.
        total_count: the number of draws, a non-negative integer (default 1).
        total_count_max: accepted for NumPyro compatibility and ignored.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Multinomial`` parameterised by ``probs``.
    """
    return Multinomial(total_count, probs=probs, validate_args=validate_args)


def MultinomialLogits(logits, total_count=1, *, total_count_max=None, validate_args=None):
    """``Multinomial(total_count, logits=logits)`` (NumPyro's name and argument order).

    Args:
        logits: unnormalised log probabilities of the categories (last axis).
        total_count: the number of draws, a non-negative integer (default 1).
        total_count_max: accepted for NumPyro compatibility and ignored.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``Multinomial`` parameterised by ``logits``.
    """
    return Multinomial(total_count, logits=logits, validate_args=validate_args)
