"""Publishing coverage.duckdb: constraints kept, the old WAL never replayed onto the new file,
a killed publish leaves the previous file and its leftovers are cleaned, and DuckDB 1.x
clients open the file."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets import reporting
from cakupan.config import PROJECT_ROOT, Settings
from cakupan.publish import publish
from pipelines.definitions import resources
from tests.conftest import run_job
from tests.helpers_cli import small_landing

# From the CREATE TABLE statements in sql/coverage/*.sql, sql/quality/*.sql and
# sql/reporting/run_status.sql.
PRIMARY_KEYS = {
    "coverage_by_city": ["snapshot_date", "region_code"],
    "coverage_by_province": ["snapshot_date", "province_code"],
    "coverage_national": ["snapshot_date"],
    "run_status": ["run_id"],
}
ROLLUP_NOT_NULL = [
    "regions",
    "regions_with_potential",
    "covered_pu",
    "covered_bpu",
    "covered_jakon",
    "covered_pmi",
    "covered_total",
]
NOT_NULL = {
    "coverage_by_city": [
        *["snapshot_date", "region_code", "region_name", "province_code", "province_name"],
        *["covered_pu", "covered_bpu", "covered_jakon", "covered_pmi", "covered_total"],
    ],
    "coverage_by_province": ["snapshot_date", "province_code", "province_name", *ROLLUP_NOT_NULL],
    "coverage_national": ["snapshot_date", *ROLLUP_NOT_NULL],
    "validation_results": ["run_id", "table_name", "expectation", "severity", "success"],
    "run_status": [
        *["run_id", "published_at", "status", "checks", "checks_failed_warn"],
        *["checks_failed_error", "rejected_files", "snapshots", "sample"],
    ],
}


@pytest.fixture(scope="module")
def published(sample_run) -> Path:
    return sample_run[0].settings.published_path


def constraints(path: Path, kind: str) -> dict[str, list[list[str]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE constraint_type = ? ORDER BY ALL",
            [kind],
        ).fetchall()
    found: dict[str, list[list[str]]] = {}
    for table, names in rows:
        found.setdefault(table, []).append(names)
    return found


def test_primary_keys_and_not_null_are_published(published, tmp_path):
    assert constraints(published, "PRIMARY KEY") == {t: [c] for t, c in PRIMARY_KEYS.items()}
    assert constraints(published, "NOT NULL") == {
        t: sorted([c] for c in names) for t, names in NOT_NULL.items()
    }
    copy = tmp_path / "copy.duckdb"
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as con:  # the constraints are enforced, not just listed
        with pytest.raises(duckdb.ConstraintException, match="(?i)duplicate key"):
            con.execute(
                "INSERT INTO reporting.coverage_national "
                "SELECT * FROM reporting.coverage_national LIMIT 1"
            )
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("UPDATE reporting.coverage_by_city SET region_name = NULL")


def test_published_constraints_are_the_warehouses(sample_run, published):
    warehouse = sample_run[0].settings.warehouse_path
    for kind in ("PRIMARY KEY", "NOT NULL"):
        expected = constraints(warehouse, kind)
        assert constraints(published, kind) == {t: expected[t] for t in NOT_NULL if t in expected}


class DirectoryEvents:
    """Deletions and renames into a folder, in the order the Linux kernel saw them
    (inotify)."""

    IN_MOVED_TO, IN_DELETE = 0x80, 0x200

    def __init__(self, directory: Path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        mask = self.IN_MOVED_TO | self.IN_DELETE
        if self.libc.inotify_add_watch(self.fd, os.fsencode(directory), mask) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")

    def read(self) -> list[tuple[str, str]]:
        """(``deleted`` or ``renamed to``, file name) of each event so far."""
        data = b""
        while True:
            try:
                data += os.read(self.fd, 65536)
            except BlockingIOError:
                break
        events, offset = [], 0
        while offset < len(data):
            _, mask, _, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16 : offset + 16 + length].rstrip(b"\0").decode()
            events.append(("deleted" if mask & self.IN_DELETE else "renamed to", name))
            offset += 16 + length
        os.close(self.fd)
        return events


def small_warehouse(rows: int, label: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA coverage")
    con.execute("CREATE TABLE coverage.t (id INTEGER PRIMARY KEY, label VARCHAR NOT NULL)")
    con.execute("INSERT INTO coverage.t SELECT range, ? FROM range(?)", [label, rows])
    return con


def rows_of(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT label, count(*) FROM reporting.t GROUP BY ALL ORDER BY ALL"
        ).fetchall()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux only")
def test_old_wal_is_removed_before_the_new_file_takes_its_place(tmp_path):
    target = tmp_path / "coverage.duckdb"
    publish(small_warehouse(5, "old"), target, {"reporting.t": "coverage.t"}, "run-1")
    # Someone opened the published file read-write and left a WAL beside it.
    with duckdb.connect(str(target)) as con:
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute("DELETE FROM reporting.t WHERE id < 3")
        con.execute("INSERT INTO reporting.t VALUES (100, 'stale')")
    wal = Path(f"{target}.wal")
    shutil.copy(wal, tmp_path / "stale.wal")
    assert rows_of(target) == [("old", 2), ("stale", 1)]  # DuckDB replays it on open

    events = DirectoryEvents(tmp_path)
    publish(small_warehouse(10, "new"), target, {"reporting.t": "coverage.t"}, "run-2")
    assert [e for e in events.read() if e[1] in (wal.name, target.name)] == [
        ("deleted", wal.name),
        ("renamed to", target.name),
    ]
    assert not wal.exists()
    assert rows_of(target) == [("new", 10)]

    # Why the order matters: a reader opening the new file beside the old WAL would see
    # the old WAL's changes replayed onto the new figures.
    beside = tmp_path / "beside" / "coverage.duckdb"
    beside.parent.mkdir()
    shutil.copy(target, beside)
    shutil.copy(tmp_path / "stale.wal", f"{beside}.wal")
    assert rows_of(beside) != [("new", 10)]


def test_unknown_storage_version_names_the_setting_and_keeps_the_file(tmp_path):
    target = tmp_path / "coverage.duckdb"
    publish(small_warehouse(5, "old"), target, {"reporting.t": "coverage.t"}, "run-1")
    before = target.read_bytes()
    with pytest.raises(ValueError, match="CAKUPAN_STORAGE_VERSION='v9.9'"):
        publish(small_warehouse(9, "new"), target, {"reporting.t": "coverage.t"}, "r2", "v9.9")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage.duckdb"]


KILLED_PUBLISH = """
import sys
from pathlib import Path

