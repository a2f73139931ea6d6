"""The layers point one way: core library (cakupan/, no Dagster) -> Dagster assets and
resources (assets/) -> code location (pipelines/: definitions, jobs, schedule, CLI)."""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# What each layer may not import (its own and lower layers are fine).
FORBIDDEN = {
    "cakupan": {"dagster", "dagster_webserver", "assets", "pipelines"},
    "assets": {"pipelines"},
}


def _modules(path: Path) -> set[str]:
    """Dotted names of every module ``path`` imports, also ``cakupan.x`` for ``from cakupan
    import x`` (inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (also inside functions)."""
    return {name.split(".")[0] for name in _modules(path)}


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


# --- reports are a downstream consumer of the published coverage.duckdb ---------------------

REPORTS = ROOT / "cakupan" / "reports"
# What cakupan/reports may not import: the code that reads the landing folder, writes the
# warehouse or its private folder, or publishes (the run status included); the settings,
# which know where the warehouse is (reports are given the published file's path).
WAREHOUSE_MODULES = {
    f"cakupan.{name}"
    for name in (
        "config",
        "extracts",
        "files",
        "ingest",
        "landing",
        "ledger",
        "preflight",
        "private",
        "pseudonym",
        "publish",
        "rejections",
        "runlock",
        "sakernas",
        "sample",
        "settling",
        "sheets",
        "snapshots",
        "sqlfiles",
    )
}


def _within(names: set[str], modules: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == m or n.startswith(f"{m}.") for m in modules))


def test_reports_import_no_ingest_landing_ledger_or_warehouse_code():
    files = sorted(REPORTS.rglob("*.py"))
    assert files
    wrong = {str(f.relative_to(ROOT)): _within(_modules(f), WAREHOUSE_MODULES) for f in files}
    assert {f: names for f, names in wrong.items() if names} == {}


def test_the_module_scanner_sees_both_forms(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from cakupan import ledger\ndef f():\n    import cakupan.landing.x\n")
    assert _within(_modules(module), WAREHOUSE_MODULES) == ["cakupan.landing.x", "cakupan.ledger"]


def test_reports_open_only_the_published_file_read_only():
    """No report names the warehouse or the private folder, and each DuckDB connection it
    opens is read-only (the published coverage.duckdb, whose path it is given)."""
    sources = sorted(p for p in REPORTS.rglob("*") if p.suffix in (".py", ".j2"))
    assert sources
    named = {
        str(p.relative_to(ROOT))
        for p in sources
        for word in ("warehouse", "private", "lock_path")
        if word in p.read_text(encoding="utf-8").lower()
    }
    assert named == set()
    connects = [
        (str(p.relative_to(ROOT)), node)
        for p in sources
        if p.suffix == ".py"
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "connect"
    ]
    assert connects
    writable = [
        f"{path}:{node.lineno}"
        for path, node in connects
        if not any(
            k.arg == "read_only" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
    ]
    assert writable == []


def test_report_assets_run_after_the_published_file():
    """The briefs and the exports depend on every table of the published file (written
    whole by one asset), so they read the coverage.duckdb of their run."""
    from assets.reporting import published_coverage
    from assets.reports import briefs, exports

    for report in (briefs, exports):
        assert report.asset_deps[report.key] == set(published_coverage.keys)


# Every function of the product that hashes with hashlib, and what it hashes: code versions
# in one place only (cakupan.sqlfiles.version, which materialize, snapshots and ledger call).
HASHERS = {
    ("cakupan/sqlfiles.py", "version"): "code versions: the one hasher",
    ("cakupan/sqlfiles.py", "_link"): "the safe name of a link to a landing file",
    ("cakupan/landing.py", "file_sha256"): "a landing file's bytes",
    ("cakupan/pseudonym.py", "from_key"): "the pseudonymization secret (HMAC)",
    ("cakupan/snapshots.py", "_digest"): "a snapshot's inputs, code versions among them",
    ("pipelines/automation.py", "fingerprint"): "the landing folder, for the sensor",
}


def _hashers(path: Path) -> set[str]:
    """The functions of ``path`` that use hashlib."""
    return {
        node.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(n, ast.Name) and n.id == "hashlib" for n in ast.walk(node))
    }


def test_one_hasher_of_code_versions():
    from cakupan.sqlfiles import version

    found = {
        (str(f.relative_to(ROOT)), name)
        for layer in ("cakupan", "assets", "pipelines")
        for f in sorted((ROOT / layer).rglob("*.py"))
        for name in _hashers(f)
    }
    assert found == set(HASHERS)
    assert version("a", b"b") == hashlib.sha256(b"a\0b\0").hexdigest()[:16]  # values kept


# SQL statements in Python string literals (f-strings' parts included).
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|COMMENT ON|COPY)\b")
# The modules of assets/ and pipelines/ that still hold inline SQL (issue #22): may shrink.
STILL_INLINE = {
    "assets/checks.py",  # the count and sample of rows a catalogue check's SQL returns
    "assets/materialize.py",  # the row count of any table, for its metadata
    "assets/ops.py",
    "assets/quality.py",
    "assets/reference.py",
    "assets/reports.py",
}


def _inline_sql(path: Path) -> list[str]:
    """The string literals of ``path`` that read as SQL statements."""
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and SQL_WORDS.search(node.value)
    ]


def test_queries_live_in_sql_files():
    """The business queries of the stages and of the CLI's summary are files of ``sql/``
    (``cakupan.sqlfiles.sql``), not strings in Python."""
    files = sorted(f for layer in ("assets", "pipelines") for f in (ROOT / layer).rglob("*.py"))
    inline = {str(f.relative_to(ROOT)) for f in files if _inline_sql(f)}
    assert inline <= STILL_INLINE


def test_the_sql_scanner_sees_plain_and_f_strings(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('a = "select 1"\nb = f"""\n  SELECT x FROM {t}"""\nc = "INSERTED rows"\n')
    assert _inline_sql(module) == ["\n  SELECT x FROM "]


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
