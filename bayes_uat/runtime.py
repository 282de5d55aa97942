"""Process-level JAX settings: host devices for parallel chains, the compilation cache; and
:func:`take_in_bounds`, the plain gather the compiled programs use.

Both must be set before JAX runs its first computation (importing jax is fine; computing is
not), so scripts and the ``bayes-uat`` command call these at start-up.

Example
-------
>>> from bayes_uat.runtime import enable_compilation_cache, set_host_device_count
>>> set_host_device_count(4)  # doctest: +SKIP
>>> enable_compilation_cache()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

_FLAG = "--xla_force_host_platform_device_count"


def enable_x64(on: bool = True) -> bool:
    """Switch JAX's 64-bit mode (``jax_enable_x64``) on or off for the whole process and
    return the mode now in force. Float64 arrays exist only in this mode; turn it on before
    creating arrays or posteriors. Importing bayes_uat does not do this for you."""
    import jax

    jax.config.update("jax_enable_x64", bool(on))
    return bool(jax.config.jax_enable_x64)


def x64_enabled() -> bool:
    """Whether JAX's 64-bit mode is on."""
    import jax

    return bool(jax.config.jax_enable_x64)


def release_compiled() -> None:
    """Drop every compiled XLA program this process holds (``jax.clear_caches()``) and
    collect the garbage. Library code never needs it: its programs take the posterior as
    an argument, so a process holds one set per network and data shape, not per posterior.
    It exists for the test suite, which builds hundreds of networks of different shapes in
    one process: each CPU program keeps memory mappings until it is dropped, and Linux
    allows a process about 65 000 (``vm.max_map_count``)."""
    import gc

    import jax

    jax.clear_caches()
    gc.collect()


def set_host_device_count(n: int) -> int:
    """Ask XLA for ``n`` CPU host devices (one NUTS chain each, ``chain_method="parallel"``),
    unless XLA_FLAGS already names a count. Returns the count in force."""
    flags = os.environ.get("XLA_FLAGS", "")
    for part in flags.split():
        if part.startswith(_FLAG + "="):
            return int(part.split("=", 1)[1])
    os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={int(n)}".strip()
    return int(n)


def default_compilation_cache() -> str | None:
    """Turn on the on-disk compilation cache for library use, once, unless the process
    already has one or $BAYES_UAT_JAX_CACHE is set to the empty string (off). Called when a
    :class:`~bayes_uat.Posterior` or a data set (:func:`~bayes_uat.make_dataset`) is built,
    so a notebook or script that builds the same shapes again skips XLA compilation. Returns
    the directory in force, or None."""
    import jax

    current = jax.config.jax_compilation_cache_dir
    if current:
        return str(current)
    return enable_compilation_cache()


def enable_compilation_cache(path: str | Path | None = None) -> str | None:
    """Keep XLA's compiled programs on disk (all of them, however small) so a second run
    of the same shapes skips compilation. Directory: ``path``, else $BAYES_UAT_JAX_CACHE
    (empty: off), else ~/.cache/bayes_uat/jax. Returns the directory, or None when off."""
    if path is None:
        path = os.environ.get("BAYES_UAT_JAX_CACHE")
        if path is None:
            path = str(Path.home() / ".cache" / "bayes_uat" / "jax")
    if not path:
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", str(path))
    # every program is kept, however quick to compile: with a 0.2 s threshold (JAX's default
    # is 1 s) the small ones a first posterior runs (data, keys) were compiled anew on every
    # run; JAX's compile log of a warm blog-workload start: 0.68 s with it, 0.38 s without
    # (2 cores at load 11)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return str(path)


def take_in_bounds(x, idx, axis: int):
    """``jnp.take(x, idx, axis)`` for indices known to lie in range: one gather, without the
    arithmetic NumPy-style indexing adds for negative indices (traced, lowered and compiled
    into every program that takes it). ``idx``: a constant (NumPy) or traced integer array
    of any shape, whose dimensions replace ``axis``."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    axis = axis % x.ndim
    k = len(idx.shape)
    dnums = jax.lax.GatherDimensionNumbers(
        offset_dims=tuple(range(axis)) + tuple(range(axis + k, x.ndim + k - 1)),
        collapsed_slice_dims=(axis,),
        start_index_map=(axis,),
    )
    # a constant index is converted on the host: no conversion in the program
    idx = idx.astype(np.int32) if isinstance(idx, np.ndarray) else idx.astype(jnp.int32)
    return jax.lax.gather(
        x,
        idx[..., None],
        dnums,
        x.shape[:axis] + (1,) + x.shape[axis + 1 :],
        mode=jax.lax.GatherScatterMode.PROMISE_IN_BOUNDS,
    )
