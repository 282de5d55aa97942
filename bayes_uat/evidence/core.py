"""Tempered SMC from a heavy-tailed reference mixture q to any unnormalised density p̃.

The estimator behind :func:`bayes_uat.evidence`, for any log-density θ ↦ log p̃(θ) and a
set of mode centres with covariances, so that it can be checked on planted targets with a
known normalising constant Z = ∫ p̃.

**Reference.** q̄ = Σ_k w_k t_ν(θ; μ_k, Σ_k), multivariate Student-t components (ν = ``df``,
scale matrix Σ_k) at the given centres. Where p̃ lives on a domain C (``inside(ref, θ)``,
which may depend on the run's reference; a fundamental domain of a network's symmetries),
q is q̄ truncated to C: q = q̄·1_C / q̄(C), with q̄(C) the share of draws from q̄ that land
in C — at least ``norm_draws``, and more until 20 000 have landed or 2·10⁷ were drawn — a
Monte Carlo estimate whose error, √((1 − s)/(s·n)) for a share s, is recorded.
Without a domain q = q̄ exactly.

**Path.** p_λ ∝ q^(1−λ) p̃^λ: blackjax's adaptive tempered SMC with ``logprior_fn = log q``
and ``loglikelihood_fn = log p̃ − log q``; the next λ holds the ESS of the incremental
weights at ``target_ess``·P. Since q is normalised, log Z = Σ_t log mean_i w_i^(t), the sum
of blackjax's ``log_likelihood_increment``.

**Mutation** (:func:`mutation_update`, a blackjax update strategy): ``steps`` sweeps, each

1. an independence Metropolis–Hastings proposal θ' ~ q for every particle (on a domain:
   the first of 64 draws from q̄ that lies in C; none, no move), accepted with probability
   min(1, [p_λ(θ')/q̄(θ')] / [p_λ(θ)/q̄(θ)]) — a move between modes in one step;
2. one HMC transition (blackjax) with the inverse mass matrix Σ_k of the component k
   nearest to the particle (Mahalanobis), restricted to the region of points nearest to
   k: a transition that ends nearer another component, or outside C, is rejected. A
   metric that depends on the position would break reversibility; restricted to the
   region where it is constant, each transition is HMC with a fixed metric on
   p_λ·1_region, which leaves p_λ invariant (the argument of
   :mod:`bayes_uat.samplers.smc_metric`). The trajectory follows p_λ's gradient
   unrestricted and only its end is tested: the leapfrog map is volume-preserving and
   reversible whatever the density it follows, and the acceptance of p_λ·1_region is
   1_region(end)·min(1, p_λ(end)/p_λ(start)·…), blackjax's times the test.

The step size is tuned per run from the last HMC acceptance (×exp(2(ā − 0.65))) and
jittered per particle in [½, 3/2]. After λ = 1 one more resample-and-mutate round leaves
P equally weighted particles.

**Reported per run:** log Z; the plain importance-sampling estimate log mean p̃/q over
the initial draws from q (a cheap cross-check); each component's share of the final
particles (nearest component by Mahalanobis distance); the share outside every component
(squared Mahalanobis distance to each beyond the χ²_d 0.999 quantile); the ESS of the
incremental weights and λ at every temperature; the log-density evaluations.

All runs advance together (vmapped); each has its own reference (padded to a common
number of components with zero weights), so one compiled program serves every run of a
given (runs, particles, dimension, components).

Example
-------
>>> import numpy as np, jax.numpy as jnp
>>> from bayes_uat.evidence.core import Target, make_reference, run_core
>>> tgt = Target(lambda args, x: -0.5 * jnp.sum(x**2))  # Z = (2π)^(d/2)
>>> ref = make_reference([np.zeros(2)], [np.eye(2)])
>>> res = run_core(tgt, [ref, ref], particles=200, seed=0, steps=2)
>>> bool(abs(res.log_evidence.mean() - np.log(2 * np.pi)) < 0.1)
True
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln, logsumexp

MAX_LEAPFROG = 1024
"""The most leapfrog steps one HMC transition may take (beyond it a run does not end)."""

OUTSIDE_QUANTILE = 0.999
"""A particle is outside a component when its squared Mahalanobis distance exceeds this
quantile of χ²_d."""


class Target(NamedTuple):
    """The unnormalised density: ``log_density(args, θ)`` for one θ of shape (dim,) and
    ``args`` a pytree of arrays passed to the compiled program (data, not a closure), and
    optionally ``inside(ref, θ)`` -> bool, the domain C where it lives, which may depend on
    the run's :class:`Reference` (None: everywhere); ``candidates``: the draws from q̄ an
    independence proposal tries at most, one at a time, for one in the domain (fewer where
    the domain test is costly: all particles wait for the slowest)."""

    log_density: Callable
    inside: Callable | None = None
    args: Any = ()
    candidates: int = 64


class Reference(NamedTuple):
    """q̄ = Σ_k w_k t_ν(μ_k, Σ_k), one run's reference (arrays; a leading run axis when
    stacked). ``chol`` is the Cholesky factor L of Σ_k and ``inv_chol`` its inverse;
    ``scale`` the square roots of Σ_k's diagonal; ``log_weights`` are normalised
    (−inf: a padding component); ``log_norm`` is log q̄(C) (0 without a domain)."""

    centres: jax.Array  # (K, d)
    chol: jax.Array  # (K, d, d)
    inv_chol: jax.Array  # (K, d, d): L⁻¹, so that distances need no triangular solve
    log_weights: jax.Array  # (K,)
    df: jax.Array  # ()
    log_norm: jax.Array  # ()
    scale: jax.Array  # (K, d): √diag Σ_k


class CoreState(NamedTuple):
    """All runs' SMC state; leading axis: run."""

    particles: jax.Array  # (R, P, d)
    weights: jax.Array  # (R, P)
    lam: jax.Array  # (R,)
    log_evidence: jax.Array  # (R,)
    step_size: jax.Array  # (R,)
    acc_hmc: jax.Array  # (R,) HMC acceptance at the last temperature
    acc_ind: jax.Array  # (R,) independence-proposal acceptance at the last temperature
    temperatures: jax.Array  # (R,) int
    finished: jax.Array  # (R,) bool
    lam_trace: jax.Array  # (R, T)
    ess_trace: jax.Array  # (R, T)
    evaluations: jax.Array  # (R,)
    keys: jax.Array  # (R, 2) uint32
    ref: Reference  # stacked (R, ...)


