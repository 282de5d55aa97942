"""One benchmark case per process (so peak memory and compile time are its own).

    python benchmarks/cases.py CASE [--reps R] [--quick]

Prints one JSON object: wall times of each repetition (the first includes compilation),
their median, ESS figures on canonical parameters, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np

import bayes_uat as bu
from bayes_uat import to_canonical
from bayes_uat.diagnostics import diagnostics
from bayes_uat.runtime import enable_compilation_cache, enable_x64, set_host_device_count

WALKERS, STEPS = 28, 10_000
CHAIN_COUNTS = (1, 4, 16, 64, 256, 1024)

# host devices as the bayes-uat command sets them, so NUTS's CPU default (one chain per
# device) is what is measured; read by XLA at its first computation, which is later
set_host_device_count(max(os.cpu_count() or 1, 4))
# a fresh persistent compilation cache per process, as the bayes-uat command keeps one: a
# case's first repetition compiles and fills it, later ones load from it
enable_compilation_cache(tempfile.mkdtemp(prefix="bu-bench-cache-"))
enable_x64()


def blog_posterior(dtype=None):
    return bu.Posterior(
        bu.MLP(2, "sigmoid"), bu.make_dataset("x2"), prior_std=30.0, likelihood="mse", dtype=dtype
    )


def sin16_posterior(dtype=None):
    return bu.Posterior(
        bu.MLP(16, "sigmoid"), bu.make_dataset("sin"), prior_std=30.0, likelihood="mse", dtype=dtype
    )


def ess_stats(post, theta, wall):
    can = to_canonical(post, theta)
    d = diagnostics(can, post.names)
    ess = np.array(list(d["ess_bulk"].values()))
    return dict(
        min_ess=float(ess.min()),
        median_ess=float(np.median(ess)),
        min_ess_per_s=float(ess.min() / wall),
        median_ess_per_s=float(np.median(ess) / wall),
        max_rhat_canonical=d["max_rhat"],
    )


def start_ball(post, n, seed=0):
    sgd = bu.train_sgd(post, restarts=8, learning_rate=0.1, seed=seed)
    rng = np.random.default_rng(seed)
    return sgd, sgd.best + 1e-3 * (np.abs(sgd.best) + 1e-2) * rng.standard_normal((n, post.dim))


def case_blog_reference(reps, steps):
    """The blog's code as written (its lmod, lnlike, lnprior and lnprob, numpy arrays in
    place of its torch tensors): emcee calling a Python log-probability once per walker."""
    import emcee

    data = bu.make_dataset("x2")
    x, y = np.asarray(data.x), np.asarray(data.y)

    def sig(z):
        return 1.0 / (1.0 + np.exp(-z))

    def lmod(x, pars):
        nu = int((len(pars) - 1) / 3)
        res = pars[-1]
        for i in range(nu):
            res += sig(pars[0 + i * 3] * x + pars[1 + i * 3]) * pars[2 + i * 3]
        return res

    def lnlike(pars, x, y):
        y_lmod = lmod(x, pars)
        return -(((y - y_lmod) ** 2).sum() / len(y)).item()

    def lnprior(pars):
        std = 30
        lp = 0.0
        for p in pars:
            lp += -0.5 * (p) ** 2 / std**2 - np.log(np.sqrt(2 * np.pi) * std)
        return lp

    def lnprob(pars, x, y):
        lk, lp = lnlike(pars, x, y), lnprior(pars)
        if not np.isfinite(lp) or not np.isfinite(lk):
            return -np.inf
        return lp + lk

    post = blog_posterior()
    _, p0 = start_ball(post, WALKERS)
    walls, theta = [], None
    with np.errstate(over="ignore"):  # the blog's sigmoid overflows exp for far walkers
        for _ in range(reps):
            s = emcee.EnsembleSampler(WALKERS, 7, lnprob, args=(x, y))
            t0 = time.perf_counter()
            s.run_mcmc(p0, steps, progress=False)
            walls.append(time.perf_counter() - t0)
            theta = np.swapaxes(s.get_chain(), 0, 1)
    out = dict(walls=walls, steps=steps)
    out.update(ess_stats(post, theta[:, steps // 5 :], walls[-1]))
    return out


def nuts_stats(s, max_tree_depth=10):
    steps = s.stats["num_steps"]
    return dict(
        mean_leapfrog=float(steps.mean()),
        leapfrog=float(steps.sum()),
        divergences=int(s.stats["diverging"].sum()),
        depth_hits=int((s.stats["tree_depth"] >= max_tree_depth).sum()),
        depth_hit_fraction=float((s.stats["tree_depth"] >= max_tree_depth).mean()),
    )


def unit_geometry(post, s):
    """What NUTS faces: the canonical first-layer slopes w (1 % and 99 % quantiles over all
    units), the correlation of each unit's b with its w (the smallest over units), each
    unit's median step location −b/w, and the median adapted step size."""
    can = np.asarray(to_canonical(post, s.theta)).reshape(-1, post.dim)
    W, b = (np.asarray(i) for i in post.net._layout["layers"][0])
    w, bb = can[:, W[:, 0]], can[:, b]
    return dict(
        w_q01=float(np.quantile(w, 0.01)),
        w_q99=float(np.quantile(w, 0.99)),
        min_corr_wb=float(min(abs(np.corrcoef(w[:, i], bb[:, i])[0, 1]) for i in range(len(b)))),
        unit_locations=[float(v) for v in np.median(-bb / w, axis=0)],
        median_step_size=float(np.median(s.stats["step_size"])),
    )


