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
    r"""The state of dual averaging after :math:`t` iterations (scalars, or arrays of a
    common shape when several step sizes are adapted together).

    Args:
        log_step_size: :math:`\log\epsilon_t`, the log step size to use next (during
            warm-up).
        log_step_size_avg: :math:`\log\bar\epsilon_t`, the weighted average of the log step
            sizes; :math:`\exp` of it is the final step size (0 at the start).
        error_avg: :math:`\bar H_t`, the running average of :math:`\delta - \alpha_t`
            (0 at the start).
        count: :math:`t`, the number of updates so far (an ``int32`` scalar).
        mu: :math:`\mu = \log(10\,\epsilon_0)`, the point the log step size is shrunk
            towards.
    """

    log_step_size: jax.Array
    log_step_size_avg: jax.Array
    error_avg: jax.Array
    count: jax.Array
    mu: jax.Array


def dual_averaging_init(step_size) -> DualAveragingState:
    r"""Start dual averaging from ``step_size``, shrinking towards :math:`\mu = \log(10\,\epsilon_0)`.

    Args:
        step_size: the initial step size :math:`\epsilon_0` (positive; a scalar or an
            array, whose shape the state takes).

    Returns:
        a ``DualAveragingState`` with :math:`t = 0`, :math:`\log\epsilon_0` as
        ``log_step_size``, ``log_step_size_avg`` and ``error_avg`` 0, and
        :math:`\mu = \log 10 + \log\epsilon_0`.
    """
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
    r"""One iteration of dual averaging with acceptance statistic ``acceptance_rate``.

    With :math:`t` the new count, :math:`\alpha_t` = ``acceptance_rate`` and
    :math:`\delta` = ``target_accept_prob``, the update of Hoffman & Gelman (2014,
    section 3.2):

    .. math::

        \bar H_t = \Bigl(1 - \tfrac{1}{t + t_0}\Bigr)\bar H_{t-1}
            + \tfrac{1}{t + t_0}(\delta - \alpha_t),
        \qquad
        \log\epsilon_t = \mu - \tfrac{\sqrt t}{\gamma}\,\bar H_t,

        \log\bar\epsilon_t = t^{-\kappa}\log\epsilon_t + (1 - t^{-\kappa})\log\bar\epsilon_{t-1}.

    An acceptance statistic above the target lowers :math:`\bar H_t` and so raises the
    step size. Traceable (jit / vmap / scan).

    Args:
        state: the state after :math:`t - 1` iterations.
        acceptance_rate: :math:`\alpha_t`, the acceptance statistic of the last
            transition, in :math:`[0, 1]`; NaN counts as 0.
        target_accept_prob: :math:`\delta`, the acceptance statistic to aim for
            (default 0.8).
        gamma: :math:`\gamma`, the shrinkage towards :math:`\mu`: a larger value keeps
            the log step size closer to :math:`\mu` (default 0.05).
        t0: :math:`t_0`, damps the first iterations' errors (default 10).
        kappa: :math:`\kappa`, the decay of the averaging weight :math:`t^{-\kappa}`
            (default 0.75).

    Returns:
        the ``DualAveragingState`` after :math:`t` iterations; its ``log_step_size`` is
        the step size to use next during warm-up.
    """
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
    r"""The averaged step size :math:`\bar\epsilon_t`, the one to keep after warm-up.

    Args:
        state: a ``DualAveragingState``.

    Returns:
        :math:`\bar\epsilon_t = \exp(\log\bar\epsilon_t)`, an array of the state's shape
        (1 if no update has been made yet).
    """
    return jnp.exp(state.log_step_size_avg)
