"""The command with every sampler: records that read back whole, each sampler's own words,
sampler options from flags and TOML, and --resume keeping every setting."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from bayes_uat import load_run
from bayes_uat.cli import build_parser, config_from_args, main
from bayes_uat.config import RunConfig
from bayes_uat.records import arviz
from bayes_uat.runner import CHECKPOINT
from bayes_uat.samplers import SAMPLERS
from bayes_uat.vocabulary import OPTIONS, WORDS, size_text

# x² on 40 points, one sigmoid unit: dim 4, so ensembles need ≥ 8 walkers, SMC ≥ 8 particles
BASE = [
    "--target", "x2", "--n", "40", "--units", "1", "--likelihood", "mse",
    "--sgd-steps", "50", "--sgd-restarts", "2",
]  # fmt: skip
SIZES = {
    "nuts": ["--chains", "2", "--warmup", "30", "--draws", "30"],
    "ensemble": ["--chains", "8", "--warmup", "30", "--draws", "40"],
    "emcee": ["--chains", "8", "--warmup", "30", "--draws", "40"],
    "aies": ["--chains", "8", "--warmup", "30", "--draws", "40"],
    "smc": ["--chains", "2", "--draws", "40", "--option", "steps=3"],
}


def test_every_sampler_is_exercised():
    assert set(SIZES) == set(SAMPLERS) == set(WORDS) == set(OPTIONS)


@pytest.mark.parametrize("sampler", list(SIZES))
def test_every_record_run_writes_show_reads_without_a_note(tmp_path, capsys, sampler):
    """``run`` then ``show``: the record reads back whole (no "recomputed" note), and the
    run speaks the sampler's own words in its header, report, record and summary."""
    out = tmp_path / sampler
    args = ["run", *BASE, "--sampler", sampler, *SIZES[sampler], "--out", str(out)]
    assert main([*args, "--no-figures"]) == 0
    run_out = capsys.readouterr()
    chains, draws = (int(SIZES[sampler][i]) for i in (1, SIZES[sampler].index("--draws") + 1))
    size = size_text(sampler, chains, draws)
    header = next(line for line in run_out.err.splitlines() if line.startswith("sampling:"))
    assert size in header and WORDS[sampler].title in header
    assert size in run_out.out

    assert main(["show", str(out)]) == 0
    shown = capsys.readouterr()
    assert "note:" not in shown.err and "recomputed" not in shown.err, shown.err
    assert f"{WORDS[sampler].title}: {size} in " in shown.out

    attrs = arviz().from_netcdf(str(out / "posterior.nc")).attrs
    summary = json.loads((out / "summary.json").read_text())
    assert attrs["chains_are"] == summary["sampler"]["chains_are"] == WORDS[sampler].chains
    assert attrs["draws_are"] == summary["sampler"]["draws_are"]
    if sampler == "smc":
        assert " after " not in header and "burn-in" not in header  # no warm-up steps
        assert "warmup" not in attrs and "init" not in attrs and "warmup" not in summary["sampler"]
        assert attrs["draws_are"] == "particles per independent run" and attrs["steps"] == 3
        # the evidence is printed by the run itself, and by show
        for text in (run_out.out, shown.out):
            assert text.count("log evidence log p(D) = ") == 1
        # the final λ = 1 is one progress line, not two
        assert sum("λ = 1," in line for line in run_out.err.splitlines()) == 1
        assert "--warmup" not in " ".join(w["fix"] for w in summary["warnings"])
    if sampler in ("ensemble", "emcee", "aies"):  # τ of raw and of canonical θ, named
        assert "autocorr_time" not in summary["sampler"]
        assert len(summary["sampler"]["autocorr_time_raw"]) == 4
        assert len(summary["diagnostics"]["canonical"]["autocorr_time"]) == 4
        assert "τ: integrated autocorrelation time, canonical θ up to " in shown.out
        assert ", raw θ up to " in shown.out
    if sampler != "smc":
        assert " after 30 " in header and int(attrs["warmup"]) == 30 and attrs["init"] == "sgd"
        assert "log evidence" not in run_out.out


