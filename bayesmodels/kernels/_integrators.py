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
    """A point in phase space with the log density and its gradient at ``position``."""

    position: jax.Array
    momentum: jax.Array
    log_density: jax.Array
    log_density_grad: jax.Array


class Integrator(eqx.Module):
    """A palindromic splitting scheme: momentum coefficients ``b``, position ``a``.

    ``len(b) == len(a) + 1``; each of ``a`` and ``b`` sums to 1 (consistency).
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
    """One step of ``integrator``; ``step_size`` may be negative (backwards in time)."""
    position, momentum, log_density, grad = state
    momentum = momentum + integrator.b[0] * step_size * grad
    for a, b in zip(integrator.a, integrator.b[1:]):
        position = position + a * step_size * velocity(inverse_mass_matrix, momentum)
        log_density, grad = jax.value_and_grad(log_density_fn)(position)
        momentum = momentum + b * step_size * grad
    return IntegratorState(position, momentum, log_density, grad)


velocity_verlet = Integrator("velocity_verlet", a=(1.0,), b=(0.5, 0.5))
"""Leapfrog: second order, one gradient per step."""

_LAMBDA = 0.1931833275037836  # McLachlan (1995), minimal error norm for two stages
mclachlan = Integrator("mclachlan", a=(0.5, 0.5), b=(_LAMBDA, 1.0 - 2.0 * _LAMBDA, _LAMBDA))
"""Two-stage minimal-norm scheme: second order, two gradients per step, smaller error."""

_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
_W0 = 1.0 - 2.0 * _W1
yoshida = Integrator(
    "yoshida",
    a=(_W1, _W0, _W1),
    b=(_W1 / 2.0, (_W0 + _W1) / 2.0, (_W0 + _W1) / 2.0, _W1 / 2.0),
)
"""Yoshida (1990) triple jump of leapfrogs: fourth order, three gradients per step."""


def as_integrator(integrator) -> Integrator:
    """An ``Integrator`` from itself or its name."""
    if isinstance(integrator, Integrator):
        return integrator
    known = {i.name: i for i in (velocity_verlet, mclachlan, yoshida)}
    if integrator not in known:
        raise ValueError(f"unknown integrator {integrator!r}; expected one of {sorted(known)} or an Integrator")
    return known[integrator]


