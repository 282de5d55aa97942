"""Run records: round trip, atomic writes, and clear errors for anything that is not a run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bayes_uat import MLP, Posterior, load_run, make_dataset, records, sample, save_run, train_sgd
from bayes_uat.records import RunFormatError
from bayes_uat.summary import summarize


@pytest.fixture(scope="module")
def made():
    post = Posterior(MLP(2, "tanh"), make_dataset("sin", n=40, seed=1), likelihood="gaussian")
    sgd = train_sgd(post, restarts=3, steps=100, seed=0)
    s = sample(post, "aies", chains=16, warmup=50, draws=60, seed=0, sgd=sgd, progress=False)
    return post, sgd, s


def test_round_trip(tmp_path, made):
    post, sgd, s = made
    summary = summarize(post, s, sgd)
    save_run(tmp_path / "r", post, s, sgd=sgd, summary=summary)
    run = load_run(tmp_path / "r")
    np.testing.assert_array_equal(run.samples.theta, s.theta)
    np.testing.assert_array_equal(run.samples.log_prob, s.log_prob)
    assert run.samples.names == s.names == post.names
    assert run.samples.method == "aies" and run.samples.seed == 0
    for k, v in s.stats.items():
        np.testing.assert_array_equal(run.samples.stats[k], v)
    np.testing.assert_array_equal(run.sgd.thetas, sgd.thetas)
    np.testing.assert_array_equal(run.sgd.losses, sgd.losses)
    assert run.sgd.best_index == sgd.best_index and run.sgd.settings == sgd.settings
    # the rebuilt posterior is the same density (σ inferred: one extra parameter)
    assert run.posterior.dim == post.dim == post.net.dim + 1
    np.testing.assert_allclose(
        run.posterior.log_prob(s.theta[0]), post.log_prob(s.theta[0]), rtol=1e-12
    )
    assert run.summary["map"]["equation"] == summary["map"]["equation"]
    # ArviZ groups, with the pointwise log-likelihood for LOO
    groups = set(run.idata.groups())
    assert {
        "posterior",
        "sample_stats",
        "log_likelihood",
        "observed_data",
        "constant_data",
        "sgd",
    } <= groups
    assert run.idata.log_likelihood["y"].shape == (16, 60, 40)
    # no temporary files left behind; JSON is valid and strict
    assert not list((tmp_path / "r").glob("*.tmp"))
    json.loads((tmp_path / "r" / "summary.json").read_text())


def test_summary_carries_versions_and_seeds(made):
    post, sgd, s = made
    summary = summarize(post, s, sgd)
    assert summary["versions"]["jax"] and summary["versions"]["numpyro"]
    assert summary["sampler"]["seed"] == 0 and summary["sgd"]["seed"] == 0
    assert summary["sgd"]["mse"] == pytest.approx(float(post.mse(sgd.best)))


def test_loglik_is_thinned_when_large(made):
    post, _, s = made
    idata = records.to_inference_data(post, s, max_loglik_values=16 * 60 * 40 // 4)
    assert idata.log_likelihood.attrs["thin"] == 4
    assert idata.log_likelihood["y"].shape == (16, 15, 40)


def test_refuses_to_overwrite(tmp_path, made):
    post, sgd, s = made
    save_run(tmp_path / "r", post, s, sgd=sgd)
    with pytest.raises(FileExistsError, match="already holds a run.*overwrite"):
        save_run(tmp_path / "r", post, s, sgd=sgd)
    save_run(tmp_path / "r", post, s, sgd=sgd, overwrite=True)


def test_load_errors(tmp_path, made, monkeypatch):
    post, sgd, s = made
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_run(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFormatError, match="is not a run"):
        load_run(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunFormatError, match="not a directory"):
        load_run(tmp_path / "file")
    save_run(tmp_path / "trunc", post, s)
    nc = tmp_path / "trunc" / records.NETCDF
    nc.write_bytes(nc.read_bytes()[: nc.stat().st_size // 3])
    with pytest.raises(RunFormatError, match="truncated or corrupt"):
        load_run(tmp_path / "trunc")
    monkeypatch.setattr(records, "FORMAT_VERSION", records.FORMAT_VERSION + 1)
    save_run(tmp_path / "new", post, s)
    monkeypatch.undo()
    with pytest.raises(RunFormatError, match="newer bayes_uat"):
        load_run(tmp_path / "new")


def test_atomic_path_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "a.json"
    records.write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with records.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert json.loads(target.read_text()) == {"v": 1}
    assert not list(tmp_path.glob("*.tmp"))
