"""A CSV line with too few or too many fields is named as such, not as a bad value."""

from __future__ import annotations

import csv

from tests.conftest import both_segments, nik, run_job


def test_wrong_number_of_fields_is_named(landing, output):
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    good = ["2025-06-30", nik(1), "PU", "61.72", "AKTIF", "JKK,JKM", ""]
    landing.text(
        "membership",
        "members.csv",
        "snapshot_date,nik,segment,region_code,status,programs,registered_on\n"
        + ",".join(good)
        + "\n2025-06-30\n"  # line 3: one field
        + ",".join(good[:2] + ["PU", "61.72", "AKTIF", "JKK", "", "x", "y"])  # line 4: nine
        + "\n",
    )
    run = run_job(landing.root, output)
    assert not run.success
    with (output / "rejected_files.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    reasons = {(r["file"], r["line"], r["reason"]) for r in rows}
    assert ("membership/members.csv", "3", "wrong number of fields (1, expected 7)") in reasons
    assert ("membership/members.csv", "4", "wrong number of fields (9, expected 7)") in reasons
    assert not [r for r in rows if r["line"] == "3" and r["column"] == "snapshot_date"]
