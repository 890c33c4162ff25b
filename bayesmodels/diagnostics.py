r"""MCMC diagnostics under NumPyro's names, computed by ArviZ.

Draws come as arrays ``[chain, draw, *shape]``; every function returns one value per
scalar of ``shape``. The numerics are ArviZ's own (``az.ess``, ``az.rhat``), so these
figures agree with ``az.summary`` and with ``InferenceResult.summary``.

**Split r-hat.** Each of the :math:`M` chains is cut in half, giving :math:`2M` chains of
:math:`N` draws. With :math:`W` the mean within-chain variance and :math:`B/N` the
variance of the chain means,

.. math::

    \widehat{\mathrm{var}}^+ = \frac{N - 1}{N} W + \frac{B}{N},
    \qquad \hat R = \sqrt{\widehat{\mathrm{var}}^+ / W}.

ArviZ's default (used here) computes it on rank-normalised draws and on folded draws
:math:`|x - \mathrm{median}(x)|`, and reports the larger (Vehtari et al. 2021). Values
above about 1.01 mean the chains disagree.

**Effective sample size.** With :math:`\hat\rho_t` the autocorrelation at lag :math:`t`
pooled over chains (Geyer's initial monotone sequence truncates the sum),

.. math::

    \mathrm{ESS} = \frac{M N}{1 + 2 \sum_{t \ge 1} \hat\rho_t}.

*Bulk* ESS is computed on rank-normalised split chains (it governs the precision of means
and medians); *tail* ESS is the smaller of the ESS of the 5% and 95% quantile indicators.

Example:
    >>> import numpy as np
    >>> from bayesmodels import diagnostics
    >>> diagnostics.hpdi(np.arange(101.0), prob=0.5)
    array([ 0., 50.])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "effective_sample_size",
    "gelman_rubin",
    "hpdi",
    "print_summary",
    "split_gelman_rubin",
    "summary",
]

def _as_chains(x, caller: str) -> np.ndarray:
    """``x`` as a float or integer array ``[chain, draw, *shape]``, or a clear error."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            f"{caller} expects draws shaped [chain, draw, *shape] (at least 2 axes), but got "
            f"shape {x.shape}; for one chain of draws pass x[None]"
        )
    return x.astype(np.int8) if x.dtype == np.bool_ else x


def _per_scalar(diagnostic: str, x: np.ndarray, **kwargs) -> np.ndarray:
    """ArviZ's ``az.<diagnostic>`` (``"ess"``, ``"rhat"``) of each scalar of ``x [chain,
    draw, *shape]``; an array of ``shape``."""
    import arviz as az  # imported on first use, as it takes a second or more to load
    import xarray as xr

    dims = ("chain", "draw") + tuple(f"x_dim_{i}" for i in range(x.ndim - 2))
    with np.errstate(invalid="ignore", divide="ignore"):  # constant draws give NaN, silently
        result = getattr(az, diagnostic)(xr.Dataset({"x": (dims, x)}), **kwargs)
    return np.asarray(result["x"].values)