class CoreResult(NamedTuple):
    """What :func:`run_core` returns (numpy arrays; leading axis: run)."""

    log_evidence: np.ndarray  # (R,)
    is_log_evidence: np.ndarray  # (R,)
    particles: np.ndarray  # (R, P, d)
    component: np.ndarray  # (R, P) nearest component of each final particle
    component_mass: np.ndarray  # (R, K) share of final particles nearest to each
    outside_share: np.ndarray  # (R,)
    ess_path: list  # per run: ESS/P of the incremental weights per temperature
    temperatures: list  # per run: λ per temperature
    evaluations: np.ndarray  # (R,)
    log_norm: np.ndarray  # (R,) log q̄(C)
    log_norm_se: np.ndarray  # (R,) its Monte Carlo standard error
    acceptance: dict


# -- the reference ---------------------------------------------------------------------------
def make_reference(
    centres, covs, log_weights=None, *, df: float = 5.0, max_components: int | None = None
) -> Reference:
    """A reference from centres (K, d), covariances (K, d, d) (each symmetric positive
    definite: the scale matrix of its t component) and optional log weights (default:
    equal); padded with zero-weight components to ``max_components``."""
    mu = np.atleast_2d(np.asarray(centres, dtype=float))
    cov = np.asarray(covs, dtype=float).reshape(len(mu), mu.shape[1], mu.shape[1])
    k, d = mu.shape
    lw = np.zeros(k) if log_weights is None else np.asarray(log_weights, dtype=float)
    if lw.shape != (k,) or not np.all(np.isfinite(lw)):
        raise ValueError(f"log_weights must be {k} finite numbers, got {log_weights!r}")
    if not (np.isfinite(df) and df > 0):
        raise ValueError(f"df must be a positive number of degrees of freedom, got {df!r}")
    chol = np.empty_like(cov)
    for i, c in enumerate(cov):
        try:
            chol[i] = np.linalg.cholesky(0.5 * (c + c.T))
        except np.linalg.LinAlgError:
            raise ValueError(
                f"covariance {i} is not positive definite; floor its eigenvalues"
            ) from None
    lw = lw - logsumexp(jnp.asarray(lw))
    kmax = k if max_components is None else int(max_components)
    if k > kmax:
        raise ValueError(f"{k} components exceed max_components={kmax}")
    pad = kmax - k
    if pad:
        mu = np.concatenate([mu, np.repeat(mu[:1], pad, 0)])
        chol = np.concatenate([chol, np.repeat(chol[:1], pad, 0)])
        lw = np.concatenate([np.asarray(lw), np.full(pad, -np.inf)])
    inv = np.stack([np.linalg.inv(c) for c in chol])
    scale = np.sqrt(np.sum(chol**2, axis=-1))
    return Reference(
        jnp.asarray(mu), jnp.asarray(chol), jnp.asarray(inv), jnp.asarray(lw),
        jnp.asarray(float(df)), jnp.zeros(()), jnp.asarray(scale),
    )  # fmt: skip