def case_sampler(method, reps, steps, dtype=None, make_posterior=None, nuts=(4, 1000, 1000), **kw):
    """One sampler, ``reps`` runs with seeds 0, 1, …. The first run pays compilation (the
    persistent cache then holds it, as in the bayes-uat command) and is left out of the
    statistics: wall is the median of the others, ESS figures are medians over them (the
    seeds differ, so they show the spread of the posterior's difficulty, not only timing)."""
    post = (make_posterior or blog_posterior)(dtype)
    sgd, _ = start_ball(post, WALKERS)
    walls, per_rep = [], []
    for r in range(reps):
        t0 = time.perf_counter()
        if method == "nuts":
            chains, warmup, draws = nuts
        else:
            chains, warmup, draws = WALKERS, steps // 5, steps - steps // 5
        s = bu.sample(
            post,
            method,
            chains=chains,
            warmup=warmup,
            draws=draws,
            seed=r,
            sgd=sgd,
            progress=False,
            **kw,
        )
        walls.append(time.perf_counter() - t0)
        rep = ess_stats(post, s.theta, walls[-1])
        if method == "nuts":
            rep.update(nuts_stats(s, kw.get("max_tree_depth", 10)))
            rep["leapfrog_per_s"] = rep["leapfrog"] / walls[-1]
            rep.update(unit_geometry(post, s))
        per_rep.append(rep)
    return _timed_summary(walls, per_rep, steps=steps)


def _timed_summary(walls, per_rep, **extra):
    """Leave out the first (compiling) repetition: medians of the others, divergences and
    depth hits summed over them."""
    timed = per_rep[1:] if len(walls) > 1 else per_rep
    out = dict(walls=walls, per_rep=per_rep, **extra)
    out["compile_s"] = walls[0] - float(np.median(walls[1:])) if len(walls) > 1 else None
    for k in timed[0]:
        v = [rep[k] for rep in timed]
        if k in ("divergences", "depth_hits"):
            out[k] = int(np.sum(v))
        elif isinstance(v[0], list):
            out[k] = np.median(v, axis=0).tolist()
        else:
            out[k] = float(np.median(v))
    return out


