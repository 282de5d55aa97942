"""Old import path of :mod:`bayes_uat.samplers.ensemble` (kept so existing imports keep working)."""

from .samplers.ensemble import MOVES, State, init, move_weights, run, step  # noqa: F401
