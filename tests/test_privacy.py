"""NIKs are personal data (UU 27/2022): none is stored, logged or published, and neither
are their pseudonyms outside the working warehouse, nor the pseudonymization key.

The scans below look at everything a run writes (every column of every table of both
databases, every file under the output folder, the Dagster event log) for every NIK of
the input in any form (digits apart by anything: ``3171-0101-9000-0001`` is found), every
pseudonym (a 128-bit integer: its decimal digits, or 32 hex digits) and the key (as text,
hex, base64, and the secret derived from it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cakupan.config import (
    SAMPLE_LANDING_DIR,
    PseudonymKeyConflict,
    Settings,
)
from cakupan.extracts import MEMBERSHIP
from cakupan.landing import CsvRows, list_files, relation
from cakupan.privacy import SENSITIVE_COLUMNS, redact
from cakupan.pseudonym import PseudonymSecret
from cakupan.quality import run_suite
from cakupan.quality.catalogue import catalogues
from pipelines import cli
from pipelines.definitions import build_definitions
from tests.conftest import Landing, both_segments, nik, run_job

REPO = Path(__file__).resolve().parents[1]
MIN_DIGITS = 14  # shorter digit strings of the input are not looked for (noise)
HEX = re.compile(r"[0-9a-f]{32,}")


# ------------------------------------------------------------------------------ scanning


@dataclass
class Secrets:
    """What must not appear: NIKs (any form), pseudonyms (outside the warehouse), the key.

    A pseudonym is given as text: the decimal digits of a ``person_key`` (found as digits,
    and as its 32 hex digits), or a hex digest (found as hex)."""

    niks: set[str]
    key: bytes | None = None
    pseudonyms: set[str] = field(default_factory=set)

    def __post_init__(self):
        # A NIK written with separators is the same digits once everything else is dropped.
        self.digits: dict[int, set[str]] = {}
        for value in self.niks:
            digits = re.sub(r"\D", "", value)
            if len(digits) >= MIN_DIGITS:
                self.digits.setdefault(len(digits), set()).add(digits)
        self.pseudonym_digits: dict[int, set[str]] = {}
        self.pseudonym_hex: dict[int, set[str]] = {}
        for value in self.pseudonyms:
            if value.isdigit():
                self.pseudonym_digits.setdefault(len(value), set()).add(value)
                value = format(int(value), "032x")
            self.pseudonym_hex.setdefault(len(value), set()).add(value.lower())
        self.key_forms: list[str] = []
        if self.key:
            self.key_forms = [
                self.key.decode("utf-8").lower(),
                self.key.hex(),
                base64.b64encode(self.key).decode().lower(),
                PseudonymSecret.from_key(self.key).value.hex(),
            ]

    def in_text(self, text: str, pseudonyms: bool = True) -> list[str]:
        digits = re.sub(r"\D", "", text)
        found = sorted(
            {
                digits[i : i + n]
                for n, wanted in self.digits.items()
                for i in range(len(digits) - n + 1)
                if digits[i : i + n] in wanted
            }
        )
        lower = text.lower()
        found += [f"key as {form[:6]}…" for form in self.key_forms if form in lower]
        if pseudonyms:
            found += sorted(_windows(digits, self.pseudonym_digits))
            found += sorted(
                {h for t in HEX.findall(lower) for h in _windows(t, self.pseudonym_hex)}
            )
        return found


def _windows(text: str, wanted: dict[int, set[str]]) -> set[str]:
    """The substrings of ``text`` that are in ``wanted`` (by length)."""
    return {
        text[i : i + n]
        for n, values in wanted.items()
        for i in range(len(text) - n + 1)
        if text[i : i + n] in values
    }


def leaks_in_database(path: Path, secrets: Secrets, pseudonyms: bool = True) -> dict:
    """Every column of every table, whatever its type, cast to text (BLOBs also as hex)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return _leaks_in_tables(con, secrets, pseudonyms)


INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip


