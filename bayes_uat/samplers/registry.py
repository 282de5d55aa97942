"""The samplers by name: registering a backend is one line here. Code outside samplers/
asks :func:`capabilities` what a sampler is, and never names one."""

from __future__ import annotations

from . import aies, emcee_backend, ensemble, nuts, smc_backend
from .base import Backend, Capabilities
from .base import check_chains as _check_chains

SAMPLERS: dict[str, Backend] = {
    "nuts": nuts.BACKEND,
    "ensemble": ensemble.BACKEND,
    "emcee": emcee_backend.BACKEND,
    "aies": aies.BACKEND,
    "smc": smc_backend.BACKEND,
}


def backend(name: str) -> Backend:
    """The backend registered as ``name``; a ValueError naming the choices otherwise."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}: choose one of {', '.join(SAMPLERS)}")
    return SAMPLERS[name]


def capabilities(name: str) -> Capabilities:
    """What the sampler ``name`` is (:class:`~bayes_uat.samplers.base.Capabilities`)."""
    return backend(name).caps


def capabilities_of(samples) -> Capabilities:
    """The capabilities of the sampler that drew ``samples``. Draws made outside the
    registry (``bayes_uat.evidence``'s) are independent runs of unordered draws when their
    ``info["independent_runs"]`` says so, else independent ordered chains."""
    if samples.sampler in SAMPLERS:
        return capabilities(samples.sampler)
    runs = bool(samples.info.get("independent_runs"))
    return Capabilities(independent=True, ordered=not runs, start="prior", evidence=runs)


def default_chains(sampler: str, dim: int) -> int:
    """The chains (walkers, runs) ``sampler`` uses when none are asked for: NUTS 4 chains,
    SMC 4 runs, ensembles 4·dim walkers (the blog's choice, always even)."""
    return capabilities(sampler).chains_for(dim)


def check_chains(sampler: str, chains, dim: int) -> int:
    """``chains`` for ``sampler`` on a ``dim``-parameter posterior, checked (ValueError)."""
    return _check_chains(sampler, capabilities(sampler), chains, dim)
