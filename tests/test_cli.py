"""The ``bayes-uat`` command end to end, config files, and a run killed and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bayes_uat import load_run
from bayes_uat.cli import main
from bayes_uat.config import RunConfig
from bayes_uat.runner import CHECKPOINT, execute

SMALL = [
    "--target",
    "x2",
    "--n",
    "40",
    "--units",
    "1",
    "--sampler",
    "aies",
    "--chains",
    "8",
    "--warmup",
    "30",
    "--draws",
    "40",
    "--sgd-steps",
    "50",
    "--sgd-restarts",
    "2",
    "--quiet",
]


def test_run_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "SGD (Adam)" in printed and "MAP sample" in printed and "loss (−MSE)" in printed
    run = load_run(out)
    assert run.samples.theta.shape == (8, 40, 4)
    assert run.config["run"]["units"] == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["map"]["equation"] in printed
    # a second run into the same directory is refused without --overwrite
    assert main(["run", *SMALL, "--out", str(out), "--no-figures"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["show", str(out)]) == 0
    assert "MAP sample" in capsys.readouterr().out


def test_config_file_and_flag_override(tmp_path, capsys):
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        'target = "sin"\nn = 30\nunits = 2\nactivation = "tanh"\nsampler = "aies"\n'
        "chains = 16\nwarmup = 20\ndraws = 20\nsgd_steps = 20\nsgd_restarts = 1\n"
    )
    out = tmp_path / "r"
    assert (
        main(
            [
                "run",
                "--config",
                str(cfg),
                "--draws",
                "30",
                "--out",
                str(out),
                "--quiet",
                "--no-figures",
            ]
        )
        == 0
    )
    run = load_run(out)
    assert run.posterior.net.activation == "tanh" and run.samples.draws == 30


@pytest.mark.parametrize(
    "text, message",
    [
        ("units = 2\nbogus = 1\n", "unknown key(s) ['bogus']"),
        ('units = "two"\n', "config key 'units': expected int or list"),
        ('sampler = "hmc"\n', "config key 'sampler': unknown value 'hmc'"),
        ("units = [\n", "not valid TOML"),
    ],
)
def test_bad_config_file(tmp_path, capsys, text, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--units", "0"], "units must be positive integers"),
        (["--activation", "swish"], "unknown value 'swish'"),
        (["--prior-std", "-1"], "prior_std must be a positive finite number"),
        (["--learning-rate", "0"], "learning_rate must be > 0"),
        (["--target", "__import__('os')"], "dunder names are not allowed"),
        (["--sampler", "emcee", "--chains", "4"], "at least 2·dim"),
        (["--sampler", "ensemble", "--chains", "9"], "even number of walkers, got chains=9"),
        (["--sampler", "nuts", "--target-accept", "1.2"], "target_accept must be a number in"),
    ],
)
def test_bad_flags(tmp_path, capsys, flags, message):
    args = ["run", "--n", "20", "--draws", "5", "--warmup", "5", "--sgd-steps", "5", *flags]
    assert main([*args, "--out", str(tmp_path / "o"), "--quiet", "--no-figures"]) == 2
    assert message in capsys.readouterr().err


def test_ensemble_run_in_chunks(tmp_path, capsys):
    """The default ensemble through the command, in chunks: the record holds every draw and
    the sampler settings."""
    out = tmp_path / "ens"
    args = [a if a != "aies" else "ensemble" for a in SMALL]
    assert main(["run", *args, "--chunk-size", "15", "--out", str(out), "--no-figures"]) == 0
    run = load_run(out)
    assert run.samples.theta.shape == (8, 40, 4) and run.samples.method == "ensemble"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sampler"]["name"] == "ensemble"
    assert not (out / CHECKPOINT).exists()


def test_resume_errors(tmp_path, capsys):
    assert main(["run", "--resume", str(tmp_path / "nope")]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def _cfg(**kw):
    base = dict(
        target="x2",
        n=40,
        units=1,
        sampler="emcee",
        chains=8,
        warmup=20,
        draws=6000,
        chunk_size=200,
        sgd_steps=30,
        sgd_restarts=1,
        seed=3,
    )
    return RunConfig(**{**base, **kw})


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    """SIGKILL a run mid-way, resume it: at most the chunk in flight is lost, and the final
    draws equal an uninterrupted run with the same seed."""
    cfg_file = tmp_path / "run.toml"
    cfg = _cfg()
    lines = [f"{k} = {json.dumps(v)}" for k, v in cfg.to_dict().items() if v is not None]
    cfg_file.write_text("\n".join(lines) + "\n")
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bayes_uat.cli",
            "run",
            "--config",
            str(cfg_file),
            "--out",
            str(out),
            "--quiet",
            "--no-figures",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ckpt = out / CHECKPOINT
    deadline = time.time() + 240
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # let it get a chunk or two further
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with np.load(ckpt) as f:
        kept = f["theta"].shape[1]
    assert 0 < kept < cfg.draws and kept % cfg.chunk_size == 0
    assert main(["run", "--resume", str(out), "--quiet", "--no-figures"]) == 0
    resumed = load_run(out)
    assert not ckpt.exists()
    reference = execute(cfg, tmp_path / "straight", progress=False, figures=False)
    np.testing.assert_array_equal(resumed.samples.theta, reference.samples.theta)
    assert Path(out / "summary.json").is_file()
