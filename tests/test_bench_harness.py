"""The scale benchmark's generator, floor, reference check and harness (issue #10), on small N.

Expected figures come from plain Python over the generated rows (the counting rules written
out again), never from the SQL under test. Nothing here asserts on time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cakupan.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
import bench_scale  # noqa: E402
import make_extract  # noqa: E402

pytestmark = pytest.mark.e2e  # a process-level scenario: make test-e2e

ROWS = 20_000
REFERENCE = PROJECT_ROOT / "data" / "reference"
SEGMENTS = ("PU", "BPU", "JAKON", "PMI")


def _read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _region_map() -> dict[str, str]:
    """Code as written -> Kemendagri kab/kota, straight from the bridge files."""
    regencies = {r["code"] for r in _read_csv("regencies.csv")}
    papua = _read_csv("bps_papua_2023.csv")
    old_papua = {r["kode_bps_2022"]: r["kode_kemendagri"] for r in papua}
    meanings: dict[str, set[str]] = defaultdict(set)
    for r in _read_csv("bps_kemendagri_kabkota_2020.csv"):
        dagri = r["kode_dagri"]
        meanings[r["kode_bps"]].add(old_papua.get(r["kode_bps"], f"{dagri[:2]}.{dagri[2:]}"))
    for r in papua:
        meanings[r["kode_bps_2023"]].add(r["kode_kemendagri"])
    mapping = {code: code for code in regencies}
    for code, targets in meanings.items():
        if len(targets) == 1 and next(iter(targets)) in regencies:
            mapping[code] = next(iter(targets))
    return mapping


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("extract")
    return make_extract.generate(root / "landing", ROWS, seed=7)


@pytest.fixture(scope="module")
def rows(extract) -> list[dict]:
    return pl.read_parquet(extract["membership_file"]).to_dicts()


def _clean(row: dict) -> dict:
    """One row read by the counting rules (1 and 3), independently of the SQL under test."""
    nik = (row["nik"] or "").strip()
    programs = {p.strip() for p in (row["programs"] or "").upper().split(",")}
    return {
        "nik": nik,
        "valid": re.fullmatch(r"[0-9]{16}", nik) is not None,
        "segment": row["segment"].strip().upper(),
        "status": row["status"].strip().upper(),
        "covered": row["status"].strip().upper() == "AKTIF" and {"JKK", "JKM"} <= programs,
        "programs": programs,
        "code": row["region_code"].strip(),
        "registered_on": (row["registered_on"] or "").strip(),
    }


def _expected(rows: list[dict]) -> tuple[dict, dict]:
    """National covered persons per segment and in total, and per kab/kota (rules 1-6)."""
    mapping = _region_map()
    best: dict[tuple[str, str], tuple[str, str]] = {}
    for row in map(_clean, rows):
        if not (row["valid"] and row["covered"]):
            continue
        key = (row["nik"], row["segment"])
        candidate = (row["registered_on"], mapping[row["code"]])  # '' (blank) is the oldest
        old = best.get(key)
        if (
            old is None
            or candidate[0] > old[0]
            or (candidate[0] == old[0] and candidate[1] < old[1])
        ):
            best[key] = candidate
    national = Counter(segment for _, segment in best)
    regions: dict[str, Counter] = defaultdict(Counter)
    segments_of: dict[str, dict[str, str]] = defaultdict(dict)
    for (nik, segment), (_, region) in best.items():
        regions[region][segment] += 1
        segments_of[nik][segment] = region
    for by_segment in segments_of.values():
        home = next((by_segment[s] for s in ("PU", "BPU", "JAKON") if s in by_segment), None)
        if home:
            regions[home]["total"] += 1
    totals = {f"covered_{s.lower()}": national[s] for s in SEGMENTS}
    totals["covered_total"] = sum(1 for s in segments_of.values() if set(s) - {"PMI"})
    per_region = {
        code: [c["PU"], c["BPU"], c["JAKON"], c["PMI"], c["total"]] for code, c in regions.items()
    }
    return totals, per_region


# ------------------------------------------------------------------------------ generator


def test_generator_is_deterministic_and_the_seed_matters(extract, tmp_path):
    again = make_extract.generate(tmp_path / "again", ROWS, seed=7)
    assert _files(Path(extract["landing"])) == _files(Path(again["landing"]))
    other = make_extract.generate(tmp_path / "other", ROWS, seed=8)
    first = pl.read_parquet(extract["membership_file"])
    assert not first.equals(pl.read_parquet(other["membership_file"]))


def test_csv_gz_holds_the_same_rows_as_parquet(extract, tmp_path):
    gz = make_extract.generate(tmp_path / "gz", ROWS, seed=7, fmt="csv.gz", targets=False)
    assert gz["membership_file"].endswith("members_2025-06-30.csv.gz")
    assert not (tmp_path / "gz" / "targets").exists()
    from_csv = pl.read_csv(gz["membership_file"], infer_schema=False)
    from_parquet = pl.read_parquet(extract["membership_file"])
    assert from_csv.columns == list(make_extract.MEMBERSHIP_COLUMNS)
    # CSV cannot tell a NULL from an empty string: compare with NULL as ''.
    assert from_csv.fill_null("").equals(from_parquet.fill_null(""))
    # The floor and the peer read CSV.gz too, to the same counts.
    floor_csv = bench_scale.worker_national(Path(gz["membership_file"]))
    floor_parquet = bench_scale.worker_national(Path(extract["membership_file"]))
    assert floor_csv["national"] == floor_parquet["national"]
    assert floor_csv["covered_total"] == floor_parquet["covered_total"]
    peer = bench_scale.run_peer(
        Path(gz["membership_file"]), tmp_path, gx=False, memory=12 * 1024**3, timeout=300
    )
    assert peer["status"] == "ok"
    assert peer["result"]["national"] == floor_parquet["national"]


def test_columns_regions_workforce_and_targets(extract, rows):
    assert list(rows[0]) == list(make_extract.MEMBERSHIP_COLUMNS)
    assert len(rows) == ROWS
    assert {r["snapshot_date"] for r in rows} == {"2025-06-30"}
    mapping = _region_map()
    regencies = {r["code"] for r in _read_csv("regencies.csv")}
    assert len(regencies) == 514
    written = {r["region_code"] for r in rows}
    assert written <= set(mapping), (
        "every code written is a kab/kota code or an unambiguous BPS code"
    )
    assert {mapping[c] for c in written} == regencies

    landing = Path(extract["landing"])
    workforce = list(csv.DictReader((landing / "workforce" / "workforce_2024-08.csv").open()))
    assert len(workforce) == 2 * 514
    assert {(w["region_code"], w["segment"]) for w in workforce} == {
        (c, s) for c in regencies for s in ("PU", "BPU")
    }
    assert {w["reference_period"] for w in workforce} == {"2024-08"}
    national = sum(int(w["potential_workers"]) for w in workforce)
    assert 100_000_000 < national < 200_000_000  # Sakernas: ~144 million workers
    assert min(int(w["potential_workers"]) for w in workforce) > 5_000
    targets = list(csv.DictReader((landing / "targets" / "targets_2025.csv").open()))
    assert {t["region_code"] for t in targets} == regencies
    assert all(20 <= float(t["target_pct"]) <= 55 for t in targets)


def test_niks_are_shaped_like_real_ones(rows):
    districts = {r["code"].replace(".", "") for r in _read_csv("districts.csv")}
    niks = {c["nik"] for c in map(_clean, rows) if c["valid"]}
    women = 0
    for nik in niks:
        assert nik[:6] in districts
        day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
        women += day > 40
        born = date(1900 + year if year > 25 else 2000 + year, month, day - 40 * (day > 40))
        assert date(1962, 1, 1) <= born <= date(2007, 6, 30)
        assert nik[12:] != "0000"
    assert 0.3 < women / len(niks) < 0.55


def test_traps_are_planted_in_the_documented_proportions(rows):
    n = len(rows)
    clean = [_clean(r) for r in rows]
    share = lambda k: k / n  # noqa: E731

    invalid = sum(not c["valid"] for c in clean)
    assert 0.001 < share(invalid) < 0.0035  # ~0.2%, below the 1% that rejects a file
    kinds = {
        "blank": sum(r["nik"] is None for r in rows),
        "letters": sum(bool(r["nik"] and re.search("[A-Z]", r["nik"])) for r in rows),
        "15": sum(bool(r["nik"] and re.fullmatch(r"\d{15}", r["nik"])) for r in rows),
        "17": sum(bool(r["nik"] and re.fullmatch(r"\d{17}", r["nik"])) for r in rows),
    }
    assert all(kinds.values()), kinds
    assert all(c["covered"] for c in clean if not c["valid"]), "invalid NIKs look covered"
    assert sum(r["nik"] is not None and r["nik"] != r["nik"].strip() for r in rows) > 0

    keys = [tuple(r.values()) for r in rows]
    assert 0.006 < share(n - len(set(keys))) < 0.014  # exact duplicates, ~1%

    valid = [c for c in clean if c["valid"]]
    segments = defaultdict(set)
    for c in valid:
        segments[c["nik"]].add(c["segment"])
    two = sum(len(s) > 1 for s in segments.values())
    assert 0.008 < two / len(segments) < 0.02  # ~1.35% of the persons
    pairs = {frozenset(s) for s in segments.values() if len(s) > 1}
    assert {frozenset(p) for p in (("PU", "BPU"), ("PU", "JAKON"), ("PU", "PMI"))} <= pairs

    # The region rule's traps: one person and segment in two kab/kota, covered in both, with
    # the later, the earlier or the same registration date; or a later row elsewhere that is
    # NONAKTIF, or AKTIF without JKM.
    mapping = _region_map()
    by_key = defaultdict(list)
    for c in valid:
        by_key[(c["nik"], c["segment"])].append(c)
    moved = [v for v in by_key.values() if len({mapping[c["code"]] for c in v}) > 1]
    assert len(moved) > 0.005 * len(segments)
    assert any(len({c["registered_on"] for c in v}) == 1 for v in moved), "a tie"
    assert any(any(c["status"] == "NONAKTIF" for c in v) for v in moved)
    assert any(any(c["status"] == "AKTIF" and not c["covered"] for c in v) for v in moved)

    assert 0.2 < share(sum(c["status"] == "NONAKTIF" for c in clean)) < 0.3
    aktif = [c for c in valid if c["status"] == "AKTIF"]
    no_jkm = sum("JKM" not in c["programs"] for c in aktif) / len(aktif)
    assert 0.03 < no_jkm < 0.08
    assert 0.08 < share(sum(r["programs"] not in _canonical for r in rows)) < 0.13
    assert 0.03 < share(sum(r["status"] not in ("AKTIF", "NONAKTIF") for r in rows)) < 0.07
    assert 0.55 < share(sum(c["segment"] == "PU" for c in clean)) < 0.65
    assert 0.13 < share(sum(c["segment"] == "JAKON" for c in clean)) < 0.18

    bps = [r["region_code"] for r in rows if "." not in r["region_code"]]
    assert 0.12 < share(len(bps)) < 0.18
    assert all(re.fullmatch(r"\d{4}", code) for code in bps)
    # Stripping the dot would be wrong for many of them (BPS 1101 is Kemendagri 11.09) ...
    assert any(mapping[code].replace(".", "") != code for code in bps)
    # ... and both Papua numberings appear (BPS 9401 until 2023, 9501 after: Merauke).
    assert any(code.startswith("94") for code in bps) and any(
        code[:2] in "95 96 97" for code in bps
    )
    assert 0.01 < share(sum(not r["registered_on"] for r in rows)) < 0.03


_canonical = {
    "JKK,JKM,JHT,JP,JKP",
    "JKK,JKM,JHT,JP",
    "JKK,JKM,JHT",
    "JKK,JKM",
    "JKK,JHT",
    "JKK",
    "JHT",
    "",
}


# ---------------------------------------------------------------------- floor and reference


def test_floor_counts_equal_an_independent_count(extract, rows):
    expected, _ = _expected(rows)
    national = bench_scale.worker_national(Path(extract["membership_file"]))
    got = {f"covered_{s.lower()}": national["national"][s] for s in SEGMENTS}
    got["covered_total"] = national["covered_total"]
    assert got == expected
    floor = bench_scale.worker_floor(Path(extract["membership_file"]))  # the timed query
    assert floor["regions"] == 514 and floor["unmapped_region_rows"] == 0
    assert expected["covered_pu"] > 5_000  # the check is not vacuous


def test_reference_query_applies_the_region_rule(extract, rows):
    _, per_region = _expected(rows)
    reference = bench_scale.worker_reference(Path(extract["membership_file"]))
    assert reference["regions"] == per_region


# ----------------------------------------------------------------------------- measuring


def test_peak_rss_covers_the_whole_process_tree(tmp_path):
    # The parent stays small; its child holds ~300 MB for a while.
    child = "b = b'x' * (300 * 1024 * 1024); import time; time.sleep(1)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    m = bench_scale.measure([sys.executable, "-c", parent], tmp_path / "tree.log")
    assert m["returncode"] == 0
    assert m["processes"] >= 2
    assert m["peak_rss_bytes"] > 300 * 1024 * 1024
    assert m["cpu_s"] > 0  # wait4 counts the child's CPU time too


def test_peer_out_of_memory_is_a_result(extract, tmp_path):
    peer = bench_scale.run_peer(
        Path(extract["membership_file"]), tmp_path, gx=False, memory=300 * 1024**2, timeout=120
    )
    assert peer["status"] == "OOM"


def test_peer_counts_like_the_floor(extract, rows, tmp_path):
    expected, _ = _expected(rows)
    peer = bench_scale.run_peer(
        Path(extract["membership_file"]), tmp_path, gx=False, memory=12 * 1024**3, timeout=300
    )
    assert peer["status"] == "ok"
    got = {f"covered_{s.lower()}": peer["result"]["national"][s] for s in SEGMENTS}
    got["covered_total"] = peer["result"]["covered_total"]
    assert got == expected


# --------------------------------------------------------------------------------- harness


HARNESS_ROWS = 5_000


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    """One run of the harness on a tiny size, with the incremental scenario (issue #11)."""
    root = tmp_path_factory.mktemp("harness")
    cmd = [
        sys.executable,
        str(PROJECT_ROOT / "benchmarks" / "bench_scale.py"),
        "--rows",
        str(HARNESS_ROWS),
        "--workdir",
        str(root / "work"),
        "--results",
        str(root / "results"),
        "--incremental",
    ]
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root


def test_harness_end_to_end_on_a_tiny_size(harness):
    results = harness / "results"
    (table,) = results.glob("scale-parquet-*.csv")
    with table.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == bench_scale.CSV_FIELDS
        by_system = {r["system"]: r for r in reader}
    assert set(by_system) == {"floor", "cakupan", "pandas"}
    for r in by_system.values():
        assert r["rows"] == "5000" and r["format"] == "parquet" and r["status"] == "ok", r
        assert float(r["wall_s"]) > 0 and float(r["peak_rss_mb"]) > 0
    assert by_system["cakupan"]["correct"] == "yes"
    assert by_system["pandas"]["correct"] == "yes"
    assert float(by_system["floor"]["vs_floor"]) == 1.0

    report = next(results.glob("scale-parquet-*.md")).read_text(encoding="utf-8")
    assert "cores" in report and "DuckDB" in report
    assert "| 5,000 |" in report and "raw__membership" in report
    data = json.loads(next(results.glob("scale-parquet-*.json")).read_text(encoding="utf-8"))
    (size,) = data["sizes"]
    assert size["checks"]["national_ok"] and size["checks"]["regions_ok"]
    assert size["checks"]["regions_compared"] == 514
    steps = {s["step"] for s in size["cakupan"]["steps"]}
    assert {"raw__membership", "staging__membership", "published_coverage"} <= steps
    # the SQL statements, from DuckDB's log of the run, each within the step that ran it
    statements = size["cakupan"]["statements"]
    assert "## Where cakupan's time goes (per SQL statement)" in report
    loads = [s for s in statements if s["statement"].startswith("INSERT INTO raw.membership_")]
    assert loads and {s["step"] for s in loads} == {"raw__membership"}, statements
    assert all(s["seconds"] >= 0 and s["count"] >= 1 for s in statements)
    assert sum(s["seconds"] for s in statements) < float(by_system["cakupan"]["wall_s"])


def _published_national(path: Path) -> dict[str, dict[str, int]]:
    import duckdb

    counts = ", ".join(f"covered_{s.lower()}" for s in SEGMENTS) + ", covered_total"
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            f"SELECT strftime(snapshot_date, '%Y-%m-%d'), {counts} FROM reporting.coverage_national"
        ).fetchall()
        names = [d[0] for d in con.description][1:]
    return {r[0]: dict(zip(names, r[1:], strict=True)) for r in rows}


