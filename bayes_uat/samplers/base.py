"""The sampler protocol: what a backend is, and the helpers every backend shares.

A backend is a small object registered by name in :data:`bayes_uat.samplers.SAMPLERS`
(one line there per backend). :func:`bayes_uat.sample` drives every backend the same way::

    options = backend.validate(posterior, chains, draws, options)   # ValueError, no work yet
    start = initial points of kind backend.caps.start (None for "prior")
    state = backend.init(posterior, start, seed, warmup, draws, **options)
    while not backend.finished(state):
        state, draws_k = backend.advance(state, chunk)
        samples = samples.concat(draws_k);  callback(samples, backend.to_arrays(state))

and resumes from ``(samples_so_far, arrays)`` with
``backend.from_arrays(posterior, arrays, seed, warmup, draws, **options)`` in place of
``init``, continuing bit-identically.

A backend has:

``name``
    its registry name (``"nuts"``, ``"ensemble"``, ...), also ``Samples.sampler``.
``caps``
    its :class:`Capabilities`: what code outside ``samplers/`` may know about it (whether
    its chains are independent, its draws ordered in time, where it starts, whether it
    reports the evidence, its default and allowed chain counts, whether it needs gradients,
    which library runs it). Nothing outside
    ``samplers/`` names a sampler; it asks :func:`capabilities`.
``options``
    a mapping of the allowed option names to their defaults.
``validate(posterior, chains, draws, options) -> dict``
    checks chains, draws and option values (option *names* and ``chains``/``draws`` being
    integers are checked once, by the caller) and returns the options with defaults filled
    in. It raises ``ValueError`` naming the argument, the value and the fix, before any work.
``init(posterior, start, seed, warmup, draws, **options) -> State``
    a ``NamedTuple`` state. Fields that are live objects (a compiled kernel, an emcee
    sampler) may sit beside the array fields; only :meth:`to_arrays` goes to disk.
``advance(state, n) -> (State, Draws)``
    about ``n`` more steps. :class:`Draws` holds ``theta`` (chains, k, dim),
    ``log_density`` (chains, k) and ``stats`` (a dict of (chains, k) arrays); ``k`` may be
    0 (SMC returns nothing until its last temperature, then all P particles of each of R
    runs at once, as (R, P, dim)). MCMC backends return exactly ``n`` draws (the caller
    cuts the total to ``draws`` at the end).
``finished(state) -> bool``
    MCMC: the kept draws reached ``draws``; SMC: the temperature reached 1.
``to_arrays(state) -> dict[str, np.ndarray]``
    the state as named arrays (nested names joined by dots, e.g.
    ``"hmc.adapt_state.step_size"``; use :func:`flatten_named` / :func:`unflatten_named`
    for library NamedTuples).
``from_arrays(posterior, arrays, seed, warmup, draws, **options) -> State``
    the inverse, given the same run settings as ``init``; it raises ``ValueError`` when a
    name is missing or unexpected.
``info(samples, state) -> dict``
    final run-level facts merged into ``Samples.info`` (JSON-serialisable); it must work on
    a state rebuilt by ``from_arrays`` with no step taken since (a run killed after its last
    checkpoint resumes straight to the summary).
``progress(state) -> (fraction, label)``
    fraction done in [0, 1] and a short label such as ``"draw 300/1000"`` or ``"β = 0.13"``.
``live_display(state) -> State`` (optional)
    on a terminal, for a run of one chunk: the state with a live display of the backend's
    own turned on (NUTS: a bar through warm-up and sampling); ``sample()`` then shows none.
    Without it a one-chunk run's display moves only when the chunk ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import jax.numpy as jnp
import numpy as np

from ..diagnostics import autocorr_times
from ..posterior import Posterior
from ..validate import integer, positive_int

START_KINDS = ("chains", "ball", "prior")


@dataclass(frozen=True)
class Capabilities:
    """What a sampler is, for the code that checks, summarises and plots its draws.

    Attributes:
        independent: its chains are independent (NUTS chains, SMC runs), each a separate
            estimate; False: the walkers of one ensemble, moving together.
        ordered: its draws form a sequence in time (MCMC: autocorrelation, thinning);
            False: equally weighted particles with no order (SMC).
        start: how its chains start: ``"chains"`` (one point per chain from SGD
            restarts), ``"ball"`` (a small ball around the best SGD point: ensembles), or
            ``"prior"`` (the backend draws its own start from the prior: ``start`` is then
            ``None`` and no SGD is run for it).
        evidence: it reports log p(D) (``Samples.info["log_evidence"]``).
        default_chains: chains (walkers, runs) when none are asked for, per parameter
            when ``per_dim``.
        per_dim: ``default_chains`` and ``min_chains_per_dim`` count per parameter.
        min_chains_per_dim: the fewest walkers per parameter (ensembles: 2; fewer explore
            a thin subspace); 0: no minimum beyond one.
        even: the walker count must be even (ensembles that move one half against the
            other).
        gradients: it follows the log-density's gradient (HMC, NUTS), so an activation
            with zero gradient almost everywhere cannot be sampled by it.
        library: the library whose kernel runs it: ``"numpyro"`` (its saved state holds
            numpyro's arrays, so a run resumes only under the numpyro version that wrote
            it), ``"blackjax"``, ``"emcee"``, or ``"jax"`` (written here in JAX).
    """

    independent: bool
    ordered: bool
    start: str
    evidence: bool = False
    default_chains: int = 4
    per_dim: bool = False
    min_chains_per_dim: int = 0
    even: bool = False
    gradients: bool = False
    library: str = "jax"

    def chains_for(self, dim: int) -> int:
        """The default chain count for a ``dim``-parameter posterior."""
        return self.default_chains * (dim if self.per_dim else 1)


class Draws(NamedTuple):
    """New draws from one :meth:`Backend.advance`: θ (chains, k, dim), their log-densities
    (chains, k) and per-draw statistics, each (chains, k)."""

    theta: np.ndarray
    log_density: np.ndarray
    stats: dict


class Backend(Protocol):
    """The sampler protocol; see the module docstring."""

    name: str
    caps: Capabilities
    options: Mapping[str, Any]

    def validate(self, posterior: Posterior, chains: int, draws: int, options: dict) -> dict: ...

    def init(self, posterior: Posterior, start, seed: int, warmup: int, draws: int, **options): ...

    def advance(self, state, n: int) -> tuple[Any, Draws]: ...

    def finished(self, state) -> bool: ...

    def to_arrays(self, state) -> dict[str, np.ndarray]: ...

    def from_arrays(
        self, posterior: Posterior, arrays: dict, seed: int, warmup: int, draws: int, **options
    ): ...

    def info(self, samples, state) -> dict: ...

    def progress(self, state) -> tuple[float, str]: ...


# -- shared checks ----------------------------------------------------------------------------
def check_int(name: str, value, minimum: int) -> int:
    """``value`` as an int, or a ValueError when it is not an integer >= ``minimum``."""
    return integer(name, value, minimum=minimum)


def check_chains(sampler: str, caps: Capabilities, chains: int, dim: int) -> int:
    """A chain (walker, run) count for ``sampler`` on a ``dim``-parameter posterior, checked
    against its capabilities: ensembles need an even number of walkers where they move one
    half against the other, and at least 2·dim of them (fewer explore a thin subspace)."""
    chains = positive_int("chains", chains)
    if caps.even and chains % 2:
        raise ValueError(
            f"{sampler} needs an even number of walkers, got chains={chains}; use {chains + 1}"
        )
    need = caps.min_chains_per_dim * dim
    if chains < need:
        raise ValueError(
            f"{sampler} needs at least {caps.min_chains_per_dim}·dim = {need} walkers for "
            f"this {dim}-parameter posterior, got chains={chains}; the blog uses 4·dim = "
            f"{4 * dim}"
        )
    return chains


def mcmc_progress(kept: int, draws: int) -> tuple[float, str]:
    """Progress of an MCMC backend: kept draws out of ``draws``."""
    return min(1.0, kept / max(draws, 1)), f"draw {min(kept, draws)}/{draws}"


def moved(theta: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Per-draw acceptance of an ensemble (chains, k): a draw is accepted when it differs
    from the one before it (``previous`` (chains, dim) is the position before the first)."""
    before = np.concatenate([np.asarray(previous)[:, None, :], theta[:, :-1]], axis=1)
    return np.any(theta != before, axis=-1)