def _leaks_in_tables(con, secrets: Secrets, pseudonyms: bool) -> dict:
    con.execute("CREATE OR REPLACE TEMP TABLE secret_digits (digits VARCHAR, n INTEGER)")
    digits = [d for ds in secrets.digits.values() for d in ds]
    con.execute("INSERT INTO secret_digits SELECT d, length(d) FROM unnest(?) t(d)", [digits])
    con.execute("CREATE OR REPLACE TEMP TABLE secret_keys (k VARCHAR, n INTEGER, hex BOOLEAN)")
    keys = [(k, n, False) for n, ks in secrets.pseudonym_digits.items() for k in ks]
    keys += [(k, n, True) for n, ks in secrets.pseudonym_hex.items() for k in ks]
    if keys:  # as three lists in one statement (executemany of 10^5 rows takes minutes)
        con.execute(
            "INSERT INTO secret_keys SELECT unnest(?), unnest(?), unnest(?)",
            [list(column) for column in zip(*keys, strict=True)],
        )
    columns = con.execute(
        "SELECT database_name, schema_name, table_name, column_name, data_type "
        "FROM duckdb_columns() WHERE NOT internal AND schema_name <> 'pg_catalog' "
        "AND table_name NOT IN ('secret_digits', 'secret_keys')"
    ).fetchall()
    assert columns
    leaks = {}
    for database, schema, table, column, data_type in columns:
        name = f'"{database}"."{schema}"."{table}"'
        text = f'CAST("{column}" AS VARCHAR)'
        if data_type == "BLOB":
            text = f"""(CAST("{column}" AS VARCHAR) || ' ' || hex("{column}"))"""
        # An integer column (a 128-bit person_key, say) holds a NIK only as its whole value:
        # compared whole, where text is searched at every offset (much slower).
        integer = data_type in INTEGER_TYPES
        if integer:  # (casting 10^5 128-bit integers to text takes seconds: compare numbers)
            nik_query = f"""
            SELECT list(DISTINCT s.digits) FROM (SELECT DISTINCT "{column}" AS v FROM {name}) v
            JOIN secret_digits s ON TRY_CAST(s.digits AS {data_type}) = v.v
            """
        else:
            nik_query = f"""
            WITH v AS (SELECT DISTINCT {text} AS v FROM {name} WHERE "{column}" IS NOT NULL),
            d AS (SELECT regexp_replace(v, '[^0-9]', '', 'g') AS d FROM v),
            w AS (
                SELECT d, n, unnest(range(1, length(d) - n + 2)) AS i
                FROM d, (SELECT DISTINCT n FROM secret_digits)
                WHERE length(d) >= n
            )
            SELECT list(DISTINCT digits) FROM w JOIN secret_digits s
              ON s.n = w.n AND s.digits = substr(w.d, w.i, w.n)
            """
        found = con.execute(nik_query).fetchall()[0][0] or []
        # an integer's text holds only digits: a key form with a letter cannot be in it
        if any(f.isdigit() for f in secrets.key_forms) or (secrets.key_forms and not integer):
            forms = con.execute(
                f"""SELECT list(DISTINCT f ORDER BY list_position(?, f))
                    FROM (SELECT DISTINCT lower({text}) AS v FROM {name}) AS v, unnest(?) AS t(f)
                    WHERE contains(v, f)""",
                [secrets.key_forms, secrets.key_forms],
            ).fetchall()[0][0]
            found += [f"key as {form[:6]}…" for form in forms or []]
        if pseudonyms and secrets.pseudonyms:
            found += (
                con.execute(
                    f"""
            WITH v AS (SELECT DISTINCT lower({text}) AS v FROM {name} WHERE "{column}" IS NOT NULL),
            t AS (
                SELECT regexp_replace(v, '[^0-9]', '', 'g') AS t, false AS hex FROM v
                UNION ALL
                SELECT unnest(regexp_extract_all(v, '[0-9a-f]{{32,}}')), true FROM v
            ),
            w AS (
                SELECT t, hex, n, unnest(range(1, length(t) - n + 2)) AS i
                FROM t JOIN (SELECT DISTINCT n, hex FROM secret_keys) USING (hex)
                WHERE length(t) >= n
            )
            SELECT list(DISTINCT k ORDER BY k) FROM w JOIN secret_keys s
              ON s.hex = w.hex AND s.n = w.n AND s.k = substr(w.t, w.i, w.n)
            """
                ).fetchall()[0][0]
                or []
            )
        if found:
            leaks[f"{schema}.{table}.{column}"] = found
    return leaks


