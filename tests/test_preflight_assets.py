"""Runs started outside the CLI (UI, schedule) stop on an empty landing folder too, naming
the folders looked in, before any check of what depends on them runs."""

from __future__ import annotations

import dagster as dg

from cakupan.config import Settings
from pipelines.definitions import build_definitions


def _failures(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    events = [e for e in result.all_events if e.is_step_failure]
    return {e.step_key: e.step_failure_data.error.message for e in events}


def test_no_membership_and_no_workforce_fail_naming_the_folders(tmp_path):
    landing = tmp_path / "landing"
    (landing / "membership").mkdir(parents=True)
    settings = Settings(landing_dir=str(landing), output_dir=str(tmp_path / "out"))
    job = build_definitions(settings).resolve_job_def("cakupan")
    result = job.execute_in_process(raise_on_error=False)
    assert not result.success
    failures = _failures(result)
    assert "nothing to run on" in failures["raw__workforce"]
    assert f"{landing / 'workforce'}: no .csv" in failures["raw__workforce"]
    assert f"{landing / 'sakernas'}" in failures["raw__workforce"]
    assert f"{landing / 'membership'}: no .csv" in failures["raw__membership"]
    assert f"{landing / 'membership_counts'}" in failures["raw__membership"]
    assert "SqlAddBatchDefinitionError" not in "".join(failures.values())
    checked = {e.asset_key.to_user_string() for e in result.get_asset_check_evaluations()}
    assert checked <= {"raw/targets"}  # nothing downstream of the missing extracts ran
    assert not settings.published_path.exists()
