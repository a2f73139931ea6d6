"""Dates and times (docs/counting_rules.md, Dates): a timestamp is read as its date in
Asia/Jakarta; an offset or a named zone (UTC, GMT, WIB, WITA, WIT, IANA) is converted,
any other zone name rejects the file naming the value, and a zone is never dropped.

Expected dates are worked out by hand in the comments (WIB = UTC+7, WITA = UTC+8,
WIT = UTC+9; London is UTC+1 in summer and UTC+0 in winter).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Landing, both_segments, nik, run_job

REPO = Path(__file__).resolve().parents[1]
COVERED = "JKK,JKM"


def reason(zone: str) -> str:
    return (
        f'unknown time zone "{zone}" (expected UTC, GMT, WIB, WITA, WIT, an IANA name such '
        "as Asia/Jakarta or an offset such as +07:00)"
    )


ACCEPTED = [
    ("2025-06-29", date(2025, 6, 29)),
    ("2025-06-29T17:30:00 UTC", date(2025, 6, 30)),  # 00:30 WIB the next day
    ("2025-06-29T17:30:00 utc", date(2025, 6, 30)),
    ("2025-06-29T17:30:00 GMT", date(2025, 6, 30)),
    ("2025-06-29T17:30:00UTC", date(2025, 6, 30)),
    ("2025-06-29T17:30:00Z", date(2025, 6, 30)),
    ("2025-06-29T16:59:59 UTC", date(2025, 6, 29)),  # 23:59:59 WIB
    ("2025-06-29 17:00:00 UTC", date(2025, 6, 30)),  # 00:00 WIB
    ("2025-06-29T17:30:00.250 UTC", date(2025, 6, 30)),
    (" 2025-06-29T17:30:00 UTC ", date(2025, 6, 30)),
    ("2025-06-30T23:30:00 WIB", date(2025, 6, 30)),
    ("2025-07-01T00:30:00 WITA", date(2025, 6, 30)),  # 16:30 UTC = 23:30 WIB
    ("2025-07-01T01:00:00 WITA", date(2025, 7, 1)),  # 17:00 UTC = 00:00 WIB
    ("2025-07-01T01:30:00 WIT", date(2025, 6, 30)),  # 16:30 UTC = 23:30 WIB
    ("2025-07-01T02:00:00 wit", date(2025, 7, 1)),  # 17:00 UTC = 00:00 WIB
    ("2025-06-29T17:30:00 Asia/Jakarta", date(2025, 6, 29)),
    ("2025-07-01T00:30:00 Asia/Makassar", date(2025, 6, 30)),
    ("2025-07-01T01:30:00 Asia/Jayapura", date(2025, 6, 30)),
    ("2025-06-30T18:30:00 Europe/London", date(2025, 7, 1)),  # BST: 17:30 UTC = 00:30 WIB
    ("2025-01-30T17:30:00 Europe/London", date(2025, 1, 31)),  # GMT: 00:30 WIB
    ("2025-01-30T16:30:00 Europe/London", date(2025, 1, 30)),  # GMT: 23:30 WIB
    ("2025-06-29T23:30:00 America/New_York", date(2025, 6, 30)),  # EDT: 03:30 UTC = 10:30 WIB
    ("2025-06-29 17:30:00 +07:00", date(2025, 6, 29)),
    ("2025-06-29 17:30:00+0700", date(2025, 6, 29)),
    ("2025-06-29 17:30:00+09", date(2025, 6, 29)),  # 08:30 UTC = 15:30 WIB
    ("2025-06-29 20:30:00-05:00", date(2025, 6, 30)),  # 01:30 UTC next day = 08:30 WIB
    ("2025-06-30 23:30", date(2025, 6, 30)),  # no zone: Jakarta wall clock
    ("2025-06-30T23:30:00", date(2025, 6, 30)),
]

UNKNOWN_ZONES = [
    ("2025-06-29T17:30:00 PST", "PST"),
    ("2025-06-29T17:30:00 EST", "EST"),
    ("2025-06-29T17:30:00 IST", "IST"),  # India, Israel or Ireland?
    ("2025-06-29T17:30:00 CET", "CET"),
    ("2025-06-29T17:30:00 UTC+7", "UTC+7"),
    ("2025-06-29T17:30:00 GMT+07:00", "GMT+07:00"),
    ("2025-06-29T17:30:00 WIB+1", "WIB+1"),
    ("2025-06-29T17:30:00 Foo/Bar", "Foo/Bar"),
    ("2025-06-29T17:30:00 Asia/Jakartaa", "Asia/Jakartaa"),
    ("2025-06-29T17:30:00 SystemV/PST8", "SystemV/PST8"),  # ICU's, not IANA
    ("2025-06-29T17:30:00+25", "+25"),
    ("2025-06-29T17:30:00 +07:00 WIB", "+07:00 WIB"),
]

NOT_DATES = ["2025-02-30", "30/06/2025", "2025-06-29T25:30:00 UTC", "2025-06-29 UTC", "soon"]


@pytest.fixture(params=["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def con(request):
    """A connection with the parse macros, in several session time zones: the result must
    not depend on the session's."""
    with duckdb.connect() as connection:
        connection.execute(f"SET TimeZone = '{request.param}'")
        connection.execute((REPO / "sql/raw/macros.sql").read_text(encoding="utf-8"))
        yield connection


