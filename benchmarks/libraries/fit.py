"""``bm.Model.fit``: the class front users call, timed end to end."""

from __future__ import annotations

import numpy as np

from .base import Draws, Runner


class FitRunner(Runner):
    """``MODEL_CLASS().fit(**data)`` with the default settings (NUTS, ``chain_method``
    ``"auto"``) and no progress bar. ``fit`` has no way to continue a run, so its
    sampling phase is not timed on its own."""

    continues = False

    def run(self, data, seed):
        size = self.size
        fitted = self.model.MODEL_CLASS().fit(
            **data,
            seed=seed,
            num_warmup=size.num_warmup,
            num_samples=size.num_samples,
            num_chains=size.num_chains,
            progress_bar=False,
        )
        result = fitted.result_
        samples = {name: np.asarray(value) for name, value in result.posterior.items()}
        stats = result.sample_stats
        return Draws(samples, np.asarray(stats["n_steps"]), np.asarray(stats["diverging"]))
