"""SVI + Trace_ELBO on a conjugate Normal model with a known posterior."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import bayesmodels as bm
import bayesmodels.distributions as dist
from bayesmodels.distributions import constraints
from bayesmodels.infer import SVI, SVIRunResult, Trace_ELBO

N = 50
Y = jnp.asarray(np.random.default_rng(0).normal(1.5, 1.0, N))
POST_PREC = 1.0 / 100.0 + N
POST_MEAN = float(jnp.sum(Y)) / POST_PREC
POST_SD = POST_PREC**-0.5


def model(y):
    mu = bm.sample("mu", dist.Normal(0.0, 10.0))
    with bm.plate("data", y.shape[0]):
        bm.sample("y", dist.Normal(mu, 1.0), obs=y)


def guide(y):
    loc = bm.param("loc", 0.0)
    scale = bm.param("scale", 1.0, constraint=constraints.positive)
    bm.sample("mu", dist.Normal(loc, scale))


@pytest.fixture(scope="module")
def fitted():
    svi = SVI(model, guide, optax.adam(0.05), Trace_ELBO(num_particles=4))
    return svi, svi.run(jax.random.key(0), 1500, Y, progress_bar=False)


def test_posterior_recovered(fitted):
    _, result = fitted
    assert isinstance(result, SVIRunResult)
    # Final Adam iterates jitter by roughly lr-sized steps scaled by gradient noise;
    # with 4 particles the loc noise is well under a posterior sd: 0.5 sd tolerance for loc
    # (about 0.07) and 30% for scale.
    assert abs(float(result.params["loc"]) - POST_MEAN) < 0.5 * POST_SD
    assert abs(float(result.params["scale"]) - POST_SD) < 0.3 * POST_SD


def test_loss_decreases_and_params_constrained(fitted):
    svi, result = fitted
    assert result.losses.shape == (1500,)
    assert float(jnp.mean(result.losses[-100:])) < float(jnp.mean(result.losses[:100]))
    params = svi.get_params(result.state)
    assert float(params["scale"]) > 0
    assert float(result.state.params["scale"]) == pytest.approx(float(jnp.log(params["scale"])), rel=1e-5)


def test_evaluate_and_determinism(fitted):
    svi, result = fitted
    state = svi.init(jax.random.key(1), Y)
    _, step_key = jax.random.split(state.rng_key)
    expected = svi.loss.loss(step_key, svi.get_params(state), model, guide, Y)
    assert float(svi.evaluate(state, Y)) == pytest.approx(float(expected))
    new_state, loss = svi.update(state, Y)
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    again = svi.run(jax.random.key(0), 1500, Y, progress_bar=False)
    assert float(again.params["loc"]) == float(result.params["loc"])


def nan_model(y):
    mu = bm.sample("mu", dist.Normal(0.0, 10.0))
    bm.factor("trap", jnp.where(mu > 1.0, jnp.nan, 0.0))
    with bm.plate("data", y.shape[0]):
        bm.sample("y", dist.Normal(mu, 1.0), obs=y)


def test_stable_update_skips_nan_steps():
    svi = SVI(nan_model, guide, optax.adam(0.05), Trace_ELBO())
    with pytest.warns(UserWarning, match="skipped"):
        result = svi.run(jax.random.key(0), 200, Y, progress_bar=False, stable_update=True)
    assert result.num_skipped > 0
    assert all(bool(jnp.isfinite(v)) for v in result.params.values())
    plain = svi.run(jax.random.key(0), 200, Y, progress_bar=False)
    assert not bool(jnp.all(jnp.isfinite(plain.losses)))


def test_missing_guide_site_raises():
    def empty_guide(y):
        bm.param("loc", 0.0)

    svi = SVI(model, empty_guide, optax.adam(0.05), Trace_ELBO())
    with pytest.raises(ValueError, match="'mu'"):
        svi.init(jax.random.key(0), Y)


def test_non_finite_init_names_site():
    def bad_model(y):
        mu = bm.sample("mu", dist.Normal(0.0, 10.0))
        bm.factor("broken", jnp.inf * -1.0 + 0.0 * mu)

    svi = SVI(bad_model, guide, optax.adam(0.05), Trace_ELBO())
    with pytest.raises(ValueError, match="'broken'"):
        svi.init(jax.random.key(0), Y)


def test_score_function_for_discrete_guide_site():
    def coin_model():
        bm.sample("z", dist.Bernoulli(probs=0.8))

    def coin_guide():
        p = bm.param("p", 0.5, constraint=constraints.unit_interval)
        bm.sample("z", dist.Bernoulli(probs=p))

    svi = SVI(coin_model, coin_guide, optax.adam(0.05), Trace_ELBO(num_particles=16))
    result = svi.run(jax.random.key(0), 300, progress_bar=False)
    # the exact posterior is the prior: q should move from 0.5 to about 0.8
    assert abs(float(result.params["p"]) - 0.8) < 0.1


def test_run_continues_from_a_state_and_keeps_non_array_arguments_static():
    def sized_model(y, n):
        mu = bm.sample("mu", dist.Normal(0.0, 10.0))
        with bm.plate("data", n):  # n must stay a Python int inside the compiled steps
            bm.sample("y", dist.Normal(mu, 1.0), obs=y)

    def sized_guide(y, n):
        guide(y)

    svi = SVI(sized_model, sized_guide, optax.adam(0.05), Trace_ELBO())
    whole = svi.run(jax.random.key(0), 40, Y, N, progress_bar=False)
    first = svi.run(jax.random.key(0), 25, Y, N, progress_bar=False)
    rest = svi.run(jax.random.key(9), 15, Y, N, progress_bar=False, init_state=first.state)
    # 25 + 15 steps from one state are the 40 steps of one run (same keys, same updates)
    np.testing.assert_allclose(np.asarray(rest.losses), np.asarray(whole.losses[25:]), rtol=1e-5)
    assert float(rest.params["loc"]) == pytest.approx(float(whole.params["loc"]), rel=1e-5)
    with pytest.raises(ValueError, match="not both"):
        svi.run(jax.random.key(0), 5, Y, N, progress_bar=False, init_state=first.state, init_params={"loc": 0.0})