def case_nuts_chains(reps, chains):
    """Vectorised NUTS on the 49-parameter posterior: draws and leapfrog steps per second
    against the chain count, tree depth capped at 4 (a throughput measurement, not a
    posterior estimate). One run: 10 warm-up iterations, then 2 + ``reps`` chunks of K
    draws, timed chunk by chunk through the sampler's callback. The first chunk holds the
    warm-up and its compilation, the second compiles the post-warm-up loop; the rates are
    medians over the later chunks, which run the compiled program alone. K is set from one
    batched gradient's cost. ``compile_s`` is the first two chunks' excess over two timed
    ones: compilation, plus the 10 warm-up iterations' work."""
    post = sin16_posterior()
    init = 0.3 * np.random.default_rng(0).normal(size=(chains, post.dim))
    f = jax.jit(jax.vmap(jax.value_and_grad(post.log_density_fn)))
    th = jnp.asarray(init, post.dtype)
    jax.block_until_ready(f(th))
    t0 = time.perf_counter()
    for _ in range(5):
        jax.block_until_ready(f(th))
    grad_s = (time.perf_counter() - t0) / 5
    # about 2 s of gradients at 8 leapfrog steps per draw; the rates divide by each chunk's
    # measured time, whatever its length
    k = int(np.clip(np.ceil(2.0 / (8 * grad_s)), 5, 1000))
    stamps = [time.perf_counter()]

    def tick(samples, state):
        stamps.append(time.perf_counter())

    s = bu.sample(
        post,
        "nuts",
        chains=chains,
        warmup=10,
        draws=(2 + reps) * k,
        chunk_size=k,
        seed=0,
        init=init,
        progress=False,
        chain_method="vectorized",
        max_tree_depth=4,
        callback=tick,
    )
    chunk_s = np.diff(stamps)
    steps = s.stats["num_steps"].reshape(chains, 2 + reps, k).sum(axis=(0, 2))
    timed = range(2, 2 + reps)
    return dict(
        walls=[float(t) for t in chunk_s],
        chains=chains,
        draws_per_chunk=k,
        compile_s=float(chunk_s[0] + chunk_s[1] - 2 * np.median(chunk_s[2:])),
        draws_per_s=float(np.median([chains * k / chunk_s[i] for i in timed])),
        leapfrog_per_s=float(np.median([steps[i] / chunk_s[i] for i in timed])),
        mean_leapfrog_per_draw=float(s.stats["num_steps"][:, 2 * k :].mean()),
    )


def case_emcee_overhead(reps, steps):
    """emcee's own cost per step: 28 walkers, vectorize=True, a trivial numpy log-prob."""
    import emcee

    p0 = np.random.default_rng(0).standard_normal((WALKERS, 7))
    walls = []
    for _ in range(reps):
        s = emcee.EnsembleSampler(WALKERS, 7, lambda x: -0.5 * np.sum(x**2, axis=1), vectorize=True)
        t0 = time.perf_counter()
        s.run_mcmc(p0, steps, progress=False)
        walls.append(time.perf_counter() - t0)
    return dict(walls=walls, steps=steps, per_step_us=float(np.median(walls)) / steps * 1e6)