def test_show_reads_summaries_that_name_the_sampler_method(tmp_path, capsys):
    """Records written before the sampler was called "name" in summary.json read too."""
    out = tmp_path / "r"
    assert main(["run", *BASE, "--sampler", "aies", *SIZES["aies"], "--out", str(out),
                 "--no-figures", "--quiet"]) == 0  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    summary["sampler"]["method"] = summary["sampler"].pop("name")
    (out / "summary.json").write_text(json.dumps(summary))
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    assert "note:" not in capsys.readouterr().err


# -- sampler options ----------------------------------------------------------------------------
def _cfg(argv: list[str]) -> RunConfig:
    return config_from_args(build_parser().parse_args(["run", *argv, "--out", "o"]))


def test_options_from_flags_and_toml(tmp_path):
    cfg = _cfg(["--sampler", "smc", "--option", "mass=dense", "--option", "steps=20",
                "--option", "symmetry_moves=false", "--option", "max_steps=none"])  # fmt: skip
    assert cfg.options == dict(mass="dense", steps=20, symmetry_moves=False, max_steps=None)
    cfg = _cfg(["--sampler", "ensemble", "--option", "moves={stretch = 0.8, de = 0.2}",
                "--option", "stretch_a=3"])  # fmt: skip
    assert cfg.options == dict(moves=dict(stretch=0.8, de=0.2), stretch_a=3.0)
    toml = tmp_path / "run.toml"
    toml.write_text('sampler = "smc"\n[options]\nmass = "diag"\ntarget-ess = 0.7\n')
    cfg = _cfg(["--config", str(toml), "--option", "steps=4"])  # flags add to the table
    assert cfg.options == dict(mass="diag", target_ess=0.7, steps=4)
    assert RunConfig.from_toml(toml).options == dict(mass="diag", target_ess=0.7)


