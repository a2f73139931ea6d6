"""Accepted landing formats (issue 3, "Landing layout and extract formats").

One landing folder holds every accepted variant, each in its own file and kab/kota, and
the real Dagster job runs once over it; each test checks what its file became in the
warehouse's raw tables (per ``source_file``) and in the published result.
"""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from decimal import Decimal

import dagster as dg
import duckdb
import polars as pl
import pytest

from cakupan.config import Settings
from pipelines.definitions import build_definitions
from tests.conftest import (
    MEMBERSHIP_HEADER,
    WORKFORCE_HEADER,
    Landing,
    Run,
    both_segments,
    execute_job,
    nik,
)

SNAP = "2025-06-30"
COVERED = "JKK,JKM"


def member(n, region, snapshot=SNAP, segment="PU", registered="2020-01-01"):
    return [snapshot, nik(n), segment, region, "AKTIF", COVERED, registered]


def text_csv(header, rows, sep=",", newline="\n", quote_all=False) -> str:
    def cell(v):
        v = str(v)
        return f'"{v}"' if quote_all or sep in v or '"' in v else v

    return "".join(sep.join(map(cell, r)) + newline for r in [header, *rows])


def membership_frame(rows: list[list], **types) -> pl.DataFrame:
    columns = {c: [r[i] for r in rows] for i, c in enumerate(MEMBERSHIP_HEADER)}
    return pl.DataFrame(columns, schema_overrides=types)


