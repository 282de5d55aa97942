"""One figure style for every plot: serif text at paper size, LaTeX-looking mathtext.

The style is a small set of rcParams applied with :func:`style` around figure creation and
saving, so importing :mod:`bayes_uat.plots` never changes a user's global settings.  Maths
is rendered by matplotlib's own mathtext with the STIX fonts (shipped with matplotlib), so
labels such as ``$w_{1}$`` look like LaTeX without a LaTeX installation.

Example
-------
>>> import matplotlib.pyplot as plt
>>> from bayes_uat.plots import style
>>> with style():
...     fig, ax = plt.subplots()
...     _ = ax.set_xlabel("$x$")
>>> plt.close(fig)
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl

# Figure sizes in inches: one column of a two-column paper, and a full page width.
COLUMN = 3.4
PAGE = 7.0

# Colours shared by all figures, so that SGD and the MAP draw look the same everywhere.
# Data are magenta dots, never black: the posterior median is the black line.
POSTERIOR = "k"
BAND_68 = "0.62"
BAND_95 = "0.85"
SGD = "tab:red"
MAP = "tab:blue"
TRUTH = "tab:brown"
DATA = "#c51b7d"  # magenta: apart from the black median, SGD red, MAP blue

LIKELIHOOD_NAMES = {"mse": "blog likelihood, $\\sigma^2 = n/2$", "gaussian": "Gaussian likelihood"}

RC = {
    "font.family": ["STIXGeneral", "DejaVu Serif"],
    "mathtext.fontset": "stix",
    "axes.formatter.use_mathtext": True,
    "font.size": 9.0,
    "axes.labelsize": 10.0,
    "axes.titlesize": 10.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "legend.handlelength": 2.2,
    "axes.linewidth": 0.7,
    "lines.linewidth": 1.2,
    "xtick.major.width": 0.7,
    "ytick.major.width": 0.7,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "savefig.dpi": 200,
    "pdf.fonttype": 42,  # embed TrueType: text stays selectable and editable
    "ps.fonttype": 42,
    "svg.hashsalt": "bayes_uat",  # fixed SVG ids: the same figure gives the same file
}


def data_dots(ax, x, y, *, ms: float = 1.0, alpha: float = 0.5, zorder: float = 5):
    """The observations as small dots in the data colour (one look in every figure)."""
    return ax.plot(
        x, y, ls="none", marker="o", ms=ms, color=DATA, mec="none", alpha=alpha, zorder=zorder
    )


@contextmanager
def style():
    """Apply the package's rcParams for the duration of the block (figure creation and
    saving both read them)."""
    with mpl.rc_context(RC):
        yield


def sgd_label(run) -> str:
    """Legend label of the SGD solution: ``"SGD (Adam)"`` unless plain SGD was used."""
    settings = getattr(run.sgd, "settings", None) or {}
    return "SGD" if settings.get("optimizer") == "sgd" else "SGD (Adam)"


def num(v: float) -> str:
    """Two significant digits, as mathtext (``1.2\\times10^{-5}`` for tiny values)."""
    s = f"{v:.2g}"
    if "e" in s:
        m, e = s.split("e")
        return rf"{m}\times10^{{{int(e)}}}"
    return s


def sampler_label(run) -> str:
    """The sampler and the size of the run in the sampler's own words, e.g. ``"NUTS, 4
    chains × (1000 warm-up + 1000 draws)"``, ``"ensemble (stretch move), 28 walkers ×
    (2000 burn-in + 8000 draws)"``, ``"tempered SMC, 4 independent runs × 128 particles"``."""
    from ..vocabulary import WORDS, size_text, words  # walkers, runs × particles, ...

    s = run.samples
    kind = s.sampler
    name = words(kind).title
    w = WORDS.get(kind)
    warmup = (getattr(s, "settings", None) or {}).get("warmup")
    if w is not None and w.warmup is not None and warmup:
        chains = w.chains if s.chains != 1 else w.chain
        return f"{name}, {s.chains} {chains} × ({warmup} {w.warmup_name} + {s.draws} {w.draws})"
    return f"{name}, {size_text(kind, s.chains, s.draws)}"


def run_label(run) -> str:
    """:func:`sampler_label` and the sampler's settings that shape the draws, e.g. ``"NUTS,
    4 chains × (500 warm-up + 500 draws), max tree depth 8, target acceptance 0.9"``."""
    from ..vocabulary import settings_text

    st = getattr(run.samples, "settings", None) or {}
    parts = [sampler_label(run), *settings_text(run.samples.sampler, st)]
    if st.get("init") == "sgd":
        parts.append("started at SGD restarts")
    return ", ".join(parts)


def likelihood_label(posterior) -> str:
    """The likelihood in words (the blog's σ² = n/2, or a Gaussian with σ fixed or inferred)."""
    if posterior.likelihood == "gaussian":
        how = "inferred" if posterior.infers_sigma else f"= {posterior.noise_std:g}"
        return f"Gaussian likelihood, $\\sigma$ {how}"
    return LIKELIHOOD_NAMES.get(posterior.likelihood, posterior.likelihood)
