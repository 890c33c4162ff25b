"""Every bijector, generically, from one table; and ``biject_to`` for every constraint.

For each transform ``t`` (and its inverse ``t.inv``) and a point ``x`` in ``t.domain`` we
check: ``y = t(x)`` lies in ``t.codomain``; the round trip ``t.inv(y) == x``; the shape maps
agree with the actual shapes; a batch of inputs gives log-determinants of the batch
shape; the inverse's log-determinant is minus the forward one (all under ``jit``, one
compile per row; the docstring examples run transforms eagerly); and, in float64,
``log|det J|`` equals ``slogdet(jax.jacobian(f))`` where ``f`` is the map written in free
coordinates (see ``_chart``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayesmodels.distributions import _constraints as C
from bayesmodels.distributions import constraints
from bayesmodels.distributions import transforms as T
from bayesmodels.distributions._transforms_matrix import tril_to_vec, vec_to_tril
from bayesmodels.distributions._transforms_vector import l1_ball
from bayesmodels.distributions.transforms import biject_to

BATCH = (2, 3)

# -------------------------------------------------------------------- free coordinates
#
# log|det J| is only defined between spaces of the same dimension. A simplex in R^K, a
# Cholesky factor in R^{K x K}, a correlation matrix, ... are lower-dimensional sets, so
# each constraint gets a chart: ``to_free`` keeps the coordinates that determine the
# point (the first K-1 simplex entries; the lower triangle of a triangular or symmetric
# matrix; the strictly lower triangle of a correlation matrix or its Cholesky factor,
# whose diagonal follows from the unit norms) and ``from_free`` rebuilds the point from
# them. These are the coordinates the transforms' docstrings (and NumPyro, and Stan)
# measure volume in. The zero-sum subspace is the exception: there, as in NumPyro and
# PyMC, volume is measured on the subspace itself, so its chart is an orthonormal basis.


def _zero_sum_basis(n):
    """An ``n x (n-1)`` matrix whose orthonormal columns span the zero-sum vectors."""
    centred = np.eye(n) - 1.0 / n
    u, _, _ = np.linalg.svd(centred)
    return u[:, : n - 1]


def _along_axis(matrix, y, axis):
    """Multiply ``y`` along ``axis`` by ``matrix`` (``out_axis = matrix @ y_axis``)."""
    moved = jnp.moveaxis(y, axis, -1)
    return jnp.moveaxis(moved @ jnp.asarray(matrix, y.dtype).T, -1, axis)


def _chart(constraint, event_shape):
    """``(to_free, from_free)`` for points of ``constraint`` with this event shape."""
    while isinstance(constraint, C._Independent):
        constraint = constraint.base_constraint
    if isinstance(constraint, C._Simplex):
        return (
            lambda y: y[..., :-1],
            lambda v: jnp.concatenate([v, 1.0 - v.sum(-1, keepdims=True)], axis=-1),
        )
    k = event_shape[-1] if event_shape else 0
    triangular = (C._LowerCholesky, C._ScaledUnitLowerCholesky, C._SoftplusLowerCholesky)
    if isinstance(constraint, triangular):
        return lambda y: tril_to_vec(y), lambda v: vec_to_tril(v, k)
    if isinstance(constraint, C._PositiveDefinite):

        def symmetric(v):
            lower = vec_to_tril(v, k)
            return lower + jnp.swapaxes(lower, -1, -2) - lower * jnp.eye(k, dtype=v.dtype)

        return lambda y: tril_to_vec(y), symmetric
    if isinstance(constraint, C._CorrCholesky):

        def unit_rows(v):
            strict = vec_to_tril(v, k, -1)
            diag = jnp.sqrt(1.0 - (strict * strict).sum(-1))
            return strict + diag[..., None] * jnp.eye(k, dtype=v.dtype)

        return lambda y: tril_to_vec(y, -1), unit_rows
    if isinstance(constraint, C._CorrMatrix):

        def unit_diagonal(v):
            strict = vec_to_tril(v, k, -1)
            return strict + jnp.swapaxes(strict, -1, -2) + jnp.eye(k, dtype=v.dtype)

        return lambda y: tril_to_vec(y, -1), unit_diagonal
    if isinstance(constraint, C._ZeroSum):
        axes = range(-constraint.event_dim, 0)
        bases = {a: _zero_sum_basis(event_shape[a]) for a in axes}

        def to_free(y):
            for a in axes:
                y = _along_axis(bases[a].T, y, a)
            return y

        def from_free(v):
            for a in axes:
                v = _along_axis(bases[a], v, a)
            return v

        return to_free, from_free
    return (lambda y: y), (lambda v: v)  # full-dimensional sets: the entries themselves


# ---------------------------------------------------------------------- input samplers


class _Points:
    """Input points: standard normal draws ``z`` of shape ``batch + event_shape``, mapped
    by a deterministic ``place(z)``. The draws are made eagerly (random-number code is
    costly to compile, and eagerly it compiles once per shape for every row), ``place``
    runs inside the compiled function under test."""

    def __init__(self, event_shape, place):
        self.event_shape, self.place = tuple(event_shape), place

    def normal(self, key, batch):
        return jax.random.normal(key, tuple(batch) + self.event_shape)

    def __call__(self, key, batch):
        return self.place(self.normal(key, batch))


def _reals(*event_shape, scale=1.0):
    return _Points(event_shape, lambda z: scale * z)


def _positives(*event_shape):
    return _Points(event_shape, lambda z: jnp.exp(0.5 * z))


def _through(transform, points):
    """Points of ``transform.codomain``: ``transform`` applied to ``points``."""
    return _Points(points.event_shape, lambda z: transform(points.place(z)))


# ------------------------------------------------------------------------------- table

_A = jnp.array([[0.5, -0.3], [0.2, 0.9]])
_PD = _through(biject_to(constraints.positive_definite), _reals(6))
_CORR = _through(biject_to(constraints.corr_matrix), _reals(6))
_SHIFT = T.AffineTransform(1.0, 2.0, domain=constraints.positive)

FORWARD = [
    ("identity", T.IdentityTransform(), _reals()),
    ("exp", T.ExpTransform(), _reals()),
    ("softplus", T.SoftplusTransform(), _reals()),
    ("sigmoid", T.SigmoidTransform(), _reals()),
    ("tanh", T.TanhTransform(), _reals()),
    ("abs", T.AbsTransform(), _positives()),
    ("affine_pos", T.AffineTransform(0.5, 2.0), _reals()),
    ("affine_neg", T.AffineTransform(1.0, -3.0), _reals()),
    ("affine_array", T.AffineTransform(jnp.array([0.0, 1.0, 2.0]), 0.5), _reals(3)),
    ("power", T.PowerTransform(2.5), _positives()),
    ("power_neg", T.PowerTransform(-0.5), _positives()),
    ("compose_scalar", T.ComposeTransform([T.ExpTransform(), _SHIFT]), _reals()),
    ("compose_interval", biject_to(constraints.interval(-1.0, 3.0)), _reals()),
    (
        "compose_mixed_event_dims",
        T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()]),
        _reals(3),
    ),
    ("compose_positive_ordered", biject_to(constraints.positive_ordered_vector), _reals(4)),
    ("compose_positive_definite", biject_to(constraints.positive_definite), _reals(6)),
    ("compose_corr_matrix", biject_to(constraints.corr_matrix), _reals(3)),
    (
        "compose_pd_to_vector",
        T.ComposeTransform([T.CholeskyTransform(), T.LowerCholeskyTransform().inv]),
        _PD,
    ),
    ("independent_exp", T.IndependentTransform(T.ExpTransform(), 1), _reals(3)),
    ("independent_sigmoid", T.IndependentTransform(T.SigmoidTransform(), 2), _reals(2, 3)),
    (
        "independent_stick_breaking",
        T.IndependentTransform(T.StickBreakingTransform(), 1),
        _reals(2, 3),
    ),
    ("stick_breaking", T.StickBreakingTransform(), _reals(3)),
    ("ordered", T.OrderedTransform(), _reals(4)),
    ("zero_sum_1", T.ZeroSumTransform(1), _reals(4)),
    ("zero_sum_2", T.ZeroSumTransform(2), _reals(2, 3)),
    ("l1_ball", T.L1BallTransform(), _reals(4)),
    ("reshape", T.ReshapeTransform((2, 3), (6,)), _reals(6)),
    ("recursive_linear", T.RecursiveLinearTransform(_A), _reals(4, 2)),
    ("lower_cholesky", T.LowerCholeskyTransform(), _reals(6)),
    ("scaled_unit_lower_cholesky", T.ScaledUnitLowerCholeskyTransform(), _reals(6)),
    ("softplus_lower_cholesky", T.SoftplusLowerCholeskyTransform(), _reals(6)),
    ("corr_cholesky_3", T.CorrCholeskyTransform(), _reals(3)),
    ("corr_cholesky_4", T.CorrCholeskyTransform(), _reals(6)),
    ("cholesky", T.CholeskyTransform(), _PD),
    ("corr_matrix_cholesky", T.CorrMatrixCholeskyTransform(), _CORR),
]

# Every transform also runs backwards, on points of its codomain.
TABLE = FORWARD + [(name + ".inv", t.inv, _through(t, sample)) for name, t, sample in FORWARD]


def _batch_of(x, constraint):
    return x.shape[: x.ndim - constraint.event_dim]


@functools.partial(jax.jit, static_argnames="place")
def _both_ways(transform, place, z):
    """Everything ``test_transform`` compares, in one compiled call (with the input
    points ``x = place(z)``: made eagerly, they would cost a compile per operation)."""
    x = place(z)
    y, ladj = transform.forward_and_log_det(x)
    x_back, inv_ladj = transform.inverse_and_log_det(y)
    return dict(
        x=x,
        y=y,
        ladj=ladj,
        x_back=x_back,
        inv_ladj=inv_ladj,
        call=transform(x),
        inv_call=transform.inv(y),
        log_abs_det_jacobian=transform.log_abs_det_jacobian(x, y),
        inv_log_abs_det_jacobian=transform.inv.log_abs_det_jacobian(y, x),
        in_domain=transform.domain(x),
        in_codomain=transform.codomain(y),
    )


@pytest.mark.parametrize("name, transform, sample", TABLE, ids=[row[0] for row in TABLE])
def test_transform(name, transform, sample):
    out = _both_ways(transform, sample.place, sample.normal(jax.random.PRNGKey(0), BATCH))
    _both_ways.clear_cache()  # a kept executable holds hundreds of memory maps
    x, y, ladj = out["x"], out["y"], out["ladj"]

    # Shapes: the shape maps agree with what happens; log-dets have the batch shape.
    assert y.shape == transform.forward_shape(x.shape)
    assert transform.inverse_shape(y.shape) == x.shape
    assert _batch_of(x, transform.domain) == _batch_of(y, transform.codomain)
    assert ladj.shape == _batch_of(x, transform.domain)
    assert _batch_of(x, transform.domain)[: len(BATCH)] == BATCH

    # Constraints: x in the domain, y in the codomain.
    assert bool(jnp.all(out["in_domain"])), f"sample not in {transform.domain}"
    assert bool(jnp.all(out["in_codomain"])), f"t(x) not in {transform.codomain}"

    # Round trip, inverse log-det, the derived methods.
    np.testing.assert_allclose(out["x_back"], x, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["inv_ladj"], -ladj, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["call"], y)
    np.testing.assert_allclose(out["inv_call"], out["x_back"])
    np.testing.assert_allclose(out["log_abs_det_jacobian"], ladj)
    np.testing.assert_allclose(out["inv_log_abs_det_jacobian"], out["inv_ladj"])
    # (Outside jit the same code runs op by op; each transform's doctest covers that.)


@functools.partial(jax.jit, static_argnames="place")
def _logdets(transform, place, z):
    """``(sum of log|det J|, slogdet of the Jacobian in free coordinates)`` at the points
    ``x = place(z)``."""
    x = place(z)
    ladj = transform.forward_and_log_det(x)[1]
    to_free_in, from_free_in = _chart(transform.domain, x.shape[1:])
    to_free_out, _ = _chart(transform.codomain, transform.forward_shape(x.shape)[1:])
    v = to_free_in(x)

    def in_free_coordinates(v_flat):
        return to_free_out(transform(from_free_in(v_flat.reshape(v.shape)))).ravel()

    jac = jax.jacobian(in_free_coordinates)(v.ravel())
    if jac.shape[0] != jac.shape[1]:
        raise AssertionError(f"free coordinates differ in number: Jacobian {jac.shape}")
    # The flattened map acts on all batch members at once; its Jacobian is block
    # diagonal, so its log-det is the sum of the per-member log-dets.
    sign, logdet = jnp.linalg.slogdet(jac)
    chart_error = jnp.max(jnp.abs(from_free_in(v) - x))
    return x, ladj.sum(), logdet, sign, chart_error


# The forward rows only: ``test_transform`` checks that each inverse's log-det is minus
# the forward one at the same points, so by the inverse function theorem the inverse rows
# would re-check the same numbers (at twice the compile time).
@pytest.mark.parametrize("name, transform, sample", FORWARD, ids=[row[0] for row in FORWARD])
def test_log_det_matches_jacobian(name, transform, sample):
    with jax.enable_x64(True):
        z = sample.normal(jax.random.PRNGKey(1), (2,))
        x, ladj, logdet, sign, chart_error = _logdets(transform, sample.place, z)
        _logdets.clear_cache()
        assert x.dtype == jnp.float64
        assert chart_error < 1e-12  # the chart rebuilds x exactly
        assert sign != 0
        np.testing.assert_allclose(logdet, ladj, rtol=1e-7, atol=1e-7)


# --------------------------------------------------------------------------- biject_to

# (constraint, constrained event shape, unconstrained event shape as in NumPyro)
BIJECT_TO = [
    ("real", constraints.real, (), ()),
    ("real_vector", constraints.real_vector, (3,), (3,)),
    ("real_matrix", constraints.real_matrix, (2, 3), (2, 3)),
    ("positive", constraints.positive, (), ()),
    ("nonnegative", constraints.nonnegative, (), ()),
    ("unit_interval", constraints.unit_interval, (), ()),
    ("interval", constraints.interval(-2.0, 5.0), (), ()),
    (
        "interval_array",
        constraints.interval(jnp.array([0.0, 1.0]), jnp.array([1.0, 4.0])),
        (2,),
        (2,),
    ),
    ("open_interval", constraints.open_interval(1.0, 2.0), (), ()),
    ("greater_than", constraints.greater_than(3.0), (), ()),
    ("greater_than_eq", constraints.greater_than_eq(-1.0), (), ()),
    ("less_than", constraints.less_than(-3.0), (), ()),
    ("less_than_eq", constraints.less_than_eq(2.0), (), ()),
    ("circular", constraints.circular, (), ()),
    ("softplus_positive", constraints.softplus_positive, (), ()),
    ("simplex", constraints.simplex, (4,), (3,)),
    ("ordered_vector", constraints.ordered_vector, (4,), (4,)),
    ("positive_ordered_vector", constraints.positive_ordered_vector, (4,), (4,)),
    ("l1_ball", l1_ball, (4,), (4,)),
    ("zero_sum_1", constraints.zero_sum(1), (4,), (3,)),
    ("zero_sum_2", constraints.zero_sum(2), (3, 4), (2, 3)),
    ("lower_cholesky", constraints.lower_cholesky, (3, 3), (6,)),
    ("scaled_unit_lower_cholesky", constraints.scaled_unit_lower_cholesky, (3, 3), (6,)),
    ("softplus_lower_cholesky", constraints.softplus_lower_cholesky, (3, 3), (6,)),
    ("corr_cholesky", constraints.corr_cholesky, (4, 4), (6,)),
    ("corr_matrix", constraints.corr_matrix, (4, 4), (6,)),
    ("positive_definite", constraints.positive_definite, (3, 3), (6,)),
    ("positive_semidefinite", constraints.positive_semidefinite, (3, 3), (6,)),
    ("independent_positive", constraints.independent(constraints.positive, 1), (3,), (3,)),
    ("independent_simplex", constraints.independent(constraints.simplex, 1), (2, 3), (2, 2)),
    (
        "independent_corr_cholesky",
        constraints.independent(constraints.corr_cholesky, 1),
        (2, 3, 3),
        (2, 3),
    ),
]


@jax.jit
def _forward_and_inside(t, constraint, u):
    """``y = t(u)``, and whether ``y`` is in the set."""
    y = t(u)
    return y, constraint(y)


@pytest.mark.parametrize(
    "name, constraint, event_shape, free_shape", BIJECT_TO, ids=[row[0] for row in BIJECT_TO]
)
def test_biject_to(name, constraint, event_shape, free_shape):
    t = biject_to(constraint)
    assert t.codomain.event_dim == constraint.event_dim
    assert t.inverse_shape(BATCH + event_shape) == BATCH + free_shape
    assert t.forward_shape(BATCH + free_shape) == BATCH + event_shape
    u = 2.0 * jax.random.normal(jax.random.PRNGKey(2), BATCH + free_shape)
    y, inside = _forward_and_inside(t, constraint, u)
    _forward_and_inside.clear_cache()
    assert y.shape == BATCH + event_shape
    assert inside.shape == y.shape[: y.ndim - constraint.event_dim]
    assert bool(jnp.all(inside)), f"biject_to({name}) left the set at {y[~inside]}"


DISCRETE = [
    constraints.boolean,
    constraints.integer_interval(0, 5),
    constraints.integer_greater_than(2),
    constraints.nonnegative_integer,
    constraints.positive_integer,
    constraints.multinomial(10),
    constraints.independent(constraints.boolean, 1),
]


@pytest.mark.parametrize("constraint", DISCRETE, ids=str)
def test_biject_to_discrete_raises(constraint):
    with pytest.raises(NotImplementedError, match="discrete"):
        biject_to(constraint)


def test_biject_to_without_a_bijection_raises():
    with pytest.raises(NotImplementedError, match="sphere"):
        biject_to(constraints.sphere)
    with pytest.raises(NotImplementedError, match="no transform"):
        biject_to(constraints.dependent)
    with pytest.raises(TypeError, match="Constraint"):
        biject_to("positive")


# ------------------------------------------------------------------- specific behaviour


def _call(transform, x):
    return jax.jit(lambda t, x: t(x))(transform, x)


def test_maps_agree_with_numpyro_conventions():
    # Zero maps to the centre of the simplex; LowerCholesky puts the strictly lower
    # triangle first (row-major), then the log-diagonal; CorrCholesky fills row-major.
    centre = _call(T.StickBreakingTransform(), jnp.zeros(4))
    np.testing.assert_allclose(centre, jnp.full(5, 0.2), rtol=1e-6)
    lower = _call(T.LowerCholeskyTransform(), jnp.array([1.0, 2.0, 3.0, 0.0, 0.0, jnp.log(2.0)]))
    np.testing.assert_allclose(lower, [[1, 0, 0], [1, 1, 0], [2, 3, 2]], rtol=1e-6)
    corr = _call(T.CorrCholeskyTransform(), jnp.arctanh(jnp.array([0.6, 0.0, 0.0])))
    np.testing.assert_allclose(corr, [[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1]], atol=1e-6)
    # NumPyro's docstring example for OrderedTransform.
    ordered = _call(T.OrderedTransform(), jnp.ones(3))
    np.testing.assert_allclose(ordered, [1.0, 3.7182817, 6.4365635], rtol=1e-5)


def test_extreme_inputs_stay_in_the_set():
    # Log-space stick breaking keeps the diagonal and the simplex entries positive.
    x = jnp.array([[30.0, -30.0, 30.0], [-20.0, 20.0, -20.0]])
    assert bool(jnp.all(constraints.corr_cholesky(_call(T.CorrCholeskyTransform(), x))))
    simplex, ladj = jax.jit(lambda x: T.StickBreakingTransform().forward_and_log_det(x))(x)
    assert bool(jnp.all(jnp.isfinite(ladj)))
    np.testing.assert_allclose(simplex.sum(-1), 1.0, rtol=1e-6)


def test_compose_event_dims():
    # Each part may change the event rank; the composition's domain and codomain cover
    # the largest event any part consumes or produces.
    to_matrix = T.ComposeTransform([T.ExpTransform(), T.LowerCholeskyTransform()])
    assert (to_matrix.domain.event_dim, to_matrix.codomain.event_dim) == (1, 2)
    to_vector = T.ComposeTransform([T.CholeskyTransform(), T.LowerCholeskyTransform().inv])
    assert (to_vector.domain.event_dim, to_vector.codomain.event_dim) == (2, 1)
    widened = T.ComposeTransform([T.StickBreakingTransform(), T.ExpTransform().inv])
    assert (widened.domain.event_dim, widened.codomain.event_dim) == (1, 1)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="K\\(K\\+1\\)/2"):
        T.LowerCholeskyTransform()(jnp.zeros(4))
    with pytest.raises(ValueError, match="K\\(K-1\\)/2"):
        T.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(ValueError, match="same number"):
        T.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="transform_ndims"):
        T.ZeroSumTransform(0)
    with pytest.raises(ValueError, match="square"):
        T.RecursiveLinearTransform(jnp.zeros((2, 3)))


def test_zero_sum_transform_is_an_isometry():
    # Against the first n-1 coordinates the log-det would be -log(n)/2; on the subspace
    # it is 0. Both follow from the map being a Householder reflection of (x, 0).
    t = T.ZeroSumTransform(1)
    jac = jax.jit(jax.jacobian(t))(jnp.array([0.3, -1.0, 2.0]))
    np.testing.assert_allclose(jac.T @ jac, jnp.eye(3), atol=1e-6)
    np.testing.assert_allclose(jnp.linalg.slogdet(jac[:3])[1], -0.5 * jnp.log(4.0), atol=1e-6)
