"""Each constraint accepts what it should and rejects what it should not, from one table.

Per row: the event dim; points inside and outside the set (each one event); a batch of
all of them gives one answer per point; ``feasible_like`` gives a point inside; ``str``
reads as words.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from bayesmodels.distributions import constraints as c

# (id, constraint, event_dim, points inside, points outside)
TABLE = [
    ("real", c.real, 0, [0.0, -1e30, 7.5], [math.nan, math.inf, -math.inf]),
    ("real_vector", c.real_vector, 1, [[0.0, 1.0]], [[0.0, math.nan], [math.inf, 0.0]]),
    ("real_matrix", c.real_matrix, 2, [[[0.0, 1.0], [2.0, 3.0]]], [[[0.0, 1.0], [math.nan, 3.0]]]),
    ("positive", c.positive, 0, [1e-3, 5.0], [0.0, -1.0]),
    ("nonnegative", c.nonnegative, 0, [0.0, 2.0], [-1e-3]),
    ("unit_interval", c.unit_interval, 0, [0.0, 0.5, 1.0], [-0.1, 1.1]),
    ("interval", c.interval(-1.0, 2.0), 0, [-1.0, 0.0, 2.0], [-1.5, 2.5]),
    ("open_interval", c.open_interval(-1.0, 2.0), 0, [0.0, 1.9], [-1.0, 2.0]),
    ("greater_than", c.greater_than(1.0), 0, [1.5, 100.0], [1.0, 0.0]),
    ("greater_than_eq", c.greater_than_eq(1.0), 0, [1.0, 1.5], [0.9]),
    ("less_than", c.less_than(1.0), 0, [0.0, -5.0], [1.0, 2.0]),
    ("less_than_eq", c.less_than_eq(1.0), 0, [1.0, -5.0], [1.1]),
    ("circular", c.circular, 0, [0.0, 3.14, -3.14], [4.0, -3.2]),
    ("softplus_positive", c.softplus_positive, 0, [0.1, 10.0], [0.0, -0.1]),
    ("boolean", c.boolean, 0, [0.0, 1.0], [0.5, 2.0, -1.0]),
    ("integer_interval", c.integer_interval(0, 3), 0, [0.0, 3.0], [4.0, 1.5, -1.0]),
    ("integer_greater_than", c.integer_greater_than(2), 0, [2.0, 10.0], [1.0, 2.5]),
    ("nonnegative_integer", c.nonnegative_integer, 0, [0.0, 3.0], [-1.0, 0.5]),
    ("positive_integer", c.positive_integer, 0, [1.0, 4.0], [0.0, 1.5]),
    ("multinomial", c.multinomial(3), 1, [[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]],
     [[1.0, 1.0, 0.0], [4.0, -1.0, 0.0], [1.5, 1.5, 0.0]]),
    ("simplex", c.simplex, 1, [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
     [[0.5, 0.6, -0.1], [0.2, 0.2, 0.2]]),
    ("ordered_vector", c.ordered_vector, 1, [[-1.0, 0.0, 2.0]],
     [[0.0, 0.0, 1.0], [2.0, 1.0, 3.0], [0.0, 1.0, math.inf]]),
    ("positive_ordered_vector", c.positive_ordered_vector, 1, [[0.1, 1.0, 2.0]],
     [[-1.0, 1.0, 2.0], [1.0, 1.0, 2.0]]),
    ("sphere", c.sphere, 1, [[0.6, 0.8], [0.0, -1.0]], [[1.0, 1.0], [0.0, 0.0]]),
    ("zero_sum_1", c.zero_sum(1), 1, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], [[1.0, 1.0, 0.0]]),
    ("zero_sum_2", c.zero_sum(2), 2, [[[1.0, -1.0], [-1.0, 1.0]]],
     [[[1.0, -1.0], [1.0, -1.0]], [[1.0, 1.0], [-1.0, -1.0]]]),
    ("lower_cholesky", c.lower_cholesky, 2, [[[1.0, 0.0], [0.5, 2.0]], [[1.0, 0.0], [-3.0, 0.1]]],
     [[[1.0, 0.1], [0.5, 2.0]], [[1.0, 0.0], [0.5, -2.0]], [[0.0, 0.0], [0.5, 2.0]]]),
    ("scaled_unit_lower_cholesky", c.scaled_unit_lower_cholesky, 2, [[[1.0, 0.0], [0.5, 2.0]]],
     [[[1.0, 0.1], [0.5, 2.0]], [[1.0, 0.0], [0.5, -2.0]]]),
    ("softplus_lower_cholesky", c.softplus_lower_cholesky, 2, [[[1.0, 0.0], [0.5, 2.0]]],
     [[[1.0, 0.1], [0.5, 2.0]], [[-1.0, 0.0], [0.5, 2.0]]]),
    ("corr_cholesky", c.corr_cholesky, 2, [[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [-0.6, 0.8]]],
     [[[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [0.6, -0.8]], [[1.0, 0.1], [0.6, 0.8]]]),
    ("corr_matrix", c.corr_matrix, 2, [[[1.0, 0.3], [0.3, 1.0]], [[1.0, -0.9], [-0.9, 1.0]]],
     [[[1.0, 0.3], [0.2, 1.0]], [[2.0, 0.3], [0.3, 1.0]], [[1.0, 1.5], [1.5, 1.0]]]),
    ("positive_definite", c.positive_definite, 2,
     [[[2.0, 0.5], [0.5, 1.0]], [[1.0, 0.0], [0.0, 1e-3]]],
     [[[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]]),
    ("positive_semidefinite", c.positive_semidefinite, 2,
     [[[1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]],
     [[[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]]]),
    ("independent_positive", c.independent(c.positive, 1), 1,
     [[1.0, 2.0]], [[1.0, -2.0], [0.0, 1.0]]),
    ("independent_simplex", c.independent(c.simplex, 1), 2, [[[0.5, 0.5], [1.0, 0.0]]],
     [[[0.5, 0.5], [0.7, 0.7]]]),
]

IDS = [row[0] for row in TABLE]


@pytest.mark.parametrize("name, constraint, event_dim, inside, outside", TABLE, ids=IDS)
def test_accepts_and_rejects(name, constraint, event_dim, inside, outside):
    assert constraint.event_dim == event_dim
    for point in inside:
        assert bool(constraint(jnp.asarray(point))), f"{name} rejected {point}"
    for point in outside:
        assert not bool(constraint(jnp.asarray(point))), f"{name} accepted {point}"
    # A batch of events gives one answer per event, and check() is the same call.
    batch = jnp.asarray(inside + outside)
    expected = [True] * len(inside) + [False] * len(outside)
    np.testing.assert_array_equal(constraint(batch), expected)
    np.testing.assert_array_equal(constraint.check(batch), expected)


@pytest.mark.parametrize("name, constraint, event_dim, inside, outside", TABLE, ids=IDS)
def test_feasible_like(name, constraint, event_dim, inside, outside):
    event_shape = np.shape(inside[0])
    prototype = jnp.zeros((2, 3) + event_shape)
    point = constraint.feasible_like(prototype)
    assert point.shape == prototype.shape
    assert point.dtype == prototype.dtype
    assert bool(jnp.all(constraint(point))), f"feasible_like gave {point}, outside {name}"


@pytest.mark.parametrize("name, constraint, event_dim, inside, outside", TABLE, ids=IDS)
def test_str_reads_as_words(name, constraint, event_dim, inside, outside):
    text = str(constraint)
    assert " " in text and not text.startswith("_"), f"{name}: {text!r}"
    assert type(constraint).__name__ not in text


DISCRETE_IDS = {"boolean", "integer_interval", "integer_greater_than", "nonnegative_integer",
                "positive_integer", "multinomial"}


@pytest.mark.parametrize("name, constraint, event_dim, inside, outside", TABLE, ids=IDS)
def test_is_discrete(name, constraint, event_dim, inside, outside):
    assert constraint.is_discrete == (name in DISCRETE_IDS)
    assert c.independent(constraint, 1).is_discrete == constraint.is_discrete


def test_bounds_in_descriptions():
    assert str(c.interval(0.0, 2.5)) == "in the interval [0, 2.5]"
    assert "1.5" in str(c.greater_than(1.5))
    assert "array of shape (2,)" in str(c.greater_than(jnp.array([0.0, 1.0])))
    assert "last 2 axes" in str(c.zero_sum(2))


def test_array_bounds_broadcast():
    bounded = c.interval(jnp.array([0.0, 1.0]), jnp.array([1.0, 4.0]))
    np.testing.assert_array_equal(bounded(jnp.array([0.5, 0.5])), [True, False])
    inside = bounded(jnp.array([[0.5, 2.0], [2.0, 2.0]]))
    np.testing.assert_array_equal(inside, [[True, True], [False, True]])


def test_dependent():
    assert c.dependent.event_dim == 0 and not c.dependent.is_discrete
    marked = c.dependent(is_discrete=True, event_dim=1)
    assert marked.is_discrete and marked.event_dim == 1
    with pytest.raises(ValueError, match="cannot be checked"):
        c.dependent(jnp.zeros(2))


def test_independent_arguments():
    with pytest.raises(TypeError, match="Constraint"):
        c.independent("positive", 1)
    with pytest.raises(ValueError, match=">= 0"):
        c.independent(c.positive, -1)
    assert c.independent(c.simplex, 2).event_dim == 3
