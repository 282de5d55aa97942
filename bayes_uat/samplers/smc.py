"""Adaptive tempered sequential Monte Carlo (blackjax): the whole posterior and its evidence.

R independent runs of P particles each move from the prior (λ = 0) to the posterior (λ = 1)
through the tempered densities

    p_λ(θ) ∝ p(θ) · p(D | θ)^λ,

each next λ chosen so that the effective sample size of the incremental weights
p(D | θ)^(λ' − λ) is ``target_ess``·P (blackjax's ``adaptive_tempered_smc``).  Between
temperatures the particles are resampled (systematic) and moved by HMC (or NUTS)
transitions that leave p_λ invariant, as many as :mod:`.smc_mutation` finds they need (at
least ``steps``, at most ``max_steps``).  The kernel is tuned from the particles at every
temperature, as blackjax's ``inner_kernel_tuning`` does: the inverse mass matrix is the
weighted particle covariance (or variance, ``mass="diag"``), and the step size is scaled by
exp(2·(ā − target_accept)) from the mean acceptance ā of the last mutation; each particle's
step size is jittered uniformly in [½ ε, 3/2 ε] so that no single step size is fixed.

The evidence is the product of the mean incremental weights,

    log Z = log p(D) = Σ_t log (1/P Σ_i p(D | θ_i)^(λ_t − λ_{t−1})),

which needs a normalised prior and likelihood (:class:`~bayes_uat.Posterior` keeps every
constant).  After λ = 1 is reached one more round of resampling and mutation at λ = 1 leaves
P equally weighted, distinct particles per run.  Runs never interact: their spread gives the
standard error of log Z and of every mode mass (the particles of one run are correlated
through resampling).

The algorithm is a set of pure functions over a NamedTuple state (all runs stacked), so a
driver can checkpoint after any temperature and resume bit for bit.

Example
-------
>>> from bayes_uat import MLP, Posterior, make_dataset, sample
>>> post = Posterior(MLP(1, "tanh"), make_dataset("sin", n=30), prior_std=3.0)
>>> s = sample(post, "smc", chains=2, draws=64, steps=2, seed=0, progress=False)
>>> s.theta.shape, len(s.info["log_evidence"])
((2, 64, 4), 2)
"""

from __future__ import annotations

import math
import time
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..samples import Samples
from ..validate import integer

KERNELS = ("hmc", "nuts")
_EG = dict(target_ess=0.5, target_accept=0.65, move_prob=0.9)
MASSES = ("auto", "canonical", "dense", "diag")


class SMCSettings(NamedTuple):
    """Settings of the tempered SMC sampler.

    Attributes:
        particles: particles P per run (at least 2·dim).
        steps: the fewest mutation transitions per temperature.
        leapfrog: leapfrog steps per HMC transition (NUTS: ignored).
        target_ess: fraction of P the incremental weights' ESS is held at (0 < · < 1).
        target_accept: acceptance the step size is tuned towards.
        kernel: ``"hmc"`` or ``"nuts"``.
        mass: the inverse mass matrix from the particles: ``"canonical"`` (the covariance
            of their canonical forms, carried into each particle's copy, every move kept in
            its copy; one hidden layer on a scalar input, one output: :mod:`.smc_metric`),
            ``"dense"`` (their covariance), ``"diag"`` (their variances); ``"auto"`` (the
            default): canonical where the network has a canonical form and at most
            ``smc_metric.AUTO_MAX_UNITS`` (6) hidden units, else dense.
        max_temperatures: a run stops with an error past this many temperatures.
        max_steps: the most mutation transitions per temperature (``None``: 10·steps;
            ``steps``: a fixed count).
        move_prob: p of the step-count rule 1 + log(1 − p)/log(1 − ā) (every particle
            moves at least once with probability p at the last acceptance ā).
        symmetry_moves: after each mutation every particle tries a jump to another copy
            (a unit flip, then a swap of two units; Metropolis–Hastings, so exact whatever
            the prior): the copies exchange mass directly. Networks with a canonical form.
    """

    particles: int = 1000
    steps: int = 10
    leapfrog: int = 10
    target_ess: float = 0.5
    target_accept: float = 0.65
    kernel: str = "hmc"
    mass: str = "auto"
    max_temperatures: int = 1000
    max_steps: int | None = None
    move_prob: float = 0.9
    symmetry_moves: bool = True


