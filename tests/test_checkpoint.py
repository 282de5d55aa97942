"""Run-directory checkpoints: named state, format and numpyro versions, corrupt files refused
with a message naming the file, stale temporaries removed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bayes_uat.config import RunConfig
from bayes_uat.optimize import SGDResult
from bayes_uat.runner import (
    CHECKPOINT,
    build_posterior,
    checkpoint_config,
    read_checkpoint,
    remove_stale_temporaries,
    write_checkpoint,
)
from bayes_uat.samples import Samples


@pytest.fixture(scope="module")
def setup():
    cfg = RunConfig(sampler="ensemble", units=1, activation="tanh", n=20, draws=10)
    post = build_posterior(cfg)
    rng = np.random.default_rng(0)
    sgd = SGDResult(
        thetas=rng.standard_normal((2, post.dim)),
        losses=rng.standard_normal((2, 5)),
        final_loss=np.array([1.0, 2.0]),
        best_index=0,
        settings={"seed": 0},
    )
    samples = Samples(
        theta=rng.standard_normal((8, 3, post.dim)),
        log_density=rng.standard_normal((8, 3)),
        sampler="ensemble",
        names=post.names,
        stats={"accepted": rng.random((8, 3)) < 0.5},
    )
    state = {"x": rng.standard_normal((8, post.dim)), "step": np.asarray(13)}
    return cfg, post, sgd, samples, state


def test_round_trip_keeps_named_state_and_stats(tmp_path, setup):
    cfg, post, sgd, samples, state = setup
    write_checkpoint(tmp_path / CHECKPOINT, cfg, sgd, samples, state)
    sgd2, samples2, state2 = read_checkpoint(tmp_path / CHECKPOINT, post, cfg)
    assert sorted(state2) == ["step", "x"] and int(state2["step"]) == 13
    np.testing.assert_array_equal(state2["x"], state["x"])
    np.testing.assert_array_equal(samples2.theta, samples.theta)
    np.testing.assert_array_equal(samples2.stats["accepted"], samples.stats["accepted"])
    assert checkpoint_config(tmp_path) == cfg
    with np.load(tmp_path / CHECKPOINT) as f:
        assert int(f["format"]) == 2 and str(f["numpyro_version"])


def test_a_checkpoint_with_the_older_key_log_prob_still_reads(tmp_path, setup):
    """Checkpoints written before the key was named ``log_density`` resume unchanged."""
    cfg, post, sgd, samples, state = setup
    write_checkpoint(tmp_path / CHECKPOINT, cfg, sgd, samples, state)
    with np.load(tmp_path / CHECKPOINT) as f:
        arrays = {k: f[k] for k in f.files}
    assert "log_density" in arrays and "log_prob" not in arrays
    arrays["log_prob"] = arrays.pop("log_density")
    np.savez(tmp_path / CHECKPOINT, **arrays)
    _, samples2, _ = read_checkpoint(tmp_path / CHECKPOINT, post, cfg)
    np.testing.assert_array_equal(samples2.log_density, samples.log_density)


def _valid_bytes(tmp_path, setup) -> bytes:
    cfg, _, sgd, samples, state = setup
    write_checkpoint(tmp_path / "good.npz", cfg, sgd, samples, state)
    return (tmp_path / "good.npz").read_bytes()


@pytest.mark.parametrize("kind", ["random", "empty", "truncated"])
def test_corrupt_checkpoints_are_refused_naming_the_file(tmp_path, setup, kind):
    cfg, post, *_ = setup
    good = _valid_bytes(tmp_path, setup)
    data = {
        "random": np.random.default_rng(1).bytes(4000),
        "empty": b"",
        "truncated": good[: len(good) // 2],
    }[kind]
    path = tmp_path / CHECKPOINT
    path.write_bytes(data)
    for call in (lambda: read_checkpoint(path, post, cfg), lambda: checkpoint_config(tmp_path)):
        with pytest.raises(ValueError, match=f"{CHECKPOINT}: not a readable checkpoint") as e:
            call()
        assert "pickle" not in str(e.value)


def test_stateless_old_format_and_other_numpyro_are_refused(tmp_path, setup):
    cfg, post, sgd, samples, state = setup
    path = tmp_path / CHECKPOINT
    write_checkpoint(path, cfg, sgd, samples, {})
    with pytest.raises(ValueError, match="holds no sampler state"):
        read_checkpoint(path, post, cfg)
    write_checkpoint(path, cfg, sgd, samples, state)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    with path.open("wb") as fh:
        np.savez(fh, **{**arrays, "format": 1})
    with pytest.raises(ValueError, match="checkpoint format 1, but this bayes_uat reads format 2"):
        read_checkpoint(path, post, cfg)
    with path.open("wb") as fh:
        np.savez(fh, **{**arrays, "numpyro_version": "0.0.1"})
    with pytest.raises(ValueError, match="written by numpyro 0.0.1"):
        read_checkpoint(path, post, replace(cfg, sampler="nuts"))


def test_stale_temporaries_are_removed(tmp_path):
    stale = tmp_path / f".{CHECKPOINT}.abc123.tmp"
    stale.write_bytes(b"")
    mine = tmp_path / "notes.tmp"
    mine.write_text("user file")
    remove_stale_temporaries(tmp_path)
    assert not stale.exists() and mine.exists()
