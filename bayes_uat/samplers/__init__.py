"""Sampling the posterior: NUTS, ensembles (JAX-native, emcee, numpyro's AIES) — one call,
one result type.

All use the posterior's single interface, the log-density over a flat θ. One module per
backend (:mod:`.nuts`, :mod:`.ensemble`, :mod:`.emcee_backend`, :mod:`.aies`), each
following the protocol in :mod:`.base`; :data:`SAMPLERS` maps names to backends, and
:func:`sample` (in :mod:`.api`) drives any of them: validate → build → run chunks →
summarise. Runs proceed in chunks of draws; after each chunk ``callback(samples_so_far,
state_arrays)`` is called with the sampler's state as named arrays, which :func:`sample`
accepts back as ``resume=`` to continue exactly where it stopped (the run directory's
checkpoint, :mod:`bayes_uat.runner`, stores them).

Example
-------
>>> from bayes_uat import MLP, Posterior, make_dataset, sample
>>> post = Posterior(MLP(1, "tanh"), make_dataset("sin", n=50))
>>> s = sample(post, "aies", chains=16, warmup=100, draws=100, seed=0, progress=False)
>>> s.theta.shape
(16, 100, 4)
"""

from .api import sample
from .base import Backend, Capabilities, Draws
from .nuts import choose_chain_method
from .registry import SAMPLERS, capabilities, capabilities_of, check_chains, default_chains
from .start import INITS, initial_points

__all__ = [
    "SAMPLERS",
    "INITS",
    "Capabilities",
    "capabilities",
    "capabilities_of",
    "check_chains",
    "Backend",
    "Draws",
    "sample",
    "default_chains",
    "initial_points",
    "choose_chain_method",
]
