"""The private part of the output folder: pseudonyms, run logs and run state.

``<output>/private`` (:attr:`cakupan.config.Settings.private_dir`) holds the warehouse, the
spill folder, the run logs, the default Dagster instance and the run lock; the folder is
0700 and what is in it 0600 (folders 0700), whatever the umask. DuckDB, SQLite (Dagster's
storage) and the logging module create files with the process umask: :func:`secure` sets
the modes when a run starts and when it ends (the folder's own 0700 keeps others out in
between). The rest of the output folder may be shared and keeps the user's umask.

An output folder of the previous layout (those names at its top) is moved into
``private/`` on its first run (:func:`move_old_layout`).

``python -m cakupan.private``: move the output folder of ``$CAKUPAN_OUTPUT_DIR``, if of the
previous layout, create its private folder and print the default ``DAGSTER_HOME``
(``make dev``).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from cakupan import runlock
from cakupan.config import SettingError, Settings, tell
from cakupan.files import fsync_dir

# what the previous layout kept at the top of the output folder, now in private/
OLD_NAMES = ("warehouse.duckdb", "warehouse.duckdb.wal", "logs", "dagster_home", "duckdb_spill")
OLD_LOCK = ".cakupan.lock"


class OldLayoutConflict(Exception):
    """A name is both at the top of the output folder and in private/: neither is replaced."""


def secure(folder: Path) -> None:
    """Make ``folder`` and the folders under it 0700, its files 0600. Symbolic links are
    left alone; what cannot be changed (another user's file, one removed meanwhile, a file
    system made read-only) is skipped: the folder's 0700 still keeps others out."""
    for root, dirs, names in os.walk(folder):
        for name in [".", *dirs, *names]:
            path = os.path.join(root, name)
            try:
                mode = os.lstat(path).st_mode
                if stat.S_ISDIR(mode):
                    wanted = 0o700
                elif stat.S_ISREG(mode):
                    wanted = 0o600
                else:
                    continue
                if stat.S_IMODE(mode) != wanted:
                    os.chmod(path, wanted)
            except OSError:
                pass


def old_layout(settings: Settings) -> list[str]:
    """The names of the previous layout still at the top of the output folder, but for a
    ``dagster_home`` that ``DAGSTER_HOME`` names (the user chose it: it stays)."""
    return [
        n
        for n in (*OLD_NAMES, OLD_LOCK)
        if os.path.lexists(settings.output / n) and not _chosen(settings.output / n)
    ]


def _chosen(path: Path) -> bool:
    home = os.environ.get("DAGSTER_HOME")
    return path.name == "dagster_home" and bool(home) and Path(home).resolve() == path.resolve()


def move_old_layout(
    settings: Settings,
    run_id: str | None = None,
    on_wait: Callable[[str], object] | None = None,
    timeout: float | None = None,
) -> list[str]:
    """Move what the previous layout kept at the top of the output folder into private/,
    saying so on standard error; the names moved (none when of the current layout).

    Done under the run lock (re-entrant: a run that holds it may call this) and under the
    previous layout's lock ``<output>/.cakupan.lock``, so never while a run of an earlier
    version holds it: waits for it as for any run (``runlock.hold``, ``timeout``), then
    removes it. A name already in private/ is never replaced: :class:`OldLayoutConflict`.
    ``DAGSTER_HOME`` set to the old ``dagster_home`` is left there (the user chose it).
    """
    if not old_layout(settings):
        return []
    private = settings.ensure_private()
    old_lock = settings.output / OLD_LOCK
    had_lock = os.path.lexists(old_lock)  # holding it below creates it
    with (
        runlock.hold(settings.lock_path, run_id, on_wait, timeout),
        runlock.hold(old_lock, run_id, on_wait, timeout),
    ):
        kept = settings.output / "dagster_home"
        keep = _chosen(kept)
        names = [n for n in old_layout(settings) if n != OLD_LOCK]
        both = [n for n in names if os.path.lexists(private / n)]
        if both:
            if not had_lock:
                old_lock.unlink(missing_ok=True)
            listed = ", ".join(f"{settings.output / n} and {private / n}" for n in both)
            raise OldLayoutConflict(
                f"both {listed} exist: cakupan replaces neither. Keep the one you need in "
                f"{private} (normally the one at the top of {settings.output}, of the runs "
                f"so far) and remove the other"
            )
        for name in names:
            os.rename(settings.output / name, private / name)
        old_lock.unlink(missing_ok=True)
        fsync_dir(private)
        fsync_dir(settings.output)
        secure(private)
    shown = ", ".join(n + "/" if (private / n).is_dir() else n for n in names)
    told = [f"moved {shown} from {settings.output} to {private}"] if names else []
    if had_lock:
        told.append(f"the run lock is now {settings.lock_path} (was {old_lock})")
    tell(
        f"{'; '.join(told)}: pseudonyms, run logs and run state are kept in {private} "
        f"(0700), the rest of {settings.output} may be shared"
    )
    if keep:
        tell(
            f"DAGSTER_HOME is {kept}, in the folder that may be shared: move it to "
            f"{settings.dagster_home} and set DAGSTER_HOME there (or unset it)"
        )
    return names


def main() -> int:
    """``make dev``: the output folder moved and private, then the default DAGSTER_HOME."""
    try:
        settings = Settings.from_env()
        move_old_layout(settings, on_wait=tell)
        settings.ensure_private()
    except (SettingError, OldLayoutConflict, runlock.RunLockError) as exc:
        tell(f"error: {exc}")
        return 1
    print(settings.dagster_home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
