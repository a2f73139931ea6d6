"""Writing files so that a reader sees the old file or the new one, never half of one.

Every output file cakupan rewrites (``rejected_files.csv``, the validation results, the
quality page, ``coverage.duckdb``) is written beside its target and renamed over it:
write, fsync the file, ``os.replace``, fsync the folder (so the rename survives a crash).

A write that fails because the disk is full or the folder is not writable raises
:class:`OutputFolderError`, naming the folder and what was being written (:func:`writing`).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import uuid
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
    with writing(target):
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


# -- a full disk, a folder that is not writable ---------------------------------------------

FULL = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up"}
REFUSED = {
    errno.EROFS: "it is on a read-only file system",
    errno.EACCES: "writing there is not permitted",
    errno.EPERM: "writing there is not permitted",
}
LOW_SPACE = 1 << 20  # an I/O error with less free space than this: a full disk
# how SQLite (the Dagster instance's storage) words the same failures
SQLITE = {"database or disk is full": errno.ENOSPC, "readonly database": errno.EROFS}


class OutputFolderError(Exception):
    """A write under the output folder failed because the disk is full or the folder is not
    writable. ``folder``: where it was writing; ``what``: what it was writing."""

    def __init__(self, code: int, path: Path, what: str | None = None, why: str | None = None):
        self.errno, self.path, self.what = code, Path(path), what or str(path)
        self.folder = self.path if self.path.is_dir() else self.path.parent
        if code in FULL:
            if (device := _device(self.folder)) is not None:
                _full_disks.add(device)
            free = _free_bytes(self.folder)
            shown = "" if free is None else f", {_size(free)} free"
            why = why or f"{FULL[code]} ({os.strerror(code)}{shown})"
            fix = "free some space there or set CAKUPAN_OUTPUT_DIR to a folder on another disk"
        else:
            why = f"{REFUSED.get(code, 'it is not writable')} ({os.strerror(code)})"
            fix = "make it writable or set CAKUPAN_OUTPUT_DIR to a writable folder"
        super().__init__(f"cannot write {self.what} in {self.folder}: {why}; {fix}")

    @property
    def full(self) -> bool:
        return self.errno in FULL


def write_failure(exc: BaseException) -> int | None:
    """The errno behind ``exc`` (or the exceptions that caused it) when it is a full disk or
    a refused write (ENOSPC, EDQUOT, EROFS, EACCES, EPERM), else None. DuckDB and SQLite
    report these as text: their message is matched against the system's wording."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OutputFolderError):
            return exc.errno
        if isinstance(exc, OSError) and exc.errno in FULL.keys() | REFUSED.keys():
            return exc.errno
        if not isinstance(exc, OSError):  # an OSError with another errno says it all
            text = str(exc)
            for code in (*FULL, *REFUSED):
                if os.strerror(code) in text:
                    return code
            for words, code in SQLITE.items():
                if words in text:
                    return code
        exc = exc.__cause__ or exc.__context__
    return None


def output_folder_error(
    exc: BaseException, path: str | os.PathLike[str], what: str | None = None
) -> OutputFolderError | None:
    """``exc`` as an :class:`OutputFolderError` about ``path`` (the file an OSError names,
    if any), or None when it is another failure."""
    if isinstance(exc, OutputFolderError):
        return exc
    if _about_elsewhere(exc, Path(path)):  # e.g. a landing file that cannot be read
        return None
    code = write_failure(exc)
    if code is None and _io_error(exc):  # SQLite says "disk I/O error" on some full disks
        folder = Path(path) if Path(path).is_dir() else Path(path).parent
        free = _free_bytes(folder)
        # low now, or found full earlier in this process: space a failed write held (a
        # DuckDB WAL rolled back) may be free again by the time SQLite's error is looked at
        full = (free is not None and free < LOW_SPACE) or _device(folder) in _full_disks
        code = errno.ENOSPC if full else None
    if code is None:
        return None
    named = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
    if named and what is None:
        return OutputFolderError(code, Path(os.fsdecode(named)))
    return OutputFolderError(code, Path(path), what)


_QUOTED_PATH = re.compile(r"""["'](/[^"']+)["']""")


def _about_elsewhere(exc: BaseException, path: Path) -> bool:
    """Whether ``exc`` (or what caused it) names files, none of them in ``path``'s folder:
    a file that cannot be read elsewhere (a landing file another user owns) is not the
    output folder's fault."""
    folder = (path if path.is_dir() else path.parent).resolve()
    named: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.filename:
            named.append(os.fsdecode(exc.filename))
        elif not isinstance(exc, OSError):
            named += _QUOTED_PATH.findall(str(exc))
        exc = exc.__cause__ or exc.__context__
    return bool(named) and not any(Path(n).resolve().is_relative_to(folder) for n in named)


@contextmanager
def writing(path: str | os.PathLike[str], what: str | None = None) -> Iterator[None]:
    """Raise :class:`OutputFolderError` (naming ``path``'s folder and ``what``) when the
    block fails on a full disk or a folder that is not writable."""
    try:
        yield
    except OutputFolderError:
        raise
    except Exception as exc:
        error = output_folder_error(exc, path, what)
        if error is None:
            raise
        raise error from exc


def check_writable(folder: str | os.PathLike[str], needed: int = 0) -> Path:
    """Create ``folder`` if missing and write a small file in it (then remove it), and check
    that at least ``needed`` bytes are free there; else :class:`OutputFolderError`.

    A check before heavy work: the writes themselves are guarded too (:func:`writing`).
    """
    folder = Path(folder)
    probe = folder / f".cakupan-probe-{uuid.uuid4().hex}"
    with writing(folder, "the output folder"):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, b"cakupan")
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            probe.unlink(missing_ok=True)
    free = _free_bytes(folder)
    if free is not None and free < needed:
        why = f"not enough free space ({_size(free)} free, {_size(needed)} needed at least)"
        raise OutputFolderError(errno.ENOSPC, folder, "a run's output", why)
    return folder


def _io_error(exc: BaseException | None) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if (isinstance(exc, OSError) and exc.errno == errno.EIO) or "disk I/O error" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


_full_disks: set[int] = set()  # devices found full in this process (st_dev)


def _device(folder: Path) -> int | None:
    """The device (``st_dev``) of ``folder`` or of its nearest existing parent."""
    for candidate in (folder, *folder.parents):
        try:
            return os.stat(candidate).st_dev
        except OSError:
            continue
    return None


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _size(n: float) -> str:
    if n < 1024:
        return f"{int(n):,} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            break
    return f"{n:.1f} {unit}"
