"""One place for each setting: ``cakupan.config.VARIABLES``.

Every ``CAKUPAN_`` variable is named, defaulted, read and checked there only, and the
README's table documents exactly its rows with their defaults. The CLI
(``Settings.from_env``), the ``settings`` resource of runs, sensors and the schedule
(``dg.EnvVar``) read the same values; a bad value is an error naming the variable, and a
bad value of a sensor's setting never stops the code location from loading.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import CakupanSettings
from cakupan.config import (
    PROJECT_ROOT,
    SENSOR_INTERVAL,
    SETTLE_ALIAS,
    SETTLE_ENV,
    VARIABLES,
    SettingError,
    Settings,
    seconds,
    switched_on,
    text,
    whole_seconds,
)
from pipelines import automation
from pipelines.definitions import build_definitions, resources

CONFIG = PROJECT_ROOT / "cakupan" / "config.py"
PRODUCT = [
    p for layer in ("cakupan", "assets", "pipelines") for p in (PROJECT_ROOT / layer).rglob("*.py")
]
NAME = re.compile(r"CAKUPAN_[A-Z0-9_]+")


def _environment_keys(tree: ast.AST) -> list[ast.expr | None]:
    """The keys of every ``os.environ[...]``, ``os.environ.<method>(...)`` and
    ``os.getenv(...)`` in ``tree`` (None: ``os.environ`` handed on whole)."""
    keys: list[ast.expr | None] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            keys.append(node.slice)
        elif isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if called == "os.getenv" or called.startswith("os.environ."):
                keys.append(node.args[0] if node.args else None)
            elif any(ast.unparse(a) == "os.environ" for a in node.args):
                keys.append(None)
    return keys


def test_every_cakupan_variable_is_read_through_the_table_only():
    named, read = {}, {}
    for path in PRODUCT:
        if path == CONFIG:
            continue
        where = str(path.relative_to(PROJECT_ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # a variable's name as a value of its own (to read it, or for dg.EnvVar)
        names = [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and NAME.fullmatch(n.value)
        ]
        if names:
            named[where] = names
        # the environment read with a key that is not a literal, or a CAKUPAN_ one
        wrong = [
            ast.unparse(k) if k is not None else "os.environ"
            for k in _environment_keys(tree)
            if not (isinstance(k, ast.Constant) and not str(k.value).startswith("CAKUPAN_"))
        ]
        if wrong and where != "assets/resources.py":
            read[where] = wrong
    assert named == {}
    assert read == {}
    # assets/resources.py hands the environment to config.field_variables, nothing else
    tree = ast.parse((PROJECT_ROOT / "assets" / "resources.py").read_text(encoding="utf-8"))
    assert _environment_keys(tree) == [None]


def test_the_scanner_sees_each_way_of_reading_the_environment():
    code = (
        "os.environ['CAKUPAN_A']; os.environ.get(NAME); os.getenv('CAKUPAN_B'); "
        "f(os.environ); os.environ.get('HOME')"
    )
    keys = _environment_keys(ast.parse(code))
    assert [ast.unparse(k) if k is not None else None for k in keys] == [
        "'CAKUPAN_A'",
        "NAME",
        "'CAKUPAN_B'",
        None,
        "'HOME'",
    ]


def _readme_rows() -> dict[str, str]:
    """Variable -> its default, from the README's table of variables."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(CAKUPAN_[A-Z0-9_]+)` \| ([^|]*) \|", readme, re.MULTILINE)
    return dict(rows)


def test_the_readme_documents_each_variable_with_its_default():
    rows = _readme_rows()
    assert list(rows) == [v.name for v in VARIABLES]  # the same, in the same order
    for variable in VARIABLES:
        default = variable.default
        if os.path.isabs(default):  # a path of the project, as the README shows it
            default = Path(default).relative_to(PROJECT_ROOT).as_posix()
        if default:
            assert rows[variable.name].startswith(f"`{default}`"), variable.name
        else:
            assert not rows[variable.name].startswith("`"), variable.name


