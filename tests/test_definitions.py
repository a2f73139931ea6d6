"""The Dagster definitions load, in process and through Dagster's own CLIs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

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
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {"reference", "raw", "staging", "coverage", "reporting"}
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
