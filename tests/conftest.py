"""Test configuration: render figures off-screen."""

try:
    import matplotlib
except ImportError:  # pragma: no cover - matplotlib is a dependency, but stay harmless
    pass
else:
    matplotlib.use("Agg")