def leaks_in_output(output: Path, secrets: Secrets) -> tuple[dict, list[str]]:
    """Leaks in every file under the output folder, and the files scanned.

    Pseudonyms are allowed only in ``private/warehouse.duckdb`` (where the pipeline needs
    them).
    """
    leaks, scanned = {}, []
    for path in sorted(p for p in output.rglob("*") if p.is_file()):
        name = path.relative_to(output).as_posix()
        scanned.append(name)
        if path.suffix == ".duckdb":
            found = leaks_in_database(path, secrets, pseudonyms=name != "private/warehouse.duckdb")
        elif path.suffix == ".parquet":
            with duckdb.connect() as con:
                con.execute("CREATE TABLE parquet AS FROM read_parquet(?)", [str(path)])
                found = _leaks_in_tables(con, secrets, pseudonyms=True)
        else:  # text, or bytes read as text: a NIK in ASCII is found either way
            found = secrets.in_text(path.read_bytes().decode("utf-8", errors="replace"))
        if found:
            leaks[name] = found
    return leaks, scanned


def event_log_text(instance: dg.DagsterInstance, run_id: str) -> str:
    """The whole Dagster event log of a run, serialized (messages, metadata, errors)."""
    return "\n".join(dg.serialize_value(record) for record in instance.all_logs(run_id))


