"""Samplers against a closed-form posterior, reproducibility, chunking and input errors."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from bayes_uat import MLP, Posterior, Samples, make_dataset, sample, train_sgd
from tests.helpers import check_gaussian_moments


@pytest.fixture(scope="module")
def linear(linear_gaussian):
    """The conjugate linear-Gaussian posterior (tests/conftest.py), its mean and covariance."""
    post, mean, cov, _ = linear_gaussian
    return post, mean, cov


@pytest.mark.parametrize(
    "method, kw",
    [
        ("nuts", dict(chains=4, warmup=500, draws=1000)),
        ("emcee", dict(chains=8, warmup=500, draws=3000)),
        ("aies", dict(chains=8, warmup=500, draws=3000)),
        ("ensemble", dict(chains=8, warmup=500, draws=3000)),
        ("ensemble", dict(chains=8, warmup=500, draws=6000, moves="de")),
        ("ensemble", dict(chains=8, warmup=500, draws=3000, moves={"stretch": 1, "de": 1})),
    ],
)
def test_sampler_matches_conjugate_posterior(linear, method, kw):
    post, mean, cov = linear
    s = sample(post, method, seed=11, init="prior", progress=False, **kw)
    assert s.theta.shape == (kw["chains"], kw["draws"], 2)
    check_gaussian_moments(s.theta, mean, cov)
    # the recorded log-probability is the posterior's
    np.testing.assert_allclose(
        s.log_density[:, :5], np.asarray(post.log_density(s.theta[:, :5])), rtol=1e-9, atol=1e-9
    )


# NUTS's chunked run is also checked by the resume test after the last chunk (fast suite)
@pytest.mark.parametrize(
    "method",
    [pytest.param(m, marks=pytest.mark.slow) for m in ("nuts", "aies")] + ["ensemble", "emcee"],
)
def test_same_seed_same_draws_and_chunking_is_invisible(linear, method):
    post, _, _ = linear
    kw = dict(
        chains=4 if method == "nuts" else 6, warmup=50, draws=40, init="prior", progress=False
    )
    a = sample(post, method, seed=5, **kw)
    b = sample(post, method, seed=5, **kw)
    np.testing.assert_array_equal(a.theta, b.theta)
    c = sample(post, method, seed=5, chunk_size=15, **kw)
    np.testing.assert_allclose(c.theta, a.theta, rtol=0, atol=1e-12)
    d = sample(post, method, seed=6, **kw)
    assert not np.array_equal(a.theta, d.theta)


def _same_run(a, b):
    """θ, log-densities, per-draw stats, settings and run info of two runs agree."""
    np.testing.assert_allclose(a.theta, b.theta, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.log_density, b.log_density, rtol=0, atol=1e-9)
    assert a.sampler == b.sampler and a.settings == b.settings and a.settings
    assert sorted(a.stats) == sorted(b.stats) and a.stats
    for k in a.stats:
        np.testing.assert_array_equal(a.stats[k], b.stats[k], err_msg=k)
    assert a.info.keys() == b.info.keys()
    for k in a.info:
        assert a.info[k] == b.info[k], k


@pytest.mark.parametrize(
    "method, stop",
    [
        pytest.param("nuts", 2, marks=pytest.mark.slow),  # the costliest case: 50 s on 2 cores
        pytest.param("aies", 2, marks=pytest.mark.slow),
        ("nuts", 4),
        ("aies", 4),
        *((m, k) for m in ("ensemble", "emcee") for k in (2, 4)),
    ],
)
def test_resume_from_callback_state_continues_exactly(linear, method, stop):
    """Resumed mid-run (after chunk 2 of 4) or after the last chunk's checkpoint (4 of 4:
    killed before the record was written), the result is the uninterrupted run's."""
    post, _, _ = linear
    kw = dict(
        chains=4 if method == "nuts" else 6,
        warmup=50,
        draws=40,
        init="prior",
        progress=False,
        chunk_size=10,
    )
    full = sample(post, method, seed=2, **kw)
    saved = []

    def stop_after(s, state):
        saved.append((s, state))
        if len(saved) == stop:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sample(post, method, seed=2, callback=stop_after, **kw)
    done, state = saved[-1]
    assert done.draws == 10 * stop
    # a checkpoint keeps arrays only: settings and info are rebuilt by the resumed run
    done = Samples(done.theta, done.log_density, method, done.names, stats=done.stats)
    resumed = sample(post, method, seed=2, resume=(done, state), **kw)
    _same_run(resumed, full)


