r"""Zero inflation: extra mass at 0 mixed into a count distribution.

With gate :math:`g`, a draw is 0 with probability :math:`g` and a draw of the base
distribution otherwise:

.. math::

    P(X = 0) = g + (1 - g)\, P_{\text{base}}(0), \qquad
    P(X = k) = (1 - g)\, P_{\text{base}}(k) \quad (k \ne 0).

``ZeroInflatedDistribution`` wraps any discrete scalar family; ``ZeroInflatedPoisson``
and ``ZeroInflatedNegativeBinomial2`` are NumPyro's ready-made ones.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.nn import softplus
from jax.scipy.special import gammaincc, gammaln, xlogy

from . import _constraints as constraints
from ._discrete_counts import NegativeBinomial2
from ._discrete_util import check_parameter, int_dtype
from ._distribution import Distribution
from ._util import as_float_array, batch_shape_of, probs_to_logits, promote_shapes

__all__ = ["ZeroInflatedDistribution", "ZeroInflatedNegativeBinomial2", "ZeroInflatedPoisson"]


def _log_gates(gate, gate_logits):
    r""":math:`(\log g, \log(1 - g))` from the gate probability or its logits."""
    if gate_logits is not None:
        return -softplus(-gate_logits), -softplus(gate_logits)
    return jnp.log(gate), jnp.log1p(-gate)


def _inflate(value, base_log_prob, log_gate, log_keep):
    """Zero-inflated log mass from the base's log mass at ``value``."""
    at_zero = jnp.logaddexp(log_gate, log_keep + base_log_prob)
    return jnp.where(value == 0, at_zero, log_keep + base_log_prob)


def _inflated_sample(key, gate, base_sample, shape):
    zero = jax.random.uniform(key, shape) < gate
    return jnp.where(zero, jnp.zeros((), int_dtype()), base_sample).astype(int_dtype())


def _inflated_moments(gate, base_mean, base_variance):
    keep = 1.0 - gate
    mean = keep * base_mean
    return mean, keep * (base_variance + jnp.square(base_mean)) - jnp.square(mean)


class ZeroInflatedDistribution(Distribution):
    r"""``base_dist`` (a discrete scalar family) with extra mass ``gate`` at 0; pass
    exactly one of ``gate`` (a probability) and ``gate_logits``:

    .. math::

        P(X = 0) = g + (1 - g)\, P_{\text{base}}(0), \qquad
        P(X = k) = (1 - g)\, P_{\text{base}}(k) \quad (k \ne 0).

    Args:
        base_dist: a discrete ``Distribution`` with ``event_shape`` ``()``; it is expanded
            to the broadcast of its ``batch_shape`` and the shape of the gate.
        gate: the probability :math:`g` of an extra zero, in :math:`[0, 1]` (keyword-only).
        gate_logits: the log-odds :math:`\log(g / (1 - g))`, any real (instead of ``gate``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``base_dist`` is not a discrete distribution or has a non-empty
            ``event_shape``, if neither or both of ``gate`` and ``gate_logits`` are given,
            or if a concrete gate lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.ZeroInflatedDistribution(dist.Poisson(2.0), gate=0.25)
        >>> float(d.mean)
        1.5
    """

    base_dist: Distribution
    gate: jax.Array | float
    gate_logits: jax.Array | float
    _given: str = eqx.field(static=True, repr=False)

    def __init__(self, base_dist, *, gate=None, gate_logits=None, validate_args=None):
        if not isinstance(base_dist, Distribution) or not base_dist.support.is_discrete:
            raise ValueError(
                "ZeroInflatedDistribution: 'base_dist' must be a discrete distribution; got "
                f"{type(base_dist).__name__}."
            )
        if base_dist.event_shape != ():
            raise ValueError(
                "ZeroInflatedDistribution: 'base_dist' must have event_shape (); got "
                f"{base_dist.event_shape}."
            )
        if (gate is None) == (gate_logits is None):
            raise ValueError(
                "ZeroInflatedDistribution: pass exactly one of 'gate' or 'gate_logits'; got "
                f"{'neither' if gate is None else 'both'}."
            )
        self._given = "gate" if gate is not None else "gate_logits"
        if gate is not None:
            gate = as_float_array(gate)
            gate_logits = probs_to_logits(gate, is_binary=True)
        else:
            gate_logits = as_float_array(gate_logits)
            gate = jax.nn.sigmoid(gate_logits)
        self.gate, self.gate_logits = gate, gate_logits
        batch_shape = tuple(jnp.broadcast_shapes(jnp.shape(gate), base_dist.batch_shape))
        self.base_dist = base_dist.expand(batch_shape) if base_dist.batch_shape != batch_shape else base_dist
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def arg_constraints(self):  # type: ignore[override]
        """The constraint of the gate given: ``gate_logits`` real or ``gate`` in [0, 1]."""
        if self._given == "gate_logits":
            return {"gate_logits": constraints.real}
        return {"gate": constraints.unit_interval}

    @property
    def support(self):  # type: ignore[override]
        """The support of ``base_dist``."""
        return self.base_dist.support

    def sample(self, key, sample_shape=()):
        key_gate, key_base = jax.random.split(key)
        shape = self.shape(sample_shape)
        return _inflated_sample(key_gate, self.gate, self.base_dist.sample(key_base, sample_shape), shape)

    def _log_prob(self, value):
        logits = self.gate_logits if self._given == "gate_logits" else None
        log_gate, log_keep = _log_gates(self.gate, logits)
        return _inflate(value, self.base_dist.log_prob(value), log_gate, log_keep)

    def cdf(self, value):
        value = jnp.asarray(value)
        inflated = self.gate + (1.0 - self.gate) * self.base_dist.cdf(value)
        return jnp.where(value < 0, 0.0, inflated)

    @property
    def mean(self):
        return _inflated_moments(self.gate, self.base_dist.mean, self.base_dist.variance)[0]

    @property
    def variance(self):
        return _inflated_moments(self.gate, self.base_dist.mean, self.base_dist.variance)[1]