class TemperedState(NamedTuple):
    """blackjax's tempered SMC state (``TemperedSMCState``) of every run; leading axis: run.

    Attributes:
        particles: θ of each particle, shape (R, P, dim).
        weights: normalised importance weights, (R, P).
        tempering_param: the temperature λ of each run, (R,).
    """

    particles: jax.Array
    weights: jax.Array
    tempering_param: jax.Array


class Tuning(NamedTuple):
    """The mutation kernel's parameters for the next temperature, per run, tuned from the
    particles (as blackjax's ``inner_kernel_tuning`` does).

    Attributes:
        step_size: base HMC step size, (R,).
        inv_mass: inverse mass matrix, (R, dim) or (R, dim, dim).
        acceptance: mean mutation acceptance at the last temperature, (R,) (it sets the
            next step size and transition count).
    """

    step_size: jax.Array
    inv_mass: jax.Array
    acceptance: jax.Array


class SMCState(NamedTuple):
    """All runs' state after some temperatures; leading axis: run.

    Attributes:
        tempered: the particles, their weights and λ (:class:`TemperedState`).
        tuning: the kernel's parameters (:class:`Tuning`).
        log_evidence: running log Z estimate, (R,).
        finished: whether the run has done its final mutation at λ = 1, (R,).
        keys: one raw PRNG key per run, (R, 2) uint32.
    """

    tempered: TemperedState
    tuning: Tuning
    log_evidence: jax.Array
    finished: jax.Array
    keys: jax.Array


class StepInfo(NamedTuple):
    """What one step did to every run, (R,) each; the loop stacks them, (T, R) after T steps.

    Attributes:
        tempering_param: λ after the step.
        log_evidence_increment: the step's log mean incremental weight (0 where inactive).
        acceptance: mean mutation acceptance.
        steps: mutation transitions run.
        ess: ESS of the weights after the reweighting.
        active: whether the run took part (a finished run does not).
        final: whether it was the run's final round at λ = 1.
    """

    tempering_param: jax.Array
    log_evidence_increment: jax.Array
    acceptance: jax.Array
    steps: jax.Array
    ess: jax.Array
    active: jax.Array
    final: jax.Array


def stack_info(infos, runs: int) -> StepInfo:
    """The per-step infos stacked into arrays of shape (T, R) (T = 0: empty arrays)."""
    if not infos:
        return StepInfo(*(np.zeros((0, runs), dtype=dt) for dt in _INFO_DTYPES))
    return StepInfo(*(np.stack([np.asarray(f) for f in field]) for field in zip(*infos)))


_INFO_DTYPES = (float, float, float, np.int32, float, bool, bool)


def append_info(info: StepInfo, new: StepInfo) -> StepInfo:
    """Stacked infos (T, R) with one more step's (R,) below them, in that step's dtypes."""
    if len(info.active) == 0:
        return StepInfo(*(np.asarray(b)[None] for b in new))
    return StepInfo(*(np.concatenate([a, np.asarray(b)[None]]) for a, b in zip(info, new)))