def warehouse_pseudonyms(settings: Settings) -> set[str]:
    """Every person_key of the warehouse, as decimal text."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            str(k)
            for (k,) in con.execute(
                "SELECT DISTINCT person_key FROM raw.membership WHERE person_key IS NOT NULL"
            ).fetchall()
        }


def test_the_scans_find_what_they_look_for(tmp_path):
    """The scanners themselves: each form of each secret is found, in text and tables."""
    number = nik(42)
    pseudonym = hashlib.sha256(b"x").hexdigest()
    key = expected_person_key(b"k3y", number)
    secrets = Secrets({number, "6172010190XX0042"}, b"k3y", {pseudonym, str(key)})
    dashed = "-".join(number[i : i + 4] for i in range(0, 16, 4))
    assert secrets.in_text(f"id {dashed}.") == [number]
    assert secrets.in_text("id 6172 0101 90XX 0042") == ["61720101900042"]
    assert secrets.in_text(f"x {pseudonym.upper()} y") == [pseudonym]
    assert secrets.in_text(f"person {key}") == [str(key)]
    assert secrets.in_text(f"person 0x{key:032X}") == [f"{key:032x}"]
    assert secrets.in_text(f"{b'k3y'.hex()}") == ["key as 6b3379…"]
    assert secrets.in_text("2025-06-30 61.72 16684 73236") == []
    db = tmp_path / "t.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA s")
        con.execute(
            "CREATE TABLE s.t AS SELECT CAST(? AS BIGINT) AS n, CAST(? AS DOUBLE) AS d, "
            "CAST(? AS BLOB) AS b, ? AS p, CAST(? AS UHUGEINT) AS k, to_hex(k) AS h, 1 AS ok",
            [number, number, "k3y", pseudonym, str(key)],
        )
    found = leaks_in_database(db, secrets)
    assert found == {
        "s.t.n": [number],
        "s.t.d": [number],  # a DOUBLE's text still has the digits
        "s.t.b": ["key as k3y…", "key as 6b3379…"],
        "s.t.p": [pseudonym],
        "s.t.k": [str(key)],
        "s.t.h": [f"{key:032x}"],
    }
    assert not {"s.t.p", "s.t.k", "s.t.h"} & set(leaks_in_database(db, secrets, pseudonyms=False))


# ------------------------------------------------------------------------------ redact


@pytest.mark.parametrize(
    "text",
    [
        "3171010190000001",
        "3171-0101-9000-0001",
        "3171 0101 9000 0001",
        "31.71.01.010190.0001",
        "3171 - 0101 - 9000 - 0001",
        "3171\u00a00101\u00a09000\u00a00001",  # no-break spaces
        "3171\u20130101\u20139000\u20130001",  # en dashes
    ],
)
def test_redact_masks_a_nik_written_any_way(text):
    masked = redact(f"value '{text}' is not a region")
    assert masked == "value '<16 digits>' is not a region"


@pytest.mark.parametrize(
    "text",
    ["61.72", "2025-06-30", "lines 2, 3, 4", "5.089.783", "617201019000001", "31710101900000012"],
)
def test_redact_leaves_other_numbers(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    "text, masked",
    [
        ("2025-06-30 3171010190000001", "2025-06-30 <16 digits>"),  # a NIK next to a date
        ("99999999999999999999", "99999999999999999999"),  # too long for a NIK: quoted
        ("9.223.372.036.854.775.808", "9.223.372.036.854.775.808"),
    ],
)
def test_redact_in_longer_runs_of_digits(text, masked):
    assert redact(text) == masked


@given(
    digits=st.text("0123456789", min_size=16, max_size=16),
    gaps=st.lists(
        st.sampled_from(["", " ", "-", ".", " - ", "\u00a0", "\u2013"]), min_size=15, max_size=15
    ),
    before=st.sampled_from(["", "value '", "x", "line 3: "]),
    after=st.sampled_from(["", "'", " rows", ", 2025-06-30"]),
)
def test_redact_leaves_no_nik_however_written(digits, gaps, before, after):
    written = digits[0] + "".join(g + d for g, d in zip(gaps, digits[1:], strict=True))
    masked = redact(before + written + after)
    assert digits not in re.sub(r"\D", "", masked)
    assert masked == before + "<16 digits>" + after


def test_redact_masks_a_pseudonym():
    key = hashlib.sha256(b"x").hexdigest()
    assert redact(f"row {key} twice") == "row <pseudonym> twice"


@pytest.mark.parametrize("form", ["{}", "{:032x}", "0x{:032X}"])
def test_redact_masks_a_person_key_as_duckdb_prints_it(form):
    """A person_key is a UHUGEINT: its decimal digits (up to 39) or its 32 hex digits."""
    for number in (nik(1), nik(2)):
        key = expected_person_key(b"k3y", number)
        assert redact(f"person {form.format(key)} twice") == "person <pseudonym> twice"


# -------------------------------------------------------------------------- the sample run


@pytest.fixture(scope="module")
def sample_niks() -> set[str]:
    """The sample's NIKs, read with polars (not with the code under test)."""
    niks = set()
    for path in sorted((SAMPLE_LANDING_DIR / "membership").iterdir()):
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(path, infer_schema=False)
        niks |= {str(v).strip() for v in frame["nik"].drop_nulls().to_list()}
    assert len(niks) > 100_000
    return niks


def test_nothing_the_sample_run_writes_holds_a_nik_pseudonym_or_the_key(sample_run, sample_niks):
    run, instance = sample_run
    secrets = Secrets(sample_niks, b"sample-test-key", warehouse_pseudonyms(run.settings))
    assert len(secrets.pseudonyms) > 100_000
    leaks, scanned = leaks_in_output(run.settings.output, secrets)
    assert leaks == {}
    # the scan really covered the databases, the results and the Data Docs
    assert {
        "private/warehouse.duckdb",
        "coverage.duckdb",
        "quality/validation_results.parquet",
    } <= set(scanned)
    assert "quality/data_docs/index.html" in scanned
    assert any(n.startswith("quality/data_docs/_gx_store/validations/") for n in scanned)
    log = "\n".join(event_log_text(instance, r.run_id) for r in run.result.results)  # 2 phases
    assert "no_invalid_nik" in log and "raw__membership" in log  # the log is really there
    assert secrets.in_text(log) == []


