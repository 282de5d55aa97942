"""Run directories: which directory a run may write into, and a lock that keeps it to one process.

A run writes only into a directory that does not exist yet, is empty, or already holds a
bayes_uat run (``posterior.nc`` or ``checkpoint.npz``); anything else is the user's and is
refused.  While a run works, ``RUN_DIR/.bayes-uat.lock`` (created with ``O_CREAT | O_EXCL``)
holds its process id, host and start time; a second process is refused with the holder's
name, and a lock left by a process that no longer exists on this host is taken over.

Example
-------
>>> from bayes_uat.rundir import check_out_dir, run_lock
>>> check_out_dir("runs/new", overwrite=False, resume=False)  # doctest: +SKIP
>>> with run_lock("runs/new"):  # doctest: +SKIP
...     pass
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = ".bayes-uat.lock"
# what a run writes: record, checkpoint, figures, the lock and atomic temporaries of them
RUN_FILES = ("posterior.nc", "summary.json", "checkpoint.npz", "figures", LOCK)


def _is_run_file(name: str) -> bool:
    if name in RUN_FILES:
        return True
    return name.endswith(".tmp") and any(name.startswith(f".{f}.") for f in RUN_FILES)


def _writable_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists():
        p = p.parent
    return p


def check_out_dir(out: str | Path, *, overwrite: bool, resume: bool) -> None:
    """Refuse an output directory that a run must not write into, before any work.

    Raises ``ValueError`` (or ``FileExistsError`` / ``FileNotFoundError``) when ``out`` is a
    file, holds files that are not a bayes_uat run, holds a run and neither ``overwrite``
    nor ``resume`` is set, or cannot be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a directory; choose a directory")
    if resume:
        if not out.is_dir():
            raise FileNotFoundError(f"cannot resume: run directory {str(out)!r} does not exist")
        if not (out / "checkpoint.npz").is_file():
            if (out / "posterior.nc").is_file():
                raise ValueError(f"cannot resume {str(out)!r}: it is already complete")
            raise ValueError(
                f"cannot resume {str(out)!r}: nothing was saved there (a run stopped before "
                "its first checkpoint keeps neither draws nor settings); start it afresh: "
                f"rerun the command that started it, with --out {str(out)} instead of --resume"
            )
    elif out.is_dir():
        names = sorted(os.listdir(out))
        is_run = any(n in ("posterior.nc", "checkpoint.npz") for n in names)
        # without a record or checkpoint, even a summary.json or figures/ is the user's
        foreign = [n for n in names if not (_is_run_file(n) and (is_run or n[0] == "."))]
        if foreign and not is_run:
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            raise ValueError(
                f"--out {str(out)!r} holds files that are not a bayes_uat run ({shown}); a run "
                "writes only into a new or empty directory or one holding a run: choose another"
            )
        if (out / "posterior.nc").is_file() and not overwrite:
            raise FileExistsError(
                f"{str(out)!r} already holds a run; pass --overwrite to replace "
                "it, or --resume to continue an interrupted one"
            )
        if (out / "checkpoint.npz").is_file() and not overwrite:
            raise FileExistsError(
                f"{str(out)!r} holds an interrupted run; pass --resume to "
                "continue it or --overwrite to start again"
            )
    base = _writable_ancestor(out)
    if not os.access(base, os.W_OK | os.X_OK):
        raise ValueError(
            f"cannot write the run into {str(out)!r}: {str(base)!r} is not writable; "
            "choose a directory you can write to"
        )


def _holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(holder: dict | None) -> bool:
    """A lock taken on this host by a process that no longer exists."""
    if not holder or holder.get("host") != socket.gethostname():
        return False
    pid = holder.get("pid")
    return isinstance(pid, int) and pid > 0 and not _alive(pid)


def _create(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise ValueError(
                f"cannot write the run into {str(path.parent)!r} ({e.strerror}); "
                "choose a directory you can write to"
            ) from None
        raise
    info = dict(pid=os.getpid(), host=socket.gethostname(), started=time.time())
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh)
    return True


def acquire(out: str | Path) -> Path:
    """Take the run directory's lock or raise a ``ValueError`` naming its holder."""
    path = Path(out) / LOCK
    if _create(path):
        return path
    holder = _holder(path)
    if _stale(holder):
        # re-read right before removing, so a lock just taken over by another process stays
        if _holder(path) == holder:
            path.unlink(missing_ok=True)
        if _create(path):
            return path
        holder = _holder(path)
    if holder:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.get("started", 0)))
        who = f"process {holder.get('pid')} on {holder.get('host')} (since {since})"
    else:
        who = "a process whose lock file cannot be read"
    raise ValueError(
        f"{str(Path(out))!r} is in use by {who}; wait for it to finish, or choose another "
        f"--out. If that process is gone, delete {str(path)!r}"
    )


def release(path: Path) -> None:
    """Remove the lock if this process still holds it."""
    holder = _holder(path)
    if holder and holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        path.unlink(missing_ok=True)


@contextmanager
def run_lock(out: str | Path) -> Iterator[Path]:
    """Hold the lock on ``out`` for the duration of the block, released on every exit path
    (return, exception, KeyboardInterrupt)."""
    path = acquire(out)
    try:
        yield path
    finally:
        release(path)
