"""The embedded sample is exactly what the committed generator makes."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cakupan.config import PROJECT_ROOT, SAMPLE_LANDING_DIR


def _contents(root: Path) -> dict[str, str | pa.Table]:
    """Each file of ``root`` by name: a Parquet file's decoded table (schema and rows: its
    zstd bytes change with the writer, a pyarrow upgrade, when its contents do not), any
    other file's SHA-256."""
    return {
        str(p.relative_to(root)): pq.read_table(p)
        if p.suffix == ".parquet"
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generator_reproduces_the_committed_sample(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "make_sample", PROJECT_ROOT / "scripts" / "make_sample.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_sample"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    module.main(tmp_path / "landing")
    assert _contents(tmp_path / "landing") == _contents(SAMPLE_LANDING_DIR)
    size = sum(p.stat().st_size for p in SAMPLE_LANDING_DIR.rglob("*") if p.is_file())
    assert size <= 20 * 1024 * 1024
