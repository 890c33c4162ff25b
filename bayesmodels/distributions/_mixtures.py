r"""Finite mixtures: ``MixtureSameFamily``, ``MixtureGeneral`` and the ``Mixture`` factory.

A mixture of :math:`K` components with weights :math:`w_k` (from a ``Categorical``
mixing distribution) has density

.. math:: p(x) = \sum_{k=1}^{K} w_k\, p_k(x),

computed as a ``logsumexp`` of :math:`\log w_k + \log p_k(x)`. The component index is
marginalised out, so draws are not reparameterisable (``has_rsample`` is False).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._compiled import compiled_method
from ._constraints import Constraint
from ._distribution import Distribution

__all__ = ["Mixture", "MixtureGeneral", "MixtureSameFamily"]


def _log_weights(mixing: Distribution):
    """Normalised log weights, shape ``mixing.batch_shape + (K,)``."""
    logits = getattr(mixing, "logits", None)
    if logits is None:
        return jnp.log(mixing.probs)
    return jax.nn.log_softmax(logits, axis=-1)


def _check_mixing(cls_name: str, mixing) -> int:
    """Check that ``mixing`` is a Categorical-like distribution; return its number of categories."""
    ok = (
        isinstance(mixing, Distribution)
        and mixing.event_shape == ()
        and mixing.is_discrete
        and (getattr(mixing, "logits", None) is not None or getattr(mixing, "probs", None) is not None)
    )
    if not ok:
        raise ValueError(
            f"{cls_name}: 'mixing_distribution' must be a Categorical (a discrete distribution "
            f"with probs or logits over the components); got {type(mixing).__name__}."
        )
    return int(jnp.shape(_log_weights(mixing))[-1])


def _broadcast_batch(cls_name: str, *shapes):
    try:
        return tuple(jnp.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(
            f"{cls_name}: the batch shapes of the mixing and component distributions "
            f"{', '.join(map(str, shapes))} do not broadcast."
        ) from None


class _AbstractMixture(Distribution):
    """Shared maths of the mixtures; subclasses supply the ``component_*`` methods."""

    mixing_distribution: eqx.AbstractVar[Distribution]

    def component_log_probs(self, value):
        r"""The weighted log density of ``value`` under each component.

        Args:
            value: an array of shape ``sample_shape + batch_shape + event_shape`` (or one
                broadcasting with ``batch_shape + event_shape``).

        Returns:
            :math:`\log w_k + \log p_k(\text{value})`, of shape
            ``sample_shape + batch_shape + (K,)``: the components along the last axis.
        """
        raise NotImplementedError

    def component_sample(self, key, sample_shape=()):
        """One independent draw of every component.

        Args:
            key: a ``jax.random`` PRNG key.
            sample_shape: the shape of the independent draws stacked in front (default
                ``()``).

        Returns:
            An array of shape ``sample_shape + batch_shape + (K,) + event_shape``: the
            components along axis ``mixture_dim``.
        """
        raise NotImplementedError

    def component_cdf(self, value):
        """The cdf of ``value`` under each (univariate) component.

        Args:
            value: the points, an array broadcasting with ``batch_shape``.

        Returns:
            :math:`F_k(\text{value})`, of the broadcast shape of ``value`` and
            ``batch_shape`` followed by ``(K,)``.
        """
        raise NotImplementedError

    @property
    def component_mean(self):
        """The mean of each component, broadcasting to ``batch_shape + (K,) + event_shape``."""
        raise NotImplementedError

    @property
    def component_variance(self):
        """The variance of each component, broadcasting to ``batch_shape + (K,) + event_shape``."""
        raise NotImplementedError

    @property
    def mixture_size(self) -> int:
        """The number of components :math:`K`."""
        return int(jnp.shape(_log_weights(self.mixing_distribution))[-1])

    @property
    def mixture_dim(self) -> int:
        """The (negative) axis of the components in ``component_sample``."""
        return -self.event_dim - 1

    def _weights(self):
        """Mixing weights shaped to line up with the components' event dims."""
        probs = jnp.exp(_log_weights(self.mixing_distribution))
        return jnp.reshape(probs, jnp.shape(probs) + (1,) * self.event_dim)

    def sample_with_intermediates(self, key, sample_shape=()):
        """Draw samples together with the component each came from.

        Args:
            key: a ``jax.random`` PRNG key.
            sample_shape: the shape of the independent draws stacked in front (default
                ``()``).

        Returns:
            A pair ``(sample, [indices])``: the draws, of shape
            ``sample_shape + batch_shape + event_shape``, and a one-element list holding the
            integer component indices, of shape ``sample_shape + batch_shape``.
        """
        return self._draw(key, tuple(sample_shape))

    @compiled_method
    def _draw(self, key, sample_shape):
        key_components, key_indices = jax.random.split(key)
        samples = self.component_sample(key_components, sample_shape)
        indices = jax.random.categorical(
            key_indices, _log_weights(self.mixing_distribution), shape=sample_shape + self.batch_shape
        )
        gather = jnp.reshape(indices, jnp.shape(indices) + (1,) * (self.event_dim + 1))
        chosen = jnp.take_along_axis(samples, gather, axis=self.mixture_dim)
        return jnp.squeeze(chosen, axis=self.mixture_dim), [indices]

    def sample(self, key, sample_shape=()):
        return self.sample_with_intermediates(key, sample_shape)[0]

    def log_prob(self, value, intermediates=None):
        r"""Log density of the mixture, :math:`\log \sum_k w_k\, p_k(\text{value})`.

        It is computed as a ``logsumexp`` over ``component_log_probs``; each component
        checks its own support, so a value outside all of them gets :math:`-\infty`.

        Args:
            value: an array of shape ``sample_shape + batch_shape + event_shape`` (or one
                broadcasting with ``batch_shape + event_shape``).
            intermediates: ignored (the component indices from
                ``sample_with_intermediates``); the component index is always marginalised.

        Returns:
            An array of shape ``sample_shape + batch_shape``.
        """
        del intermediates
        return self._log_prob(jnp.asarray(value))

    @compiled_method
    def _log_prob(self, value):
        return jax.nn.logsumexp(self.component_log_probs(value), axis=-1)

    @compiled_method
    def cdf(self, value):
        if self.event_shape != ():
            raise NotImplementedError(f"{type(self).__name__}: cdf exists only for univariate components.")
        return jnp.sum(self.component_cdf(value) * self._weights(), axis=-1)

    @compiled_method
    def _moments(self):
        """Mean, and variance by the law of total variance: the mean of the component
        variances plus the variance of the component means."""
        weights = self._weights()
        shape = self.batch_shape + self.event_shape
        component_mean = self.component_mean
        mean = jnp.broadcast_to(jnp.sum(weights * component_mean, axis=self.mixture_dim), shape)
        mean_of_variances = jnp.sum(weights * self.component_variance, axis=self.mixture_dim)
        deviation = component_mean - jnp.expand_dims(mean, self.mixture_dim)
        variance_of_means = jnp.sum(weights * deviation**2, axis=self.mixture_dim)
        return mean, jnp.broadcast_to(mean_of_variances + variance_of_means, shape)

    @property
    def mean(self):
        r"""The mixture mean :math:`\sum_k w_k \mu_k`, shape ``batch_shape + event_shape``."""
        return self._moments()[0]

    @property
    def variance(self):
        r"""The variance by the law of total variance, :math:`\sum_k w_k \sigma_k^2 +
        \sum_k w_k (\mu_k - \mu)^2`, shape ``batch_shape + event_shape``."""
        return self._moments()[1]