# -- named state arrays -----------------------------------------------------------------------
def _join(prefix: str, name) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def flatten_named(tree, prefix: str = "") -> dict[str, np.ndarray]:
    """A nest of NamedTuples / tuples / arrays as ``{dotted.name: array}`` (tuples by index)."""
    if tree is None:
        return {}
    if hasattr(tree, "_fields"):
        items = zip(tree._fields, tree)
    elif isinstance(tree, (tuple, list)):
        items = enumerate(tree)
    else:
        return {prefix: np.asarray(tree)}
    out: dict[str, np.ndarray] = {}
    for k, v in items:
        out.update(flatten_named(v, _join(prefix, k)))
    return out


def unflatten_named(template, arrays: Mapping[str, np.ndarray], prefix: str = ""):
    """Rebuild ``template``'s structure from named arrays (the inverse of
    :func:`flatten_named`); every name must be present, and no other name under ``prefix``.
    Raises ValueError naming what is missing or unexpected."""
    want = set(flatten_named(template, prefix))
    have = {k for k in arrays if k == prefix or k.startswith(prefix + ".")}
    if want != have:
        raise ValueError(
            f"sampler state does not match this sampler: missing {sorted(want - have)}, "
            f"unexpected {sorted(have - want)}"
        )
    return _rebuild(template, arrays, prefix)


def _rebuild(template, arrays, prefix):
    if template is None:
        return None
    if hasattr(template, "_fields"):
        return type(template)(
            *(_rebuild(v, arrays, _join(prefix, k)) for k, v in zip(template._fields, template))
        )
    if isinstance(template, (tuple, list)):
        return type(template)(_rebuild(v, arrays, _join(prefix, i)) for i, v in enumerate(template))
    return jnp.asarray(arrays[prefix])


def require(arrays: Mapping[str, np.ndarray], names) -> None:
    """A ValueError unless every one of ``names`` is among the saved state arrays."""
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ValueError(f"sampler state does not match this sampler: missing {missing}")


def ensemble_info(samples) -> dict:
    """Acceptance fraction (from the per-draw ``accepted`` flags) and the integrated
    autocorrelation time of each parameter, for ensemble samplers."""
    acc = samples.stats["accepted"]
    return dict(
        chain_method="ensemble",
        acceptance_fraction=float(np.mean(acc)) if acc.size else float("nan"),
        autocorr_time=autocorr_times(samples.theta),
    )
