r"""``TransformedDistribution``: the law of :math:`y = f(x)` for :math:`x` from a base
distribution and a bijection :math:`f` (one transform or a list applied in order).

By the change of variables formula,

.. math::

    \log p_Y(y) = \log p_X\bigl(f^{-1}(y)\bigr) + \log\bigl|\det J_{f^{-1}}(y)\bigr|.
"""

from __future__ import annotations

import jax.numpy as jnp

from . import _constraints as constraints
from ._compiled import compiled_method
from ._distribution import Distribution
from ._transforms import ComposeTransform, Transform
from ._util import sum_rightmost

__all__ = ["TransformedDistribution"]


def _as_transform_list(transforms) -> list[Transform]:
    if isinstance(transforms, Transform):
        return [transforms]
    if isinstance(transforms, (list, tuple)) and all(isinstance(t, Transform) for t in transforms):
        return list(transforms)
    raise ValueError(
        "TransformedDistribution: 'transforms' must be a Transform or a list of Transforms; "
        f"got {type(transforms).__name__}."
    )


class TransformedDistribution(Distribution):
    r"""The distribution of ``transforms`` applied in order to a draw of ``base_distribution``:

    .. math::

        \log p(y) = \log p_{\text{base}}(x) - \log\lvert\det J_f(x)\rvert,
        \qquad x = f^{-1}(y).

    Here :math:`f` is the composition of ``transforms`` (the first applied first) and
    :math:`J_f` its Jacobian; for a transform on vectors or matrices the determinant is
    that of the whole event. The event shape comes from the transforms' ``forward_shape``
    and codomain ``event_dim`` (a transform on vectors turns a scalar batch into a vector
    event); parameters of the transforms may broadcast the base's batch. ``cdf`` and
    ``icdf`` exist for monotone scalar transforms: a decreasing transform flips the cdf.
    A ``TransformedDistribution`` given as the base is flattened: its transforms come
    first.

    Args:
        base_distribution: the distribution of :math:`x`.
        transforms: a ``Transform`` or a list of them, applied in order to :math:`x`.
        validate_args: check the parameters eagerly; see ``Distribution``.

    Raises:
        ValueError: if ``transforms`` is not a ``Transform`` or a list of them, if
            ``base_distribution`` is not a ``Distribution``, or if its shape has fewer
            dims than the transforms act on.

    Example:
        >>> import jax
        >>> import bayesmodels.distributions as dist
        >>> d = dist.TransformedDistribution(dist.Normal(0.0, 1.0), dist.transforms.ExpTransform())
        >>> print(d.support)
        greater than 0
        >>> round(float(d.cdf(1.0)), 4)  # the median of a standard log-normal
        0.5
    """

    base_dist: Distribution
    transforms: list

    def __init__(self, base_distribution: Distribution, transforms, *, validate_args=None):
        transforms = _as_transform_list(transforms)
        if isinstance(base_distribution, TransformedDistribution):  # flatten nested ones
            transforms = list(base_distribution.transforms) + transforms
            base_distribution = base_distribution.base_dist
        if not isinstance(base_distribution, Distribution):
            raise ValueError(
                "TransformedDistribution: 'base_distribution' must be a Distribution; "
                f"got {type(base_distribution).__name__}."
            )
        composed = ComposeTransform(transforms)
        base_shape = base_distribution.shape()
        base_event_dim = base_distribution.event_dim
        domain_event_dim = composed.domain.event_dim
        if len(base_shape) < domain_event_dim:
            raise ValueError(
                f"TransformedDistribution: the transforms act on {domain_event_dim}-dim events, "
                f"but the base distribution's shape {base_shape} has fewer dims."
            )
        shape = tuple(composed.forward_shape(base_shape))
        expanded_base_shape = tuple(composed.inverse_shape(shape))
        if expanded_base_shape != base_shape:  # transform parameters broadcast the batch
            base_batch = expanded_base_shape[: len(expanded_base_shape) - base_event_dim]
            base_distribution = base_distribution.expand(base_batch)
        if domain_event_dim > base_event_dim:
            base_distribution = base_distribution.to_event(domain_event_dim - base_event_dim)
        event_dim = composed.codomain.event_dim + max(base_event_dim - domain_event_dim, 0)
        self.base_dist = base_distribution
        self.transforms = transforms
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    @property
    def support(self):  # type: ignore[override]
        """The codomain of the last transform (with any extra event dims), a ``Constraint``."""
        codomain = self.transforms[-1].codomain if self.transforms else self.base_dist.support
        extra = self.event_dim - codomain.event_dim
        return constraints.independent(codomain, extra) if extra > 0 else codomain

    @property
    def has_rsample(self):  # type: ignore[override]
        """Whether the base distribution has ``rsample`` (the transforms are differentiable)."""
        return self.base_dist.has_rsample

    # ----------------------------------------------------------------------- sampling

    def _forward(self, x):
        intermediates = []
        for transform in self.transforms:
            x = transform(x)
            intermediates.append(x)
        return x, intermediates

    @compiled_method
    def _draw(self, key, sample_shape, reparameterised):
        draw = self.base_dist.rsample if reparameterised else self.base_dist.sample
        return self._forward(draw(key, sample_shape))

    def sample(self, key, sample_shape=()):
        return self._draw(key, tuple(sample_shape), False)[0]

    def rsample(self, key, sample_shape=()):
        if not self.has_rsample:
            return super().rsample(key, sample_shape)
        return self._draw(key, tuple(sample_shape), True)[0]

    def sample_with_intermediates(self, key, sample_shape=()):
        """Draw samples together with the output of each transform.

        Args:
            key: a ``jax.random`` PRNG key.
            sample_shape: the shape of the independent draws stacked in front (default
                ``()``).

        Returns:
            A pair ``(y, [x_1, ..., x_n])``: the sample, of shape
            ``sample_shape + batch_shape + event_shape``, and the output of each of the
            :math:`n` transforms in order (the last one is ``y``).
        """
        return self._draw(key, tuple(sample_shape), False)

    # ------------------------------------------------------------------------ density

    @compiled_method
    def _log_prob(self, value):
        event_dim = self.event_dim
        log_prob = 0.0
        y = value
        for transform in reversed(self.transforms):
            x, inverse_log_det = transform.inverse_and_log_det(y)
            log_prob = log_prob + sum_rightmost(inverse_log_det, event_dim - transform.codomain.event_dim)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            y = x
        base_log_prob = self.base_dist.log_prob(y)
        return log_prob + sum_rightmost(base_log_prob, event_dim - self.base_dist.event_dim)

    def _sign(self, what: str):
        if self.event_shape != ():
            raise NotImplementedError(
                f"TransformedDistribution: {what} exists only for univariate distributions "
                f"(this one has event_shape {self.event_shape})."
            )
        sign = 1
        for transform in self.transforms:
            sign = sign * transform.sign  # NotImplementedError for a non-monotone transform
        return sign

    @compiled_method
    def cdf(self, value):
        r"""Cumulative distribution function of a univariate transformed distribution.

        .. math::

            F_Y(y) = F_X\bigl(f^{-1}(y)\bigr) \text{ for increasing } f, \qquad
            F_Y(y) = 1 - F_X\bigl(f^{-1}(y)\bigr) \text{ for decreasing } f.

        Args:
            value: the points :math:`y`, an array broadcasting with ``batch_shape``.

        Returns:
            :math:`P(Y \le y)`, with the broadcast shape of ``value`` and ``batch_shape``.

        Raises:
            NotImplementedError: if the event shape is not ``()``, a transform is not
                monotone, or the base has no ``cdf``.
        """
        sign = self._sign("cdf")
        x = value
        for transform in reversed(self.transforms):
            x = transform.inverse_and_log_det(x)[0]
        cdf = self.base_dist.cdf(x)
        return jnp.where(jnp.asarray(sign) > 0, cdf, 1.0 - cdf)

    @compiled_method
    def icdf(self, q):
        r"""Quantile function of a univariate transformed distribution.

        .. math::

            F_Y^{-1}(q) = f\bigl(F_X^{-1}(q)\bigr) \text{ for increasing } f, \qquad
            F_Y^{-1}(q) = f\bigl(F_X^{-1}(1 - q)\bigr) \text{ for decreasing } f.

        Args:
            q: probabilities in :math:`[0, 1]`, an array broadcasting with ``batch_shape``.

        Returns:
            The quantiles, with the broadcast shape of ``q`` and ``batch_shape``.

        Raises:
            NotImplementedError: if the event shape is not ``()``, a transform is not
                monotone, or the base has no ``icdf``.
        """
        sign = self._sign("icdf")
        q = jnp.asarray(q)
        x = self.base_dist.icdf(jnp.where(jnp.asarray(sign) > 0, q, 1.0 - q))
        return self._forward(x)[0]