def test_the_sql_log_holds_statements_only(sample_run, sample_niks):
    """DuckDB's statement log (CAKUPAN_SQL_LOG) has every statement's text, never a value:
    the NIKs are read from the files and the key comes as a query parameter."""
    run, _ = sample_run
    text = (Path(run.settings.sql_log) / "duckdb_log_entries.csv").read_text(encoding="utf-8")
    assert "INSERT INTO raw.membership_loading" in text and "$pseudonym_secret" in text
    assert "INSERT INTO staging.membership" in text and "Commit" in text
    secret = PseudonymSecret.from_key(b"sample-test-key").value
    secrets = Secrets(sample_niks, b"sample-test-key", warehouse_pseudonyms(run.settings))
    assert secrets.in_text(text) == []
    assert secret.hex() not in text.lower() and secret.hex().upper() not in text


def test_the_published_database_holds_no_person_level_table(sample_run):
    run, _ = sample_run
    with duckdb.connect(str(run.settings.published_path), read_only=True) as con:
        columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns()").fetchall()}
    assert columns and not columns & SENSITIVE_COLUMNS


# ---------------------------------------------------------------------------- rejections


def test_rejected_rows_never_show_a_nik_with_separators(landing, output):
    dashed, spaced, dotted = "3171-0101-9000-0001", "3171 0101 9000 0002", "31.71.01.010190.0003"
    landing.workforce(both_segments("2024-08", "61.72", 100, 100))
    landing.membership(
        [
            ["2025-06-30", nik(1), "PU", dashed, "AKTIF", "JKK,JKM", ""],  # NIK as region
            ["2025-06-30", nik(2), "PU", "61.72", "AKTIF", "JKK,JKM", spaced],  # as a date
            ["2025-06-30", dotted, "PU", "61.72", "AKTIF", "JKK,JKM", ""],  # invalid NIK
        ]
    )
    landing.targets([[2025, "61.72", "35"]])
    run = run_job(landing.root, output)
    assert not run.success
    csv_text = run.settings.rejected_files_path.read_text()
    assert "members.csv,2,region_code,<16 digits>," in csv_text
    assert "members.csv,3,registered_on,<16 digits>," in csv_text
    secrets = Secrets({dashed, spaced, dotted, nik(1), nik(2)})
    leaks, scanned = leaks_in_output(output, secrets)
    assert leaks == {} and "rejected_files.csv" in scanned
    messages = " ".join(str(e) for e in run.result.all_events)
    assert "<16 digits>" in messages and secrets.in_text(messages) == []


# ----------------------------------------------------------- a failing check on person_key


def _small_landing(landing: Landing) -> list[str]:
    landing.workforce(both_segments("2024-08", "61.72", 100, 100))
    niks = [nik(i) for i in range(6)]
    landing.membership(
        [["2025-06-30", n, "PU", "61.72", "AKTIF", "JKK,JKM", "2020-01-01"] for n in niks]
    )
    landing.targets([[2025, "61.72", "35"]])
    return niks


