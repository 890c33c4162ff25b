"""Adaptation: dual averaging, Welford (co)variance, Stan's window schedule, a first step
size, nutpie's low-rank modified metric, and the windowed warm-up that combines them —
each an init / update / final triple over a ``NamedTuple`` state."""

from ._dual_averaging import DualAveragingState, dual_averaging_final, dual_averaging_init, dual_averaging_update
from ._low_rank import LowRankState, fisher_eigh, low_rank_final, low_rank_init, low_rank_update
from ._schedule import WarmupSchedule, slow_windows, warmup_schedule
from ._step_size import find_reasonable_step_size
from ._welford import WelfordState, welford_final, welford_init, welford_update
from ._window import WarmupState, WindowAdaptation

__all__ = [
    "DualAveragingState",
    "LowRankState",
    "WarmupSchedule",
    "WarmupState",
    "WelfordState",
    "WindowAdaptation",
    "dual_averaging_final",
    "dual_averaging_init",
    "dual_averaging_update",
    "find_reasonable_step_size",
    "fisher_eigh",
    "low_rank_final",
    "low_rank_init",
    "low_rank_update",
    "slow_windows",
    "warmup_schedule",
    "welford_final",
    "welford_init",
    "welford_update",
]
