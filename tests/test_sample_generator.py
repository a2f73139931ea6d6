"""The embedded sample is exactly what the committed generator makes."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from cakupan.config import PROJECT_ROOT, SAMPLE_LANDING_DIR


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
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
    assert _digests(tmp_path / "landing") == _digests(SAMPLE_LANDING_DIR)
    size = sum(p.stat().st_size for p in SAMPLE_LANDING_DIR.rglob("*") if p.is_file())
    assert size <= 20 * 1024 * 1024
