"""A folder rebuilt whole: written beside the old one, then swapped in by rename, so a
reader sees the old folder or the new one, never a half-written mix; a failed build leaves
the old folder as it was."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def rebuilt(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``target`` to fill; when the block ends without error,
    it replaces ``target`` (two renames: the old folder aside, the new one in; then the
    old is removed). On error the new folder is removed and ``target`` is untouched.
    Folders left by killed builds (``.<name>.*.tmp``, ``.<name>.*.old``) are removed first.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    for pattern in (f".{target.name}.*.tmp", f".{target.name}.*.old"):
        for stale in parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)
    token = uuid.uuid4().hex[:12]
    new = parent / f".{target.name}.{token}.tmp"
    new.mkdir()
    try:
        yield new
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    old = parent / f".{target.name}.{token}.old"
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)