def check_settings(settings: SMCSettings, dim: int, particles: str = "particles") -> SMCSettings:
    """Validate the settings for a posterior of dimension ``dim``; return them with
    ``max_steps = None`` resolved to 10·steps. ``particles`` is the name the caller's user
    gave the particle count (``sample()``: ``draws``)."""
    if not isinstance(settings, SMCSettings):
        raise ValueError(f"settings must be an SMCSettings, got {type(settings).__name__}")
    integer(
        particles,
        settings.particles,
        minimum=2 * dim,
        fix=f"the particle spread sets the mass matrix of this {dim}-parameter posterior, "
        f"so use at least 2·dim = {2 * dim} (more for multimodal posteriors)",
    )
    integer("steps", settings.steps, minimum=1, fix="pass e.g. steps=10 mutations per temperature")
    integer("leapfrog", settings.leapfrog, minimum=1, maximum=1024, fix="pass e.g. leapfrog=10")
    integer("max_temperatures", settings.max_temperatures, minimum=1, fix="pass e.g. 1000")
    if settings.max_steps is None:
        settings = settings._replace(max_steps=10 * settings.steps)
    integer(
        "max_steps",
        settings.max_steps,
        minimum=settings.steps,
        fix=f"it caps the mutation transitions per temperature, so it is at least steps = "
        f"{settings.steps} (equal to it for a fixed count)",
    )
    for name, lo in (("target_ess", 0.0), ("target_accept", 0.0), ("move_prob", 0.0)):
        v = getattr(settings, name)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo < v < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {v!r}; e.g. {_EG[name]}")
    if settings.kernel not in KERNELS:
        raise ValueError(f"unknown kernel {settings.kernel!r}: choose one of {', '.join(KERNELS)}")
    if not isinstance(settings.symmetry_moves, (bool, np.bool_)):
        raise ValueError(f"symmetry_moves must be True or False, got {settings.symmetry_moves!r}")
    if settings.mass not in MASSES:
        raise ValueError(f"unknown mass {settings.mass!r}: choose one of {', '.join(MASSES)}")
    return settings


def _prior_draws(posterior, key, shape) -> jax.Array:
    """Prior draws, checked: a prior that cannot be sampled is a ValueError."""
    draw = getattr(posterior, "prior_sample", None)
    fix = (
        "SMC starts from prior draws: give the posterior a proper prior with "
        "prior_sample(key, shape)"
    )
    if not callable(draw):
        raise ValueError(f"the posterior's prior cannot be sampled (no prior_sample); {fix}")
    try:
        theta = jnp.asarray(draw(key, shape))
    except Exception as err:  # noqa: BLE001 — any failure means the same to the user
        raise ValueError(f"the posterior's prior cannot be sampled ({err}); {fix}") from err
    if theta.shape != shape + (posterior.dim,):
        raise ValueError(
            f"prior_sample returned shape {theta.shape}, expected {shape + (posterior.dim,)}; {fix}"
        )
    lp = np.asarray(posterior.log_prior(theta))
    if not (np.all(np.isfinite(np.asarray(theta))) and np.all(np.isfinite(lp))):
        raise ValueError(f"prior draws or their log-prior are not finite; {fix}")
    return theta


def smc_init(
    posterior, runs: int, settings: SMCSettings, seed: int, names: tuple = ("runs", "particles")
) -> SMCState:
    """R runs of P prior draws at λ = 0, checked: prior draws must be finite and the
    log-likelihood finite at some particle of every run. ``names``: what the caller's user
    calls the runs and the particles (``sample()``: chains and draws)."""
    runs = integer(names[0], runs, minimum=1, fix="pass the number of independent SMC runs, e.g. 4")
    dim = posterior.dim
    settings = check_settings(settings, dim, names[1])
    _frame(posterior, settings)  # mass="canonical" on a network without a canonical form
    p = settings.particles
    k_init, k_runs = jax.random.split(jax.random.PRNGKey(int(seed)))
    theta = _prior_draws(posterior, k_init, (runs, p))
    ll = np.asarray(posterior.log_likelihood(theta))
    bad = ~np.isfinite(ll).any(axis=1)
    if bad.any():
        raise ValueError(
            f"the log-likelihood is not finite at any of the {p} prior draws of run(s) "
            f"{np.flatnonzero(bad).tolist()}; check the data for NaN/inf and that the prior "
            "covers parameters where the network's output is finite"
        )
    dt = theta.dtype
    var = jnp.var(theta, axis=1)
    inv_mass = var if settings.mass == "diag" else jax.vmap(jnp.diag)(var)
    zeros = jnp.zeros(runs, dtype=dt)
    return SMCState(
        tempered=TemperedState(theta, jnp.full((runs, p), 1.0 / p, dtype=dt), zeros),
        tuning=Tuning(jnp.full(runs, 0.5 / dim**0.25, dtype=dt), inv_mass, zeros),
        log_evidence=zeros,
        finished=jnp.zeros(runs, dtype=bool),
        keys=jax.random.split(k_runs, runs),
    )


