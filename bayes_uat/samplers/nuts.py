"""NUTS (numpyro) on the posterior's log-density: ``potential_fn = −log p(θ | D)``, no
per-weight ``sample`` sites; several chains vectorised on one device or one per device."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..posterior import Posterior
from .base import Draws, check_int, flatten_named, mcmc_progress, require, unflatten_named

CHAIN_METHODS = ("auto", "vectorized", "parallel")
_EXTRA = (
    "potential_energy",
    "diverging",
    "num_steps",
    "accept_prob",
    "adapt_state.step_size",
    "energy",
)


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
    """−log p(θ | D) for numpyro. The sampler's own state stays in float64 (numpyro mixes
    dtypes when 64-bit floats are on); a float32 posterior computes its log-density in
    float32 and hands the result back in the state's dtype."""
    logd = posterior.log_density
    return lambda z: -logd(z).astype(z.dtype)


class NUTSState(NamedTuple):
    """``hmc``: numpyro's HMCState after the last chunk (None before the first);
    ``kept``: draws kept so far; ``mcmc``, ``start``, ``key``, ``draws``: the run's setup."""

    mcmc: Any
    start: Any
    key: Any
    hmc: Any
    kept: int
    draws: int


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
    start = "chains"
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

    def _mcmc(self, posterior, chains, warmup, opts):
        from numpyro.infer import MCMC, NUTS

        kernel = NUTS(
            potential_fn=potential(posterior),
            dense_mass=opts["dense_mass"],
            max_tree_depth=opts["max_tree_depth"],
            target_accept_prob=opts["target_accept"],
        )
        return MCMC(
            kernel,
            num_warmup=warmup,
            num_samples=1,
            num_chains=chains,
            chain_method=opts["chain_method"],
            # numpyro would draw a bar per chunk (per chain when parallel): sample() draws
            # the run's one display from its chunk loop instead
            progress_bar=False,
        )

    def init(self, posterior, start, seed, warmup, draws, **opts) -> NUTSState:
        start = jnp.asarray(start, float)
        mcmc = self._mcmc(posterior, len(start), warmup, opts)
        return NUTSState(mcmc, start, jax.random.PRNGKey(seed), None, 0, draws)

    def advance(self, state: NUTSState, n: int) -> tuple[NUTSState, Draws]:
        mcmc = state.mcmc
        if mcmc.num_samples != n:  # numpyro reads the draw count when it is set
            mcmc.num_samples = n
            mcmc._set_collection_params()
        if state.hmc is None:  # warm-up and the first chunk in one call
            init = state.start[0] if len(state.start) == 1 else state.start
            mcmc.run(state.key, init_params=init, extra_fields=_EXTRA)
        else:
            mcmc.post_warmup_state = state.hmc
            mcmc.run(state.hmc.rng_key, extra_fields=_EXTRA)
        draws = _collect(mcmc)
        return state._replace(hmc=mcmc.last_state, kept=state.kept + n), draws

    def finished(self, state: NUTSState) -> bool:
        return state.kept >= state.draws

    def to_arrays(self, state: NUTSState) -> dict[str, np.ndarray]:
        return {"kept": np.asarray(state.kept), **flatten_named(state.hmc, "hmc")}

    def from_arrays(self, posterior, arrays, seed, warmup, draws, **opts) -> NUTSState:
        require(arrays, ("hmc.z", "kept"))
        z = np.atleast_2d(arrays["hmc.z"])  # one chain: numpyro keeps z unbatched
        state = self.init(posterior, z, seed, warmup, draws, **opts)
        # The kernel's init also sets up its step function: batched keys make it the
        # vectorised one, a single key (one chain per device under pmap) the plain one.
        kernel, z = state.mcmc.sampler, state.start
        if state.mcmc.chain_method == "vectorized" and z.shape[0] > 1:
            keys = jax.random.split(jax.random.PRNGKey(0), z.shape[0])
            template = kernel.init(keys, warmup, z)
        else:
            template = kernel.init(jax.random.PRNGKey(0), warmup, z[0])
        hmc = unflatten_named(template, arrays, "hmc")
        return state._replace(hmc=hmc, kept=int(arrays["kept"]))

    def info(self, samples, state: NUTSState) -> dict:
        depth = samples.settings.get("max_tree_depth", self.options["max_tree_depth"])
        return dict(
            chain_method=state.mcmc.chain_method,
            divergences=int(samples.stats["diverging"].sum()),
            max_tree_depth_hits=int((samples.stats["tree_depth"] >= depth).sum()),
            mean_num_steps=float(samples.stats["num_steps"].mean()),
        )

    def progress(self, state: NUTSState) -> tuple[float, str]:
        return mcmc_progress(state.kept, state.draws)

    def live_display(self, state: NUTSState) -> bool:
        """A run of one chunk on a terminal shows numpyro's live bar (warm-up included; one
        per chain when the chains run in parallel) instead of a display that would move only
        at the end. The draws do not depend on it."""
        state.mcmc.progress_bar = True
        return True


def _collect(mcmc) -> Draws:
    z = np.asarray(mcmc.get_samples(group_by_chain=True))
    ex = {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()}
    steps = ex["num_steps"].astype(np.int64)
    stats = dict(
        diverging=ex["diverging"].astype(bool),
        num_steps=steps,
        tree_depth=np.floor(np.log2(steps + 1)).astype(np.int64),
        accept_prob=ex["accept_prob"],
        step_size=ex["adapt_state.step_size"],
        energy=ex["energy"],
    )
    return Draws(z, -ex["potential_energy"], stats)


BACKEND = NUTSBackend()