def test_a_failing_person_key_check_shows_no_pseudonym(landing, output):
    niks = _small_landing(landing)
    assert run_job(landing.root, output).success
    settings = Settings(landing_dir=str(landing.root), output_dir=str(output))
    pseudonyms = warehouse_pseudonyms(settings)
    assert len(pseudonyms) == 6
    # two persons twice in one snapshot and segment: the uniqueness check fails. It checks the
    # persons whose pseudonym is in its first sixteenth: these two get one there (>> 4), and
    # source_rows 0 so that staging's rows still add up to raw's (that check passes)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "INSERT INTO staging.membership SELECT m.* REPLACE (m.person_key >> 4 AS person_key, "
            "0 AS source_rows) FROM (FROM staging.membership ORDER BY person_key LIMIT 2) AS m, "
            "range(2)"
        )
        pseudonyms |= {
            str(k) for (k,) in con.execute("SELECT person_key FROM staging.membership").fetchall()
        }
    key = dg.AssetKey(["staging", "membership"])
    job = dg.define_asset_job(
        "checks_only",
        selection=dg.AssetSelection.checks_for_assets(key),
        executor_def=dg.in_process_executor,
    )
    defs = dg.Definitions.merge(build_definitions(settings), dg.Definitions(jobs=[job]))
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("checks_only").execute_in_process(
            instance=instance, raise_on_error=False
        )
        log = event_log_text(instance, result.run_id)
    failed = {e.check_name: e for e in result.get_asset_check_evaluations() if not e.passed}
    assert set(failed) == {"one_row_per_person_and_segment"}
    metadata = failed["one_row_per_person_and_segment"].metadata
    assert metadata["unexpected count"].value == 2  # two persons, on four rows
    assert metadata["observed value"].value == (
        "2025-06-30: FAILED: 2 persons with more than one row in a snapshot and segment (4 rows)"
    )
    assert "2025-06-30" in metadata["failing rows (sample)"].value

    secrets = Secrets(set(niks), b"test-key-not-secret", pseudonyms)
    leaks, scanned = leaks_in_output(output, secrets)
    assert leaks == {}
    run = f"staging/membership/{result.run_id}/"  # this run's results and page were scanned
    assert any(n.startswith(f"quality/data_docs/_gx_store/validations/{run}") for n in scanned)
    assert any(n.startswith(f"quality/data_docs/validations/{run}") for n in scanned)
    assert secrets.in_text(log) == [] and "one_row_per_person_and_segment" in log


@pytest.fixture
def people_db(tmp_path) -> Path:
    """A staging.membership-like table where one person appears twice."""
    db = tmp_path / "people.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA staging")
        con.execute(
            # pseudonyms in the sixteenth the uniqueness check reads (first hex digit 0)
            """CREATE TABLE staging.membership AS
               SELECT DATE '2025-06-30' AS snapshot_date,
                      CAST('0x0' || left(sha256('n' || (i % 3)), 31) AS UHUGEINT) AS person_key,
                      lpad(CAST(i % 3 AS VARCHAR), 16, '7') AS nik, 'PU' AS segment,
                      CASE WHEN i = 0 THEN NULL ELSE '61.72' END AS region_code,
                      DATE '2020-01-01' AS registered_on, 1 AS source_rows
               FROM range(4) r(i)"""
        )
        con.execute("CREATE SCHEMA raw")  # the four rows staging says it holds
        con.execute(
            "CREATE TABLE raw.membership AS SELECT DATE '2025-06-30' AS snapshot_date, "
            "true AS nik_valid FROM range(4)"
        )
    return db


def test_the_runner_never_samples_a_sensitive_column(people_db, tmp_path):
    suite = catalogues()["staging.membership"].suite()
    suite["expectations"] += [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "person_key"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "nik"}},
        {
            "type": "unexpected_rows_expectation",
            "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch} WHERE person_key > 0"},
            "meta": {"name": "every_row"},
        },
    ]
    docs = tmp_path / "quality" / "data_docs"
    outcomes = run_suite(people_db, suite, "staging.membership", docs, run_name="r1")
    by = {o.expectation: o for o in outcomes}
    assert (by["one_row_per_person_and_segment"].unexpected_count, by["every_row"].success) == (
        1,  # one person, on two rows
        False,
    )
    assert by["column_values_to_be_unique__person_key"].unexpected_count == 2
    sample = by["every_row"].sample  # SELECT *, without the NIK and the pseudonym
    assert len(sample) == 4
    assert {tuple(row) for row in sample} == {
        ("snapshot_date", "segment", "region_code", "registered_on", "source_rows")
    }
    with duckdb.connect(str(people_db), read_only=True) as con:
        rows = con.execute("SELECT person_key, nik FROM staging.membership").fetchall()
    secrets = Secrets({n for _, n in rows}, pseudonyms={str(k) for k, _ in rows})
    assert secrets.in_text(repr(outcomes)) == []
    leaks, scanned = leaks_in_output(tmp_path / "quality", secrets)
    assert leaks == {} and any("_gx_store/validations" in n for n in scanned)


