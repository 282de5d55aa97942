"""Faults found by probing the command and the library: each test reproduces one (bad input
that was taken, a finished run made unreachable, a file left behind) and checks the fix."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from bayes_uat import load_run
from bayes_uat.cli import main
from bayes_uat.runner import CHECKPOINT

SMALL = [
    "--target",
    "x2",
    "--n",
    "30",
    "--units",
    "1",
    "--sampler",
    "aies",
    "--chains",
    "8",
    "--warmup",
    "20",
    "--draws",
    "30",
    "--sgd-steps",
    "30",
    "--sgd-restarts",
    "2",
    "--likelihood",
    "mse",
    "--quiet",
]


def _without(flags: list[str], *names: str) -> list[str]:
    """``flags`` less the named flags and their values."""
    out, skip = [], False
    for a in flags:
        if skip:
            skip = False
        elif a in names:
            skip = a != "--quiet"
        else:
            out.append(a)
    return out


DATA_FLAGS = _without(SMALL, "--n")


@pytest.fixture
def no_work(monkeypatch):
    """Fail loudly if a refused run got as far as SGD."""
    import bayes_uat.runner as runner

    def sgd(*a, **k):
        raise AssertionError("SGD started before the input was validated")

    monkeypatch.setattr(runner, "run_sgd", sgd)


def _refused(capsys, argv, message):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("bayes-uat: error: ") and message in err, err
    assert "Traceback" not in err
    return err


# -- case 1: Student-t df bounded; a failed analysis step never loses the draws -------------
@pytest.mark.parametrize("df", ["1e-300", "0.001", "1e300"])
def test_student_t_df_out_of_range_refused_up_front(tmp_path, capsys, no_work, df):
    out = tmp_path / "run"
    flags = ["--likelihood", "student_t", "--df", df, "--chains", "10"]  # σ: 5 parameters
    _refused(capsys, ["run", *SMALL, *flags, "--out", str(out)], "df must be")
    assert not out.exists()


def test_student_t_df_out_of_range_refused_by_the_library():
    from bayes_uat import MLP, Posterior, make_dataset

    with pytest.raises(ValueError, match=r"df must be in \[0.01, 1e\+06\]"):
        Posterior(MLP(1), make_dataset("x2", n=10), likelihood="student_t", df=1e-300)


def _fail(exc):
    def raise_(*a, **k):
        raise exc

    return raise_


@pytest.mark.slow
def test_failed_analysis_keeps_the_draws_and_says_it_is_internal(tmp_path, capsys, monkeypatch):
    """numpy's "Eigenvalues did not converge" (a LinAlgError, so a ValueError) in the
    modes' Hessians after sampling, and a failed summary: the draws are saved, each step is
    recorded as failed and reported as an internal failure (exit 1, not the bad-input exit
    2), `show` recomputes the summary and `compare` retries the comparison."""
    import bayes_uat.runner as runner

    monkeypatch.setattr(
        runner, "compare", _fail(np.linalg.LinAlgError("Eigenvalues did not converge"))
    )
    monkeypatch.setattr(runner, "summarize", _fail(FloatingPointError("overflow")))
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out), "--no-figures"]) == 1
    err = capsys.readouterr().err
    assert "internal failure in step 'comparison'" in err and "not a problem with your" in err
    assert "internal failure in step 'summary' after sampling (FloatingPointError" in err
    assert "bayes-uat: error:" not in err
    assert str(out / "posterior.nc") in err and f"bayes-uat compare {out}" in err
    run = load_run(out)  # the draws are reachable
    assert run.samples.theta.shape == (8, 30, 4)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failed_steps"] == {
        "comparison": "LinAlgError: Eigenvalues did not converge",
        "summary": "FloatingPointError: overflow",
    }
    assert summary["sampler"]["draws"] == 30
    assert (out / CHECKPOINT).is_file()  # unfinished: --resume redoes the steps
    monkeypatch.undo()
    assert main(["show", str(out)]) == 0
    shown = capsys.readouterr()
    assert "this run is unfinished: step 'comparison' failed" in shown.err
    assert "diagnostics recomputed" in shown.err and "canonical θ: max R-hat" in shown.out
    assert main(["compare", str(out)]) == 0  # the retry works and clears that failure
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failed_steps"] == {"summary": "FloatingPointError: overflow"}
    assert "comparison" in summary


def test_numerical_failure_is_not_reported_as_bad_input(tmp_path, capsys, monkeypatch):
    import bayes_uat.runner as runner

    monkeypatch.setattr(runner, "run_sgd", _fail(np.linalg.LinAlgError("SVD did not converge")))
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out), "--no-figures"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bayes-uat: internal numerical failure (LinAlgError: SVD did not")
    assert "not a problem with your input" in err


# -- case 2: complex data refused, naming the file and column -------------------------------
@pytest.mark.parametrize("column", ["x", "y"])
def test_complex_data_refused(tmp_path, capsys, no_work, column):
    x, y = np.linspace(0, 1, 20), np.linspace(0, 1, 20)
    arrays = {"x": x, "y": y, column: (x if column == "x" else y) + 1j}
    np.savez(tmp_path / "c.npz", **arrays)
    flags = DATA_FLAGS
    err = _refused(
        capsys,
        ["run", *flags, "--data", str(tmp_path / "c.npz"), "--out", str(tmp_path / "o")],
        f"array {column!r} holds complex numbers",
    )
    assert str(tmp_path / "c.npz") in err
    assert not (tmp_path / "o").exists()


def test_complex_data_refused_by_the_library():
    import warnings

    from bayes_uat import Dataset

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: refused before any cast
        with pytest.raises(ValueError, match="y holds complex numbers"):
            Dataset(x=np.arange(3.0), y=np.arange(3.0) + 1j)


# -- case 3: "finished" includes the figures; case 6: resume clears every temporary ----------
def _interrupt_figures(monkeypatch):
    import bayes_uat.plots as plots

    def killed(*a, **k):
        raise KeyboardInterrupt  # what a kill while drawing looks like to the run

    monkeypatch.setattr(plots, "run_figures", killed)


@pytest.mark.slow
def test_run_interrupted_while_drawing_figures_is_finished_by_resume(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    _interrupt_figures(monkeypatch)
    assert main(["run", *SMALL, "--out", str(out)]) == 130
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pending_steps"] == ["figures"]
    assert (out / CHECKPOINT).is_file()  # not finished: the figures are missing
    assert main(["show", str(out)]) == 0  # the draws are reachable meanwhile
    assert "'figures' was not done (interrupted)" in capsys.readouterr().err
    # a kill also leaves the atomic writes' temporaries: resume clears them all
    (out / ".posterior.nc.k1ll3d.tmp").write_bytes(b"\0" * 1000)
    (out / ".summary.json.k1ll3d.tmp").write_text("{")
    (out / "figures").mkdir(exist_ok=True)
    (out / "figures" / ".corner.png.k1ll3d.tmp").write_bytes(b"\0")
    monkeypatch.undo()
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    assert (out / "figures" / "corner.png").is_file()
    assert not (out / CHECKPOINT).exists()
    left = [p.name for p in [*out.iterdir(), *(out / "figures").iterdir()]]
    assert not [n for n in left if n.endswith(".tmp")], left
    summary = json.loads((out / "summary.json").read_text())
    assert "pending_steps" not in summary and summary["failed_steps"] == {}


@pytest.mark.slow
def test_sweep_point_unfinished_after_sampling_is_resumed_not_skipped(tmp_path, monkeypatch):
    """A grid point whose comparison failed is a failed row (draws saved), one killed while
    drawing its figures is unfinished; rerunning the sweep resumes both to the end."""
    import bayes_uat.runner as runner
    from bayes_uat.config import RunConfig
    from bayes_uat.sweeps import ERROR_FILE, run_point

    cfg = RunConfig(
        n=30, units=1, sampler="aies", chains=8, warmup=20, draws=30, sgd_steps=30,
        sgd_restarts=2, likelihood="mse",
    ).to_dict()  # fmt: skip
    run_dir, attempts = tmp_path / "units=1", str(tmp_path / ".attempts")
    monkeypatch.setattr(runner, "compare", _fail(np.linalg.LinAlgError("no convergence")))
    row = run_point(cfg, str(run_dir), attempts, True)
    assert row["status"] == "failed" and "step 'comparison' failed" in row["error"], row
    assert "draws are saved" in (run_dir / ERROR_FILE).read_text()
    monkeypatch.undo()
    _interrupt_figures(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_point(cfg, str(run_dir), attempts, True)
    monkeypatch.undo()
    row = run_point(cfg, str(run_dir), attempts, True)
    assert row["status"] == "resumed", row
    assert (run_dir / "figures" / "corner.png").is_file()
    assert not (run_dir / CHECKPOINT).exists() and not (run_dir / ERROR_FILE).exists()
    assert run_point(cfg, str(run_dir), attempts, True)["status"] == "skipped"


# -- case 4: a group's prior given twice -----------------------------------------------------
def test_repeated_prior_for_one_group_refused(tmp_path, capsys, no_work):
    flags = ["--prior", "w1=normal(0, 1)", "--prior", "w1 = normal(0, 2)"]
    _refused(
        capsys,
        ["run", *SMALL, *flags, "--out", str(tmp_path / "o")],
        "--prior gives group 'w1' twice ('normal(0, 1)' and 'normal(0, 2)'); keep one",
    )


def test_prior_flag_overrides_the_config_files_prior(tmp_path):
    from bayes_uat.cli import build_parser, config_from_args

    toml = tmp_path / "run.toml"
    toml.write_text('[prior]\nw1 = "normal(0, 5)"\n')
    args = build_parser().parse_args(
        ["run", "--config", str(toml), "--prior", "w1=normal(0, 1)", "--out", "o"]
    )
    assert config_from_args(args).prior == {"w1": "normal(0, 1)"}


# -- case 5: empty items in list flags ---------------------------------------------------------
@pytest.mark.parametrize(
    "flag, value",
    [
        ("--units", "2,,2"),
        ("--units", "2,"),
        ("--units", ",2"),
        ("--bias", "true,,false"),
        ("--x-range", "-1,,1"),
    ],
)
def test_empty_item_in_a_list_flag_refused(tmp_path, capsys, no_work, flag, value):
    message = "--x-range must be two numbers" if flag == "--x-range" else "has an empty item"
    argv = ["run", *SMALL, "--sampler=nuts", f"{flag}={value}"]  # nuts: any width is valid
    _refused(capsys, [*argv, "--out", str(tmp_path / "o")], message)
    assert not (tmp_path / "o").exists()


def test_empty_item_in_x_col_refused(tmp_path, capsys, no_work):
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n2,3,4\n")
    argv = ["run", "--data", str(tmp_path / "d.csv"), "--x-col", "a,,b", "--y-col", "y"]
    _refused(capsys, [*argv, "--out", str(tmp_path / "o")], "--x-col 'a,,b' has an empty item")


# -- case 7: refusals create no --out ------------------------------------------------------------
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--sampler", "smc", "--draws", "5"], "draws must be an integer >= 8, got 5"),
        (["--prior-std", "1e-300"], "prior_std is 1e-300, below 1e-12"),
        (["--prior", "w1=normal(0, 1e-300)"], "is 1e-300, below 1e-12"),
        (["--prior", "a=1e-300"], "the prior scale for a is 1e-300"),
    ],
)
def test_refused_run_creates_no_out(tmp_path, capsys, no_work, flags, message):
    out = tmp_path / "deep" / "run"
    base = _without(SMALL, "--warmup") if "smc" in flags else SMALL  # SMC: no warm-up
    _refused(capsys, ["run", *base, *flags, "--out", str(out)], message)
    assert not (tmp_path / "deep").exists()


def test_run_refused_at_its_start_points_leaves_no_out(tmp_path, capsys, monkeypatch):
    """Start points from SGD can only be checked after SGD: a refusal there removes the
    directory the run created (it holds nothing yet)."""
    import bayes_uat.runner as runner

    real = runner.run_sgd

    def nan_sgd(cfg, posterior):
        res = real(cfg, posterior)
        return replace(res, thetas=np.full_like(res.thetas, np.nan))

    monkeypatch.setattr(runner, "run_sgd", nan_sgd)
    out = tmp_path / "deep" / "run"
    _refused(capsys, ["run", *SMALL, "--out", str(out), "--no-figures"], "not finite")
    assert not out.exists()


def test_prior_start_points_checked_before_any_work(tmp_path, no_work):
    """--init prior: the start points are drawn and checked by check_run itself."""
    from bayes_uat.config import RunConfig
    from bayes_uat.runner import check_run

    cfg = RunConfig(units=1, n=20, sampler="nuts", init="prior", draws=10, warmup=10)
    posterior = check_run(cfg, tmp_path / "r", overwrite=False, resume=False)
    assert posterior.dim == 5 and not (tmp_path / "r").exists()


# -- case 8: enormous data values are refused speaking of the data -----------------------------
@pytest.mark.parametrize("column", ["x", "y"])
def test_data_too_large_to_compute_with_refused(tmp_path, capsys, no_work, column):
    v = np.linspace(-1, 1, 20)
    np.savez(tmp_path / "big.npz", **{"x": v, "y": v, column: v * 1e300})
    flags = DATA_FLAGS
    err = _refused(
        capsys,
        ["run", *flags, "--data", str(tmp_path / "big.npz"), "--out", str(tmp_path / "o")],
        f"{column} has 20 value(s) beyond ±1e+150",
    )
    assert str(tmp_path / "big.npz") in err and "sigma_scale" not in err


# -- case 9: show on a sweep whose sweep.json is garbage ----------------------------------------
@pytest.mark.parametrize("text", ["garbage{", "[1, 2]", '{"grid": 3}'])
def test_show_on_a_garbled_sweep_description_names_the_file(tmp_path, capsys, text):
    (tmp_path / "sweep.json").write_text(text)
    err = _refused(capsys, ["show", str(tmp_path)], "is not a sweep description")
    assert str(tmp_path / "sweep.json") in err


# -- case 10: an .npz holding an object array ----------------------------------------------------
def test_npz_with_an_object_array_names_file_and_array(tmp_path):
    from bayes_uat import load_dataset

    np.savez(tmp_path / "o.npz", x=np.array([1, "a"], dtype=object), y=np.ones(2))
    with pytest.raises(ValueError, match=r"o\.npz: array 'x' holds Python objects"):
        load_dataset(tmp_path / "o.npz")


# -- case 11: an unknown base key of a grid file is named once ----------------------------------
def test_unknown_base_key_of_a_grid_named_once(tmp_path, capsys):
    (tmp_path / "g.toml").write_text("bogus = 1\n[grid]\nunits = [1, 2]\n")
    err = _refused(capsys, ["sweep", str(tmp_path / "g.toml"), "--out", str(tmp_path / "s")], "")
    assert "unknown base setting(s) ['bogus']" in err and "grid point" not in err
    assert not (tmp_path / "s").exists()


def test_bad_grid_value_names_its_point_once(tmp_path, capsys):
    (tmp_path / "g.toml").write_text("[grid]\nunits = [1, 0]\n")
    err = _refused(capsys, ["sweep", str(tmp_path / "g.toml"), "--out", str(tmp_path / "s")], "")
    assert err.count("grid point units=0") == 1, err


# -- case 12: resuming a run killed before its first checkpoint ---------------------------------
def test_resume_with_nothing_saved_says_so_and_how_to_start_afresh(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / f".{CHECKPOINT}.x1.tmp").write_bytes(b"\0")  # the first checkpoint, half written
    err = _refused(capsys, ["run", "--resume", str(out)], "nothing was saved there")
    assert f"with --out {out} instead of --resume" in err


# -- case 13: degenerate data warn, naming what to set ----------------------------------------
@pytest.mark.parametrize("y", [[2.5], [1000.0] * 20, [0.0] * 20])
def test_degenerate_data_warns_naming_what_to_set(y):
    from bayes_uat import MLP, Dataset, Posterior
    from bayes_uat.checks import degenerate_data_warning

    x = np.linspace(-1, 1, len(y))
    post = Posterior(MLP(1), Dataset(x=x, y=np.asarray(y)), likelihood="gaussian")
    w = degenerate_data_warning(post)
    assert w is not None and w["code"] == "degenerate_data"
    assert ("one point" in w["message"]) == (len(y) == 1)
    assert "--noise-std" in w["fix"] and "--noise-prior" in w["fix"]
    for kw in (dict(noise_std=1.0), dict(sigma_scale=3.0), dict(likelihood="mse")):
        kw = {"likelihood": "gaussian", **kw}
        assert (
            degenerate_data_warning(Posterior(MLP(1), Dataset(x=x, y=np.asarray(y)), **kw)) is None
        )
    spread = Posterior(
        MLP(1), Dataset(x=x, y=x if len(y) > 1 else np.asarray(y) + x), likelihood="gaussian"
    )
    assert len(y) == 1 or degenerate_data_warning(spread) is None


def test_degenerate_data_warning_is_a_run_warning():
    """fit_warnings (what summary.json and the report list) carries it."""
    from bayes_uat import MLP, Dataset, Posterior, Samples
    from bayes_uat.checks import fit_warnings

    data = Dataset(x=np.linspace(0, 1, 20), y=np.full(20, 7.0))
    post = Posterior(MLP(1), data, likelihood="gaussian")
    theta = np.random.default_rng(0).standard_normal((2, 5, post.dim))
    samples = Samples(theta, np.asarray(post.log_density(theta)), "aies", post.names)
    found = fit_warnings(post, samples)
    assert [w["message"] for w in found if w["code"] == "degenerate_data"] == [
        "y is constant (7 at all 20 points), so the half-normal prior on the noise σ takes no "
        "scale from y and falls back to 0.001, whatever y's size; that choice sets σ and the "
        "log-posterior"
    ]


# -- case 14: labels True/False read as 1/0 ------------------------------------------------
def test_boolean_labels_read_as_one_and_zero(tmp_path):
    from bayes_uat import load_dataset

    (tmp_path / "b.csv").write_text("x,y\n0.1,True\n0.2,false\n0.3,1\n0.4,FALSE\n")
    (tmp_path / "h.csv").write_text("0.1,True\n0.2,false\n0.3,1\n0.4,FALSE\n")
    np.savez(tmp_path / "b.npz", x=[0.1, 0.2, 0.3, 0.4], y=np.array([True, False, True, False]))
    for f in ("b.csv", "h.csv", "b.npz"):
        np.testing.assert_array_equal(load_dataset(tmp_path / f).y, [1.0, 0.0, 1.0, 0.0])
    (tmp_path / "w.csv").write_text("x,y\n0.1,yes\n")
    with pytest.raises(ValueError, match="every value must be a number"):
        load_dataset(tmp_path / "w.csv")
