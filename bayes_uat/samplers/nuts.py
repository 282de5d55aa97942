"""NUTS (numpyro) on the posterior's log-density: ``potential_fn = −log p(θ | D)``, no
per-weight ``sample`` sites; several chains vectorised on one device or one per device.

The run uses numpyro's functional NUTS (``numpyro.infer.hmc.hmc``) with the posterior as the
potential's model argument, in loops compiled once per settings and shapes: a second run,
on the same or another posterior of the same network and data shapes, traces and compiles
nothing. numpyro's ``MCMC`` driver is not used: it traces a new loop for every ``run`` of
a new ``MCMC`` object, and changes the draw count of an existing one only through a private
method. The keys, the initialisation and the kernel are numpyro's own, as
``MCMC`` calls them."""

from __future__ import annotations

import operator
import warnings
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..posterior import Posterior, log_density_at
from .base import (
    Capabilities,
    Draws,
    check_int,
    flatten_named,
    mcmc_progress,
    require,
    unflatten_named,
)

CHAIN_METHODS = ("auto", "vectorized", "parallel")
_EXTRA = (
    "potential_energy",
    "diverging",
    "num_steps",
    "accept_prob",
    "adapt_state.step_size",
    "energy",
)
_GET = tuple(operator.attrgetter(f) for f in _EXTRA)


def choose_chain_method(chains: int, requested: str = "auto") -> str:
    """How NUTS runs its chains. ``"auto"``: one chain per device (``"parallel"``) on CPU when
    there are enough host devices, else all chains in one batch (``"vectorized"``, the GPU
    choice). Vectorised NUTS chains move in lockstep, every chain waiting for the longest
    trajectory of the batch: on the blog posterior with 2 CPU cores, 2 parallel chains ran
    2.2× faster than 2 vectorised ones (docs/benchmarks.md). CPU host devices exist only if
    ``XLA_FLAGS=--xla_force_host_platform_device_count=K`` was set before JAX started — the
    ``bayes-uat`` command does this; library users set it themselves."""
    if requested not in CHAIN_METHODS:
        raise ValueError(
            f"chain_method must be 'auto', 'vectorized' or 'parallel', got {requested!r}"
        )
    if requested != "auto":
        return requested
    if chains > 1 and jax.default_backend() == "cpu" and jax.local_device_count() >= chains:
        return "parallel"
    return "vectorized"


def potential(posterior: Posterior):
    """−log p(θ | D) for numpyro, as a function of θ (a pytree over the posterior). The
    sampler's own state stays in float64 (numpyro mixes dtypes when 64-bit floats are on); a
    float32 posterior computes its log-density in float32 and hands the result back in the
    state's dtype."""
    return jax.tree_util.Partial(_potential_at, posterior)


def _potential_at(posterior, z):
    return -log_density_at(posterior, z).astype(z.dtype)


class Kernel(NamedTuple):
    """The static settings of a NUTS run, and how its chains are laid out: ``"single"`` (one
    chain), ``"vectorized"`` or ``"parallel"``."""

    dense_mass: bool
    max_tree_depth: int
    target_accept: float
    warmup: int
    layout: str


_PROGRAMS: dict = {}


def programs(k: Kernel, gen=None):
    """``(init(posterior, z, keys), run(posterior, hmc_state, skip, keep))`` for ``k``,
    compiled once per settings and shapes. ``init`` is numpyro's ``HMC.init``; ``run`` takes
    ``skip`` steps, then ``keep`` steps whose fields it returns (chains, keep, ...).

    ``gen`` maps the model argument (any pytree) to its potential; by default
    :func:`potential_gen` (the posterior's −log p(θ | D)). Other targets (the collapsed
    posterior of :mod:`.collapsed`) pass their own module-level function."""
    gen = potential_gen if gen is None else gen
    if (k, gen) not in _PROGRAMS:
        _PROGRAMS[(k, gen)] = _build(k, gen)
    return _PROGRAMS[(k, gen)]


