"""Sampling the posterior: NUTS, ensembles (JAX-native, emcee, numpyro's AIES) — one call,
one result type.

All use the posterior's single interface, the log-density over a flat θ:

* NUTS (numpyro) gets ``potential_fn = −log p(θ | D)`` (no per-weight ``sample`` sites),
  several chains vectorised on one device or one per device;
* ``"ensemble"`` (:mod:`bayes_uat.ensemble`) runs emcee's stretch and DE moves as one
  compiled JAX loop that carries each walker's log-density: the fast ensemble path;
* emcee gets the jitted, vmapped ``log_prob`` with ``vectorize=True`` (one call per
  half-ensemble update; bounded by emcee's own per-step Python overhead);
* AIES (numpyro's affine-invariant ensemble sampler) runs in JAX through numpyro's MCMC.

Runs proceed in chunks of draws; after each chunk ``callback(samples_so_far, state)`` is
called with the sampler's full state as a dict of arrays, which :func:`sample` accepts back
as ``resume=`` to continue exactly where it stopped (see :mod:`bayes_uat.checkpoint`).

Example
-------
>>> from bayes_uat import MLP, Posterior, make_dataset, sample
>>> post = Posterior(MLP(1, "tanh"), make_dataset("sin", n=50))
>>> s = sample(post, "aies", chains=16, warmup=100, draws=100, seed=0, progress=False)
>>> s.theta.shape
(16, 100, 4)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np

from .optimize import SGDResult, train_sgd
from .posterior import Posterior
from .samples import Samples

METHODS = ("nuts", "ensemble", "emcee", "aies")
INITS = ("sgd", "prior")


def _int(name, v, minimum):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def choose_chain_method(chains: int, requested: str = "auto") -> str:
    """How NUTS runs its chains. ``"auto"``: one chain per device (``"parallel"``) on CPU when
    there are enough host devices, else all chains in one batch (``"vectorized"``, the GPU
    choice). Vectorised NUTS chains move in lockstep, every chain waiting for the longest
    trajectory of the batch: on the blog posterior with 2 CPU cores, 2 parallel chains ran
    2.2× faster than 2 vectorised ones (docs/benchmarks.md). CPU host devices exist only if
    ``XLA_FLAGS=--xla_force_host_platform_device_count=K`` was set before JAX started — the
    ``bayes-uat`` command does this; library users set it themselves."""
    if requested not in ("auto", "vectorized", "parallel"):
        raise ValueError(
            f"chain_method must be 'auto', 'vectorized' or 'parallel', got {requested!r}"
        )
    if requested != "auto":
        return requested
    if chains > 1 and jax.default_backend() == "cpu" and jax.local_device_count() >= chains:
        return "parallel"
    return "vectorized"


def default_chains(method: str, dim: int) -> int:
    """NUTS: 4 chains; ensembles: 4·dim walkers (the blog's choice), rounded up to even."""
    if method == "nuts":
        return 4
    return 4 * dim + (4 * dim) % 2


def initial_points(
    posterior: Posterior, chains: int, init, *, sgd: SGDResult | None, seed: int, ball: bool
) -> np.ndarray:
    """Starting θ for each chain, shape (chains, dim).

    ``init="sgd"``: the final θ of SGD restarts (one per chain for NUTS; a small Gaussian
    ball around the best one for ensembles, ``ball=True``); ``"prior"``: prior draws; an
    array of shape (dim,) or (chains, dim): given values (a (dim,) start is spread into a
    ball for ensembles, which cannot start from one point).
    """
    rng = np.random.default_rng(seed + 7919)
    dim = posterior.dim
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(
                f"unknown init {init!r}: choose one of {', '.join(INITS)} or pass "
                f"an array of shape ({chains}, {dim})"
            )
        if init == "prior":
            pts = np.asarray(posterior.prior_sample(jax.random.key(seed + 1), (chains,)))
        else:
            if sgd is None:
                sgd = train_sgd(posterior, restarts=1 if ball else chains, seed=seed)
            if ball:
                pts = sgd.best[None, :]
            else:
                reps = -(-chains // sgd.restarts)
                pts = np.tile(sgd.thetas, (reps, 1))[:chains]
                if sgd.restarts < chains:  # repeated restarts: separate them a little
                    pts = pts + 1e-3 * rng.standard_normal(pts.shape)
    else:
        pts = np.asarray(init, dtype=float)
        if pts.shape not in ((dim,), (chains, dim)):
            raise ValueError(
                f"init array must have shape ({dim},) or ({chains}, {dim}), got {pts.shape}"
            )
        pts = np.atleast_2d(pts)
    if pts.shape[0] == 1 and chains > 1:
        scale = 1e-3 * (np.abs(pts[0]) + 1e-2) if ball else 0.0
        pts = pts + scale * rng.standard_normal((chains, dim))
    posterior.check_point(pts)
    return pts


# -- backends ---------------------------------------------------------------------------
def _potential(posterior: Posterior):
    """−log p(θ | D) for numpyro. The sampler's own state stays in float64 (numpyro mixes
    dtypes when 64-bit floats are on); a float32 posterior computes its log-density in
    float32 and hands the result back in the state's dtype."""
    logd = posterior.log_density
    return lambda z: -logd(z).astype(z.dtype)


class _NUTS:
    extra = (
        "potential_energy",
        "diverging",
        "num_steps",
        "accept_prob",
        "adapt_state.step_size",
        "energy",
    )

    def __init__(
        self,
        posterior,
        chains,
        warmup,
        chunk,
        key,
        progress,
        *,
        dense_mass=False,
        max_tree_depth=10,
        target_accept=0.9,
        chain_method="vectorized",
    ):
        from numpyro.infer import MCMC, NUTS

        self.kernel = NUTS(
            potential_fn=_potential(posterior),
            dense_mass=dense_mass,
            max_tree_depth=max_tree_depth,
            target_accept_prob=target_accept,
        )
        self.mcmc = MCMC(
            self.kernel,
            num_warmup=warmup,
            num_samples=chunk,
            num_chains=chains,
            chain_method=chain_method,
            progress_bar=progress,
        )
        self.key = key
        self.warmup, self.posterior = warmup, posterior

    def first(self, init):
        init = jnp.asarray(init, float)
        self.mcmc.run(
            self.key, init_params=init[0] if len(init) == 1 else init, extra_fields=self.extra
        )
        return self._collect()

    def next(self):
        self.mcmc.post_warmup_state = self.mcmc.last_state
        self.mcmc.run(self.mcmc.post_warmup_state.rng_key, extra_fields=self.extra)
        return self._collect()

    def _collect(self):
        z = np.asarray(self.mcmc.get_samples(group_by_chain=True))
        ex = {k: np.asarray(v) for k, v in self.mcmc.get_extra_fields(group_by_chain=True).items()}
        steps = ex["num_steps"].astype(np.int64)
        stats = dict(
            diverging=ex["diverging"].astype(bool),
            num_steps=steps,
            tree_depth=np.floor(np.log2(steps + 1)).astype(np.int64),
            accept_prob=ex["accept_prob"],
            step_size=ex["adapt_state.step_size"],
            energy=ex["energy"],
        )
        return z, -ex["potential_energy"], stats

    def state(self) -> dict:
        leaves = jax.tree_util.tree_leaves(self.mcmc.last_state)
        return {f"leaf{i}": np.asarray(v) for i, v in enumerate(leaves)}

    def resume(self, state: dict, init):
        # The kernel's init also sets up its step function: batched keys make it the
        # vectorised one, a single key (one chain per device under pmap) the plain one.
        init = jnp.asarray(init, float)
        if self.mcmc.chain_method == "vectorized" and init.shape[0] > 1:
            keys = jax.random.split(jax.random.PRNGKey(0), init.shape[0])
            template = self.kernel.init(keys, self.warmup, init)
        else:
            template = self.kernel.init(jax.random.PRNGKey(0), self.warmup, init[0])
        treedef = jax.tree_util.tree_structure(template)
        leaves = [jnp.asarray(state[f"leaf{i}"]) for i in range(treedef.num_leaves)]
        self.mcmc.post_warmup_state = jax.tree_util.tree_unflatten(treedef, leaves)
        self.mcmc.run(self.mcmc.post_warmup_state.rng_key, extra_fields=self.extra)
        return self._collect()


class _AIES:
    def __init__(self, posterior, chains, warmup, chunk, key, progress, *, moves="stretch"):
        from numpyro.infer import AIES, MCMC

        if chains % 2:
            raise ValueError(
                f"AIES needs an even number of walkers, got chains={chains}; use {chains + 1}"
            )
        mv = {"stretch": AIES.StretchMove(), "de": AIES.DEMove()}
        if moves not in mv:
            raise ValueError(f"unknown AIES moves {moves!r}: choose 'stretch' or 'de'")
        self.kernel = AIES(potential_fn=_potential(posterior), moves={mv[moves]: 1.0})
        self.mcmc = MCMC(
            self.kernel,
            num_warmup=warmup,
            num_samples=chunk,
            num_chains=chains,
            chain_method="vectorized",
            progress_bar=progress,
        )
        self.key, self.posterior, self.warmup, self.chains = key, posterior, warmup, chains

    def first(self, init):
        self.mcmc.run(self.key, init_params=jnp.asarray(init, float))
        return self._collect()

    def next(self):
        self.mcmc.post_warmup_state = self.mcmc.last_state
        return self._continue()

    def _continue(self):
        # numpyro re-runs an ensemble kernel's init on every run (its result is discarded
        # when a post-warm-up state is set), and that init needs positions.
        st = self.mcmc.post_warmup_state
        self.mcmc.run(st.rng_key, init_params=st.z)
        return self._collect()

    def _collect(self):
        z = np.asarray(self.mcmc.get_samples(group_by_chain=True))
        # numpyro's ensemble state keeps no log-density: recompute it, a block of draws at
        # a time so memory stays bounded (all at once took 3 GB on the blog workload)
        flat = z.reshape(-1, z.shape[-1])
        block = max(1, 2_000_000 // self.posterior.data.n)
        lp = np.concatenate(
            [
                np.asarray(self.posterior.log_prob(flat[i : i + block]))
                for i in range(0, len(flat), block)
            ]
        ).reshape(z.shape[:2])
        moved = np.any(np.diff(z, axis=1, prepend=np.nan) != 0, axis=-1)
        return z, lp, dict(accepted=moved)

    state = _NUTS.state

    def resume(self, state: dict, init):
        keys = jax.random.split(jax.random.PRNGKey(0), self.chains)
        template = self.kernel.init(keys, self.warmup, jnp.asarray(init, float))
        treedef = jax.tree_util.tree_structure(template)
        leaves = [jnp.asarray(state[f"leaf{i}"]) for i in range(treedef.num_leaves)]
        self.mcmc.post_warmup_state = jax.tree_util.tree_unflatten(treedef, leaves)
        return self._continue()


class _Ensemble:
    """The JAX-native ensemble (:mod:`bayes_uat.ensemble`). Step t draws its random numbers
    from (seed, t), so chunks and resumed runs draw exactly what one run draws; the state is
    positions, log-densities and the step count."""

    def __init__(
        self, posterior, chains, warmup, chunk, key, progress, *, moves="stretch", stretch_a=2.0
    ):
        from . import ensemble

        if chains % 2:
            raise ValueError(
                f"the ensemble needs an even number of walkers, got chains={chains}; "
                f"use {chains + 1}"
            )
        ensemble.move_weights(moves)  # validates
        if (
            isinstance(stretch_a, bool)
            or not isinstance(stretch_a, (int, float))
            or not stretch_a > 1
        ):
            raise ValueError(f"stretch_a must be a number > 1 (emcee uses 2), got {stretch_a!r}")
        self.E, self.posterior, self.moves, self.a = ensemble, posterior, moves, float(stretch_a)
        self.warmup, self.chunk, self.key = warmup, chunk, key
        self.st, self.t = None, 0

    def _steps(self, n, keep):
        self.st, trace = self.E.run(
            self.posterior.log_density,
            self.key,
            self.st,
            n,
            start=self.t,
            moves=self.moves,
            a=self.a,
            keep=keep,
        )
        self.t += n
        return trace

    def _collect(self):
        xs, lps, acc = (np.swapaxes(np.asarray(t), 0, 1) for t in self._steps(self.chunk, True))
        return xs, lps, dict(accepted=acc)

    def first(self, init):
        self.st = self.E.init(self.posterior.log_density, jnp.asarray(init, self.posterior.dtype))
        if self.warmup:
            self._steps(self.warmup, False)
        return self._collect()

    next = _collect

    def state(self) -> dict:
        return dict(
            x=np.asarray(self.st.x), log_prob=np.asarray(self.st.log_prob), step=np.asarray(self.t)
        )

    def resume(self, state: dict, init):
        dt = self.posterior.dtype
        self.st = self.E.State(jnp.asarray(state["x"], dt), jnp.asarray(state["log_prob"], dt))
        self.t = int(state["step"])
        return self._collect()


class _Emcee:
    def __init__(self, posterior, chains, warmup, chunk, seed, progress, *, moves=None):
        import emcee

        dim = posterior.dim
        if chains < 2 * dim:
            raise ValueError(
                f"emcee needs at least 2·dim = {2 * dim} walkers for this "
                f"{dim}-parameter posterior, got chains={chains}; the blog uses "
                f"4·dim = {4 * dim}"
            )
        log_prob = posterior.log_prob
        self.sampler = emcee.EnsembleSampler(
            chains, dim, lambda th: np.asarray(log_prob(th)), vectorize=True, moves=moves
        )
        self.sampler.random_state = np.random.RandomState(seed).get_state()
        self.chunk, self.warmup, self.progress, self.state_ = chunk, warmup, progress, None

    def _run(self, start, n, keep=True):
        import emcee

        self.sampler.reset()
        st = self.sampler.run_mcmc(start, n, progress=self.progress, skip_initial_state_check=False)
        self.state_ = emcee.State(st.coords, log_prob=st.log_prob, random_state=st.random_state)
        if not keep:
            return None
        z = np.swapaxes(self.sampler.get_chain(), 0, 1)
        lp = np.swapaxes(self.sampler.get_log_prob(), 0, 1)
        moved = np.any(np.diff(z, axis=1, prepend=np.nan) != 0, axis=-1)
        return z, lp, dict(accepted=moved)

    def first(self, init):
        start = init
        if self.warmup:
            self._run(init, self.warmup, keep=False)
            start = self.state_
        return self._run(start, self.chunk)

    def next(self):
        return self._run(self.state_, self.chunk)

    def state(self) -> dict:
        rs = self.state_.random_state
        return dict(
            coords=np.asarray(self.state_.coords),
            log_prob=np.asarray(self.state_.log_prob),
            rng_keys=np.asarray(rs[1]),
            rng_pos=np.asarray(rs[2]),
            rng_has_gauss=np.asarray(rs[3]),
            rng_cached=np.asarray(rs[4]),
        )

    def resume(self, state: dict, init):
        import emcee

        rs = (
            "MT19937",
            np.asarray(state["rng_keys"], dtype=np.uint32),
            int(state["rng_pos"]),
            int(state["rng_has_gauss"]),
            float(state["rng_cached"]),
        )
        st = emcee.State(
            np.asarray(state["coords"]), log_prob=np.asarray(state["log_prob"]), random_state=rs
        )
        return self._run(st, self.chunk)


def _ensemble_info(theta: np.ndarray, stats: dict) -> dict:
    info = {
        "acceptance_fraction": float(np.mean(stats["accepted"][:, 1:]))
        if theta.shape[1] > 1
        else float("nan")
    }
    from .summary import autocorr_times

    info["autocorr_time"] = autocorr_times(theta)
    return info


def _flat_tails_message(activation: str) -> str:
    return (
        f"NUTS with the {activation!r} activation: a unit is constant outside a bounded window, "
        "so wherever its window misses every data point its likelihood gradient is exactly "
        "zero (a set of positive measure in weight space) and NUTS moves it by the prior's "
        "gradient alone. The draws stay valid (the density is continuous and piecewise "
        "smooth), but a dead unit revives only by chance and chains mix slowly between dead "
        "and live configurations; method='ensemble' (gradient-free) does not depend on it"
    )


def sample(
    posterior: Posterior,
    method: str = "nuts",
    *,
    chains: int | None = None,
    warmup: int = 1000,
    draws: int = 1000,
    seed: int = 0,
    init="sgd",
    sgd: SGDResult | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
    callback: Callable[[Samples, dict], None] | None = None,
    resume: tuple[Samples, dict] | None = None,
    **options,
) -> Samples:
    """Draw from ``posterior`` with NUTS, emcee or AIES.

    Args:
        posterior: the target.
        method: ``"nuts"``, ``"ensemble"`` (JAX-native stretch/DE moves, the fast ensemble),
            ``"emcee"`` or ``"aies"`` (numpyro).
        chains: NUTS chains, or ensemble walkers (default 4 chains / 4·dim walkers).
        warmup: NUTS adaptation steps, or ensemble burn-in steps (discarded).
        draws: kept draws per chain (per walker).
        seed: integer seed; the same seed gives identical draws on the same machine.
        init: ``"sgd"`` (SGD restarts; default), ``"prior"``, or an array of start points.
        sgd: an existing :class:`SGDResult` to initialise from.
        progress: show a progress bar.
        chunk_size: draws per chunk (default: all at once); ``callback`` is called after
            each chunk with the draws so far and the sampler state.
        resume: ``(samples_so_far, state)`` from a callback: continue to ``draws`` in total.
        **options: NUTS: ``dense_mass`` (False), ``max_tree_depth`` (10), ``target_accept``
            (0.9: on the blog posterior it gave 1.8× the min ESS per second of numpyro's
            0.8, docs/benchmarks.md), ``chain_method``
            ("auto", "vectorized" or "parallel"; see :func:`choose_chain_method`);
            ensemble: ``moves`` ("stretch", "de" or a mapping of weights such as
            ``{"stretch": 0.8, "de": 0.2}``) and ``stretch_a`` (2); AIES: ``moves``
            ("stretch" or "de"); emcee: ``moves`` (an emcee move).

    Returns:
        :class:`Samples` with θ of shape (chains, draws, dim).

    NUTS refuses activations whose gradient is zero almost everywhere (step) and warns for
    ones that are constant outside a window (the hat): there a unit whose window misses the
    data gets only the prior's gradient; the draws stay valid, but such units mix slowly.
    """
    if not isinstance(posterior, Posterior):
        raise ValueError(f"sample needs a bayes_uat.Posterior, got {type(posterior).__name__}")
    if method not in METHODS:
        raise ValueError(f"unknown sampler {method!r}: choose one of {', '.join(METHODS)}")
    chains = default_chains(method, posterior.dim) if chains is None else chains
    chains = _int("chains", chains, 1)
    warmup = _int("warmup", warmup, 0)
    draws = _int("draws", draws, 1)
    seed = _int("seed", seed, 0)
    chunk = draws if chunk_size is None else min(_int("chunk_size", chunk_size, 1), draws)
    if method == "nuts" and not posterior.net.act.differentiable:
        raise ValueError(
            f"NUTS needs gradients, but the {posterior.net.activation!r} activation has zero "
            "gradient almost everywhere; use method='emcee' or 'aies', or a smooth activation"
        )
    if method == "nuts" and posterior.net.act.flat_tails:
        warnings.warn(_flat_tails_message(posterior.net.activation), UserWarning, stacklevel=2)
    allowed = {
        "nuts": {"dense_mass", "max_tree_depth", "target_accept", "chain_method"},
        "ensemble": {"moves", "stretch_a"},
        "aies": {"moves"},
        "emcee": {"moves"},
    }[method]
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(
            f"unknown option(s) {sorted(unknown)} for method={method!r}; allowed: {sorted(allowed)}"
        )
    if method in ("aies", "ensemble") and chains % 2:
        raise ValueError(
            f"{method} needs an even number of walkers, got chains={chains}; use {chains + 1}"
        )
    if method != "nuts" and chains < 2 * posterior.dim:
        # with fewer walkers than that the stretch and DE moves explore a thin subspace
        raise ValueError(
            f"{method} needs at least 2·dim = {2 * posterior.dim} walkers for this "
            f"{posterior.dim}-parameter posterior, got chains={chains}; the blog "
            f"uses 4·dim = {4 * posterior.dim}"
        )
    ta = options.get("target_accept", 0.9)
    if isinstance(ta, bool) or not isinstance(ta, (int, float)) or not 0 < ta < 1:
        raise ValueError(
            f"target_accept must be a number in (0, 1) (NUTS's step-size target; 0.9 by "
            f"default, 0.95–0.99 against divergences), got {ta!r}"
        )
    if method == "nuts":
        options["chain_method"] = choose_chain_method(chains, options.get("chain_method", "auto"))
    if method == "nuts" and options["chain_method"] == "parallel":
        if jax.local_device_count() < chains:
            raise ValueError(
                f"chain_method='parallel' needs one device per chain: {chains} chains but "
                f"{jax.local_device_count()} device(s). On CPU set XLA_FLAGS="
                f"--xla_force_host_platform_device_count={chains} before importing jax"
            )

    ensemble = method != "nuts"
    start = initial_points(posterior, chains, init, sgd=sgd, seed=seed, ball=ensemble)
    key = jax.random.PRNGKey(seed)
    if method == "nuts":
        backend = _NUTS(posterior, chains, warmup, chunk, key, progress, **options)
    elif method == "ensemble":
        backend = _Ensemble(posterior, chains, warmup, chunk, key, progress, **options)
    elif method == "aies":
        backend = _AIES(posterior, chains, warmup, chunk, key, progress, **options)
    else:
        backend = _Emcee(posterior, chains, warmup, chunk, seed, progress, **options)

    settings = dict(
        method=method,
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        init=init if isinstance(init, str) else "given",
        chunk_size=chunk,
        dtype=posterior.dtype,
        **{k: v for k, v in options.items() if isinstance(v, (str, int, float, bool))},
    )

    def wrap(z, lp, stats, wall):
        return Samples(
            theta=z,
            log_prob=lp,
            method=method,
            names=posterior.names,
            stats=stats,
            settings=settings,
            wall_time=wall,
            seed=seed,
        )

    t0 = time.perf_counter()
    if resume is not None:
        done, state = resume
        if done.theta.shape[0] != chains or done.dim != posterior.dim:
            raise ValueError("resume: the saved draws do not match this run's chains and dim")
        samples = done
        if samples.draws < draws:
            samples = samples.concat(wrap(*backend.resume(state, start), 0.0))
    else:
        samples = wrap(*backend.first(start), 0.0)
    samples = replace(samples, wall_time=samples.wall_time + time.perf_counter() - t0)
    if callback is not None:
        callback(samples, backend.state())
    while samples.draws < draws:
        t0 = time.perf_counter()
        part = wrap(*backend.next(), time.perf_counter() - t0)
        samples = samples.concat(part)
        if callback is not None:
            callback(samples, backend.state())
    if samples.draws > draws:
        samples = samples.head(draws)

    info = dict(
        warmup=warmup, chain_method=options.get("chain_method") if method == "nuts" else "ensemble"
    )
    if ensemble:
        info.update(_ensemble_info(samples.theta, samples.stats))
    else:
        info.update(
            divergences=int(samples.stats["diverging"].sum()),
            max_tree_depth_hits=int(
                (samples.stats["tree_depth"] >= options.get("max_tree_depth", 10)).sum()
            ),
            mean_num_steps=float(samples.stats["num_steps"].mean()),
        )
    return replace(samples, info={**samples.info, **info})
