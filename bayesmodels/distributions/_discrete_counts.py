r"""Count families on :math:`\{0, 1, 2, \dots\}` (or :math:`\{0, \dots, n\}`):
``Poisson``, ``GammaPoisson``, ``NegativeBinomial`` (``total_count`` with ``probs`` or
``logits``), ``NegativeBinomial2`` (mean and concentration) and ``BetaBinomial``.

The negative binomials are gamma mixtures of Poissons, and sample that way. Draws are
integers of JAX's default integer dtype (``int32``). Their entropies need infinite sums
and are not implemented (``BetaBinomial``'s finite one is).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.nn import softplus
from jax.scipy.special import betainc, betaln, gammaincc, gammaln, xlog1py, xlogy

from . import _constraints as constraints
from ._discrete_util import (
    arange_support,
    check_parameter,
    concrete_max,
    entropy_by_enumeration,
    is_concrete_and_homogeneous,
    log_binomial_coefficient,
    probs_or_logits,
    to_int,
)
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, promote_shapes

__all__ = [
    "BetaBinomial",
    "GammaPoisson",
    "NegativeBinomial",
    "NegativeBinomial2",
    "NegativeBinomialLogits",
    "NegativeBinomialProbs",
    "Poisson",
]


def _float(value):
    return jnp.asarray(value, jnp.result_type(value, float))


def _log_rising_ratio(alpha, k):
    r""":math:`\log \frac{\Gamma(k + \alpha)}{\Gamma(\alpha)\, k!}`, via ``betaln`` (no
    cancellation between huge ``gammaln`` terms when :math:`\alpha` is large)."""
    return -jnp.log(k + alpha) - betaln(alpha, k + 1.0)


def _poisson_mixture_cdf(value, alpha, success):
    r""":math:`P(X \le k)` of a negative binomial with shape :math:`\alpha` and
    :math:`P(X = k) \propto (1 - s)^k`, i.e. :math:`I_{s}(\alpha, k + 1)`."""
    k = jnp.floor(_float(value))
    shape = jnp.broadcast_shapes(jnp.shape(k), jnp.shape(alpha), jnp.shape(success))
    k = jnp.broadcast_to(k, shape)
    tail = betainc(jnp.broadcast_to(alpha, shape), jnp.maximum(k, 0.0) + 1.0,
                   jnp.broadcast_to(success, shape))
    return jnp.where(k < 0, 0.0, tail)


class Poisson(Distribution):
    r"""Counts of events that occur at ``rate`` :math:`\lambda`:

    .. math::

        P(X = k \mid \lambda) = \frac{\lambda^{k} e^{-\lambda}}{k!}, \qquad k = 0, 1, \dots

    ``rate = 0`` is allowed (all mass at 0). ``is_sparse`` is accepted for NumPyro
    compatibility; the dense computation is used either way.

    Args:
        rate: the rate :math:`\lambda \ge 0`, a float or an array whose shape is the
            ``batch_shape``.
        is_sparse: accepted for NumPyro compatibility and ignored (default ``False``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.Poisson(3.0)
        >>> float(d.mean), float(d.variance)
        (3.0, 3.0)
    """

    rate: jax.Array | float
    is_sparse: bool = eqx.field(static=True, repr=False)

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, *, is_sparse=False, validate_args=None):
        self.rate = as_float_array(rate)
        self.is_sparse = bool(is_sparse)
        super().__init__(jnp.shape(self.rate), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        return to_int(jax.random.poisson(key, self.rate, self.shape(sample_shape)))

    def _log_prob(self, value):
        value = _float(value)
        return xlogy(value, self.rate) - self.rate - gammaln(value + 1.0)

    def cdf(self, value):
        k = jnp.floor(_float(value))
        return jnp.where(k < 0, 0.0, gammaincc(jnp.maximum(k, 0.0) + 1.0, self.rate))

    @property
    def mean(self):
        return jnp.broadcast_to(self.rate, self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(self.rate, self.batch_shape)


class GammaPoisson(Distribution):
    r"""Poisson counts whose rate is ``Gamma(concentration, rate)``; a negative binomial:

    .. math::

        P(X = k \mid \alpha, \beta) = \frac{\Gamma(k + \alpha)}{\Gamma(\alpha)\, k!}
            \Bigl(\frac{\beta}{1 + \beta}\Bigr)^{\alpha} \Bigl(\frac{1}{1 + \beta}\Bigr)^{k}.

    Its mean is :math:`\alpha / \beta` and its variance :math:`\alpha (1 + \beta) / \beta^2`.

    Args:
        concentration: the Gamma shape :math:`\alpha > 0`.
        rate: the Gamma rate :math:`\beta > 0` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.GammaPoisson(2.0, rate=0.5)
        >>> float(d.mean), float(d.variance)
        (4.0, 12.0)
    """

    concentration: jax.Array | float
    rate: jax.Array | float

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative_integer

    def __init__(self, concentration, rate=1.0, *, validate_args=None):
        self.concentration, self.rate = promote_shapes(as_float_array(concentration), as_float_array(rate))
        super().__init__(batch_shape_of(self.concentration, self.rate), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        key_gamma, key_poisson = jax.random.split(key)
        rate = jax.random.gamma(key_gamma, self.concentration, shape) / self.rate
        return to_int(jax.random.poisson(key_poisson, rate))

    def _log_prob(self, value):
        k, alpha, beta = _float(value), self.concentration, self.rate
        return _log_rising_ratio(alpha, k) - alpha * jnp.log1p(1.0 / beta) - k * jnp.log1p(beta)

    def cdf(self, value):
        return _poisson_mixture_cdf(value, self.concentration, self.rate / (1.0 + self.rate))

    @property
    def mean(self):
        return jnp.broadcast_to(self.concentration / self.rate, self.batch_shape)

    @property
    def variance(self):
        rate = self.rate
        return jnp.broadcast_to(self.concentration * (1.0 + rate) / jnp.square(rate), self.batch_shape)


class NegativeBinomial(Distribution):
    r"""Successes before ``total_count`` failures, each trial succeeding with
    probability :math:`p`:

    .. math::

        P(X = k \mid r, p) = \frac{\Gamma(k + r)}{\Gamma(r)\, k!}\, p^{k} (1 - p)^{r},
        \qquad k = 0, 1, \dots,

    with :math:`r` = ``total_count`` (any positive real) and :math:`p` = ``probs`` or
    :math:`\sigma(` ``logits`` :math:`)` (pass exactly one); NumPyro's and PyTorch's
    convention. (SciPy's ``nbinom(n, p)`` is this with ``n = r`` and ``p = 1 - p``.)

    Args:
        total_count: the number of failures :math:`r > 0`, any positive real.
        probs: the success probability :math:`p` of each trial, in :math:`[0, 1]`.
        logits: the log-odds :math:`\log(p / (1 - p))` of a success, any real (instead of
            ``probs``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if neither or both of ``probs`` and ``logits`` are given, or a concrete
            parameter lies outside its constraint (unless ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.NegativeBinomial(4.0, probs=0.5)
        >>> float(d.mean), float(d.variance)
        (4.0, 8.0)
    """

    total_count: jax.Array | float
    probs: jax.Array | float
    logits: jax.Array | float
    _given: str = eqx.field(static=True, repr=False)

    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, *, validate_args=None):
        probs, logits, self._given = probs_or_logits("NegativeBinomial", probs, logits, is_binary=True)
        self.total_count, self.probs, self.logits = promote_shapes(
            as_float_array(total_count), probs, logits
        )
        super().__init__(batch_shape_of(self.total_count, self.probs), validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """``total_count`` positive; ``logits`` real or ``probs`` in [0, 1]."""
        if self._given == "logits":
            return {"total_count": constraints.positive, "logits": constraints.real}
        return {"total_count": constraints.positive, "probs": constraints.unit_interval}

    def _odds(self):
        """:math:`p / (1 - p)`, the Gamma mixing scale."""
        if self._given == "logits":
            return jnp.exp(self.logits)
        return jnp.divide(self.probs, 1.0 - self.probs)  # inf at probs = 1 (a Python float would raise)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        key_gamma, key_poisson = jax.random.split(key)
        rate = jax.random.gamma(key_gamma, self.total_count, shape) * self._odds()
        return to_int(jax.random.poisson(key_poisson, rate))

    def _log_prob(self, value):
        k, r = _float(value), self.total_count
        if self._given == "logits":
            log_lik = -k * softplus(-self.logits) - r * softplus(self.logits)
        else:
            log_lik = xlogy(k, self.probs) + xlog1py(r, -self.probs)
        return _log_rising_ratio(r, k) + log_lik

    def cdf(self, value):
        failure = jax.nn.sigmoid(-self.logits) if self._given == "logits" else 1.0 - self.probs
        return _poisson_mixture_cdf(value, self.total_count, failure)

    @property
    def mean(self):
        return jnp.broadcast_to(self.total_count * self._odds(), self.batch_shape)

    @property
    def variance(self):
        odds = self._odds()
        return jnp.broadcast_to(self.total_count * odds * (1.0 + odds), self.batch_shape)


def NegativeBinomialProbs(total_count, probs, *, validate_args=None):
    """``NegativeBinomial(total_count, probs=probs)`` (NumPyro's name).

    Args:
        total_count: the number of failures, a positive real.
        probs: the success probability of each trial, in :math:`[0, 1]`.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``NegativeBinomial`` parameterised by ``probs``.
    """
    return NegativeBinomial(total_count, probs=probs, validate_args=validate_args)


def NegativeBinomialLogits(total_count, logits, *, validate_args=None):
    """``NegativeBinomial(total_count, logits=logits)`` (NumPyro's name).

    Args:
        total_count: the number of failures, a positive real.
        logits: the log-odds of a success in each trial, any real.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``NegativeBinomial`` parameterised by ``logits``.
    """
    return NegativeBinomial(total_count, logits=logits, validate_args=validate_args)


def NegativeBinomial2(mean, concentration, *, validate_args=None):
    r"""The negative binomial with mean :math:`\mu` = ``mean`` and variance
    :math:`\mu + \mu^2 / \phi`, :math:`\phi` = ``concentration``:

    .. math::

        P(X = k \mid \mu, \phi) = \frac{\Gamma(k + \phi)}{\Gamma(\phi)\, k!}
            \Bigl(\frac{\phi}{\phi + \mu}\Bigr)^{\phi} \Bigl(\frac{\mu}{\phi + \mu}\Bigr)^{k}.

    As in NumPyro, this returns ``GammaPoisson(concentration, rate=concentration / mean)``;
    ``.mean`` gives back the mean.

    Args:
        mean: the mean :math:`\mu > 0`.
        concentration: the concentration :math:`\phi > 0`; the larger, the closer to a
            Poisson.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``GammaPoisson`` with ``concentration`` :math:`\phi` and ``rate``
        :math:`\phi / \mu`.

    Raises:
        ValueError: if a concrete ``mean`` or ``concentration`` is not positive (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.NegativeBinomial2(mean=3.0, concentration=2.0)
        >>> type(d).__name__, round(float(d.mean), 4), round(float(d.variance), 4)
        ('GammaPoisson', 3.0, 7.5)
    """
    mean, concentration = as_float_array(mean), as_float_array(concentration)
    check_parameter("NegativeBinomial2", "mean", mean, constraints.positive, validate_args)
    check_parameter("NegativeBinomial2", "concentration", concentration, constraints.positive, validate_args)
    return GammaPoisson(concentration, concentration / mean, validate_args=validate_args)


class BetaBinomial(Distribution):
    r"""Binomial counts whose success probability is ``Beta(concentration1, concentration0)``:

    .. math::

        P(X = k \mid \alpha, \beta, n) = \binom{n}{k}
            \frac{B(k + \alpha,\, n - k + \beta)}{B(\alpha, \beta)}, \qquad k = 0, \dots, n.

    ``enumerate_support`` needs a concrete ``total_count`` that is the same across the
    batch; ``entropy`` sums over the support (concrete ``total_count``). No ``cdf``.

    Args:
        concentration1: the Beta's first shape :math:`\alpha > 0` (weight on success).
        concentration0: the Beta's second shape :math:`\beta > 0` (weight on failure).
        total_count: the number of trials :math:`n`, a non-negative integer (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.BetaBinomial(2.0, 2.0, total_count=10)
        >>> float(d.mean), d.enumerate_support().shape
        (5.0, (11,))
    """

    concentration1: jax.Array | float
    concentration0: jax.Array | float
    total_count: jax.Array | float

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
        "total_count": constraints.nonnegative_integer,
    }

    def __init__(self, concentration1, concentration0, total_count=1, *, validate_args=None):
        self.concentration1, self.concentration0, self.total_count = promote_shapes(
            as_float_array(concentration1), as_float_array(concentration0), as_float_array(total_count)
        )
        batch_shape = batch_shape_of(self.concentration1, self.concentration0, self.total_count)
        super().__init__(batch_shape, validate_args=validate_args)

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
        key_beta, key_binomial = jax.random.split(key)
        probs = jax.random.beta(key_beta, self.concentration1, self.concentration0, shape)
        return to_int(jax.random.binomial(key_binomial, self.total_count, probs, shape))

    def _log_prob(self, value):
        k, n = _float(value), self.total_count
        a, b = self.concentration1, self.concentration0
        return log_binomial_coefficient(n, k) + betaln(k + a, n - k + b) - betaln(a, b)

    @property
    def mean(self):
        share = self.concentration1 / (self.concentration1 + self.concentration0)
        return jnp.broadcast_to(self.total_count * share, self.batch_shape)

    @property
    def variance(self):
        a, b, n = self.concentration1, self.concentration0, self.total_count
        total = a + b
        v = n * a * b * (total + n) / (jnp.square(total) * (total + 1.0))
        return jnp.broadcast_to(v, self.batch_shape)

    def entropy(self):
        r"""Entropy in nats, :math:`-\sum_k P(k) \log P(k)` summed over the support.

        ``total_count`` must be concrete (not traced); it may differ across the batch.

        Returns:
            An array of shape ``batch_shape``: one entropy per batch element.

        Raises:
            NotImplementedError: if ``total_count`` is traced (inside ``jit`` or ``vmap``).
        """
        n_max = concrete_max("BetaBinomial", "total_count", self.total_count, homogeneous=False)
        return entropy_by_enumeration(self, arange_support(0, n_max, self.batch_shape, False))

    def enumerate_support(self, expand=True):
        n = concrete_max("BetaBinomial", "total_count", self.total_count, homogeneous=True)
        return arange_support(0, n, self.batch_shape, expand)