def test_every_field_has_one_variable_and_every_variable_a_reader():
    fields = [v.field for v in VARIABLES if v.field]
    assert len(fields) == len(set(fields))
    assert set(fields) == set(Settings.__dataclass_fields__) - {"landing_option"}
    assert {v.parse for v in VARIABLES} >= {text, switched_on, seconds, whole_seconds}


BAD = {  # a value each checked variable refuses, and what the error says
    seconds: ("a minute", "is not a number of seconds >= 0"),
    whole_seconds: ("1.5", "is not a whole number of seconds >= 1"),
}


@pytest.mark.parametrize(
    "variable", [v for v in VARIABLES if v.parse not in (text, switched_on)], ids=lambda v: v.name
)
def test_a_bad_value_is_an_error_naming_the_variable(variable, monkeypatch):
    parse = getattr(variable.parse, "func", variable.parse)  # partial(seconds, ...)
    value, says = BAD[parse]
    monkeypatch.setenv(variable.name, value)
    with pytest.raises(SettingError, match=f"^{variable.name}='{value}' {re.escape(says)}$"):
        Settings.from_env()  # before anything starts, also for a variable read where used


def test_the_resource_reads_what_from_env_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("CAKUPAN_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("CAKUPAN_OUTPUT_DIR", "")  # empty: its default
    monkeypatch.setenv("CAKUPAN_MEMORY_LIMIT", "700MB")
    monkeypatch.setenv("CAKUPAN_DATA_DOCS", "off")
    monkeypatch.delenv(SETTLE_ENV)
    monkeypatch.setenv(SETTLE_ALIAS, "7.5")  # the older name
    with dg.build_resources({"settings": resources()["settings"]}) as built:  # dg.EnvVar
        assert built.settings.get() == Settings.from_env()
    assert Settings.from_env().settle_seconds == 7.5
    assert Settings.from_env().output_dir == str(PROJECT_ROOT / "data" / "output")
    # explicit settings (cakupan run, tests) come back as they were
    settings = Settings("l", "o", "v1.2.0", "1GB", "log", data_docs=False, settle_seconds=0.25)
    assert CakupanSettings.of(settings).get() == settings


def test_a_bad_sensor_setting_never_stops_the_definitions_loading(monkeypatch):
    """A bad value fails the sensor's ticks with an error naming it; the code location
    loads (tests/test_definitions.py loads it through Dagster's CLIs with such a value)."""
    monkeypatch.setenv(SENSOR_INTERVAL, "soon")
    monkeypatch.setenv(SETTLE_ENV, "later")
    defs = build_definitions()
    settings = {"settings": defs.resources["settings"]}
    sensor = defs.resolve_sensor_def(automation.SENSOR)
    assert sensor.minimum_interval_seconds == 60  # the default, until corrected

    def tick(name: str):
        with dg.build_sensor_context(definitions=defs, resources=settings) as context:
            return defs.resolve_sensor_def(name).evaluate_tick(context)

    with pytest.raises(SettingError, match=f"^{SENSOR_INTERVAL}='soon' is not a whole number"):
        tick(automation.SENSOR)
    monkeypatch.setenv(SENSOR_INTERVAL, "30")
    for name in (automation.SENSOR, automation.SNAPSHOTS_SENSOR):
        with pytest.raises(SettingError, match=f"^{SETTLE_ENV}='later' is not a number"):
            tick(name)
    schedule = defs.resolve_schedule_def(automation.SCHEDULE)
    with (
        dg.build_schedule_context(resources=settings) as context,
        pytest.raises(dg.DagsterUserCodeExecutionError) as failed,
    ):
        schedule.evaluate_tick(context)
    assert isinstance(failed.value.user_exception, SettingError)
    assert str(failed.value.user_exception).startswith(f"{SETTLE_ENV}='later' is not a number")
    assert build_definitions().resolve_sensor_def(automation.SENSOR).minimum_interval_seconds == 30
