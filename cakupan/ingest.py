"""Ingest one kind of landing extract into ``raw.<kind>``, all files or none.

What a kind is (columns, SQL files, which rows are kept, its checks) is its
:class:`cakupan.extracts.Extract`; this module does the same for every kind. Each file is
read (``cakupan.landing``), typed and checked in SQL (the spec's parse SQL, then its
checks), and its kept rows inserted into ``raw.<kind>``. A file that breaks the format is
rejected whole with every reason found; all files are still checked. When any file is
rejected the transaction is rolled back (the previous ``raw.<kind>`` stays) and
``FileRejected`` is raised with every rejection.

Only what changed is read (``cakupan.ledger``): a file loaded before with the same SHA-256
keeps its rows, a changed one replaces them, a removed one's rows are deleted; the result
is the same as loading every file anew.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from cakupan import ledger, sheets
from cakupan.config import Settings
from cakupan.extracts import EXTRACTS, Extract
from cakupan.landing import LandingFile, list_files, ragged_lines, read_extract
from cakupan.privacy import redact
from cakupan.pseudonym import HmacPads
from cakupan.rejections import MAX_QUOTED, FileRejected, Rejection, unit
from cakupan.sqlfiles import columns, run_sql, sql


@dataclass
class FileReport:
    file: LandingFile
    rows: int = 0  # inserted into raw.<kind>
    skipped: int = 0  # parsed rows not kept (workforce: province and national totals)
    header_only: bool = False
    figures: dict = field(default_factory=dict)  # the kind's figures query
    status: str = "loaded"  # as the ingest ledger records it (cakupan.ledger)


@dataclass
class IngestReport:
    extract: Extract
    files: list[FileReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # landing entries not read
    rejections: list[Rejection] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files whose rows left raw.<kind>

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


def ingest(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    kind: str,
    log,
    run_id: str | None = None,
    force: bool = False,
) -> IngestReport:
    """Bring ``raw.<kind>`` in line with the ``kind`` files of the landing folder, reading
    only what changed since the ledger's record (``cakupan.ledger``; every file with
    ``force``): new and changed files are loaded, removed ones' rows deleted, and a rejected
    file that has not changed is reported again without being read. All files or none: any
    rejection rolls everything back and raises FileRejected."""
    extract = EXTRACTS[kind]
    files, skipped = list_files(settings.landing, extract)
    report = IngestReport(extract, skipped=skipped)
    for name in skipped:
        log.warning(f"{kind}: skipped {name} (not a {'/'.join(extract.extensions)} file)")
    params = (
        HmacPads.from_key(settings.pseudonym_key()).sql_params() if extract.pseudonymized else {}
    )
    run_id = run_id or "manual"
    run_sql(con, "raw/macros.sql")
    plan = ledger.plan(con, settings, extract, files, force=force)
    con.execute("BEGIN TRANSACTION")
    try:
        ledger.prepare(con, plan)
        for seq, file in enumerate(files):
            entry = plan.entry(file.name)
            if entry.status == ledger.UNCHANGED:  # its rows stay: not read again
                report.files.append(_carried(file, entry))
            elif entry.rejections:  # rejected before and unchanged: not read again
                report.rejections.extend(entry.rejections)
                log.error(f"{kind}: rejected {file.name} ({entry.reason})")
            else:
                try:
                    loaded = _load_file(con, extract, seq, file, params)
                except FileRejected as rejected:
                    entry.reject(rejected.rejections)
                    report.rejections.extend(rejected.rejections)
                    log.error(f"{kind}: rejected {file.name}: {rejected}")
                else:
                    loaded.status = entry.status
                    entry.loaded(loaded.rows + loaded.skipped, loaded.rows, loaded.figures, run_id)
                    report.files.append(loaded)
        if not report.rejections:
            ledger.commit(con, plan, settings, run_id)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP VIEW IF EXISTS landing_rows")
        con.execute("DROP TABLE IF EXISTS temp.parsed")
    if report.rejections:
        con.execute("ROLLBACK")
        ledger.rolled_back(con, plan, settings, run_id)
        raise FileRejected(report.rejections)
    con.execute("COMMIT")
    report.removed = [e.file for e in plan.entries if e.status == ledger.REMOVED]
    for r in report.files:
        if r.status != ledger.UNCHANGED:
            _log_notes(log, extract, r)
    counts = {s: sum(e.status == s for e in plan.entries) for s in ledger.STATUSES}
    log.info(f"{kind}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return report


def _carried(file: LandingFile, entry: ledger.Entry) -> FileReport:
    """The report of a file not read again, from the ledger."""
    rows = entry.rows_loaded
    return FileReport(file, rows=rows, figures=entry.figures, status=ledger.UNCHANGED)


def _order(r: Rejection) -> tuple:
    return (r.file, -1 if r.line is None else r.line, r.column)


def _load_file(con, extract: Extract, seq: int, file: LandingFile, params: dict) -> FileReport:
    frame = read_extract(file, extract)
    con.register("landing_rows", frame)
    parse = sql(extract.parse_sql)
    con.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS {parse}", _used(parse, params))
    con.unregister("landing_rows")
    names = {"unit": unit(file.name), "max_quoted": MAX_QUOTED}
    rejections = _value_errors(con, file, names)
    for check in extract.checks:
        rejections += [Rejection(file.name, *row) for row in _query(con, check, names)]
    if rejections:
        ragged = ragged_lines(file)  # a line with missing fields: say so, not its blanks
        lines = {r.line for r in ragged}
        rejections = ragged + [r for r in rejections if r.line not in lines]
        raise FileRejected(sheets.name_cells(frame, sorted(rejections, key=_order)))
    report = FileReport(file, header_only=frame.height == 0)
    if extract.figures:
        cursor = con.execute(sql(extract.figures), _used(sql(extract.figures), names))
        heads = [d[0] for d in cursor.description]
        report.figures = dict(zip(heads, cursor.fetchone(), strict=True))
    report.rows, report.skipped = con.execute(
        f"SELECT count(*) FILTER ({extract.keep}), count(*) FILTER (NOT ({extract.keep})) "
        "FROM parsed"
    ).fetchone()
    insert = (
        f"INSERT INTO {extract.table} SELECT {_select(con, extract)} FROM parsed "
        f"WHERE {extract.keep} ORDER BY line"
    )
    con.execute(insert, _used(insert, {"source_file": file.name, "file_seq": seq}))
    return report


def _select(con, extract: Extract) -> str:
    """The parsed columns in the order of ``raw.<kind>``'s, with the file's constants."""
    available = {name for name, _, _ in columns(con, "temp.parsed")}
    items = []
    for name, _, _ in columns(con, extract.table):
        if name in ("source_file", "file_seq"):
            items.append(f"${name} AS {name}")
        elif name == "source_line":
            items.append("line AS source_line")
        else:
            items.append(name if name in available else f"NULL AS {name}")
    return ", ".join(items)


def _value_errors(con, file: LandingFile, names: dict) -> list[Rejection]:
    """Every row whose value breaks the format (``err_<column>`` of the parse), per column;
    the first rows quoted, then how many more."""
    available = [name for name, _, _ in columns(con, "temp.parsed")]
    rejections = []
    for error in (c for c in available if c.startswith("err_")):
        column = error.removeprefix("err_")
        value = f"{column}_raw" if f"{column}_raw" in available else column
        count, quoted = _query(con, "raw/value_errors.sql", names, error=error, value=value)[0]
        for line, val, reason in quoted or []:
            rejections.append(Rejection(file.name, int(line), column, redact(val), reason))
        if count > MAX_QUOTED:
            more = f"{count - MAX_QUOTED} more row(s) with errors in this column"
            rejections.append(Rejection(file.name, None, column, "", more))
    return rejections


def _query(con, name: str, params: dict, **names: str) -> list[tuple]:
    """Rows of ``sql/<name>`` (its ``{names}`` filled in) with the parameters it uses."""
    text = sql(name).format(**names) if names else sql(name)
    return con.execute(text, _used(text, params)).fetchall()


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
