"""The ingest ledger: which landing files ``raw.<kind>`` holds, what each run did with each
file, and whether anything changed since the published run (no Dagster).

- ``ops.ingest_files``: the files whose rows ``raw.<kind>`` holds, with the SHA-256 they were
  loaded with; changed in the same transaction as ``raw.<kind>``.
- ``ops.ingest_ledger``: one row per landing file per run (loaded, unchanged, replaced,
  rejected, removed, with the reason), appended; shown in the UI as ``ops/ingest_ledger``.

Before a kind is read, :func:`plan` decides from these tables what the run does with each
landing file (an immutable :class:`Plan`); the ingest (``cakupan.ingest``) carries it out
and returns an :class:`IngestReport`, which :func:`record` records. The ledger never reads
a landing file's rows, the ingest never writes the ledger.

A file is read again only when its hash changed, or when what reading it depends on
changed (:func:`ingest_version`: the kind's SQL, the reading code, reference data, the
files of the kinds its checks read) or the pseudonymization key did (:func:`key_fingerprint`,
kinds holding pseudonyms only). A rejected file that has not changed is not read again: the
rejections recorded with its hash are reported again (unless one is a date in the future,
which a later day may accept).
"""

from __future__ import annotations

import hmac
import json
import re
from collections import namedtuple
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

from cakupan import preflight
from cakupan.config import PROJECT_ROOT, Settings
from cakupan.extracts import EXTRACTS, Extract
from cakupan.landing import LandingFile, file_sha256
from cakupan.rejections import Rejection
from cakupan.sqlfiles import columns, run_sql, sql, table_exists, version

LOADED, UNCHANGED, REPLACED, REJECTED, REMOVED = (
    "loaded",
    "unchanged",
    "replaced",
    "rejected",
    "removed",
)
STATUSES = (LOADED, UNCHANGED, REPLACED, REJECTED, REMOVED)
FORCE_TAG = "cakupan/force"  # a run tagged "true" reads every landing file again
# on the run of the snapshots (pipelines/runs.py): the id of the ingest run it follows, which
# the ledger, the rejections and the published ops.run_status carry
RUN_TAG = "cakupan/run"
LEDGER = "ops.ingest_ledger"
FILES = "ops.ingest_files"

# What the whole pipeline's output depends on besides the landing files (code_version).
CODE_FOLDERS = ("sql", "expectations", "data/reference", "cakupan", "assets", "pipelines")
# The code that reads a landing file into raw.<kind> (ingest_version).
READ_CODE = tuple(
    f"cakupan/{m}.py"
    for m in (
        "ingest",
        "landing",
        "sheets",
        "extracts",
        "pseudonym",
        "privacy",
        "rejections",
        "sakernas",
    )
)
_FIELDS = ("line", "column", "value", "reason")  # of a rejection in the ledger
_MORE = re.compile(r"^(\d+) more (?:row|line)")


# -- fingerprints ----------------------------------------------------------------------------


def key_fingerprint(settings: Settings) -> str:
    """A fingerprint of the pseudonymization key: an HMAC of a fixed text under the key (it
    tells keys apart and reveals nothing of the key)."""
    mac = hmac.new(settings.pseudonym_key(), b"cakupan ingest ledger: key fingerprint", "sha256")
    return mac.hexdigest()[:16]


def _digest(paths: list[Path], *extra: str) -> str:
    files = []
    for path in paths:
        name = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        stat = path.stat()
        files += [str(name), _file_sha256(path, stat.st_mtime_ns, stat.st_size)]
    return version(*extra, *files)


@cache
def _file_sha256(path: Path, mtime_ns: int, size: int) -> str:
    """SHA-256 of a code or reference file, read again only when it was modified."""
    return _sha256(path)


def _mapping_path() -> Path:
    from cakupan.sakernas import mapping_path

    return mapping_path()


