"""The ingest ledger: which landing files ``raw.<kind>`` holds, what each run did with each
file, and whether anything changed since the published run (no Dagster).

- ``ops.ingest_files``: the files whose rows ``raw.<kind>`` holds, with the SHA-256 they were
  loaded with; changed in the same transaction as ``raw.<kind>``.
- ``ops.ingest_ledger``: one row per landing file per run (loaded, unchanged, replaced,
  rejected, removed, with the reason), appended; shown in the UI as ``ops/ingest_ledger``.

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
from dataclasses import dataclass, field
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
_MORE = re.compile(r"^(\d+) more (?:row|line)")
# a date "in the future (after ...)" (sql/raw/macros.sql) may be one no longer: a file
# rejected for it is read again rather than rejected unread
_DAY_DEPENDENT = "in the future (after "


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


# -- one kind's plan -------------------------------------------------------------------------


@dataclass
class Entry:
    """What one run does with one landing file (or one removed from the landing folder)."""

    kind: str
    file: str
    status: str
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
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def read(self) -> bool:
        """Whether this run reads the file."""
        return self.status in (LOADED, REPLACED) and not self.rejections

    def loaded(self, rows_read: int, rows_loaded: int, figures: dict, run_id: str) -> None:
        self.rows_read, self.rows_loaded, self.figures = rows_read, rows_loaded, figures
        self.loaded_by = run_id

    def reject(self, rejections: list[Rejection], reason: str | None = None) -> None:
        self.status, self.rejections, self.rows_loaded = REJECTED, rejections, 0
        self.rows_read = None if self.rows_read == 0 else self.rows_read
        self.rows_rejected = rows_rejected(rejections)
        self.reason = reason or first_reason(rejections)


def rows_rejected(rejections: list[Rejection]) -> int:
    """Rows named in the rejections, plus the rows counted in their "N more row(s)" lines."""
    more = sum(int(m.group(1)) for r in rejections if (m := _MORE.match(r.reason)))
    return len({r.line for r in rejections if r.line is not None}) + more


def first_reason(rejections: list[Rejection]) -> str:
    first = str(rejections[0]).removeprefix(rejections[0].file).lstrip(" :,")
    more = len(rejections) - 1
    return first + (f" (and {more} more rejection(s))" if more else "")


@dataclass
class Plan:
    """A kind's files as this run finds them against ``ops.ingest_files``."""

    extract: Extract
    version: str
    key: str
    rebuild: bool  # raw.<kind> recreated: every file read
    entries: list[Entry]  # the landing files in name order, then the removed ones
    why: str | None = None  # why every file is read again (rebuild)
    # files loaded before and still being written (cakupan.settling): carried, unchanged
    unsettled: tuple[str, ...] = ()

    def entry(self, name: str) -> Entry:
        return next(e for e in self.entries if e.file == name)

    @property
    def dropped(self) -> list[str]:
        """Files whose rows leave raw.<kind> before the files read are loaded."""
        return [e.file for e in self.entries if e.status in (REPLACED, REMOVED)]


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
    version = ingest_version(con, extract)
    key = key_fingerprint(settings) if extract.pseudonymized else ""
    state = {
        row[0]: row
        for row in con.execute(
            f"""SELECT file, size, sha256, file_seq, snapshot_dates, rows_read, rows_loaded,
                       figures, ingest_version, key_fingerprint, loaded_by
                FROM {FILES} WHERE kind = ? ORDER BY file""",
            [extract.name],
        ).fetchall()
    }
    exists = table_exists(con, extract.table)
    why = None  # why every file is read again
    if force:
        why = "every file read again (--force)"
    elif not exists:
        why = f"{extract.table} did not exist"
    elif con.execute(f"SELECT count(*) FROM {extract.table}").fetchone()[0] != sum(
        s[6] for s in state.values()
    ):
        why = f"{extract.table} did not match the ledger: every file read again"
    elif any(s[9] != key for s in state.values()):
        why = "the pseudonymization key changed: every file read again"
    elif any(s[8] != version for s in state.values()):
        why = "the ingest code, reference data or an upstream kind changed: read again"
    known = {} if force else _known_rejections(con, extract.name, version, key)
    waiting = unsettled or {}  # never removed; carried when its rows are in raw.<kind>
    carried = {n: a for n, a in waiting.items() if n in state and exists}
    present = sorted([*(f.name for f in files), *carried], key=lambda n: n.encode("utf-8"))
    seqs = {name: seq for seq, name in enumerate(present)}
    entries = []
    for name, seconds in carried.items():
        entries.append(_still_written(extract.name, name, seconds, state[name], seqs[name]))
    for file in files:
        seq = seqs[file.name]
        mtime = file.mtime_ns // 1000  # of the version hashed
        e = Entry(extract.name, file.name, LOADED, "new file", file.size, file.sha256, mtime, seq)
        before = state.get(file.name)
        if before is not None:
            e.previous_seq = before[3]
        if before is not None and why is None and before[2] == file.sha256:
            e.status, e.loaded_by = UNCHANGED, before[10]
            e.reason = f"same sha256 as loaded by run {before[10]}"
            e.snapshot_dates, e.rows_read_at_load, e.rows_loaded = before[4], before[5], before[6]
            e.figures = json.loads(before[7] or "{}")
        elif (file.name, file.sha256) in known:
            run_id, rejections = known[file.name, file.sha256]
            rejections = [Rejection(file.name, *r) for r in rejections]
            e.reject(
                rejections, f"unchanged since run {run_id} rejected it: " + first_reason(rejections)
            )
            e.rows_read = 0
        elif before is not None:
            e.status = REPLACED
            e.reason = why or f"file changed (sha256 was {before[2][:12]}…)"
        elif why and state:
            e.reason = f"new file; {why}"
        entries.append(e)
    entries.sort(key=lambda e: e.file_seq)
    names = {*present, *waiting}
    for name, s in state.items():
        if name not in names:
            entries.append(
                Entry(
                    extract.name,
                    name,
                    REMOVED,
                    f"no longer in the landing folder: its {s[6]} row(s) removed",
                    size=s[1],
                    sha256=s[2],
                    previous_seq=s[3],
                    snapshot_dates=s[4],
                    loaded_by=s[10],
                    rows_loaded=s[6],
                )
            )
    return Plan(extract, version, key, why is not None, entries, why=why, unsettled=tuple(carried))