class ZeroInflatedPoisson(Distribution):
    r"""A Poisson with rate :math:`\lambda` = ``rate`` and extra mass :math:`g` = ``gate``
    at 0:

    .. math::

        P(X = 0) = g + (1 - g) e^{-\lambda}, \qquad
        P(X = k) = (1 - g) \frac{\lambda^{k} e^{-\lambda}}{k!} \quad (k \ge 1).

    Args:
        gate: the probability :math:`g` of an extra zero, in :math:`[0, 1]`.
        rate: the Poisson rate :math:`\lambda \ge 0` (default 1).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if a concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.ZeroInflatedPoisson(gate=0.5, rate=4.0)
        >>> float(d.mean), float(d.variance)
        (2.0, 6.0)
    """

    gate: jax.Array | float
    rate: jax.Array | float

    arg_constraints = {"gate": constraints.unit_interval, "rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, gate, rate=1.0, *, validate_args=None):
        self.gate, self.rate = promote_shapes(as_float_array(gate), as_float_array(rate))
        super().__init__(batch_shape_of(self.gate, self.rate), validate_args=validate_args)

    def sample(self, key, sample_shape=()):
        key_gate, key_base = jax.random.split(key)
        shape = self.shape(sample_shape)
        counts = jax.random.poisson(key_base, self.rate, shape)
        return _inflated_sample(key_gate, self.gate, counts, shape)

    def _log_prob(self, value):
        value = jnp.asarray(value, jnp.result_type(value, float))
        poisson = xlogy(value, self.rate) - self.rate - gammaln(value + 1.0)
        return _inflate(value, poisson, *_log_gates(self.gate, None))

    def cdf(self, value):
        k = jnp.floor(jnp.asarray(value, jnp.result_type(value, float)))
        poisson = gammaincc(jnp.maximum(k, 0.0) + 1.0, self.rate)
        return jnp.where(k < 0, 0.0, self.gate + (1.0 - self.gate) * poisson)

    @property
    def mean(self):
        return jnp.broadcast_to(_inflated_moments(self.gate, self.rate, self.rate)[0], self.batch_shape)

    @property
    def variance(self):
        return jnp.broadcast_to(_inflated_moments(self.gate, self.rate, self.rate)[1], self.batch_shape)


def ZeroInflatedNegativeBinomial2(mean, concentration, *, gate=None, gate_logits=None,
                                  validate_args=None):
    r"""``NegativeBinomial2(mean, concentration)`` with extra mass at 0 (pass exactly one
    of ``gate`` and ``gate_logits``); returns a ``ZeroInflatedDistribution``, as NumPyro.

    .. math::

        P(X = 0) = g + (1 - g) \Bigl(\frac{\phi}{\phi + \mu}\Bigr)^{\phi}, \qquad
        P(X = k) = (1 - g)\, \mathrm{NB}_2(k \mid \mu, \phi) \quad (k \ge 1).

    Args:
        mean: the mean :math:`\mu > 0` of the negative binomial (before inflation).
        concentration: its concentration :math:`\phi > 0`.
        gate: the probability :math:`g` of an extra zero, in :math:`[0, 1]`.
        gate_logits: the log-odds :math:`\log(g / (1 - g))`, any real (instead of ``gate``).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``ZeroInflatedDistribution`` whose ``base_dist`` is
        ``NegativeBinomial2(mean, concentration)`` (a ``GammaPoisson``).

    Raises:
        ValueError: if neither or both of ``gate`` and ``gate_logits`` are given, or a
            concrete parameter lies outside its constraint (unless
            ``validate_args=False``).

    Example:
        >>> import bayesmodels.distributions as dist
        >>> d = dist.ZeroInflatedNegativeBinomial2(4.0, 2.0, gate=0.5)
        >>> float(d.mean), float(d.base_dist.mean)
        (2.0, 4.0)
    """
    name = "ZeroInflatedNegativeBinomial2"
    for param, value, constraint in (
        ("mean", mean, constraints.positive),
        ("concentration", concentration, constraints.positive),
        ("gate", gate, constraints.unit_interval),
        ("gate_logits", gate_logits, constraints.real),
    ):
        check_parameter(name, param, None if value is None else as_float_array(value), constraint,
                        validate_args)
    base = NegativeBinomial2(mean, concentration, validate_args=validate_args)
    return ZeroInflatedDistribution(base, gate=gate, gate_logits=gate_logits, validate_args=validate_args)
