"""An adversarial pass over the command's newer surfaces: wide networks, the settings that
reach SMC and the ensembles, sweeps of those, records and evidence.

Each case is one input a user could give. A refused case must exit 2 with one line
``bayes-uat: error: …`` naming what was wrong, no traceback, no Python warning, and no
``--out`` left behind; an accepted case must get through every check and start work (SGD),
holding and then releasing the run's lock. Run with ``pytest -m slow tests/test_adversarial.py``.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

from bayes_uat.cli import main
from bayes_uat.rundir import LOCK

pytestmark = pytest.mark.slow

BASE = {
    "--target": "x2",
    "--n": "30",
    "--units": "1",
    "--sampler": "aies",
    "--chains": "8",
    "--warmup": "20",
    "--draws": "30",
    "--sgd-steps": "30",
    "--sgd-restarts": "2",
    "--likelihood": "mse",
}


class Reached(BaseException):
    """Raised where the work starts: the run got through every check."""


@pytest.fixture
def guarded(monkeypatch):
    import bayes_uat.runner as runner
    from bayes_uat import validate

    def started(*a, **k):
        raise Reached

    monkeypatch.setattr(runner, "run_sgd", started)
    monkeypatch.setattr(validate, "available_memory", lambda: 16 * 10**9)


def argv(*extra: str, drop: tuple = (), **flags: str) -> list[str]:
    """``run`` with the small base settings, flags replaced (``units="500"`` sets --units),
    flags in ``drop`` removed and ``extra`` appended."""
    d = dict(BASE)
    for k, v in flags.items():
        d["--" + k.replace("_", "-")] = v
    if d["--sampler"] == "smc":  # SMC has no warm-up (the flag is refused for it)
        d.pop("--warmup")
    for k in drop:
        d.pop(k, None)
    out = ["run", "--quiet", "--no-figures"]
    for k, v in d.items():
        out.append(f"{k}={v}")
    return out + list(extra)


def refused(capsys, args: list[str], message: str, out=None) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy/JAX warning on the way is not clean
        rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("bayes-uat: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert "Traceback" not in err
    if out is not None:
        assert not os.path.exists(out), f"{out} was created"
    return err


# -- run: refused before any work, with no --out ---------------------------------------------------
REFUSED = {
    # wide networks
    "wide emcee too few walkers": (
        argv(units="500", sampler="emcee"),
        "emcee needs at least 2·dim = 3002 walkers",
    ),
    "wide smc too few particles": (
        argv(units="500", sampler="smc", draws="100"),
        "draws must be an integer >= 3002",
    ),
    "wide two layers too many draws": (
        argv(units="500,500", sampler="nuts", chains="4", draws="100000"),
        "needs about 2.42e+03 GB of memory",
    ),
    "very wide two layers": (argv(units="5000,5000", sampler="nuts"), "GB of memory"),
    "wide ensemble default walkers too many draws": (
        argv(units="500", sampler="ensemble", draws="100000", drop=("--chains",)),
        "6004 chain(s) × 100000 draws",
    ),
    "wide units written 5e2": (argv(units="5e2"), "--units must be an integer"),
    "wide units negative": (argv(units="-500"), "units must be positive integers"),
    "wide units trailing comma": (argv(units="500,"), "has an empty item"),
    "wide units float": (argv(units="500.5"), "--units must be an integer"),
    "wide prior on a missing layer": (
        argv("--prior", "w3=normal(0, 1)", units="500", sampler="nuts"),
        "unknown prior group(s) ['w3']",
    ),
    "wide bias list too long": (
        argv(units="500", bias="true,true,true", sampler="nuts"),
        "bias must be True, False or a tuple of 2",
    ),
    # SMC from the command line
    "smc particles below 2 dim": (argv(sampler="smc", draws="5"), "draws must be an integer"),
    "smc zero runs": (argv(sampler="smc", chains="0", draws="40"), "chains must be an integer"),
    "smc step activation": (
        argv(sampler="smc", draws="40", activation="step"),
        "SMC's HMC/NUTS moves need gradients",
    ),
    "smc particles beyond memory": (argv(sampler="smc", draws="1000000000"), "GB of memory"),
    "smc negative seed": (argv(sampler="smc", draws="40", seed="-1"), "seed must be an integer"),
    "smc tiny prior": (
        argv("--prior", "a=normal(0, 1e-300)", sampler="smc", draws="40"),
        "below 1e-12",
    ),
    "smc student_t df tiny": (
        argv(sampler="smc", draws="40", likelihood="student_t", df="1e-300"),
        "df must be",
    ),
    # the ensembles
    "ensemble odd walkers": (argv(sampler="ensemble", chains="9"), "even number of walkers"),
    "ensemble one walker": (argv(sampler="ensemble", chains="1"), "even number of walkers"),
    "aies odd walkers": (argv(sampler="aies", chains="9"), "even number of walkers"),
    "emcee walkers below 2 dim": (argv(sampler="emcee", chains="6"), "at least 2·dim = 8"),
    "ensemble zero chunk": (argv(sampler="ensemble", chunk_size="0"), "chunk_size must be"),
    "ensemble zero draws": (argv(sampler="ensemble", draws="0"), "draws must be an integer"),
    "ensemble negative warmup": (argv(sampler="ensemble", warmup="-1"), "warmup must be"),
    "ensemble init nonsense": (argv(sampler="ensemble", init="map"), "config key 'init'"),
    "ensemble walkers beyond memory": (
        argv(sampler="ensemble", chains="100000000"),
        "GB of memory",
    ),
    # NUTS settings
    "nuts step activation": (argv(sampler="nuts", activation="step"), "NUTS needs gradients"),
    "nuts target accept 1": (argv(sampler="nuts", target_accept="1"), "target_accept must be"),
    "nuts target accept nan": (argv(sampler="nuts", target_accept="nan"), "target_accept must"),
    "nuts tree depth 26": (argv(sampler="nuts", max_tree_depth="26"), "max_tree_depth must"),
    # numbers at the edges
    "prior std nan": (argv(prior_std="nan"), "prior_std must be a positive finite number"),
    "prior std inf": (argv(prior_std="inf"), "prior_std must be a positive finite number"),
    "prior std 1e-300": (argv(prior_std="1e-300"), "prior_std is 1e-300, below 1e-12"),
    "prior laplace 1e-13": (argv("--prior", "a=laplace(0, 1e-13)"), "below 1e-12"),
    "prior student_t df 1e-300": (
        argv("--prior", "a=student_t(1e-300, 0, 1)"),
        "df must be at least 0.01",
    ),
    "prior eval attempt": (
        argv("--prior", "a=__import__('os')"),
        "unknown prior family '__import__'",
    ),
    "prior same group twice": (
        argv("--prior", "a=normal(0, 1)", "--prior", "a=normal(0, 2)"),
        "--prior gives group 'a' twice",
    ),
    "noise prior on the mse likelihood": (
        argv(noise_prior="half_normal(1)"),
        "noise_prior and noise_param apply when σ is inferred",
    ),
    "df on gaussian": (argv(likelihood="gaussian", df="3", chains="10"), "df applies to"),
    "df 1e300": (argv(likelihood="student_t", df="1e300"), "df must be"),
    "target overflows": (argv(target="x**1000000"), "non-finite value(s)"),
    "target calls a name": (argv(target="open(x)"), "open"),
    "x range of 1e300": (argv(x_range="-1e300,1e300"), "beyond ±1e+150"),
    "noise scale of 1e300": (argv(noise_scale="1e300"), "beyond ±1e+150"),
    "x range reversed": (argv(x_range="5,-5"), "lo < hi"),
    "seed 2**32": (argv(seed=str(2**32)), "seed must be an integer in [0, 4294967295]"),
    "bias empty item": (argv(bias="true,,false"), "has an empty item"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_run_refused_before_any_work(tmp_path, capsys, guarded, case):
    args, message = REFUSED[case]
    out = tmp_path / "deep" / "run"
    refused(capsys, [*args, "--out", str(out)], message, out=tmp_path / "deep")


# -- run: accepted, through every check, lock held then released ---------------------------------
ACCEPTED = {
    "wide nuts": argv(units="500", sampler="nuts", chains="2"),
    "wide nuts float32": argv(units="500", sampler="nuts", chains="2", dtype="float32"),
    "wide ensemble default walkers": argv(units="500", sampler="ensemble", drop=("--chains",)),
    "wide smc enough particles": argv(units="500", sampler="smc", draws="3002", chains="1"),
    "deep and wide": argv(units=",".join(["100"] * 10), sampler="nuts", chains="2"),
    "smc one chunk per temperature": argv(sampler="smc", draws="40", chunk_size="1"),
    "ensemble chunk beyond draws": argv(sampler="ensemble", chunk_size="1000"),
    "ensemble prior start": argv(sampler="ensemble", init="prior"),
    "emcee odd walkers": argv(sampler="emcee", chains="9"),
    "student_t df 0.01": argv(likelihood="student_t", df="0.01", chains="10"),
    "student_t df 1e6": argv(likelihood="student_t", df="1000000", chains="10"),
    "bernoulli labels": argv(target="heaviside(x)", likelihood="bernoulli", noise="none"),
    "no biases, few walkers": argv(bias="false", chains="4"),
    "hat activation smc": argv(sampler="smc", draws="40", activation="hat"),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_run_accepted_starts_work(tmp_path, capsys, guarded, case):
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Reached):
            main([*ACCEPTED[case], "--out", str(out)])
    assert out.is_dir() and not (out / LOCK).exists()


# -- sweeps of those: every point checked before --out or a cluster exists ------------------------
SWEEPS = {
    "smc particles per point": (
        'sampler = "smc"\nn = 30\nunits = 1\n[grid]\ndraws = [40, 5]\n',
        "grid point draws=5: draws must be an integer >= 10",
    ),
    "wide emcee point": (
        'sampler = "emcee"\nchains = 8\nn = 30\nlikelihood = "mse"\n[grid]\nunits = [1, 500]\n',
        "grid point units=500: emcee needs at least 2·dim = 3002 walkers",
    ),
    "wide point beyond memory": (
        "n = 30\ndraws = 100000\n[grid]\nunits = [[500, 500]]\n",
        "grid point units=500-500: this run needs about",
    ),
    "smc step activation point": (
        'sampler = "smc"\ndraws = 40\nn = 30\n[grid]\nactivation = ["tanh", "step"]\n',
        "grid point activation=step: SMC's HMC/NUTS moves need gradients",
    ),
    "ensemble odd walkers point": (
        'sampler = "ensemble"\nn = 30\n[grid]\nchains = [20, 21]\n',
        "grid point chains=21: ensemble needs an even number of walkers",
    ),
    "unknown base key": ("bogus = 1\n[grid]\nunits = [1]\n", "unknown base setting(s) ['bogus']"),
    "unknown axis": ("[grid]\nparticles = [10]\n", "grid key 'particles' is not a run setting"),
    "empty axis": ("[grid]\nunits = []\n", "grid key 'units' has an empty list"),
    "scalar axis": ("[grid]\nunits = 2\n", "expected a list of values"),
    "repeated value": ("[grid]\nseed = [1, 1]\n", "repeats a value"),
    "no grid table": ('sampler = "smc"\n', "no [grid] table"),
    "not toml": ("[grid\n", "not valid TOML"),
    "df out of range point": (
        'likelihood = "student_t"\n[grid]\ndf = [4, 1e-300]\n',
        "grid point df=1e-300: ",
    ),
    "prior scale point": ("[grid]\nprior_std = [1, 1e-300]\n", "grid point prior_std=1e-300"),
    "sampler name point": ('[grid]\nsampler = ["smc", "hmc"]\n', "grid point sampler=hmc"),
}


@pytest.mark.parametrize("case", list(SWEEPS))
def test_sweep_refused_before_any_work(tmp_path, capsys, guarded, case):
    text, message = SWEEPS[case]
    (tmp_path / "grid.toml").write_text(text)
    out = tmp_path / "sweep"
    err = refused(capsys, ["sweep", str(tmp_path / "grid.toml"), "--out", str(out)], message, out)
    assert err.count("grid point") <= 1, err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--workers", "0"], "--workers must be a positive integer"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers applies to"),
    ],
)
def test_sweep_engine_flags_refused(tmp_path, capsys, guarded, flags, message):
    (tmp_path / "grid.toml").write_text("n = 30\n[grid]\nunits = [1]\n")
    out = tmp_path / "sweep"
    refused(capsys, ["sweep", str(tmp_path / "grid.toml"), "--out", str(out), *flags], message)


# -- records: show and compare on what is not a readable run ---------------------------------------
def _garbled(tmp_path, what: str):
    d = tmp_path / "r"
    d.mkdir()
    if what == "empty posterior.nc":
        (d / "posterior.nc").write_bytes(b"")
    elif what == "text posterior.nc":
        (d / "posterior.nc").write_text("not netcdf")
    elif what == "sweep.json a list":
        (d / "sweep.json").write_text("[1]")
    elif what == "sweep.json binary":
        (d / "sweep.json").write_bytes(b"\xff\xfe\x00")
    elif what == "checkpoint only":
        (d / "checkpoint.npz").write_bytes(b"PK")
    return d


RECORDS = {
    ("show", "missing"): "does not exist",
    ("show", "empty directory"): "is not a run: it has no posterior.nc",
    ("show", "empty posterior.nc"): "is empty (0 bytes)",
    ("show", "text posterior.nc"): "cannot be read",
    ("show", "sweep.json a list"): "is not a sweep description",
    ("show", "sweep.json binary"): "is not a sweep description",
    ("show", "checkpoint only"): "is not a run: it has no posterior.nc",
    ("compare", "empty posterior.nc"): "is empty (0 bytes)",
    ("compare", "text posterior.nc"): "cannot be read",
    ("compare", "empty directory"): "is not a run",
}


@pytest.mark.parametrize("case", list(RECORDS), ids=" ".join)
def test_unreadable_records_refused_naming_the_file(tmp_path, capsys, case):
    command, what = case
    d = tmp_path / "nope" if what == "missing" else _garbled(tmp_path, what)
    refused(capsys, [command, str(d)], RECORDS[case])


# -- resume: the settings of a checkpoint cannot be changed on the way -----------------------------
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--sampler", "smc"], "--sampler smc (saved: 'aies') differ"),
        (["--units", "500"], "--units 500 (saved: 1) differ"),
        (["--chains", "10"], "--chains 10 (saved: 8) differ"),
        (["--config", "x.toml"], "--config does not apply"),
        (["--out", "elsewhere"], "writes into its own directory"),
    ],
)
def test_resume_refuses_changed_settings(tmp_path, capsys, flags, message):
    from bayes_uat.config import RunConfig
    from bayes_uat.runner import CHECKPOINT, CHECKPOINT_FORMAT

    cfg = RunConfig(units=1, sampler="aies", chains=8, draws=30, likelihood="mse")
    out = tmp_path / "run"
    out.mkdir()
    np.savez(
        out / CHECKPOINT,
        config=json.dumps(cfg.to_dict()),
        format=CHECKPOINT_FORMAT,
        theta=np.zeros((8, 1, 4)),
        log_prob=np.zeros((8, 1)),
    )
    refused(capsys, ["run", "--resume", str(out), *flags], message)
    assert sorted(os.listdir(out)) == [CHECKPOINT]


# -- the samplers' own options (the library; what --option reaches): refused before any work -------
SAMPLER_OPTIONS = {
    "ensemble unknown move": ("ensemble", dict(moves="bogus"), "unknown move(s) ['bogus']"),
    "ensemble negative weight": ("ensemble", dict(moves={"stretch": -1}), "must be >= 0"),
    "ensemble no moves": ("ensemble", dict(moves={}), "moves must be 'stretch', 'de'"),
    "ensemble zero weights": ("ensemble", dict(moves={"stretch": 0, "de": 0}), "not all zero"),
    "ensemble stretch a of 1": ("ensemble", dict(stretch_a=1.0), "stretch_a must be a number > 1"),
    "ensemble stretch a nan": ("ensemble", dict(stretch_a=float("nan")), "stretch_a must be"),
    "ensemble moves as a list": ("ensemble", dict(moves=["stretch"]), "moves must be"),
    "ensemble unknown option": ("ensemble", dict(leapfrog=3), "unknown option(s) ['leapfrog']"),
    "aies unknown move": ("aies", dict(moves="walk"), "unknown AIES moves 'walk'"),
    "emcee move by name": ("emcee", dict(moves="stretch"), "emcee's moves must be an emcee move"),
    "smc no steps": ("smc", dict(steps=0), "steps must be an integer >= 1"),
    "smc fractional steps": ("smc", dict(steps=2.5), "steps must be an integer >= 1"),
    "smc boolean steps": ("smc", dict(steps=True), "steps must be an integer >= 1"),
    "smc no leapfrog": ("smc", dict(leapfrog=0), "leapfrog must be an integer in [1, 1024]"),
    "smc ess above 1": ("smc", dict(target_ess=1.5), "target_ess must be a number in (0, 1)"),
    "smc ess of 0": ("smc", dict(target_ess=0), "target_ess must be a number in (0, 1)"),
    "smc unknown kernel": ("smc", dict(kernel="rwm"), "unknown kernel 'rwm'"),
    "smc unknown mass": ("smc", dict(mass="bogus"), "unknown mass 'bogus'"),
    "smc no temperatures": ("smc", dict(max_temperatures=0), "max_temperatures must be"),
    "smc move prob 1": ("smc", dict(move_prob=1.0), "move_prob must be a number in (0, 1)"),
    "smc symmetry moves yes": ("smc", dict(symmetry_moves="yes"), "must be True or False"),
    "smc max steps below steps": ("smc", dict(max_steps=3), "max_steps must be an integer >= 10"),
    "smc accept nan": ("smc", dict(target_accept=float("nan")), "target_accept must be"),
    "smc particles as option": ("smc", dict(particles=100), "unknown option(s) ['particles']"),
    "nuts chain method": ("nuts", dict(chain_method="bogus"), "chain_method must be"),
    "nuts dense mass no": ("nuts", dict(dense_mass="no"), "dense_mass must be True or False"),
}


@pytest.fixture(scope="module")
def small_posterior():
    from bayes_uat import MLP, Posterior, make_dataset

    return Posterior(MLP(1, "tanh"), make_dataset("x2", n=20), likelihood="mse")


@pytest.mark.parametrize("case", list(SAMPLER_OPTIONS))
def test_sampler_option_refused_before_any_work(small_posterior, monkeypatch, case):
    from bayes_uat.samplers import SAMPLERS, sample

    sampler, options, message = SAMPLER_OPTIONS[case]
    monkeypatch.setattr(SAMPLERS[sampler], "init", lambda *a, **k: pytest.fail("work began"))
    chains = 2 if sampler == "nuts" else 8
    with pytest.raises(ValueError, match=_escape(message)):
        sample(small_posterior, sampler, chains=chains, draws=40, init="prior", **options)


def _escape(message: str) -> str:
    import re

    return re.escape(message)


# -- after sampling: an SMC run killed while drawing its figures -----------------------------------
def test_smc_run_killed_while_drawing_figures_is_finished_by_resume(tmp_path, capsys, monkeypatch):
    import bayes_uat.plots as plots
    from bayes_uat import load_run
    from bayes_uat.runner import CHECKPOINT

    def killed(*a, **k):
        raise KeyboardInterrupt

    out = tmp_path / "smc"
    args = argv(sampler="smc", chains="2", draws="16")
    args.remove("--no-figures")
    monkeypatch.setattr(plots, "run_figures", killed)
    assert main([*args, "--out", str(out)]) == 130
    assert load_run(out).samples.theta.shape == (2, 16, 4)  # the particles are saved
    assert (out / CHECKPOINT).is_file()
    monkeypatch.undo()
    assert main(["run", "--resume", str(out), "--quiet"]) == 0
    assert (out / "figures" / "corner.png").is_file() and not (out / CHECKPOINT).exists()
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    shown = capsys.readouterr()
    assert "unfinished" not in shown.err and "log evidence" in shown.out.lower()


# -- --option KEY=VALUE: the samplers' settings from the command line ------------------------------
OPTION_REFUSED = {
    "option twice": (["--option", "steps=3", "--option", "steps=5"], "smc", "gives 'steps' twice"),
    "option without value": (["--option", "steps="], "smc", "--option takes KEY=VALUE"),
    "option without =": (["--option", "steps"], "smc", "--option takes KEY=VALUE"),
    "option word for int": (["--option", "steps=many"], "smc", "takes an integer, got 'many'"),
    "option float for int": (["--option", "steps=2.5"], "smc", "takes an integer, got 2.5"),
    "option table for int": (["--option", "steps={a=1}"], "smc", "takes an integer"),
    "option ess inf": (["--option", "target_ess=inf"], "smc", "target_ess must be a number"),
    "option ess nan": (["--option", "target_ess=nan"], "smc", "target_ess must be a number"),
    "option kernel": (["--option", "kernel=rwm"], "smc", "unknown kernel 'rwm'"),
    "option bool word": (["--option", "symmetry_moves=maybe"], "smc", "takes true or false"),
    "option of another sampler": (["--option", "moves=de"], "smc", "unknown option 'moves'"),
    "option particles": (["--option", "particles=100"], "smc", "unknown option 'particles'"),
    "option move name": (["--option", "moves=walk"], "ensemble", "unknown move(s) ['walk']"),
    "option move weight": (["--option", "moves={stretch=-1}"], "ensemble", "must be >= 0"),
    "option stretch below 1": (["--option", "stretch_a=0.5"], "ensemble", "stretch_a must be"),
    "option stretch word": (["--option", "stretch_a=two"], "ensemble", "takes a number"),
    "option aies table": (["--option", "moves={stretch=1}"], "aies", "takes a word"),
    "option for emcee": (["--option", "moves=stretch"], "emcee", "unknown option 'moves'"),
    "option with a flag": (["--option", "dense_mass=true"], "nuts", "has its own flag"),
    "option chain method": (["--option", "chain_method=bogus"], "nuts", "chain_method must be"),
    "option smc on nuts": (["--option", "steps=3"], "nuts", "unknown option 'steps'"),
    "nuts flag on smc": (["--max-tree-depth", "5"], "smc", "--max-tree-depth applies to NUTS"),
    "dense flag on smc": (["--dense-mass"], "smc", "--dense-mass applies to NUTS only"),
    "accept flag on smc": (["--target-accept", "0.5"], "smc", "--option target_accept=VALUE"),
    "accept flag on ensemble": (["--target-accept", "0.5"], "ensemble", "applies to NUTS only"),
}


@pytest.mark.parametrize("case", list(OPTION_REFUSED))
def test_sampler_option_flag_refused_before_any_work(tmp_path, capsys, guarded, case):
    extra, sampler, message = OPTION_REFUSED[case]
    chains = {"nuts": "2", "smc": "2"}.get(sampler, "20")
    args = argv(*extra, sampler=sampler, chains=chains, draws="40")
    refused(capsys, [*args, "--out", str(tmp_path / "o")], message, out=tmp_path / "o")


@pytest.mark.parametrize("flag", [["--init", "prior"], ["--warmup", "5"]], ids=" ".join)
def test_smc_ignores_warmup_and_init_with_a_note(tmp_path, capsys, guarded, flag):
    with pytest.raises(Reached):
        main([*argv(*flag, sampler="smc", chains="2", draws="40"), "--out", str(tmp_path / "o")])
    assert f"bayes-uat: note: {flag[0]}: tempered SMC" in capsys.readouterr().err


OPTION_ACCEPTED = {
    "smc key with dashes": (["--option", "max-steps=20"], "smc"),
    "smc max steps none": (["--option", "max_steps=none"], "smc"),
    "smc canonical mass on 8 units": (["--option", "mass=canonical", "--units", "8"], "smc"),
    "ensemble move table": (["--option", "moves={stretch=0.8, de=0.2}"], "ensemble"),
    "aies de moves": (["--option", "moves=de"], "aies"),
}


@pytest.mark.parametrize("case", list(OPTION_ACCEPTED))
def test_sampler_option_flag_accepted(tmp_path, guarded, case):
    extra, sampler = OPTION_ACCEPTED[case]
    chains, draws = ("2", "60") if sampler == "smc" else ("40", "30")
    out = tmp_path / "o"
    with pytest.raises(Reached):
        main([*argv(*extra, sampler=sampler, chains=chains, draws=draws), "--out", str(out)])
    assert out.is_dir() and not (out / LOCK).exists()


# -- wide networks in the library: the infinite-width limit (bayes_uat.wide) -----------------------
def _wide_case(name: str):
    import bayes_uat as bu
    from bayes_uat import wide

    d = bu.make_dataset("sin", n=20)
    post = wide.neal_posterior(d, 500, "relu", noise_std=0.1)
    relu5 = bu.MLP((5, 5), "relu")
    return {
        "no units": lambda: wide.neal_posterior(d, 0),
        "negative units": lambda: wide.neal_posterior(d, -5),
        "10**12 units": lambda: wide.neal_posterior(d, 10**12),
        "fractional units": lambda: wide.neal_posterior(d, 2.5),
        "no closed-form kernel": lambda: wide.nngp_kernel(
            wide.neal_posterior(d, 50, "sigmoid"), [0.0], [0.0]
        ),
        "inferred noise": lambda: wide.nngp_predict(
            wide.neal_posterior(d, 50, noise_std=None), [0.0]
        ),
        "zero noise": lambda: wide.neal_posterior(d, 50, noise_std=0.0),
        "nan weight scale": lambda: wide.neal_posterior(d, 50, weight_std=float("nan")),
        "tiny weight scale": lambda: wide.neal_posterior(d, 50, weight_std=1e-300),
        "nan input": lambda: wide.nngp_predict(post, [np.nan]),
        "2-d input for 1-d data": lambda: wide.nngp_predict(post, np.zeros((3, 2))),
        "lambda 2": lambda: wide.nngp_predict(post, [0.0], lam=2),
        "lambda nan": lambda: wide.nngp_predict(post, [0.0], lam=float("nan")),
        "not Neal scaled": lambda: wide.nngp_kernel(bu.Posterior(bu.MLP(5, "relu"), d), [0], [0]),
        "two layers": lambda: wide.nngp_kernel(
            bu.Posterior(relu5, d, prior=wide.neal_prior(relu5)), [0.0], [0.0]
        ),
        "not a posterior": lambda: wide.nngp_kernel("post", [0.0], [0.0]),
        "linear model": lambda: wide.neal_prior(bu.MLP((), "relu")),
        "band level 1": lambda: wide.nngp_band(post, [0.0], level=1.0),
        "band level nan": lambda: wide.nngp_band(post, [0.0], level=float("nan")),
        "input of 1e200": lambda: wide.nngp_predict(post, [1e200]),
    }[name]


WIDE_REFUSED = {
    "no units": "units must be positive integers",
    "negative units": "units must be positive integers",
    "10**12 units": "its layout alone needs 2.4e+04 GB",
    "fractional units": "units must be an int",
    "no closed-form kernel": "has no closed-form infinite-width kernel",
    "inferred noise": "needs Gaussian noise of known σ",
    "zero noise": "noise_std must be a positive finite number",
    "nan weight scale": "weight_std must be a positive finite number",
    "tiny weight scale": "is 1e-300, below 1e-12",
    "nan input": "x must be finite numbers",
    "2-d input for 1-d data": "x must have shape (n,) or (n, 1)",
    "lambda 2": "lam must be a number in [0, 1]",
    "lambda nan": "lam must be a number in [0, 1]",
    "not Neal scaled": "needs the output weights' prior scaled by 1/√N",
    "two layers": "the NNGP kernel here is that of one hidden layer",
    "not a posterior": "needs a bayes_uat.Posterior",
    "linear model": "a linear model (units=()) has no hidden units",
    "band level 1": "level must be a number in (0, 1)",
    "band level nan": "level must be a number in (0, 1)",
    "input of 1e200": "x must be within ±1e150",
}
WIDE_UNCLEAN: dict = {}  # a case found unclean goes here until it is refused


@pytest.mark.parametrize("case", list(WIDE_REFUSED) + list(WIDE_UNCLEAN))
def test_wide_network_input_refused(request, case):
    if case in WIDE_UNCLEAN:  # runs, and must fail: once refused, move it to WIDE_REFUSED
        request.applymarker(pytest.mark.xfail(reason=WIDE_UNCLEAN[case], strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=_escape(WIDE_REFUSED.get(case, ""))):
            _wide_case(case)()


# -- the evidence (bu.evidence): every setting checked before the census starts ----------------
class _CensusStarted(BaseException):
    pass


@pytest.fixture
def no_census(monkeypatch):
    from bayes_uat.evidence import network

    def started(*a, **k):
        raise _CensusStarted

    monkeypatch.setattr(network, "census", started)


EVIDENCE_REFUSED = {
    "no runs": (dict(runs=0), "runs must be an integer >= 1"),
    "fractional runs": (dict(runs=2.5), "runs must be an integer >= 1"),
    "boolean runs": (dict(runs=True), "runs must be an integer >= 1"),
    "no restarts": (dict(restarts=0), "restarts must be an integer >= 1"),
    "no sgd steps": (dict(sgd_steps=0), "sgd_steps must be an integer >= 1"),
    "learning rate nan": (dict(learning_rate=float("nan")), "learning_rate must be a number"),
    "too few particles": (dict(particles=3), "particles must be an integer >= 16"),
    "no steps": (dict(steps=0), "steps must be an integer >= 1"),
    "no leapfrog": (dict(leapfrog=0), "leapfrog must be an integer in [1, 1024]"),
    "ess of 1": (dict(target_ess=1.0), "target_ess must be a number in (0, 1)"),
    "df of 0": (dict(df=0.0), "df must be a number > 0"),
    "inflate nan": (dict(inflate=float("nan")), "inflate must be a number > 0"),
    "no components": (dict(max_components=0), "max_components must be an integer >= 1"),
    "checkpoint a directory": (dict(checkpoint="."), "is a directory"),
    "callback not callable": (dict(callback="x"), "callback must be callable"),
    "negative seed": (dict(seed=-1), "seed must be an integer >= 0"),
    "particles beyond memory": (dict(particles=10**9), "GiB of memory"),
    "leapfrog beyond bound": (dict(leapfrog=10**9), "leapfrog must be an integer in [1, 1024]"),
}
EVIDENCE_UNCLEAN: dict = {}  # none left: a case found unclean goes here until it is refused


@pytest.mark.parametrize("case", list(EVIDENCE_REFUSED) + list(EVIDENCE_UNCLEAN))
def test_evidence_setting_refused_before_the_census(request, no_census, case):
    import bayes_uat as bu

    if case in EVIDENCE_UNCLEAN:  # runs, and must fail: once refused, move it up
        kw, why = EVIDENCE_UNCLEAN[case]
        request.applymarker(pytest.mark.xfail(reason=why, strict=True))
        message = ""
    else:
        kw, message = EVIDENCE_REFUSED[case]
    post = bu.Posterior(bu.MLP(1, "tanh"), bu.make_dataset("x2", n=20), likelihood="gaussian")
    settings = {**dict(runs=2, restarts=4, sgd_steps=10, particles=16), **kw}
    with pytest.raises(ValueError, match=_escape(message)):
        bu.evidence(post, **settings)


def _evidence_network(name: str):
    import bayes_uat as bu

    d = bu.make_dataset("x2", n=20)
    return {
        "two layers": lambda: bu.Posterior(bu.MLP((2, 2), "tanh"), d),
        "two inputs": lambda: bu.Posterior(
            bu.MLP(1, "tanh", in_dim=2), bu.make_moons(20), likelihood="bernoulli"
        ),
        "linear model": lambda: bu.Posterior(bu.MLP((), "tanh"), d),
        "not a posterior": lambda: "post",
        "step activation": lambda: bu.Posterior(bu.MLP(1, "step"), d),
    }[name]()


EVIDENCE_NETWORKS = {
    "two layers": "evidence needs a network with one hidden layer on a scalar input",
    "two inputs": "evidence needs a network with one hidden layer on a scalar input",
    "linear model": "evidence needs a network with one hidden layer on a scalar input",
    "not a posterior": "evidence needs a bayes_uat.Posterior",
    "step activation": "needs gradients",
}
EVIDENCE_NETWORKS_UNCLEAN: dict = {}


@pytest.mark.parametrize("case", list(EVIDENCE_NETWORKS) + list(EVIDENCE_NETWORKS_UNCLEAN))
def test_evidence_network_refused_before_the_census(request, no_census, case):
    import bayes_uat as bu

    if case in EVIDENCE_NETWORKS_UNCLEAN:
        request.applymarker(pytest.mark.xfail(reason=EVIDENCE_NETWORKS_UNCLEAN[case], strict=True))
    with pytest.raises(ValueError, match=_escape(EVIDENCE_NETWORKS.get(case, ""))):
        bu.evidence(_evidence_network(case), runs=2, restarts=4, sgd_steps=10, particles=16)


def test_evidence_garbled_checkpoint_named_without_pickle_hints(request, tmp_path, no_census):
    import bayes_uat as bu

    bad = tmp_path / "ev.npz"
    bad.write_text("garbage")
    post = bu.Posterior(bu.MLP(1, "tanh"), bu.make_dataset("x2", n=20), likelihood="gaussian")
    with pytest.raises(ValueError, match="is not an evidence checkpoint") as e:
        bu.evidence(post, runs=2, restarts=4, sgd_steps=10, particles=16, checkpoint=bad)
    assert "pickle" not in str(e.value)


# -- bayes-uat evidence: every input checked before the first network's runs ---------------------
EV = [
    "evidence", "--units", "1,2", "--activation", "tanh", "--target", "x2", "--runs", "2",
    "--restarts", "4", "--sgd-steps", "10", "--particles", "16", "--quiet",
]  # fmt: skip


def ev(**flags: str) -> list[str]:
    args = list(EV)
    for k, v in flags.items():
        f = "--" + k.replace("_", "-")
        if f in args:
            args[args.index(f) + 1] = v
        else:
            args += [f, v]
    return args


@pytest.fixture
def no_evidence_run(monkeypatch):
    from bayes_uat.evidence import table

    def started(*a, **k):
        raise Reached

    monkeypatch.setattr(table, "network_evidence", started)


EVIDENCE_CLI_REFUSED = {
    "units with an empty item": (ev(units="1,,2"), "--units '1,,2' has an empty item"),
    "activations with an empty item": (ev(activation="tanh,,relu"), "has an empty item"),
    "units repeated": (ev(units="1,1"), "--units lists a value twice"),
    "units zero": (ev(units="0"), "--units takes positive integers"),
    "units word": (ev(units="a"), "--units takes integers"),
    "wide network, few particles": (ev(units="500"), "give at least 2·dim = 3004"),
    "unknown activation": (ev(activation="bogus"), "--activation: unknown bogus"),
    "one run": (ev(runs="1"), "--runs must be at least 2"),
    "negative seed": (ev(seed="-1"), "--seed must be in [0, 2**32 - 1]"),
    "seed 2**32": (ev(seed=str(2**32)), "--seed must be in [0, 2**32 - 1]"),
    "few particles": (ev(particles="3"), "--particles 3 is too few"),
    "ess of 1": (ev(target_ess="1"), "--target-ess must be in (0, 1)"),
    "ess nan": (ev(target_ess="nan"), "--target-ess must be a positive number"),
    "df of 0": (ev(df="0"), "--df must be a positive number"),
    "inflate nan": (ev(inflate="nan"), "--inflate must be a positive number"),
    "tiny prior": (ev(prior_std="1e-300"), "prior_std is 1e-300, below 1e-12"),
    "infinite prior": (ev(prior_std="inf"), "--prior-std must be a positive number"),
    "learning rate 0": (ev(learning_rate="0"), "--learning-rate must be a positive number"),
    "unknown target": (ev(target="bogus"), "unknown target 'bogus'"),
    "overflowing target": (ev(target="x**1000000"), "non-finite value(s)"),
    "two-input target": (ev(target="bump2d"), "the data have 2-dimensional x"),
    "no components": (ev(max_components="0"), "max-components must be an integer >= 1"),
    "step activation": (ev(activation="step"), "needs gradients"),
    "particles beyond memory": (ev(particles="1000000000"), "GiB of memory"),
    "leapfrog 10**9": (ev(leapfrog="1000000000"), "leapfrog must be an integer in [1, 1024]"),
}
EVIDENCE_CLI_UNCLEAN: dict = {}


@pytest.mark.parametrize("case", list(EVIDENCE_CLI_REFUSED) + list(EVIDENCE_CLI_UNCLEAN))
def test_evidence_command_refused_before_any_run(request, tmp_path, capsys, no_evidence_run, case):
    if case in EVIDENCE_CLI_UNCLEAN:  # runs, and must fail: once refused, move it up
        args, why = EVIDENCE_CLI_UNCLEAN[case]
        request.applymarker(pytest.mark.xfail(reason=why, raises=Reached, strict=True))
        message = ""
    else:
        args, message = EVIDENCE_CLI_REFUSED[case]
    out = tmp_path / "ev"
    refused(capsys, [*args, "--out", str(out)], message, out=out)


def _a_file(d):
    d.write_text("x")


def _users_directory(d):
    d.mkdir()
    (d / "mine.txt").write_text("x")


@pytest.mark.parametrize(
    "make, message",
    [(_a_file, "exists and is not a directory"), (_users_directory, "holds files that are")],
    ids=["a file", "the user's directory"],
)
def test_evidence_command_refuses_an_out_it_does_not_own(
    tmp_path, capsys, no_evidence_run, make, message
):
    out = tmp_path / "ev"
    make(out)
    refused(capsys, [*EV, "--out", str(out)], message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev"]


# -- SMC from the command line: a setting that hangs ----------------------------------------------
def test_smc_leapfrog_of_a_billion_is_refused(tmp_path, capsys, guarded):
    args = argv("--option", "leapfrog=1000000000", sampler="smc", chains="2", draws="40")
    refused(capsys, [*args, "--out", str(tmp_path / "o")], "leapfrog")