@pytest.fixture
def no_work(monkeypatch):
    import bayes_uat.runner as runner

    def sgd(*a, **k):
        raise AssertionError("SGD started before the options were validated")

    monkeypatch.setattr(runner, "run_sgd", sgd)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--sampler", "smc", "--option", "stepz=3"], "unknown option 'stepz' for sampler 'smc'"),
        (["--sampler", "smc", "--option", "steps=many"], "takes an integer"),
        (["--sampler", "smc", "--option", "mass=full"], "unknown mass 'full'"),
        (["--sampler", "smc", "--option", "steps=0"], "steps"),
        (["--sampler", "smc", "--option", "target_ess=1.5"], "target_ess must be"),
        (["--sampler", "ensemble", "--option", "stretch_a=0.5"], "stretch_a must be a number > 1"),
        (["--sampler", "ensemble", "--option", "mass=dense"], "its options: moves, stretch_a"),
        (["--sampler", "aies", "--option", "moves=walk"], "unknown AIES moves 'walk'"),
        (["--sampler", "emcee", "--option", "moves=de"], "none settable from the command line"),
        (["--sampler", "nuts", "--option", "target_accept=0.95"], "use --target-accept"),
        (["--sampler", "nuts", "--option", "chain_method=threads"], "chain_method"),
        (["--option", "steps"], "--option takes KEY=VALUE"),
        (["--sampler", "smc", "--target-accept", "0.7"], "(smc's own: --option target_accept="),
        (["--sampler", "aies", "--dense-mass"], "--dense-mass applies to NUTS only: drop it"),
    ],
)  # fmt: skip
def test_bad_options_refused_before_any_work(tmp_path, capsys, no_work, flags, message):
    out = tmp_path / "deep" / "run"
    argv = ["run", *BASE, *flags, "--out", str(out), "--quiet", "--no-figures"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayes-uat: error: ") and message in err, err
    assert not (tmp_path / "deep").exists()


def test_settings_smc_does_not_use_get_a_note(capsys):
    """--warmup and --init mean nothing to SMC (it starts from the prior): the command says
    they are ignored, and the run's words say neither."""
    cfg = _cfg(["--sampler", "smc", "--warmup", "100", "--init", "prior"])
    err = capsys.readouterr().err
    assert "note: --warmup: tempered SMC has no warm-up (it starts from the prior): ignored" in err
    assert "note: --init: tempered SMC draws its own start points from the prior: ignored" in err
    assert cfg.sampler == "smc"
    _cfg(["--sampler", "nuts", "--warmup", "100", "--init", "prior"])
    assert capsys.readouterr().err == ""


def test_help_lists_every_option_with_its_default(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for sampler, opts in OPTIONS.items():
        defaults = SAMPLERS[sampler].options
        for key in opts:
            shown = defaults[key]
            shown = (
                "none"
                if shown is None
                else str(shown).lower()
                if isinstance(shown, bool)
                else shown
            )
            assert f"{key}={shown} {opts[key].help}" in text, key
    for words in ("independent runs", "particles per run", "walkers", "smc"):
        assert words in text


# -- resume keeps every setting -----------------------------------------------------------------
def test_resume_keeps_every_original_setting(tmp_path, capsys, monkeypatch):
    """A run stopped after its first checkpoint and resumed with --resume alone finishes with
    every setting it was started with: the whole configuration (sampler options included)
    and --no-figures."""
    import bayes_uat.runner as runner

    out = tmp_path / "run"
    argv = [
        *BASE, "--sampler", "ensemble", "--chains", "10", "--warmup", "20", "--draws", "60",
        "--chunk-size", "20", "--option", "moves={stretch = 0.7, de = 0.3}",
        "--option", "stretch_a=2.5", "--seed", "7", "--prior-std", "20", "--data-seed", "3",
        "--learning-rate", "0.05", "--init", "prior",
    ]  # fmt: skip
    cfg = _cfg(argv)
    write = runner.write_checkpoint

    def stop_after_first(*a, **k):
        write(*a, **k)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "write_checkpoint", stop_after_first)
    assert main(["run", *argv, "--out", str(out), "--no-figures", "--quiet"]) == 130
    assert (out / CHECKPOINT).is_file() and runner.checkpoint_figures(out) is False
    monkeypatch.setattr(runner, "write_checkpoint", write)
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    run = load_run(out)
    assert run.config["run"] == json.loads(json.dumps(cfg.to_dict()))
    assert run.samples.theta.shape == (10, 60, 4)
    assert run.samples.settings["stretch_a"] == 2.5
    assert not (out / "figures").exists()  # --no-figures kept
    assert sorted(os.listdir(out)) == ["posterior.nc", "summary.json"]
    # the same run straight through: identical draws
    straight = tmp_path / "straight"
    assert main(["run", *argv, "--out", str(straight), "--no-figures", "--quiet"]) == 0
    np.testing.assert_array_equal(load_run(straight).samples.theta, run.samples.theta)


def test_resume_refuses_a_changed_option(tmp_path, capsys):
    from bayes_uat.runner import CHECKPOINT_FORMAT

    out = tmp_path / "run"
    out.mkdir()
    cfg = RunConfig(sampler="smc", options=dict(steps=5))
    np.savez(out / CHECKPOINT, config=json.dumps(cfg.to_dict()), format=CHECKPOINT_FORMAT,
             theta=np.zeros((1, 1, 1)), log_prob=np.zeros((1, 1)))  # fmt: skip
    assert main(["run", "--resume", str(out), "--option", "steps=6"]) == 2
    assert "--option" in capsys.readouterr().err
    args = build_parser().parse_args(["run", "--resume", str(out), "--option", "steps=5"])
    from bayes_uat.cli import run_config

    assert run_config(args) == cfg
