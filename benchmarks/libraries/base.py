"""What every library's runner provides to the worker."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class RunSize:
    """How long a run is: the same for every library."""

    num_warmup: int = 1000
    num_samples: int = 1000
    num_chains: int = 4


class Draws(NamedTuple):
    """A run's kept draws, as numpy arrays with a leading ``[chain, draw]``."""

    samples: dict  # site -> constrained draws [chain, draw, *site_shape]
    num_steps: np.ndarray  # [chain, draw]: integrator steps = gradient evaluations
    diverging: np.ndarray  # [chain, draw]


class Runner(abc.ABC):
    """One library with one setting, on one model.

    ``run`` is what a user calls once: warm-up and sampling. ``more_draws`` then draws
    ``num_samples`` more from where ``run`` left the chains, with no warm-up, so that the
    sampling phase can be timed on its own (``continues`` says whether the library's
    front allows it).
    """

    continues = True

    def __init__(self, model, size: RunSize):
        self.model = model
        self.size = size

    @abc.abstractmethod
    def run(self, data: dict, seed: int) -> Draws:
        """Warm up and sample in one call, as a user does."""

    def more_draws(self) -> Draws:
        """Sample again, without warm-up, from the chains' state at the end of ``run``."""
        raise NotImplementedError

    def log_density(self, data: dict):
        """``(log_density, positions)``: the library's unconstrained log density with
        ``data`` and one position per chain (a pytree with a leading chain axis), for
        timing a bare gradient."""
        raise NotImplementedError