@pytest.mark.parametrize(
    "expectation",
    [
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "person_key"}},
        {
            "type": "expect_column_distinct_values_to_be_in_set",
            "kwargs": {"column": "NIK", "value_set": ["x"]},
        },
    ],
)
def test_an_expectation_that_would_report_a_sensitive_value_is_refused(people_db, expectation):
    suite = {"name": "s", "expectations": [expectation]}
    with pytest.raises(ValueError, match="personal data"):
        run_suite(people_db, suite, "staging.membership")


# --------------------------------------------------------------------------------- the key


def expected_person_key(key: bytes, number: str) -> int:
    """The documented pseudonym (README, Privacy), computed here with hashlib: the first 128
    bits of SHA-256(S || NIK), S = HMAC-SHA256(key, "cakupan person_key v2")."""
    secret = hmac.new(key, b"cakupan person_key v2", hashlib.sha256).digest()
    return int.from_bytes(hashlib.sha256(secret + number.encode()).digest()[:16], "big")


def test_pseudonym_is_a_keyed_sha256_of_the_trimmed_nik(landing, output, monkeypatch):
    monkeypatch.setenv("CAKUPAN_PSEUDONYM_KEY", "k" * 100)
    number = nik(1)
    landing.workforce(both_segments("2024-08", "61.72", 100, 100))
    landing.membership([["2025-06-30", f" {number} ", "PU", "61.72", "AKTIF", "JKK,JKM", ""]])
    run = run_job(landing.root, output)
    assert run.success
    with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
        ((stored, type_),) = con.execute(
            "SELECT person_key, typeof(person_key) FROM raw.membership"
        ).fetchall()
    assert (stored, type_) == (expected_person_key(b"k" * 100, number), "UHUGEINT")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def no_key(monkeypatch, tmp_path):
    """No key in the environment, and a home of our own."""
    monkeypatch.delenv("CAKUPAN_PSEUDONYM_KEY")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return Settings(landing_dir=str(tmp_path), output_dir=str(tmp_path / "out"))


def test_key_file_is_created_once_in_the_config_home(no_key, tmp_path, monkeypatch, capsys):
    config = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    first = no_key.pseudonym_key()
    key_file = config / "cakupan" / "pseudonym.key"
    assert key_file.read_text().strip().encode() == first and len(first) == 64
    assert (_mode(key_file), _mode(key_file.parent)) == (0o600, 0o700)
    told = capsys.readouterr().err  # said once, when created: where, and to back it up
    assert f"created a new pseudonymization key in {key_file}" in told
    assert "Back it up" in told and "read again" in told and first.decode() not in told
    assert no_key.pseudonym_key() == first
    assert capsys.readouterr().err == ""
    assert not (tmp_path / "out" / "pseudonym.key").exists()
    assert [p.name for p in key_file.parent.iterdir()] == ["pseudonym.key"]  # no temp left


@pytest.mark.parametrize("xdg", [None, "relative/config"])  # a relative value is ignored
def test_key_file_defaults_to_dot_config(no_key, tmp_path, monkeypatch, xdg):
    if xdg:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    key = no_key.pseudonym_key()
    key_file = tmp_path / "home" / ".config" / "cakupan" / "pseudonym.key"
    assert key_file.read_text().strip().encode() == key
    assert (_mode(key_file), _mode(key_file.parent), _mode(key_file.parent.parent)) == (
        0o600,
        0o700,
        0o700,
    )


def test_a_key_in_the_output_folder_is_moved_out(no_key, tmp_path, capsys):
    old = tmp_path / "out" / "pseudonym.key"
    old.parent.mkdir()
    old.write_text("an-old-secret-key\n")
    assert no_key.pseudonym_key() == b"an-old-secret-key"
    new = tmp_path / "home" / ".config" / "cakupan" / "pseudonym.key"
    assert not old.exists() and new.read_text() == "an-old-secret-key\n"
    assert (_mode(new), _mode(new.parent)) == (0o600, 0o700)
    message = capsys.readouterr().err
    assert f"moved the pseudonymization key {old} to {new}" in message
    assert "an-old-secret-key" not in message
    assert no_key.pseudonym_key() == b"an-old-secret-key"  # and used from there on


