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
    "--likelihood",
    "mse",
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
        (["--learning-rate", "0"], "learning_rate must be a positive finite number"),
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
    assert run.samples.theta.shape == (8, 40, 4) and run.samples.sampler == "ensemble"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sampler"]["name"] == "ensemble"
    assert not (out / CHECKPOINT).exists()


def test_resume_errors(tmp_path, capsys):
    assert main(["run", "--resume", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


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
        likelihood="mse",
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


# -- bad input: exit 2, a clear message, no traceback, nothing written -------------------------
def _refused(capsys, args, message, out):
    assert main(["run", *args, "--out", str(out), "--quiet", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayes-uat: error: ") and message in err, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def no_work(monkeypatch):
    """Fail loudly if a refused run got as far as SGD, and fix the memory the check sees."""
    import bayes_uat.runner as runner
    from bayes_uat import validate

    def sgd(*a, **k):
        raise AssertionError("SGD started before the input was validated")

    monkeypatch.setattr(runner, "run_sgd", sgd)
    monkeypatch.setattr(validate, "available_memory", lambda: 16 * 10**9)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--max-tree-depth", "0"], "max_tree_depth must be an integer in [1, 25], got 0"),
        (["--max-tree-depth", "-1"], "max_tree_depth must be an integer in [1, 25], got -1"),
        (["--seed", str(2**64)], "seed must be an integer in [0, 4294967295]"),
        (["--n", "100000000000"], "needs about"),
        (["--chains", "100000", "--sampler", "nuts"], "needs about"),
        (["--draws", "1000000000"], "needs about"),
        (["--units", "100000"], "× 300002 parameters"),
        (["--sampler", "emcee", "--chains", "4"], "at least 2·dim"),
        (["--sampler", "nuts", "--activation", "step"], "NUTS needs gradients"),
        (["--units", "0"], "--units linear"),
        (["--prior", "w9=normal(0, 1)"], "unknown prior group"),
        (["--bias", "false,true,true"], "bias must be True, False or a tuple of 2"),
        (["--likelihood", "mse", "--df", "3"], "df applies to likelihood='student_t' only"),
    ],
)
def test_out_of_range_input_refused_before_any_work(tmp_path, capsys, no_work, flags, message):
    out = tmp_path / "deep" / "run"
    err = _refused(capsys, flags, message, out)
    assert not (tmp_path / "deep").exists()  # no empty --out left behind
    if message == "needs about":
        assert "GB of memory" in err and "16 GB is available" in err


def test_out_holding_the_users_files_is_refused(tmp_path, capsys, no_work):
    (tmp_path / "summary.json").write_text('{"mine": 1}')
    _refused(capsys, SMALL, "holds files that are not a bayes_uat run (summary.json)", tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text()) == {"mine": 1}
    assert sorted(os.listdir(tmp_path)) == ["summary.json"]


def test_out_in_use_by_another_process_is_refused(tmp_path, capsys, no_work):
    import socket

    from bayes_uat.rundir import LOCK

    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK).write_text(json.dumps(dict(pid=1, host=socket.gethostname(), started=0)))
    _refused(capsys, SMALL, "is in use by process 1 on", out)
    assert os.listdir(out) == [LOCK]


def test_unwritable_out_refused_before_any_work(tmp_path, capsys, no_work, monkeypatch):
    monkeypatch.setattr(os, "access", lambda p, mode: False)
    _refused(capsys, SMALL, "is not writable", tmp_path / "run")


def test_lock_released_when_the_run_is_interrupted(tmp_path, capsys, monkeypatch):
    import bayes_uat.runner as runner
    from bayes_uat.rundir import LOCK

    def interrupted(*a, **k):
        assert (out / LOCK).is_file()  # held while the run works
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_sgd", interrupted)
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out), "--no-figures"]) == 130
    assert "--resume" in capsys.readouterr().err
    assert not (out / LOCK).exists()


def _fake_checkpoint(out, cfg):
    """A checkpoint holding what the flag check reads (config) and the fields every
    checkpoint must have; its draws are placeholders."""
    from bayes_uat.runner import CHECKPOINT_FORMAT

    np.savez(
        out / CHECKPOINT,
        config=json.dumps(cfg.to_dict()),
        format=CHECKPOINT_FORMAT,
        theta=np.zeros((1, 1, 1)),
        log_prob=np.zeros((1, 1)),
    )