def test_resume_refuses_a_state_of_another_sampler(linear):
    post, _, _ = linear
    saved = []
    kw = dict(chains=6, warmup=10, draws=20, init="prior", progress=False, chunk_size=10)
    sample(post, "ensemble", seed=0, callback=lambda s, st: saved.append((s, st)), **kw)
    with pytest.raises(ValueError, match="sampler state does not match this sampler"):
        sample(post, "aies", seed=0, resume=saved[0], **kw)


@pytest.mark.parametrize(
    "method", ["ensemble", "emcee", pytest.param("aies", marks=pytest.mark.slow)]
)
def test_ensemble_acceptance_does_not_depend_on_chunking(linear, method):
    """Every draw's acceptance is judged against the draw before it, also across chunks."""
    post, _, _ = linear
    kw = dict(chains=6, warmup=20, draws=40, init="prior", progress=False)
    one = sample(post, method, seed=3, **kw)
    chunked = sample(post, method, seed=3, chunk_size=5, **kw)
    np.testing.assert_array_equal(chunked.stats["accepted"], one.stats["accepted"])
    assert chunked.info["acceptance_fraction"] == one.info["acceptance_fraction"]
    # a rejected draw repeats its predecessor; an accepted one differs from it
    prev = np.concatenate([one.theta[:, :1], one.theta[:, :-1]], axis=1)
    moved = np.any(one.theta != prev, axis=-1)
    np.testing.assert_array_equal(one.stats["accepted"][:, 1:], moved[:, 1:])
    assert 0.2 < one.info["acceptance_fraction"] < 0.9


def test_samples_log_density_is_the_posteriors_at_each_draw(linear):
    """The draws' log-densities are ``Samples.log_density``, the value of
    ``Posterior.log_density`` at each draw; the removed old spellings are refused."""
    post, _, _ = linear
    kw = dict(chains=6, warmup=5, draws=5, init="prior", progress=False)
    s = sample(post, sampler="ensemble", seed=1, **kw)
    np.testing.assert_allclose(
        s.log_density, np.asarray(post.log_density(s.theta.reshape(-1, 2))).reshape(6, 5), rtol=1e-9
    )
    halved = replace(s, log_density=s.log_density / 2)
    np.testing.assert_array_equal(halved.log_density, s.log_density / 2)
    with pytest.raises(ValueError, match="log_density must have shape"):
        Samples(s.theta, np.zeros(3), "ensemble", s.names)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['method'\]"):
        sample(post, method="ensemble", seed=1, **kw)


def test_nuts_reports_its_statistics(linear):
    post, _, _ = linear
    s = sample(post, "nuts", chains=2, warmup=100, draws=50, seed=0, init="prior", progress=False)
    for key in ("diverging", "num_steps", "tree_depth", "accept_prob", "step_size"):
        assert s.stats[key].shape == (2, 50)
    assert s.info["divergences"] == int(s.stats["diverging"].sum())
    # a doubling tree of depth d takes 2^d - 1 leapfrog steps when it runs to the end and
    # fewer when a U-turn stops it early: 2^d <= steps + 1 < 2^(d+1), 1 <= d <= 10
    depth, steps = s.stats["tree_depth"], s.stats["num_steps"]
    assert np.all((2**depth <= steps + 1) & (steps + 1 < 2 ** (depth + 1)))
    assert depth.min() >= 1 and depth.max() <= 10


