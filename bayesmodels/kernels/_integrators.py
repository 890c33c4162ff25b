r"""Symplectic integrators for Hamiltonian dynamics, each a coefficient table.

With log density :math:`\log\pi(q)` and kinetic energy :math:`K(p) = \tfrac12 p^\top
M^{-1} p`, a palindromic splitting integrator of step :math:`\epsilon` alternates

.. math::

    p \leftarrow p + b_i\,\epsilon\,\nabla\log\pi(q), \qquad
    q \leftarrow q + a_i\,\epsilon\,M^{-1} p,

starting and ending with a momentum update:
:math:`b_0, a_0, b_1, a_1, \dots, a_{k-1}, b_k`. The table is all an integrator is;
:func:`integrate_step` is the one generic stepper. Velocity Verlet (leapfrog) is
:math:`b = (\tfrac12, \tfrac12)`, :math:`a = (1)`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import equinox as eqx
import jax

from ._metric import velocity

__all__ = [
    "Integrator",
    "IntegratorState",
    "integrate_step",
    "mclachlan",
    "velocity_verlet",
    "yoshida",
]


class IntegratorState(NamedTuple):
    r"""A point in phase space with the log density and its gradient at ``position``.

    Args:
        position: the position :math:`q`, ``[dim]``.
        momentum: the momentum :math:`p`, ``[dim]``.
        log_density: :math:`\log\pi(q)`, a scalar.
        log_density_grad: :math:`\nabla\log\pi(q)`, ``[dim]`` (the next step's first
            momentum update reuses it).
    """

    position: jax.Array
    momentum: jax.Array
    log_density: jax.Array
    log_density_grad: jax.Array


class Integrator(eqx.Module):
    r"""A palindromic splitting scheme: momentum coefficients ``b``, position ``a``.

    ``len(b) == len(a) + 1``; each of ``a`` and ``b`` sums to 1 (consistency). One step of
    size :math:`\epsilon` from :math:`(q, p)`, with :math:`k` = ``len(a)``, is the map

    .. math::

        p \leftarrow p + b_0\,\epsilon\,\nabla\log\pi(q), \qquad
        \text{then for } i = 1, \dots, k:\quad
        q \leftarrow q + a_{i-1}\,\epsilon\,M^{-1} p, \quad
        p \leftarrow p + b_i\,\epsilon\,\nabla\log\pi(q),

    which costs :math:`k` gradient evaluations (the first momentum update reuses the
    previous step's gradient). The three built in are ``velocity_verlet``
    (:math:`a = (1)`, :math:`b = (\tfrac12, \tfrac12)`), ``mclachlan`` and ``yoshida``.

    Args:
        name: the integrator's name (``as_integrator`` looks the built-in ones up by it).
        a: the position coefficients :math:`(a_0, \dots, a_{k-1})`, summing to 1.
        b: the momentum coefficients :math:`(b_0, \dots, b_k)`, summing to 1.

    Raises:
        ValueError: if ``len(b) != len(a) + 1`` or either tuple does not sum to 1.
    """

    name: str = eqx.field(static=True)
    a: tuple = eqx.field(static=True)
    b: tuple = eqx.field(static=True)

    def __check_init__(self):
        if len(self.b) != len(self.a) + 1:
            raise ValueError(f"integrator {self.name!r}: needs len(b) == len(a) + 1, got {len(self.b)} and {len(self.a)}")
        for label, coefficients in (("a", self.a), ("b", self.b)):
            if abs(sum(coefficients) - 1.0) > 1e-12:
                raise ValueError(f"integrator {self.name!r}: the {label} coefficients sum to {sum(coefficients)}, not 1")

    @property
    def gradient_evaluations(self) -> int:
        """Gradient evaluations per step (the first one reuses the previous step's)."""
        return len(self.a)


def integrate_step(
    integrator: Integrator,
    log_density_fn: Callable,
    state: IntegratorState,
    step_size,
    inverse_mass_matrix,
) -> IntegratorState:
    r"""One step of ``integrator``; ``step_size`` may be negative (backwards in time).

    Applies the map of ``Integrator`` with :math:`\epsilon` = ``step_size``, starting from
    ``state.log_density_grad`` (not re-evaluated) and evaluating the log density and its
    gradient ``len(integrator.a)`` times.

    Args:
        integrator: the ``Integrator`` (its coefficient table).
        log_density_fn: :math:`q \mapsto \log\pi(q)`, a differentiable callable from a
            ``[dim]`` array to a scalar.
        state: the ``IntegratorState`` to step from; its ``log_density_grad`` must be the
            gradient at its ``position``.
        step_size: the step size :math:`\epsilon`, a scalar (negative to integrate
            backwards).
        inverse_mass_matrix: :math:`M^{-1}`: a ``[dim]`` vector, a ``[dim, dim]`` matrix or
            a ``LowRankMetric``.

    Returns:
        the ``IntegratorState`` after the step, with the log density and gradient at its
        new position.

    Example:
        >>> import jax.numpy as jnp
        >>> from bayesmodels.kernels import IntegratorState, integrate_step, velocity_verlet
        >>> log_density_fn = lambda q: -0.5 * jnp.sum(q**2)
        >>> start = IntegratorState(jnp.array([1.0]), jnp.array([0.0]), -0.5, jnp.array([-1.0]))
        >>> end = integrate_step(velocity_verlet, log_density_fn, start, 0.1, jnp.ones(1))
        >>> round(float(end.position[0]), 3), round(float(end.momentum[0]), 3)
        (0.995, -0.1)
    """
    position, momentum, log_density, grad = state
    momentum = momentum + integrator.b[0] * step_size * grad
    for a, b in zip(integrator.a, integrator.b[1:]):
        position = position + a * step_size * velocity(inverse_mass_matrix, momentum)
        log_density, grad = jax.value_and_grad(log_density_fn)(position)
        momentum = momentum + b * step_size * grad
    return IntegratorState(position, momentum, log_density, grad)


velocity_verlet = Integrator("velocity_verlet", a=(1.0,), b=(0.5, 0.5))
r"""Leapfrog: second order, one gradient per step. With :math:`g = \nabla\log\pi`,

.. math::

    p_{1/2} = p + \tfrac{\epsilon}{2}\, g(q), \qquad
    q' = q + \epsilon\, M^{-1} p_{1/2}, \qquad
    p' = p_{1/2} + \tfrac{\epsilon}{2}\, g(q').
"""

_LAMBDA = 0.1931833275037836  # McLachlan (1995), minimal error norm for two stages
mclachlan = Integrator("mclachlan", a=(0.5, 0.5), b=(_LAMBDA, 1.0 - 2.0 * _LAMBDA, _LAMBDA))
r"""Two-stage minimal-norm scheme (McLachlan 1995): second order, two gradients per step,
smaller error. With :math:`g = \nabla\log\pi` and :math:`\lambda \approx 0.19318`,
:math:`a = (\tfrac12, \tfrac12)`, :math:`b = (\lambda, 1 - 2\lambda, \lambda)`:

.. math::

    p \leftarrow p + \lambda\epsilon\, g(q), \quad
    q \leftarrow q + \tfrac{\epsilon}{2} M^{-1} p, \quad
    p \leftarrow p + (1 - 2\lambda)\epsilon\, g(q), \quad
    q \leftarrow q + \tfrac{\epsilon}{2} M^{-1} p, \quad
    p \leftarrow p + \lambda\epsilon\, g(q).
"""

_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
_W0 = 1.0 - 2.0 * _W1
yoshida = Integrator(
    "yoshida",
    a=(_W1, _W0, _W1),
    b=(_W1 / 2.0, (_W0 + _W1) / 2.0, (_W0 + _W1) / 2.0, _W1 / 2.0),
)
r"""Yoshida (1990) triple jump of leapfrogs: fourth order, three gradients per step. With
:math:`\Phi_h` the leapfrog map of step :math:`h`,

.. math::

    \Psi_\epsilon = \Phi_{w_1\epsilon} \circ \Phi_{w_0\epsilon} \circ \Phi_{w_1\epsilon},
    \qquad w_1 = \frac{1}{2 - 2^{1/3}}, \quad w_0 = 1 - 2 w_1 = -\frac{2^{1/3}}{2 - 2^{1/3}},

that is :math:`a = (w_1, w_0, w_1)` and
:math:`b = (\tfrac{w_1}{2}, \tfrac{w_0 + w_1}{2}, \tfrac{w_0 + w_1}{2}, \tfrac{w_1}{2})`
(adjacent half kicks merged).
"""


def as_integrator(integrator) -> Integrator:
    """An ``Integrator`` from itself or its name."""
    if isinstance(integrator, Integrator):
        return integrator
    known = {i.name: i for i in (velocity_verlet, mclachlan, yoshida)}
    if integrator not in known:
        raise ValueError(f"unknown integrator {integrator!r}; expected one of {sorted(known)} or an Integrator")
    return known[integrator]


