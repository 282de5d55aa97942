"""``bayes-uat run --prior-scaling neal``: the 1/√N output prior, its refusals, and a wide
network run end to end with the default figures."""

from __future__ import annotations

import math

import pytest

from bayes_uat import MLP, load_run
from bayes_uat.cli import main
from bayes_uat.config import RunConfig
from bayes_uat.runner import build_posterior
from bayes_uat.wide import neal_scaled, nngp_kernel


def test_neal_scaling_divides_the_output_prior_by_root_n():
    cfg = RunConfig(units=400, activation="relu", prior_std=2.0, prior_scaling="neal", n=30)
    by = {g.name: g for g in build_posterior(cfg).group_priors}
    assert float(by["a"].dist.scale) == pytest.approx(2.0 / 20.0)
    assert float(by["w1"].dist.scale) == 2.0 and float(by["c"].dist.scale) == 2.0
    # a group given on the command line is scaled too; the others keep theirs
    cfg = RunConfig(
        units=100, activation="relu", prior={"a": "normal(0, 3)", "w1": "normal(0, 1)"},
        prior_scaling="neal", n=30, noise_std=0.1,
    )  # fmt: skip
    post = build_posterior(cfg)
    by = {g.name: g for g in post.group_priors}
    assert float(by["a"].dist.scale) == pytest.approx(0.3)
    assert float(by["w1"].dist.scale) == 1.0
    # the run's posterior has a GP limit: σ_a = √N · 0.3 = 3
    k = nngp_kernel(post, [0.0], [0.0])[0, 0]
    assert k == pytest.approx(30.0**2 + 9.0 * 30.0**2 / 2)  # σ_c² + σ_a²·σ_b²/2, σ_b = 30
    # deeper: the weights out of a hidden layer of 16 units are scaled by 1/4
    deep = neal_scaled(MLP((16, 9), "relu"), None, 1.0)
    assert float(deep["w2"].scale) == pytest.approx(0.25)
    assert float(deep["a"].scale) == pytest.approx(1 / 3)


def test_neal_scaling_refusals(tmp_path, capsys):
    with pytest.raises(ValueError, match="linear model.*no output group 'a'"):
        RunConfig(units=[], prior_scaling="neal")
    with pytest.raises(ValueError, match="prior_scaling"):
        RunConfig(units=3, prior_scaling="ntk")
    with pytest.raises(ValueError, match="group 'a' has laplace.*normal prior"):
        build_posterior(
            RunConfig(units=3, prior={"a": "laplace(0, 1)"}, prior_scaling="neal", n=20)
        )
    out = tmp_path / "never"
    assert main(["run", "--units", "linear", "--prior-scaling", "neal", "--out", str(out)]) == 2
    assert "no output group" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
def test_wide_run_end_to_end_with_default_figures(tmp_path):
    """500 relu units (1 501 parameters), Neal prior, a few NUTS draws: the run finishes, is
    recorded with its scaled prior, and writes its standard figures (a corner plot of 16 of
    the parameters, and the fit). Slow: most of its time is the run's comparison and corner
    plots of 1 501 parameters, not the sampling (623 s on a shared 2-core machine)."""
    out = tmp_path / "wide"
    args = ["run", "--target", "sin(2*x) + 0.3*x**2 - 0.5*abs(x)", "--n", "40"]
    args += ["--units", "500", "--activation", "relu", "--prior-std", "2"]
    args += ["--prior-scaling", "neal", "--noise-std", "0.1", "--chains", "2"]
    args += ["--warmup", "10", "--draws", "10", "--max-tree-depth", "4"]
    args += ["--sgd-steps", "30", "--sgd-restarts", "2", "--quiet", "--out", str(out)]
    assert main(args) == 0
    run = load_run(out)
    assert run.samples.theta.shape == (2, 10, 1501)
    by = {g.name: g for g in run.posterior.group_priors}
    assert float(by["a"].dist.scale) == pytest.approx(2 / math.sqrt(500), rel=1e-5)
    assert run.config["run"]["prior_scaling"] == "neal"
    figs = {p.name for p in (out / "figures").iterdir()}
    assert {"fit.png", "corner.png", "corner_raw.png"} <= figs