def test_incremental_no_op_and_added_snapshot(harness):
    rundir = harness / "work" / "runs" / f"parquet-{HARNESS_ROWS}-s10"
    first = rundir / "landing" / "membership" / "members_2025-06-30.parquet"
    added = rundir / "landing" / "membership" / "members_2025-07-31.parquet"
    # The run's landing links to the cached extract, which stays as generated: one file.
    assert first.is_symlink()
    cached = first.resolve().parent
    assert [p.name for p in cached.iterdir()] == ["members_2025-06-30.parquet"]

    # The no-op said so and published nothing: only two runs in the ingest ledger.
    assert "Nothing changed since run" in (rundir / "cakupan-noop.log").read_text()
    import duckdb

    warehouse = bench_scale.warehouse_of(rundir / "output")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.execute("SELECT count(DISTINCT run_id) FROM ops.ingest_ledger").fetchone()[0]
    assert runs == 2

    # The added snapshot: N/20 rows of another date and seed, counted like the first by the
    # counting rules written out in Python (not by the harness's queries).
    new_rows = pl.read_parquet(added).to_dicts()
    assert len(new_rows) == HARNESS_ROWS // 20
    assert {r["snapshot_date"] for r in new_rows} == {"2025-07-31"}
    old_rows = pl.read_parquet(first).to_dicts()
    niks = [{c["nik"] for c in map(_clean, rows) if c["valid"]} for rows in (old_rows, new_rows)]
    assert not niks[0] & niks[1], "another seed: other persons"
    published = _published_national(rundir / "output" / "coverage.duckdb")
    assert published == {
        "2025-06-30": _expected(old_rows)[0],
        "2025-07-31": _expected(new_rows)[0],
    }
    assert published["2025-07-31"]["covered_total"] > 50  # the check is not vacuous

    results = harness / "results"
    (table,) = results.glob("incremental-parquet-*.csv")
    with table.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == bench_scale.INCREMENTAL_FIELDS
        by_run = {r["run"]: r for r in reader}
    assert list(by_run) == ["full", "no-op", "add-snapshot"]
    full = float(by_run["full"]["wall_s"])
    for run, target in (("no-op", "0.25"), ("add-snapshot", "0.5")):
        r = by_run[run]
        assert r["status"] == "ok" and r["correct"] == "yes", r
        assert float(r["peak_rss_mb"]) > 0 and r["target"] == target
        assert float(r["vs_full"]) == pytest.approx(float(r["wall_s"]) / full, abs=0.01)
        assert r["met"] == ""  # the targets are set at 20M rows
    assert by_run["add-snapshot"]["added_rows"] == str(HARNESS_ROWS // 20)

    report = next(results.glob("scale-parquet-*.md")).read_text(encoding="utf-8")
    assert "## Incremental runs (issue #11)" in report and "< 0.25" in report
    assert "`membership/members_2025-06-30.parquet` unchanged" in report
    data = json.loads(next(results.glob("scale-parquet-*.json")).read_text(encoding="utf-8"))
    (size,) = data["sizes"]
    assert size["incremental"]["noop"]["published_unchanged"] is True
    assert size["incremental"]["add"]["new_ok"] is True


def test_extracts_are_cached_by_size_format_and_seed(tmp_path):
    first = bench_scale.ensure_extract(tmp_path, 2_000, 3, "parquet")
    assert not first["cached"]
    again = bench_scale.ensure_extract(tmp_path, 2_000, 3, "parquet")
    assert again["cached"] and again["membership_file"] == first["membership_file"]
    other = bench_scale.ensure_extract(tmp_path, 2_000, 4, "parquet")
    assert not other["cached"] and other["membership_file"] != first["membership_file"]
    # A generator that changed (another fingerprint) regenerates.
    manifest = Path(first["landing"]).parent / "generated.json"
    manifest.write_text(json.dumps({**first, "fingerprint": "old"}), encoding="utf-8")
    assert not bench_scale.ensure_extract(tmp_path, 2_000, 3, "parquet")["cached"]
