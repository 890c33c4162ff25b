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
    """Per-iteration flags of a warm-up (numpy bool arrays of length ``num_warmup``).

    Iteration :math:`i` first restarts the step size if ``restart[i]``, then takes the
    kernel step, then updates the adaptation with flags ``collect[i]``, ``window_end[i]``
    and ``last[i]`` (see ``WindowAdaptation.update``).

    Args:
        restart: before the step, search a new step size (``find_reasonable_step_size``)
            and restart dual averaging from it: at iteration 0 and right after each slow
            window that does not end the warm-up (only with step-size adaptation).
        collect: after the step, feed the new position to the window's (co)variance
            estimate; set on the iterations inside slow windows.
        window_end: after collecting, replace the metric with the window's estimate: the
            last iteration of each slow window.
        last: after the step, fix the step size to its dual-averaged value: the last
            warm-up iteration (only with step-size adaptation).
    """

    restart: np.ndarray  # search the step size and restart dual averaging first
    collect: np.ndarray  # feed the new position to the (co)variance estimate
    window_end: np.ndarray  # then replace the metric with the estimate
    last: np.ndarray  # then fix the step size to its dual-averaged value


def slow_windows(num_warmup: int, init_buffer: int = 75, term_buffer: int = 50, base_window: int = 25) -> list:
    r"""The slow windows of a warm-up of ``num_warmup`` iterations, as Stan lays them out.

    With :math:`W` = ``num_warmup``, the slow phase runs from ``init_buffer`` to
    :math:`W -` ``term_buffer``. The first window is ``base_window`` long; each next one is
    twice the previous, except that a window is stretched to the end of the slow phase
    when the window after it (twice as long again) would not fit. Edge cases:

    - :math:`W < 20`: no windows (the metric is not adapted).
    - ``init_buffer + base_window + term_buffer`` :math:`> W`: the buffers become
      :math:`\lfloor 0.15\,W \rfloor` and :math:`\lfloor 0.1\,W \rfloor` and a
      single window fills the rest.
    - The first window is never stretched, so with the defaults and
      :math:`150 < W < 225` the second (last) window is cut short by the terminal buffer:
      :math:`W - 150` iterations, a single one at :math:`W = 151` (as in Stan).

    Args:
        num_warmup: the number of warm-up iterations :math:`W`.
        init_buffer: iterations of the initial fast phase (step size only; default 75).
        term_buffer: iterations of the terminal fast phase (step size for the final
            metric; default 50).
        base_window: length of the first slow window (default 25).

    Returns:
        a list of ``(start, end)`` iteration indices (``end`` exclusive), in order,
        contiguous, the last ending at :math:`W -` ``term_buffer``; empty when
        :math:`W < 20`.

    Example:
        >>> from bayesmodels.adaptation import slow_windows
        >>> slow_windows(1000)
        [(75, 100), (100, 150), (150, 250), (250, 450), (450, 950)]
        >>> slow_windows(100)  # buffers of 15% and 10%
        [(15, 90)]
    """
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
    """The per-iteration flags of Stan's windowed warm-up of ``num_warmup`` iterations.

    The slow windows are those of :func:`slow_windows`. Each window's iterations are
    flagged ``collect``, its last one ``window_end``, and the iteration after it (unless
    it ends the warm-up) ``restart``; iteration 0 is flagged ``restart`` and the last
    one ``last``.

    Args:
        num_warmup: the number of warm-up iterations (0 gives empty arrays).
        adapt_step_size: flag ``restart`` and ``last`` (else they stay all ``False``).
        adapt_mass_matrix: lay out the slow windows (else ``collect`` and
            ``window_end`` stay all ``False`` and ``restart`` is only at iteration 0).
        init_buffer: iterations of the initial fast phase (default 75).
        term_buffer: iterations of the terminal fast phase (default 50).
        base_window: length of the first slow window (default 25).

    Returns:
        a ``WarmupSchedule`` of numpy bool arrays of length ``num_warmup``.
    """
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