def _mahalanobis2(ref: Reference, x) -> jax.Array:
    """Squared Mahalanobis distance of x (d,) to every component, (K,)."""
    z = jnp.einsum("kij,kj->ki", ref.inv_chol, x - ref.centres)
    return jnp.sum(z * z, axis=-1)


def log_qbar(ref: Reference, x) -> jax.Array:
    """log q̄(x) = log Σ_k w_k t_ν(x; μ_k, Σ_k) for one x (d,)."""
    d = x.shape[-1]
    nu = ref.df
    m2 = _mahalanobis2(ref, x)
    logdet = jnp.sum(jnp.log(jnp.abs(jnp.diagonal(ref.chol, axis1=-2, axis2=-1))), axis=-1)
    const = gammaln((nu + d) / 2) - gammaln(nu / 2) - 0.5 * d * jnp.log(nu * jnp.pi)
    lt = const - logdet - 0.5 * (nu + d) * jnp.log1p(m2 / nu)
    return logsumexp(ref.log_weights + lt)


def sample_qbar(ref: Reference, key, n: int) -> jax.Array:
    """n draws from q̄, (n, d)."""
    k_c, k_z, k_g = jax.random.split(key, 3)
    d = ref.centres.shape[-1]
    comp = jax.random.categorical(k_c, ref.log_weights, shape=(n,))
    z = jax.random.normal(k_z, (n, d), dtype=ref.centres.dtype)
    g = jax.random.gamma(k_g, ref.df / 2, (n,), dtype=ref.centres.dtype) / (ref.df / 2)
    step = jnp.einsum("nij,nj->ni", ref.chol[comp], z) / jnp.sqrt(g)[:, None]
    return ref.centres[comp] + step


def nearest(ref: Reference, x) -> tuple[jax.Array, jax.Array]:
    """The nearest live component of x (Mahalanobis) and the squared distance to it."""
    m2 = jnp.where(jnp.isfinite(ref.log_weights), _mahalanobis2(ref, x), jnp.inf)
    k = jnp.argmin(m2)
    return k, m2[k]


