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
