"""The Dagster definitions load, in process and through Dagster's own CLIs, and match the
committed snapshot (syrupy's JSON extension:
``tests/__snapshots__/test_definitions/test_definitions_match_the_snapshot.json``): every
asset with its deps, group, kinds, owners, tags, hooks and whether it has a code version;
every check with its severity and whether it blocks; the jobs with what they select; the
schedule.

A change to the graph fails ``test_definitions_match_the_snapshot`` with a diff. When the
change is meant, update the snapshot and commit it with the change::

    uv run --no-sync pytest tests/test_definitions.py --snapshot-update
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from pipelines.definitions import build_definitions, defs

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_definitions_load_with_the_expected_assets():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for table in (
        "raw/workforce",
        "raw/membership",
        "raw/targets",
        "staging/membership",
        "coverage/coverage_by_city",
        "reporting/coverage_by_city",
        "reporting/coverage_by_province",
        "reporting/coverage_national",
        "reference/regencies",
        "reference/region_codes",
    ):
        assert table in keys
    # One group per stage (and side table): the first part of the key, the schema.
    for key in graph.get_all_asset_keys():
        assert graph.get(key).group_name == key.path[0], key
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key  # docstrings show in the UI
        assert node.kinds & {"duckdb", "polars"}, key
    dg.Definitions.validate_loadable(defs)


def test_job_runs_steps_one_at_a_time():
    job = build_definitions().resolve_job_def("cakupan")
    assert job.executor_def is dg.in_process_executor
    assert defs.resolve_schedule_def("cakupan_nightly").execution_timezone == "Asia/Jakarta"


@pytest.mark.parametrize(
    "command",
    [["dagster", "definitions", "validate", "-w", "workspace.yaml"], ["dg", "check", "defs"]],
    ids=["dagster-definitions-validate", "dg-check-defs"],
)
def test_cli_loads_the_code_location(command, tmp_path):
    env = {**os.environ, "CAKUPAN_OUTPUT_DIR": str(tmp_path), "VIRTUAL_ENV": str(ROOT / ".venv")}
    # bad values fail the sensors' ticks, never the loading (tests/test_settings.py)
    env |= {"CAKUPAN_SENSOR_INTERVAL": "soon", "CAKUPAN_SETTLE_SECONDS": "later"}
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_loading_the_definitions_does_not_import_great_expectations():
    code = (
        "import sys, pipelines.definitions; "
        "sys.exit(1 if 'great_expectations' in sys.modules else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def _keys(keys) -> list[str]:
    return sorted(k.to_user_string() for k in keys)


def _partitions(partitions_def) -> str | None:
    """The partitions of an asset: the dynamic partitions' name."""
    if partitions_def is None:
        return None
    return f"{type(partitions_def).__name__}:{getattr(partitions_def, 'name', '')}"


def _hooks(definition) -> list[str]:
    return sorted(h.name for h in definition.hook_defs)


def describe(definitions: dg.Definitions) -> dict:
    """What the snapshot holds, from the definitions as Dagster resolves them."""
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "deps": _keys(node.parent_keys),
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": sorted(node.owners),
            "tags": {k: v for k, v in node.tags.items() if not k.startswith("dagster/kind/")},
            "code_version": node.code_version is not None,
            "materialized_by_dagster": node.is_executable,
            "hooks": _hooks(node.assets_def) if node.is_executable else [],
            "checks": sorted(k.name for k in node.check_keys),
            "partitions": _partitions(node.partitions_def),
            "backfill_policy": str(node.backfill_policy.policy_type.value)
            if node.backfill_policy
            else None,
        }
    check_hooks = {k: _hooks(c) for c in definitions.asset_checks or [] for k in c.check_keys}
    checks = {}
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(key)
        severity = re.match(r"\[(ERROR|WARN)\] ", spec.description or "")
        checks[f"{key.asset_key.to_user_string()}:{key.name}"] = {
            "severity": severity.group(1) if severity else None,
            "blocking": spec.blocking,
            "hooks": check_hooks.get(key, []),
        }
    jobs = {}
    for job in definitions.jobs or []:
        resolved = definitions.resolve_job_def(job.name)
        jobs[job.name] = {
            "assets": _keys(job.selection.resolve(graph)),
            "checks": len(job.selection.resolve_checks(graph)),
            "executor": resolved.executor_def.name,
        }
    schedules = {
        s.name: {"job": s.job_name, "cron": s.cron_schedule, "timezone": s.execution_timezone}
        for s in definitions.schedules or []
    }
    return {"assets": assets, "checks": checks, "jobs": jobs, "schedules": schedules}


def test_definitions_match_the_snapshot(snapshot):
    """If the graph changed on purpose: `pytest tests/test_definitions.py --snapshot-update`,
    then commit the snapshot with the change."""
    assert describe(defs) == snapshot(extension_class=JSONSnapshotExtension)