def build(landing: Landing) -> None:
    wf, ms, tg = "workforce", "membership", "targets"
    header = ",".join(WORKFORCE_HEADER)

    # -- workforce: CSV dialects (round 2024-08, one kab/kota each) -----------------------
    landing.text(
        wf,
        "wf_bom.csv",
        "\ufeff" + text_csv(WORKFORCE_HEADER, both_segments("2024-08", "11.01", 101, 102)),
    )
    landing.text(
        wf,
        "wf_upper.csv",
        text_csv(
            [f"  {c.upper()} " for c in WORKFORCE_HEADER],
            both_segments("2024-08", "11.02", 201, 202),
        ),
    )
    landing.text(
        wf,
        "wf_semicolon.csv",
        text_csv(
            WORKFORCE_HEADER, both_segments("2024-08", "11.03", "5.089.783", "1.234"), sep=";"
        ),
    )
    landing.text(
        wf,
        "wf_quoted.csv",
        text_csv(
            WORKFORCE_HEADER,
            [
                ["2024-08", "11.04", "ACEH TENGAH, KAB.; X", "PU", "1.500"],
                ["2024-08", "11.04", 'KAB. "ACEH" TENGAH', "BPU", " 2.500 "],
            ],
            quote_all=True,
        ),
    )
    landing.text(
        wf,
        "wf_blank_lines.csv",
        f"{header}\n2024-08,11.05,,PU,501\n\n2024-08,11.05,,BPU,502\n\n \t\n",
    )  # blank lines keep the line numbers
    landing.text(
        wf,
        "wf_crlf.csv",
        "\ufeff"
        + text_csv(WORKFORCE_HEADER, both_segments("2024-08", "11.06", 601, 602), newline="\r\n")
        + "\r\n",
    )
    landing.text(
        wf,
        "wf_counts.csv",
        f"{header}\n"
        "2024-08,11.07,,PU,5.089.783\n"
        "2024-08,11.07,,BPU,5 089 783\n"
        "2024-08,11.08,,PU,-\n"
        "2024-08,11.08,,BPU,\n"
        "2024-08,11.09,,PU,1\u00a0234\u00a0567\n"
        "2024-08,11.09,,BPU, 0 \n",
    )
    landing.text(
        wf,
        "wf_totals.csv",
        f"{header}\n"
        "2024-08,11,ACEH,PU,900.000\n"
        "2024-08,1100,ACEH,BPU,800.000\n"
        "2024-08,11.00,ACEH,PU,900.000\n"
        "2024-08,,INDONESIA,PU,90.000.000\n"
        "2024-08,0000,INDONESIA,BPU,80.000.000\n"
        "2024-08,11.10,,PU,10\n"
        "2024-08,11.10,,BPU,20\n",
    )
    # -- workforce: Parquet ------------------------------------------------------------
    landing.parquet(
        wf,
        "wf_float.parquet",
        pl.DataFrame(
            {
                "reference_period": ["2024-08"] * 3,
                "region_code": ["11.11", "11.11", "11.12"],
                "region_name": [None] * 3,
                "segment": ["PU", "BPU", "PU"],
                "potential_workers": [1500.0, 2500.0, None],
            },
            schema_overrides={"region_name": pl.String},
        ),
    )
    landing.parquet(
        wf,
        "wf_int.parquet",
        pl.DataFrame(
            {
                "reference_period": ["2024-08"] * 2,
                "region_code": ["11.13", "11.13"],
                "region_name": ["", ""],
                "segment": ["PU", "BPU"],
                "potential_workers": [700, 300],
            },
            schema_overrides={"potential_workers": pl.Int64},
        ),
    )
    landing.parquet(
        wf,
        "wf_decimal.parquet",
        pl.DataFrame(
            {
                "reference_period": ["2024-08"] * 2,
                "region_code": ["11.14", "11.14"],
                "region_name": ["", ""],
                "segment": ["PU", "BPU"],
                "potential_workers": [Decimal("1500.00"), Decimal("12345678901234567.00")],
            },
            schema_overrides={"potential_workers": pl.Decimal(20, 2)},
        ),
    )
    # -- header only (an office with no members this period): accepted, adds nothing -----
    landing.parquet(
        wf,
        "wf_no_rows.parquet",
        pl.DataFrame(
            schema={c: pl.String for c in WORKFORCE_HEADER} | {"potential_workers": pl.Float64}
        ),
    )
    landing.text(ms, "m_header_only.csv", "\ufeff" + ",".join(MEMBERSHIP_HEADER) + "\r\n\r\n")
    landing.text(tg, "t_header_only.csv", "year;region_code;target_pct\n")
    # -- workforce: byte-wise name order ('B.csv' before 'a.csv'); a later file wins ----
    landing.workforce(both_segments("2024-08", "12.01", 111, 1), name="B.csv")
    landing.workforce([["2024-08", "12.01", "", "PU", 222]], name="a.csv")
    # -- workforce: region codes in every form (2020 BPS numbering differs: 6102 = 61.07)
    landing.workforce(
        both_segments("2024-08", "6102", 70, 30)
        + both_segments("2024-08", "9501", 40, 60)  # BPS 2023: Merauke
        + both_segments("2023-08", "9401", 4, 6)  # BPS until 2023: Merauke
        + both_segments("2022-08", "91.01", 1, 1)  # Kemendagri before 2022
        + both_segments("2024-08", "9702", 5, 5),  # BPS 2023: Jayawijaya
        name="wf_codes.csv",
    )
    # -- skipped entries: other extensions and a subfolder (garbage if ever read) ------
    landing.text(wf, "notes.txt", "not,a,workforce\nfile")
    (landing.root / wf / "archive").mkdir()
    landing.text(wf, "archive/old.csv", "garbage")
    landing.text(ms, "members.csv.bak", "garbage")
    landing.text(tg, "targets.parquet", "garbage")

    # -- membership ----------------------------------------------------------------------
    landing.membership(
        [
            member(1, "61.72"),
            member(2, "6172"),
            member(3, "6102"),
            member(4, "6104"),
            member(5, "9501"),
            member(6, "9401"),
            member(7, "91.01"),
            member(8, "93.01"),
            member(9, "9702"),
            member(10, "91.02"),
        ],
        name="m_codes.csv",
    )
    landing.text(
        ms,
        "m_dialect.csv",
        "\ufeff"
        + text_csv(
            [f" {c.upper()} " for c in MEMBERSHIP_HEADER],
            [
                member(20, "13.01"),
                [SNAP, f" {nik(21)} ", "pu", "13.01", "aktif", " jkk , Jkm ", ""],
            ],
            sep=";",
            newline="\r\n",
            quote_all=True,
        )
        + "\r\n\r\n",
    )
    landing.text(
        ms,
        "m_gzip.csv.gz",
        gzip.compress(
            text_csv(MEMBERSHIP_HEADER, [member(30, "13.02"), member(31, "13.02")]).encode(),
            mtime=0,
        ),
    )
    # the same person (nik 40) in both Parquet files: one pseudonym, region of the later row
    landing.parquet(
        ms,
        "m_nik_int.parquet",
        membership_frame(
            [
                [
                    date(2025, 6, 30),
                    int(nik(40)),
                    "PU",
                    "13.03",
                    "AKTIF",
                    COVERED,
                    date(2020, 1, 1),
                ],
                [date(2025, 6, 30), int(nik(41)), "PU", "13.03", "AKTIF", COVERED, None],
            ],
            nik=pl.Int64,
            registered_on=pl.Date,
        ),
    )
    landing.parquet(
        ms,
        "m_nik_str.parquet",
        membership_frame(
            [
                [SNAP, nik(40), "PU", "13.04", "AKTIF", COVERED, "2021-01-01"],
                [SNAP, nik(42), "PU", "13.04", "AKTIF", COVERED, ""],
            ]
        ),
    )
    # timestamps: the date in Asia/Jakarta (UTC+7); naive means Jakarta wall clock
    landing.membership(
        [
            member(50, "13.05", snapshot="2025-06-30T23:30:00"),
            member(51, "13.05", snapshot="2025-06-29T17:30:00Z"),
            member(52, "13.05", snapshot="2025-06-30 20:00:00+07:00"),
            member(53, "13.05", snapshot="2025-06-30T17:30:00Z", registered="2019-12-31T18:00:00Z"),
        ],
        name="m_timestamps.csv",
    )
    landing.parquet(
        ms,
        "m_ts_utc.parquet",
        membership_frame(
            [
                [
                    datetime(2025, 6, 29, 17, 30, tzinfo=UTC),
                    nik(60),
                    "PU",
                    "13.06",
                    "AKTIF",
                    COVERED,
                    datetime(2019, 12, 31, 18, 0, tzinfo=UTC),
                ]
            ],
            snapshot_date=pl.Datetime("us", "UTC"),
            registered_on=pl.Datetime("us", "UTC"),
        ),
    )
    landing.parquet(
        ms,
        "m_ts_naive.parquet",
        membership_frame(
            [
                [
                    datetime(2025, 6, 30, 23, 30),
                    nik(61),
                    "PU",
                    "13.06",
                    "AKTIF",
                    COVERED,
                    datetime(2020, 1, 1, 23, 59),
                ]
            ],
            snapshot_date=pl.Datetime("us"),
            registered_on=pl.Datetime("us"),
        ),
    )
    # one snapshot split over two files (nik 72 in both: counted once)
    landing.membership(
        [member(70, "14.01"), member(71, "14.01"), member(72, "14.01")], name="m_split_1.csv"
    )
    landing.membership([member(72, "14.01"), member(73, "14.01")], name="m_split_2.csv")
    # two snapshot dates in one file
    landing.membership(
        [member(80, "14.02", snapshot="2025-03-31"), member(81, "14.02"), member(82, "14.02")],
        name="m_two_dates.csv",
    )

    # -- targets -----------------------------------------------------------------------
    landing.targets([[2025, "11.01", "35,00"], [2025, "6102", "20,5"]], name="t_comma.csv", sep=";")
    landing.text(
        tg, "t_quoted.csv", 'year,region_code,target_pct\n"2025","11.02","12,50"\n2025,11.03, 40 \n'
    )


