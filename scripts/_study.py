"""Start-up shared by the study scripts: their two flags and the JAX process settings."""

from __future__ import annotations

import argparse
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