def effective_sample_size(x, method: str = "bulk", **kwargs) -> np.ndarray:
    r"""Effective sample size of each scalar in ``x`` (ArviZ's ``az.ess``).

    The chains are first split: each is cut in half (the middle draw of an odd number
    dropped). For the :math:`M` split chains of :math:`N` draws, with :math:`W` the mean
    within-chain variance (``ddof=1``), :math:`B/N` the variance of the chain means,
    :math:`\widehat{\mathrm{var}}^+ = \frac{N-1}{N} W + \frac{B}{N}` and
    :math:`\hat\gamma_{t,m}` the autocovariance at lag :math:`t` of chain :math:`m`,

    .. math::

        \hat\rho_t = 1 - \frac{W - \frac1M \sum_m \hat\gamma_{t,m}}
            {\widehat{\mathrm{var}}^+},
        \qquad
        \hat\tau = -1 + 2 \sum_{t=0}^{2K+1} \hat\rho_t,
        \qquad
        \mathrm{ESS} = \frac{M N}{\max\bigl(\hat\tau, 1 / \log_{10}(MN)\bigr)},

    where the sum runs over Geyer's initial positive sequence (pairs
    :math:`\hat\rho_{2t} + \hat\rho_{2t+1}` while positive, made monotone). The
    ``method`` chooses what it is applied to (Vehtari et al. 2021):

    - ``"bulk"``: the normal scores :math:`z = \Phi^{-1}\bigl((r - 3/8) / (S + 1/4)\bigr)`
      of the pooled draws, :math:`r` the (average) rank among all :math:`S` draws;
      it governs the precision of means and medians.
    - ``"tail"``: the smaller of the ESS of the indicators :math:`I(x \le q_{0.05})` and
      :math:`I(x \le q_{0.95})`, :math:`q_p` the :math:`p` quantile of the draws; it
      governs the precision of the 5% and 95% quantiles.
    - ``"mean"``: the draws themselves; ``"sd"``: :math:`(x - \bar x)^2`.

    A constant scalar has ESS :math:`MN`; fewer than 4 draws per chain, or a NaN draw,
    give NaN.

    Args:
        x: draws ``[chain, draw, *shape]``.
        method: ``"bulk"`` (default), ``"tail"``, ``"mean"``, ``"sd"``, ``"median"``,
            ``"quantile"``, ``"local"``, ... as in ``az.ess``.
        **kwargs: passed on to ``az.ess`` (e.g. ``prob`` for ``method="quantile"``).

    Returns:
        a float array of shape ``shape``.

    Raises:
        ValueError: ``x`` has fewer than 2 axes.
    """
    return _per_scalar("ess", _as_chains(x, "effective_sample_size"), method=method, **kwargs)


def split_gelman_rubin(x) -> np.ndarray:
    r"""Rank-normalised split :math:`\hat R` of each scalar in ``x`` (``az.rhat``).

    Each of the chains is cut in half (the middle draw of an odd number dropped),
    giving :math:`M'` (twice as many) chains of :math:`N` draws. For such chains, with
    :math:`s_m^2` the variance of chain :math:`m` (``ddof=1``) and :math:`\bar x_m` its
    mean,

    .. math::

        W = \frac{1}{M'} \sum_m s_m^2, \qquad
        \frac{B}{N} = \frac{1}{M' - 1} \sum_m (\bar x_m - \bar x)^2, \qquad
        \hat R(x) = \sqrt{\frac{\frac{N-1}{N} W + \frac{B}{N}}{W}}.

    This function (Vehtari et al. 2021) reports

    .. math::

        \hat R = \max\Bigl(\hat R\bigl(z(x)\bigr),\;
            \hat R\bigl(z(|x - \mathrm{median}(x)|)\bigr)\Bigr),

    :math:`z` the normal scores of the pooled split draws (see
    :func:`effective_sample_size`); the second term, on folded draws, catches chains
    that differ in scale rather than location. Values above about 1.01 mean the chains
    disagree.

    Args:
        x: draws ``[chain, draw, *shape]``.

    Returns:
        a float array of shape ``shape``; NaN where there is a single chain, fewer than
        4 draws per chain, or a NaN draw (and for a constant scalar).

    Raises:
        ValueError: ``x`` has fewer than 2 axes.
    """
    return _per_scalar("rhat", _as_chains(x, "split_gelman_rubin"), method="rank")


