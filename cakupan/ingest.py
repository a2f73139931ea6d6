"""Ingest one kind of landing extract into ``raw.<kind>``, all files or none.

Every file is read (``cakupan.landing``), typed and checked in SQL
(``sql/raw/parse_<kind>.sql``), and its rows inserted into ``raw.<kind>``. A file that
breaks the format is rejected whole with every reason found; all files are still checked.
When any file is rejected the transaction is rolled back (the previous ``raw.<kind>``
stays) and ``FileRejected`` is raised with every rejection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from cakupan.config import Settings
from cakupan.landing import (
    EXTENSIONS,
    MAX_ERRORS_PER_COLUMN,
    FileRejected,
    LandingFile,
    Rejection,
    list_files,
    read_extract,
    redact,
)
from cakupan.pseudonym import HmacPads
from cakupan.sqlfiles import columns, run_sql, sql

MAX_INVALID_NIK_SHARE = 0.01


@dataclass
class FileReport:
    file: LandingFile
    rows: int = 0
    skipped_totals: int = 0
    invalid_nik: int = 0
    invalid_nik_lines: list[int] = field(default_factory=list)
    duplicate_rows: int = 0
    unknown_programs: int = 0
    header_only: bool = False


@dataclass
class IngestReport:
    kind: str
    files: list[FileReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def markdown(self) -> str:
        lines = [
            "| file | bytes | sha256 | rows | invalid NIK | duplicate rows | totals skipped |",
            "|---|---:|---|---:|---:|---:|---:|",
        ]
        for f in self.files:
            lines.append(
                f"| {f.file.name} | {f.file.size:,} | `{f.file.sha256[:16]}…` | {f.rows:,} "
                f"| {f.invalid_nik:,} | {f.duplicate_rows:,} | {f.skipped_totals:,} |"
            )
        return "\n".join(lines)


def ingest(con: duckdb.DuckDBPyConnection, settings: Settings, kind: str, log) -> IngestReport:
    """Load every ``kind`` file of the landing folder into ``raw.<kind>``."""
    files, skipped = list_files(settings.landing, kind)
    report = IngestReport(kind, skipped=skipped)
    for name in skipped:
        log.warning(f"{kind}: skipped {name} (not a {'/'.join(EXTENSIONS[kind])} file)")
    params = (
        HmacPads.from_key(settings.pseudonym_key()).sql_params() if kind == "membership" else {}
    )
    run_sql(con, "raw/macros.sql")
    con.execute("BEGIN TRANSACTION")
    try:
        run_sql(con, f"raw/{kind}.sql")
        target = [name for name, _, _ in columns(con, f"raw.{kind}")]
        for seq, file in enumerate(files):
            try:
                report.files.append(_load_file(con, kind, seq, file, target, params))
            except FileRejected as rejected:
                report.rejections.extend(rejected.rejections)
                log.error(f"{kind}: rejected {file.name}: {rejected}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP VIEW IF EXISTS landing_rows")
        con.execute("DROP TABLE IF EXISTS temp.parsed")
    if report.rejections:
        con.execute("ROLLBACK")
        raise FileRejected(report.rejections)
    con.execute("COMMIT")
    for f in report.files:
        if f.header_only:
            log.warning(f"{f.file.name}: header only, no data rows (accepted; adds nothing)")
        if f.invalid_nik:
            lines = ", ".join(map(str, f.invalid_nik_lines))
            more = " …" if f.invalid_nik > len(f.invalid_nik_lines) else ""
            log.warning(
                f"{f.file.name}: {f.invalid_nik} row(s) with an invalid NIK not counted "
                f"(lines {lines}{more})"
            )
        if f.skipped_totals:
            log.info(f"{f.file.name}: skipped {f.skipped_totals} province/national total row(s)")
        if f.unknown_programs:
            log.warning(f"{f.file.name}: ignored {f.unknown_programs} unknown program name(s)")
    return report


def _load_file(con, kind, seq, file, target, params) -> FileReport:
    frame = read_extract(file, kind)
    con.register("landing_rows", frame)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE parsed AS {sql(f'raw/parse_{kind}.sql')}", params or None
    )
    con.unregister("landing_rows")
    rejections = _format_errors(con, file)
    report = FileReport(file, header_only=frame.height == 0)
    if kind == "workforce":
        rejections += _duplicate_keys(con, file)
        keep = "level = 'kabkota'"
        report.skipped_totals = con.execute(
            "SELECT count(*) FROM parsed WHERE level <> 'kabkota'"
        ).fetchall()[0][0]
    else:
        keep = "true"
    if kind == "membership":
        rejections += _invalid_niks(con, file, report)
    if rejections:
        raise FileRejected(rejections)
    available = {name for name, _, _ in columns(con, "temp.parsed")}
    constants = {"source_file": file.name, "file_seq": seq, "source_line": None}
    select = ", ".join(
        "line AS source_line"
        if c == "source_line"
        else f"${c} AS {c}"
        if c in constants
        else c
        if c in available
        else f"NULL AS {c}"
        for c in target
    )
    con.execute(
        f"INSERT INTO raw.{kind} SELECT {select} FROM parsed WHERE {keep} ORDER BY line",
        {c: v for c, v in constants.items() if c in target and c != "source_line"},
    )
    report.rows = con.execute(f"SELECT count(*) FROM parsed WHERE {keep}").fetchall()[0][0]
    return report


def _format_errors(con, file: LandingFile) -> list[Rejection]:
    """Every row whose value breaks the format, per column (the first rows quoted)."""
    available = [name for name, _, _ in columns(con, "temp.parsed")]
    rejections = []
    for err in (c for c in available if c.startswith("err_")):
        column = err.removeprefix("err_")
        value = f"{column}_raw" if f"{column}_raw" in available else column
        count, rows = con.execute(
            f"""
            SELECT count(*), list([CAST(line AS VARCHAR), coalesce(CAST({value} AS VARCHAR), ''),
                                   {err}] ORDER BY line)[1:{MAX_ERRORS_PER_COLUMN}]
            FROM parsed WHERE {err} IS NOT NULL
            """
        ).fetchall()[0]
        for line, val, reason in rows or []:
            rejections.append(Rejection(file.name, int(line), column, redact(val), reason))
        if count > MAX_ERRORS_PER_COLUMN:
            rejections.append(
                Rejection(
                    file.name,
                    None,
                    column,
                    "",
                    f"{count - MAX_ERRORS_PER_COLUMN} more row(s) with errors in this column",
                )
            )
    return rejections


def _duplicate_keys(con, file: LandingFile) -> list[Rejection]:
    """The same (period, region, segment) twice in one workforce file, under any code."""
    rows = con.execute(
        f"""
        SELECT reference_period, region_code, segment,
               list(line ORDER BY line), list(region_code_raw ORDER BY line)
        FROM parsed
        WHERE level = 'kabkota' AND err_reference_period IS NULL AND err_segment IS NULL
        GROUP BY ALL HAVING count(*) > 1
        ORDER BY min(line) LIMIT {MAX_ERRORS_PER_COLUMN}
        """
    ).fetchall()
    return [
        Rejection(
            file.name,
            lines[1],
            "region_code",
            codes[1],
            f"duplicate of line {lines[0]}: period {period}, region {region}, segment {segment} "
            "appear twice in one file",
        )
        for period, region, segment, lines, codes in rows
    ]


def _invalid_niks(con, file: LandingFile, report: FileReport) -> list[Rejection]:
    total, invalid, lines, duplicates, unknown = con.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE NOT nik_valid),
               list(line ORDER BY line) FILTER (WHERE NOT nik_valid)[1:{MAX_ERRORS_PER_COLUMN}],
               count(*) - (SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (line) FROM parsed)),
               sum(unknown_programs)
        FROM parsed
        """
    ).fetchall()[0]
    report.invalid_nik, report.invalid_nik_lines = invalid, lines or []
    report.duplicate_rows, report.unknown_programs = duplicates, int(unknown or 0)
    if invalid > MAX_INVALID_NIK_SHARE * total:
        quoted = ", ".join(map(str, report.invalid_nik_lines))
        return [
            Rejection(
                file.name,
                None,
                "nik",
                "",
                f"{invalid} of {total} rows ({100 * invalid / total:.2f}%) have an invalid NIK "
                f"(not 16 digits); at most 1% is accepted (lines {quoted}"
                f"{' …' if invalid > len(report.invalid_nik_lines) else ''})",
            )
        ]
    return []
