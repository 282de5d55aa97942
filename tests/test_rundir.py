"""Run directories: only empty ones or runs are written, and one process at a time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from bayes_uat import rundir
from bayes_uat.rundir import LOCK, acquire, check_out_dir, release, run_lock


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_new_and_empty_directories_are_accepted(tmp_path):
    check_out_dir(tmp_path / "new" / "deeper", overwrite=False, resume=False)
    check_out_dir(tmp_path, overwrite=False, resume=False)
    assert not (tmp_path / "new").exists()  # checking creates nothing


@pytest.mark.parametrize("name", ["notes.txt", "summary.json", "figures"])
def test_a_directory_of_the_users_files_is_refused(tmp_path, name):
    """Even files named like a run's are the user's when there is no run record."""
    (tmp_path / name).write_text("mine")
    with pytest.raises(ValueError, match=f"holds files that are not a bayes_uat run \\({name}\\)"):
        check_out_dir(tmp_path, overwrite=True, resume=False)
    assert (tmp_path / name).read_text() == "mine"


def test_runs_need_overwrite_or_resume(tmp_path):
    (tmp_path / "posterior.nc").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("kept beside a run")
    with pytest.raises(FileExistsError, match="already holds a run; pass --overwrite"):
        check_out_dir(tmp_path, overwrite=False, resume=False)
    check_out_dir(tmp_path, overwrite=True, resume=False)
    with pytest.raises(ValueError, match="cannot resume .*already complete"):
        check_out_dir(tmp_path, overwrite=False, resume=True)


def test_a_file_as_out_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        check_out_dir(tmp_path / "f", overwrite=False, resume=False)


def test_unwritable_parent_is_refused(tmp_path, monkeypatch):
    # root ignores permission bits, so the check's answer is what is tested here
    monkeypatch.setattr(os, "access", lambda p, mode: False)
    with pytest.raises(ValueError, match=f"{tmp_path}' is not writable"):
        check_out_dir(tmp_path / "new", overwrite=False, resume=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="is not writable"):
            check_out_dir(ro / "run", overwrite=False, resume=False)
    finally:
        ro.chmod(0o700)


def test_lock_holds_pid_host_time_and_is_released(tmp_path):
    with run_lock(tmp_path) as path:
        held = json.loads(path.read_text())
        assert held["pid"] == os.getpid() and held["host"] == socket.gethostname()
        assert held["started"] > 0
    assert not path.exists()


def test_second_process_is_refused_with_the_holders_name(tmp_path):
    holder = dict(pid=1, host="elsewhere", started=0.0)  # another host: never taken over
    (tmp_path / LOCK).write_text(json.dumps(holder))
    with pytest.raises(ValueError, match="in use by process 1 on elsewhere"):
        acquire(tmp_path)
    (tmp_path / LOCK).write_text(json.dumps(dict(holder, host=socket.gethostname())))
    with pytest.raises(ValueError, match="in use by process 1 on"):  # pid 1 is alive
        acquire(tmp_path)
    assert json.loads((tmp_path / LOCK).read_text())["pid"] == 1  # untouched


def test_unreadable_lock_is_refused_and_says_how_to_clear_it(tmp_path):
    (tmp_path / LOCK).write_text("")
    with pytest.raises(ValueError, match=f"cannot be read.*delete '{tmp_path / LOCK}'"):
        acquire(tmp_path)


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    stale = dict(pid=_dead_pid(), host=socket.gethostname(), started=0.0)
    (tmp_path / LOCK).write_text(json.dumps(stale))
    path = acquire(tmp_path)
    assert json.loads(path.read_text())["pid"] == os.getpid()
    release(path)
    assert not path.exists()


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_lock_released_on_exceptions(tmp_path, exc):
    with pytest.raises(exc):
        with run_lock(tmp_path):
            raise exc()
    assert not (tmp_path / LOCK).exists()


def test_release_leaves_another_holders_lock(tmp_path):
    path = tmp_path / LOCK
    path.write_text(json.dumps(dict(pid=1, host=socket.gethostname(), started=0.0)))
    release(path)
    assert path.exists()


def test_run_files_are_recognised():
    assert rundir._is_run_file(".checkpoint.npz.abc123.tmp")
    assert not rundir._is_run_file(".mine.abc.tmp")
