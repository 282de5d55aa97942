"""The JAX-native ensemble sampler (bayes_uat.samplers.ensemble) on targets with known answers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayes_uat import MLP, Posterior, make_dataset, sample
from bayes_uat.samplers import ensemble as E
from tests.helpers import ess_per_param


def test_uniform_box_target_never_leaves_its_support():
    """log p = 0 inside [0, 1]², −inf (and NaN) outside: no accepted move may leave the box,
    and the draws are uniform: mean 1/2 and variance 1/12 within Monte Carlo error."""

    def logp(x):
        inside = jnp.all((x > 0) & (x < 1))
        return jnp.where(inside, 0.0, jnp.where(x[0] > 1.5, jnp.nan, -jnp.inf))

    x0 = 0.4 + 0.2 * jax.random.uniform(jax.random.key(0), (16, 2))
    _, (xs, lps, acc) = E.run(logp, jax.random.key(1), E.init(logp, x0), 6000, moves="stretch")
    xs = np.asarray(xs)[1000:]
    assert np.all((xs > 0) & (xs < 1)) and np.all(np.asarray(lps) == 0.0)
    assert 0.05 < float(np.mean(acc)) < 0.95
    ess = ess_per_param(np.swapaxes(xs, 0, 1))
    flat = xs.reshape(-1, 2)
    z_mean = np.abs(flat.mean(0) - 0.5) / np.sqrt(1 / 12 / ess)
    # variance of U(0,1)²-samples: Var[(u − ½)²] = 1/180, so se(var̂) = sqrt(1/180 / ess)
    z_var = np.abs(flat.var(0) - 1 / 12) / np.sqrt(1 / 180 / ess)
    assert np.all(z_mean < 4.5) and np.all(z_var < 4.5), (z_mean, z_var)


def test_pieces_draw_what_one_run_draws():
    logp = lambda x: -0.5 * jnp.sum(x**2)  # noqa: E731
    st = E.init(logp, jax.random.normal(jax.random.key(0), (8, 3)))
    key = jax.random.key(4)
    one, (xs, _, _) = E.run(logp, key, st, 50, moves={"stretch": 1, "de": 1})
    mid, (xa, _, _) = E.run(logp, key, st, 20, moves={"stretch": 1, "de": 1})
    end, (xb, _, _) = E.run(logp, key, mid, 30, start=20, moves={"stretch": 1, "de": 1})
    np.testing.assert_array_equal(np.concatenate([xa, xb]), xs)
    np.testing.assert_array_equal(end.x, one.x)
    # burn-in without a trace ends in the same state
    quiet, none = E.run(logp, key, st, 50, moves={"stretch": 1, "de": 1}, keep=False)
    assert none is None
    np.testing.assert_array_equal(quiet.x, one.x)


def test_an_integer_seed_draws_what_its_key_draws():
    """``run`` takes a seed for ``jax.random.PRNGKey(seed)`` (the backend's way: the key is
    made inside the compiled block) and draws exactly what that key draws."""
    logp = lambda x: -0.5 * jnp.sum(x**2)  # noqa: E731
    st = E.init(logp, jax.random.normal(jax.random.key(0), (8, 3)))
    for moves in ("stretch", {"stretch": 1, "de": 1}):
        end_k, trace_k = E.run(logp, jax.random.PRNGKey(7), st, 30, moves=moves)
        end_s, trace_s = E.run(logp, np.int64(7), st, 30, moves=moves)
        np.testing.assert_array_equal(end_s.x, end_k.x)
        for a, b in zip(trace_s, trace_k):
            np.testing.assert_array_equal(a, b)


def test_bad_arguments_are_named():
    logp = lambda x: -0.5 * jnp.sum(x**2)  # noqa: E731
    st = E.init(logp, jnp.zeros((7, 2)))
    with pytest.raises(ValueError, match=r"even number \(>= 4\) of walkers.*\(7, 2\)"):
        E.run(logp, jax.random.key(0), st, 5)
    st = E.init(logp, jnp.zeros((8, 2)))
    with pytest.raises(ValueError, match="stretch scale a must be > 1"):
        E.run(logp, jax.random.key(0), st, 5, a=1.0)
    with pytest.raises(ValueError, match=r"unknown move\(s\) \['walk'\]"):
        E.run(logp, jax.random.key(0), st, 5, moves="walk")
    with pytest.raises(ValueError, match="not all zero"):
        E.run(logp, jax.random.key(0), st, 5, moves={"stretch": 0})
    post = Posterior(MLP(1, "tanh"), make_dataset("sin", n=20))
    with pytest.raises(ValueError, match="stretch_a must be a number > 1"):
        sample(post, "ensemble", chains=8, stretch_a=0.5, progress=False)
    with pytest.raises(ValueError, match="ensemble needs an even number of walkers"):
        sample(post, "ensemble", chains=9, progress=False)


def test_float32_posterior_runs_in_float32():
    post = Posterior(MLP(2, "sigmoid"), make_dataset("x2", n=50), dtype="float32")
    s = sample(post, "ensemble", chains=14, warmup=20, draws=10, progress=False)
    assert s.settings["dtype"] == "float32" and np.all(np.isfinite(s.log_density))
    np.testing.assert_allclose(s.log_density, np.asarray(post.log_density(s.theta)), rtol=1e-5)