def run_logged(landing, output) -> tuple[Run, list[str]]:
    """``conftest.run_job``, keeping the run's log lines (read before the instance closes)."""
    settings = Settings(landing_dir=str(landing), output_dir=str(output))
    with dg.DagsterInstance.ephemeral() as inst:  # in two phases, as conftest.run_job
        result = execute_job(build_definitions(settings), settings, inst)
        logs = [
            e.user_message
            for r in result.results
            for e in inst.all_logs(r.run_id)
            if e.user_message
        ]
    return Run(result, settings), logs


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    landing = Landing(root / "landing")
    build(landing)
    run, logs = run_logged(landing.root, root / "output")
    if not run.success:
        rejected = root / "output" / "rejected_files.csv"
        pytest.fail(rejected.read_text() if rejected.exists() else "run failed")
    return run, logs


@pytest.fixture(scope="module")
def run(ran) -> Run:
    return ran[0]


def raw(run: Run, query: str, params=None) -> list[tuple]:
    with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def workforce_rows(run: Run, file: str) -> list[tuple]:
    return raw(
        run,
        "SELECT source_line, region_code, segment, potential_workers "
        "FROM raw.workforce WHERE source_file = ? ORDER BY source_line",
        [f"workforce/{file}"],
    )


def potentials(run: Run, region: str) -> tuple:
    row = run.city(region, SNAP)
    return row["workforce_period"], row["potential_pu"], row["potential_bpu"]