def code_version(settings: Settings) -> str:
    """Fingerprint of everything but the landing files that the published database depends
    on: the code, SQL, expectations and reference data of the project, the Sakernas status
    mapping in use and the published storage version."""
    paths = sorted(
        p
        for folder in CODE_FOLDERS
        for p in (PROJECT_ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
    )
    mapping = _mapping_path()
    return _digest([*paths, *([mapping] if mapping.is_file() else [])], settings.storage_version)


def _reads(extract: Extract) -> list[str]:
    """Other kinds whose raw table the kind's checks read (their files change its result)."""
    found = {k for check in extract.checks for k in re.findall(r"\braw\.(\w+)", sql(check))}
    return sorted(found & set(EXTRACTS) - {extract.name})


def ingest_version(con: duckdb.DuckDBPyConnection, extract: Extract) -> str:
    """Fingerprint of what reading a file of ``extract`` depends on, its bytes aside: a
    change reloads every file of the kind."""
    names = list(extract.sql_files)
    names += ["raw/status_mapping.sql"] if extract.name == "sakernas" else []
    paths = [PROJECT_ROOT / "sql" / n for n in names] + [PROJECT_ROOT / p for p in READ_CODE]
    paths += sorted((PROJECT_ROOT / "data" / "reference").glob("*.csv"))
    if extract.name == "sakernas" and _mapping_path().is_file():
        paths.append(_mapping_path())
    upstream = [
        f"{k}:{f}:{h}"
        for k in _reads(extract)
        for f, h in con.execute(
            f"SELECT file, sha256 FROM {FILES} WHERE kind = ? ORDER BY file", [k]
        ).fetchall()
    ]
    return _digest(paths, extract.name, *upstream)


# -- one kind's plan, decided before anything is read ----------------------------------------


@dataclass(frozen=True)
class Entry:
    """What one run does with one landing file (or one removed from the landing folder):
    in a :class:`Plan`, as decided before reading; in the ledger, as the run ended."""

    kind: str
    file: str
    status: str  # of a plan: loaded or replaced (read), unchanged, rejected (not read), removed
    reason: str
    size: int | None = None
    sha256: str | None = None
    mtime_us: int | None = None
    file_seq: int | None = None
    previous_seq: int | None = None
    snapshot_dates: list | None = None
    rows_read: int | None = 0
    rows_loaded: int = 0
    rows_read_at_load: int = 0  # an unchanged file: the rows read when it was loaded
    rows_rejected: int = 0
    figures: dict = field(default_factory=dict)
    loaded_by: str | None = None
    rejections: tuple[Rejection, ...] = ()

    @property
    def read(self) -> bool:
        """Whether this run reads the file."""
        return self.status in (LOADED, REPLACED)


def rows_rejected(rejections: list[Rejection]) -> int:
    """Rows named in the rejections, plus the rows counted in their "N more row(s)" lines."""
    more = sum(int(m.group(1)) for r in rejections if (m := _MORE.match(r.reason)))
    return len({r.line for r in rejections if r.line is not None}) + more


def first_reason(rejections: list[Rejection]) -> str:
    first = str(rejections[0]).removeprefix(rejections[0].file).lstrip(" :,")
    more = len(rejections) - 1
    return first + (f" (and {more} more rejection(s))" if more else "")


def _rejected(e: Entry, rejections: list[Rejection], reason: str | None = None) -> Entry:
    return replace(
        e,
        status=REJECTED,
        rejections=tuple(rejections),
        rows_loaded=0,
        rows_read=e.rows_read or None,  # 0: the file could not be read into rows
        rows_rejected=rows_rejected(rejections),
        reason=reason or first_reason(rejections),
    )


@dataclass(frozen=True)
class Plan:
    """A kind's files as this run finds them against ``ops.ingest_files``: what the ingest
    does with each (:func:`plan`), before it reads any."""

    extract: Extract
    version: str  # ingest_version
    key: str  # key_fingerprint ("" for a kind without pseudonyms)
    code: str  # code_version
    rebuild: bool  # raw.<kind> recreated: every file read
    entries: tuple[Entry, ...]  # the landing files in name order, then the removed ones
    why: str | None = None  # why every file is read again (rebuild)
    # files loaded before and still being written (cakupan.settling): carried, unchanged
    unsettled: tuple[str, ...] = ()

    @property
    def dropped(self) -> list[str]:
        """Files whose rows leave raw.<kind> before the files read are loaded."""
        return [e.file for e in self.entries if e.status in (REPLACED, REMOVED)]

    @property
    def removed(self) -> list[str]:
        return [e.file for e in self.entries if e.status == REMOVED]


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    run_sql(con, "ops/ingest_files.sql")
    run_sql(con, "ops/ingest_ledger.sql")


def plan(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    extract: Extract,
    files: list[LandingFile],
    force: bool = False,
    unsettled: dict[str, float] | None = None,
) -> Plan:
    """Decide, from the ledger, what this run does with each file of ``extract``.

    ``unsettled``: name -> age of the files still being written (not hashed, not in
    ``files``). One loaded before keeps the rows, size and hash of the version loaded (it
    is not removed: the next run reads it); a new one (or one whose rows raw.<kind> no
    longer holds, the table missing) is not in the plan (not recorded)."""
    create_tables(con)
    kind, version = extract.name, ingest_version(con, extract)
    key = key_fingerprint(settings) if extract.pseudonymized else ""
    cursor = con.execute(sql("ops/ingest_files_of_kind.sql"), {"kind": kind})
    held = namedtuple("Held", [d[0] for d in cursor.description])
    state = {row.file: row for row in map(held._make, cursor.fetchall())}
    exists = table_exists(con, extract.table)
    why = None  # why every file is read again
    if force:
        why = "every file read again (--force)"
    elif not exists:
        why = f"{extract.table} did not exist"
    elif con.execute(f"SELECT count(*) FROM {extract.table}").fetchone()[0] != sum(
        s.rows_loaded for s in state.values()
    ):
        why = f"{extract.table} did not match the ledger: every file read again"
    elif any(s.key_fingerprint != key for s in state.values()):
        why = "the pseudonymization key changed: every file read again"
    elif any(s.ingest_version != version for s in state.values()):
        why = "the ingest code, reference data or an upstream kind changed: read again"
    known = {} if force else _known_rejections(con, kind, version, key)
    waiting = unsettled or {}  # never removed; carried when its rows are in raw.<kind>
    carried = {n: a for n, a in waiting.items() if n in state and exists}
    present = sorted([*(f.name for f in files), *carried], key=lambda n: n.encode("utf-8"))
    seqs = {name: seq for seq, name in enumerate(present)}
    entries = [_still_written(kind, n, a, state[n], seqs[n]) for n, a in carried.items()]
    for file in files:
        before = state.get(file.name)
        seq, mtime = seqs[file.name], file.mtime_ns // 1000  # of the version hashed
        e = Entry(kind, file.name, LOADED, "new file", file.size, file.sha256, mtime, seq)
        e = replace(e, previous_seq=before.file_seq) if before is not None else e
        if before is not None and why is None and before.sha256 == file.sha256:
            e = replace(e, status=UNCHANGED, **_kept(before))
            e = replace(e, reason=f"same sha256 as loaded by run {before.loaded_by}")
        elif (file.name, file.sha256) in known:
            run_id, rejections = known[file.name, file.sha256]
            reason = f"unchanged since run {run_id} rejected it: " + first_reason(rejections)
            e = replace(_rejected(e, rejections, reason), rows_read=0)
        elif before is not None:
            reason = why or f"file changed (sha256 was {before.sha256[:12]}…)"
            e = replace(e, status=REPLACED, reason=reason)
        elif why and state:
            e = replace(e, reason=f"new file; {why}")
        entries.append(e)
    entries.sort(key=lambda e: e.file_seq)
    entries += [_removed(kind, s) for name, s in state.items() if name not in {*present, *waiting}]
    code, rebuild = code_version(settings), why is not None
    return Plan(extract, version, key, code, rebuild, tuple(entries), why, tuple(carried))


def _kept(before) -> dict:
    """What an entry carried unread keeps of the version loaded (``ops.ingest_files``)."""
    return {
        "loaded_by": before.loaded_by,
        "snapshot_dates": before.snapshot_dates,
        "rows_read_at_load": before.rows_read,
        "rows_loaded": before.rows_loaded,
        "figures": json.loads(before.figures or "{}"),
    }


def _still_written(kind: str, name: str, seconds: float, before, seq: int) -> Entry:
    """The entry of a file loaded before and still being written: the version loaded
    stays, its rows carried, until the file has settled."""
    reason = (
        f"still being written (modified {seconds:.0f} s ago): the rows of the version "
        f"loaded by run {before.loaded_by} stay until it has settled"
    )
    e = Entry(kind, name, UNCHANGED, reason, before.size, before.sha256, None, seq)
    return replace(e, previous_seq=before.file_seq, **_kept(before))


def _removed(kind: str, before) -> Entry:
    """The entry of a file no longer in the landing folder."""
    return Entry(
        kind,
        before.file,
        REMOVED,
        f"no longer in the landing folder: its {before.rows_loaded} row(s) removed",
        size=before.size,
        sha256=before.sha256,
        previous_seq=before.file_seq,
        snapshot_dates=before.snapshot_dates,
        loaded_by=before.loaded_by,
        rows_loaded=before.rows_loaded,
    )


def _known_rejections(con, kind: str, version: str, key: str) -> dict:
    """(file, sha256) -> (run id, rejections) of the latest rejection of each file, made
    under the same ingest version and key (none for a date in the future then)."""
    params = {"kind": kind, "version": version, "key": key}
    rows = con.execute(sql("ops/ingest_ledger_rejections.sql"), params).fetchall()
    return {
        (file, sha): (run_id, [Rejection(file, *(r[k] for k in _FIELDS)) for r in found])
        for file, sha, run_id, found in rows
    }


# -- what the ingest did, recorded after ----------------------------------------------------


@dataclass
class FileReport:
    file: LandingFile
    rows: int = 0  # inserted into raw.<kind>
    skipped: int = 0  # parsed rows not kept (workforce: province and national totals)
    figures: dict = field(default_factory=dict)  # the kind's figures query
    status: str = LOADED  # that of its entry in the plan

    @property
    def header_only(self) -> bool:
        return self.rows == 0 and self.skipped == 0


@dataclass
class IngestReport:
    """What the ingest of one kind did with its plan (``cakupan.ingest``): what it returns
    and what :func:`record` records."""

    extract: Extract
    files: list[FileReport] = field(default_factory=list)  # accepted: read, or carried
    skipped: list[str] = field(default_factory=list)  # landing entries not read
    rejections: list[Rejection] = field(default_factory=list)  # every one: all files or none
    removed: list[str] = field(default_factory=list)  # files whose rows left raw.<kind>
    unsettled: list[str] = field(default_factory=list)  # still being written: left for later
    # a landing file's rejections this run found, reading it or checking the whole files
    rejected: dict[str, list[Rejection]] = field(default_factory=dict)
    elsewhere: list[Rejection] = field(default_factory=list)  # of what it reads besides files

    def totals(self) -> dict[str, int]:
        """Each figure of the kind, summed over the files."""
        return {
            f.label: sum(int(r.figures.get(f.name) or 0) for r in self.files)
            for f in self.extract.figure_notes
        }

    def markdown(self) -> str:
        """The files read, as a Markdown table."""
        e = self.extract
        heads = ["file", "status", "bytes", "sha256", "rows"]
        heads += ["skipped"] * bool(e.skipped_note) + [f.label for f in e.figure_notes]
        lines = ["| " + " | ".join(heads) + " |", "|---|---|---:|---|" + "---:|" * (len(heads) - 4)]
        for r in self.files:
            cells = [
                r.file.name,
                r.status,
                f"{r.file.size:,}",
                f"`{r.file.sha256[:16]}…`",
                f"{r.rows:,}",
            ]
            cells += [f"{r.skipped:,}"] * bool(e.skipped_note)
            cells += [f"{int(r.figures.get(f.name) or 0):,}" for f in e.figure_notes]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


def record(con: duckdb.DuckDBPyConnection, plan: Plan, report: IngestReport, run_id: str) -> None:
    """The ledger rows of the run, one per entry of ``plan``, as the ingest's ``report``
    ends it. Nothing rejected: in the transaction that publishes raw.<kind>, the files not
    read are renumbered (name order), each file read notes its snapshot dates and
    ``ops.ingest_files`` is rewritten. Otherwise (raw.<kind> as it was) the files accepted
    but not loaded are marked rejected, saying why."""
    read = {r.file.name: r for r in report.files if r.status != UNCHANGED}
    published, now = not report.rejections, datetime.now(UTC)
    entries = []
    for e in plan.entries:
        if (loaded := read.get(e.file)) is not None:
            figures = loaded.figures if published else {}
            rows = {"rows_read": loaded.rows + loaded.skipped, "rows_loaded": loaded.rows}
            e = replace(e, loaded_by=run_id, figures=figures, **rows)
        found = report.rejected.get(e.file)
        entries.append(_rejected(e, found) if found else e)
    if published:
        entries = _published(con, plan, entries, now)
    else:
        entries = _rolled_back(plan, entries, report.elsewhere)
    rows = [
        [
            run_id,
            now,
            e.kind,
            e.file,
            e.size,
            e.sha256,
            None if e.mtime_us is None else datetime.fromtimestamp(e.mtime_us / 1e6, UTC),
            e.snapshot_dates,
            e.rows_read,
            e.rows_loaded,
            e.rows_rejected,
            e.status,
            e.reason,
            e.loaded_by,
            plan.version,
            plan.key,
            plan.code,
            json.dumps(e.figures, default=str) if e.figures else None,
            [{k: getattr(r, k) for k in _FIELDS} for r in e.rejections],
        ]
        for e in entries
    ]
    if rows:
        con.executemany(sql("ops/ingest_ledger_insert.sql"), rows)


def _published(con, plan: Plan, entries: list[Entry], now: datetime) -> list[Entry]:
    """Every file accepted: ``file_seq`` of the files not read renumbered, the snapshot
    dates of those read, ``ops.ingest_files`` rewritten; the removed files hold no row."""
    table = plan.extract.table
    names = {c[0] for c in columns(con, table)}
    if "file_seq" in names:
        for e in entries:
            if e.status == UNCHANGED and e.previous_seq != e.file_seq:
                con.execute(
                    f"UPDATE {table} SET file_seq = ? WHERE source_file = ?", [e.file_seq, e.file]
                )
    read = [e.file for e in entries if e.read]
    if "snapshot_date" in names and read:
        dates = dict(
            con.execute(
                f"""SELECT source_file, list(DISTINCT snapshot_date ORDER BY snapshot_date)
                    FROM {table} WHERE source_file IN (SELECT unnest(?)) GROUP BY ALL""",
                [read],
            ).fetchall()
        )
        entries = [
            replace(e, snapshot_dates=dates.get(e.file, [])) if e.read else e for e in entries
        ]
    con.execute(sql("ops/ingest_files_forget.sql"), {"kind": plan.extract.name})
    kept = [
        [
            e.kind,
            e.file,
            e.size,
            e.sha256,
            e.file_seq,
            e.snapshot_dates,
            e.rows_read_at_load if e.status == UNCHANGED else e.rows_read or 0,
            e.rows_loaded,
            json.dumps(e.figures, default=str),
            plan.version,
            plan.key,
            e.loaded_by,
            now,
        ]
        for e in entries
        if e.status in (LOADED, UNCHANGED, REPLACED)
    ]
    if kept:
        con.executemany(sql("ops/ingest_files_insert.sql"), kept)
    return [replace(e, rows_loaded=0) if e.status == REMOVED else e for e in entries]


def _rolled_back(plan: Plan, entries: list[Entry], elsewhere: list[Rejection]) -> list[Entry]:
    """A kind with rejected files (or ``elsewhere``: a rejection of something the kind
    reads besides its files, say a status mapping), raw.<kind> as it was: the files
    accepted but not loaded are marked rejected, saying why."""
    extract = plan.extract
    bad = sorted(e.file for e in entries if e.rejections)
    why = f"{len(bad)} {extract.name} file(s) rejected ({', '.join(bad)})"
    if not bad and elsewhere:
        why = str(elsewhere[0])
    out = []
    for e in entries:
        if e.status in (LOADED, REPLACED):
            reason = f"accepted, but not loaded: {why}; all files of a kind or none"
            e = replace(e, status=REJECTED, rows_loaded=0, reason=reason)
        elif e.status == REMOVED:
            e = replace(
                e,
                reason=f"no longer in the landing folder; its {e.rows_loaded} row(s) stay in "
                f"{extract.table} until no {extract.name} file is rejected",
            )
        out.append(e)
    return out


# -- a run with nothing to do ----------------------------------------------------------------


def _sha256(path: Path) -> str:
    return file_sha256(path)[0]


def nothing_changed(settings: Settings) -> str | None:
    """One line saying nothing changed since the run that published ``coverage.duckdb``, or
    None when a run has something to do (or when that cannot be told).

    Nothing changed when the published database exists, the ledger rows of the run that
    published it name exactly the files of the landing folder now, with the same size and
    SHA-256, under the same code (:func:`code_version`) and pseudonymization key. A file's
    hash is computed again only when its size or modification time differs from the
    ledger's (same size and time: taken as unchanged, without reading it).
    Opens both databases read-only: writes nothing, imports neither Dagster nor GX.
    """
    published, warehouse = settings.published_path, settings.warehouse_path
    if not (published.is_file() and warehouse.is_file() and settings.landing.is_dir()):
        return None
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            run_id, published_at = con.execute(sql("ops/published_run.sql")).fetchone()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            params = {"run_id": run_id}
            rows = con.execute(sql("ops/ingest_ledger_of_run.sql"), params).fetchall()
    except (duckdb.Error, TypeError):  # no such table, no row, a file being written
        return None
    if not rows or any(r[5] == REJECTED for r in rows):
        return None
    try:
        if {r[7] for r in rows} != {code_version(settings)}:
            return None
        keys = {r[6] for r in rows if r[6]}
        if keys and keys != {key_fingerprint(settings)}:
            return None
    except Exception:  # noqa: BLE001 (a key conflict, an unreadable file: the run says why)
        return None
    expected = {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows if r[5] != REMOVED}
    found = {  # the files a run would read (unhashed)
        (kind, name): settings.landing / name
        for kind, names in preflight.scan(settings.landing).files.items()
        for name in names
    }
    if expected.keys() != found.keys():
        return None
    for name, path in found.items():
        size, sha, mtime_us = expected[name]
        stat = path.stat()
        if stat.st_size != size:
            return None
        if stat.st_mtime_ns // 1000 != mtime_us and _sha256(path) != sha:
            return None
    when = published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"Nothing changed since run {run_id} at {when}: {len(found)} files unchanged; "
        "published database left as it was."
    )


def summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, dict[str, int]]:
    """kind -> status -> files, of a run's ledger rows (for the UI)."""
    create_tables(con)
    rows = con.execute(sql("ops/ingest_ledger_summary.sql"), {"run_id": run_id}).fetchall()
    found: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        found.setdefault(kind, {})[status] = count
    return found
