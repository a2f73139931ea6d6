"""How a landing folder says it holds sample data, not real extracts: a manifest file
``cakupan-sample.json`` at its root (never read as an extract: those are in the kinds'
folders), e.g. ``{"name": "...", "description": "..."}``. Its presence is what counts;
its ``name`` labels the figures (``ops.run_status.landing_label``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "cakupan-sample.json"


@dataclass(frozen=True)
class LandingLabel:
    sample: bool
    label: str | None  # the manifest's name, if any


def read_label(landing: Path | str) -> LandingLabel:
    """Whether ``landing`` declares itself a sample, and the manifest's name."""
    path = Path(landing) / MANIFEST
    if not path.is_file():
        return LandingLabel(False, None)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None  # a manifest that cannot be read still marks a sample
    name = data.get("name") if isinstance(data, dict) else None
    return LandingLabel(True, name if isinstance(name, str) and name.strip() else None)