@pytest.mark.parametrize(
    ("file", "region", "lines", "pu", "bpu"),
    [
        ("wf_bom.csv", "11.01", (2, 3), 101, 102),
        ("wf_upper.csv", "11.02", (2, 3), 201, 202),
        ("wf_semicolon.csv", "11.03", (2, 3), 5_089_783, 1_234),
        ("wf_quoted.csv", "11.04", (2, 3), 1_500, 2_500),
        ("wf_blank_lines.csv", "11.05", (2, 4), 501, 502),
        ("wf_crlf.csv", "11.06", (2, 3), 601, 602),
        ("wf_int.parquet", "11.13", (1, 2), 700, 300),  # Parquet: row number
    ],
)
def test_workforce_dialects(run, file, region, lines, pu, bpu):
    assert workforce_rows(run, file) == [
        (lines[0], region, "PU", pu),
        (lines[1], region, "BPU", bpu),
    ]
    assert potentials(run, region) == ("2024-08", pu, bpu)


def test_workforce_float_counts_in_parquet(run):
    assert workforce_rows(run, "wf_float.parquet") == [
        (1, "11.11", "PU", 1500),
        (2, "11.11", "BPU", 2500),
        (3, "11.12", "PU", None),
    ]
    assert potentials(run, "11.11") == ("2024-08", 1500, 2500)
    assert potentials(run, "11.12") == (None, None, None)


def test_workforce_decimal_counts_in_parquet(run):
    assert workforce_rows(run, "wf_decimal.parquet") == [
        (1, "11.14", "PU", 1500),
        (2, "11.14", "BPU", 12_345_678_901_234_567),  # every digit (no float on the way)
    ]


def test_header_only_files_are_accepted_with_a_warning(ran):
    run, logs = ran
    files = (
        "workforce/wf_no_rows.parquet",
        "membership/m_header_only.csv",
        "targets/t_header_only.csv",
    )
    for name in files:
        assert any(name in m and "no data rows" in m for m in logs), name
    for kind in ("workforce", "membership", "targets"):
        assert raw(run, f"SELECT count(*) FROM raw.{kind} WHERE source_file IN {files}") == [(0,)]


def test_thousands_separators_spaces_and_missing_counts(run):
    assert workforce_rows(run, "wf_counts.csv") == [
        (2, "11.07", "PU", 5_089_783),
        (3, "11.07", "BPU", 5_089_783),
        (4, "11.08", "PU", None),
        (5, "11.08", "BPU", None),
        (6, "11.09", "PU", 1_234_567),
        (7, "11.09", "BPU", 0),
    ]
    assert potentials(run, "11.07") == ("2024-08", 5_089_783, 5_089_783)
    assert potentials(run, "11.08") == (None, None, None)  # missing: no round


