"""The "smc" sampler through sample(): shapes, run info, checkpoint/resume per temperature,
option errors. The statistics are tested in test_smc.py on the same compiled step."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_uat import sample
from bayes_uat.samplers.smc import evidence_text
from tests.test_smc import LINEAR, linear  # noqa: F401  (the fixture)

OPTS = dict(steps=LINEAR.steps)


def test_sample_smc_runs_and_resumes(linear):  # noqa: F811
    post = linear[0]
    saved = []
    s = sample(
        post, "smc", chains=8, draws=LINEAR.particles, seed=1, progress=False,
        callback=lambda done, arrays: saved.append((done, arrays)), **OPTS,
    )  # fmt: skip
    assert s.theta.shape == (8, LINEAR.particles, 2)
    assert s.settings["sampler"] == "smc"
    assert len(s.info["log_evidence"]) == 8 and s.info["independent_runs"] is True
    assert s.info["mass"] == "dense"  # "auto" on a model without hidden units
    assert np.isfinite(s.info["log_evidence_se"])
    assert "log evidence" in evidence_text(s.info)
    # one checkpoint per temperature, no draws until the last
    assert len(saved) == max(s.info["temperatures"]) + 1
    assert saved[0][0].draws == 0 and saved[-1][0].draws == LINEAR.particles
    again = sample(
        post, "smc", chains=8, draws=LINEAR.particles, seed=1, progress=False,
        resume=saved[1], **OPTS,
    )  # fmt: skip
    np.testing.assert_array_equal(s.theta, again.theta)
    assert again.info["log_evidence"] == s.info["log_evidence"]
    # a run killed after its last checkpoint resumes straight to the summary
    done = sample(
        post, "smc", chains=8, draws=LINEAR.particles, seed=1, progress=False,
        resume=saved[-1], **OPTS,
    )  # fmt: skip
    np.testing.assert_array_equal(done.theta, s.theta)
    assert done.info["log_evidence"] == s.info["log_evidence"]


def test_canonical_mass_resumes_bit_for_bit():
    """The default mass on a network with hidden units is the canonical one (per-particle
    mass matrices, moves kept in their copy): resumed mid-run it gives the same particles,
    evidence, traces and settings."""
    from bayes_uat import MLP, Posterior, make_dataset

    post = Posterior(MLP(2, "tanh"), make_dataset("sin", n=30), prior_std=3.0)
    saved = []
    kw = dict(chains=2, draws=32, seed=3, progress=False, steps=2)
    s = sample(post, "smc", callback=lambda done, arrays: saved.append((done, arrays)), **kw)
    assert s.info["mass"] == "canonical" and len(saved) > 3
    again = sample(post, "smc", resume=saved[2], **kw)
    np.testing.assert_array_equal(s.theta, again.theta)
    for key in ("log_evidence", "temperatures", "steps_per_temperature", "mass"):
        assert again.info[key] == s.info[key], key
    assert again.settings == s.settings


def test_sample_smc_bad_options(linear):  # noqa: F811
    post = linear[0]
    with pytest.raises(ValueError, match="draws must be an integer >= 4"):  # what was typed
        sample(post, "smc", chains=2, draws=3, progress=False)
    with pytest.raises(ValueError, match="unknown kernel"):
        sample(post, "smc", chains=2, draws=8, kernel="mala", progress=False)


CLI = ["run", "--target", "x2", "--n", "40", "--units", "1", "--sampler", "smc", "--chains", "2",
       "--sgd-steps", "50", "--sgd-restarts", "2", "--quiet", "--no-figures"]  # fmt: skip


@pytest.mark.slow
def test_cli_run_and_show_smc(tmp_path, capsys):
    from bayes_uat import load_run
    from bayes_uat.cli import main

    out = tmp_path / "r"
    assert main([*CLI, "--draws", "16", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    shown = capsys.readouterr().out
    run = load_run(out)
    logz = run.samples.info["log_evidence"]
    assert run.samples.theta.shape[:2] == (2, 16) and len(logz) == 2
    assert f"{logz[0]:.2f}" in shown and "log evidence log p(D)" in shown


def test_cli_smc_too_few_particles(tmp_path, capsys):
    from bayes_uat.cli import main

    assert main([*CLI, "--draws", "3", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "bayes-uat: error: draws must be an integer >= " in err and "2·dim" in err
    assert "Traceback" not in err
