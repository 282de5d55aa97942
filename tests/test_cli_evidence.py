"""``bayes-uat evidence`` end to end: the table, its CSV and netCDF files, resuming a grid,
and bad input refused before any file or directory is created."""

from __future__ import annotations

import csv
import inspect
import json

import numpy as np
import pytest

from bayes_uat import cli_evidence
from bayes_uat.cli import build_parser, main


def _flags(**over) -> list[str]:
    base = dict(units="1", activation="tanh", target="sin")
    base.update(over)
    out = []
    for k, v in base.items():
        out += [f"--{k.replace('_', '-')}", str(v)]
    return out


def test_defaults_are_the_api_defaults():
    """The command's defaults are bu.evidence's, so that the CLI and the API agree."""
    from bayes_uat.evidence import evidence

    api = {k: p.default for k, p in inspect.signature(evidence).parameters.items()}
    args = build_parser().parse_args(["evidence"])
    for k in ("runs", "seed", *cli_evidence.OPTIONS):
        assert getattr(args, k) == api[k], k


@pytest.mark.parametrize(
    "over, message",
    [
        (dict(units="0,2"), "--units takes positive integers"),
        (dict(units="1,x"), "--units takes integers"),
        (dict(units="2,2"), "lists a value twice"),
        (dict(activation="tanh,swish2"), "unknown swish2"),
        (dict(runs=1), "--runs must be at least 2"),
        (dict(hops=-1), "hops must be an integer >= 0"),
        (dict(particles=10, units="1,4"), "at least 2·dim = 28"),
        (dict(target_ess=1.5), "--target-ess must be in (0, 1)"),
        (dict(df=-1), "--df must be a positive number"),
        (dict(prior_std=0), "--prior-std must be a positive number"),
        (dict(seed=-3), "--seed must be in [0, 2**32 - 1]"),
        (dict(target="nope("), "expression"),
    ],
)
def test_bad_input_creates_nothing(tmp_path, capsys, over, message):
    out = tmp_path / "new" / "ev"
    assert main(["evidence", *_flags(**over), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert not (tmp_path / "new").exists()


def test_out_is_required(capsys):
    assert main(["evidence", *_flags()]) == 2
    assert "--out is required" in capsys.readouterr().err


def test_never_writes_over_user_files(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("mine")
    assert main(["evidence", *_flags(), "--out", str(f)]) == 2
    assert "not a directory" in capsys.readouterr().err
    d = tmp_path / "d"
    d.mkdir()
    (d / "notes.md").write_text("mine")
    assert main(["evidence", *_flags(), "--out", str(d)]) == 2
    assert "not this command's (notes.md)" in capsys.readouterr().err
    assert sorted(p.name for p in d.iterdir()) == ["notes.md"]
    assert (d / "notes.md").read_text() == "mine"
    # a user's file named like ours is refused too, unless --resume finds our settings
    e = tmp_path / "e"
    e.mkdir()
    (e / "evidence.csv").write_text("mine")
    assert main(["evidence", *_flags(), "--out", str(e)]) == 2
    assert "already holds an evidence table" in capsys.readouterr().err
    assert (e / "evidence.csv").read_text() == "mine"


TINY = dict(
    runs=2, restarts=8, sgd_steps=300, learning_rate=0.05, particles=64, steps=2,
    max_components=4,
)  # fmt: skip


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """One tiny grid (tanh, N = 1; two runs) through the command."""
    out = tmp_path_factory.mktemp("ev") / "grid"
    code = main(["evidence", *_flags(**TINY), "--out", str(out), "--quiet"])
    return out, code


def test_grid_end_to_end(grid, capsys):
    import xarray as xr

    from bayes_uat import make_dataset

    out, code = grid
    assert code == 0
    rows = list(csv.DictReader((out / "evidence.csv").read_text().splitlines()))
    assert [(r["activation"], r["units"], r["dim"]) for r in rows] == [("tanh", "1", "5")]
    (r,) = rows
    with xr.open_dataset(out / "evidence.nc", engine="h5netcdf") as ds:
        z = ds["log_evidence"].values
        assert z.shape == (1, 2)
        assert list(ds["activation"].values) == ["tanh"]
        np.testing.assert_allclose(ds["log_evidence_mean"].values, z.mean(axis=1))
        np.testing.assert_allclose(ds["log_evidence_se"].values, z.std(axis=1, ddof=1) / 2**0.5)
        np.testing.assert_allclose(ds["log_evidence_sd"].values, z.std(axis=1, ddof=1))
        assert json.loads(ds.attrs["settings"])["options"]["particles"] == 64
    assert float(r["log_evidence_mean"]) == pytest.approx(z.mean())
    assert json.loads(r["log_evidence_runs"]) == pytest.approx(z[0].tolist())
    # the hard bound: log Z never exceeds the largest log-likelihood found
    assert z.max() < float(r["max_log_likelihood"])
    assert float(r["chao1_unseen"]) >= 0 and int(r["modes_seen"]) >= 1
    assert 0 <= float(r["share_outside"]) <= 1
    assert isinstance(json.loads(r["warnings"]), list)
    # the draws' best MSE lies between the noise floor (variance of 0.2·U(0, 1)) and var y
    assert 0.2**2 / 12 < float(r["best_mse"]) < float(np.var(make_dataset("sin").y))
    modes = list(csv.DictReader((out / "modes.csv").read_text().splitlines()))
    assert modes and {m["activation"] for m in modes} == {"tanh"}
    assert {"mass", "mass_se", "mse", "copies", "centre_w1", "centre_log_sigma"} <= set(modes[0])
    assert sum(float(m["mass"]) for m in modes) <= 1 + 1e-9
    assert not list(out.glob(".checkpoint-*"))  # each network's checkpoint removed when done
    assert sorted(p.name for p in out.iterdir()) == sorted(cli_evidence.OUT_FILES)


def test_resume_keeps_done_networks(grid, capsys):
    """--resume on a finished grid recomputes nothing and prints the same table; other
    settings are refused."""
    out, _ = grid
    before = (out / "evidence.csv").read_text()
    assert main(["evidence", *_flags(**TINY), "--out", str(out), "--resume"]) == 0
    assert (out / "evidence.csv").read_text() == before
    cap = capsys.readouterr()
    assert "tanh N=1: done before, kept" in cap.err
    row = next(csv.DictReader((out / "evidence.csv").read_text().splitlines()))
    assert f"{float(row['log_evidence_mean']):.2f} ± {float(row['log_evidence_se']):.2f}" in cap.out
    other = [*_flags(**dict(TINY, particles=80)), "--out", str(out), "--resume"]
    assert main(["evidence", *other]) == 2
    assert "use the same settings" in capsys.readouterr().err


def test_table_shows_the_bridge_columns_only_when_computed():
    row = dict(
        activation="tanh", units=2, log_evidence_mean=-850.1, log_evidence_se=0.1,
        log_evidence_sd=0.2, max_log_likelihood=-800.0, best_mse=0.29, modes_seen=3,
        chao1_unseen=1.0, share_outside=0.0, warnings=(),
    )  # fmt: skip
    assert "bridge" not in cli_evidence.table_text([row])
    both = cli_evidence.table_text([
        dict(row, bridge_log_evidence_mean=-849.6, bridge_log_evidence_se=0.02,
             bridge_minus_smc=0.5),
        dict(row, units=3),
    ])  # fmt: skip
    assert "bridge − SMC" in both
    assert "-849.60 ± 0.02" in both and "+0.50" in both
    assert "nan ± nan" in both.splitlines()[3]  # the network without a bridge says so


def test_resume_refuses_a_changed_bridge_flag(grid, capsys):
    out, _ = grid
    assert main(["evidence", *_flags(**TINY), "--out", str(out), "--resume", "--bridge"]) == 2
    assert "use the same settings" in capsys.readouterr().err


@pytest.mark.slow
def test_bridge_end_to_end(tmp_path, capsys):
    """--bridge adds the bridge's log Z, its SE and its difference from the SMC to the table,
    the CSV and the netCDF file."""
    import xarray as xr

    out = tmp_path / "b"
    assert main(["evidence", *_flags(**TINY), "--out", str(out), "--quiet", "--bridge"]) == 0
    (r,) = list(csv.DictReader((out / "evidence.csv").read_text().splitlines()))
    b, se, d = (float(r[k]) for k in ("bridge_log_evidence_mean", "bridge_log_evidence_se",
                                      "bridge_minus_smc"))  # fmt: skip
    assert b < float(r["max_log_likelihood"]) and se > 0
    assert d == pytest.approx(b - float(r["log_evidence_mean"]))
    with xr.open_dataset(out / "evidence.nc", engine="h5netcdf") as ds:
        assert float(ds["bridge_log_evidence_mean"].values[0]) == pytest.approx(b)
    assert "bridge − SMC" in capsys.readouterr().out