def test_province_and_national_rows_are_skipped(ran):
    run, logs = ran
    assert workforce_rows(run, "wf_totals.csv") == [(7, "11.10", "PU", 10), (8, "11.10", "BPU", 20)]
    assert any("wf_totals.csv" in m and "skipped 5" in m for m in logs), logs


def test_other_entries_are_skipped_with_a_note(ran):
    run, logs = ran
    files = {
        f
        for (f,) in raw(
            run,
            "SELECT DISTINCT source_file FROM raw.workforce "
            "UNION SELECT DISTINCT source_file FROM raw.membership "
            "UNION SELECT DISTINCT source_file FROM raw.targets",
        )
    }
    assert (
        not {
            "workforce/notes.txt",
            "workforce/archive",
            "workforce/archive/old.csv",
            "membership/members.csv.bak",
            "targets/targets.parquet",
        }
        & files
    )
    for name in (
        "workforce/notes.txt",
        "workforce/archive",
        "membership/members.csv.bak",
        "targets/targets.parquet",
    ):
        assert any(name in m and "skipped" in m for m in logs), name


def test_byte_wise_name_order_later_file_replaces(run):
    assert raw(
        run,
        "SELECT source_file, file_seq FROM raw.workforce "
        "WHERE source_file IN ('workforce/B.csv', 'workforce/a.csv') "
        "GROUP BY ALL ORDER BY file_seq",
    ) == [("workforce/B.csv", 0), ("workforce/a.csv", 1)]
    assert potentials(run, "12.01") == ("2024-08", 222, 1)


def test_region_codes_in_every_form(run):
    assert raw(
        run,
        "SELECT DISTINCT reference_period, region_code_raw, region_code "
        "FROM raw.workforce WHERE source_file = 'workforce/wf_codes.csv' "
        "ORDER BY ALL",
    ) == [
        ("2022-08", "91.01", "93.01"),
        ("2023-08", "9401", "93.01"),
        ("2024-08", "6102", "61.07"),
        ("2024-08", "9501", "93.01"),
        ("2024-08", "9702", "95.01"),
    ]
    assert dict(
        raw(
            run,
            "SELECT region_code_raw, region_code FROM raw.membership "
            "WHERE source_file = 'membership/m_codes.csv'",
        )
    ) == {
        "61.72": "61.72",
        "6172": "61.72",
        "6102": "61.07",
        "6104": "61.02",
        "9501": "93.01",
        "9401": "93.01",
        "91.01": "93.01",
        "93.01": "93.01",
        "9702": "95.01",
        "91.02": "95.01",
    }
    assert potentials(run, "61.07") == ("2024-08", 70, 30)
    assert potentials(run, "93.01") == ("2024-08", 40, 60)
    assert run.city("61.07", SNAP)["region_name"] == "Kabupaten Bengkayang"
    covered = {
        code: run.city(code, SNAP)["covered_pu"]
        for code in ("61.72", "61.07", "61.02", "93.01", "95.01")
    }
    assert covered == {"61.72": 2, "61.07": 1, "61.02": 1, "93.01": 4, "95.01": 2}
    assert run.city("61.07", SNAP)["target_pct"] == 20.5  # BPS code in a targets file


def test_membership_dialect_bom_semicolon_crlf_quotes_case(run):
    assert raw(
        run,
        "SELECT source_line, snapshot_date, nik_valid, segment, region_code, "
        "status, has_jkk, has_jkm, registered_on FROM raw.membership "
        "WHERE source_file = 'membership/m_dialect.csv' ORDER BY source_line",
    ) == [
        (2, date(2025, 6, 30), True, "PU", "13.01", "AKTIF", True, True, date(2020, 1, 1)),
        (3, date(2025, 6, 30), True, "PU", "13.01", "AKTIF", True, True, None),
    ]
    assert run.city("13.01", SNAP)["covered_pu"] == 2


