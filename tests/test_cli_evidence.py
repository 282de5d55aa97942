"""``bayes-uat evidence`` end to end: the table, its CSV and netCDF files, resuming a grid,
and bad input refused before any file or directory is created."""

from __future__ import annotations

import inspect

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
