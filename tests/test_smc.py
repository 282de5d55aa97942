"""Tempered SMC against closed-form evidence and moments, a planted two-copy posterior with
known masses, resumability, and input errors.

Every Monte Carlo error comes from the spread across independent runs (particles of one
run are correlated through resampling); with R runs the standardised error of a run mean
follows Student's t with R − 1 degrees of freedom, so thresholds are t quantiles at a
two-sided 1e-3 level.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from scipy import stats

from bayes_uat import MLP, Posterior, make_dataset
from bayes_uat.samplers.smc import (
    SMCSettings,
    append_info,
    make_step,
    run_smc,
    smc_result,
    stack_info,
)


def t_crit(runs: int, level: float = 1e-3) -> float:
    return float(stats.t.ppf(1 - level / 2, runs - 1))


@pytest.fixture(scope="module")
def linear(linear_gaussian):
    """The conjugate linear-Gaussian posterior (tests/conftest.py): post, mean, cov, log Z."""
    return linear_gaussian


LINEAR = SMCSettings(particles=400, steps=5)


@pytest.fixture(scope="module")
def linear_states(linear):
    states, infos = [], []

    def keep(state, info):
        states.append(state)
        infos.append(info)

    res = run_smc(linear[0], runs=8, settings=LINEAR, seed=1, callback=keep)
    return res, states, infos


@pytest.fixture(scope="module")
def linear_run(linear_states):
    return linear_states[0]


def test_linear_gaussian_evidence(linear, linear_run):
    """The Posterior keeps every constant, so SMC's log Z is log p(D) itself: the mean of the
    first 4 runs is within 0.1 nats and its reported SE covers the exact value."""
    *_, exact = linear
    logz = np.array(linear_run.info["log_evidence"])
    first = logz[:4]
    se4 = first.std(ddof=1) / 2
    assert abs(first.mean() - exact) < 0.1, (first, exact)
    assert abs(first.mean() - exact) < t_crit(4) * se4, (first.mean(), se4, exact)
    se = linear_run.info["log_evidence_se"]
    assert se == pytest.approx(logz.std(ddof=1) / math.sqrt(8))
    assert abs(logz.mean() - exact) < t_crit(8) * se
    assert 0 < se < 0.1  # an SE this small is what makes the check bite


def test_linear_gaussian_moments(linear, linear_run):
    """Run means and variances of θ match the conjugate posterior within the across-run
    error; the particles are equally weighted and distinct after the final mutation."""
    _, mean, cov, _ = linear
    theta = linear_run.theta
    assert theta.shape == (8, 400, 2)
    run_mean = theta.mean(axis=1)
    run_var = theta.var(axis=1)
    t = t_crit(8)
    for est, truth in ((run_mean, mean), (run_var, np.diag(cov))):
        se = est.std(axis=0, ddof=1) / math.sqrt(8)
        err = np.abs(est.mean(axis=0) - truth) / se
        assert np.all(err < t), (est.mean(axis=0), truth, err)
        assert np.all(se < 0.1 * np.sqrt(np.diag(cov)))  # the check is tight
    assert len(np.unique(theta[0, :, 0])) > 300
    np.testing.assert_allclose(linear_run.log_density, np.asarray(linear[0].log_density(theta)))


def test_info_records(linear_run):
    info = linear_run.info
    assert info["independent_runs"] is True
    for key in ("log_evidence", "temperatures", "final_ess", "acceptance", "mean_acceptance"):
        assert len(info[key]) == 8, key
    assert all(t >= 2 for t in info["temperatures"])
    assert all(0.3 * 400 <= e <= 400 for e in info["final_ess"])
    assert all(0.2 < a <= 1 for a in info["mean_acceptance"])
    assert info["wall_time"] > 0
    for r in range(8):  # one entry per temperature and one for the final round at λ = 1
        steps = info["steps_per_temperature"][r]
        assert len(steps) == info["temperatures"][r] + 1
        assert all(LINEAR.steps <= n <= 10 * LINEAR.steps for n in steps), steps
        assert info["mutation_steps"][r] == sum(steps)
        assert len(info["acceptance_per_temperature"][r]) == len(steps)
        assert info["acceptance_per_temperature"][r][-1] == info["acceptance"][r]


def _one_more(linear, linear_states, particles=None, **tuning):
    """The transitions of one more temperature from a mid-run state, its tuning (and
    particles) changed."""
    state = linear_states[1][2]
    state = state._replace(tuning=state.tuning._replace(**tuning))
    if particles is not None:
        state = state._replace(tempered=state.tempered._replace(particles=particles))
    _, info = make_step(linear[0], LINEAR)(state)
    return np.asarray(info.steps)


def test_step_count_rises_when_acceptance_is_low(linear, linear_states):
    """PyMC's rule: after a temperature with acceptance 0.05 every particle needs
    ⌈1 + log 0.1 / log 0.95⌉ = 46 transitions to move with probability 0.9; after 0.99, the
    floor of ``steps`` (5) transitions."""
    r = linear_states[1][2].tuning.acceptance.shape[0]
    low = _one_more(linear, linear_states, acceptance=np.full(r, 0.05))
    high = _one_more(linear, linear_states, acceptance=np.full(r, 0.99))
    assert np.all(low >= 46) and np.all(low <= 50), low
    assert np.all(high >= LINEAR.steps) and np.all(high < 46), high


def test_step_count_rises_while_the_cloud_drifts(linear, linear_states):
    """With a step size 100 times too small, particles displaced 5 particle SDs climb back
    over many transitions: the mutation keeps going while the mean log-density still rises
    significantly (up to max_steps = 50); undisplaced particles stop near the floor."""
    state = linear_states[1][2]
    r = state.tuning.acceptance.shape[0]
    slow = dict(acceptance=np.full(r, 0.99), step_size=np.asarray(state.tuning.step_size) / 100)
    spread = np.sqrt(np.diagonal(np.asarray(state.tuning.inv_mass), axis1=1, axis2=2))[:, None, :]
    shifted = np.asarray(state.tempered.particles) + 5 * spread
    settled = _one_more(linear, linear_states, **slow)
    drifting = _one_more(linear, linear_states, particles=shifted, **slow)
    assert np.all(drifting == 10 * LINEAR.steps), drifting
    assert settled.mean() < 2 * LINEAR.steps, settled


@pytest.fixture(scope="module")
def tanh_flip():
    """f = c + a tanh(w x + b), 1 unit on noisy sin: the odd flip (w, b, a) → (−w, −b, −a)
    leaves likelihood and prior unchanged, so the copies w > 0 and w < 0 have mass ½ each."""
    data = make_dataset("sin", n=30, noise="gaussian", noise_scale=0.1, seed=2)
    return Posterior(MLP(1, "tanh"), data, prior_std=2.0, likelihood="gaussian", noise_std=0.1)


@pytest.mark.slow
def test_planted_copies_equal_mass(tanh_flip):
    res = run_smc(tanh_flip, runs=8, settings=SMCSettings(particles=400, steps=5), seed=3)
    runs = res.theta.shape[0]
    w = res.theta[..., 0]
    share = (w > 0).mean(axis=1)  # per run
    mass, se = share.mean(), share.std(ddof=1) / math.sqrt(runs)
    assert abs(mass - 0.5) < t_crit(runs) * se, (share, mass, se)
    assert se < 0.1
    # the copies are separated modes, not one blob across w = 0
    assert np.mean(np.abs(w) < 0.1 * np.median(np.abs(w))) < 0.01


def test_resume_is_bit_identical(linear, linear_states):
    """Stopping after any temperature and continuing from the state's arrays (as loaded
    from a checkpoint) gives the same particles and evidence as an uninterrupted run."""
    res, states, infos = linear_states
    step = make_step(linear[0], LINEAR)
    mid = jax.tree.map(np.array, states[2])  # arrays, as loaded from a checkpoint
    info = stack_info(infos[:3], 8)
    while not bool(np.all(mid.finished)):
        mid, new = step(mid)
        info = append_info(info, new)
    again = smc_result(linear[0], mid, info)
    np.testing.assert_array_equal(res.theta, again.theta)
    for key in ("log_evidence", "temperatures", "steps_per_temperature", "mean_acceptance"):
        assert res.info[key] == again.info[key], key


class _Wrapped:
    """A posterior-like object delegating to a Posterior, with parts replaced."""

    def __init__(self, post, **replace):
        self._post, self._replace = post, replace

    def __getattr__(self, name):
        if name in self._replace:
            return self._replace[name]
        return getattr(self._post, name)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(particles=3), "particles must be an integer >= 4"),
        (dict(particles=4.0), "particles must be an integer"),
        (dict(steps=0), "steps must be"),
        (dict(target_ess=1.0), "target_ess must be a number in"),
        (dict(kernel="rwm"), "unknown kernel"),
        (dict(mass="full"), "unknown mass"),
        (dict(steps=10, max_steps=5), "max_steps must be an integer >= 10"),
        (dict(move_prob=1.0), "move_prob must be a number in"),
    ],
)
def test_bad_settings(linear, kw, match):
    with pytest.raises(ValueError, match=match):
        run_smc(linear[0], runs=2, settings=SMCSettings(**kw))


def test_bad_runs(linear):
    with pytest.raises(ValueError, match="runs must be an integer >= 1"):
        run_smc(linear[0], runs=0, settings=SMCSettings(particles=8))


def test_prior_cannot_be_sampled(linear):
    post = linear[0]

    def broken(key, shape=()):
        raise NotImplementedError("improper prior")

    for bad in (_Wrapped(post, prior_sample=None), _Wrapped(post, prior_sample=broken)):
        with pytest.raises(ValueError, match="prior cannot be sampled"):
            run_smc(bad, runs=2, settings=SMCSettings(particles=8))
    nan = _Wrapped(post, prior_sample=lambda key, shape=(): np.full(shape + (2,), np.nan))
    with pytest.raises(ValueError, match="not finite"):
        run_smc(nan, runs=2, settings=SMCSettings(particles=8))


def test_likelihood_nonfinite_everywhere(linear):
    post = linear[0]
    bad = _Wrapped(post, log_likelihood=lambda theta: np.full(np.shape(theta)[:-1], -np.inf))
    with pytest.raises(ValueError, match="log-likelihood is not finite at any"):
        run_smc(bad, runs=2, settings=SMCSettings(particles=8))


def test_evidence_sweep_bad_input():
    from bayes_uat.studies import evidence_sweep

    data = make_dataset("x2", n=20)
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'"):
        evidence_sweep(data, units=(1,), activations=("sigmoidal",))
    with pytest.raises(ValueError, match="units is empty"):
        evidence_sweep(data, units=())
    with pytest.raises(ValueError, match="activations must be a non-empty list"):
        evidence_sweep(data, units=(1,), activations="tanh")
    with pytest.raises(ValueError, match=r"unknown SMC option\(s\) \['bogus'\]"):
        evidence_sweep(data, units=(1,), bogus=1)
    with pytest.raises(ValueError, match="symmetry_moves must be True or False"):
        evidence_sweep(data, units=(1,), symmetry_moves="yes")
    with pytest.raises(ValueError, match=r"leapfrog must be an integer in \[1, 1024\]"):
        evidence_sweep(data, units=(1,), activations=("tanh",), mass="canonical", leapfrog=0)
    with pytest.raises(ValueError, match="particles must be an integer >= 26"):  # N = 4: dim 13
        evidence_sweep(data, units=(1, 4), activations=("tanh",), particles=20)


@pytest.mark.slow
def test_evidence_sweep_matches_runs():
    """Each point is the mean and across-run SE of run_smc's per-run log Z."""
    from bayes_uat.studies import evidence_sweep

    data = make_dataset("x2", n=20)
    (pt,) = evidence_sweep(data, units=(1,), activations=("tanh",), runs=3, particles=16, steps=2)
    post = Posterior(MLP(1, "tanh"), data, prior_std=30.0)
    res = run_smc(post, runs=3, settings=SMCSettings(particles=16, steps=2), seed=0)
    assert pt.log_evidence_runs == tuple(res.info["log_evidence"])
    assert pt.log_evidence == pytest.approx(np.mean(res.info["log_evidence"]))
    assert pt.log_evidence_se == pytest.approx(np.std(res.info["log_evidence"], ddof=1) / 3**0.5)


@pytest.mark.slow
@pytest.mark.parametrize("kw", [dict(kernel="nuts"), dict(mass="diag"), dict(max_steps=3)])
def test_other_kernels_linear_evidence(linear, kw):
    """NUTS mutations, a diagonal mass matrix and a fixed step count reach the same exact
    evidence."""
    *_, exact = linear
    res = run_smc(linear[0], runs=4, settings=SMCSettings(particles=200, steps=3, **kw), seed=5)
    logz = np.array(res.info["log_evidence"])
    se = res.info["log_evidence_se"]
    assert abs(logz.mean() - exact) < t_crit(4) * se and se < 0.15, (logz, exact)