@pytest.mark.parametrize("method, tty", [("nuts", True), ("ensemble", False)])
def test_one_progress_display_per_run(linear, capsys, monkeypatch, method, tty):
    """numpyro's own bar (one per NUTS chunk) is off: three chunks give one bar on a terminal
    and one plain line per chunk elsewhere, with no escape codes."""
    post, _, _ = linear
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    kw = dict(chains=2 if method == "nuts" else 4, warmup=20, draws=30, chunk_size=10)
    sample(post, method, seed=0, init="prior", **kw)
    err = capsys.readouterr().err
    shown = [seg.split("\r")[-1] for seg in err.split("\n")]  # what a terminal keeps
    bars = [s for s in shown if "%|" in s]
    lines = [s for s in shown if s.startswith(f"{method}: draw")]
    if tty:
        assert len(bars) == 1 and not lines, err
        assert bars[0].startswith(f"{method}: 100%") and bars[0].endswith("draw 30/30"), err
    else:
        assert not bars and "\r" not in err and "\x1b" not in err, err
        assert lines == [f"{method}: draw {k}/30 ({k / 30:.0%})" for k in (10, 20, 30)], err


def test_one_chunk_nuts_on_a_terminal_shows_a_live_bar(linear, capsys, monkeypatch):
    """A one-chunk NUTS run would otherwise show a bar that moves only at its end: on a
    terminal a live bar (warm-up included) is the run's one display instead, and
    the draws are the same as without any display."""
    post, _, _ = linear
    kw = dict(chains=1, warmup=20, draws=30, seed=0, init="prior")
    quiet = sample(post, "nuts", progress=False, **kw)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    live = sample(post, "nuts", **kw)
    err = capsys.readouterr().err
    assert "warmup" in err and "sample" in err, err  # both phases, shown as they run
    assert "nuts:" not in err, err  # and not the chunk loop's bar as well
    np.testing.assert_array_equal(live.theta, quiet.theta)


def test_sgd_init_starts_chains_at_restarts():
    post = Posterior(MLP(2, "sigmoid"), make_dataset("x2", n=50))
    sgd = train_sgd(post, restarts=4, steps=50, seed=0)
    s = sample(post, "nuts", chains=4, warmup=5, draws=5, seed=0, sgd=sgd, progress=False)
    assert s.theta.shape == (4, 5, post.dim)


# -- errors raised where input enters ---------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    return Posterior(MLP(2, "tanh"), make_dataset("sin", n=30))


def test_errors(small):
    with pytest.raises(ValueError, match="unknown sampler 'hmc'"):
        sample(small, "hmc")
    with pytest.raises(ValueError, match="at least 2·dim = 14 walkers"):
        sample(small, "emcee", chains=10, progress=False)
    with pytest.raises(ValueError, match="even number of walkers, got chains=15; use 16"):
        sample(small, "aies", chains=15, progress=False)
    with pytest.raises(ValueError, match="unknown option"):
        sample(small, "nuts", walkers=3)
    with pytest.raises(ValueError, match="chains must be an integer >= 1"):
        sample(small, "nuts", chains=0)
    with pytest.raises(ValueError, match="log-density is not finite"):
        sample(small, "nuts", chains=2, init=np.full(small.dim, np.inf), progress=False)
    with pytest.raises(ValueError, match="init array must have shape"):
        sample(small, "nuts", chains=2, init=np.zeros(3), progress=False)
    with pytest.raises(ValueError, match=r"target_accept must be a number in \(0, 1\).*got 1.5"):
        sample(small, "nuts", chains=2, target_accept=1.5, progress=False)
    with pytest.raises(ValueError, match="one device per chain"):
        sample(small, "nuts", chains=64, chain_method="parallel", progress=False)


def test_nuts_refuses_step_activation():
    post = Posterior(MLP(2, "step"), make_dataset("step", n=30))
    with pytest.raises(ValueError, match="NUTS needs gradients.*'step'"):
        sample(post, "nuts", progress=False)


@pytest.mark.slow
def test_float32_posterior_and_single_chain():
    """float32 log-densities run under numpyro's float64 state; one chain takes one start."""
    post32 = Posterior(MLP(2, "sigmoid"), make_dataset("x2", n=50), dtype="float32")
    for method, chains in (("nuts", 2), ("aies", 14)):
        s = sample(post32, method, chains=chains, warmup=20, draws=10, progress=False)
        assert s.theta.shape == (chains, 10, 7) and np.all(np.isfinite(s.log_density))
    post = Posterior(MLP(2, "sigmoid"), make_dataset("x2", n=50))
    s = sample(
        post, "nuts", chains=1, warmup=20, draws=10, progress=False, init=np.linspace(-1, 1, 7)
    )
    assert s.theta.shape == (1, 10, 7)
