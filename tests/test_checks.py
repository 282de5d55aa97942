"""Post-run warnings: each fires on the condition it names, and stays quiet otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_uat.checks import ebfmi, run_warnings
from bayes_uat.samples import Samples


def _nuts(C=4, D=500, *, diverging=0, depth_hits=0, energy=None, seed=0):
    rng = np.random.default_rng(seed)
    div = np.zeros((C, D), bool)
    div.flat[:diverging] = True
    depth = np.full((C, D), 3)
    depth.flat[:depth_hits] = 10
    energy = rng.standard_normal((C, D)) if energy is None else energy
    return Samples(
        theta=rng.standard_normal((C, D, 2)),
        log_density=np.zeros((C, D)),
        sampler="nuts",
        names=("w", "c"),
        stats=dict(diverging=div, tree_depth=depth, energy=energy),
        settings=dict(max_tree_depth=10),
    )


def _diag(rhat=1.0, ess=4000.0, tau=None):
    d = dict(max_rhat=rhat, min_ess_bulk=ess, rhat={"w": rhat, "c": 1.0})
    if tau is not None:
        d["autocorr_time"] = tau
    return {"canonical": d}


def codes(ws):
    return sorted(w["code"] for w in ws)


def test_clean_run_has_no_warnings():
    assert run_warnings(_nuts(), _diag()) == []


def test_each_warning_fires():
    assert codes(run_warnings(_nuts(diverging=3), _diag())) == ["divergences"]
    # 1 % of 2000 draws is 20: 20 hits is allowed, 21 is not
    assert codes(run_warnings(_nuts(depth_hits=20), _diag())) == []
    assert codes(run_warnings(_nuts(depth_hits=21), _diag())) == ["tree_depth"]
    assert codes(run_warnings(_nuts(), _diag(rhat=1.2))) == ["rhat"]
    assert codes(run_warnings(_nuts(), _diag(ess=50))) == ["ess"]
    # a random walk in energy has tiny step-to-step changes: E-BFMI ≪ 0.3
    walk = np.cumsum(np.random.default_rng(1).standard_normal((4, 500)), axis=1)
    ws = run_warnings(_nuts(energy=walk), _diag())
    assert codes(ws) == ["ebfmi"] and "chain(s) [0, 1, 2, 3]" in ws[0]["message"]
    for w in ws:
        assert w["fix"]


def test_ebfmi_of_independent_energies_is_about_two():
    # for i.i.d. energies E[(Eₜ − Eₜ₋₁)²] = 2 Var(E): E-BFMI ≈ 2, with relative error
    # ~ sqrt(2/D) per sum; 0.3 below 2 is many standard errors at D = 5000
    e = np.random.default_rng(0).standard_normal((3, 5000))
    np.testing.assert_allclose(ebfmi(e), 2.0, atol=0.3)


def test_ensemble_autocorr_warning():
    s = Samples(
        theta=np.zeros((8, 1000, 2)),
        log_density=np.zeros((8, 1000)),
        sampler="emcee",
        names=("w", "c"),
    )
    assert codes(run_warnings(s, _diag(tau=[10.0, 19.0]))) == []
    ws = run_warnings(s, _diag(tau=[10.0, 25.0]))
    assert codes(ws) == ["autocorr"] and "1250" in ws[0]["fix"]


@pytest.mark.parametrize("sampler", ["ensemble", "emcee", "aies"])
def test_rhat_warned_for_ensembles_saying_what_is_computed(sampler):
    s = Samples(
        theta=np.zeros((8, 1000, 2)),
        log_density=np.zeros((8, 1000)),
        sampler=sampler,
        names=("w", "c"),
    )
    assert codes(run_warnings(s, _diag(rhat=1.04))) == []
    ws = run_warnings(s, _diag(rhat=1.82))
    assert codes(ws) == ["rhat"]
    assert "across walkers" in ws[0]["message"] and "not independent chains" in ws[0]["message"]
