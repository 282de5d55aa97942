"""Start-up shared by the study scripts: their two flags and the JAX process settings."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args(doc: str, argv=None, *, host_devices: int | None = None) -> argparse.Namespace:
    """Parse ``--quick`` and ``--figures``, then set up JAX: ``host_devices`` CPU devices
    (NUTS runs that many chains side by side) and the on-disk compilation cache."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (a smoke test)")
    ap.add_argument("--figures", default=str(ROOT / "figures"))
    args = ap.parse_args(argv)

    from bayes_uat import runtime

    if host_devices:
        runtime.set_host_device_count(host_devices)
    runtime.enable_compilation_cache()
    runtime.enable_x64()
    return args


# Keys whose values change from run to run on the same inputs (times, and what the machine
# was doing): kept out of the committed figures/<study>.json, written under figures/timings/
# (ignored by git) instead.
RUN_DEPENDENT = ("wall_time", "wall_time_total", "total_wall_time", "compile_time")


def split_timings(obj):
    """(``obj`` without the run-dependent keys, those keys alone), recursively."""
    if isinstance(obj, dict):
        keep, times = {}, {}
        for k, v in obj.items():
            if k in RUN_DEPENDENT:
                times[k] = v
                continue
            keep[k], t = split_timings(v)
            if t:
                times[k] = t
        return keep, times
    if isinstance(obj, list):
        pairs = [split_timings(v) for v in obj]
        times = {str(i): t for i, (_, t) in enumerate(pairs) if t}
        return [k for k, _ in pairs], times
    return obj, {}


# Significant digits of the committed numbers: a run repeated on the same machine differs in
# the last digits of a float (the order of threaded sums), which would rewrite the file.
DIGITS = 8


def rounded(obj, digits: int = DIGITS):
    """``obj`` with every float rounded to ``digits`` significant digits, recursively."""
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}") if math.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v, digits) for v in obj]
    return obj


def write_numbers(path, numbers: dict) -> None:
    """Write a study's numbers to ``path`` (committed: the same on every run, floats to
    :data:`DIGITS` significant digits) and its wall times to ``timings/<name>`` beside it
    (ignored by git)."""
    from bayes_uat.records import write_json

    path = Path(path)
    keep, times = split_timings(numbers)
    write_json(path, rounded(keep))
    write_json(path.parent / "timings" / path.name, times)
