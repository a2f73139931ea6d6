"""Whether a landing file is whole: the one rule of every door (``cakupan run`` and
``validate``, the ingest of every Dagster run, the landing sensor, the nightly schedule).

A file modified less than ``CAKUPAN_SETTLE_SECONDS`` ago (``Settings.settle``,
default 60) is still being written: every write changes a file's modification time, so
one look at it tells (:func:`unsettled`). ``0`` reads every file as it is. A clock ahead of
this machine's (a modification time in the future) counts as a file being written until
that time is ``settle`` seconds past.

- ``cakupan run`` and ``validate`` wait for such a file (:func:`wait`, at most
  ``WAIT_FACTOR`` times the settle time), then read it whole or leave it for the next run.
- The ingest of a Dagster run never waits: it leaves the file for a later run, keeping the
  rows of the version loaded before, if any (``cakupan.ingest``, ``cakupan.ledger``).
- The landing sensor asks for no run while a file is unsettled.

Names a copy or an editor leaves behind are never landing files: ``preflight.landing_name``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

WAIT_FACTOR = 5  # `cakupan run` and `validate` wait at most 5 x the settle time for a file
POLL_SECONDS = 0.5  # how often a waiting command looks again (at most)


def age(mtime_ns: int, now: float | None = None) -> float:
    """Seconds since a file was modified (negative: its time is ahead of this clock)."""
    return (time.time() if now is None else now) - mtime_ns / 1e9


def unsettled(
    landing: Path, names: Iterable[str], settle: float, now: float | None = None
) -> dict[str, float]:
    """name -> age (seconds) of the files of ``names`` (relative to ``landing``) modified
    less than ``settle`` seconds ago. A file gone since it was listed is left out."""
    if settle <= 0:
        return {}
    mtimes = {}
    for name in names:
        try:
            mtimes[name] = (landing / name).stat().st_mtime_ns
        except FileNotFoundError:
            continue
    return still_written(mtimes, settle, now)


def still_written(
    mtimes: dict[str, int], settle: float, now: float | None = None
) -> dict[str, float]:
    """The rule itself: name -> age (seconds) of the files whose modification time
    (``mtimes``, ns) is less than ``settle`` seconds old; none when ``settle`` is 0."""
    if settle <= 0:
        return {}
    now = time.time() if now is None else now
    ages = {name: age(mtime, now) for name, mtime in mtimes.items()}
    return {name: seconds for name, seconds in ages.items() if seconds < settle}


def wait_bound(settle: float) -> float:
    """How long ``cakupan run`` and ``validate`` wait for files to settle, at most."""
    return WAIT_FACTOR * settle


def wait(
    landing: Path,
    names: Callable[[], Iterable[str]],
    settle: float,
    on_wait: Callable[[str, float], object] | None = None,
) -> dict[str, float]:
    """Wait until no file of ``names()`` (listed again at each look) is unsettled, at most
    :func:`wait_bound`; ``on_wait(name, age)`` is told once per file it waits for. Returns
    the files still unsettled when it gave up (name -> age), else nothing."""
    deadline = time.monotonic() + wait_bound(settle)
    told: set[str] = set()
    while True:
        late = unsettled(landing, names(), settle)
        for name in sorted(late.keys() - told):
            told.add(name)
            if on_wait is not None:
                on_wait(name, late[name])
        left = deadline - time.monotonic()
        if not late or left <= 0:
            return late
        # the earliest a file can have settled, unless it is written to again
        sooner = min(settle - seconds for seconds in late.values())
        time.sleep(max(min(sooner, POLL_SECONDS, left), 0.01))
