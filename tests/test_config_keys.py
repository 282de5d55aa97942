"""RunConfig: both key spellings, every range checked on construction, the run default."""

from __future__ import annotations

import pytest

from bayes_uat.config import RunConfig


def test_toml_accepts_flag_spellings(tmp_path):
    p = tmp_path / "run.toml"
    p.write_text('prior-std = 3.0\nsgd-steps = 7\nmax_tree_depth = 4\ntarget = "sin"\n')
    cfg = RunConfig.from_toml(p)
    assert (cfg.prior_std, cfg.sgd_steps, cfg.max_tree_depth, cfg.target) == (3.0, 7, 4, "sin")


def test_a_key_in_both_spellings_is_refused(tmp_path):
    p = tmp_path / "run.toml"
    p.write_text("prior-std = 3.0\nprior_std = 4.0\n")
    with pytest.raises(ValueError, match="key 'prior_std' is given twice"):
        RunConfig.from_toml(p)


def test_run_default_is_gaussian_with_inferred_sigma():
    cfg = RunConfig()
    assert cfg.likelihood == "gaussian" and cfg.noise_std is None


def test_directory_and_undecodable_config_files(tmp_path):
    with pytest.raises(ValueError, match="is a directory; pass a TOML file"):
        RunConfig.from_toml(tmp_path)
    p = tmp_path / "bad.toml"
    p.write_bytes(b"units = 2\n\xff\xfe\n")
    with pytest.raises(ValueError, match=r"bad\.toml' is not UTF-8 text"):
        RunConfig.from_toml(p)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(max_tree_depth=0), r"max_tree_depth must be an integer in \[1, 25\], got 0"),
        (dict(max_tree_depth=-1), r"max_tree_depth must be an integer in \[1, 25\], got -1"),
        (dict(seed=2**64), r"seed must be an integer in \[0, 4294967295\]"),
        (dict(data_seed=-1), r"data_seed must be an integer in \[0, 4294967295\]"),
        (dict(draws=0), "draws must be an integer >= 1, got 0"),
        (dict(warmup=-1), "warmup must be an integer >= 0"),
        (dict(chains=0), "chains must be an integer >= 1"),
        (dict(n=0), "n must be an integer >= 1"),
        (dict(chunk_size=0), "chunk_size must be an integer >= 1"),
        (dict(batch_size=0), "batch_size must be an integer >= 1"),
        (dict(sgd_restarts=0), "sgd_restarts must be an integer >= 1"),
        (dict(noise_scale=-1.0), "noise_scale must be a finite number >= 0"),
        (dict(noise_std=0.0), "noise_std must be a positive finite number"),
        (dict(likelihood="mse", noise_std=0.1), "noise_std applies to likelihood 'gaussian'"),
        (dict(target_accept=1.0), r"target_accept must be a number in \(0, 1\)"),
        (dict(prior_std=float("inf")), "prior_std must be a positive finite number"),
        (dict(x_range=[1.0, 1.0]), "x_range must have lo < hi"),
        (dict(x_range=[1.0]), "x_range must be two numbers"),
        (dict(noise="pink"), "config key 'noise': unknown value 'pink'"),
        (dict(dtype="float16"), "config key 'dtype': unknown value 'float16'"),
        (dict(data="d.csv", n=5), "do not apply to --data 'd.csv'"),
        (dict(x_col=["x1"]), "--x-col and --y-col choose columns of a --data file"),
    ],
)
def test_ranges_checked_on_construction(kw, match):
    with pytest.raises(ValueError, match=match):
        RunConfig(**kw)


@pytest.mark.parametrize("units", [0, [4, 0], -2])
def test_units_message_gives_the_cli_and_toml_spellings(units):
    with pytest.raises(ValueError) as e:
        RunConfig(units=units)
    msg = str(e.value)
    assert "--units linear" in msg and "--units 8,8" in msg and "units = 2, [8, 8] or []" in msg
    assert "units=()" not in msg