def case_logprob_floor(reps, steps, dtype=None):
    """The log-prob work alone: 2 half-ensemble evaluations per step, all 2·steps of them in
    one compiled loop (no Python, no dispatch); also the cost of one call from Python."""
    post = blog_posterior(dtype)
    th = jnp.asarray(np.random.default_rng(0).normal(size=(WALKERS // 2, 7)), post.dtype)
    logd = post.log_density_fn

    @jax.jit
    def loop(th):
        def body(acc, i):
            # the shift depends on the carry, so no evaluation can be hoisted or skipped
            return acc + jnp.sum(jax.vmap(logd)(th + 1e-30 * acc)), None

        return jax.lax.scan(body, jnp.zeros((), th.dtype), None, length=2 * steps)[0]

    loop(th).block_until_ready()
    walls = []
    for _ in range(reps):
        t0 = time.perf_counter()
        loop(th).block_until_ready()
        walls.append(time.perf_counter() - t0)
    f = jax.jit(jax.vmap(logd))
    f(th).block_until_ready()
    t0 = time.perf_counter()
    for _ in range(2000):
        f(th).block_until_ready()
    call_us = (time.perf_counter() - t0) / 2000 * 1e6
    return dict(
        walls=walls,
        steps=steps,
        per_eval_us=float(np.median(walls)) / (2 * steps) * 1e6,
        per_python_call_us=call_us,
    )


def case_grad_throughput(reps, steps, chains, make_posterior=sin16_posterior):
    """Batched value_and_grad (default: the 49-parameter sin posterior): evaluations per
    second."""
    post = make_posterior()
    th = jnp.asarray(0.3 * np.random.default_rng(0).normal(size=(chains, post.dim)), post.dtype)
    f = jax.jit(jax.vmap(jax.value_and_grad(post.log_density_fn)))
    t0 = time.perf_counter()
    jax.block_until_ready(f(th))
    compile_s = time.perf_counter() - t0
    n = max(3, int(2000 / chains))
    walls = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            jax.block_until_ready(f(th))
        walls.append((time.perf_counter() - t0) / n)
    med = float(np.median(walls))
    return dict(
        walls=walls, chains=chains, compile_s=compile_s, s_per_call=med, grads_per_s=chains / med
    )


def case_nuts_location(reps, steps):
    """NUTS defaults in a per-unit location parameterisation: each first-layer unit's bias
    b is replaced by t = −b/‖w‖, the signed distance of its step from the origin
    (Jacobian ‖w‖ per unit), so that a unit's steepness and location are separate
    coordinates. Sampled with numpyro directly (4 chains, one per host device, 1000 + 1000,
    target accept 0.9, diagonal mass), draws mapped back to θ before the ESS."""
    from numpyro.infer import MCMC, NUTS

    from bayes_uat import initial_points

    post = blog_posterior()
    sgd, _ = start_ball(post, WALKERS)
    W, b = (np.asarray(i) for i in post.net._layout["layers"][0])

    def to_theta(u):
        norm = jnp.sqrt(jnp.sum(u[W] ** 2, -1))
        return u.at[b].set(-norm * u[b]), jnp.sum(jnp.log(norm))

    def potential(u):
        th, log_jac = to_theta(u)
        return -(post.log_density_fn(th) + log_jac)

    walls, per_rep = [], []
    for r in range(reps):
        th0 = initial_points(post, 4, "sgd", sgd=sgd, seed=r, ball=False)
        u0 = np.array(th0)
        u0[:, b] = -th0[:, b] / np.sqrt(np.sum(th0[:, W] ** 2, -1))
        t0 = time.perf_counter()
        mcmc = MCMC(
            NUTS(potential_fn=potential, target_accept_prob=0.9),
            num_warmup=1000,
            num_samples=1000,
            num_chains=4,
            chain_method="parallel",
            progress_bar=False,
        )
        mcmc.run(
            jax.random.PRNGKey(r),
            init_params=jnp.asarray(u0),
            extra_fields=("num_steps", "diverging"),
        )
        u = mcmc.get_samples(group_by_chain=True)
        theta = np.asarray(jax.vmap(jax.vmap(lambda v: to_theta(v)[0]))(u))
        walls.append(time.perf_counter() - t0)
        steps_ = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["num_steps"])
        rep = ess_stats(post, theta, walls[-1])
        rep.update(
            mean_leapfrog=float(steps_.mean()),
            divergences=int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum()),
            depth_hits=int((steps_ >= 1023).sum()),
        )
        per_rep.append(rep)
    return _timed_summary(walls, per_rep)


def case_nuts_ensemble_init(reps, steps):
    """NUTS defaults started from the last state of a short ensemble run (28 walkers ×
    1000 steps from the SGD ball; 4 of its walkers) instead of from SGD restarts. The pilot
    run is included in the wall time."""
    post = blog_posterior()
    sgd, _ = start_ball(post, WALKERS)
    walls, per_rep = [], []
    for r in range(reps):
        t0 = time.perf_counter()
        pilot = bu.sample(
            post, "ensemble", chains=WALKERS, warmup=0, draws=1000, seed=r, sgd=sgd, progress=False
        )
        init = pilot.theta[np.random.default_rng(r).choice(WALKERS, 4, replace=False), -1]
        s = bu.sample(
            post, "nuts", chains=4, warmup=1000, draws=1000, seed=r, init=init, progress=False
        )
        walls.append(time.perf_counter() - t0)
        rep = ess_stats(post, s.theta, walls[-1])
        rep.update(nuts_stats(s))
        per_rep.append(rep)
    return _timed_summary(walls, per_rep)


def case_chain_method(reps, steps, method):
    post = blog_posterior()
    sgd, _ = start_ball(post, 2)
    walls = []
    for r in range(reps):
        t0 = time.perf_counter()
        bu.sample(
            post,
            "nuts",
            chains=2,
            warmup=500,
            draws=500,
            seed=r,
            sgd=sgd,
            progress=False,
            chain_method=method,
        )
        walls.append(time.perf_counter() - t0)
    return dict(walls=walls, devices=jax.local_device_count())


CASES = {
    "blog_reference": lambda a: case_blog_reference(a.reps, a.steps),
    "ensemble64": lambda a: case_sampler("ensemble", a.reps, a.steps, "float64"),
    "ensemble32": lambda a: case_sampler("ensemble", a.reps, a.steps, "float32"),
    "ensemble_mix": lambda a: case_sampler(
        "ensemble", a.reps, a.steps, moves={"stretch": 0.8, "de": 0.2}
    ),
    "emcee": lambda a: case_sampler("emcee", a.reps, a.steps),
    "emcee_overhead": lambda a: case_emcee_overhead(a.reps, a.steps),
    "aies64": lambda a: case_sampler("aies", a.reps, a.steps, "float64"),
    "aies32": lambda a: case_sampler("aies", a.reps, a.steps, "float32"),
    "nuts_default": lambda a: case_sampler("nuts", a.reps, a.steps),
    "nuts_ta08": lambda a: case_sampler("nuts", a.reps, a.steps, target_accept=0.8),
    "nuts_ta095": lambda a: case_sampler("nuts", a.reps, a.steps, target_accept=0.95),
    "nuts_dense": lambda a: case_sampler("nuts", a.reps, a.steps, dense_mass=True),
    "nuts_dense095": lambda a: case_sampler(
        "nuts", a.reps, a.steps, dense_mass=True, target_accept=0.95
    ),
    "nuts_default32": lambda a: case_sampler("nuts", a.reps, a.steps, "float32"),
    "nuts_vectorized4": lambda a: case_sampler("nuts", a.reps, a.steps, chain_method="vectorized"),
    "sin16_nuts": lambda a: case_sampler(
        "nuts", a.reps, a.steps, make_posterior=sin16_posterior, nuts=(4, 300, 300)
    ),
    "nuts_location": lambda a: case_nuts_location(a.reps, a.steps),
    "nuts_ensemble_init": lambda a: case_nuts_ensemble_init(a.reps, a.steps),
    "sin16_nuts_depth8": lambda a: case_sampler(
        "nuts",
        a.reps,
        a.steps,
        make_posterior=sin16_posterior,
        nuts=(4, 300, 300),
        max_tree_depth=8,
    ),
    "logprob_floor64": lambda a: case_logprob_floor(a.reps, a.steps),
    "logprob_floor32": lambda a: case_logprob_floor(a.reps, a.steps, "float32"),
    "nuts_vectorized2": lambda a: case_chain_method(a.reps, a.steps, "vectorized"),
    "nuts_parallel2": lambda a: case_chain_method(a.reps, a.steps, "parallel"),
}
CASES["grad4_blog"] = lambda a: case_grad_throughput(a.reps, a.steps, 4, blog_posterior)
for _c in CHAIN_COUNTS:
    CASES[f"grad_{_c}"] = (lambda c: lambda a: case_grad_throughput(a.reps, a.steps, c))(_c)
    CASES[f"nuts_chains_{_c}"] = (lambda c: lambda a: case_nuts_chains(a.reps, c))(_c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=STEPS)
    a = ap.parse_args()
    t0 = time.perf_counter()
    out = CASES[a.case](a)
    out["case"] = a.case
    out.setdefault("median_wall", float(np.median(out["walls"][1:] or out["walls"])))
    out["total_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