# The files each SQL-backed asset runs, read off its code (macros first), and hashed here
# the way a code version is documented to be made: the UI marks an asset stale exactly
# when one of these files changes.
SQL_FILES = {
    "reference/region_codes": ["reference/region_codes.sql"],
    # raw: the macros, the table, the parse, then the kind's file checks and figures
    "raw/workforce": [
        "raw/macros.sql",
        "raw/workforce.sql",
        "raw/parse_workforce.sql",
        "raw/check_duplicate_keys.sql",
    ],
    "raw/membership": [
        "raw/macros.sql",
        "raw/membership.sql",
        "raw/prepare_membership.sql",
        "raw/parse_membership.sql",
        "raw/check_invalid_nik_share.sql",
        "raw/figures_membership.sql",
    ],
    "raw/targets": ["raw/macros.sql", "raw/targets.sql", "raw/parse_targets.sql"],
    "raw/sakernas": [
        "raw/status_mapping.sql",
        "raw/macros.sql",
        "raw/sakernas.sql",
        "raw/parse_sakernas.sql",
    ],
    "raw/membership_counts": [
        "raw/macros.sql",
        "raw/membership_counts.sql",
        "raw/parse_membership_counts.sql",
        "raw/check_duplicate_keys.sql",
        "raw/check_counts_conflict.sql",
    ],
    "staging/membership": ["staging/membership.sql"],
    # staging: the macros (the winning row of a key), then the table
    **{
        f"staging/{t}": ["staging/macros.sql", f"staging/{t}.sql"]
        for t in ("workforce", "targets", "sakernas_potentials", "membership_counts")
    },
    "coverage/coverage_by_city": [
        "coverage/macros.sql",
        "coverage/rounds.sql",
        "coverage/coverage_by_city.sql",
    ],
    **{
        f"coverage/{t}": ["coverage/macros.sql", "coverage/rollups.sql", f"coverage/{t}.sql"]
        for t in ("coverage_by_province", "coverage_national")
    },
}
REFERENCE_CSV = ROOT / "data" / "reference"


def _sha(parts: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in parts:
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:12]


def test_code_versions_are_hashes_of_the_sql_each_asset_runs():
    graph = defs.resolve_asset_graph()
    expected = {
        key: _sha([(f, (ROOT / "sql" / f).read_bytes()) for f in files])
        for key, files in SQL_FILES.items()
    }
    for csv in sorted(REFERENCE_CSV.glob("*.csv")):
        if csv.stem == "status_mapping":  # the Sakernas mapping, read by raw/sakernas
            continue
        sql = [("reference/load_csv.sql", (ROOT / "sql/reference/load_csv.sql").read_bytes())]
        expected[f"reference/{csv.stem}"] = _sha(sql + [(csv.name, csv.read_bytes())])
    versions = {
        k.to_user_string(): graph.get(k).code_version
        for k in graph.get_all_asset_keys()
        if graph.get(k).code_version is not None
    }
    assert versions == expected
    assert len(set(versions.values())) == len(versions)  # one SQL edit marks its own assets


def test_every_asset_has_an_owner_and_the_tables_of_pseudonyms_are_tagged_pii():
    graph = defs.resolve_asset_graph()
    nodes = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    assert all(node.owners for node in nodes.values())
    # The tables with a column documented as a pseudonym, read from the SQL's COMMENTs.
    pseudonymized = {
        f"{m.group(1)}/{m.group(2)}"
        for path in (ROOT / "sql").rglob("*.sql")
        for m in re.finditer(
            r"COMMENT ON COLUMN (\w+)\.(\w+)\.\w+ IS '[^']*pseudonym", path.read_text()
        )
    }
    assert pseudonymized == {"raw/membership", "staging/membership"}
    tagged = {key for key, node in nodes.items() if node.tags.get("pii") == "pseudonymized"}
    assert tagged == pseudonymized


def test_make_dev_prints_a_lineage_link_with_every_group_open():
    """Dagster opens the lineage page with every group collapsed; the link `make dev`
    prints opens them all (the UI's `expanded` parameter, one `global@global:<group>` each)."""
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {
        "reference",
        "raw",
        "staging",
        "coverage",
        "reporting",
        "reports",
        "ops",
        "quality",
    }
    done = subprocess.run(
        ["make", "-s", "-n", "dev", "PORT=3999"], cwd=ROOT, capture_output=True, text=True
    )
    link = re.search(r"http://127\.0\.0\.1:3999/asset-groups\?expanded=([^\s\"]+)", done.stdout)
    assert link, done.stdout + done.stderr
    ids = link.group(1).split(",")
    assert sorted(ids) == sorted(f"global@global:{g}" for g in groups)