def _build(k: Kernel, gen):
    from numpyro.infer.hmc import hmc

    # the kernel pair keeps settings from init_kernel (warm-up length, tree depth) in its
    # closure, so each Kernel has its own pair
    init_kernel, sample_kernel = hmc(potential_fn_gen=gen, algo="NUTS")

    def init(posterior, z, key):
        key, _ = jax.random.split(key)  # numpyro's HMC.init: the second key seeds the model
        return init_kernel(
            z,
            num_warmup=k.warmup,
            dense_mass=k.dense_mass,
            target_accept_prob=k.target_accept,
            max_tree_depth=k.max_tree_depth,
            model_args=(posterior,),
            rng_key=key,
        )

    def run(posterior, state, skip, keep, vectorized=False):
        kernel = jax.vmap(sample_kernel, in_axes=(0, None)) if vectorized else sample_kernel

        def body(s, _):
            s = kernel(s, (posterior,))
            return s, tuple(g(s) for g in _GET) + (s.z,)

        state = jax.lax.fori_loop(0, skip, lambda i, s: kernel(s, (posterior,)), state)
        return jax.lax.scan(body, state, None, length=keep)

    # ``skip`` is an argument (the same program warms up for any length), ``keep`` a shape
    if k.layout == "single":
        run1 = jax.jit(run, static_argnums=3)
        return jax.jit(init), lambda *a: _chains_first(run1(*a), add=True)
    if k.layout == "vectorized":
        runv = jax.jit(partial(run, vectorized=True), static_argnums=3)
        return jax.jit(jax.vmap(init, in_axes=(None, 0, 0))), lambda *a: _chains_first(runv(*a))
    runp = jax.pmap(run, in_axes=(None, 0, None, None), static_broadcasted_argnums=3)
    return jax.pmap(init, in_axes=(None, 0, 0)), runp


def potential_gen(posterior):
    """numpyro's ``potential_fn_gen``: the posterior (the model argument) ↦ its potential."""
    return potential(posterior)


def _chains_first(out, add=False):
    last, fields = out
    if add:
        return last, tuple(f[None] for f in fields)
    return last, tuple(jnp.swapaxes(f, 0, 1) for f in fields)


class NUTSState(NamedTuple):
    """``hmc``: numpyro's HMCState after the last chunk (None before the first); ``kept``:
    draws kept so far; ``posterior``, ``kernel``, ``start``, ``key``, ``draws``: the run's
    setup (arrays and settings; the compiled programs are looked up by ``kernel``)."""

    posterior: Any
    kernel: Kernel
    start: Any
    key: Any
    hmc: Any
    kept: int
    draws: int
    live: bool = False


def _flat_tails_message(activation: str) -> str:
    return (
        f"NUTS with the {activation!r} activation: a unit is constant outside a bounded window, "
        "so wherever its window misses every data point its likelihood gradient is exactly "
        "zero (a set of positive measure in weight space) and NUTS moves it by the prior's "
        "gradient alone. The draws stay valid (the density is continuous and piecewise "
        "smooth), but a dead unit revives only by chance and chains mix slowly between dead "
        "and live configurations; sampler='ensemble' (gradient-free) does not depend on it"
    )


