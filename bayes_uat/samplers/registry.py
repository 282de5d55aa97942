"""The samplers by name: registering a backend is one line here."""

from __future__ import annotations

from . import aies, emcee_backend, ensemble, nuts, smc_backend
from .base import Backend

SAMPLERS: dict[str, Backend] = {
    "nuts": nuts.BACKEND,
    "ensemble": ensemble.BACKEND,
    "emcee": emcee_backend.BACKEND,
    "aies": aies.BACKEND,
    "smc": smc_backend.BACKEND,
}