def gelman_rubin(x) -> np.ndarray:
    r"""The classic (unsplit, not rank-normalised) :math:`\hat R` of Gelman and Rubin.

    ``az.rhat(method="identity")``: for :math:`M` chains of :math:`N` draws, with
    :math:`s_m^2` the variance of chain :math:`m` (``ddof=1``) and :math:`\bar x_m` its
    mean,

    .. math::

        W = \frac1M \sum_m s_m^2, \qquad
        \frac{B}{N} = \frac{1}{M - 1} \sum_m (\bar x_m - \bar x)^2, \qquad
        \hat R = \sqrt{\frac{\frac{N-1}{N} W + \frac{B}{N}}{W}},

    on the draws themselves. Chains are not split, so a trend within each chain goes
    unnoticed. Prefer :func:`split_gelman_rubin`; this one exists for NumPyro users.

    Args:
        x: draws ``[chain, draw, *shape]`` with at least 2 chains.

    Returns:
        a float array of shape ``shape`` (NaN with fewer than 4 draws per chain).

    Raises:
        ValueError: ``x`` has fewer than 2 axes or fewer than 2 chains.
    """
    x = _as_chains(x, "gelman_rubin")
    if x.shape[0] < 2:
        raise ValueError(f"gelman_rubin needs at least 2 chains, but got shape {x.shape}")
    return _per_scalar("rhat", x, method="identity")


def hpdi(x, prob: float = 0.9, axis: int = 0) -> np.ndarray:
    r"""Highest posterior density interval: the shortest interval holding ``prob`` of the draws.

    With the :math:`n` draws along ``axis`` sorted, :math:`x_{(1)} \le \dots \le x_{(n)}`,
    and :math:`k = \min(\lfloor \mathrm{prob} \cdot n \rfloor, n - 1)`, the interval is

    .. math::

        [x_{(i^*)}, x_{(i^* + k)}], \qquad
        i^* = \operatorname*{arg\,min}_{1 \le i \le n - k} \bigl(x_{(i+k)} - x_{(i)}\bigr)

    (the first :math:`i` on ties) — the same rule as ``az.hdi``. For a unimodal
    posterior it approximates the HPD region; for a multimodal one it is the shortest
    single interval, which may cover low-density gaps.

    Args:
        x: draws; the draws of each scalar lie along ``axis``.
        prob: the probability mass inside the interval, in (0, 1].
        axis: the axis of the draws.

    Returns:
        ``[lower, upper]``: ``x``'s shape with ``axis`` replaced by an axis of size 2 (a
        leading one for ``axis=0``), as in NumPyro.

    Raises:
        ValueError: ``prob`` outside (0, 1], or no draws along ``axis``.

    Example:
        >>> hpdi(np.array([0.0, 1.0, 1.1, 1.2, 5.0]), prob=0.4)
        array([1. , 1.2])
    """
    if not 0.0 < prob <= 1.0:
        raise ValueError(f"hpdi needs prob in (0, 1], but got prob={prob}")
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError(f"hpdi needs at least one draw along axis {axis}, but got shape {x.shape}")
    ordered = np.sort(np.moveaxis(x, axis, 0), axis=0)
    n = ordered.shape[0]
    k = min(int(np.floor(prob * n)), n - 1)
    widths = ordered[k:] - ordered[: n - k]
    start = np.argmin(widths, axis=0)[None]
    bounds = np.concatenate(
        [np.take_along_axis(ordered, start, axis=0), np.take_along_axis(ordered, start + k, axis=0)]
    )
    return np.moveaxis(bounds, 0, axis)


def _interval_names(prob: float) -> tuple[str, str]:
    return f"{100 * (1 - prob) / 2:.1f}%", f"{100 * (1 + prob) / 2:.1f}%"


def _site_summary(x: np.ndarray, prob: float, n_eff: np.ndarray, r_hat: np.ndarray) -> dict:
    """NumPyro's statistics of one site ``x [chain, draw, *shape]``, given its ESS and r-hat."""
    draws = x.reshape((-1,) + x.shape[2:])
    lower, upper = hpdi(draws, prob=prob, axis=0)
    low_name, high_name = _interval_names(prob)
    return {
        "mean": np.asarray(draws.mean(axis=0)),
        "std": np.asarray(draws.std(axis=0)),
        "median": np.asarray(np.median(draws, axis=0)),
        low_name: lower,
        high_name: upper,
        "n_eff": np.asarray(n_eff),
        "r_hat": np.asarray(r_hat),
    }


