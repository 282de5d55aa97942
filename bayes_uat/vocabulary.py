"""Each sampler's own words, and the sampler options the command and TOML files can set.

Every sampler is driven through the same ``chains``, ``warmup`` and ``draws`` settings, but
they mean different things: NUTS runs *chains* after a *warm-up*, the ensembles move
*walkers* after a *burn-in*, tempered SMC runs *independent runs* of *particles* from the
prior and has neither warm-up nor start points. :data:`WORDS` holds those words; the
command's help, the run header, the record's attributes, the printed summary and the
figure titles take them from here.

:data:`OPTIONS` lists, per sampler, the options ``--option KEY=VALUE`` (TOML: an
``[options]`` table) may set, with their kind and a line of help; the defaults are the
backends' own (``bayes_uat.samplers.SAMPLERS[name].options``). :func:`check_options`
refuses unknown keys and values of the wrong kind with a message naming the fix; the
backend's own ``validate`` checks ranges before any work.

Example
-------
>>> size_text("smc", 4, 200)
'4 independent runs × 200 particles'
>>> size_text("nuts", 1, 1000)
'1 chain × 1000 draws'
>>> parse_option("moves={stretch = 0.8, de = 0.2}")
('moves', {'stretch': 0.8, 'de': 0.2})
"""

from __future__ import annotations

import tomllib
from typing import NamedTuple


class Words(NamedTuple):
    """How one sampler speaks of its run."""

    title: str  # the sampler's name in text and figures
    chain: str  # one of its ``chains``
    chains: str  # several
    draw: str  # one of its ``draws`` (per chain)
    draws: str
    warmup: str | None  # what ``warmup`` is for it; None where it is not used
    start: str  # where its chains start
    uses_init: bool  # whether ``init`` (sgd / prior start points) applies
    warmup_name: str | None = None  # its warm-up in one word ("warm-up", "burn-in")
    gradients: str | None = None  # why it needs gradients (a refusal's start), where it does


_ENSEMBLE = dict(
    chain="walker",
    chains="walkers",
    draw="draw",
    draws="draws",
    warmup="burn-in steps (discarded)",
    start="a small ball around the best SGD point (--init sgd) or prior draws",
    uses_init=True,
    warmup_name="burn-in",
)

WORDS: dict[str, Words] = {
    "nuts": Words(
        title="NUTS",
        chain="chain",
        chains="chains",
        draw="draw",
        draws="draws",
        warmup="warm-up steps (step size and mass matrix adaptation, discarded)",
        start="the SGD restarts (--init sgd) or prior draws",
        uses_init=True,
        warmup_name="warm-up",
        gradients="NUTS needs gradients",
    ),
    "ensemble": Words(title="ensemble (stretch move)", **_ENSEMBLE),
    "emcee": Words(title="emcee", **_ENSEMBLE),
    "aies": Words(title="AIES", **_ENSEMBLE),
    "smc": Words(
        title="tempered SMC",
        chain="independent run",
        chains="independent runs",
        draw="particle",
        draws="particles",
        warmup=None,
        start="prior draws (no SGD start, no warm-up)",
        uses_init=False,
        gradients="SMC's HMC/NUTS moves need gradients",
    ),
}


def words(sampler: str) -> Words:
    """The words of ``sampler``; an unknown name speaks of chains and draws."""
    return WORDS.get(sampler) or Words(sampler, "chain", "chains", "draw", "draws", "", "", True)


def count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def size_text(sampler: str, chains: int, draws: int) -> str:
    """``"4 chains × 1000 draws"``, ``"28 walkers × 8000 draws"``,
    ``"4 independent runs × 200 particles"``."""
    w = words(sampler)
    return f"{count(chains, w.chain, w.chains)} × {count(draws, w.draw, w.draws)}"


def header(sampler: str, chains: int, warmup: int, draws: int, init: str) -> str:
    """The run header's sampling line, in the sampler's words."""
    w = words(sampler)
    text = f"sampling: {w.title}, {size_text(sampler, chains, draws)}"
    if w.warmup is not None:
        text += f" after {warmup} {w.warmup.split(' (')[0]}"
    if w.uses_init:
        text += f", starting from {'SGD' if init == 'sgd' else 'prior draws'}"
    else:
        text += f", starting from {w.start}"
    return text