def test_membership_csv_gz(run):
    assert raw(
        run,
        "SELECT source_line, region_code FROM raw.membership "
        "WHERE source_file = 'membership/m_gzip.csv.gz' ORDER BY 1",
    ) == [(2, "13.02"), (3, "13.02")]
    assert run.city("13.02", SNAP)["covered_pu"] == 2


def test_membership_parquet_nik_as_int64_and_string(run):
    rows = raw(
        run,
        "SELECT source_file, source_line, person_key, nik_valid, registered_on "
        "FROM raw.membership WHERE source_file LIKE 'membership/m_nik_%' "
        "ORDER BY source_file, source_line",
    )
    assert [(f, line, valid, reg) for f, line, _, valid, reg in rows] == [
        ("membership/m_nik_int.parquet", 1, True, date(2020, 1, 1)),
        ("membership/m_nik_int.parquet", 2, True, None),
        ("membership/m_nik_str.parquet", 1, True, date(2021, 1, 1)),
        ("membership/m_nik_str.parquet", 2, True, None),
    ]
    assert rows[0][2] == rows[2][2]  # int64 and string NIK: the same person
    assert len({r[2] for r in rows}) == 3
    # nik 40: region of the later registration (13.04), counted once
    assert run.city("13.03", SNAP)["covered_pu"] == 1
    assert run.city("13.04", SNAP)["covered_pu"] == 2


def test_timestamps_are_read_as_their_date_in_jakarta(run):
    assert raw(
        run,
        "SELECT source_line, snapshot_date, registered_on FROM raw.membership "
        "WHERE source_file = 'membership/m_timestamps.csv' ORDER BY 1",
    ) == [
        (2, date(2025, 6, 30), date(2020, 1, 1)),  # naive: Jakarta wall clock
        (3, date(2025, 6, 30), date(2020, 1, 1)),  # 17:30Z is 00:30 WIB next day
        (4, date(2025, 6, 30), date(2020, 1, 1)),
        (5, date(2025, 7, 1), date(2020, 1, 1)),
    ]
    assert raw(
        run,
        "SELECT source_file, snapshot_date, registered_on FROM raw.membership "
        "WHERE source_file LIKE 'membership/m_ts_%' ORDER BY 1",
    ) == [
        ("membership/m_ts_naive.parquet", date(2025, 6, 30), date(2020, 1, 1)),
        ("membership/m_ts_utc.parquet", date(2025, 6, 30), date(2020, 1, 1)),
    ]
    assert run.city("13.05", SNAP)["covered_pu"] == 3
    assert run.city("13.05", "2025-07-01")["covered_pu"] == 1
    assert run.city("13.06", SNAP)["covered_pu"] == 2


def test_snapshot_split_over_two_files(run):
    assert run.city("14.01", SNAP)["covered_pu"] == 4


def test_two_snapshot_dates_in_one_file(run):
    assert run.city("14.02", "2025-03-31")["covered_pu"] == 1
    assert run.city("14.02", SNAP)["covered_pu"] == 2
    snapshots = [
        str(r["snapshot_date"])
        for r in run.published(
            "SELECT DISTINCT snapshot_date FROM reporting.coverage_by_city ORDER BY 1"
        )
    ]
    assert snapshots == ["2025-03-31", SNAP, "2025-07-01"]


def test_targets_decimal_comma_and_quotes(run):
    assert raw(
        run,
        "SELECT source_file, source_line, year, region_code, target_pct "
        "FROM raw.targets ORDER BY source_file, source_line",
    ) == [
        ("targets/t_comma.csv", 2, 2025, "11.01", 35),
        ("targets/t_comma.csv", 3, 2025, "61.07", 20.5),
        ("targets/t_quoted.csv", 2, 2025, "11.02", 12.5),
        ("targets/t_quoted.csv", 3, 2025, "11.03", 40),
    ]
    assert run.city("11.01", SNAP)["target_pct"] == 35.0
    assert run.city("11.02", SNAP)["target_pct"] == 12.5
