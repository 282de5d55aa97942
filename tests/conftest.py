"""Test configuration: render figures off-screen; keep the CLI's compilation cache off so
tests write nothing outside their temporary directories."""

import os

os.environ.setdefault("BAYES_UAT_JAX_CACHE", "")

try:
    import matplotlib
except ImportError:  # pragma: no cover - matplotlib is a dependency, but stay harmless
    pass
else:
    matplotlib.use("Agg")

# The package leaves JAX's 64-bit mode to its user; the tests compute in float64 on CPU, as
# the command and the scripts do.
from bayes_uat import enable_x64  # noqa: E402

enable_x64()