def applies(sampler: str, key: str) -> bool:
    """Whether run setting ``key`` (``warmup``, ``init``) means anything for ``sampler``."""
    w = words(sampler)
    if key == "warmup":
        return w.warmup is not None
    if key == "init":
        return w.uses_init
    return True


def inapplicable(sampler: str, keys) -> dict[str, str]:
    """{setting: why} for the run settings among ``keys`` that mean nothing to ``sampler``
    (given on the command line, they would be ignored without a word)."""
    w, out = words(sampler), {}
    keys = set(keys)
    if "warmup" in keys and w.warmup is None:
        out["warmup"] = f"--warmup: {w.title} has no warm-up (it starts from the prior)"
    if "init" in keys and not w.uses_init:
        out["init"] = f"--init: {w.title} draws its own start points from the prior"
    for owner, flags in FLAGGED.items():
        for key, flag in flags.items():
            if key in keys and sampler != owner:
                also = (
                    f" ({sampler}'s own: --option {key}=VALUE)"
                    if key in OPTIONS.get(sampler, {})
                    else ""
                )
                out[key] = f"{flag} applies to {words(owner).title} only{also}"
    return out


def _moves(v) -> str | None:
    return f"{v} moves" if isinstance(v, str) and v != "stretch" else None


# The settings that shape a sampler's draws, as figure captions word them (None: say nothing).
SETTING_TEXT = {
    "nuts": {
        "max_tree_depth": lambda v: f"max tree depth {v}",
        "target_accept": lambda v: f"target acceptance {v:g}",
        "dense_mass": lambda v: "dense mass matrix" if v else None,
    },
    "ensemble": {"moves": _moves},
    "emcee": {"moves": _moves},
    "aies": {"moves": _moves},
    "smc": {
        "steps": lambda v: f"≥ {v} transitions per temperature",
        "mass": lambda v: f"{v} mass",
    },
}


def settings_text(sampler: str, settings: dict) -> list[str]:
    """The settings of ``sampler`` among ``settings`` that shape its draws, in words, e.g.
    ``["max tree depth 8", "target acceptance 0.9"]`` for NUTS."""
    texts = (f(settings[k]) for k, f in SETTING_TEXT.get(sampler, {}).items() if k in settings)
    return [t for t in texts if t is not None]


# -- sampler options ---------------------------------------------------------------------------
class Option(NamedTuple):
    kind: str  # "int", "float", "bool", "str", "int|none", "moves"
    help: str


# Options that have their own flag: --option refuses them and names the flag.
FLAGGED = {
    "nuts": {
        "dense_mass": "--dense-mass",
        "max_tree_depth": "--max-tree-depth",
        "target_accept": "--target-accept",
    }
}

OPTIONS: dict[str, dict[str, Option]] = {
    "nuts": {
        "chain_method": Option(
            "str",
            "vectorized, parallel (one device per chain) or auto (parallel where there "
            "are enough devices)",
        ),
    },
    "ensemble": {
        "moves": Option("moves", "stretch, de, or weights such as '{stretch = 0.8, de = 0.2}'"),
        "stretch_a": Option("float", "scale a > 1 of the stretch move"),
    },
    "aies": {"moves": Option("str", "stretch or de")},
    "emcee": {},  # emcee's moves are emcee Move objects: set them from Python
    "smc": {
        "steps": Option("int", "fewest mutation transitions per temperature"),
        "max_steps": Option(
            "int|none", "most mutation transitions per temperature (none: 10·steps)"
        ),
        "leapfrog": Option("int", "leapfrog steps per HMC transition"),
        "target_ess": Option(
            "float", "fraction of particles the weights' ESS is held at, in (0, 1)"
        ),
        "target_accept": Option(
            "float", "acceptance the HMC step size is tuned towards, in (0, 1)"
        ),
        "kernel": Option("str", "mutation kernel: hmc or nuts"),
        "mass": Option("str", "inverse mass matrix: auto, canonical, dense or diag"),
        "max_temperatures": Option("int", "a run stops with an error past this many temperatures"),
        "move_prob": Option(
            "float", "p of the step-count rule: every particle moves with probability p"
        ),
        "symmetry_moves": Option("bool", "jumps between the symmetric copies of each particle"),
    },
}


