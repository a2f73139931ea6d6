"""Ingest one kind of landing extract into ``raw.<kind>``, all files or none.

What a kind is (columns, SQL files, which rows are kept, its checks) is its
:class:`cakupan.extracts.Extract`; this module does the same for every kind.

Each file is read by DuckDB (``cakupan.landing.relation``), typed, checked and
pseudonymized by the kind's parse SQL and inserted into a loading table in one streaming
query; the query stops at the first row whose ``err_<column>`` is set. Only then, for that
file alone, a second pass reads it again with exact line numbers (``CsvRows`` for CSV) into
``temp.parsed`` and names every bad value. The kind's checks over whole files and its
figures run on the accepted rows. A file that breaks the format is rejected whole with
every reason found; all files are still checked. When any file is rejected, the loading
table is dropped (the previous ``raw.<kind>`` stays) and ``FileRejected`` is raised with
every rejection; otherwise it replaces ``raw.<kind>``.

Only what changed is read: the ledger plans the run before anything is read
(``cakupan.ledger.plan``: an immutable plan), the ingest carries the plan out and returns
its report, and the ledger records the report (``cakupan.ledger.record``), in the
transaction that publishes ``raw.<kind>``. A file loaded before with the same SHA-256
keeps its rows in ``raw.<kind>``, a changed one replaces them, a removed one's rows are
deleted; the result is the same as loading every file anew. The loading table then holds
only the files read, and the checks over whole files see them with the rows kept.

A file still being written (``cakupan.settling``) is never read: a new one is left for a
later run, one loaded before keeps the rows of that version (it is not removed). A kind to
be read whole again (``--force``, new code or key) while such a file was loaded before is
left as it was this run.

Excel workbooks and the kinds with loose headers (Sakernas tables, membership counts) are
small: they are read as polars frames (``cakupan.landing.read_extract``) and take the
second pass's way at once, their rejections naming the Excel cell.

The NIK is pseudonymized inside the query that reads it, before any operator that could
spill to DuckDB's temporary folder: no NIK reaches the warehouse or a temporary file.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date

import duckdb

from cakupan import ledger, settling, sheets
from cakupan.config import Settings
from cakupan.extracts import EXTRACTS, Extract
from cakupan.landing import (
    READ_ERRORS,
    CsvRows,
    LandingFile,
    frame_read,
    hashed,
    interior_blank_line,
    jakarta_today,
    list_names,
    ragged_lines,
    read_extract,
)
from cakupan.landing import relation as landing_relation
from cakupan.ledger import REJECTED, REMOVED, UNCHANGED, Entry, FileReport, IngestReport, Plan
from cakupan.privacy import redact
from cakupan.pseudonym import PseudonymSecret
from cakupan.quality.context import gx_imported_beside
from cakupan.rejections import MAX_QUOTED, FileRejected, Rejection, whole_file
from cakupan.sqlfiles import columns, literal, run_sql, sql, table_exists, transaction

ROW_ERROR = "cakupan: a row breaks the format"
# DuckDB cannot estimate how many rows a CSV file holds (it guesses a few dozen), so its
# optimizer would build the hash tables of the reference joins on the file's rows: holding
# (and possibly spilling) a whole file, where a lookup table of a few thousand codes does.
FIXED_JOIN_SIDES = "build_side_probe_side,join_order"


@contextmanager
def reference_joins(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Parse queries joined as written: every hash table on the reference table (the right
    side of each LEFT JOIN), the file's rows streamed through."""
    con.execute(f"SET disabled_optimizers = '{FIXED_JOIN_SIDES}'")
    try:
        yield
    finally:
        con.execute("RESET disabled_optimizers")