def _still_written(kind: str, name: str, seconds: float, before: tuple, seq: int) -> Entry:
    """The entry of a file loaded before and still being written: the version loaded
    stays, its rows carried, until the file has settled."""
    e = Entry(kind, name, UNCHANGED, "", before[1], before[2], None, seq, before[3])
    e.reason = (
        f"still being written (modified {seconds:.0f} s ago): the rows of the version "
        f"loaded by run {before[10]} stay until it has settled"
    )
    e.loaded_by, e.snapshot_dates = before[10], before[4]
    e.rows_read_at_load, e.rows_loaded = before[5], before[6]
    e.figures = json.loads(before[7] or "{}")
    return e


def _known_rejections(con, kind: str, version: str, key: str) -> dict:
    """(file, sha256) -> (run id, rejections) of the latest rejection of each file, made
    under the same ingest version and key."""
    rows = con.execute(
        f"""SELECT file, sha256, arg_max(run_id, recorded_at),
                   arg_max(rejections, recorded_at)
            FROM {LEDGER}
            WHERE kind = ? AND status = '{REJECTED}' AND len(rejections) > 0
              AND ingest_version = ? AND key_fingerprint = ?
            GROUP BY file, sha256""",
        [kind, version, key],
    ).fetchall()
    return {
        (file, sha): (run_id, [(r["line"], r["column"], r["value"], r["reason"]) for r in found])
        for file, sha, run_id, found in rows
        if not any(_DAY_DEPENDENT in r["reason"] for r in found)
    }