def _densities(posterior):
    """Single-θ log-prior and log-likelihood; a non-finite log-likelihood becomes a very
    negative finite value, so that λ = 0 times it is 0, not NaN."""
    floor = -float(jnp.finfo(jnp.dtype(posterior.dtype)).max) / 1e6

    def log_prior(theta):
        return posterior.log_prior(theta)

    def log_lik(theta):
        ll = posterior.log_likelihood(theta)
        return jnp.where(jnp.isfinite(ll), ll, floor)

    return log_prior, log_lik


def _mutation(settings: SMCSettings):
    import blackjax

    if settings.kernel == "hmc":
        step = partial(blackjax.hmc.build_kernel(), num_integration_steps=settings.leapfrog)
        return step, blackjax.hmc.init
    return blackjax.nuts.build_kernel(), blackjax.nuts.init


def _weighted_spread(x, w, mass: str, frame=None):
    """Weighted variance (diag) or covariance (dense; with a copy ``frame``: of the canonical
    forms) of particles x (P, dim), floored."""
    if frame is not None:
        from .smc_metric import canonical_cov

        return canonical_cov(frame, x, w)
    mean = w @ x
    d = x - mean
    if mass == "diag":
        v = w @ (d * d)
        return jnp.maximum(v, 1e-12 * (1.0 + jnp.max(v)))
    cov = (d * w[:, None]).T @ d
    return cov + 1e-10 * (1.0 + jnp.trace(cov)) * jnp.eye(x.shape[1], dtype=x.dtype)


def _frame(posterior, settings: SMCSettings):
    """The copy frame of ``mass="canonical"`` (and of ``"auto"`` where the network has one);
    None for the other masses; a ValueError for "canonical" where the network has none."""
    if settings.mass not in ("auto", "canonical"):
        return None
    from .smc_metric import AUTO_MAX_UNITS, copy_frame

    frame = copy_frame(posterior)
    if settings.mass == "auto" and frame is not None:
        return frame if posterior.net.units[0] <= AUTO_MAX_UNITS else None
    if frame is None and settings.mass == "canonical":
        raise ValueError(
            "mass='canonical' needs a network with one hidden layer on a scalar input and one "
            "output (its units have a canonical order); use mass='dense' or 'diag' here"
        )
    return frame


def resolved_mass(posterior, settings: SMCSettings) -> str:
    """The mass matrix a run uses: ``"auto"`` resolved to "canonical" or "dense"."""
    if settings.mass != "auto":
        return settings.mass
    return "dense" if _frame(posterior, settings) is None else "canonical"


def make_step(posterior, settings: SMCSettings):
    """The compiled transition SMCState → (SMCState, StepInfo): every unfinished run moves to
    its next temperature (or, once at λ = 1, does its final resample-and-mutate round).  The
    posterior is an argument of the one compiled program, so a resumed or repeated run, or
    a run on another posterior of the same shapes and settings, compiles nothing."""
    return partial(_step, posterior, check_settings(settings, posterior.dim))


@partial(jax.jit, static_argnums=1)
def _step(posterior, settings: SMCSettings, state: SMCState) -> tuple[SMCState, StepInfo]:
    return _build_step(posterior, settings)(state)


