r"""Vector bijectors: simplex, ordered vectors, zero-sum arrays, the L1 ball, reshapes.

The maps agree with NumPyro's, entry for entry, so ``biject_to(constraint)`` gives the
same unconstrained dimension and the same point for the same unconstrained values.
When the codomain has fewer free coordinates than entries (the simplex: :math:`K`
entries, :math:`K-1` free), the Jacobian determinant is taken with respect to the free
coordinates named in each docstring.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from . import _constraints as constraints
from ._constraints import Constraint
from ._transforms import Transform

__all__ = [
    "L1BallTransform",
    "OrderedTransform",
    "RecursiveLinearTransform",
    "ReshapeTransform",
    "StickBreakingTransform",
    "ZeroSumTransform",
]


def _exclusive_cumsum(x):
    """``cumsum`` along the last axis, shifted right by one (first entry 0)."""
    return jnp.cumsum(x, axis=-1) - x


def _need_vector(shape, name: str):
    if len(shape) < 1:
        raise ValueError(f"{name}: needs at least one dim, got shape {tuple(shape)}")


class StickBreakingTransform(Transform):
    r"""Reals :math:`\mathbb{R}^{K-1}` to the simplex :math:`\Delta^{K-1} \subset \mathbb{R}^K`.

    As in Stan and NumPyro: shift :math:`x'_k = x_k - \log(K - 1 - k)` (so that zero maps to
    the uniform point :math:`1/K`), break off the fraction :math:`z_k = \sigma(x'_k)` of
    what is left of the stick, and put the remainder in the last entry:

    .. math::

        y_k = z_k \prod_{j<k} (1 - z_j)\ (k < K - 1), \qquad y_{K-1} = \prod_{j<K-1} (1 - z_j).

    With respect to the first :math:`K-1` entries of :math:`y` the Jacobian is triangular
    with diagonal :math:`y_k (1 - z_k)`, computed in log space:

    .. math::

        \log|\det J| = \sum_{k<K-1} \Bigl(\log\sigma(x'_k) + \log\sigma(-x'_k)
            + \sum_{j<k} \log\sigma(-x'_j)\Bigr).

    Example:
        >>> import jax.numpy as jnp
        >>> StickBreakingTransform()(jnp.zeros(3))
        Array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """

    domain: ClassVar[Constraint] = constraints.real_vector
    codomain: ClassVar[Constraint] = constraints.simplex

    @staticmethod
    def _shifted(x):
        n = x.shape[-1]
        return x - jnp.log(jnp.arange(n, 0, -1, dtype=x.dtype))

    def forward_and_log_det(self, x):
        x = jnp.asarray(x, jnp.result_type(x, float))
        s = self._shifted(x)
        log_z = jax.nn.log_sigmoid(s)
        log_1mz = jax.nn.log_sigmoid(-s)
        log_left = _exclusive_cumsum(log_1mz)  # log of the stick left before piece k
        head = jnp.exp(log_z + log_left)
        tail = jnp.exp(log_1mz.sum(-1, keepdims=True))  # what is left after all pieces
        ladj = (log_z + log_1mz + log_left).sum(-1)
        return jnp.concatenate([head, tail], axis=-1), ladj

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y, jnp.result_type(y, float))
        # What is left after piece k: sum_{j>k} y_j, summed from the tail for accuracy.
        left_after = jnp.flip(jnp.cumsum(jnp.flip(y, -1), -1), -1)[..., 1:]
        tiny = jnp.finfo(y.dtype).tiny
        s = jnp.log(jnp.maximum(y[..., :-1], tiny)) - jnp.log(jnp.maximum(left_after, tiny))
        x = s + jnp.log(jnp.arange(s.shape[-1], 0, -1, dtype=s.dtype))
        return x, -self.forward_and_log_det(x)[1]

    def forward_shape(self, shape):
        _need_vector(shape, "StickBreakingTransform")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        _need_vector(shape, "StickBreakingTransform")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class OrderedTransform(Transform):
    r"""Reals :math:`\mathbb{R}^K` to a strictly increasing vector (Stan's ordered transform):

    .. math::

        y_0 = x_0, \qquad y_k = y_{k-1} + e^{x_k}, \qquad \log|\det J| = \sum_{k \ge 1} x_k.

    Example:
        >>> import jax.numpy as jnp
        >>> OrderedTransform()(jnp.array([1.0, 0.0, 0.0]))
        Array([1., 2., 3.], dtype=float32)
    """

    domain: ClassVar[Constraint] = constraints.real_vector
    codomain: ClassVar[Constraint] = constraints.ordered_vector

    def forward_and_log_det(self, x):
        x = jnp.asarray(x, jnp.result_type(x, float))
        steps = jnp.concatenate([x[..., :1], jnp.exp(x[..., 1:])], axis=-1)
        return jnp.cumsum(steps, axis=-1), x[..., 1:].sum(-1)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y, jnp.result_type(y, float))
        log_steps = jnp.log(y[..., 1:] - y[..., :-1])
        return jnp.concatenate([y[..., :1], log_steps], axis=-1), -log_steps.sum(-1)


class ZeroSumTransform(Transform):
    r"""Reals with :math:`n-1` entries per axis to arrays summing to zero along each of the
    last ``transform_ndims`` axes (PyMC's and NumPyro's ``ZeroSumTransform``).

    Along one axis, with :math:`s = \sum_k x_k` and :math:`n` the output length,

    .. math::

        y_k = x_k - \frac{s}{n + \sqrt n}\ (k < n - 1), \qquad y_{n-1} = -\frac{s}{\sqrt n},

    which is a Householder reflection of :math:`(x, 0)`: an isometry onto the zero-sum
    subspace. So, with volume measured on that subspace (as ``ZeroSumNormal`` does),
    :math:`\log|\det J| = 0`, as in NumPyro. (Measured instead against the first
    :math:`n-1` output coordinates it would be the constant :math:`-\tfrac12 \log n`.)

    Args:
        transform_ndims: how many rightmost axes are made to sum to zero (>= 1, default 1;
            ``ValueError`` otherwise). Each grows by one entry: an input of shape
            ``(..., n_1 - 1, ..., n_d - 1)`` gives an output of shape ``(..., n_1, ..., n_d)``.

    Example:
        >>> import jax.numpy as jnp
        >>> y = ZeroSumTransform(1)(jnp.array([1.0, 2.0]))
        >>> y.shape, bool(abs(y.sum()) < 1e-6)
        ((3,), True)
    """

    transform_ndims: int = eqx.field(static=True)

    def __init__(self, transform_ndims: int = 1):
        if int(transform_ndims) < 1:
            raise ValueError(
                f"ZeroSumTransform: transform_ndims must be >= 1, got {transform_ndims}"
            )
        self.transform_ndims = int(transform_ndims)

    @property
    def domain(self):  # type: ignore[override]
        return constraints.independent(constraints.real, self.transform_ndims)

    @property
    def codomain(self):  # type: ignore[override]
        return constraints.zero_sum(self.transform_ndims)

    def _zeros(self, x):
        return jnp.zeros(x.shape[: x.ndim - self.transform_ndims], x.dtype)

    def forward_and_log_det(self, x):
        x = jnp.asarray(x, jnp.result_type(x, float))
        y = x
        for axis in range(-self.transform_ndims, 0):
            n = y.shape[axis] + 1
            s = y.sum(axis, keepdims=True)
            y = jnp.concatenate([y - s / (n + math.sqrt(n)), -s / math.sqrt(n)], axis=axis)
        return y, self._zeros(x)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y, jnp.result_type(y, float))
        x = y
        for axis in range(-self.transform_ndims, 0):
            n = x.shape[axis]
            last = jax.lax.slice_in_dim(x, n - 1, n, axis=axis % x.ndim)
            head = jax.lax.slice_in_dim(x, 0, n - 1, axis=axis % x.ndim)
            s = -last * math.sqrt(n)
            x = head + s / (n + math.sqrt(n))
        return x, self._zeros(x)

    def forward_shape(self, shape):
        self._need_ndims(shape)
        d = self.transform_ndims
        return tuple(shape[: len(shape) - d]) + tuple(n + 1 for n in shape[len(shape) - d :])

    def inverse_shape(self, shape):
        self._need_ndims(shape)
        d = self.transform_ndims
        return tuple(shape[: len(shape) - d]) + tuple(n - 1 for n in shape[len(shape) - d :])

    def _need_ndims(self, shape):
        if len(shape) < self.transform_ndims:
            raise ValueError(
                f"ZeroSumTransform({self.transform_ndims}): needs at least "
                f"{self.transform_ndims} dims, got shape {tuple(shape)}"
            )


class _L1Ball(Constraint):
    """The open unit L1 ball: vectors with :math:`\\sum_k |y_k| < 1` (last axis)."""

    event_dim: ClassVar[int] = 1

    def __call__(self, x):
        return jnp.sum(jnp.abs(jnp.asarray(x)), axis=-1) < 1

    def feasible_like(self, prototype):
        return jnp.zeros_like(prototype)

    def __str__(self):
        return "a vector whose absolute values sum to less than 1"


l1_ball = _L1Ball()


class L1BallTransform(Transform):
    r"""Reals :math:`\mathbb{R}^K` to the open unit L1 ball, by signed stick breaking
    (NumPyro's ``L1BallTransform``): with :math:`t = \tanh x`,

    .. math::

        y_k = t_k \prod_{j<k} (1 - |t_j|), \qquad
        \log|\det J| = \sum_k \Bigl(\log(1 - t_k^2) + \sum_{j<k} \log(1 - |t_j|)\Bigr),

    with :math:`\log(1 - t^2)` and :math:`\log(1 - |t|)` computed from :math:`x` directly.

    Example:
        >>> import jax.numpy as jnp
        >>> L1BallTransform()(jnp.zeros(2))
        Array([0., 0.], dtype=float32)
    """

    domain: ClassVar[Constraint] = constraints.real_vector
    codomain: ClassVar[Constraint] = l1_ball

    def forward_and_log_det(self, x):
        x = jnp.asarray(x, jnp.result_type(x, float))
        a = jnp.abs(x)
        log_1m_abs_t = math.log(2.0) - 2.0 * a - jax.nn.softplus(-2.0 * a)
        log_left = _exclusive_cumsum(log_1m_abs_t)
        log_1m_t2 = 2.0 * (math.log(2.0) - a - jax.nn.softplus(-2.0 * a))
        return jnp.tanh(x) * jnp.exp(log_left), (log_1m_t2 + log_left).sum(-1)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y, jnp.result_type(y, float))
        finfo = jnp.finfo(y.dtype)
        left = jnp.maximum(1.0 - _exclusive_cumsum(jnp.abs(y)), finfo.tiny)
        t = jnp.clip(y / left, -1.0 + finfo.eps, 1.0 - finfo.eps)
        x = jnp.arctanh(t)
        return x, -self.forward_and_log_det(x)[1]


class ReshapeTransform(Transform):
    r"""Reshape the event from ``inverse_shape`` to ``forward_shape`` (batch dims untouched):

    .. math::

        y = \operatorname{reshape}(x), \qquad \log|\det J| = 0.

    The shapes given are event shapes; they are stored as ``forward_event_shape`` and
    ``inverse_event_shape`` (the methods ``forward_shape`` and ``inverse_shape`` map whole
    shapes, raising ``ValueError`` for a shape that does not end in the expected event
    shape).

    Args:
        forward_shape: the event shape of the output ``y``.
        inverse_shape: the event shape of the input ``x``; it must hold as many entries
            as ``forward_shape`` (``ValueError`` otherwise).

    Example:
        >>> import jax.numpy as jnp
        >>> ReshapeTransform((2, 3), (6,))(jnp.zeros((4, 6))).shape
        (4, 2, 3)
    """

    forward_event_shape: tuple[int, ...] = eqx.field(static=True)
    inverse_event_shape: tuple[int, ...] = eqx.field(static=True)

    def __init__(self, forward_shape, inverse_shape):
        forward_shape = tuple(int(n) for n in forward_shape)
        inverse_shape = tuple(int(n) for n in inverse_shape)
        if math.prod(forward_shape) != math.prod(inverse_shape):
            raise ValueError(
                f"ReshapeTransform: forward_shape {forward_shape} has "
                f"{math.prod(forward_shape)} entries but inverse_shape {inverse_shape} has "
                f"{math.prod(inverse_shape)}; they must hold the same number."
            )
        self.forward_event_shape = forward_shape
        self.inverse_event_shape = inverse_shape

    @property
    def domain(self):  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.inverse_event_shape))

    @property
    def codomain(self):  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.forward_event_shape))

    @staticmethod
    def _swap_event(shape, old, new, name):
        shape = tuple(shape)
        batch = len(shape) - len(old)
        if batch < 0 or shape[batch:] != old:
            raise ValueError(
                f"ReshapeTransform: expected a shape ending in {old} ({name}), got {shape}"
            )
        return shape[:batch] + new

    def forward_shape(self, shape):
        return self._swap_event(
            shape, self.inverse_event_shape, self.forward_event_shape, "inverse_shape"
        )

    def inverse_shape(self, shape):
        return self._swap_event(
            shape, self.forward_event_shape, self.inverse_event_shape, "forward_shape"
        )

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        shape = self.forward_shape(x.shape)
        batch = shape[: len(shape) - len(self.forward_event_shape)]
        return x.reshape(shape), jnp.zeros(batch, jnp.result_type(x, float))

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        shape = self.inverse_shape(y.shape)
        batch = shape[: len(shape) - len(self.inverse_event_shape)]
        return y.reshape(shape), jnp.zeros(batch, jnp.result_type(y, float))


class RecursiveLinearTransform(Transform):
    r"""A linear recursion over time (NumPyro's ``RecursiveLinearTransform``): for an input
    of shape ``(..., T, d)`` and a ``(..., d, d)`` ``transition_matrix`` :math:`A`,

    .. math::

        y_0 = x_0, \qquad y_t = A y_{t-1} + x_t, \qquad \log|\det J| = 0

    (the Jacobian is block unit-lower-triangular). The inverse is
    :math:`x_t = y_t - A y_{t-1}`. Batch dims of ``x`` and of :math:`A` broadcast.

    Args:
        transition_matrix: the matrix :math:`A`, shape ``(..., d, d)`` (square in its last
            two dims; ``ValueError`` otherwise).

    Example:
        >>> import jax.numpy as jnp
        >>> t = RecursiveLinearTransform(0.5 * jnp.eye(1))
        >>> t(jnp.ones((3, 1)))[:, 0]
        Array([1.  , 1.5 , 1.75], dtype=float32)
    """

    transition_matrix: Any
    domain: ClassVar[Constraint] = constraints.real_matrix
    codomain: ClassVar[Constraint] = constraints.real_matrix

    def __init__(self, transition_matrix):
        transition_matrix = jnp.asarray(transition_matrix)
        shape = transition_matrix.shape
        if transition_matrix.ndim < 2 or shape[-1] != shape[-2]:
            raise ValueError(
                "RecursiveLinearTransform: transition_matrix must be square in its last two "
                f"dims, got shape {transition_matrix.shape}"
            )
        self.transition_matrix = transition_matrix

    def _apply(self, y):
        return jnp.einsum("...ij,...tj->...ti", self.transition_matrix, y)

    def forward_and_log_det(self, x):
        x = jnp.asarray(x, jnp.result_type(x, float))
        shape = self.forward_shape(x.shape)
        x = jnp.broadcast_to(x, shape)
        matrix = self.transition_matrix
        a = jnp.broadcast_to(matrix, shape[:-2] + matrix.shape[-2:])

        def step(prev, x_t):
            y_t = jnp.einsum("...ij,...j->...i", a, prev) + x_t
            return y_t, y_t

        xs = jnp.moveaxis(x, -2, 0)
        _, ys = jax.lax.scan(step, jnp.zeros_like(xs[0]), xs)
        return jnp.moveaxis(ys, 0, -2), jnp.zeros(shape[:-2], x.dtype)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y, jnp.result_type(y, float))
        shape = self.inverse_shape(y.shape)
        y = jnp.broadcast_to(y, shape)
        previous = jnp.concatenate([jnp.zeros_like(y[..., :1, :]), y[..., :-1, :]], axis=-2)
        return y - self._apply(previous), jnp.zeros(shape[:-2], y.dtype)

    def forward_shape(self, shape):
        if len(shape) < 2:
            raise ValueError(
                f"RecursiveLinearTransform: needs shape (..., T, d), got {tuple(shape)}"
            )
        batch = jnp.broadcast_shapes(tuple(shape[:-2]), self.transition_matrix.shape[:-2])
        return tuple(batch) + tuple(shape[-2:])

    def inverse_shape(self, shape):
        return self.forward_shape(shape)