def ingest(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    kind: str,
    log,
    run_id: str | None = None,
    force: bool = False,
    elsewhere: list[Rejection] = (),
    today: date | None = None,
) -> IngestReport:
    """Bring ``raw.<kind>`` in line with the ``kind`` files of the landing folder, reading
    only what changed since the ledger's record (``cakupan.ledger``; every file with
    ``force``): new and changed files are loaded, removed ones' rows deleted, and a rejected
    file that has not changed is reported again without being read. All files or none: any
    rejection, or one ``elsewhere`` (of what the kind reads besides its files: every file is
    still checked), leaves ``raw.<kind>`` as it was and raises FileRejected. Dates are
    checked against ``today`` (the run's day in Asia/Jakarta; by default today's). A file
    modified less than ``settings.settle`` ago is left for a later run, with a
    warning."""
    extract = EXTRACTS[kind]
    landing, settle = settings.landing, settings.settle
    names, skipped = list_names(landing, extract)
    unsettled = settling.unsettled(landing, names, settle)
    files = {name: hashed(landing, name) for name in names if name not in unsettled}
    for name in skipped:
        log.warning(f"{kind}: skipped {name} (not a {'/'.join(extract.extensions)} file)")
    run_id = run_id or "manual"
    secret = PseudonymSecret.from_key(settings.pseudonym_key()) if extract.pseudonymized else None
    plan = ledger.plan(con, settings, extract, list(files.values()), force, unsettled)
    _warn_unsettled(log, plan, unsettled, settle)
    report = IngestReport(
        extract, skipped=skipped, unsettled=sorted(unsettled), elsewhere=list(elsewhere)
    )
    if plan.rebuild and plan.unsettled:  # its rows would go: the kind is left as it was
        log.warning(
            f"{kind}: {extract.table} left as it was this run: every file is to be read again "
            f"({plan.why}), and {', '.join(plan.unsettled)} is still being written"
        )
        if elsewhere:
            raise FileRejected(list(elsewhere))
        return report
    params = secret.sql_params() if secret else {}
    loader = _Loader(con, extract, params, plan, today or jakarta_today())
    try:
        _read(loader, plan, files | _versions_kept(landing, plan), report)
    except BaseException:
        loader.drop()
        raise
    finally:
        loader.close()
    if report.rejections:
        loader.drop()
        ledger.record(con, plan, report, run_id)
        rejections = sorted(report.rejections, key=_order)
        for name in sorted({r.file for r in rejections}):
            reasons = "; ".join(str(r) for r in rejections if r.file == name)
            log.error(f"{kind}: rejected {name}: {reasons}")
        raise FileRejected(rejections)
    with transaction(con):  # raw.<kind> and the ledger's record of it
        loader.publish()
        ledger.record(con, plan, report, run_id)
    report.removed = plan.removed
    for r in report.files:
        if r.status != UNCHANGED:
            _log_notes(log, extract, r)
    counts = {s: sum(e.status == s for e in plan.entries) for s in ledger.STATUSES}
    log.info(f"{kind}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return report


def _read(loader: _Loader, plan: Plan, files: dict[str, LandingFile], report: IngestReport) -> None:
    """Carry out ``plan`` into the loading table, filling ``report``: each file to read is
    read and checked, the others carried (their rows stay) or rejected again unread; then
    the checks over whole files. ``files``: name -> the version the plan is about."""
    present = [e for e in plan.entries if e.status != REMOVED]  # in name order
    parquet = sum(files[e.file].size for e in present if e.read and files[e.file].parquet)
    with gx_imported_beside(parquet):
        for entry in present:
            file = files[entry.file]
            if entry.status == UNCHANGED:  # its rows stay: not read again
                report.files.append(_carried(file, entry))
            elif entry.status == REJECTED:  # rejected before and unchanged: not read again
                report.rejections.extend(entry.rejections)
            else:
                try:
                    loaded = loader.load(entry.file_seq, file)
                except FileRejected as rejected:
                    report.rejected[entry.file] = rejected.rejections
                    report.rejections.extend(rejected.rejections)
                else:
                    loaded.status = entry.status
                    report.files.append(loaded)
    late = loader.finish(report.files)  # the checks over whole files
    for name in {r.file for r in late} & {e.file for e in plan.entries}:
        report.rejected[name] = [r for r in late if r.file == name]
    report.rejections += late + report.elsewhere


def _warn_unsettled(log, plan: Plan, unsettled: dict[str, float], settle: float) -> None:
    """A warning naming each file left for a later run because it is still being written."""
    kind = plan.extract.name
    for name, seconds in sorted(unsettled.items()):
        kept = (
            "the rows of its version loaded before stay" if name in plan.unsettled else "not read"
        )
        log.warning(
            f"{kind}: {name} is still being written (modified {seconds:.0f} s ago, less than "
            f"CAKUPAN_SETTLE_SECONDS={settle:g}); left for the next run: {kept}"
        )


def _versions_kept(landing, plan: Plan) -> dict[str, LandingFile]:
    """The versions loaded before of the files still being written (the ledger's size and
    hash): the plan carries them."""
    kept = [e for e in plan.entries if e.file in plan.unsettled]
    return {e.file: LandingFile(landing / e.file, e.file, e.size, e.sha256) for e in kept}


def _carried(file: LandingFile, entry: Entry) -> FileReport:
    """The report of a file not read again, from the ledger."""
    rows, skipped = entry.rows_loaded, max(entry.rows_read_at_load - entry.rows_loaded, 0)
    return FileReport(file, rows=rows, skipped=skipped, figures=entry.figures, status=UNCHANGED)


def _order(r: Rejection) -> tuple:
    return (r.file, -1 if r.line is None else r.line, r.column)


class _Loader:
    """Loads the files of one kind into ``raw.<kind>_loading``, then into place."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        extract: Extract,
        params: dict,
        plan: Plan,
        today: date,
    ):
        self.con, self.extract, self.params, self.plan = con, extract, params, plan
        self.table = f"{extract.table}_loading"
        self.parse = extract.parse()
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="cakupan-blank-lines")
        self.stop = threading.Event()
        run_sql(con, "raw/macros.sql")
        # the day the parse checks dates against (sql/raw/macros.sql): the run's
        con.execute(f"CREATE OR REPLACE TEMP MACRO ingest_today() AS DATE '{today.isoformat()}'")
        table = rf"\b{re.escape(extract.table)}\b"  # raw.<kind>: the same table, loading
        con.execute(re.sub(table, self.table, sql(extract.table_sql)))
        self.names = {"max_quoted": MAX_QUOTED}

    def load(self, seq: int, file: LandingFile) -> FileReport:
        if frame_read(file, self.extract):
            return self._frame(file, seq)
        split = self.extract.prepared and not file.parquet  # numbered after the parse
        source = landing_relation(self.con, file, self.extract, numbered=not split)
        self.con.execute("DROP VIEW IF EXISTS landing_rows")
        self.con.execute(f"CREATE TEMP VIEW landing_rows AS {source}")
        select = self._select(file, seq)
        blank = None if file.parquet else self.pool.submit(interior_blank_line, file, self.stop)
        try:
            rows, skipped = self._stream(select, split)
        except READ_ERRORS:
            return self._exact(file, select, blank)
        if blank is not None and blank.result():
            self._run(f"DELETE FROM {self.table} WHERE source_file = {literal(file.name)}")
            return self._exact(file, select, None)
        return FileReport(file, rows=rows, skipped=skipped)

    def _stream(self, select: str, split: bool) -> tuple[int, int]:
        """Insert the file's kept rows; raises when a row breaks the format. Returns the rows
        inserted and skipped (not ``keep``).

        In one query, unless ``split``: ``row_number() OVER ()`` numbers a CSV file's rows
        (Parquet's reader does) but keeps the query on one thread. So a CSV file of a kind
        with a row-by-row part (``Extract.prepared``: membership) is first prepared into
        ``temp.streamed`` on every thread, in the file's order, and its rows take their line
        from their place there (the header is line 1; a file with a blank line or a line
        break in a value is read again exactly, :meth:`_exact`); the parse then joins them.
        ``temp.streamed`` holds pseudonyms, never a NIK.
        """
        parsed = [name for name, *_ in self._describe(f"SELECT * FROM ({self.parse})")]
        bad = " OR ".join(f"{c} IS NOT NULL" for c in parsed if c.startswith("err_")) or "false"
        keep, parse = self.extract.keep, self.parse
        if split:
            self._run(f"CREATE OR REPLACE TEMP TABLE streamed AS {sql(self.extract.prepare_sql)}")
            numbered = "(SELECT * REPLACE (rowid + 2 AS __line) FROM temp.streamed)"
            parse = self.extract.parse(numbered)
        try:
            rows = self._run(
                f"INSERT INTO {self.table} SELECT {select} FROM ({parse}) AS parsed "
                f"WHERE CASE WHEN {bad} THEN error('{ROW_ERROR}') ELSE {keep} END"
            )[0][0]
            if keep == "true":
                return rows, 0
            return rows, self._run(f"SELECT count(*) FROM ({parse}) WHERE NOT ({keep})")[0][0]
        finally:
            if split:
                self.con.execute("DROP TABLE IF EXISTS temp.streamed")

    def _exact(self, file: LandingFile, select: str, blank: Future | None) -> FileReport:
        """The second pass over one file: every row with its exact line, every problem."""
        if blank is not None:
            self.stop.set()
            blank.result()
            self.stop.clear()
        self.con.execute("DROP TABLE IF EXISTS temp.parsed")
        rejections = []
        if file.parquet:
            try:
                self._run(f"CREATE TEMP TABLE parsed AS {self.parse}")
            except READ_ERRORS as exc:
                reason = f"cannot read file: {redact(str(exc).splitlines()[0])}"
                raise whole_file(file.name, reason) from None
        else:
            self.con.execute("DROP VIEW IF EXISTS landing_rows")
            reader = CsvRows(file, self.extract)
            for frame in reader.chunks():
                self._parse_frame(frame)
            if not self._exists("temp.parsed"):
                self._parse_frame(reader.empty())
            rejections += reader.rejections
        return self._accept(file, select, rejections)

    def _frame(self, file: LandingFile, seq: int) -> FileReport:
        """A file read as a polars frame (Excel, loose headers): parsed whole, then checked
        like the second pass; a rejection names the Excel cell, and a CSV line with the
        wrong number of fields is named as such rather than by its blank values."""
        frame = read_extract(file, self.extract)  # FileRejected
        self.con.execute("DROP TABLE IF EXISTS temp.parsed")
        self.con.execute("DROP VIEW IF EXISTS landing_rows")
        self._parse_frame(frame)
        try:
            return self._accept(file, self._select(file, seq, parsed=True), [])
        except FileRejected as rejected:
            ragged = ragged_lines(file)
            lines = {r.line for r in ragged}
            rejections = ragged + [r for r in rejected.rejections if r.line not in lines]
            raise FileRejected(sheets.name_cells(frame, sorted(rejections, key=_order))) from None

    def _accept(self, file: LandingFile, select: str, rejections: list) -> FileReport:
        """Checks ``temp.parsed`` (one file): its bad values, then the kind's checks over
        its good rows; inserts those rows when nothing is wrong."""
        available = [name for name, *_ in columns(self.con, "temp.parsed")]
        errors = [c for c in available if c.startswith("err_")]
        rejections += self._value_errors(file, available, errors)
        ok = " AND ".join(f"{c} IS NULL" for c in errors) or "true"
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW file_rows AS SELECT {select} FROM parsed "
            f"WHERE {ok} AND {self.extract.keep}"
        )
        rejections += self._checks()
        if rejections:
            raise FileRejected(rejections)
        rows = self._run(f"INSERT INTO {self.table} SELECT * FROM file_rows")[0][0]
        skipped = self._run(f"SELECT count(*) FROM parsed WHERE NOT ({self.extract.keep})")
        return FileReport(file, rows=rows, skipped=skipped[0][0])

    def _parse_frame(self, frame) -> None:
        self.con.register("landing_rows", frame)
        try:
            if self._exists("temp.parsed"):
                self._run(f"INSERT INTO parsed {self.parse}")
            else:
                self._run(f"CREATE TEMP TABLE parsed AS {self.parse}")
        finally:
            self.con.unregister("landing_rows")

    def finish(self, reports: list[FileReport]) -> list[Rejection]:
        """The checks over whole files and the figures, on every file loaded and the rows
        ``raw.<kind>`` keeps (files not read again)."""
        rows = f"SELECT * FROM {self.table}"
        if not self.plan.rebuild and table_exists(self.con, self.extract.table):
            dropped = ", ".join(literal(f) for f in self.plan.dropped) or "NULL"
            rows += (
                f" UNION ALL BY NAME SELECT * FROM {self.extract.table} "
                f"WHERE source_file NOT IN ({dropped})"
            )
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW file_rows AS {rows}")
        rejections = self._checks()
        if self.extract.figures and not rejections:
            text = sql(self.extract.figures)
            cursor = self.con.execute(text, _used(text, self.names))
            heads = [d[0] for d in cursor.description][1:]
            figures = {r[0]: dict(zip(heads, r[1:], strict=True)) for r in cursor.fetchall()}
            for r in reports:
                r.figures = figures.get(r.file.name, r.figures)
        return rejections

    def _checks(self) -> list[Rejection]:
        rejections = []
        for check in self.extract.checks:
            text = self.extract.check_sql(check)
            rows = self.con.execute(text, _used(text, self.names)).fetchall()
            rejections += [Rejection(*row) for row in rows]
        return rejections

    def _value_errors(self, file: LandingFile, available, errors) -> list[Rejection]:
        """Every row whose value breaks the format (``err_<column>`` of the parse), per
        column; the first rows quoted, then how many more."""
        rejections = []
        for error in errors:
            column = error.removeprefix("err_")
            value = f"{column}_raw" if f"{column}_raw" in available else column
            text = sql("raw/value_errors.sql").format(error=error, value=value)
            count, quoted = self.con.execute(text, _used(text, self.names)).fetchall()[0]
            for line, val, reason in quoted or []:
                rejections.append(Rejection(file.name, int(line), column, redact(val), reason))
            if count > MAX_QUOTED:
                more = f"{count - MAX_QUOTED} more row(s) with errors in this column"
                rejections.append(Rejection(file.name, None, column, "", more))
        return rejections

    def _select(self, file: LandingFile, seq: int, parsed: bool = False) -> str:
        """The parsed columns in the order of ``raw.<kind>``'s, with the file's constants
        (those of ``temp.parsed`` when ``parsed``, else of the parse over ``landing_rows``)."""
        if parsed:
            parsed = {name for name, *_ in columns(self.con, "temp.parsed")}
        else:
            parsed = {name for name, *_ in self._describe(f"SELECT * FROM ({self.parse})")}
        constants = {"source_file": literal(file.name), "file_seq": str(seq)}
        items = []
        for name, *_ in columns(self.con, self.table):
            if name in constants:
                items.append(f"{constants[name]} AS {name}")
            elif name == "source_line":
                items.append("line AS source_line")
            else:
                items.append(name if name in parsed else f"NULL AS {name}")
        return ", ".join(items)

    def _describe(self, query: str) -> list[tuple]:
        return self._run(f"DESCRIBE {query}")

    def _exists(self, table: str) -> bool:
        return bool(columns(self.con, table))

    def _run(self, text: str) -> list[tuple]:
        with reference_joins(self.con):
            return self.con.execute(text, _used(text, self.params)).fetchall()

    def publish(self) -> None:
        """Put the loaded table in the place of ``raw.<kind>`` (every file read), or delete
        the rows of the files replaced or removed and add those of the files read."""
        con, table = self.con, self.extract.table
        if self.plan.rebuild or not table_exists(con, table):
            con.execute(f"DROP TABLE IF EXISTS {table}")
            con.execute(f"ALTER TABLE {self.table} RENAME TO {self.extract.name}")
        else:
            if self.plan.dropped:
                con.execute(
                    f"DELETE FROM {table} WHERE source_file IN (SELECT unnest(?))",
                    [self.plan.dropped],
                )
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {self.table}")
            con.execute(f"DROP TABLE {self.table}")

    def drop(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.table}")

    def close(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True)
        for statement in (
            "DROP VIEW IF EXISTS file_rows",
            "DROP VIEW IF EXISTS landing_rows",
            "DROP TABLE IF EXISTS temp.parsed",
        ):
            self.con.execute(statement)


def _used(text: str, params: dict) -> dict | None:
    """The parameters ``text`` refers to (DuckDB refuses any other)."""
    used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", text)}
    return used or None


def _log_notes(log, extract: Extract, r: FileReport) -> None:
    name = r.file.name
    if r.header_only:
        log.warning(f"{name}: header only, no data rows (accepted; adds nothing)")
    if r.skipped:
        log.info(f"{name}: skipped {r.skipped} {extract.skipped_note}")
    for figure in extract.figure_notes:
        if figure.note and r.figures.get(figure.name):
            getattr(log, figure.level)(f"{name}: {figure.note.format(**r.figures)}")
