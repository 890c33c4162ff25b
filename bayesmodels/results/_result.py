r"""``InferenceResult``: what every inference method returns.

It holds numpy arrays in ArviZ's layout: draws ``[chain, draw, *site_shape]`` per site
(constrained values, deterministic sites included), sampler statistics under ArviZ's
names, the data, and the names of each site's axes (its plates). It summarises itself
with ArviZ's numerics, converts to and from ``arviz.InferenceData``, and saves to netCDF.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, final

import numpy as np

from .. import diagnostics
from . import _arviz, _io, _summary
from ._convergence import site_convergence
from ._groups import (
    DRAW_GROUPS,
    GROUPS,
    as_arrays,
    check_attrs,
    check_leading_shapes,
    resolve_coords,
    resolve_dims,
)

if TYPE_CHECKING:  # ArviZ, pandas and xarray are imported where first used: they are slow to load
    import arviz as az
    import pandas as pd
    import xarray as xr

__all__ = ["InferenceResult"]


@final
class InferenceResult:
    r"""Draws, sampler statistics and data of one inference run, in ArviZ's layout.

    Args:
        posterior: site name -> draws ``[chain, draw, *site_shape]`` (constrained values,
            deterministic sites included).
        sample_stats: statistic -> ``[chain, draw, ...]`` under ArviZ's names: ``lp``,
            ``diverging`` (bool), ``energy``, ``tree_depth``, ``n_steps``, ``step_size``,
            ``acceptance_rate``, and any others.
        warmup_posterior: warm-up draws, laid out as ``posterior``.
        warmup_sample_stats: warm-up statistics, laid out as ``sample_stats``.
        log_likelihood: observed site -> pointwise log likelihood ``[chain, draw, *obs_shape]``.
        observed_data: observed site -> data ``[*obs_shape]``.
        constant_data: name -> array of data that is not modelled.
        posterior_predictive: site -> ``[chain, draw, ...]``, with the posterior's
            (chain, draw) shape.
        prior: site -> prior draws ``[chain, draw, ...]`` (any chains and draws).
        prior_predictive: site -> ``[chain, draw, ...]``, with the prior's (chain, draw) shape.
        variational: of a variational fit, ``loss`` per optimiser step and the fitted
            params, name -> array ``[*shape]``.
        dims: variable name -> names of its axes after ``(chain, draw)`` (for observed and
            constant data: of all its axes), e.g. ``{"theta": ["school"]}``. Variables
            left out get ArviZ's ``{name}_dim_{i}``.
        coords: dimension name -> coordinate values; others get ``0, 1, ...``.
        attrs: name -> str, int, float or bool (sampler settings, versions, ...).

    Raises:
        ValueError: on arrays without (chain, draw) axes or with leading shapes that
            disagree, dims of the wrong length, or coords of the wrong length.

    Example:
        >>> import numpy as np
        >>> draws = np.zeros((2, 3, 4))
        >>> result = InferenceResult({"theta": draws}, dims={"theta": ["school"]})
        >>> result.num_chains, result.num_draws, result.dims["theta"]
        (2, 3, ('school',))
        >>> result.get_samples()["theta"].shape
        (6, 4)
        >>> result.num_divergences
        0
    """

    _reserved_attrs = _arviz.LIBRARY_ATTRS

    def __init__(
        self,
        posterior,
        *,
        sample_stats=None,
        warmup_posterior=None,
        warmup_sample_stats=None,
        log_likelihood=None,
        observed_data=None,
        constant_data=None,
        posterior_predictive=None,
        prior=None,
        prior_predictive=None,
        variational=None,
        dims=None,
        coords=None,
        attrs=None,
    ):
        given = {
            "posterior": posterior,
            "sample_stats": sample_stats,
            "warmup_posterior": warmup_posterior,
            "warmup_sample_stats": warmup_sample_stats,
            "log_likelihood": log_likelihood,
            "observed_data": observed_data,
            "constant_data": constant_data,
            "posterior_predictive": posterior_predictive,
            "prior": prior,
            "prior_predictive": prior_predictive,
            "variational": variational,
        }
        groups = {group: as_arrays(group, given[group]) for group in GROUPS}
        self._num_chains, self._num_draws = check_leading_shapes(groups)
        self._dims = resolve_dims(groups, dims)
        self._coords = resolve_coords(groups, self._dims, coords)
        self._attrs = check_attrs(attrs, self._reserved_attrs)
        self._groups = groups

    # ----------------------------------------------------------------- the groups
    @property
    def posterior(self) -> dict[str, np.ndarray]:
        """site -> draws ``[chain, draw, *site_shape]``."""
        return dict(self._groups["posterior"])

    @property
    def sample_stats(self) -> dict[str, np.ndarray]:
        """statistic -> ``[chain, draw, ...]`` (``diverging``, ``lp``, ...)."""
        return dict(self._groups["sample_stats"])

    @property
    def warmup_posterior(self) -> dict[str, np.ndarray]:
        """site -> warm-up draws ``[chain, warmup draw, *site_shape]``."""
        return dict(self._groups["warmup_posterior"])

    @property
    def warmup_sample_stats(self) -> dict[str, np.ndarray]:
        """statistic -> warm-up values ``[chain, warmup draw, ...]``."""
        return dict(self._groups["warmup_sample_stats"])

    @property
    def log_likelihood(self) -> dict[str, np.ndarray]:
        """observed site -> pointwise log likelihood ``[chain, draw, *obs_shape]``."""
        return dict(self._groups["log_likelihood"])

    @property
    def observed_data(self) -> dict[str, np.ndarray]:
        """observed site -> its data."""
        return dict(self._groups["observed_data"])

    @property
    def constant_data(self) -> dict[str, np.ndarray]:
        """name -> data that is not modelled."""
        return dict(self._groups["constant_data"])

    @property
    def posterior_predictive(self) -> dict[str, np.ndarray]:
        """site -> posterior predictive draws ``[chain, draw, ...]``."""
        return dict(self._groups["posterior_predictive"])

    @property
    def prior(self) -> dict[str, np.ndarray]:
        """site -> prior draws ``[chain, draw, ...]``."""
        return dict(self._groups["prior"])

    @property
    def variational(self) -> dict[str, np.ndarray]:
        """Of a variational fit: ``loss`` (one per optimiser step) and the fitted params."""
        return dict(self._groups["variational"])

    @property
    def prior_predictive(self) -> dict[str, np.ndarray]:
        """site -> prior predictive draws ``[chain, draw, ...]``."""
        return dict(self._groups["prior_predictive"])

    @property
    def dims(self) -> dict[str, tuple[str, ...]]:
        """variable -> names of its axes after (chain, draw) (data groups: of all axes)."""
        return dict(self._dims)

    @property
    def coords(self) -> dict[str, np.ndarray]:
        """dimension -> the coordinate values given (others are ``0, 1, ...``)."""
        return dict(self._coords)

    @property
    def attrs(self) -> dict:
        """name -> str, int, float or bool."""
        return dict(self._attrs)

    @property
    def num_chains(self) -> int:
        """Number of chains of the posterior (0 without one)."""
        return self._num_chains

    @property
    def num_draws(self) -> int:
        """Number of post-warm-up draws per chain (0 without a posterior)."""
        return self._num_draws

    @property
    def num_divergences(self) -> int:
        """Number of divergent transitions after warm-up (0 if none were recorded)."""
        diverging = self._groups["sample_stats"].get("diverging")
        return 0 if diverging is None else int(np.count_nonzero(diverging))

    def __repr__(self) -> str:
        lines = [
            f"InferenceResult({self._num_chains} chains x {self._num_draws} draws, "
            f"{self.num_divergences} divergences)"
        ]
        for group in GROUPS:
            arrays = self._groups[group]
            if not arrays:
                continue
            if group in ("posterior", "log_likelihood"):
                shapes = ", ".join(f"{name} {_site_shape(group, a)}" for name, a in arrays.items())
                lines.append(f"  {group}: {shapes}")
            else:
                lines.append(f"  {group}: {', '.join(arrays)}")
        return "\n".join(lines)

    # ----------------------------------------------------------------- draws and tables
    def get_samples(self, group_by_chain: bool = False) -> dict[str, np.ndarray]:
        """Posterior draws per site, NumPyro's ``MCMC.get_samples``.

        Args:
            group_by_chain: keep the chain axis: ``[chain, draw, ...]``. Otherwise chains
                are concatenated in order: ``[chain * draw, ...]``.

        Returns:
            dict site name -> numpy array ``[chain * draw, *site_shape]`` (or ``[chain,
            draw, *site_shape]``), deterministic sites included.
        """
        if group_by_chain:
            return self.posterior
        return {name: a.reshape((-1,) + a.shape[2:]) for name, a in self._groups["posterior"].items()}

    @cached_property
    def _posterior_dataset(self) -> xr.Dataset:
        dataset = _arviz.build_dataset("posterior", self._groups["posterior"], self._dims, self._coords)
        return _summary.numeric(dataset)

    @cached_property
    def _diagnostics(self) -> dict[str, pd.DataFrame]:
        """site -> its ArviZ diagnostics rows (MCSE, ESS, r-hat), computed once."""
        return _summary.diagnostics_by_site(self._posterior_dataset)

    @cached_property
    def _convergence(self) -> dict[str, dict[str, np.ndarray]]:
        found = {name: site_convergence(draws) for name, draws in self._groups["posterior"].items()}
        for values in found.values():
            for array in values.values():
                array.flags.writeable = False
        return found

    @property
    def convergence(self) -> dict[str, dict[str, np.ndarray]]:
        r"""site -> ``{"r_hat": ..., "ess_bulk": ...}``, arrays of the site's shape.

        Rank-normalised split :math:`\hat R` and bulk ESS of every scalar: the
        ``r_hat`` and ``ess_bulk`` of :meth:`site_diagnostics` and :meth:`summary` (equal
        to rounding), computed in one numpy pass per site without ArviZ, once per
        result. The post-sampling checks use them.
        """
        return {name: dict(values) for name, values in self._convergence.items()}

    def site_diagnostics(self, name: str) -> dict[str, np.ndarray]:
        r"""ArviZ's ``mcse_mean``, ``mcse_sd``, ``ess_bulk``, ``ess_tail``, ``r_hat`` of a site.

        As in ``az.summary(kind="diagnostics")``, computed once per result for every site:
        rank-normalised split :math:`\hat R` and bulk/tail ESS (see
        ``bayesmodels.diagnostics``), and the Monte Carlo standard errors of the mean,
        :math:`\mathrm{sd} / \sqrt{\mathrm{ESS}_\text{mean}}`, and of the sd.

        Args:
            name: a posterior site.

        Returns:
            dict diagnostic -> numpy array of the site's shape (NaN where undefined, e.g.
            ``r_hat`` with one chain).

        Raises:
            KeyError: ``name`` is not a posterior site.
        """
        if name not in self._groups["posterior"]:
            raise KeyError(f"{name!r} is not a posterior site; the sites are {list(self._groups['posterior'])}")
        shape = self._groups["posterior"][name].shape[2:]
        table = self._diagnostics[name]
        return {column: table[column].to_numpy().reshape(shape) for column in _summary.DIAGNOSTIC_COLUMNS}

    def summary(self, prob: float = 0.9, var_names=None) -> pd.DataFrame:
        """Posterior summary, one row per scalar (``theta[0]``, ``L[0, 1]``; coordinate
        labels where coords were given), computed by ArviZ.

        Columns: ``mean, sd, median``, the HDI bounds (``hdi_5%, hdi_95%`` for
        ``prob=0.9``), ``mcse_mean, mcse_sd, ess_bulk, ess_tail, r_hat``. With one chain
        ``r_hat`` is NaN.

        Args:
            prob: probability mass of the highest density interval, in (0, 1).
            var_names: a site name or list of site names (default: all).

        Returns:
            a ``pandas.DataFrame`` with one row per scalar and the columns above (an empty
            one when there are no sites).

        Raises:
            ValueError: ``prob`` outside (0, 1), or a name in ``var_names`` that is not a
                posterior site.
        """
        return _summary.summary_table(self._posterior_dataset, self._diagnostics, prob, var_names)

    def print_summary(self, prob: float = 0.9) -> None:
        """Print NumPyro's table and, where the sampler recorded them, the number of divergences.

        Columns ``mean std median 5.0% 95.0% n_eff r_hat`` (the HPD bounds follow
        ``prob``; ``std`` with ``ddof=0``; ``n_eff`` is bulk ESS and ``r_hat``
        rank-normalised split r-hat, as in :meth:`site_diagnostics`), one row per scalar.

        Args:
            prob: probability mass of the HPD interval, in (0, 1).

        Raises:
            ValueError: ``prob`` outside (0, 1).
        """
        if not 0.0 < prob < 1.0:
            raise ValueError(f"print_summary needs prob in (0, 1), but got prob={prob}")
        stats = {}
        for name, draws in self._groups["posterior"].items():
            found = self.site_diagnostics(name)
            numeric = draws.astype(np.int8) if draws.dtype == np.bool_ else draws
            stats[name] = diagnostics._site_summary(numeric, prob, found["ess_bulk"], found["r_hat"])
        if stats:
            print(diagnostics._format_table(stats))
        if "diverging" in self._groups["sample_stats"]:
            print(f"Number of divergences: {self.num_divergences}")

    # ----------------------------------------------------------------- ArviZ and files
    def to_arviz(self) -> az.InferenceData:
        """An ``arviz.InferenceData`` with the non-empty groups, dims and coords.

        The posterior group's attrs hold ``inference_library="bayesmodels"`` and ``attrs``.

        Returns:
            an ``arviz.InferenceData``, one group per non-empty group of this result.
        """
        return _arviz.to_inference_data(self._groups, self._dims, self._coords, self._attrs)

    @classmethod
    def from_arviz(cls, idata: az.InferenceData) -> InferenceResult:
        """The result held by an ``arviz.InferenceData`` (groups it does not know are ignored).

        Args:
            idata: an ``arviz.InferenceData``, e.g. from :meth:`to_arviz` or
                ``az.from_netcdf``.

        Returns:
            a new ``InferenceResult`` with its groups, dims, coords and attrs.
        """
        return cls(**_arviz.from_inference_data(idata))

    def add_groups(self, *, posterior_predictive=None, prior=None, prior_predictive=None, dims=None, coords=None):
        """A new result with these groups added (variables of the same name replaced).

        This result is left unchanged.

        Args:
            posterior_predictive: site -> draws ``[chain, draw, ...]`` with the
                posterior's (chain, draw) shape.
            prior: site -> prior draws ``[chain, draw, ...]`` (any chains and draws).
            prior_predictive: site -> draws ``[chain, draw, ...]`` with the prior's
                (chain, draw) shape.
            dims: variable name -> axis names, added to (or overriding) the current ones.
            coords: dimension name -> coordinate values, added to (or overriding) the
                current ones.

        Returns:
            a new ``InferenceResult``.

        Raises:
            ValueError: leading shapes that disagree, or dims or coords of the wrong
                length.
        """
        new = {"posterior_predictive": posterior_predictive, "prior": prior, "prior_predictive": prior_predictive}
        groups = {group: dict(self._groups[group]) for group in GROUPS}
        for group, arrays in new.items():
            groups[group].update(as_arrays(group, arrays))
        return type(self)(
            groups["posterior"],
            **{group: groups[group] for group in GROUPS if group != "posterior"},
            dims={**self._dims, **dict(dims or {})},
            coords={**self._coords, **dict(coords or {})},
            attrs=self._attrs,
        )

    def save(self, path) -> None:
        """Write every group, dims, coords and attrs to a netCDF file (``az.from_netcdf``
        reads it too); :meth:`load` gets back an identical result.

        Args:
            path: the file to write (a ``str`` or ``os.PathLike``); an existing file is
                replaced.
        """
        _io.save_inference_data(self.to_arviz(), path)

    @classmethod
    def load(cls, path) -> InferenceResult:
        """Read a result written by :meth:`save`.

        Args:
            path: the file (a ``str`` or ``os.PathLike``).

        Returns:
            the ``InferenceResult`` it holds.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not a saved bayesmodels ``InferenceResult``.
        """
        return cls.from_arviz(_io.load_inference_data(path))


def _site_shape(group: str, array: np.ndarray) -> tuple:
    return array.shape[2:] if group in DRAW_GROUPS else array.shape


