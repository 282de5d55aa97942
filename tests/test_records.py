"""Run records: round trip, atomic writes, and clear errors for anything that is not a run."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from bayes_uat import (
    MLP,
    Dataset,
    Posterior,
    Samples,
    load_run,
    make_dataset,
    records,
    sample,
    save_run,
    train_sgd,
)
from bayes_uat import idata as idata_mod
from bayes_uat.records import RunFormatError
from bayes_uat.summary import summarize
from bayes_uat.variables import join, variables


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
    np.testing.assert_array_equal(run.samples.log_density, s.log_density)
    assert run.samples.names == s.names == post.names
    assert run.samples.sampler == "aies" and run.samples.seed == 0
    for k, v in s.stats.items():
        np.testing.assert_array_equal(run.samples.stats[k], v)
    np.testing.assert_array_equal(run.sgd.thetas, sgd.thetas)
    np.testing.assert_array_equal(run.sgd.losses, sgd.losses)
    assert run.sgd.best_index == sgd.best_index and run.sgd.settings == sgd.settings
    # the rebuilt posterior is the same density (σ inferred: one extra parameter)
    assert run.posterior.dim == post.dim == post.net.dim + 1
    np.testing.assert_allclose(
        run.posterior.log_density(s.theta[0]), post.log_density(s.theta[0]), rtol=1e-12
    )
    assert run.summary["map"]["equation"] == summary["map"]["equation"]
    # ArviZ groups, with the pointwise log-likelihood for LOO
    groups = set(run.idata.groups())
    assert {
        "posterior",
        "canonical",
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
    assert idata.log_likelihood.attrs["thin"] == 4 == idata.attrs["log_likelihood_thin"]
    assert idata.log_likelihood["y"].shape == (16, 15, 40)
    # the draw coordinates are the posterior's draw indices: selecting them gives the draws
    # whose pointwise log-likelihood the group holds
    draws = idata.log_likelihood["draw"].values
    np.testing.assert_array_equal(draws, np.arange(0, 60, 4))
    kept = idata.posterior.sel(draw=draws)
    theta = join(variables(post.net, noise="log_sigma"), kept, post.dim)
    np.testing.assert_allclose(
        idata.log_likelihood["y"].values, post.pointwise_log_likelihood(theta), rtol=1e-12
    )


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
    monkeypatch.setattr(idata_mod, "FORMAT_VERSION", records.FORMAT_VERSION + 1)
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


# -- the ArviZ layout (format 2) ---------------------------------------------------------------
NAMES_2 = ["w[1]", "w[2]", "b[1]", "b[2]", "a[1]", "a[2]", "c", "log_sigma"]


@pytest.fixture(scope="module")
def idata(made, tmp_path_factory):
    """The record as ArviZ reads the file, with nothing but ArviZ."""
    post, sgd, s = made
    path = tmp_path_factory.mktemp("rec") / "r"
    save_run(path, post, s, sgd=sgd)
    return records.arviz().from_netcdf(str(path / records.NETCDF))


def _theta_by_name(s, name):
    return s.theta[..., s.names.index(name)]


def test_posterior_holds_one_variable_per_parameter_kind(made, idata):
    post, _, s = made
    assert list(idata.posterior.data_vars) == ["w", "b", "a", "c", "log_sigma"]
    assert idata.posterior["w"].dims == ("chain", "draw", "unit")
    assert idata.posterior["c"].dims == ("chain", "draw")
    np.testing.assert_array_equal(idata.posterior["unit"].values, [1, 2])
    for var in ("w", "b", "a"):
        for u in (1, 2):
            np.testing.assert_array_equal(
                idata.posterior[var].sel(unit=u).values, _theta_by_name(s, f"{var}{u}")
            )
    np.testing.assert_array_equal(idata.posterior["log_sigma"].values, s.theta[..., -1])


def test_canonical_group_is_invariant_under_symmetries(made, idata):
    """The canonical group holds the canonical draws, the same whichever symmetric copy the
    sampler visited: permuting and flipping the units of every draw leaves it unchanged."""
    post, _, s = made
    from dataclasses import replace

    from bayes_uat.modes import to_canonical
    from bayes_uat.symmetry import transform

    vars_ = variables(post.net, noise="log_sigma")
    can = join(vars_, idata.canonical, post.dim)
    np.testing.assert_allclose(can, to_canonical(post, s.theta), rtol=1e-12)
    assert not np.allclose(can, s.theta)  # the sampler visited other copies
    moved = replace(s, theta=transform(post.net, s.theta, [1, 0], signs=[-1, 1]))
    other = records.to_inference_data(post, moved)
    np.testing.assert_allclose(join(vars_, other.canonical, post.dim), can, atol=1e-12)
    assert "flipped" in idata.canonical.attrs["form"]


@pytest.mark.parametrize("group", ["posterior", "canonical"])
def test_az_summary_has_one_row_per_parameter(made, idata, group):
    _, _, s = made
    az = records.arviz()
    table = az.summary(idata[group], round_to="none")
    assert list(table.index) == NAMES_2
    if group == "posterior":
        means = [_theta_by_name(s, n.replace("[", "").replace("]", "")).mean() for n in NAMES_2]
        np.testing.assert_allclose(table["mean"].values, means, rtol=1e-10)


@pytest.mark.parametrize(
    "group, compact, rows",
    [("posterior", True, 5), ("posterior", False, 8), ("canonical", False, 8)],
)
def test_az_plot_trace_has_one_row_per_parameter(idata, group, compact, rows):
    """compact (ArviZ's default): one row per variable, units overlaid; otherwise one row
    per parameter.  Four chains keep the figure cheap; the layout does not depend on them."""
    import matplotlib.pyplot as plt

    az = records.arviz()
    axes = az.plot_trace(idata[group].isel(chain=slice(4)), compact=compact, show=False)
    titles = [ax.get_title().replace("\n", "") for ax in axes[:, 0]]
    plt.close("all")
    assert axes.shape == (rows, 2)
    if compact:
        assert titles == ["w", "b", "a", "c", "log_sigma"]
    else:
        assert titles == ["w1", "w2", "b1", "b2", "a1", "a2", "c", "log_sigma"]


def test_az_plot_pair_and_forest_label_every_parameter(idata):
    import matplotlib.pyplot as plt

    az = records.arviz()
    axes = az.plot_pair(idata, var_names=["w", "c"], show=False)
    assert axes.shape == (2, 2)  # 3 parameters: w[1], w[2], c
    assert [ax.get_xlabel().replace("\n", " ") for ax in axes[-1]] == ["w 1", "w 2"]
    assert [ax.get_ylabel().replace("\n", " ") for ax in axes[:, 0]] == ["w 2", "c"]
    plt.close("all")
    for group in ("posterior", "canonical"):
        (ax,) = az.plot_forest(idata[group], combined=True, show=False)
        labels = [t.get_text() for t in ax.get_yticklabels()]
        # ArviZ names a variable once, then shows only the coordinates of its other entries
        assert sorted(labels) == sorted(
            ["w[1]", "[2]", "b[1]", "[2]", "a[1]", "[2]", "c", "log_sigma"]
        )
        plt.close("all")


def test_az_loo_reads_the_record(made, idata):
    """az.loo on the file: every draw and observation used, and its elpd agrees with plain
    importance-sampling LOO from the stored pointwise log-likelihood (PSIS smooths only the
    largest weights, which matter little on this well-fitted posterior)."""
    from scipy.special import logsumexp

    az = records.arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ's small-sample k-hat warning
        loo = az.loo(idata, pointwise=True)
    assert loo.n_samples == 16 * 60 and loo.n_data_points == 40
    ll = idata.log_likelihood["y"].values.reshape(-1, 40)
    is_loo = np.log(ll.shape[0]) - logsumexp(-ll, axis=0)
    np.testing.assert_allclose(loo.loo_i.values, is_loo, atol=0.05)
    assert loo.elpd_loo == pytest.approx(float(np.sum(loo.loo_i.values)))


def test_key_settings_are_readable_attributes(made, idata):
    a = idata.attrs
    assert a["format_version"] == 2
    expected = dict(
        sampler="aies", chains=16, draws=60, warmup=50, seed=0, units="2", activation="tanh",
        likelihood="gaussian", prior_std=30.0, n=40, target="sin", infers_sigma="true",
        log_likelihood_thin=1, sgd_restarts=3, sgd_steps=100,
        variables="w b a c log_sigma",
    )  # fmt: skip
    assert {k: a[k] for k in expected} == expected
    assert json.loads(a["config"])["model"]["activation"] == "tanh"  # the full config stays


@pytest.mark.parametrize(
    "net, likelihood, expected",
    [
        (MLP((3, 2), "tanh", in_dim=2), "mse", {"w1": (3, 2), "b1": (3,), "w2": (2, 3),
                                              "b2": (2,), "a": (2,), "c": ()}),
        (MLP((), "tanh"), "gaussian", {"w": (), "c": (), "log_sigma": ()}),
        (MLP(2, "tanh", bias=False), "student_t", {"w": (2,), "a": (2,), "log_sigma": ()}),
    ],
)  # fmt: skip
def test_deeper_linear_and_bias_free_networks_round_trip(tmp_path, net, likelihood, expected):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (20, net.in_dim)) if net.in_dim > 1 else rng.uniform(-1, 1, 20)
    post = Posterior(net, Dataset(x=x, y=rng.normal(size=20)), likelihood=likelihood)
    theta = rng.normal(size=(2, 5, post.dim))
    s = Samples(theta=theta, log_density=np.asarray(post.log_density(theta)), sampler="nuts",
                names=post.names)  # fmt: skip
    save_run(tmp_path / "r", post, s)
    run = load_run(tmp_path / "r")
    np.testing.assert_array_equal(run.samples.theta, theta)
    got = {k: v.shape[2:] for k, v in run.idata.posterior.data_vars.items()}
    assert got == expected
    assert set(run.idata.canonical.data_vars) == set(expected)


def test_format_1_record_still_loads():
    """A record written by the format-1 writer (θ as one ``theta`` variable, no canonical
    group), committed as tests/data/record_v1: it loads into the same in-memory Run."""
    run = load_run(Path(__file__).parent / "data" / "record_v1")
    assert run.idata.attrs["format_version"] == 1
    assert run.samples.theta.shape == (16, 6, 8)
    assert run.samples.names == ("w1", "b1", "a1", "w2", "b2", "a2", "c", "log_sigma")
    np.testing.assert_array_equal(run.samples.theta, run.idata.posterior["theta"].values)
    # the rebuilt posterior gives the stored log-probabilities for the stored draws
    np.testing.assert_allclose(
        run.posterior.log_density(run.samples.theta), run.samples.log_density, rtol=1e-6
    )
    assert run.sgd is not None and run.sgd.thetas.shape == (2, 8)


# -- corrupt and partial records -----------------------------------------------------------
@pytest.fixture(scope="module")
def saved(made, tmp_path_factory):
    """A record as save_run from Python writes it: no summary given, so summary.json is {}."""
    post, sgd, s = made
    path = tmp_path_factory.mktemp("saved") / "r"
    save_run(path, post, s, sgd=sgd)
    return path


def _copy(saved, tmp_path):
    import shutil

    return Path(shutil.copytree(saved, tmp_path / "run"))


def _rewrite(run_dir, *, drop_groups=(), drop_attrs=(), attrs=None, drop_vars=()):
    """Write the record's posterior.nc again with groups, attributes or variables removed."""
    az = records.arviz()
    nc = run_dir / records.NETCDF
    idata = az.from_netcdf(str(nc))
    idata.load()
    groups = {g: idata[g] for g in idata.groups() if g not in drop_groups}
    groups["posterior"] = groups["posterior"].drop_vars(list(drop_vars))
    new = {k: v for k, v in idata.attrs.items() if k not in drop_attrs} | (attrs or {})
    with warnings.catch_warnings(), records.atomic_path(nc) as tmp:
        warnings.simplefilter("ignore", UserWarning)
        az.InferenceData(attrs=new, **groups).to_netcdf(str(tmp))


NC_CASES = {
    "random bytes": (dict(raw=bytes(range(256)) * 8), "cannot be read.*truncated or corrupt"),
    "empty file": (dict(raw=b""), r"is empty \(0 bytes\)"),
    "missing groups": (
        dict(drop_groups=("sample_stats", "constant_data")),
        "lacks the group.*sample_stats, constant_data",
    ),
    "no config": (dict(drop_attrs=("config",)), "lacks its configuration"),
    "config not JSON": (dict(attrs={"config": "{model:"}), "'config' attribute is not JSON"),
    "config lacks model": (dict(attrs={"config": '{"data": {}}'}), "configuration lacks model"),
    "model cannot be built": (
        dict(attrs={"config": '{"model": {"units": [2], "activation": "nope"}, "data": {}}'}),
        "model cannot be rebuilt here.*nope",
    ),
    "variable missing": (dict(drop_vars=("c",)), r"incomplete or inconsistent.*variable\(s\) c"),
    "no format version": (dict(drop_attrs=("format_version",)), "not a bayes_uat run record"),
}


@pytest.mark.parametrize("case", list(NC_CASES))
def test_corrupt_or_partial_netcdf_is_named(saved, tmp_path, case):
    change, message = NC_CASES[case]
    run_dir = _copy(saved, tmp_path)
    if "raw" in change:
        (run_dir / records.NETCDF).write_bytes(change["raw"])
    else:
        _rewrite(run_dir, **change)
    with pytest.raises(RunFormatError, match=message) as info:
        load_run(run_dir)
    assert str(run_dir / records.NETCDF) in str(info.value)


@pytest.mark.parametrize(
    "content, message",
    [
        (bytes(range(128, 256)), "is not valid JSON.*UnicodeDecodeError"),
        (b'{"sampler": ', "is not valid JSON.*JSONDecodeError"),
        (b"[1, 2]", "holds a JSON list, not an object"),
    ],
)
def test_corrupt_summary_is_named(saved, tmp_path, content, message):
    run_dir = _copy(saved, tmp_path)
    (run_dir / records.SUMMARY).write_bytes(content)
    with pytest.raises(RunFormatError, match=message) as info:
        load_run(run_dir)
    assert str(run_dir / records.SUMMARY) in str(info.value)


def test_missing_summary_still_loads(saved, tmp_path):
    run_dir = _copy(saved, tmp_path)
    (run_dir / records.SUMMARY).unlink()
    assert load_run(run_dir).summary == {}


@pytest.mark.parametrize(
    "change, note",
    [
        (None, "summary.json is empty"),
        ("delete", "summary.json is missing"),
        ({"sampler": {"method": "aies"}}, "summary.json lacks parts of the report"),
    ],
)
def test_show_reports_a_record_saved_from_python(saved, tmp_path, capsys, change, note):
    """``bayes-uat show`` on what save_run writes without a summary (and on a summary.json
    that is gone or partial): the report is computed from posterior.nc, with a note."""
    from bayes_uat.cli import main

    run_dir = _copy(saved, tmp_path)
    if change == "delete":
        (run_dir / records.SUMMARY).unlink()
    elif change is not None:
        (run_dir / records.SUMMARY).write_text(json.dumps(change))
    assert main(["show", str(run_dir)]) == 0
    out, err = capsys.readouterr()
    assert note in err and "not saved" in err
    assert out.startswith("AIES: 16 walkers × 60 draws")
    assert "canonical θ: max R-hat" in out and "MAP sample" in out and "SGD (Adam)" in out
    summary = run_dir / records.SUMMARY  # show writes nothing
    if change == "delete":
        assert not summary.exists()
    else:
        assert json.loads(summary.read_text()) == (change or {})


def test_show_on_a_corrupt_record_is_a_clear_error(saved, tmp_path, capsys):
    from bayes_uat.cli import main

    run_dir = _copy(saved, tmp_path)
    _rewrite(run_dir, drop_attrs=("config",))
    assert main(["show", str(run_dir)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("bayes-uat: error: ") and "Traceback" not in err
    assert str(run_dir / records.NETCDF) in err and "lacks its configuration" in err