def option_names(sampler: str) -> tuple[str, ...]:
    """Every option of ``sampler`` a run can set (flags and ``--option``)."""
    return (*FLAGGED.get(sampler, {}), *OPTIONS.get(sampler, {}))


def option_defaults(sampler: str) -> dict:
    from .samplers import SAMPLERS

    return dict(SAMPLERS[sampler].options) if sampler in SAMPLERS else {}


def options_help(width: int = 96) -> str:
    """The table of every settable option per sampler, with its default (``--help``)."""
    import textwrap

    lines = ["sampler options (--option KEY=VALUE, repeatable; TOML: an [options] table):"]
    pad = " " * 35

    def row(sampler: str, head: str, text: str) -> None:
        lines.extend(
            textwrap.wrap(
                text,
                width,
                initial_indent=f"  {sampler:<9} {head:<22} ",
                subsequent_indent=pad,
                break_on_hyphens=False,
            )
        )

    for sampler, opts in OPTIONS.items():
        defaults = option_defaults(sampler)
        for i, (k, o) in enumerate(opts.items()):
            row(sampler if i == 0 else "", f"{k}={_show(defaults.get(k))}", o.help)
        flagged = FLAGGED.get(sampler)
        if flagged:
            text = ", ".join(f"{f}" for f in flagged.values())
            row("", "", f"its other options have flags: {text}")
        if not opts:
            row(sampler, "none", "emcee's moves are emcee objects: set them from Python")
    return "\n".join(lines)


def _show(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


def parse_option(text: str) -> tuple[str, object]:
    """``"steps=20"`` → ``("steps", 20)``. The value is read as a TOML value (numbers,
    true/false, quoted strings, inline tables); a bare word is a string, ``none`` is None."""
    key, sep, value = text.partition("=")
    key, value = key.strip().replace("-", "_"), value.strip()
    if not sep or not key or not value:
        raise ValueError(f"--option takes KEY=VALUE such as 'steps=20', got {text!r}")
    if value.lower() == "none":
        return key, None
    try:
        return key, tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return key, value


def check_options(sampler: str, options: dict | None) -> dict:
    """``options`` checked against what ``sampler`` takes (names and kinds); a ValueError
    naming the key and the fix otherwise. Ranges are the backend's to check."""
    options = dict(options or {})
    allowed = OPTIONS.get(sampler, {})
    for key, value in options.items():
        flag = FLAGGED.get(sampler, {}).get(key)
        if flag:
            raise ValueError(
                f"option {key!r} of sampler {sampler!r} has its own flag: use {flag} "
                f"(TOML: {key} = ...) instead of --option {key}=..."
            )
        if key not in allowed:
            known = ", ".join(allowed) or "none settable from the command line"
            raise ValueError(
                f"unknown option {key!r} for sampler {sampler!r}; its options: {known} "
                "(bayes-uat run --help lists them with their defaults)"
            )
        kind = allowed[key].kind
        if not _kind_ok(kind, value):
            raise ValueError(
                f"option {key!r} of sampler {sampler!r} takes {_KIND_TEXT[kind]}, got "
                f"{value!r}; e.g. --option {key}={_show(option_defaults(sampler).get(key))}"
            )
        if kind == "float":
            options[key] = float(value)
    return options


_KIND_TEXT = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a word",
    "int|none": "an integer or none",
    "moves": "a move name or a table of move weights",
}


def _kind_ok(kind: str, v) -> bool:
    is_int = isinstance(v, int) and not isinstance(v, bool)
    if kind == "int":
        return is_int
    if kind == "int|none":
        return v is None or is_int
    if kind == "float":
        return is_int or isinstance(v, float)
    if kind == "bool":
        return isinstance(v, bool)
    if kind == "str":
        return isinstance(v, str)
    if kind == "moves":
        return isinstance(v, (str, dict))
    return False
