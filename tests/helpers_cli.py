"""``cakupan`` run in the test process: the same ``cli.main`` the console script calls, with
the environment a console-script test gives it (``tests.test_run_lock.environment``), without
paying the console script's start-up (importing Dagster and GX) once more per run.

For the runs whose process is not the point (a reference run, the run after a killed one);
tests of the command's own process (its exit at a closed pipe, its output as it goes, a
process killed with SIGKILL) keep starting the console script.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pipelines import cli
from tests.conftest import Landing, both_segments, nik

TEST_KEY = "test-key-not-secret"  # tests.test_run_lock.environment's


def cakupan_in_process(*args, key: str = TEST_KEY, **env: str) -> tuple[int, str, str]:
    """``cakupan args`` in this process: exit status, standard output, standard error. The
    environment is the console-script tests' (no ``CAKUPAN_*`` or ``DAGSTER_HOME`` but the
    pseudonym ``key``, files just written counted as settled and ``env``), restored
    afterwards."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("CAKUPAN_") or name == "DAGSTER_HOME":
                mp.delenv(name)
        settled = {"CAKUPAN_SETTLE_SECONDS": "0"}
        for name, value in {"CAKUPAN_PSEUDONYM_KEY": key, **settled, **env}.items():
            mp.setenv(name, value)
        with redirect_stdout(out), redirect_stderr(err):
            status = cli.main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


def small_landing(root: Path) -> Path:
    """A landing folder of a few rows: 2 members in 61.72 on 2025-06-30 (``root``)."""
    landing = Landing(root)
    landing.workforce(both_segments("2024-08", "61.72", 1000, 1000))
    landing.membership(
        [["2025-06-30", nik(i), "PU", "61.72", "AKTIF", "JKK,JKM", "2020-01-01"] for i in (1, 2)]
    )
    landing.targets([[2025, "61.72", "35,00"]])
    return landing.root
