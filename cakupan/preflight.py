"""Before a run: does the landing folder hold extracts to run on?

A run needs at least one file that gives potentials (``workforce/`` or ``sakernas/``) and
one that gives membership (``membership/`` or ``membership_counts/``); without either,
every later step would fail in a way that does not say why. Targets are optional: without
them coverage is computed and the target columns stay empty. Only the folders are listed
(names and extensions, as each kind's specification in ``cakupan.extracts`` accepts
them); no file is read. Names a copy or an editor leaves behind (starting with ``.`` or
``~$``: rsync's ``.x.csv.AbC123``, Excel's ``~$x.xlsx``) are never landing files
(:func:`landing_name`, the one rule of :func:`scan` and ``cakupan.landing.list_files``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cakupan.extracts import EXTRACTS

EXTENSIONS = {name: extract.extensions for name, extract in EXTRACTS.items()}
LEFT_BEHIND = (".", "~$")  # name prefixes of files a copy or an editor leaves behind
REQUIRED = ("workforce", "membership")
OPTIONAL = ("targets",)
# A required kind is there when it, or one of its alternatives, has a file.
ALTERNATIVES = {"workforce": ("sakernas",), "membership": ("membership_counts",)}
WHAT = {
    "workforce": "potential workers",
    "membership": "members",
    "targets": "UCJ targets",
}


class NoExtractsError(Exception):
    """The landing folder has no workforce or no membership file: nothing to run on."""


@dataclass(frozen=True)
class Preflight:
    """The extracts found in a landing folder, per kind (names relative to the folder)."""

    landing: Path
    files: dict[str, list[str]]

    @property
    def names(self) -> list[str]:
        """Every file found, all kinds."""
        return [name for names in self.files.values() for name in names]

    def missing(self, kinds: tuple[str, ...]) -> list[str]:
        return [
            kind
            for kind in kinds
            if not any(self.files[k] for k in (kind, *ALTERNATIVES.get(kind, ())))
        ]

    def describe(self, kind: str) -> str:
        """``<landing>/targets: no .csv file (folder missing)``."""
        folder = self.landing / kind
        state = "" if folder.is_dir() else " (folder missing)"
        return f"{folder}: no {_extensions(kind)} file{state}"

    def warnings(self) -> list[str]:
        """What the run will do without the optional extracts."""
        return [
            f"no targets file: {self.describe(kind)}; coverage is computed without targets "
            "(target_pct and workers_to_target stay empty)"
            for kind in self.missing(OPTIONAL)
        ]

    def error(self, kinds: tuple[str, ...] = REQUIRED, option: str = "") -> str | None:
        """Why nothing can run (naming every folder looked in), or None."""
        missing = self.missing(kinds)
        if not missing:
            return None
        what = " and no ".join(f"{kind} file ({WHAT[kind]})" for kind in missing)
        hint = f" (set with {option})" if option else ""
        looked = "".join(
            f"\n  {self.describe(k)}"
            for kind in missing
            for k in (kind, *ALTERNATIVES.get(kind, ()))
        )
        return (
            f"nothing to run on: the landing folder {self.landing}{hint} has no {what}; "
            f"looked in:{looked}"
        )


def left_behind(name: str) -> bool:
    """Whether ``name`` is one a copy or an editor leaves behind: never a landing file."""
    return name.startswith(LEFT_BEHIND)


def landing_name(name: str, kind: str) -> bool:
    """Whether a file named ``name`` in ``kind``'s folder is a landing file of that kind."""
    return not left_behind(name) and name.lower().endswith(EXTENSIONS[kind])


def scan(landing: Path) -> Preflight:
    """The files of each kind in ``landing`` that a run would read."""
    files = {}
    for kind in EXTENSIONS:
        folder = landing / kind
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
        files[kind] = [
            f"{kind}/{p.name}" for p in entries if p.is_file() and landing_name(p.name, kind)
        ]
    return Preflight(landing, files)


def check(landing: Path, kinds: tuple[str, ...] = REQUIRED, option: str = "") -> list[str]:
    """The warnings of :meth:`Preflight.warnings`; NoExtractsError when a kind in ``kinds``
    has no file. ``option`` names how the landing folder was set, for the message."""
    found = scan(landing)
    error = found.error(kinds, option)
    if error:
        raise NoExtractsError(error)
    return found.warnings()


def _extensions(kind: str) -> str:
    names = [e for e in EXTENSIONS[kind] if e != ".xls"]  # read only to be refused
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
