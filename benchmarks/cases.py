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
import time

import jax
import jax.numpy as jnp
import numpy as np

import bayes_uat as bu
from bayes_uat.modes import to_canonical
from bayes_uat.runtime import set_host_device_count
from bayes_uat.summary import diagnostics

WALKERS, STEPS = 28, 10_000

# host devices as the bayes-uat command sets them, so NUTS's CPU default (one chain per
# device) is what is measured; read by XLA at its first computation, which is later
set_host_device_count(max(os.cpu_count() or 1, 4))


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
    """The blog's way: emcee calling a Python/numpy log-probability once per walker."""
    import emcee

    data = bu.make_dataset("x2")
    x, y = np.asarray(data.x), np.asarray(data.y)

    def sig(z):
        return 1.0 / (1.0 + np.exp(-z))

    def lnprob(p):  # the blog's lnlike (−mean squared error) + Gaussian prior σ = 30
        f = p[2] * sig(p[0] * x + p[1]) + p[5] * sig(p[3] * x + p[4]) + p[6]
        return -np.mean((y - f) ** 2) - 0.5 * np.sum((p / 30.0) ** 2)

    post = blog_posterior()
    _, p0 = start_ball(post, WALKERS)
    walls, theta = [], None
    for _ in range(reps):
        s = emcee.EnsembleSampler(WALKERS, 7, lnprob)
        t0 = time.perf_counter()
        s.run_mcmc(p0, steps, progress=False)
        walls.append(time.perf_counter() - t0)
        theta = np.swapaxes(s.get_chain(), 0, 1)
    out = dict(walls=walls, steps=steps)
    out.update(ess_stats(post, theta[:, steps // 5 :], walls[-1] * 0.8))
    return out


def case_sampler(method, reps, steps, dtype=None, **kw):
    post = blog_posterior(dtype)
    sgd, _ = start_ball(post, WALKERS)
    walls, s = [], None
    for r in range(reps):
        t0 = time.perf_counter()
        if method == "nuts":
            s = bu.sample(
                post,
                "nuts",
                chains=4,
                warmup=1000,
                draws=1000,
                seed=r,
                sgd=sgd,
                progress=False,
                **kw,
            )
        else:
            s = bu.sample(
                post,
                method,
                chains=WALKERS,
                warmup=steps // 5,
                draws=steps - steps // 5,
                seed=r,
                sgd=sgd,
                progress=False,
                **kw,
            )
        walls.append(time.perf_counter() - t0)
    out = dict(walls=walls, steps=steps)
    out.update(ess_stats(post, s.theta, walls[-1]))
    if method == "nuts":
        n_grad = float(np.sum(s.stats["num_steps"]))
        out.update(
            mean_leapfrog=float(s.stats["num_steps"].mean()),
            leapfrog_per_s=n_grad / walls[-1],
            divergences=int(s.stats["diverging"].sum()),
            depth_hits=int((s.stats["tree_depth"] >= kw.get("max_tree_depth", 10)).sum()),
        )
    return out


def case_logprob_floor(reps, steps, dtype=None):
    """The log-prob work alone: 2 half-ensemble evaluations per step."""
    post = blog_posterior(dtype)
    th = jnp.asarray(np.random.default_rng(0).normal(size=(WALKERS // 2, 7)), post.dtype)
    f = jax.jit(jax.vmap(post.log_density))
    f(th).block_until_ready()
    walls = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(1000):
            f(th).block_until_ready()
        walls.append((time.perf_counter() - t0) / 1000 * 2 * steps)
    return dict(walls=walls, steps=steps, per_call_us=float(np.median(walls)) / (2 * steps) * 1e6)


def case_grad_throughput(reps, steps, chains, make_posterior=sin16_posterior):
    """Batched value_and_grad (default: the 49-parameter sin posterior): evaluations per
    second."""
    post = make_posterior()
    th = jnp.asarray(0.3 * np.random.default_rng(0).normal(size=(chains, post.dim)), post.dtype)
    f = jax.jit(jax.vmap(jax.value_and_grad(post.log_density)))
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
    "emcee": lambda a: case_sampler("emcee", a.reps, a.steps),
    "aies64": lambda a: case_sampler("aies", a.reps, a.steps, "float64"),
    "aies32": lambda a: case_sampler("aies", a.reps, a.steps, "float32"),
    "aies_de": lambda a: case_sampler("aies", a.reps, a.steps, moves="de"),
    "nuts_diag": lambda a: case_sampler("nuts", a.reps, a.steps),
    "nuts_dense": lambda a: case_sampler("nuts", a.reps, a.steps, dense_mass=True),
    "nuts_diag32": lambda a: case_sampler("nuts", a.reps, a.steps, "float32"),
    "nuts_vectorized4": lambda a: case_sampler("nuts", a.reps, a.steps, chain_method="vectorized"),
    "logprob_floor64": lambda a: case_logprob_floor(a.reps, a.steps),
    "logprob_floor32": lambda a: case_logprob_floor(a.reps, a.steps, "float32"),
    "nuts_vectorized2": lambda a: case_chain_method(a.reps, a.steps, "vectorized"),
    "nuts_parallel2": lambda a: case_chain_method(a.reps, a.steps, "parallel"),
}
CASES["grad4_blog"] = lambda a: case_grad_throughput(a.reps, a.steps, 4, blog_posterior)
for _c in (1, 4, 16, 64, 256, 1024):
    CASES[f"grad_{_c}"] = (lambda c: lambda a: case_grad_throughput(a.reps, a.steps, c))(_c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=STEPS)
    a = ap.parse_args()
    t0 = time.perf_counter()
    out = CASES[a.case](a)
    out["case"] = a.case
    out["median_wall"] = float(np.median(out["walls"]))
    out["total_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
