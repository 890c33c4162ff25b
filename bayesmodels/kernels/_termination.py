r"""The generalised U-turn criterion (Betancourt 2017, appendix A.4.2), with the checks
across sub-trees that Stan adds.

A trajectory with summed momentum :math:`\rho` and velocities :math:`p^\sharp = M^{-1}p`
at its two ends keeps expanding while

.. math::

    p^\sharp_{-} \cdot \rho > 0 \quad\text{and}\quad p^\sharp_{+} \cdot \rho > 0.

A trajectory made of a left half :math:`L` and a right half :math:`R` (in time order) is
also checked across the seam, so a U-turn straddling it is not missed: with
:math:`\rho_L + p_{R,\text{first}}` between :math:`p^\sharp_{L,\text{first}}` and
:math:`p^\sharp_{R,\text{first}}`, and :math:`\rho_R + p_{L,\text{last}}` between
:math:`p^\sharp_{L,\text{last}}` and :math:`p^\sharp_{R,\text{last}}`.
All three tests are symmetric in time, so a tree built backwards is checked the same way.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["no_u_turn", "no_u_turn_across_halves"]


def no_u_turn(velocity_start, velocity_end, momentum_sum):
    r"""True while the span with ``momentum_sum`` between these end velocities is not turning:
    :math:`p^\sharp_{-} \cdot \rho > 0` and :math:`p^\sharp_{+} \cdot \rho > 0`.

    Works on the last axis, so stacked spans (one per tree level) are checked at once.

    Args:
        velocity_start: :math:`p^\sharp_{-} = M^{-1} p_{-}` at the span's first point, ``[..., dim]``.
        velocity_end: :math:`p^\sharp_{+}` at its last point, ``[..., dim]``.
        momentum_sum: :math:`\rho`, the momenta summed over the span, ``[..., dim]``.

    Returns:
        a boolean array of the batch shape ``[...]``: True where the span does not turn.
    """
    return (jnp.sum(velocity_start * momentum_sum, -1) > 0) & (jnp.sum(velocity_end * momentum_sum, -1) > 0)


def no_u_turn_across_halves(
    left_sum,
    left_first_velocity,
    left_last_momentum,
    left_last_velocity,
    right_sum,
    right_first_momentum,
    right_first_velocity,
    right_last_velocity,
):
    """True when neither the whole span nor either seam check signals a U-turn.

    Args:
        left_sum: the summed momentum of the left (earlier) half.
        left_first_velocity: the velocity at the left half's first point.
        left_last_momentum: the momentum at the left half's last point.
        left_last_velocity: the velocity at the left half's last point.
        right_sum: the summed momentum of the right (later) half.
        right_first_momentum: the momentum at the right half's first point.
        right_first_velocity: the velocity at the right half's first point.
        right_last_velocity: the velocity at the right half's last point.

    Returns:
        a boolean (array, batched like ``no_u_turn``): True when the merged span and both
        seam spans pass ``no_u_turn``.
    """
    whole = no_u_turn(left_first_velocity, right_last_velocity, left_sum + right_sum)
    left_seam = no_u_turn(left_first_velocity, right_first_velocity, left_sum + right_first_momentum)
    right_seam = no_u_turn(left_last_velocity, right_last_velocity, right_sum + left_last_momentum)
    return whole & left_seam & right_seam
