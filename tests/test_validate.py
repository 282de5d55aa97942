"""The shared input checks: what they accept, what they refuse and what they say."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_uat import MLP, Posterior, make_dataset
from bayes_uat import validate as v


def test_integer_accepts_numpy_and_refuses_bools_floats_and_ranges():
    assert v.integer("draws", np.int64(5), minimum=1) == 5
    assert type(v.integer("draws", np.int64(5))) is int
    with pytest.raises(ValueError, match="draws must be an integer, got True"):
        v.integer("draws", True)
    with pytest.raises(ValueError, match="draws must be an integer, got 5.0"):
        v.integer("draws", 5.0)
    with pytest.raises(ValueError, match=r"draws must be an integer >= 1, got 0; more"):
        v.positive_int("draws", 0, fix="more")
    with pytest.raises(ValueError, match=r"depth must be an integer in \[1, 25\], got 26"):
        v.integer("depth", 26, minimum=1, maximum=25)


@pytest.mark.parametrize("bad", [2**64, 2**32, -1])
def test_seed_range(bad):
    with pytest.raises(
        ValueError, match=rf"seed must be an integer in \[0, 4294967295\], got {bad}"
    ):
        v.seed("seed", bad)
    assert v.seed("seed", 2**32 - 1) == 2**32 - 1


@pytest.mark.parametrize(
    "value, kwargs, match",
    [
        (0, dict(minimum=0, strict=True), "a positive finite number, got 0.0"),
        (float("inf"), dict(minimum=0, strict=True), "a positive finite number, got inf"),
        (float("nan"), {}, "a finite number, got nan"),
        (1.0, dict(minimum=0, maximum=1, strict=True), r"a number in \(0, 1\), got 1.0"),
        (-0.5, dict(minimum=0), "a finite number >= 0, got -0.5"),
        ("3", {}, "must be a number, got '3'"),
    ],
)
def test_number_messages(value, kwargs, match):
    with pytest.raises(ValueError, match=match):
        v.number("x", value, **kwargs)


def test_choice_lists_the_options():
    with pytest.raises(ValueError, match="sampler: unknown value 'hmc'; choose one of nuts, emcee"):
        v.choice("sampler", "hmc", ("nuts", "emcee"))


@pytest.mark.parametrize(
    "units, in_dim, likelihood",
    [((2,), 1, "mse"), ((3,), 1, "gaussian"), ((4, 3), 2, "gaussian"), ((), 3, "mse")],
)
def test_network_dim_matches_the_posterior(units, in_dim, likelihood):
    x = np.linspace(0, 1, 12 * in_dim).reshape(12, in_dim) if in_dim > 1 else np.linspace(0, 1, 12)
    data = make_dataset("x2", n=12)
    data = type(data)(x=x, y=data.y)
    post = Posterior(MLP(units, "tanh", in_dim=in_dim), data, likelihood=likelihood)
    assert v.network_dim(units, in_dim, inferred_sigma=likelihood == "gaussian") == post.dim


def test_memory_estimate_counts_draws_and_refuses_what_cannot_fit(monkeypatch):
    est = v.memory_estimate(chains=4, draws=1000, dim=7, n=500)
    assert est["draws"] == 3 * 4 * 1000 * 7 * 8
    assert est["log-likelihood"] == 4 * 1000 * 500 * 8 * 2
    assert est["total"] == sum(val for k, val in est.items() if k != "total")
    # the record thins the pointwise log-likelihood: its share is capped
    assert v.memory_estimate(chains=4, draws=10**6, dim=7, n=10**4)["log-likelihood"] == (
        v.LOGLIK_CAP * 16
    )
    monkeypatch.setattr(v, "available_memory", lambda: 16 * 10**9)
    assert v.check_memory(chains=4, draws=1000, dim=7, n=500) == est["total"]
    with pytest.raises(
        ValueError,
        match=r"needs about 288 GB of memory \(draws 288 GB, .*data 8 kB.*16 GB is available",
    ):
        v.check_memory(chains=4, draws=10**9, dim=3, n=500)


def test_available_memory_is_positive():
    assert v.available_memory() > 0


def test_sampler_chains():
    from bayes_uat.samplers import check_chains

    assert check_chains("nuts", 1, 100) == 1
    assert check_chains("smc", 1, 100) == 1  # SMC's chains are independent runs
    with pytest.raises(ValueError, match="even number of walkers, got chains=9; use 10"):
        check_chains("ensemble", 9, 2)
    with pytest.raises(ValueError, match="at least 2·dim = 14 walkers"):
        check_chains("emcee", 8, 7)
    with pytest.raises(ValueError, match="unknown sampler 'hmc'"):
        check_chains("hmc", 8, 7)
