"""The three kinds of landing extract, one specification each.

Everything ingest (``cakupan.ingest``), the raw assets (``assets/raw.py``) and the docs need
to know about a kind lives in its :class:`Extract` and in the SQL files it names:

- ``sql/raw/<name>.sql`` creates ``raw.<name>``;
- ``sql/raw/parse_<name>.sql`` types and checks one file: each ``err_<column>`` is NULL
  when the value is fine, else the reason the file is rejected (the only place that says
  a row is bad);
- ``checks``: SQL files over ``file_rows`` (the well-formed rows of one or more files, in
  ``raw.<name>``'s columns), each returning the rejections of a rule that looks at more
  than one row (``source_file, line, column, value, reason``); ``check_sql`` gives their
  text, ``sql/raw/check_duplicate_keys.sql`` filled with the kind's ``duplicate_key``;
- ``figures``: a SQL file over ``file_rows`` returning one row of figures per file, shown
  in the asset's metadata and logged when a figure has a note and is not zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cakupan.sqlfiles import sql

DUPLICATE_KEYS = "raw/check_duplicate_keys.sql"  # one key twice in a file, rejected
REGION_ALIASES = (
    ("kode", "region_code"),
    ("kode_wilayah", "region_code"),
    ("kode_bps", "region_code"),
    ("nama", "region_name"),
    ("nama_wilayah", "region_name"),
    ("kabupaten/kota", "region_name"),
    ("periode", "reference_period"),
)


@dataclass(frozen=True)
class Figure:
    """A figure of the ``figures`` query of a kind (a column of its row per file)."""

    name: str
    label: str  # heading in the table of files of the asset's metadata
    note: str = ""  # logged when not zero: a format string over the row's columns
    level: str = "warning"


@dataclass(frozen=True)
class Extract:
    """One kind of landing extract: folder ``<name>/``, table ``raw.<name>``."""

    name: str
    description: str  # of ``raw.<name>`` (the Dagster asset)
    columns: tuple[str, ...]  # required, in the contract's order (headers: any case/order)
    extensions: tuple[str, ...]  # file names ending so are read, anything else is skipped
    references: tuple[str, ...]  # reference tables the parse joins (the asset's upstreams)
    keep: str = "true"  # SQL condition on a parsed row for it to go into raw.<name>
    skipped_note: str = ""  # what the parsed rows not kept are, for the log
    checks: tuple[str, ...] = ()  # sql/raw files: rejections of rules over whole files
    # DUPLICATE_KEYS's key: ((word, column) of the round or snapshot, (word, column) beside
    # the kab/kota), e.g. (("period", "reference_period"), ("segment", "segment"))
    duplicate_key: tuple[tuple[str, str], ...] = ()
    figures: str | None = None  # sql/raw file: one row of figures per accepted file
    figure_notes: tuple[Figure, ...] = ()
    pseudonymized: bool = False  # the parse takes the keyed hash's parameters
    prepared: bool = False  # the parse reads `prepared_rows`, sql/raw/prepare_<name>.sql
    dates: tuple[str, ...] = ()  # Parquet: a timestamp here is read as its date in Jakarta
    counts: tuple[str, ...] = ()  # Parquet: a float or decimal here must be a whole number
    identifiers: tuple[str, ...] = ()  # Parquet: string or int64 only (never a float)
    percentages: tuple[str, ...] = ()  # Excel: a cell formatted as a percentage is x 100
    aliases: tuple[tuple[str, str], ...] = ()  # (header, column): loose headers (sheets.py)
    reshape: str | None = None  # "module:function" turning the read frame into columns

    @property
    def alias_map(self) -> dict[str, str]:
        """Header -> column: the region-code aliases (every kind), then the kind's own."""
        return dict(REGION_ALIASES[:3] + self.aliases)

    @property
    def table(self) -> str:
        return f"raw.{self.name}"

    @property
    def table_sql(self) -> str:
        return f"raw/{self.name}.sql"

    @property
    def parse_sql(self) -> str:
        return f"raw/parse_{self.name}.sql"

    @property
    def prepare_sql(self) -> str | None:
        """The row-by-row part of the parse (no join: the rows keep their order), if any."""
        return f"raw/prepare_{self.name}.sql" if self.prepared else None

    @property
    def sql_files(self) -> tuple[str, ...]:
        """Every sql/ file the kind's ingest runs (its code version)."""
        prepare = (self.prepare_sql,) if self.prepare_sql else ()
        figures = (self.figures,) if self.figures else ()
        return ("raw/macros.sql", self.table_sql, *prepare, self.parse_sql, *self.checks, *figures)

    def check_sql(self, name: str) -> str:
        """The text of the check ``name`` (a file of ``checks``), filled with the kind's
        ``duplicate_key`` when it is DUPLICATE_KEYS."""
        if name != DUPLICATE_KEYS:
            return sql(name)
        (when_word, when), (what_word, what) = self.duplicate_key
        return sql(name).format(when=when, when_word=when_word, what=what, what_word=what_word)

    def parse(self, prepared_rows: str | None = None) -> str:
        """The parse over ``landing_rows``; or, when given, over ``prepared_rows`` (a
        relation: the rows of sql/raw/prepare_<name>.sql), which the parse reads
        ``FROM prepared_rows`` (by default sql/raw/prepare_<name>.sql itself, inlined)."""
        text = sql(self.parse_sql)
        if not self.prepared:
            return text
        rows = prepared_rows or f"({sql(self.prepare_sql)}\n)"
        return re.sub(r"\bFROM prepared_rows\b", lambda _: f"FROM {rows}", text)