class MixtureSameFamily(_AbstractMixture):
    r"""A mixture whose components are the rightmost batch dim of one distribution:

    .. math:: p(x) = \sum_{k=1}^{K} w_k\, p(x \mid \theta_k).

    where :math:`w_k` are the probabilities of ``mixing_distribution`` and
    :math:`p(\cdot \mid \theta_k)` is ``component_distribution`` at index :math:`k` of
    its rightmost batch dim. The batch shape is the broadcast of
    ``mixing_distribution.batch_shape`` and ``component_distribution.batch_shape[:-1]``;
    the event shape is the components'. ``log_prob`` marginalises the component index;
    ``sample_with_intermediates`` also returns it. ``cdf`` needs univariate components
    with a ``cdf``; ``mean`` and ``variance`` need the components' moments.

    Args:
        mixing_distribution: a ``Categorical`` (any discrete distribution with ``probs``
            or ``logits``) over the :math:`K` components.
        component_distribution: one distribution whose rightmost batch dim, of size
            :math:`K` (the number of categories of ``mixing_distribution``), indexes the
            components.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``mixing_distribution`` is not Categorical-like, if
            ``component_distribution`` is not a ``Distribution`` or its rightmost batch dim
            is not :math:`K`, or if the batch shapes do not broadcast.

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> mixing = dist.Categorical(probs=jnp.array([0.3, 0.7]))
        >>> d = dist.MixtureSameFamily(mixing, dist.Normal(jnp.array([-1.0, 1.0]), 1.0))
        >>> d.batch_shape, d.mixture_size
        ((), 2)
        >>> d.sample(jax.random.PRNGKey(0), (5,)).shape
        (5,)
    """

    mixing_distribution: Distribution
    component_distribution: Distribution

    def __init__(self, mixing_distribution, component_distribution, *, validate_args=None):
        name = type(self).__name__
        size = _check_mixing(name, mixing_distribution)
        if not isinstance(component_distribution, Distribution):
            raise ValueError(
                f"{name}: 'component_distribution' must be a Distribution; got "
                f"{type(component_distribution).__name__} (use MixtureGeneral for a list)."
            )
        component_batch = component_distribution.batch_shape
        if not component_batch or component_batch[-1] != size:
            raise ValueError(
                f"{name}: 'component_distribution' must have the {size} components along its "
                f"rightmost batch dim; its batch_shape is {component_batch}."
            )
        self.mixing_distribution = mixing_distribution
        self.component_distribution = component_distribution
        batch_shape = _broadcast_batch(name, mixing_distribution.batch_shape, component_batch[:-1])
        super().__init__(batch_shape, component_distribution.event_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        """The support of the components (a ``Constraint``)."""
        return self.component_distribution.support

    @property
    def component_mean(self):
        return self.component_distribution.mean

    @property
    def component_variance(self):
        return self.component_distribution.variance

    def component_cdf(self, value):
        return self.component_distribution.cdf(jnp.expand_dims(value, self.mixture_dim))

    def component_sample(self, key, sample_shape=()):
        components = self.component_distribution.expand(self.batch_shape + (self.mixture_size,))
        return components.sample(key, sample_shape)

    def component_log_probs(self, value):
        log_probs = self.component_distribution.log_prob(jnp.expand_dims(value, self.mixture_dim))
        return _log_weights(self.mixing_distribution) + log_probs


class MixtureGeneral(_AbstractMixture):
    r"""A mixture of a list of distributions, possibly of different families:

    .. math:: p(x) = \sum_{k=1}^{K} w_k\, p_k(x).

    where :math:`w_k` are the probabilities of ``mixing_distribution`` and :math:`p_k`
    the ``k``-th element of ``component_distributions``. The components must share an
    event shape and (unless ``support`` is given) a support type; the batch shape is the
    broadcast of theirs and ``mixing_distribution.batch_shape``. ``log_prob`` marginalises
    the component index; ``sample_with_intermediates`` also returns it.

    Args:
        mixing_distribution: a ``Categorical`` (any discrete distribution with ``probs``
            or ``logits``) over the :math:`K` components.
        component_distributions: a list (or tuple) of :math:`K` distributions.
        support: the ``Constraint`` the mixture's values live in; needed when the
            components' supports are of different types (default ``None``: the support of
            the first component).
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``mixing_distribution`` is not Categorical-like, if
            ``component_distributions`` is not a list of :math:`K` distributions with one
            event shape, if their supports differ in type and no ``support`` is given, if
            ``support`` is not a ``Constraint``, or if the batch shapes do not broadcast.

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> mixing = dist.Categorical(probs=jnp.array([0.5, 0.5]))
        >>> d = dist.MixtureGeneral(mixing, [dist.Normal(-1.0, 1.0), dist.Normal(1.0, 2.0)])
        >>> round(float(d.mean), 4), round(float(d.variance), 4)
        (0.0, 3.5)
    """

    mixing_distribution: Distribution
    component_distributions: list
    _support: Constraint | None

    def __init__(self, mixing_distribution, component_distributions, *, support=None, validate_args=None):
        name = type(self).__name__
        size = _check_mixing(name, mixing_distribution)
        if isinstance(component_distributions, Distribution) or not isinstance(
            component_distributions, (list, tuple)
        ):
            raise ValueError(
                f"{name}: 'component_distributions' must be a list of Distributions; got "
                f"{type(component_distributions).__name__} (use MixtureSameFamily for one "
                "batched distribution)."
            )
        components = list(component_distributions)
        if not all(isinstance(d, Distribution) for d in components):
            raise ValueError(f"{name}: every element of 'component_distributions' must be a Distribution.")
        if len(components) != size:
            raise ValueError(
                f"{name}: 'component_distributions' has {len(components)} elements but the "
                f"mixing distribution has {size} categories."
            )
        event_shape = components[0].event_shape
        if any(d.event_shape != event_shape for d in components):
            raise ValueError(
                f"{name}: 'component_distributions' must share an event shape; got "
                f"{[d.event_shape for d in components]}."
            )
        if support is None and any(type(d.support) is not type(components[0].support) for d in components):
            raise ValueError(
                f"{name}: 'component_distributions' have different supports "
                f"({', '.join(str(d.support) for d in components)}); pass support=... to say "
                "which set the mixture lives in."
            )
        if support is not None and not isinstance(support, Constraint):
            raise ValueError(f"{name}: 'support' must be a Constraint; got {type(support).__name__}.")
        self.mixing_distribution = mixing_distribution
        self.component_distributions = components
        self._support = support
        batch_shape = _broadcast_batch(
            name, mixing_distribution.batch_shape, *(d.batch_shape for d in components)
        )
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        """The ``support`` argument, or else the support of the first component."""
        return self._support if self._support is not None else self.component_distributions[0].support

    def _stack(self, values):
        shape = self.batch_shape + self.event_shape
        return jnp.stack([jnp.broadcast_to(v, shape) for v in values], axis=self.mixture_dim)

    @property
    def component_mean(self):
        return self._stack([d.mean for d in self.component_distributions])

    @property
    def component_variance(self):
        return self._stack([d.variance for d in self.component_distributions])

    def component_cdf(self, value):
        return jnp.stack(jnp.broadcast_arrays(*(d.cdf(value) for d in self.component_distributions)), axis=-1)

    def component_sample(self, key, sample_shape=()):
        keys = jax.random.split(key, self.mixture_size)
        draws = [d.expand(self.batch_shape).sample(k, sample_shape)
                 for k, d in zip(keys, self.component_distributions)]
        return jnp.stack(draws, axis=self.mixture_dim)

    def component_log_probs(self, value):
        log_probs = jnp.stack(
            jnp.broadcast_arrays(*(d.log_prob(value) for d in self.component_distributions)), axis=-1
        )
        return _log_weights(self.mixing_distribution) + log_probs


def Mixture(mixing_distribution, component_distributions, *, validate_args=None):
    r"""A finite mixture: ``MixtureSameFamily`` when ``component_distributions`` is one
    (batched) distribution, ``MixtureGeneral`` when it is a list.

    .. math::

        p(x) = \sum_{k=1}^{K} w_k\, p_k(x).

    Args:
        mixing_distribution: a ``Categorical`` over the :math:`K` components; its
            probabilities are the weights :math:`w_k`.
        component_distributions: one distribution whose rightmost batch dim (of size
            :math:`K`) indexes the components, or a list of :math:`K` distributions.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Returns:
        A ``MixtureSameFamily`` or a ``MixtureGeneral``. To mix supports of different types,
        build ``MixtureGeneral`` directly with its ``support`` argument.

    Raises:
        ValueError: if the arguments do not make a mixture (see ``MixtureSameFamily`` and
            ``MixtureGeneral``).

    Example:
        >>> import jax.numpy as jnp
        >>> import bayesmodels.distributions as dist
        >>> mixing = dist.Categorical(probs=jnp.array([0.5, 0.5]))
        >>> type(dist.Mixture(mixing, dist.Normal(jnp.zeros(2), 1.0))).__name__
        'MixtureSameFamily'
    """
    if isinstance(component_distributions, Distribution):
        return MixtureSameFamily(mixing_distribution, component_distributions, validate_args=validate_args)
    return MixtureGeneral(mixing_distribution, component_distributions, validate_args=validate_args)
