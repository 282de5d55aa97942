"""``sample()``: validate → build → run chunks → summarise, the same for every backend."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from ..optimize import SGDResult
from ..posterior import Posterior
from ..samples import Samples
from .base import Backend, check_int
from .registry import backend as find_backend
from .registry import default_chains
from .start import initial_points


class Plan(NamedTuple):
    """A validated run: the backend and every setting, before any work."""

    backend: Backend
    chains: int
    warmup: int
    draws: int
    seed: int
    chunk: int
    options: dict
    settings: dict


def sample(
    posterior: Posterior,
    sampler: str | None = None,
    *,
    chains: int | None = None,
    warmup: int = 1000,
    draws: int = 1000,
    seed: int = 0,
    init: str | np.ndarray = "sgd",
    sgd: SGDResult | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
    callback: Callable[[Samples, dict], None] | None = None,
    resume: tuple[Samples, dict] | None = None,
    **options: Any,
) -> Samples:
    """Draw from ``posterior`` with one of :data:`SAMPLERS`.

    Args:
        posterior: the target.
        sampler: ``"nuts"`` (default), ``"ensemble"`` (JAX-native stretch/DE moves, the fast
            ensemble), ``"emcee"``, ``"aies"`` (numpyro) or ``"smc"`` (tempered SMC).
        chains: NUTS chains, or ensemble walkers (default 4 chains / 4·dim walkers).
        warmup: NUTS adaptation steps, or ensemble burn-in steps (discarded).
        draws: kept draws per chain (per walker).
        seed: integer seed; the same seed gives identical draws on the same machine.
        init: ``"sgd"`` (SGD restarts; default), ``"prior"``, or an array of start points.
        sgd: an existing :class:`SGDResult` to initialise from.
        progress: show progress: one display per run for every sampler (a bar on a
            terminal, one line per chunk otherwise), advanced after each chunk, so
            ``chunk_size`` sets how often it moves; a one-chunk run on a terminal shows the
            backend's live display where it has one (NUTS: numpyro's bar, warm-up included).
        chunk_size: draws per chunk (default: all at once); ``callback`` is called after
            each chunk with the draws so far and the sampler state as named arrays.
        resume: ``(samples_so_far, state_arrays)`` from a callback: continue to ``draws`` in
            total, drawing exactly what the uninterrupted run draws.
        **options: NUTS: ``dense_mass`` (False), ``max_tree_depth`` (10), ``target_accept``
            (0.9: on the blog posterior it gave 1.8× the min ESS per second of numpyro's
            0.8, docs/benchmarks.md), ``chain_method`` ("auto", "vectorized" or
            "parallel"; see :func:`~bayes_uat.samplers.nuts.choose_chain_method`);
            ensemble: ``moves`` ("stretch", "de" or a mapping of weights such as
            ``{"stretch": 0.8, "de": 0.2}``) and ``stretch_a`` (2); AIES: ``moves``
            ("stretch" or "de"); emcee: ``moves`` (an emcee move); smc (``chains`` =
            independent runs, ``draws`` = particles per run, ``warmup`` unused): ``steps``,
            ``leapfrog``, ``target_ess``, ``target_accept``, ``kernel``, ``mass``,
            ``max_temperatures`` (:class:`~bayes_uat.samplers.smc.SMCSettings`).

    Returns:
        :class:`Samples` with θ of shape (chains, draws, dim).
    """
    plan = validate(posterior, sampler, chains, warmup, draws, seed, chunk_size, init, options)
    b = plan.backend
    args = (posterior,)
    rest = (plan.seed, plan.warmup, plan.draws)
    t0 = time.perf_counter()
    if resume is not None:
        done, arrays = resume
        if done.chains != plan.chains or done.dim != posterior.dim:
            raise ValueError(
                f"resume: the saved draws have {done.chains} chains of dim {done.dim}, this "
                f"run {plan.chains} of dim {posterior.dim}; resume with the same settings"
            )
        state = b.from_arrays(*args, arrays, *rest, **plan.options)
        samples = replace(done, sampler=b.name, settings=plan.settings)
    else:
        start = None
        if b.caps.start != "prior":
            ball = b.caps.start == "ball"
            start = initial_points(posterior, plan.chains, init, sgd=sgd, seed=plan.seed, ball=ball)
        state = b.init(*args, start, *rest, **plan.options)
        samples = None
    setup = time.perf_counter() - t0
    tty = progress and sys.stderr.isatty()
    live = tty and plan.chunk >= plan.draws and hasattr(b, "live_display")
    if live:  # the backend's own live bar is the run's display
        state = b.live_display(state)
        progress = tty = False
    show = _progress_display(b, progress, tty)
    samples, state = run_chunks(posterior, plan, state, samples, callback, show, setup)
    return summarise(plan, samples, state)


def validate(posterior, sampler, chains, warmup, draws, seed, chunk_size, init, options):
    """Check every argument once, before any work; returns the :class:`Plan`."""
    if not isinstance(posterior, Posterior):
        raise ValueError(f"sample needs a bayes_uat.Posterior, got {type(posterior).__name__}")
    name = sampler or "nuts"
    backend = find_backend(name)
    chains = default_chains(name, posterior.dim) if chains is None else chains
    chains = check_int("chains", chains, 1)
    warmup = check_int("warmup", warmup, 0)
    draws = check_int("draws", draws, 1)
    seed = check_int("seed", seed, 0)
    chunk = draws if chunk_size is None else min(check_int("chunk_size", chunk_size, 1), draws)
    unknown = set(options) - set(backend.options)
    if unknown:
        raise ValueError(
            f"unknown option(s) {sorted(unknown)} for sampler={name!r}; "
            f"allowed: {sorted(backend.options)}"
        )
    options = backend.validate(posterior, chains, draws, dict(options))
    own_start = backend.caps.start == "prior"  # tempered SMC: no warm-up, no start points
    settings = dict(
        sampler=name,
        chains=chains,
        **({} if own_start else dict(warmup=warmup)),
        draws=draws,
        seed=seed,
        **({} if own_start else dict(init=init if isinstance(init, str) else "given")),
        chunk_size=chunk,
        dtype=posterior.dtype,
        **{k: v for k, v in options.items() if isinstance(v, (str, int, float, bool))},
    )
    return Plan(backend, chains, warmup, draws, seed, chunk, options, settings)


def run_chunks(posterior, plan: Plan, state, samples, callback, show, setup: float):
    """Advance ``state`` a chunk at a time until the backend is finished, appending the
    draws to ``samples`` and calling ``callback(samples, state_arrays)`` after each chunk."""
    b = plan.backend
    extra = setup
    while not b.finished(state):
        t0 = time.perf_counter()
        state, d = b.advance(state, plan.chunk)
        part = Samples(
            theta=d.theta,
            log_density=d.log_density,
            sampler=b.name,
            names=posterior.names,
            stats=d.stats,
            settings=plan.settings,
            wall_time=time.perf_counter() - t0 + extra,
            seed=plan.seed,
        )
        extra = 0.0
        samples = part if samples is None else samples.concat(part)
        show(state)
        if callback is not None:
            callback(samples, b.to_arrays(state))
    show(None)
    return samples, state


def summarise(plan: Plan, samples: Samples, state) -> Samples:
    """Cut to ``draws`` (MCMC chunks may overshoot) and merge the backend's run info."""
    if samples.draws > plan.draws and plan.backend.caps.ordered:
        samples = samples.head(plan.draws)
    warmup = {} if plan.backend.caps.start == "prior" else dict(warmup=plan.warmup)
    info = dict(**warmup, **plan.backend.info(samples, state))
    return replace(samples, info={**samples.info, **info})


def _progress_display(backend, on: bool, tty: bool) -> Callable:
    """One progress display per run: a tqdm bar on a terminal, plain lines otherwise
    (no escape codes in log files); ``show(None)`` closes it."""
    if not on:
        return lambda state: None
    if not tty:
        last = [None]

        def line(state):
            if state is not None:
                frac, label = backend.progress(state)
                if label != last[0]:  # SMC's final mutation at λ = 1 changes no label
                    print(f"{backend.name}: {label} ({frac:.0%})", file=sys.stderr, flush=True)
                last[0] = label

        return line
    from tqdm.auto import tqdm

    fmt = "{desc}: {percentage:3.0f}%|{bar}| {postfix}"
    bar = tqdm(total=1000, desc=backend.name, bar_format=fmt)

    def update(state):
        if state is None:
            bar.close()
            return
        frac, label = backend.progress(state)
        bar.n = int(round(1000 * frac))
        bar.set_postfix_str(label)

    return update
