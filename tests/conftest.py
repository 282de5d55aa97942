"""Test configuration: render figures off-screen; keep the CLI's compilation cache off so
tests write nothing outside their temporary directories."""

import os

import pytest

os.environ.setdefault("BAYES_UAT_JAX_CACHE", "")

try:
    import matplotlib
except ImportError:  # pragma: no cover - matplotlib is a dependency, but stay harmless
    pass
else:
    matplotlib.use("Agg")

# The package leaves JAX's 64-bit mode to its user; the tests compute in float64 on CPU, as
# the command and the scripts do.
from bayes_uat import enable_x64, release_compiled  # noqa: E402

enable_x64()


@pytest.fixture(scope="module", autouse=True)
def _release_compiled_programs():
    """Drop each test module's compiled programs when it ends: a test process compiles
    thousands, and XLA's CPU compiler crashes once the process's memory mappings reach
    Linux's vm.max_map_count (seen in the slow suite)."""
    yield
    release_compiled()
