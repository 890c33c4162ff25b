r"""``BarkerMH`` as users name it: a model (or a potential function) plus settings, for the
``MCMC`` driver. Keyword names and defaults follow NumPyro's ``BarkerMH``.

It shares the starting points, the metric and the windowed warm-up with ``HMC`` and
``NUTS`` (``_GradientSampler``); only the kernel differs.
"""

from __future__ import annotations

from .._logdensity._init_strategies import init_to_uniform
from ..kernels._barker import BarkerKernel
from ._samplers import _GradientSampler

__all__ = ["BarkerMH"]


class BarkerMH(_GradientSampler):
    r"""Metropolis-Hastings with the Barker proposal (Livingstone & Zanella 2022).

    Each coordinate (whitened by the metric :math:`M^{-1} = R R^\top`) moves by
    :math:`\pm\xi_i`, :math:`\xi_i \sim \mathcal N(0, \epsilon^2)`, the sign pointing up
    the gradient :math:`g(x) = R^\top \nabla\log\pi(x)` with Barker's probability:

    .. math::

        w_i = \begin{cases} \xi_i & \text{with probability } \sigma(\xi_i\, g_i(x)), \\
            -\xi_i & \text{otherwise,} \end{cases}
        \qquad \sigma(t) = \frac{1}{1 + e^{-t}}, \qquad y = x + R\,w.

    The proposal :math:`y` is accepted with probability :math:`\min(1, e^\Delta)`,

    .. math::

        \Delta = \log\pi(y) - \log\pi(x)
            + \sum_i \Bigl[\log\bigl(1 + e^{-w_i g_i(x)}\bigr) - \log\bigl(1 + e^{w_i g_i(y)}\bigr)\Bigr].

    One gradient per draw; robust to a badly chosen step size where MALA is not. See
    ``bayesmodels.kernels._barker``.

    Args:
        model: a model function (or ``bm.Model`` instance); or give ``potential_fn``.
        potential_fn: negative log density of an unconstrained pytree (needs
            ``init_params`` in ``MCMC.run``).
        step_size: initial step size :math:`\epsilon` (adapted when ``adapt_step_size``).
        inverse_mass_matrix: initial inverse mass matrix (vector, or matrix with
            ``dense_mass=True``); the identity by default.
        adapt_step_size: adapt the step size during warm-up (dual averaging towards
            ``target_accept_prob``, Stan's windows, as NUTS).
        adapt_mass_matrix: estimate the metric (inverse mass matrix) from the warm-up
            draws (Stan's windows, as NUTS).
        dense_mass: estimate a dense (full) metric instead of a diagonal one.
        target_accept_prob: the acceptance rate dual averaging aims for (0.4, NumPyro's
            default for this proposal).
        init_strategy: how chains start (``init_to_uniform`` by default).

    Example:
        >>> import jax, bayesmodels as bm
        >>> import bayesmodels.distributions as dist
        >>> from bayesmodels.infer import MCMC
        >>> def model():
        ...     bm.sample("x", dist.Normal(0.0, 1.0))
        >>> mcmc = MCMC(BarkerMH(model), num_warmup=300, num_samples=500, progress_bar=False)
        >>> mcmc.run(jax.random.PRNGKey(0))
        >>> mcmc.get_samples()["x"].shape
        (500,)
    """

    name = "BarkerMH"

    def __init__(
        self,
        model=None,
        *,
        potential_fn=None,
        step_size=1.0,
        inverse_mass_matrix=None,
        adapt_step_size=True,
        adapt_mass_matrix=True,
        dense_mass=False,
        target_accept_prob=0.4,
        init_strategy=init_to_uniform,
    ):
        super().__init__(
            model, potential_fn, step_size, inverse_mass_matrix, adapt_step_size, adapt_mass_matrix,
            dense_mass, target_accept_prob, init_strategy,
        )  # fmt: skip

    def kernel(self, log_density_fn) -> BarkerKernel:
        """The Barker transition on a flat log density.

        Args:
            log_density_fn: ``position -> log density`` on the flat unconstrained vector.

        Returns:
            A ``BarkerKernel`` (``bayesmodels.kernels``); the step size and the metric
            come with each step's ``KernelParams``.
        """
        return BarkerKernel(log_density_fn)