import duckdb

from cakupan.publish import publish

con = duckdb.connect()
con.execute("CREATE SCHEMA coverage")
con.execute(
    "CREATE TABLE coverage.big AS SELECT range AS id, md5(range::VARCHAR) AS h "
    "FROM range(10000000)"
)
publish(con, Path(sys.argv[1]), {"reporting.big": "coverage.big"}, "killed-run")
print("published")
"""


def test_publish_killed_keeps_the_previous_file_and_the_next_run_cleans_up(published, tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    target = output / "coverage.duckdb"
    shutil.copy(published, target)
    previous = target.read_bytes()
    tmp = output / ".coverage.duckdb.killed-run.tmp"

    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISH, str(target)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while not tmp.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    out, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, (out, err)
    assert tmp.exists(), "killed before or after publishing, not during"
    assert target.read_bytes() == previous

    run = run_job(small_landing(tmp_path / "landing"), output)  # one snapshot: 514 rows
    assert run.success
    assert [p.name for p in output.iterdir() if p.name.startswith(".coverage")] == []
    assert run.published("SELECT count(*) AS n FROM reporting.coverage_by_city") == [{"n": 514}]


def header_version(path: Path) -> int:
    """The storage version number in a DuckDB file's main header (after an 8-byte
    checksum and the magic bytes ``DUCK``)."""
    head = path.read_bytes()[:20]
    assert head[8:12] == b"DUCK"
    return struct.unpack("<Q", head[12:20])[0]


def test_storage_version_setting_is_honoured(sample_run, published, tmp_path, monkeypatch):
    assert header_version(published) == 64  # v1.1.0: the version DuckDB 0.10 to 1.1 write
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("CAKUPAN_STORAGE_VERSION", "v1.2.0")
    settings = Settings.from_env()
    settings.ensure_private()
    shutil.copy(sample_run[0].settings.warehouse_path, settings.warehouse_path)
    # the code location's own resources: dg.EnvVar read when the run starts
    result = dg.materialize([reporting.published_coverage], resources=resources())
    assert result.success
    assert header_version(settings.published_path) == 65  # v1.2.0


def uv_command() -> list[str] | None:
    uv = shutil.which("uv") or os.environ.get("UV") or str(PROJECT_ROOT / ".bootstrap/bin/uv")
    return [uv, "run", "--isolated", "--no-project", "--quiet"] if Path(uv).exists() else None


def run_with_old_duckdb(requirement: str, code: str, *args: str) -> subprocess.CompletedProcess:
    uv = uv_command()
    if uv is not None:
        probe = subprocess.run(
            [*uv, "--with", requirement, "python", "-c", "import duckdb"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    if uv is None or probe.returncode != 0:
        reason = f"cannot run `uv run --with '{requirement}'` (uv or PyPI unreachable)"
        if uv is not None:
            reason += ": " + probe.stderr.strip()[-500:]
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return subprocess.run(
        [*uv, "--with", requirement, "python", "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


READ_WITH_OLD_DUCKDB = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
rows = con.execute(sys.argv[2]).fetchall()
print(json.dumps({"version": duckdb.__version__, "rows": rows}, default=str))
"""


@pytest.mark.parametrize(
    ("requirement", "major_minor"),
    [("duckdb==1.1.0", "1.1"), ("duckdb>=1.1,<2", None)],
    ids=["oldest", "newest-1.x"],
)
def test_duckdb_1x_clients_open_the_published_file(published, requirement, major_minor):
    query = "SELECT * FROM reporting.coverage_by_city ORDER BY snapshot_date, region_code"
    done = run_with_old_duckdb(requirement, READ_WITH_OLD_DUCKDB, str(published), query)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["version"].startswith(major_minor or "1.")
    with duckdb.connect(str(published), read_only=True) as con:
        expected = json.loads(json.dumps(con.execute(query).fetchall(), default=str))
    assert len(expected) == 1028
    assert result["rows"] == expected
