r"""``plate``: a block of conditionally independent sites along one batch dimension.

Inside ``with plate("data", N):`` each sample site's distribution is broadcast so that
batch dim ``dim`` (counted from the right of the batch shape, ``-1`` for the innermost
free one) has size ``N``. With ``subsample_size=B`` the plate draws ``B`` indices out of
``N`` and multiplies the log density of the sites inside by ``N / B``, so that

.. math::

    \log p(\text{data}) \approx \frac{N}{B} \sum_{i \in \text{batch}} \log p(x_i).
"""

from __future__ import annotations

import numpy as np

from ._checks import family_name
from ._site import PlateFrame, Site
from ._stack import Messenger, apply_stack, current_stack

__all__ = ["plate"]


class plate(Messenger):
    r"""Mark the sites inside as independent along batch dim ``dim``, of size ``size``.

    ``with plate(...) as idx`` gives the indices of the (sub)sample: ``arange(size)``, or
    ``subsample_size`` indices drawn without replacement (which needs a ``seed``). Entering
    it sends a ``plate`` site (named ``name``) through the handlers.

    On each sample, deterministic and param site inside, it appends its ``PlateFrame`` to
    ``site.plates``; a sample site's distribution is also expanded so that batch dim
    ``dim`` has size ``subsample_size`` (size 1 broadcasts; any other size raises
    ``ValueError``). When subsampling, the site's ``scale`` is multiplied by
    ``size / subsample_size``, so that

    .. math::

        \log p(\text{data}) \approx \frac{N}{B} \sum_{i \in \text{batch}} \log p(x_i)

    with :math:`N` = ``size`` and :math:`B` = ``subsample_size``.

    Args:
        name: the plate's name (also a site name, and the dimension's name in results).
        size: the full number of independent elements, a positive Python int.
        subsample_size: the number drawn at each run (at most ``size``); None (default)
            means all of them, in order.
        dim: the batch dim, negative, counted from the right of the batch shape; None
            (default) takes the innermost dim no enclosing plate uses. A dim taken by an
            enclosing plate raises ``ValueError``.

    Raises:
        TypeError: ``size`` or ``subsample_size`` is not a concrete integer (e.g. traced).
        ValueError: a size that is not positive, ``subsample_size > size``, or a ``dim``
            that is not a negative integer.

    Example:
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> with bm.handlers.seed(rng_seed=0), bm.plate("data", 3):
        ...     x = bm.sample("x", dist.Normal(0.0, 1.0))
        >>> x.shape
        (3,)
    """

    def __init__(self, name: str, size: int, subsample_size: int | None = None, dim: int | None = None):
        super().__init__(None)
        self.name = name
        self.size = _as_size(name, "size", size)
        self.subsample_size = self.size if subsample_size is None else _as_size(name, "subsample_size", subsample_size)
        if self.subsample_size > self.size:
            raise ValueError(
                f"plate {name!r}: subsample_size ({self.subsample_size}) is larger than size ({self.size})"
            )
        if dim is not None and (not isinstance(dim, (int, np.integer)) or dim >= 0):
            raise ValueError(f"plate {name!r}: dim must be a negative integer (counted from the right), got {dim!r}")
        self._requested_dim = None if dim is None else int(dim)
        self.dim = self._requested_dim
        self.indices = None

    @property
    def frame(self) -> PlateFrame:
        """This plate as a ``PlateFrame``: ``(name, dim, size, subsample_size)``."""
        return PlateFrame(self.name, self.dim, self.size, self.subsample_size)

    def __enter__(self):
        self.dim = self._allocate_dim()
        site = Site(name=self.name, type="plate", fn=self.frame)
        self.indices = apply_stack(site).value
        super().__enter__()
        return self.indices

    def _allocate_dim(self) -> int:
        enclosing = [h for h in current_stack() if isinstance(h, plate) and h is not self]
        occupied = {h.dim: h.name for h in enclosing}
        if self._requested_dim is not None:
            if self._requested_dim in occupied:
                raise ValueError(
                    f"plate {self.name!r}: dim {self._requested_dim} is already taken by the "
                    f"enclosing plate {occupied[self._requested_dim]!r}; give each nested plate its own dim"
                )
            return self._requested_dim
        dim = -1
        while dim in occupied:
            dim -= 1
        return dim

    def process_message(self, site: Site) -> None:
        if site.type not in ("sample", "deterministic", "param"):
            return
        site.plates = site.plates + (self.frame,)
        if site.type != "sample":
            return
        site.fn = self._broadcast(site)
        if self.subsample_size < self.size:
            site.scale = self.frame.scale if site.scale is None else site.scale * self.frame.scale

    def _broadcast(self, site: Site):
        batch_shape = site.fn.batch_shape
        ndim = max(len(batch_shape), -self.dim)
        padded = (1,) * (ndim - len(batch_shape)) + tuple(batch_shape)
        current = padded[self.dim]
        if current not in (1, self.subsample_size):
            raise ValueError(
                f"site {site.name!r} in plate {self.name!r}: its distribution "
                f"{family_name(site.fn)} has batch shape {tuple(batch_shape)}, of size {current} "
                f"at dim {self.dim}, but the plate has size {self.subsample_size}. Make the "
                f"parameters' size along that dim {self.subsample_size} (or 1), or check which "
                "plate the site belongs to."
            )
        target = list(padded)
        target[self.dim] = self.subsample_size
        return site.fn.expand(tuple(target))


def _as_size(name, what, value) -> int:
    if isinstance(value, bool):
        raise TypeError(f"plate {name!r}: {what} must be a positive integer, got {value!r}")
    try:
        size = int(value)
    except Exception:  # a traced size cannot shape arrays
        raise TypeError(
            f"plate {name!r}: {what} must be a concrete integer (shapes are fixed when JAX "
            f"compiles), got {value!r}. Pass it as a Python int, e.g. len(x)."
        ) from None
    if size != value or size < 1:
        raise ValueError(f"plate {name!r}: {what} must be a positive integer, got {value!r}")
    return size
