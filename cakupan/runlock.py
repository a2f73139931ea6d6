"""One cakupan run at a time per output folder, whichever way it was started.

A run holds an exclusive ``flock`` on the lock file of its output folder
(``Settings.lock_path``, ``$CAKUPAN_OUTPUT_DIR/private/.cakupan.lock``; file 0600) from
its first step to its last (the ``warehouse`` resource takes it; ``cakupan run`` takes it
before the run so that its report after the run is covered too). The file names the
holder (run id and pid) so that a second run can say what it waits for. The operating
system releases the lock when the holder's process ends, killed with SIGKILL included.

A second run waits at most ``CAKUPAN_LOCK_TIMEOUT`` seconds (default 600), then fails.
Holding is re-entrant within one process: the CLI and the resource of the run it starts
share one lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cakupan.config import LOCK_TIMEOUT, setting

POLL_SECONDS = 0.2


class RunLockError(Exception):
    """The run lock could not be taken: another run holds it."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) the lock."""

    run_id: str | None
    pid: int | None

    def __str__(self) -> str:
        return f"run {self.run_id or 'unknown'}, pid {self.pid or 'unknown'}"


@dataclass
class Held:
    """A lock held by this process. ``previous``: the holder the file still named when it
    was taken, i.e. one that ended without releasing it (killed), else None."""

    path: Path
    fd: int
    previous: Holder | None
    depth: int = 1


_held: dict[Path, Held] = {}
_registry = threading.Lock()


@contextmanager
def hold(
    lock_file: str | os.PathLike,
    run_id: str | None,
    on_wait: Callable[[str], object] | None = None,
    timeout: float | None = None,
) -> Iterator[Held]:
    """Hold the run lock ``lock_file`` (``Settings.lock_path``) for the block, waiting for
    another holder at most ``timeout`` seconds (default: ``$CAKUPAN_LOCK_TIMEOUT``);
    ``on_wait`` is told, once per holder, which run it waits for. Raises ``RunLockError``
    when it gives up."""
    path = Path(lock_file).resolve()
    with _registry:
        held = _held.get(path)
        if held is not None:
            held.depth += 1
    if held is None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        wait = setting(LOCK_TIMEOUT) if timeout is None else timeout
        held = _acquire(path, run_id, on_wait, wait)
        with _registry:
            _held[path] = held
    try:
        yield held
    finally:
        with _registry:
            held.depth -= 1
            last = held.depth == 0
            if last:
                del _held[path]
        if last:
            os.ftruncate(held.fd, 0)  # a clean release leaves no holder named
            os.close(held.fd)  # closing releases the flock


def read_holder(path: Path, fd: int | None = None) -> Holder | None:
    """The holder the lock file names, or None (free after a clean release, or unreadable)."""
    try:
        if fd is None:
            text = path.read_text(encoding="utf-8")
        else:
            text = os.pread(fd, 4096, 0).decode("utf-8")
        data = json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return Holder(run_id=data.get("run_id"), pid=data.get("pid"))


def _acquire(path: Path, run_id, on_wait, timeout: float) -> Held:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        known: Holder | None = None
        polls = 0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            # a holder being written or released reads as None: keep the one known
            holder = read_holder(path, fd) or known
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunLockError(
                    f"another cakupan run ({holder or 'unknown run'}) holds {path}; gave up "
                    f"after {timeout:g} s (set {LOCK_TIMEOUT} to wait longer)"
                )
            if on_wait is not None and (polls == 0 or holder != known):
                who = f"run {holder.run_id} (pid {holder.pid})" if holder else "another run"
                on_wait(
                    f"waiting for {who} to finish: it holds {path} "
                    f"(giving up after {timeout:g} s, {LOCK_TIMEOUT})"
                )
            known, polls = holder, polls + 1
            time.sleep(min(POLL_SECONDS, left))
        previous = read_holder(path, fd)
        data = json.dumps({"run_id": run_id, "pid": os.getpid()}).encode("utf-8")
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        return Held(path=path, fd=fd, previous=previous)
    except BaseException:
        os.close(fd)
        raise


def is_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