class NUTSBackend:
    name = "nuts"
    caps = Capabilities(
        independent=True,
        ordered=True,
        start="chains",
        default_chains=4,
        gradients=True,
        library="numpyro",
    )
    options = dict(dense_mass=False, max_tree_depth=10, target_accept=0.9, chain_method="auto")

    def validate(self, posterior: Posterior, chains: int, draws: int, options: dict) -> dict:
        opts = {**self.options, **options}
        if not posterior.net.act.differentiable:
            raise ValueError(
                f"NUTS needs gradients, but the {posterior.net.activation!r} activation has "
                "zero gradient almost everywhere; use sampler='ensemble', 'emcee' or 'aies', "
                "or a smooth activation"
            )
        if posterior.net.act.flat_tails:
            warnings.warn(_flat_tails_message(posterior.net.activation), UserWarning, stacklevel=4)
        ta = opts["target_accept"]
        if isinstance(ta, bool) or not isinstance(ta, (int, float)) or not 0 < ta < 1:
            raise ValueError(
                f"target_accept must be a number in (0, 1) (NUTS's step-size target; 0.9 by "
                f"default, 0.95–0.99 against divergences), got {ta!r}"
            )
        opts["max_tree_depth"] = check_int("max_tree_depth", opts["max_tree_depth"], 1)
        if not isinstance(opts["dense_mass"], (bool, np.bool_)):  # bool("no") is True
            raise ValueError(f"dense_mass must be True or False, got {opts['dense_mass']!r}")
        opts["dense_mass"] = bool(opts["dense_mass"])
        opts["chain_method"] = choose_chain_method(chains, opts["chain_method"])
        if opts["chain_method"] == "parallel" and jax.local_device_count() < chains:
            raise ValueError(
                f"chain_method='parallel' needs one device per chain: {chains} chains but "
                f"{jax.local_device_count()} device(s). On CPU set XLA_FLAGS="
                f"--xla_force_host_platform_device_count={chains} before importing jax"
            )
        return opts

    def init(self, posterior, start, seed, warmup, draws, **opts) -> NUTSState:
        start = jnp.asarray(start, float)
        chains = len(start)
        layout = "single" if chains == 1 else opts["chain_method"]
        k = Kernel(
            opts["dense_mass"], opts["max_tree_depth"], float(opts["target_accept"]), warmup, layout
        )
        return NUTSState(posterior, k, start, jax.random.PRNGKey(seed), None, 0, draws)

    def _first_state(self, state: NUTSState):
        """numpyro's initial HMC state: MCMC.run's keys (one per chain: the seed's split)."""
        init, _ = programs(state.kernel)
        if state.kernel.layout == "single":
            return init(state.posterior, state.start[0], state.key)
        keys = jax.random.split(state.key, len(state.start))
        return init(state.posterior, state.start, keys)

    def advance(self, state: NUTSState, n: int) -> tuple[NUTSState, Draws]:
        _, run = programs(state.kernel)
        hmc, skip = state.hmc, 0
        if hmc is None:  # warm-up and the first chunk in one call
            hmc, skip = self._first_state(state), state.kernel.warmup
        if state.live:
            return self._advance_live(state, hmc, skip, n)
        last, fields = run(state.posterior, hmc, skip, n)
        return state._replace(hmc=last, kept=state.kept + n), _draws(fields)

    def _advance_live(self, state: NUTSState, hmc, skip: int, n: int):
        """The same steps with a live bar: the warm-up in twenty pieces (the same compiled
        program: the draws do not depend on the display), then the draws."""
        from tqdm.auto import tqdm

        _, run = programs(state.kernel)
        with tqdm(total=skip, desc="warmup", disable=skip == 0) as bar:
            piece = max(1, -(-skip // 20))
            for start in range(0, skip, piece):
                k = min(piece, skip - start)
                hmc, _ = run(state.posterior, hmc, k, 0)
                bar.update(k)
        with tqdm(total=n, desc="sample") as bar:
            last, fields = run(state.posterior, hmc, 0, n)
            bar.update(n)
        return state._replace(hmc=last, kept=state.kept + n), _draws(fields)

    def live_display(self, state: NUTSState) -> NUTSState:
        """A run of one chunk on a terminal shows a live bar (warm-up included) instead of
        a display that would move only at the end. The draws do not depend on it."""
        return state._replace(live=True)

    def finished(self, state: NUTSState) -> bool:
        return state.kept >= state.draws

    def to_arrays(self, state: NUTSState) -> dict[str, np.ndarray]:
        return {"kept": np.asarray(state.kept), **flatten_named(state.hmc, "hmc")}

    def from_arrays(self, posterior, arrays, seed, warmup, draws, **opts) -> NUTSState:
        require(arrays, ("hmc.z", "kept"))
        z = np.atleast_2d(arrays["hmc.z"])  # one chain: numpyro keeps z unbatched
        state = self.init(posterior, z, seed, warmup, draws, **opts)
        hmc = unflatten_named(self._first_state(state), arrays, "hmc")
        return state._replace(hmc=hmc, kept=int(arrays["kept"]))

    def info(self, samples, state: NUTSState) -> dict:
        depth = samples.settings.get("max_tree_depth", self.options["max_tree_depth"])
        layout = state.kernel.layout
        return dict(
            chain_method="vectorized" if layout == "single" else layout,
            divergences=int(samples.stats["diverging"].sum()),
            max_tree_depth_hits=int((samples.stats["tree_depth"] >= depth).sum()),
            mean_num_steps=float(samples.stats["num_steps"].mean()),
        )

    def progress(self, state: NUTSState) -> tuple[float, str]:
        return mcmc_progress(state.kept, state.draws)


def _draws(fields) -> Draws:
    pe, diverging, num_steps, accept_prob, step_size, energy, z = (np.asarray(f) for f in fields)
    steps = num_steps.astype(np.int64)
    stats = dict(
        diverging=diverging.astype(bool),
        num_steps=steps,
        tree_depth=np.floor(np.log2(steps + 1)).astype(np.int64),
        accept_prob=accept_prob,
        step_size=step_size,
        energy=energy,
    )
    return Draws(z, -pe, stats)


BACKEND = NUTSBackend()
