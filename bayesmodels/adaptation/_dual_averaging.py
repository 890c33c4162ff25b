r"""Dual averaging of the step size (Nesterov 2009; Hoffman & Gelman 2014, section 3.2).

With acceptance statistic :math:`\alpha_t` at iteration :math:`t` and target
:math:`\delta`, the log step size follows

.. math::

    \bar H_t = \Bigl(1 - \tfrac{1}{t + t_0}\Bigr)\bar H_{t-1} + \tfrac{1}{t + t_0}(\delta - \alpha_t),
    \qquad
    \log\epsilon_t = \mu - \tfrac{\sqrt t}{\gamma}\,\bar H_t,

    \log\bar\epsilon_t = t^{-\kappa}\log\epsilon_t + (1 - t^{-\kappa})\log\bar\epsilon_{t-1},

with :math:`\mu = \log(10\,\epsilon_0)`. :math:`\epsilon_t` is used during warm-up; the
averaged :math:`\bar\epsilon` is the final step size.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["DualAveragingState", "dual_averaging_final", "dual_averaging_init", "dual_averaging_update"]


class DualAveragingState(NamedTuple):
    log_step_size: jax.Array
    log_step_size_avg: jax.Array
    error_avg: jax.Array
    count: jax.Array
    mu: jax.Array


def dual_averaging_init(step_size) -> DualAveragingState:
    """Start from ``step_size``, shrinking towards :math:`\\mu = \\log(10\\,\\epsilon_0)`."""
    log_step = jnp.log(jnp.asarray(step_size))
    zero = jnp.zeros_like(log_step)
    return DualAveragingState(log_step, zero, zero, jnp.zeros((), jnp.int32), jnp.log(10.0) + log_step)


def dual_averaging_update(
    state: DualAveragingState,
    acceptance_rate,
    target_accept_prob: float = 0.8,
    *,
    gamma: float = 0.05,
    t0: float = 10.0,
    kappa: float = 0.75,
) -> DualAveragingState:
    """One iteration with acceptance statistic ``acceptance_rate``."""
    count = state.count + 1
    t = count.astype(state.error_avg.dtype)
    eta = 1.0 / (t + t0)
    acceptance_rate = jnp.where(jnp.isnan(acceptance_rate), 0.0, acceptance_rate)
    error_avg = (1.0 - eta) * state.error_avg + eta * (target_accept_prob - acceptance_rate)
    log_step = state.mu - jnp.sqrt(t) / gamma * error_avg
    weight = t ** (-kappa)
    log_step_avg = weight * log_step + (1.0 - weight) * state.log_step_size_avg
    return DualAveragingState(log_step, log_step_avg, error_avg, count, state.mu)


def dual_averaging_final(state: DualAveragingState):
    """The averaged step size :math:`\\bar\\epsilon`."""
    return jnp.exp(state.log_step_size_avg)