WORKFORCE = Extract(
    name="workforce",
    description=(
        "Workforce estimates (BPS Sakernas): potential PU and BPU workers per kab/kota and "
        "round, from every `.csv`/`.parquet` in `workforce/`; region codes translated to "
        "today's Kemendagri codes; province and national totals skipped."
    ),
    columns=("reference_period", "region_code", "region_name", "segment", "potential_workers"),
    extensions=(".csv", ".parquet", ".xlsx", ".xls"),
    references=("region_codes",),
    keep="level = 'kabkota'",
    skipped_note="province/national total row(s)",
    checks=(DUPLICATE_KEYS,),
    duplicate_key=(("period", "reference_period"), ("segment", "segment")),
    counts=("potential_workers",),
)

MEMBERSHIP = Extract(
    name="membership",
    description=(
        "BPJS Ketenagakerjaan membership rows from every `.csv`, `.csv.gz` and `.parquet` in "
        "`membership/`. The NIK is replaced by a keyed pseudonym as it is read, with flags "
        "for its validity and structure; it is never stored."
    ),
    columns=(
        "snapshot_date",
        "nik",
        "segment",
        "region_code",
        "status",
        "programs",
        "registered_on",
    ),
    extensions=(".csv", ".csv.gz", ".parquet"),
    references=("region_codes", "districts"),
    checks=("raw/check_invalid_nik_share.sql",),
    figures="raw/figures_membership.sql",
    figure_notes=(
        Figure(
            "invalid_nik",
            "invalid NIK rows",
            "{invalid_nik} row(s) with an invalid NIK not counted ({invalid_nik_lines})",
        ),
        Figure(
            "unknown_programs",
            "unknown program names",
            "ignored {unknown_programs} unknown program name(s)",
        ),
    ),
    pseudonymized=True,
    prepared=True,
    dates=("snapshot_date", "registered_on"),
    identifiers=("nik",),
)

TARGETS = Extract(
    name="targets",
    description=(
        "UCJ coverage targets per year and kab/kota from every `.csv`/`.xlsx` in `targets/`."
    ),
    columns=("year", "region_code", "target_pct"),
    extensions=(".csv", ".xlsx", ".xls"),
    references=("region_codes",),
    counts=("year",),
    percentages=("target_pct",),
)


SAKERNAS = Extract(
    name="sakernas",
    description=(
        "BPS Sakernas workers per kab/kota and main employment status (status pekerjaan "
        "utama 1-7, and ASN/TNI/Polri), from every `.csv`/`.xlsx` in `sakernas/`, long or "
        "wide form; province and national totals skipped. The status mapping turns them "
        "into PU and BPU potentials (staging)."
    ),
    columns=("reference_period", "region_code", "region_name", "status", "workers"),
    extensions=(".csv", ".xlsx", ".xls"),
    references=("region_codes",),
    keep="level = 'kabkota'",
    skipped_note="province/national total row(s)",
    checks=(DUPLICATE_KEYS,),
    duplicate_key=(("period", "reference_period"), ("status", "status")),
    aliases=REGION_ALIASES,
    reshape="cakupan.sakernas:to_long",
)

MEMBERSHIP_COUNTS = Extract(
    name="membership_counts",
    description=(
        "Membership as counts of covered persons (active with JKK and JKM) per snapshot, "
        "kab/kota and segment, from every `.csv`/`.xlsx` in `membership_counts/`; used for a "
        "(snapshot, kab/kota) without participant rows."
    ),
    columns=("snapshot_date", "region_code", "segment", "covered"),
    extensions=(".csv", ".xlsx", ".xls"),
    references=("region_codes",),
    checks=(DUPLICATE_KEYS, "raw/check_counts_conflict.sql"),
    duplicate_key=(("snapshot", "snapshot_date"), ("segment", "segment")),
    aliases=REGION_ALIASES[:3],
)

EXTRACTS: dict[str, Extract] = {
    e.name: e for e in (WORKFORCE, MEMBERSHIP, TARGETS, SAKERNAS, MEMBERSHIP_COUNTS)
}