def commit(con: duckdb.DuckDBPyConnection, plan: Plan, settings: Settings, run_id: str) -> None:
    """In the transaction that updates raw.<kind>, every file accepted: renumber
    ``file_seq`` of the files not read (name order), note each file's snapshot dates,
    rewrite ``ops.ingest_files`` and append the run's rows to the ledger."""
    extract, table = plan.extract, plan.extract.table
    names = {c[0] for c in columns(con, table)}
    if "file_seq" in names:
        for e in plan.entries:
            if e.status == UNCHANGED and e.previous_seq != e.file_seq:
                con.execute(
                    f"UPDATE {table} SET file_seq = ? WHERE source_file = ?", [e.file_seq, e.file]
                )
    read = [e.file for e in plan.entries if e.read]
    if "snapshot_date" in names and read:
        dates = dict(
            con.execute(
                f"""SELECT source_file, list(DISTINCT snapshot_date ORDER BY snapshot_date)
                    FROM {table} WHERE source_file IN (SELECT unnest(?)) GROUP BY ALL""",
                [read],
            ).fetchall()
        )
        for e in plan.entries:
            if e.read:
                e.snapshot_dates = dates.get(e.file, [])
    now = datetime.now(UTC)
    con.execute(f"DELETE FROM {FILES} WHERE kind = ?", [extract.name])
    kept = [e for e in plan.entries if e.status in (LOADED, UNCHANGED, REPLACED)]
    if kept:
        con.executemany(
            f"INSERT INTO {FILES} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
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
                for e in kept
            ],
        )
    for e in plan.entries:
        if e.status == REMOVED:
            e.rows_loaded = 0
    record(con, plan, settings, run_id, now)


def rolled_back(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    settings: Settings,
    run_id: str,
    elsewhere: list[Rejection] = (),
) -> None:
    """After the rollback of a kind with rejected files (or ``elsewhere``: a rejection of
    something the kind reads besides its files, say a status mapping): the ledger rows of
    the run, raw.<kind> being as it was (files accepted but not loaded are marked rejected,
    saying why)."""
    create_tables(con)
    bad = sorted({e.file for e in plan.entries if e.rejections})
    why = f"{len(bad)} {plan.extract.name} file(s) rejected ({', '.join(bad)})"
    if not bad and elsewhere:
        why = str(elsewhere[0])
    for e in plan.entries:
        if e.status in (LOADED, REPLACED):
            e.status, e.rows_loaded = REJECTED, 0
            e.reason = f"accepted, but not loaded: {why}; all files of a kind or none"
        elif e.status == REMOVED:
            e.reason = (
                f"no longer in the landing folder; its {e.rows_loaded} row(s) stay in "
                f"{plan.extract.table} until no {plan.extract.name} file is rejected"
            )
    record(con, plan, settings, run_id, datetime.now(UTC))


def record(con, plan: Plan, settings: Settings, run_id: str, now: datetime) -> None:
    """Append one ledger row per entry of ``plan``."""
    version = code_version(settings)
    rows = []
    for e in plan.entries:
        mtime = None
        if e.mtime_us is not None:
            mtime = datetime.fromtimestamp(e.mtime_us / 1e6, UTC)
        rejections = [
            {"line": r.line, "column": r.column, "value": r.value, "reason": r.reason}
            for r in e.rejections
        ]
        rows.append(
            [
                run_id,
                now,
                e.kind,
                e.file,
                e.size,
                e.sha256,
                mtime,
                e.snapshot_dates,
                e.rows_read,
                e.rows_loaded,
                e.rows_rejected,
                e.status,
                e.reason,
                e.loaded_by,
                plan.version,
                plan.key,
                version,
                json.dumps(e.figures, default=str) if e.figures else None,
                rejections,
            ]
        )
    if rows:
        con.executemany(
            f"INSERT INTO {LEDGER} VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            'CAST(? AS STRUCT(line BIGINT, "column" VARCHAR, "value" VARCHAR, '
            "reason VARCHAR)[]))",
            rows,
        )


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
            run_id, published_at = con.execute(
                "SELECT run_id, published_at FROM ops.run_status"
            ).fetchone()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                f"""SELECT kind, file, size, sha256, epoch_us(mtime), status, key_fingerprint,
                           code_version
                    FROM {LEDGER} WHERE run_id = ?""",
                [run_id],
            ).fetchall()
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
    rows = con.execute(
        f"SELECT kind, status, count(*) FROM {LEDGER} WHERE run_id = ? GROUP BY ALL ORDER BY ALL",
        [run_id],
    ).fetchall()
    found: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        found.setdefault(kind, {})[status] = count
    return found