def test_resume_refuses_flags_that_change_the_run(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    cfg = _cfg()
    _fake_checkpoint(out, cfg)
    flags = ["--draws", "5", "--sampler", "nuts", "--units", "7"]
    assert main(["run", "--resume", str(out), *flags]) == 2
    err = capsys.readouterr().err
    for part in (
        "--draws 5 (saved: 6000)",
        "--sampler nuts (saved: 'emcee')",
        "--units 7 (saved: 1)",
    ):
        assert part in err
    assert "Traceback" not in err
    for extra, message in (
        (["--config", "x.toml"], "--config does not apply"),
        (["--out", str(tmp_path / "other")], "writes into its own directory"),
    ):
        assert main(["run", "--resume", str(out), *extra]) == 2
        assert message in capsys.readouterr().err
    assert sorted(os.listdir(out)) == [CHECKPOINT]


def test_resume_accepts_flags_equal_to_the_saved_ones(tmp_path):
    from bayes_uat.cli import build_parser, run_config

    out = tmp_path / "run"
    out.mkdir()
    _fake_checkpoint(out, _cfg())
    args = build_parser().parse_args(["run", "--resume", str(out), "--draws", "6000", "--quiet"])
    assert run_config(args) == _cfg()


def test_values_starting_with_a_dash(tmp_path, capsys, no_work):
    """``--target -x**2`` used to fail with argparse's "expected one argument"."""
    from bayes_uat.cli import _join_dash_values, build_parser, config_from_args

    p = build_parser()
    argv = ["run", "--target", "-x**2", "--x-range", "-5,-1", "--out", "o", "--quiet"]
    cfg = config_from_args(p.parse_args(_join_dash_values(argv, p)))
    assert cfg.target == "-x**2" and cfg.x_range == [-5.0, -1.0]
    # end to end: parsed, then refused for another reason before any work
    err = _refused(capsys, ["--target", "-x**2", "--seed", "-1"], "seed must be", tmp_path / "o")
    assert "expected one argument" not in err
    # an option name after a flag is still an option
    with pytest.raises(SystemExit):
        main(["run", "--target", "--units", "2"])
    assert "expected one argument" in capsys.readouterr().err


def test_directory_as_data_or_config(tmp_path, capsys, no_work):
    _refused(capsys, ["--data", str(tmp_path)], "is a directory; pass a .csv", tmp_path / "o1")
    _refused(capsys, ["--config", str(tmp_path)], "is a directory; pass a TOML", tmp_path / "o2")


def test_csv_columns_chosen_on_the_command_line(tmp_path, capsys, no_work):
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n" + "".join(f"{i},{i % 3},{i * i}\n" for i in range(30)))
    _refused(capsys, ["--data", str(data)], "not 'x' and 'y'", tmp_path / "o1")
    # with the columns chosen the data load, and the run goes on to SGD (stubbed: refused)
    args = ["--data", str(data), "--x-col", "x1,x2", "--y-col", "y"]
    with pytest.raises(AssertionError, match="SGD started"):
        main(["run", *args, "--out", str(tmp_path / "o2"), "--quiet"])


def test_config_accepts_flag_spelling(tmp_path):
    from bayes_uat.cli import build_parser, config_from_args

    cfg_file = tmp_path / "run.toml"
    cfg_file.write_text("prior-std = 5.0\nsgd-restarts = 3\n")
    args = build_parser().parse_args(["run", "--config", str(cfg_file), "--out", "o"])
    cfg = config_from_args(args)
    assert cfg.prior_std == 5.0 and cfg.sgd_restarts == 3


def test_run_help_gives_every_option_a_line_its_default_and_choices(capsys):
    from bayes_uat.cli import build_parser

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # help lines wrap at the terminal width
    run = next(a for a in build_parser()._actions if hasattr(a, "choices") and a.choices).choices[
        "run"
    ]
    for a in run._actions:
        if a.dest in ("help", "config", "out", "resume"):
            continue
        assert a.help and "(default: " in a.help, a.option_strings
    assert "(default: gaussian)" in text and "(default: 1000)" in text
    assert "{nuts,ensemble,emcee,aies,smc}" in text and "{sigmoid,tanh," in text
    from bayes_uat.posterior import LIKELIHOODS

    assert "{" + ",".join(LIKELIHOODS) + "}" in text and "{uniform,gaussian,none}" in text
