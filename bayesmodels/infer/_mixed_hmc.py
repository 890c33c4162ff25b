r"""``MixedHMC``: Mixed Hamiltonian Monte Carlo (Zhou 2020) as users name it (NumPyro's
``MixedHMC`` and arguments). The transition is ``bayesmodels.kernels._mixed_hmc``: the
discrete latent sites are updated along one HMC trajectory of the continuous ones, each
move paid for with an auxiliary kinetic energy, and the whole trajectory is accepted or
rejected once.
"""

from __future__ import annotations

import numpy as np

from ..kernels._gibbs import DiscreteGibbsUpdate
from ..kernels._mixed_hmc import MixedHMCKernel
from ._gibbs import _WithinGibbs
from ._samplers import HMC

__all__ = ["MixedHMC"]


class MixedHMC(_WithinGibbs):
    r"""Mixed HMC for models with discrete latent sites (Zhou 2020).

    The position is :math:`q = [\,q_c \mid q_d\,]`. A transition draws a momentum
    :math:`p \sim \mathcal N(0, M)` for the continuous part and, for each of the
    :math:`D` discrete coordinates, a kinetic energy :math:`k_j \sim \mathrm{Exp}(1)` and an
    arrival time :math:`a_j \sim \mathcal U(0, 1)`. Then, ``num_discrete_updates``
    times: with :math:`j = \arg\min_i a_i`, the continuous part moves by leapfrog steps
    (the map of ``HMC``) for time :math:`a_j \tau` with :math:`q_d` fixed
    (:math:`a \leftarrow a - a_j`, :math:`a_j \leftarrow 1`), and the discrete coordinate
    :math:`q_{d,j}` gets a proposal of ``DiscreteHMCGibbs`` (Gibbs; ``modified``:
    Metropolised Gibbs; ``random_walk``: uniform) with log acceptance ratio :math:`\rho`,
    taken only if its kinetic energy covers it:

    .. math::

        q_{d,j} \leftarrow \begin{cases} \tilde q_{d,j}, \quad k_j \leftarrow k_j + \rho
            & \text{if } k_j + \rho > 0 \ \text{(refraction)}, \\
            q_{d,j} & \text{otherwise (reflection).} \end{cases}

    :math:`\tau` makes the whole trajectory last the inner ``HMC``'s trajectory length.
    The end point :math:`(q', p')` is accepted with probability
    :math:`\min(1, e^{-\Delta})`,

    .. math::

        \Delta = H(q', p') - H(q, p) - \sum_{\text{discrete moves}} \Delta U,
        \qquad H(q, p) = -\log\pi(q) + \tfrac12 p^\top M^{-1} p,

    so only the leapfrog error is corrected: the discrete moves paid for their change of
    potential :math:`U = -\log\pi` with their own kinetic energy.

    Args:
        inner_kernel: ``HMC(model, ...)`` (not NUTS): its step size, metric settings and
            trajectory length (``num_steps`` steps, or ``trajectory_length``).
        num_discrete_updates: discrete updates per transition; the number of discrete
            coordinates by default.
        random_walk: propose a discrete value uniformly on the support (Metropolis), as
            in ``DiscreteHMCGibbs``.
        modified: Metropolised Gibbs proposals (with ``random_walk``: uniform over the
            other values), as in ``DiscreteHMCGibbs``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> import bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import HMC, MCMC
        >>> from bayesmodels.infer._mixed_hmc import MixedHMC
        >>> def model():
        ...     c = bm.sample("c", dist.Categorical(jnp.array([0.2, 0.3, 0.5])))
        ...     bm.sample("x", dist.Normal(jnp.array([-2.0, 0.0, 2.0])[c], 1.0))
        >>> kernel = MixedHMC(HMC(model, trajectory_length=1.2), num_discrete_updates=4)
        >>> mcmc = MCMC(kernel, num_warmup=200, num_samples=1000, progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0))
        >>> sorted(mcmc.get_samples())
        ['c', 'x']
    """

    name = "MixedHMC"

    def __init__(self, inner_kernel, num_discrete_updates=None, random_walk: bool = False, modified: bool = False):
        if not isinstance(inner_kernel, HMC):
            raise ValueError(
                f"MixedHMC: inner_kernel must be HMC(model, ...) (the algorithm splits one fixed-length "
                f"trajectory between discrete updates, which NUTS cannot do); got {inner_kernel!r}. "
                "For NUTS use DiscreteHMCGibbs(NUTS(model))"
            )
        super().__init__(inner_kernel)
        if num_discrete_updates is not None and not (
            isinstance(num_discrete_updates, (int, np.integer)) and num_discrete_updates >= 1
        ):
            raise ValueError(f"MixedHMC: num_discrete_updates must be a positive integer or None, got {num_discrete_updates!r}")
        self.num_discrete_updates = None if num_discrete_updates is None else int(num_discrete_updates)
        self.random_walk, self.modified = bool(random_walk), bool(modified)

    def _gibbs_sites(self):
        return None

    def kernel(self, log_density_fn) -> MixedHMCKernel:
        """The Mixed HMC transition on the mixed density.

        Args:
            log_density_fn: the mixed density from ``start``, over
                ``[continuous | discrete]`` (with the discrete sites' supports).

        Returns:
            A ``MixedHMCKernel`` (``bayesmodels.kernels``) with the inner ``HMCKernel``
            and the discrete proposal.
        """
        return MixedHMCKernel(
            log_density_fn,
            inner=self.inner_kernel.kernel(log_density_fn),
            discrete=DiscreteGibbsUpdate(
                log_density_fn.layout.continuous_size,
                log_density_fn.support_values,
                log_density_fn.support_sizes,
                random_walk=self.random_walk,
                modified=self.modified,
            ),
            num_continuous=log_density_fn.layout.continuous_size,
            num_discrete_updates=self.num_discrete_updates,
        )

    def attrs(self) -> dict:
        return {
            **super().attrs(),
            "random_walk": self.random_walk,
            "modified": self.modified,
            **({"num_discrete_updates": self.num_discrete_updates} if self.num_discrete_updates else {}),
        }
