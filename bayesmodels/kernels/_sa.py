r"""Sample Adaptive MCMC (Zhu 2019, "Sample Adaptive MCMC", NeurIPS): gradient-free.

The state is a set :math:`S = \{z_1, \dots, z_N\}` of :math:`N` points with their log
densities. Each transition

1. proposes :math:`z_{N+1} \sim q(\cdot \mid S) = \mathcal N(\bar z_S, \Sigma_S)`, the
   Gaussian fitted to the points (mean, and covariance with divisor :math:`N`; only its
   diagonal with ``dense_mass=False``);
2. drops one of the :math:`N + 1` points of :math:`U = S \cup \{z_{N+1}\}`, point
   :math:`j` with probability

   .. math::

       \lambda_j = \frac{q(z_j \mid U_{-j}) / \pi(z_j)}
                        {\sum_{i=1}^{N+1} q(z_i \mid U_{-i}) / \pi(z_i)},

   where :math:`U_{-j}` is :math:`U` without :math:`z_j`: a point is the more likely to
   go the *higher* the density of the Gaussian fitted to the others is at it, and the
   *lower* its target density;
3. reports one of the :math:`N` remaining points, chosen uniformly, as the chain's draw.

Why this is exact: with :math:`S' = U_{-j}` reached from :math:`S = U_{-(N+1)}`,

.. math::

    \prod_{i \ne N+1} \pi(z_i)\; q(z_{N+1} \mid U_{-(N+1)})\, \lambda_j
    = \frac{\prod_{i=1}^{N+1} \pi(z_i)}{\sum_i q(z_i \mid U_{-i}) / \pi(z_i)}
      \cdot \frac{q(z_{N+1} \mid U_{-(N+1)})}{\pi(z_{N+1})}
      \cdot \frac{q(z_j \mid U_{-j})}{\pi(z_j)},

which is symmetric in :math:`j` and :math:`N+1`: detailed balance for the product
:math:`\prod_i \pi(z_i)`, so every point of the set, and the uniformly chosen draw, is
distributed as :math:`\pi`. The probability that the proposal is kept,
:math:`1 - \lambda_{N+1}`, is the reported ``acceptance_rate``.

All :math:`N + 1` leave-one-out densities come from one Cholesky factor. With
:math:`c` the mean of :math:`U`, :math:`d_j = z_j - c` and
:math:`A = \tfrac1N \sum_i d_i d_i^\top`, removing :math:`z_j` gives mean
:math:`c - d_j / N` and covariance :math:`A - \alpha d_j d_j^\top`,
:math:`\alpha = (N + 1) / N^2`; with :math:`s_j = d_j^\top A^{-1} d_j`, the matrix
determinant lemma and Sherman–Morrison give

.. math::

    \log q(z_j \mid U_{-j}) = -\tfrac12 \Bigl(D \log 2\pi + \log\det A
      + \log(1 - \alpha s_j) + \frac{\beta^2 s_j}{1 - \alpha s_j}\Bigr),
    \qquad \beta = \frac{N + 1}{N},

so a step costs :math:`O(D^3 + N D^2)` and one log-density evaluation; the gradient is
never evaluated (``log_density_grad`` is a vector of zeros kept for the driver's
interface). Points whose log density is not finite are dropped before any other.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Optional

import equinox as eqx
import jax
import jax.numpy as jnp

from ._base import AbstractKernel, KernelParams

__all__ = ["SAInfo", "SAKernel", "SAState", "leave_one_out_log_density"]


class SAState(NamedTuple):
    r"""The chain's draw (one of the points) and the set of ``N`` points it came from.

    Args:
        position: the chain's draw, one of the rows of ``points``, ``[dim]``.
        log_density: :math:`\log\pi` at ``position``, a scalar.
        log_density_grad: zeros, ``[dim]``: SA uses no gradient (kept for the driver's
            interface).
        points: the set :math:`S = \{z_1, \dots, z_N\}`, ``[N, dim]``.
        log_densities: :math:`\log\pi(z_i)` for each point, ``[N]``.
    """

    position: jax.Array  # [dim]
    log_density: jax.Array
    log_density_grad: jax.Array  # zeros: SA uses no gradient
    points: jax.Array  # [N, dim]
    log_densities: jax.Array  # [N]


class SAInfo(NamedTuple):
    r"""One SA transition (ArviZ names): ``acceptance_rate`` is the probability that the
    proposal was kept in the set; SA never diverges.

    Args:
        lp: :math:`\log\pi` at the new draw, a scalar.
        acceptance_rate: :math:`1 - \lambda_{N+1}`, the probability that the proposal was
            kept in the set.
        diverging: always False.
    """

    lp: jax.Array
    acceptance_rate: jax.Array
    diverging: jax.Array


def leave_one_out_log_density(points, dense: bool = True):
    r"""``log q(z_j | U_{-j})`` for every row ``z_j`` of ``points`` (``U``, ``[N + 1, D]``):
    the log density at ``z_j`` of the Gaussian fitted (mean, covariance with divisor
    :math:`N`; its diagonal if not ``dense``) to the other :math:`N` rows.

    Args:
        points: the set :math:`U`, ``[N + 1, D]``.
        dense: fit a full covariance (needs :math:`N > D`) rather than its diagonal.

    Returns:
        :math:`\log q(z_j \mid U_{-j})` for each row, ``[N + 1]``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> u = jax.random.normal(jax.random.PRNGKey(0), (6, 2))
        >>> others = u[1:]
        >>> cov = jnp.cov(others, rowvar=False, bias=True)
        >>> direct = jax.scipy.stats.multivariate_normal.logpdf(u[0], others.mean(0), cov)
        >>> bool(jnp.allclose(leave_one_out_log_density(u)[0], direct, atol=1e-4))
        True
    """
    count, dim = points.shape
    n = count - 1  # points in each leave-one-out set
    alpha, beta = count / n**2, count / n
    centred = points - jnp.mean(points, axis=0)
    if dense:
        chol = jnp.linalg.cholesky(centred.T @ centred / n)
        whitened = jax.scipy.linalg.solve_triangular(chol, centred.T, lower=True)  # [D, N + 1]
        s = jnp.sum(whitened**2, axis=0)
        log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol)))
        shrink = 1.0 - alpha * s
        return -0.5 * (dim * math.log(2 * math.pi) + log_det + jnp.log(shrink) + beta**2 * s / shrink)
    variance = jnp.sum(centred**2, axis=0) / n
    s = centred**2 / variance
    shrink = 1.0 - alpha * s
    terms = math.log(2 * math.pi) + jnp.log(variance) + jnp.log(shrink) + beta**2 * s / shrink
    return -0.5 * jnp.sum(terms, axis=-1)


def _proposal(key, points, dense: bool):
    """A draw from the Gaussian fitted to ``points`` (divisor ``N``)."""
    mean = jnp.mean(points, axis=0)
    centred = points - mean
    noise = jax.random.normal(key, mean.shape, mean.dtype)
    if dense:
        chol = jnp.linalg.cholesky(centred.T @ centred / points.shape[0])
        return mean + chol @ noise
    return mean + jnp.sqrt(jnp.mean(centred**2, axis=0)) * noise


def _drop_logits(log_q, log_densities):
    """Log drop weights ``log q - log pi``; a point with a non-finite log density is
    dropped first, and if no weight is usable the proposal (last) is dropped."""
    invalid = ~jnp.isfinite(log_densities)
    weights = jnp.where(jnp.isnan(log_q), -jnp.inf, log_q - log_densities)
    weights = jnp.where(jnp.any(invalid), jnp.where(invalid, 0.0, -jnp.inf), weights)
    weights = jnp.where(jnp.isnan(weights), -jnp.inf, weights)
    usable = jnp.any(weights > -jnp.inf)
    reject = jnp.where(jnp.arange(weights.shape[0]) == weights.shape[0] - 1, 0.0, -jnp.inf)
    return jnp.where(usable, weights, reject)


class SAKernel(AbstractKernel):
    r"""Sample Adaptive MCMC on ``log_density_fn`` (a position -> log density callable).

    The state is a set :math:`S = \{z_1, \dots, z_N\}` of points. A transition proposes
    :math:`z_{N+1} \sim \mathcal N(\bar z_S, \Sigma_S)`, the Gaussian fitted to the set
    (covariance with divisor :math:`N`; its diagonal without ``dense_mass``), drops point
    :math:`j` of :math:`U = S \cup \{z_{N+1}\}` with probability

    .. math::

        \lambda_j = \frac{q(z_j \mid U_{-j}) / \pi(z_j)}
                         {\sum_{i=1}^{N+1} q(z_i \mid U_{-i}) / \pi(z_i)},

    :math:`q(\cdot \mid U_{-j})` the Gaussian fitted to :math:`U` without :math:`z_j`
    (points with a non-finite log density are dropped first), and reports one of the
    :math:`N` remaining points, chosen uniformly, as the draw. This keeps
    :math:`\prod_i \pi(z_i)` invariant (Zhu 2019). It needs one log-density evaluation per
    step and no gradient. ``params`` is ignored: the set is its own adaptation.

    ``init`` and ``initial_state`` raise ``ValueError`` when ``dense_mass`` and
    :math:`N \le D`.

    Args:
        log_density_fn: :math:`z \mapsto \log\pi(z)`, a callable from a flat ``[dim]``
            array to a scalar (never differentiated).
        adapt_state_size: :math:`N`, the number of points in the set, at least 2 (default
            ``None``: :math:`2D` for :math:`D` = ``dim``).
        dense_mass: fit a full covariance to the set (default) rather than its diagonal.
        init_scale: the standard deviation of the starting set around the initial
            position (default 1), positive.

    Raises:
        ValueError: if ``adapt_state_size < 2`` or ``init_scale`` is not positive.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> kernel = SAKernel(lambda z: -0.5 * jnp.sum(z**2))
        >>> state = kernel.init(jnp.zeros(2))
        >>> state.points.shape
        (4, 2)
        >>> state, info = kernel.step(jax.random.PRNGKey(0), state, None)
        >>> bool(0.0 <= info.acceptance_rate <= 1.0), bool(info.diverging)
        (True, False)
    """

    log_density_fn: Callable
    adapt_state_size: Optional[int] = eqx.field(static=True, default=None)
    dense_mass: bool = eqx.field(static=True, default=True)
    init_scale: float = eqx.field(static=True, default=1.0)

    def __check_init__(self):
        if self.adapt_state_size is not None and self.adapt_state_size < 2:
            raise ValueError(f"SA: adapt_state_size must be at least 2, got {self.adapt_state_size}")
        if not self.init_scale > 0:
            raise ValueError(f"SA: init_scale must be positive, got {self.init_scale}")

    def state_size(self, dim: int) -> int:
        """:math:`N` for a ``dim``-dimensional position.

        Args:
            dim: the dimension :math:`D` of the position.

        Returns:
            ``adapt_state_size``, or ``2 * dim`` if it is ``None``.
        """
        return 2 * dim if self.adapt_state_size is None else self.adapt_state_size

    def empty_info(self, state: SAState) -> SAInfo:
        zero = jnp.zeros_like(state.log_density)
        return SAInfo(zero, zero, jnp.bool_(False))

    def init(self, position) -> SAState:
        position = jnp.asarray(position)
        return self.initial_state(position, self.log_density_fn(position), jnp.zeros_like(position))

    def initial_state(self, position, log_density, log_density_grad=None) -> SAState:
        r"""The set at a start: ``position`` itself and :math:`N - 1` points
        ``position + init_scale * e_i`` with fixed standard normal offsets :math:`e_i`.

        The driver gives no key here, so the offsets are the same for every chain (the
        chains differ through their starting points). The set starts broad (unit scale
        in the unconstrained space, as NumPyro's) and the drop rule contracts it to the
        posterior during warm-up; points whose log density is not finite leave first.

        Args:
            position: the starting point, ``[dim]``; the chain's first draw.
            log_density: :math:`\log\pi` at ``position``, a scalar.
            log_density_grad: ignored (SA uses no gradient; the state stores zeros).

        Returns:
            the ``SAState`` with ``points`` ``[N, dim]`` (``position`` first) and their
            log densities ``[N]`` (the other :math:`N - 1` evaluated here).

        Raises:
            ValueError: if ``dense_mass`` and :math:`N \le D` (a dense covariance cannot
                be fitted).
        """
        dim = position.shape[-1]
        size = self.state_size(dim)
        if self.dense_mass and size <= dim:
            raise ValueError(
                f"SA: adapt_state_size={size} points cannot fit a dense covariance in {dim} dimensions; "
                f"use adapt_state_size > {dim} (default 2 * dim) or dense_mass=False"
            )
        offsets = jax.random.normal(jax.random.PRNGKey(0), (size - 1, dim), position.dtype)
        others = position + self.init_scale * offsets
        log_densities = jax.vmap(self.log_density_fn)(others)
        points = jnp.concatenate([position[None], others])
        log_densities = jnp.concatenate([jnp.reshape(log_density, (1,)), log_densities])
        return SAState(position, log_density, jnp.zeros_like(position), points, log_densities)

    def step(self, key, state: SAState, params: Optional[KernelParams] = None):
        proposal_key, drop_key, pick_key = jax.random.split(key, 3)
        points, log_densities = state.points, state.log_densities
        size = points.shape[0]
        proposal = _proposal(proposal_key, points, self.dense_mass)
        proposal_log_density = self.log_density_fn(proposal)
        proposal_log_density = jnp.where(jnp.isnan(proposal_log_density), -jnp.inf, proposal_log_density)
        union = jnp.concatenate([points, proposal[None]])
        union_log_densities = jnp.concatenate([log_densities, proposal_log_density[None]])
        logits = _drop_logits(leave_one_out_log_density(union, self.dense_mass), union_log_densities)
        drop = jax.random.categorical(drop_key, logits)
        # the proposal takes the dropped point's row (dropping the proposal changes nothing)
        points = union.at[drop].set(proposal)[:size]
        log_densities = union_log_densities.at[drop].set(proposal_log_density)[:size]
        pick = jax.random.randint(pick_key, (), 0, size)
        new_state = SAState(points[pick], log_densities[pick], state.log_density_grad, points, log_densities)
        acceptance_rate = 1.0 - jax.nn.softmax(logits)[-1]
        info = SAInfo(lp=new_state.log_density, acceptance_rate=acceptance_rate, diverging=jnp.bool_(False))
        return new_state, info
