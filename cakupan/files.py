"""Writing files so that a reader sees the old file or the new one, never half of one.

Every output file cakupan rewrites (``rejected_files.csv``, the validation results, the
quality page, ``coverage.duckdb``) is written beside its target and renamed over it:
write, fsync the file, ``os.replace``, fsync the folder (so the rename survives a crash).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def temporary_path(target: Path) -> Path:
    """The temporary file :func:`atomic_path` writes for ``target``: hidden, beside it.

    One writer per target at a time (cakupan runs hold the run lock); a temporary file
    left by a killed writer is overwritten by the next write.
    """
    return target.with_name(f".{target.name}.tmp")


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A path to write the new content of ``target`` to (by any means: ``open``, DuckDB's
    ``COPY ... TO``); when the block ends it replaces ``target`` (:func:`replace`). When the
    block raises, ``target`` is left as it was and the temporary file is removed."""
    target = Path(target)
    tmp = temporary_path(target)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_write(
    target: str | os.PathLike[str], mode: str = "w", **open_args: Any
) -> Iterator[IO[Any]]:
    """``open(target, mode, **open_args)``, written to a temporary file that replaces
    ``target`` when the block ends (:func:`atomic_path`). ``mode`` is ``"w"`` or ``"wb"``."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes a whole file: mode 'w' or 'wb', not {mode!r}")
    with atomic_path(target) as tmp, open(tmp, mode, **open_args) as handle:
        yield handle


def replace(tmp: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename the finished file ``tmp`` over ``target`` durably: fsync ``tmp``, rename,
    fsync the folder."""
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    fsync_dir(Path(target).parent)


def write_new(path: str | os.PathLike[str], data: bytes) -> bool:
    """Create ``path`` holding ``data`` (mode 0600), all at once, never replacing a file:
    False when ``path`` already exists (whoever wrote it first wins)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # atomic, and never replaces a file another process wrote
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
    fsync_dir(path.parent)
    return True


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make the renames and new names in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