# -- the mutation ----------------------------------------------------------------------------
def mutation_update(
    mcmc_init_fn,
    logposterior_fn,
    mcmc_step_fn,
    num_mcmc_steps,
    n_particles,
    ref: Reference = None,
    inside=None,
    candidates: int = 64,
    **_,
):
    """A blackjax update strategy: ``num_mcmc_steps`` sweeps of (independence proposal
    from q̄, then one HMC transition restricted to the nearest component's region with
    that component's covariance as inverse mass matrix); see the module docstring.
    Returns ``(update, n_particles)`` as blackjax's strategies do; the update's info is
    (HMC acceptance per particle, independence acceptance per particle)."""
    cov = jnp.einsum("kij,klj->kil", ref.chol, ref.chol)
    n_sweeps = num_mcmc_steps

    def in_domain(x):
        return jnp.array(True) if inside is None else inside(ref, x)

    def ends_in(region, x):  # the end of a transition must lie in the region and the domain
        return in_domain(x) & (nearest(ref, x)[0] == region)

    def independence(key, x, lp_x):
        k_q, k_u = jax.random.split(key)
        if inside is None:
            y, found = sample_qbar(ref, k_q, 1)[0], jnp.array(True)
        else:  # the first of ``candidates`` draws that lies in C: a draw from q̄·1_C

            def go_on(c):
                return (c[0] < candidates) & ~c[1]

            def draw(c):
                y = sample_qbar(ref, jax.random.fold_in(k_q, c[0]), 1)[0]
                return c[0] + 1, inside(ref, y), y

            start = (jnp.zeros((), jnp.int32), jnp.array(False), x)
            _, found, y = jax.lax.while_loop(go_on, draw, start)
        lp_y = jnp.where(found, logposterior_fn(y), -jnp.inf)
        log_a = (lp_y - log_qbar(ref, y)) - (lp_x - log_qbar(ref, x))
        ok = jnp.log(jax.random.uniform(k_u, dtype=x.dtype)) < log_a
        ok = ok & jnp.isfinite(lp_y)
        return jnp.where(ok, y, x), jnp.where(ok, lp_y, lp_x), ok

    def one_particle(key, x, params):
        def sweep(carry, i):
            x, lp, acc_h, acc_i = carry
            k = jax.random.fold_in(key, i)
            k_ind, k_hmc = jax.random.split(k)
            x, lp, ok = independence(k_ind, x, lp)
            region = nearest(ref, x)[0]
            state = mcmc_init_fn(x, logposterior_fn)
            new, info = mcmc_step_fn(
                k_hmc, state, logposterior_fn, inverse_mass_matrix=cov[region], **params
            )
            end = info.proposal
            end_ok = ends_in(region, end.position)  # one domain test per transition
            moved = info.is_accepted & end_ok & jnp.all(jnp.isfinite(end.position))
            rate = jnp.where(jnp.isfinite(info.acceptance_rate), info.acceptance_rate, 0.0)
            rate = jnp.where(end_ok, rate, 0.0)
            x_new = jnp.where(moved, end.position, x)
            lp_new = jnp.where(moved, end.logdensity, lp)
            return (x_new, lp_new, acc_h + rate, acc_i + ok), None

        lp0 = jnp.where(in_domain(x), logposterior_fn(x), -jnp.inf)
        zero = jnp.zeros((), x.dtype)
        (x, _, acc_h, acc_i), _ = jax.lax.scan(sweep, (x, lp0, zero, zero), jnp.arange(n_sweeps))
        return x, (acc_h / n_sweeps, acc_i / n_sweeps)

    def update(keys, positions, params):
        return jax.vmap(one_particle)(keys, positions, params)

    return update, n_particles


# -- the program -----------------------------------------------------------------------------
IND_CANDIDATES = 64
"""Draws from q̄ per independence proposal on a domain at most, one at a time: the first that
lies in C is the proposal (none: the particle stays), so a reference with little mass in C
still proposes, and one with most of its mass there pays for about one domain test."""

NORM_CHUNK = 20_000
NORM_HITS = 20_000
NORM_MAX_DRAWS = 20_000_000
"""q̄(C) is estimated from chunks of NORM_CHUNK draws: at least ``norm_draws``, and on until
NORM_HITS have landed in C (log SE ≈ 1/√NORM_HITS ≈ 0.007) or NORM_MAX_DRAWS were drawn."""


class Settings(NamedTuple):
    """Settings of :func:`run_core`."""

    particles: int = 1000
    steps: int = 10
    leapfrog: int = 10
    target_ess: float = 0.5
    target_accept: float = 0.65
    max_temperatures: int = 200
    norm_draws: int = 100_000


