r"""Rank-normalised split :math:`\hat R` and bulk ESS of every scalar of a site at once.

These are the ``r_hat`` and ``ess_bulk`` of ``az.summary`` (or, see ``fold_median``,
``az.rhat(method="rank")`` and ``az.ess(method="bulk")``; Vehtari et al. 2021), equal to
ArviZ's up to rounding (about 1e-14 relative), but computed in one numpy pass over all
scalars of a site ``[chain, draw, *shape]`` rather than one Python call per scalar, and
without importing ArviZ. The post-sampling checks use them.

Each of the :math:`M` chains of :math:`D` draws is cut into a first and a last half of
:math:`N = \lfloor D/2 \rfloor` draws (the middle draw of an odd :math:`D` is dropped),
giving :math:`2M` chains. The pooled draws are replaced by their normal scores
:math:`z = \Phi^{-1}\big((r - 3/8) / (2MN + 1/4)\big)`, with :math:`r` the rank (ties
get their average rank).

- r-hat: the larger of the split :math:`\hat R` of the normal scores and of the normal
  scores of the folded draws :math:`|x - \mathrm{median}(x)|`.
- bulk ESS: :math:`2MN / \hat\tau` for the normal scores, with
  :math:`\hat\tau = -1 + 2 \sum_t \hat\rho_t` over Geyer's initial positive sequence of
  autocorrelations, made monotone, as in ArviZ's ``_ess``.

ArviZ's conventions are kept: any NaN draw gives NaN; r-hat needs at least 2 chains and
both need at least 4 draws (else NaN); a constant scalar has NaN r-hat and an ESS of
:math:`2MN`. ArviZ folds the draws around two different medians: ``az.summary`` (like
Vehtari et al.) takes that of all draws, ``az.rhat`` that of the split chains, which
leave out the middle draw of each chain when :math:`D` is odd. Its two r-hats then
differ (by about 1e-3 for 100 draws); ``fold_median`` picks either.

>>> rng = np.random.default_rng(0)
>>> found = site_convergence(rng.normal(size=(4, 200, 3)))
>>> found["r_hat"].shape, bool(np.all(found["r_hat"] < 1.01))
((3,), True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["site_convergence"]

_MIN_DRAWS = 4  # as ArviZ: fewer draws per chain give NaN
_BLOM = 3 / 8  # the offset c of the normal scores (r - c) / (n - 2c + 1)
_BLOCK = 1 << 19  # draws handled at once (4 MB of float64): big sites go in blocks of scalars


def site_convergence(draws, fold_median: str = "draws") -> dict[str, np.ndarray]:
    """``{"r_hat": ..., "ess_bulk": ...}`` of ``draws [chain, draw, *shape]``, arrays of ``shape``.

    Args:
        draws: the draws of one site (booleans count as 0 and 1).
        fold_median: fold the draws around the median of all ``"draws"``, as
            ``az.summary`` (and Vehtari et al.) do, or of the ``"split"`` chains, as
            ``az.rhat`` does; the two differ only for an odd number of draws.
    """
    if fold_median not in ("draws", "split"):
        raise ValueError(f'fold_median must be "draws" or "split", but got {fold_median!r}')
    draws = np.asarray(draws)
    if draws.dtype == np.bool_:
        draws = draws.astype(np.int8)
    chains, num_draws, shape = draws.shape[0], draws.shape[1], draws.shape[2:]
    r_hat = np.full(int(np.prod(shape)), np.nan)
    ess = np.full(r_hat.shape, np.nan)
    if num_draws < _MIN_DRAWS or chains == 0 or r_hat.size == 0:
        return {"r_hat": r_hat.reshape(shape), "ess_bulk": ess.reshape(shape)}
    by_scalar = draws.reshape(chains, num_draws, -1)
    valid = np.flatnonzero(~np.any(np.isnan(by_scalar), axis=(0, 1)))  # any NaN draw: NaN
    step = max(1, _BLOCK // (chains * num_draws))
    for begin in range(0, valid.size, step):
        index = valid[begin : begin + step]
        scalars = np.moveaxis(by_scalar[:, :, index], -1, 0)  # [scalar, chain, draw]
        r_hat[index], ess[index] = _block_convergence(scalars, fold_median)
    return {"r_hat": r_hat.reshape(shape), "ess_bulk": ess.reshape(shape)}


def _block_convergence(scalars: np.ndarray, fold_median: str) -> tuple[np.ndarray, np.ndarray]:
    """(r-hat, bulk ESS) of ``scalars [scalar, chain, draw]`` without NaN, 4 draws or more."""
    split = _split_chains(scalars)
    with np.errstate(divide="ignore", invalid="ignore"):  # constant scalars: 0 / 0, as ArviZ
        bulk = _normal_scores(split)
        ess = _ess(bulk)
        if scalars.shape[1] < 2:
            return np.full(len(scalars), np.nan), ess
        median = np.median(split if fold_median == "split" else scalars, axis=(1, 2), keepdims=True)
        folded = np.abs(split - median)
        return _max_as_python(_r_hat(bulk), _r_hat(_normal_scores(folded))), ess


def _split_chains(scalars: np.ndarray) -> np.ndarray:
    """``[scalar, chain, draw]`` -> ``[scalar, 2 chain, draw // 2]``: first halves, then last halves."""
    half = scalars.shape[2] // 2
    return np.concatenate([scalars[:, :, :half], scalars[:, :, -half:]], axis=1)


def _max_as_python(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``max(first, second)`` element-wise as Python's ``max`` (ArviZ's): NaN only if ``first`` is."""
    return np.where(second > first, second, first)


def _normal_scores(split: np.ndarray) -> np.ndarray:
    r"""Normal scores of each scalar's pooled draws ``[scalar, chain, draw]``; ties share
    their average rank, as ``scipy.stats.rankdata(method="average")``."""
    count, size = split.shape[0], split.shape[1] * split.shape[2]
    pooled = split.reshape(count, size)
    order = np.argsort(pooled, axis=1)
    ordered = np.take_along_axis(pooled, order, axis=1)
    position = np.arange(size)
    # a run of equal values at sorted positions start .. stop has the average rank
    # (start + stop) / 2 + 1; without ties start = stop = position
    ends = np.broadcast_to(2 * position, (count, size)).copy()  # start + stop
    first = np.ones((count, size), dtype=bool)  # first of a run of equal values
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    tied = ~np.all(first, axis=1)
    if np.any(tied):
        first = first[tied]
        last = np.ones_like(first)
        last[:, :-1] = first[:, 1:]
        start = np.maximum.accumulate(np.where(first, position, 0), axis=1)
        stop = np.minimum.accumulate(np.where(last, position, size - 1)[:, ::-1], axis=1)[:, ::-1]
        ends[tied] = start + stop
    # the average rank takes 2 size - 1 values: tabulate their scores
    rank = np.arange(2 * size - 1) / 2 + 1
    table = _normal_quantile((rank - _BLOM) / (size - 2 * _BLOM + 1))
    scores = np.empty((count, size))
    np.put_along_axis(scores, order, table[ends], axis=1)
    return scores.reshape(split.shape)


def _r_hat(z: np.ndarray) -> np.ndarray:
    """Split r-hat of ``z [scalar, chain, draw]`` (ArviZ's ``_rhat``, term for term)."""
    num_samples = z.shape[2]
    chain_mean = np.mean(z, axis=2)
    between = num_samples * np.var(chain_mean, axis=1, ddof=1)
    within = np.mean(np.var(z, axis=2, ddof=1), axis=1)
    return np.sqrt((between / within + num_samples - 1) / num_samples)


def _ess(z: np.ndarray) -> np.ndarray:
    r"""ESS of ``z [scalar, chain, draw]`` (ArviZ's ``_ess``): Geyer's initial positive,
    then monotone, sequence of the autocorrelations pooled over chains."""
    count, chains, n = z.shape
    acov = _autocov(z).mean(axis=1)  # [scalar, lag]
    mean_var = acov[:, 0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if chains > 1:
        var_plus = var_plus + np.var(np.mean(z, axis=2), axis=1, ddof=1)
    rho = 1.0 - (mean_var[:, None] - acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    # ArviZ's loop visits the pairs (rho_2k, rho_2k+1), k = 1 .. K, while the previous
    # pair's sum is positive; it stops after pair `last`, the first with a sum <= 0.
    steps = len(range(1, n - 3, 2))  # K
    pairs = rho[:, : 2 * steps + 2].reshape(count, steps + 1, 2)
    sums = pairs[:, :, 0] + pairs[:, :, 1]
    stops = np.ones((count, steps + 1), dtype=bool)  # after pair K it stops anyway
    stops[:, :steps] = ~(sums[:, :steps] > 0)
    last = np.argmax(stops, axis=1)
    pair = np.arange(steps + 1)
    # monotone: a pair before `last` whose sum exceeds the running minimum of the sums
    # before it is replaced by two halves of that minimum
    running = np.minimum.accumulate(sums, axis=1)
    lower = np.zeros_like(sums, dtype=bool)
    lower[:, 1:] = sums[:, 1:] > running[:, :-1]
    replaced = np.empty_like(sums)
    replaced[:, 1:] = running[:, :-1] / 2.0
    kept = np.where(lower[:, :, None], replaced[:, :, None], pairs)
    kept = np.where((pair < last[:, None])[:, :, None], kept, 0.0).reshape(count, -1)
    # the even member of pair `last` counts once: ArviZ stored it if the pair's sum was
    # >= 0 (a sum of exactly 0), or keeps it when it is positive
    even = pairs[np.arange(count), last, 0]
    stored = (last >= 1) & (sums[np.arange(count), last] >= 0)
    tail = np.where(stored | (even > 0), even, 0.0)
    tau = -1.0 + 2.0 * np.sum(kept, axis=1) + tail
    size = chains * n
    tau = np.maximum(tau, 1 / np.log10(size))
    ess = size / tau
    ess[np.isnan(rho[:, 1])] = np.nan
    constant = (np.max(z, axis=(1, 2)) - np.min(z, axis=(1, 2))) < np.finfo(float).resolution
    ess[constant] = size
    return ess


def _autocov(z: np.ndarray) -> np.ndarray:
    """Autocovariance of each chain at every lag, by FFT (ArviZ's ``autocov`` on the last axis)."""
    n = z.shape[-1]
    m = _next_fast_len(2 * n)
    centred = z - z.mean(axis=-1, keepdims=True)
    transform = np.fft.rfft(centred, n=m, axis=-1)
    power = transform.real**2 + transform.imag**2  # transform * conj(transform), to the bit
    return np.fft.irfft(power, n=m, axis=-1)[..., :n] / n


def _next_fast_len(target: int) -> int:
    """The smallest 2^a 3^b 5^c >= ``target`` (``scipy.fftpack.next_fast_len``, which ArviZ uses)."""
    best = 1 << (target - 1).bit_length()  # the next power of 2
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            # the least power35 * 2^a >= target: 2^a >= ceil(target / power35)
            best = min(best, power35 << (-(-target // power35) - 1).bit_length())
            power35 *= 3
        power5 *= 5
    return best


# Wichura's AS241 (PPND16), the double-precision normal quantile (as CPython's
# statistics.NormalDist.inv_cdf); coefficients highest degree first, for np.polyval.
_CENTRAL = (
    (2.5090809287301226727e3, 3.3430575583588128105e4, 6.7265770927008700853e4, 4.5921953931549871457e4,
     1.3731693765509461125e4, 1.9715909503065514427e3, 1.3314166789178437745e2, 3.3871328727963666080e0),
    (5.2264952788528545610e3, 2.8729085735721942674e4, 3.9307895800092710610e4, 2.1213794301586595867e4,
     5.3941960214247511077e3, 6.8718700749205790830e2, 4.2313330701600911252e1, 1.0),
)  # fmt: skip
_INTERMEDIATE = (
    (7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1, 1.27045825245236838258e0,
     3.64784832476320460504e0, 5.76949722146069140550e0, 4.63033784615654529590e0, 1.42343711074968357734e0),
    (1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2, 1.48103976427480074590e-1,
     6.89767334985100004550e-1, 1.67638483018380384940e0, 2.05319162663775882187e0, 1.0),
)  # fmt: skip
_TAIL = (
    (2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3, 2.65321895265761230930e-2,
     2.96560571828504891230e-1, 1.78482653991729133580e0, 5.46378491116411436990e0, 6.65790464350110377720e0),
    (2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5, 7.86869131145613259100e-4,
     1.48753612908506148525e-2, 1.36929880922735805310e-1, 5.99832206555887937690e-1, 1.0),
)  # fmt: skip


def _normal_quantile(p: np.ndarray) -> np.ndarray:
    r""":math:`\Phi^{-1}(p)` for ``p`` in (0, 1), to about 1e-16 relative (AS241)."""
    p = np.asarray(p, dtype=float)
    q = p - 0.5
    z = np.empty_like(p)
    central = np.abs(q) <= 0.425
    r = 0.180625 - q[central] ** 2
    z[central] = q[central] * np.polyval(_CENTRAL[0], r) / np.polyval(_CENTRAL[1], r)
    r = np.sqrt(-np.log(np.minimum(p, 1.0 - p)[~central]))
    near = r <= 5.0
    tail = np.empty_like(r)
    tail[near] = np.polyval(_INTERMEDIATE[0], r[near] - 1.6) / np.polyval(_INTERMEDIATE[1], r[near] - 1.6)
    tail[~near] = np.polyval(_TAIL[0], r[~near] - 5.0) / np.polyval(_TAIL[1], r[~near] - 5.0)
    z[~central] = np.where(q[~central] < 0, -tail, tail)
    return z