def _as_sites(samples, group_by_chain: bool) -> dict:
    if not isinstance(samples, Mapping):
        samples = {"Param:0": samples}
    sites = {}
    for name, value in samples.items():
        value = np.asarray(value)
        sites[name] = value if group_by_chain else value[None]
    return sites


def summary(samples, prob: float = 0.9, group_by_chain: bool = True) -> dict:
    r"""NumPyro's summary statistics of each site.

    Args:
        samples: a dict site name -> draws (or one array, named ``"Param:0"``), shaped
            ``[chain, draw, *shape]`` if ``group_by_chain`` else ``[draw, *shape]`` (one
            chain).
        prob: probability mass of the HPD interval.
        group_by_chain: whether the draws have a leading chain axis.

    Returns:
        dict site name -> dict with ``mean``, ``std`` (over all draws, ``ddof=0`` as in
        NumPyro), ``median``, the HPD bounds (:func:`hpdi`) under ``"5.0%"`` and
        ``"95.0%"`` (for ``prob=0.9``), ``n_eff`` (bulk ESS,
        :func:`effective_sample_size`) and ``r_hat`` (rank-normalised split r-hat,
        :func:`split_gelman_rubin`), each an array of the site's shape.

    Raises:
        ValueError: ``prob`` outside (0, 1), or a site with too few axes for its
            layout.

    Example:
        >>> draws = np.random.default_rng(0).normal(size=(2, 100))
        >>> list(summary({"mu": draws})["mu"])
        ['mean', 'std', 'median', '5.0%', '95.0%', 'n_eff', 'r_hat']
    """
    if not 0.0 < prob < 1.0:
        raise ValueError(f"summary needs prob in (0, 1), but got prob={prob}")
    stats = {}
    for name, x in _as_sites(samples, group_by_chain).items():
        x = _as_chains(x, f"summary of site {name!r}")
        stats[name] = _site_summary(x, prob, effective_sample_size(x), split_gelman_rubin(x))
    return stats


def _format_table(stats: dict) -> str:
    """One row per scalar (``theta[0]``, ``L[0,1]``) and one column per statistic."""
    rows = []
    for name, site in stats.items():
        shape = np.shape(site["mean"])
        for index in np.ndindex(shape):
            label = f"{name}[{','.join(map(str, index))}]" if shape else name
            rows.append((label, [np.asarray(value)[index] for value in site.values()]))
    columns = list(next(iter(stats.values()))) if stats else []
    width = max([len(label) for label, _ in rows] + [4]) + 2
    lines = [" " * width + "".join(f"{column:>10}" for column in columns)]
    lines += [f"{label:>{width}}" + "".join(f"{value:>10.2f}" for value in values) for label, values in rows]
    return "\n" + "\n".join(lines) + "\n"


def print_summary(samples, prob: float = 0.9, group_by_chain: bool = True) -> None:
    """Print :func:`summary` as a table, one row per scalar, NumPyro style.

    Columns ``mean std median 5.0% 95.0% n_eff r_hat`` (the interval columns follow
    ``prob``); vector sites give rows ``theta[0]``, ``theta[1]``, ... Values are printed
    with two decimals.

    Args:
        samples: a dict site name -> draws (or one array, named ``"Param:0"``), shaped
            ``[chain, draw, *shape]`` if ``group_by_chain`` else ``[draw, *shape]``.
        prob: probability mass of the HPD interval, in (0, 1).
        group_by_chain: whether the draws have a leading chain axis.

    Raises:
        ValueError: as :func:`summary`.
    """
    print(_format_table(summary(samples, prob=prob, group_by_chain=group_by_chain)))
