r"""Stan's windowed warm-up schedule, precomputed as arrays.

Warm-up of :math:`W` iterations is split into an initial fast buffer (75 iterations: step
size only), slow windows that estimate the metric (25 iterations, doubling; the last one
stretched to the terminal buffer) and a terminal fast buffer (50 iterations: step size
for the final metric). If :math:`W < 150` the buffers are 15% / 75% / 10% of
:math:`W`. At the end of each slow window the metric is replaced by the window's
regularised (co)variance, and the step size is searched again and its dual averaging
restarted.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["WarmupSchedule", "slow_windows", "warmup_schedule"]


class WarmupSchedule(NamedTuple):
    """Per-iteration flags (numpy bool arrays of length ``num_warmup``)."""

    restart: np.ndarray  # search the step size and restart dual averaging first
    collect: np.ndarray  # feed the new position to the (co)variance estimate
    window_end: np.ndarray  # then replace the metric with the estimate
    last: np.ndarray  # then fix the step size to its dual-averaged value


def slow_windows(num_warmup: int, init_buffer: int = 75, term_buffer: int = 50, base_window: int = 25) -> list:
    """``[(start, end), ...]`` (end exclusive) of the slow windows."""
    if num_warmup < 20:
        return []
    if init_buffer + base_window + term_buffer > num_warmup:
        init_buffer = int(0.15 * num_warmup)
        term_buffer = int(0.1 * num_warmup)
        base_window = num_warmup - init_buffer - term_buffer
    slow_end = num_warmup - term_buffer
    size, start = base_window, init_buffer
    end = start + size
    windows = [(start, end)]
    while end < slow_end:
        size, start = 2 * size, end
        end = start + size
        if end + 2 * size > slow_end:  # Stan: (last index) + 2 * size >= slow_end
            end = slow_end
        windows.append((start, end))
    return windows


def warmup_schedule(
    num_warmup: int,
    *,
    adapt_step_size: bool = True,
    adapt_mass_matrix: bool = True,
    init_buffer: int = 75,
    term_buffer: int = 50,
    base_window: int = 25,
) -> WarmupSchedule:
    restart = np.zeros(num_warmup, bool)
    collect = np.zeros(num_warmup, bool)
    window_end = np.zeros(num_warmup, bool)
    last = np.zeros(num_warmup, bool)
    if num_warmup == 0:
        return WarmupSchedule(restart, collect, window_end, last)
    if adapt_mass_matrix:
        for start, end in slow_windows(num_warmup, init_buffer, term_buffer, base_window):
            collect[start:end] = True
            window_end[end - 1] = True
            if end < num_warmup:
                restart[end] = adapt_step_size
    restart[0] = adapt_step_size
    last[-1] = adapt_step_size
    return WarmupSchedule(restart, collect, window_end, last)