def check_settings(settings: Settings, dim: int) -> Settings:
    """Validate settings for a density of dimension ``dim``; ValueError naming the fix."""

    def integer(name, v, lo, fix, hi=None):
        ok = not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= lo
        if not ok or (hi is not None and v > hi):
            what = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
            raise ValueError(f"{name} must be an integer {what}, got {v!r}; {fix}")

    integer(
        "particles",
        settings.particles,
        max(2 * dim, 16),
        f"this {dim}-parameter density needs at least max(2·dim, 16) = {max(2 * dim, 16)} "
        "particles (more for many modes)",
    )
    integer("steps", settings.steps, 1, "pass e.g. steps=10 mutation sweeps per temperature")
    integer("leapfrog", settings.leapfrog, 1, "pass e.g. leapfrog=10", hi=MAX_LEAPFROG)
    integer("max_temperatures", settings.max_temperatures, 1, "pass e.g. 200")
    integer("norm_draws", settings.norm_draws, 1000, "pass e.g. 100000")
    for name in ("target_ess", "target_accept"):
        v = getattr(settings, name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {v!r}")
    return settings


_PROGRAMS: dict = {}


def _program(target: Target, settings: Settings):
    """(init, step), jitted, cached per target functions and settings: one compilation
    per shape of the arrays (runs, particles, dimension, components)."""
    key = (target.log_density, target.inside, target.candidates, settings)
    if key not in _PROGRAMS:
        bare = target._replace(args=())

        def ratios(args, ref, x):  # log p̃ − log q of every run's particles
            return jax.vmap(lambda r, xs: jax.vmap(_densities(bare, args, r)[1])(xs))(ref, x)

        _PROGRAMS[key] = (
            jax.jit(partial(_init_run, bare, settings)),
            jax.jit(partial(_step, bare, settings)),
            jax.jit(ratios),
        )
    return _PROGRAMS[key]


def _densities(target: Target, args, ref: Reference):
    """log q and log p̃ − log q, as they are inside the domain. They are not tested for the
    domain: every particle lies in it (the initial draws do, and the mutation moves only
    there), so the weights need no test, and the HMC trajectories follow these densities
    and are tested at their ends (:func:`mutation_update`)."""

    def log_q(x):
        return log_qbar(ref, x) - ref.log_norm

    def log_ratio(x):
        lp = target.log_density(args, x)
        lp = jnp.where(jnp.isnan(lp), -jnp.inf, lp)
        r = lp - (log_qbar(ref, x) - ref.log_norm)
        floor = -0.01 * jnp.finfo(x.dtype).max  # λ·(−∞) would give NaN at λ = 0
        return jnp.maximum(r, floor)

    return log_q, log_ratio


def _init_run(target: Target, settings: Settings, args, ref: Reference, key):
    """One run at λ = 0: the reference's mass in the domain (Monte Carlo), P draws from q,
    the importance-sampling estimate. Returns (particles, log_norm, log_norm_se, is_logz,
    n_inside)."""
    k_norm, k_draw = jax.random.split(key)
    p = settings.particles
    if target.inside is None:
        log_norm = jnp.zeros((), ref.centres.dtype)
        se = jnp.zeros((), ref.centres.dtype)
        x = sample_qbar(ref, k_draw, p)
        n_in = jnp.asarray(p)
    else:
        x, log_norm, se, n_in = _draws_in_domain(partial(target.inside, ref), settings, ref, key)
    ref = ref._replace(log_norm=log_norm)
    _, log_ratio = _densities(target, args, ref)
    lr = jax.vmap(log_ratio)(x)
    is_logz = logsumexp(lr) - jnp.log(p)
    return x, log_norm, se, is_logz, n_in


def _count_dtype():
    """The integer type of counts: 64-bit where JAX's 64-bit mode is on."""
    return jnp.int64 if jax.config.jax_enable_x64 else jnp.int32


def _draws_in_domain(inside, settings: Settings, ref: Reference, key):
    """Draws from q̄ in chunks of :data:`NORM_CHUNK`, at least ``norm_draws`` of them, and
    on until :data:`NORM_HITS` have landed in C or :data:`NORM_MAX_DRAWS` were drawn: the
    share s that landed estimates q̄(C) (SE √((1 − s)/(s·n)) in log), and the first P that
    landed are the initial particles (draws from q = q̄·1_C/q̄(C)). Returns (particles,
    log q̄(C), its SE, the number inside)."""
    p, d, dt = settings.particles, ref.centres.shape[-1], ref.centres.dtype
    need = max(settings.norm_draws, NORM_CHUNK)

    def go_on(c):
        n, hits = c[0], c[1]
        return (n < need) | ((hits < NORM_HITS) & (n < NORM_MAX_DRAWS))

    def chunk(c):
        n, hits, buf, k = c
        k, sub = jax.random.split(k)
        cand = sample_qbar(ref, sub, NORM_CHUNK)
        ok = jax.vmap(inside)(cand)
        slot = jnp.where(ok, hits + jnp.cumsum(ok) - 1, p)  # p: dropped
        buf = buf.at[slot].set(cand, mode="drop")
        return n + NORM_CHUNK, hits + jnp.sum(ok), buf, k

    zero = jnp.asarray(0, _count_dtype())
    start = (zero, zero, jnp.zeros((p, d), dt), key)
    n, hits, x, _ = jax.lax.while_loop(go_on, chunk, start)
    s = hits.astype(dt) / n.astype(dt)
    se = jnp.sqrt((1 - s) / (jnp.maximum(s, 1e-300) * n.astype(dt)))
    return x, jnp.log(s), se, hits


def _step(target: Target, settings: Settings, args, s: CoreState) -> CoreState:
    import blackjax
    import blackjax.smc.adaptive_tempered as adaptive
    from blackjax.smc import resampling
    from blackjax.smc.tempered import TemperedSMCState

    p = settings.particles
    hmc = partial(blackjax.hmc.build_kernel(), num_integration_steps=settings.leapfrog)

    def one(x, w, lam, eps, ref, key):
        log_q, log_ratio = _densities(target, args, ref)
        key, k_jit, k_smc = jax.random.split(key, 3)
        jitter = jax.random.uniform(k_jit, (p,), minval=0.5, maxval=1.5, dtype=x.dtype)
        strategy = partial(
            mutation_update, ref=ref, inside=target.inside, candidates=target.candidates
        )
        kernel = adaptive.build_kernel(
            log_q, log_ratio, hmc, blackjax.hmc.init, resampling.systematic,
            settings.target_ess, update_strategy=strategy,
        )  # fmt: skip
        state, info = kernel(
            k_smc, TemperedSMCState(x, w, lam), settings.steps, dict(step_size=eps * jitter)
        )
        acc_h, acc_i = info.update_info
        a_h = jnp.mean(acc_h)
        lam_new = jnp.where(state.tempering_param > 1.0 - 1e-9, 1.0, state.tempering_param)
        return (
            state.particles,
            state.weights,
            lam_new,
            info.log_likelihood_increment,
            eps * jnp.exp(2.0 * (a_h - settings.target_accept)),
            a_h,
            jnp.mean(acc_i),
            1.0 / jnp.sum(state.weights**2) / p,
            key,
        )

    x, w, lam, dlogz, eps, a_h, a_i, ess, keys = jax.vmap(one)(
        s.particles, s.weights, s.lam, s.step_size, s.ref, s.keys
    )
    active = ~s.finished
    at_one = s.lam >= 1.0
    here = active[:, None] & (jnp.arange(s.lam_trace.shape[1])[None, :] == s.temperatures[:, None])

    def pick(new, old):
        return jnp.where(active.reshape(active.shape + (1,) * (new.ndim - 1)), new, old)

    per_temp = p * (2 + settings.steps * (2 + settings.leapfrog))
    return s._replace(
        particles=pick(x, s.particles),
        weights=pick(w, s.weights),
        lam=pick(lam, s.lam),
        log_evidence=s.log_evidence + jnp.where(active, dlogz, 0.0),
        step_size=pick(eps, s.step_size),
        acc_hmc=pick(a_h, s.acc_hmc),
        acc_ind=pick(a_i, s.acc_ind),
        temperatures=s.temperatures + (active & ~at_one).astype(s.temperatures.dtype),
        finished=s.finished | at_one,
        lam_trace=jnp.where(here & ~at_one[:, None], lam[:, None], s.lam_trace),
        ess_trace=jnp.where(here & ~at_one[:, None], ess[:, None], s.ess_trace),
        evaluations=s.evaluations + jnp.where(active, per_temp, 0),
        keys=pick(keys, s.keys),
    )


def stack(refs) -> Reference:
    """Stack per-run references (same number of components) along a leading run axis."""
    return Reference(*(jnp.stack(v) for v in zip(*refs)))


def core_init(target: Target, refs, settings: Settings, seed: int):
    """All runs at λ = 0. Returns (state, extras) where extras holds the per-run
    importance-sampling estimate and log q̄(C) with its Monte Carlo SE."""
    ref = stack(refs)
    runs, _, dim = ref.centres.shape
    settings = check_settings(settings, dim)
    init, _, _ = _program(target, settings)
    keys = jax.random.split(jax.random.PRNGKey(int(seed)), runs + 1)
    run_keys, init_keys = jax.random.split(keys[0], runs), keys[1:]
    out = jax.vmap(init, in_axes=(None, 0, 0))(target.args, ref, init_keys)
    x, log_norm, se, is_logz, n_in = out
    n_in = np.asarray(n_in)
    if np.any(n_in < settings.particles):
        bad = np.flatnonzero(n_in < settings.particles).tolist()
        raise ValueError(
            f"run(s) {bad}: fewer than {settings.particles} of {NORM_MAX_DRAWS} draws from "
            "the reference fell in the domain; its components lie (almost) outside it: "
            "centre them inside the domain"
        )
    ref = ref._replace(log_norm=log_norm)
    _check_reference(target, settings, ref, x)
    dt = x.dtype
    p = settings.particles
    t = settings.max_temperatures + 2
    zeros = jnp.zeros(runs, dt)
    state = CoreState(
        particles=x,
        weights=jnp.full((runs, p), 1.0 / p, dt),
        lam=zeros,
        log_evidence=zeros,
        step_size=jnp.full(runs, 0.5 / dim**0.25, dt),
        acc_hmc=zeros,
        acc_ind=zeros,
        temperatures=jnp.zeros(runs, jnp.int32),
        finished=jnp.zeros(runs, bool),
        lam_trace=jnp.zeros((runs, t), dt),
        ess_trace=jnp.zeros((runs, t), dt),
        evaluations=jnp.full(runs, p, _count_dtype()),
        keys=run_keys,
        ref=ref,
    )
    return state, dict(is_log_evidence=np.asarray(is_logz), log_norm_se=np.asarray(se))


def _check_reference(target: Target, settings: Settings, ref: Reference, x):
    """log p̃ − log q at the initial draws: some finite value per run, else ValueError."""
    lr = np.asarray(_program(target, settings)[2](target.args, ref, x))
    dead = ~np.any(np.isfinite(lr) & (lr > -0.01 * np.finfo(lr.dtype).max), axis=1)
    if dead.any():
        raise ValueError(
            f"run(s) {np.flatnonzero(dead).tolist()}: the density is zero (or not finite) at "
            "every draw from the reference; the centres or covariances do not cover it"
        )
    return lr


def core_step(target: Target, settings: Settings, state: CoreState) -> CoreState:
    """Every unfinished run one temperature on (or its final round at λ = 1)."""
    step = _program(target, settings)[1]
    return step(target.args, state)


def core_done(state: CoreState) -> bool:
    return bool(np.all(np.asarray(state.finished)))


def check_progress(state: CoreState, settings: Settings) -> None:
    """ValueError past ``max_temperatures`` or for a non-finite evidence."""
    if int(np.asarray(state.temperatures).max()) > settings.max_temperatures:
        raise ValueError(
            f"more than max_temperatures={settings.max_temperatures} temperatures; the "
            "reference is far from the density: raise max_temperatures or particles"
        )
    if not np.all(np.isfinite(np.asarray(state.log_evidence))):
        raise ValueError("the evidence became non-finite: every particle's weight vanished")


def core_result(state: CoreState, extras: dict) -> CoreResult:
    """Final numbers of every run from a finished state."""
    ref = state.ref
    x = state.particles
    comp, m2 = jax.jit(jax.vmap(jax.vmap(nearest, in_axes=(None, 0))))(ref, x)
    comp, m2 = np.asarray(comp), np.asarray(m2)
    runs, _, dim = x.shape
    k = ref.centres.shape[1]
    mass = np.stack([(comp == j).mean(axis=1) for j in range(k)], axis=1)
    from scipy.stats import chi2

    outside = (m2 > chi2.ppf(OUTSIDE_QUANTILE, dim)).mean(axis=1)
    temps = np.asarray(state.temperatures)
    lam = np.asarray(state.lam_trace)
    ess = np.asarray(state.ess_trace)
    return CoreResult(
        log_evidence=np.asarray(state.log_evidence, dtype=float),
        is_log_evidence=np.asarray(extras["is_log_evidence"], dtype=float),
        particles=np.asarray(x),
        component=comp,
        component_mass=mass,
        outside_share=outside,
        ess_path=[ess[r, : temps[r]].tolist() for r in range(runs)],
        temperatures=[lam[r, : temps[r]].tolist() for r in range(runs)],
        evaluations=np.asarray(state.evaluations),
        log_norm=np.asarray(ref.log_norm, dtype=float),
        log_norm_se=np.asarray(extras["log_norm_se"], dtype=float),
        acceptance=dict(
            hmc=np.asarray(state.acc_hmc).tolist(), independence=np.asarray(state.acc_ind).tolist()
        ),
    )


def run_core(target: Target, refs, *, seed: int = 0, callback=None, **settings) -> CoreResult:
    """Tempered SMC from each reference in ``refs`` (one per independent run) to the
    target; see the module docstring. ``settings``: fields of :class:`Settings`."""
    settings = Settings(**settings)
    state, extras = core_init(target, refs, settings, seed)
    while not core_done(state):
        state = core_step(target, settings, state)
        check_progress(state, settings)
        if callback is not None:
            callback(state)
    return core_result(state, extras)