def _kernel_builder(posterior, settings: SMCSettings):
    """``kernel(inv_mass)``: blackjax's adaptive tempered SMC kernel with this package's
    mutation (adaptive transition count, symmetry jumps, the canonical mass's per-particle
    metric from ``inv_mass`` when a copy frame is in use), and the frame (or None)."""
    import blackjax.smc.adaptive_tempered as adaptive
    from blackjax.smc import resampling

    from .smc_metric import symmetry_move
    from .smc_mutation import adaptive_update

    frame = _frame(posterior, settings)
    log_prior, log_lik = _densities(posterior)
    mcmc_step, mcmc_init = _mutation(settings)
    sym = symmetry_move(posterior) if settings.symmetry_moves else None

    def kernel(inv_mass, min_steps):
        strategy = partial(adaptive_update, sym_move=sym, min_steps=min_steps)
        if frame is not None:  # every particle's mass matrix from its own copy
            strategy = partial(strategy, frame=frame, cov=inv_mass)
        return adaptive.build_kernel(
            log_prior, log_lik, mcmc_step, mcmc_init, resampling.systematic,
            settings.target_ess, update_strategy=strategy,
        )  # fmt: skip

    return kernel, frame


class RunStep(NamedTuple):
    """What one temperature did to one run: the tempered state blackjax returns
    (``particles``, ``weights``, ``lam``), the log-evidence increment, the tuning for the
    next temperature (``step_size``, ``inv_mass``) and what the mutation reported."""

    particles: jax.Array
    weights: jax.Array
    lam: jax.Array
    log_evidence_increment: jax.Array
    step_size: jax.Array
    inv_mass: jax.Array
    acceptance: jax.Array
    ess: jax.Array
    steps: jax.Array
    key: jax.Array


def _build_step(posterior, settings: SMCSettings):
    from .smc_mutation import step_count

    kernel, frame = _kernel_builder(posterior, settings)
    p, lo, hi = settings.particles, settings.steps, settings.max_steps

    def one(particles, weights, lam, step_size, inv_mass, last_acc, key) -> RunStep:
        from blackjax.smc.tempered import TemperedSMCState

        key, k_jit, k_smc = jax.random.split(key, 3)
        jitter = jax.random.uniform(k_jit, (p,), minval=0.5, maxval=1.5, dtype=particles.dtype)
        params = dict(step_size=step_size * jitter)
        if frame is None:  # else each particle's mass matrix is set in the update
            params["inverse_mass_matrix"] = inv_mass[None]
        start = TemperedSMCState(particles, weights, lam)
        n_start = jnp.where(lam > 0, step_count(last_acc, settings.move_prob, lo, hi), lo)
        state, info = kernel(inv_mass, n_start)(k_smc, start, jnp.int32(hi), params)
        acc = jnp.mean(info.update_info.acceptance_rate)
        acc = jnp.where(jnp.isfinite(acc), acc, 0.0)
        w = state.weights
        return RunStep(
            particles=state.particles,
            weights=w,
            lam=jnp.where(state.tempering_param > 1.0 - 1e-9, 1.0, state.tempering_param),
            log_evidence_increment=info.log_likelihood_increment,
            step_size=step_size * jnp.exp(2.0 * (acc - settings.target_accept)),
            inv_mass=_weighted_spread(state.particles, w, settings.mass, frame),
            acceptance=acc,
            ess=1.0 / jnp.sum(w**2),
            steps=info.update_info.steps,
            key=key,
        )

    def step(s: SMCState) -> tuple[SMCState, StepInfo]:
        t, k = s.tempered, s.tuning
        r = jax.vmap(one)(
            t.particles, t.weights, t.tempering_param, k.step_size, k.inv_mass, k.acceptance,
            s.keys,
        )  # fmt: skip
        active = ~s.finished
        at_one = t.tempering_param >= 1.0

        def pick(new, old):
            m = active.reshape(active.shape + (1,) * (new.ndim - 1))
            return jnp.where(m, new, old)

        dlogz = jnp.where(active, r.log_evidence_increment, 0.0)
        lam = pick(r.lam, t.tempering_param)
        new = SMCState(
            tempered=TemperedState(pick(r.particles, t.particles), pick(r.weights, t.weights), lam),
            tuning=Tuning(
                pick(r.step_size, k.step_size),
                pick(r.inv_mass, k.inv_mass),
                pick(r.acceptance, k.acceptance),
            ),
            log_evidence=s.log_evidence + dlogz,
            finished=s.finished | at_one,
            keys=pick(r.key, s.keys),
        )
        return new, StepInfo(lam, dlogz, r.acceptance, r.steps, r.ess, active, at_one)

    return step