def test_the_same_key_left_in_the_output_folder_is_removed(no_key, tmp_path, capsys):
    key = no_key.pseudonym_key()
    old = tmp_path / "out" / "pseudonym.key"
    old.parent.mkdir()
    old.write_text(key.decode() + "\n")
    assert no_key.pseudonym_key() == key
    assert not old.exists()
    assert f"removed {old}" in capsys.readouterr().err


def test_two_different_keys_are_never_replaced(no_key, tmp_path):
    new_key = no_key.pseudonym_key()
    new = tmp_path / "home" / ".config" / "cakupan" / "pseudonym.key"
    old = tmp_path / "out" / "pseudonym.key"
    old.parent.mkdir()
    old.write_text("an-old-secret-key\n")
    with pytest.raises(PseudonymKeyConflict) as error:
        no_key.pseudonym_key()
    message = str(error.value)
    assert str(old) in message and str(new) in message and "Keep the one" in message
    assert "an-old-secret-key" not in message and new_key.decode() not in message
    assert old.read_text() == "an-old-secret-key\n"
    assert new.read_text().strip().encode() == new_key


def test_a_run_with_the_key_file_leaves_no_key_in_its_output(landing, output, no_key, tmp_path):
    niks = _small_landing(landing)
    run = run_job(landing.root, output)
    assert run.success
    key_file = tmp_path / "home" / ".config" / "cakupan" / "pseudonym.key"
    key = key_file.read_text().strip().encode()
    with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
        (stored,) = con.execute("SELECT min(person_key) FROM raw.membership").fetchall()[0]
    assert stored in {expected_person_key(key, n) for n in niks}
    assert not list(output.rglob("*.key"))
    leaks, _ = leaks_in_output(output, Secrets(set(niks), key, warehouse_pseudonyms(run.settings)))
    assert leaks == {}


# ------------------------------------------------------------------------------ the reader


def test_both_readers_keep_columns_as_text(tmp_path):
    land = Landing(tmp_path / "l")
    land.membership([["2025-06-30", "0012345678901234", "PU", "61.70", "AKTIF", "", ""]])
    (file,), _ = list_files(land.root, MEMBERSHIP)
    with duckdb.connect() as con:
        query = f"SELECT nik, region_code, typeof(nik) FROM ({relation(con, file, MEMBERSHIP)})"
        assert con.execute(query).fetchall() == [("0012345678901234", "61.70", "VARCHAR")]
    (frame,) = CsvRows(file, MEMBERSHIP).chunks()
    assert frame.schema["nik"] == pl.String and frame["nik"][0] == "0012345678901234"
    assert frame["region_code"][0] == "61.70"
    assert set(MEMBERSHIP.columns) <= set(frame.columns)


def test_a_key_conflict_stops_run_and_validate_naming_both_files(
    landing, output, no_key, capsys, monkeypatch
):
    for name in ("CAKUPAN_LANDING_DIR", "CAKUPAN_OUTPUT_DIR"):  # cli.main sets them
        monkeypatch.setenv(name, "")
    _small_landing(landing)
    new = no_key.key_path
    new.parent.mkdir(parents=True)
    new.write_text("the-new-key\n")
    old = output / "pseudonym.key"
    output.mkdir()
    old.write_text("the-old-key\n")
    run = run_job(landing.root, output)
    assert not run.success
    assert cli._explain_failure(run.result, run.settings) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert str(old) in err and str(new) in err and "replaces neither" in err
    status = cli.main(["validate", "--landing", str(landing.root), "--output", str(output)])
    assert status == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert str(old) in err and str(new) in err
    assert "the-old-key" not in err and "the-new-key" not in err
    assert (old.read_text(), new.read_text()) == ("the-old-key\n", "the-new-key\n")
    assert not (output / "coverage.duckdb").exists()
