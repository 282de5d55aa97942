"""Old import path of :mod:`bayes_uat.samplers` (kept so existing imports keep working)."""

from .samplers import (  # noqa: F401
    INITS,
    METHODS,
    SAMPLERS,
    choose_chain_method,
    default_chains,
    initial_points,
    sample,
)
