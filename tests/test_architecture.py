"""The layers point one way: core library (cakupan/, no Dagster) -> Dagster assets and
resources (assets/) -> code location (pipelines/: definitions, jobs, schedule, CLI)."""

from __future__ import annotations

import ast
import inspect
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# What each layer may not import (its own and lower layers are fine).
FORBIDDEN = {
    "cakupan": {"dagster", "dagster_duckdb", "dagster_webserver", "assets", "pipelines"},
    "assets": {"pipelines"},
}


def _imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (also inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_from_a_higher_layer(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files
    wrong = {
        str(f.relative_to(ROOT)): sorted(_imports(f) & FORBIDDEN[layer])
        for f in files
        if _imports(f) & FORBIDDEN[layer]
    }
    assert wrong == {}


def test_the_scanner_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import dagster as dg\n    from pipelines import cli\n")
    assert {"dagster", "pipelines"} <= _imports(module)


def test_one_code_location_declared_alike_for_dg_and_dagster():
    """`dg` reads pyproject.toml, `dagster dev -w` reads workspace.yaml: same module and
    name, so the UI, `dg dev` and `dagster dev -w workspace.yaml` show one location."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    assert "dagster" not in project  # no third declaration
    dg_project = project["dg"]["project"]
    (entry,) = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"]
    module = entry["python_module"]
    assert module["module_name"] == dg_project["code_location_target_module"]
    assert module["location_name"] == dg_project["code_location_name"] == "cakupan"


PRODUCT = ("cakupan", "assets", "pipelines", "scripts", "benchmarks")


def _private_dagster_imports(path: Path) -> list[str]:
    """Modules of ``path`` imported from Dagster's private API (``dagster._...``)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return [n for n in names if n.startswith("dagster._")]


def test_no_product_module_imports_private_dagster():
    files = sorted(f for layer in PRODUCT for f in (ROOT / layer).rglob("*.py"))
    wrong = {str(f.relative_to(ROOT)): _private_dagster_imports(f) for f in files}
    assert {f: names for f, names in wrong.items() if names} == {}


def test_the_private_import_scanner_sees_both_forms(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import dagster._utils\ndef f():\n    from dagster._core import x\n")
    assert _private_dagster_imports(module) == ["dagster._utils", "dagster._core"]


def test_partition_range_tags_are_dagsters():
    """pipelines/runs.py spells Dagster's partition-range tags itself: pinned to Dagster's."""
    from dagster._core.storage import tags  # private: only here, to pin the strings

    from pipelines import runs

    assert runs.PARTITION_RANGE_START_TAG == tags.ASSET_PARTITION_RANGE_START_TAG
    assert runs.PARTITION_RANGE_END_TAG == tags.ASSET_PARTITION_RANGE_END_TAG


def _modules(path: Path) -> set[str]:
    """Every module ``path`` imports, by its full name (``from a import b``: ``a``, ``a.b``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_ledger_plans_before_the_ingest_reads_and_records_after():
    """One boundary between the ingest and its ledger: the ledger decides before reading
    (``ledger.plan``: an immutable plan) and records the ingest's report after
    (``ledger.record``); the ingest calls nothing else of it, and the ledger imports
    nothing of the ingest."""
    from cakupan import ledger

    source = ast.parse((ROOT / "cakupan/ingest.py").read_text(encoding="utf-8"))
    called = {
        node.func.attr
        for node in ast.walk(source)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "ledger"
    }
    assert called == {"plan", "record"}
    assert not {"cakupan.ingest", "cakupan.ingest.ingest"} & _modules(ROOT / "cakupan/ledger.py")
    assert ledger.Plan.__dataclass_params__.frozen and ledger.Entry.__dataclass_params__.frozen
    assert "settings" not in inspect.signature(ledger.record).parameters