def smc_done(state: SMCState) -> bool:
    """Whether every run has finished."""
    return bool(np.all(np.asarray(state.finished)))


def temperatures(info: StepInfo) -> np.ndarray:
    """Temperatures below 1 each run has visited, (R,), from the stacked infos."""
    return np.sum(np.asarray(info.active) & ~np.asarray(info.final), axis=0)


def run_info(state: SMCState, info: StepInfo) -> dict:
    """The run-level facts from the state and the stacked step infos (:func:`stack_info`):
    per run log Z, temperatures, final ESS, acceptance, mutation transitions per
    temperature; log Z's standard error from the spread across runs (std/√R; NaN for one
    run).  The wall time is the caller's (``Samples.wall_time``): the runs advance
    together."""
    logz = np.asarray(state.log_evidence, dtype=float)
    runs = len(logz)
    temps = temperatures(info)
    active, final = np.asarray(info.active), np.asarray(info.final)
    acc = np.asarray(info.acceptance)
    # summed step by step, in the order the steps ran
    acc_sum = np.cumsum(np.where(active, acc, 0.0), axis=0)[-1] if len(acc) else np.zeros(runs)
    reweighted = active & ~final
    last = np.where(reweighted.any(axis=0), len(acc) - 1 - np.argmax(reweighted[::-1], axis=0), -1)
    p = np.asarray(state.tempered.weights).shape[1]
    ess = [float(info.ess[t, r]) if t >= 0 else float(p) for r, t in enumerate(last)]
    return dict(
        log_evidence=logz.tolist(),
        log_evidence_mean=float(logz.mean()),
        log_evidence_se=float(logz.std(ddof=1) / math.sqrt(runs)) if runs > 1 else float("nan"),
        temperatures=temps.tolist(),
        final_ess=ess,
        acceptance=np.asarray(state.tuning.acceptance, dtype=float).tolist(),
        mean_acceptance=(np.asarray(acc_sum, dtype=float) / np.maximum(temps + 1, 1)).tolist(),
        step_size=np.asarray(state.tuning.step_size, dtype=float).tolist(),
        **_traces(info),
        independent_runs=True,
    )


def _traces(info: StepInfo) -> dict:
    """Per run, per temperature (the last entry: the final round at λ = 1): mutation
    transitions and mean acceptance; and each run's total transitions per particle."""
    active = np.asarray(info.active)
    steps, acc = np.asarray(info.steps), np.asarray(info.acceptance, dtype=float)
    runs = range(active.shape[1])
    return dict(
        steps_per_temperature=[steps[active[:, r], r].tolist() for r in runs],
        acceptance_per_temperature=[acc[active[:, r], r].tolist() for r in runs],
        mutation_steps=[int(steps[active[:, r], r].sum()) for r in runs],
    )


def smc_result(
    posterior,
    state: SMCState,
    info: StepInfo,
    wall_time: float = 0.0,
    settings: SMCSettings | None = None,
    seed: int = 0,
) -> Samples:
    """The final particles as :class:`~bayes_uat.Samples` (R runs × P particles), their
    log p(θ | D) and :func:`run_info` (from the stacked ``info``) with ``wall_time`` (and,
    given the settings, the mass matrix used) added: what ``sample(posterior, "smc", ...)``
    returns."""
    theta = np.asarray(state.tempered.particles)
    out = dict(run_info(state, info), wall_time=float(wall_time))
    if settings is not None:
        out["mass"] = resolved_mass(posterior, settings)
    r, p, _ = theta.shape
    return Samples(
        theta=theta,
        log_density=np.asarray(posterior.log_density(theta)),
        sampler="smc",
        names=posterior.names,
        info=out,
        settings=dict(sampler="smc", chains=r, draws=p, seed=seed),
        wall_time=float(wall_time),
        seed=seed,
    )