def read(con, value):
    return con.execute(
        "SELECT jakarta_date(?), timestamp_zone_error(?)", [value, value]
    ).fetchall()[0]


def test_accepted_values_are_read_as_their_jakarta_date(con):
    assert [read(con, v) for v, _ in ACCEPTED] == [(d, None) for _, d in ACCEPTED]


def test_unknown_zone_names_are_rejected_by_name(con):
    assert [read(con, v) for v, _ in UNKNOWN_ZONES] == [(None, reason(z)) for _, z in UNKNOWN_ZONES]


def test_non_dates_stay_plain_errors(con):
    assert [read(con, v) for v in [*NOT_DATES, "", None]] == [(None, None)] * (len(NOT_DATES) + 2)


# ------------------------------------------------------------------ real runs of the job


def member(n, snapshot, registered="2020-01-01", region="61.72"):
    return [snapshot, nik(n), "PU", region, "AKTIF", COVERED, registered]


def test_zones_are_converted_in_a_real_run(landing: Landing, output):
    landing.workforce(both_segments("2024-08", "61.72", 100, 100))
    landing.membership(
        [
            member(1, "2025-06-29T17:30:00 UTC", registered="2019-12-31T17:30:00 GMT"),
            member(2, "2025-07-01T00:30:00 WITA", registered="2020-01-01T01:30:00 WIT"),
            member(3, "2025-06-30T23:30:00 Asia/Jakarta", registered="2019-12-31 23:00:00 WIB"),
            member(4, "2025-06-30T18:30:00 Europe/London", registered=""),
        ]
    )
    landing.targets([[2025, "61.72", "50"]])
    run = run_job(landing.root, output)
    assert run.success
    with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "SELECT source_line, snapshot_date, registered_on FROM raw.membership ORDER BY 1"
        ).fetchall()
    assert rows == [
        (2, date(2025, 6, 30), date(2020, 1, 1)),  # 00:30 WIB / 00:30 WIB
        (3, date(2025, 6, 30), date(2019, 12, 31)),  # 23:30 WIB / 23:30 WIB
        (4, date(2025, 6, 30), date(2019, 12, 31)),
        (5, date(2025, 7, 1), None),  # 17:30 UTC = 00:30 WIB
    ]
    assert run.city("61.72", "2025-06-30")["covered_pu"] == 3
    assert run.city("61.72", "2025-07-01")["covered_pu"] == 1


def test_unknown_zone_rejects_the_file_naming_the_value(landing: Landing, output):
    landing.workforce(both_segments("2024-08", "61.72", 100, 100))
    landing.membership([member(1, "2025-06-30")], name="good.csv")
    landing.membership(
        [
            member(2, "2025-06-30"),
            member(3, "2025-06-29T17:30:00 PST"),
            member(4, "2025-06-30", registered="2020-01-01T08:00:00 EST"),
            member(5, "2025-06-29T17:30:00 UTC"),
        ],
        name="zoned.csv",
    )
    run = run_job(landing.root, output)
    assert not run.success
    with (output / "rejected_files.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {
            "file": "membership/zoned.csv",
            "line": "3",
            "column": "snapshot_date",
            "value": "2025-06-29T17:30:00 PST",
            "reason": reason("PST"),
        },
        {
            "file": "membership/zoned.csv",
            "line": "4",
            "column": "registered_on",
            "value": "2020-01-01T08:00:00 EST",
            "reason": reason("EST"),
        },
    ]
    assert not (output / "coverage.duckdb").exists()