def run_smc(
    posterior,
    runs: int = 4,
    settings: SMCSettings | None = None,
    *,
    seed: int = 0,
    callback=None,
) -> Samples:
    """Run R independent adaptive tempered SMC runs to the posterior: the loop
    ``sample(posterior, "smc", chains=runs, draws=particles, ...)`` runs, with every
    setting in one :class:`SMCSettings` and the state itself handed to ``callback``.

    ``callback(state, info)`` is called after every step with the new state and that step's
    :class:`StepInfo` (e.g. to report λ).
    Raises ValueError for bad settings, a prior that cannot be sampled, a log-likelihood
    that is non-finite at every prior draw, or a run past ``max_temperatures``.
    """
    settings = settings or SMCSettings()
    t0 = time.perf_counter()
    state = smc_init(posterior, runs, settings, seed)
    step = make_step(posterior, settings)
    infos = stack_info([], runs)
    while not smc_done(state):
        state, info = step(state)
        infos = append_info(infos, info)
        check_progress(state, temperatures(infos), settings)
        if callback is not None:
            callback(state, info)
    return smc_result(posterior, state, infos, time.perf_counter() - t0, settings, seed)


def check_progress(state: SMCState, temps: np.ndarray, settings: SMCSettings) -> None:
    """Raise when a run exceeds ``max_temperatures`` (``temps``: each run's temperatures so
    far) or its evidence became non-finite."""
    if np.max(temps) > settings.max_temperatures:
        lam = np.asarray(state.tempered.tempering_param).min()
        raise ValueError(
            f"SMC needed more than max_temperatures={settings.max_temperatures} temperatures "
            f"(λ = {lam:.3g}); raise it, or use more particles or a lower target_ess"
        )
    if not np.all(np.isfinite(np.asarray(state.log_evidence))):
        raise ValueError(
            "SMC's evidence became non-finite (every particle's weight vanished); use more "
            "particles or a higher target_ess"
        )


def run_masses(labels, n_modes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mass of each mode from independent runs' equally weighted particles.

    ``labels``: the mode index of every particle, shape (R, P) (−1: in no mode).  Mass of
    mode k = mean over runs of the share of the run's particles in k; its standard error is
    the spread of those shares across runs over √R (never the particles of one run, which
    resampling correlates).  Returns (mass, mass_se), each of shape (n_modes,); the SE is
    NaN for a single run.

    >>> m, se = run_masses(np.array([[0, 0, 1, 1], [0, 1, 1, 1]]))
    >>> m.tolist(), bool(se[0] > 0)
    ([0.375, 0.625], True)
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"labels must have shape (runs, particles), got {labels.shape}")
    n_modes = int(labels.max()) + 1 if n_modes is None else int(n_modes)
    share = np.stack([(labels == k).mean(axis=1) for k in range(n_modes)], axis=1)
    runs = labels.shape[0]
    se = share.std(axis=0, ddof=1) / math.sqrt(runs) if runs > 1 else np.full(n_modes, np.nan)
    return share.mean(axis=0), se


def evidence_text(info: dict) -> str | None:
    """One line on the evidence of an SMC run's ``Samples.info`` (None when it has none):
    ``log Z = −23.91 ± 0.08 (4 runs: −23.8, …)``."""
    logz = info.get("log_evidence")
    if not logz:
        return None
    se = info.get("log_evidence_se", float("nan"))
    runs = ", ".join(f"{v:.2f}" for v in logz)
    return (
        f"log evidence log p(D) = {np.mean(logz):.2f} ± {se:.2f} "
        f"({len(logz)} independent SMC runs: {runs})"
    )
