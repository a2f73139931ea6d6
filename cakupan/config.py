"""Where cakupan reads and writes, and every setting: paths and values come from here (no Dagster).

Every ``CAKUPAN_`` environment variable is a row of :data:`VARIABLES`, the one place of its
name, its default, how its text is read and checked, and the :class:`Settings` field it
sets; the README's table documents each (``tests/test_settings.py`` keeps the two equal).
``Settings.from_env`` (the CLI), the ``settings`` resource (runs, sensors, the schedule;
``assets/resources.py``) and the few variables read where they are used (:func:`setting`)
all read them through it. A value that cannot be used is a :class:`SettingError` naming
the variable.

``CAKUPAN_PSEUDONYM_KEY`` is not a field: it is read when needed (:meth:`Settings.pseudonym_key`),
never shown; when unset, a random key is created once as ``$XDG_CONFIG_HOME/cakupan/pseudonym.key``
(``~/.config/...`` when unset; file 0600, folder 0700), kept out of the output folder, which
holds the pseudonyms: with both, NIKs can be recovered by trying every plausible one.
"""

from __future__ import annotations

import math
import os
import secrets
import sys
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from cakupan.files import check_writable, write_new, writing

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
SAMPLE_LANDING_DIR = PROJECT_ROOT / "data" / "sample" / "landing"
DEFAULT_OUTPUT_DIR = PROJECT_ROOT / "data" / "output"

DEFAULT_STORAGE_VERSION = "v1.1.0"  # coverage.duckdb opens in DuckDB 1.x clients
DEFAULT_MEMORY_LIMIT = "4GB"  # DuckDB's memory_limit ('4GB', '500MB')
KEY_FILE_NAME = "pseudonym.key"
PRIVATE_DIR_NAME = "private"  # in the output folder: never shared (Settings.private_dir)

# the names other modules use
KEY_ENV = "CAKUPAN_PSEUDONYM_KEY"
SETTLE_ENV, SETTLE_ALIAS = "CAKUPAN_SETTLE_SECONDS", "CAKUPAN_SENSOR_SETTLE"
LOCK_TIMEOUT = "CAKUPAN_LOCK_TIMEOUT"
STATUS_MAPPING = "CAKUPAN_STATUS_MAPPING"
SENSOR_INTERVAL = "CAKUPAN_SENSOR_INTERVAL"


class SettingError(ValueError):
    """A setting's value cannot be used; the message names the variable."""


# How the text of a variable is read: (text, name) -> value, or SettingError naming it.


def text(value: str, name: str) -> str:
    return value


def switched_on(value: str, name: str = "") -> bool:
    """A yes/no setting: off for ``false``, ``0``, ``no`` or ``off`` (any case), else on."""
    return value.strip().lower() not in ("false", "0", "no", "off")


def seconds(value: str, name: str, forever: bool = False) -> float:
    """A number of seconds >= 0 (``inf`` too when ``forever``)."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (0 <= number < math.inf or (forever and number == math.inf)):  # nan neither
        raise SettingError(f"{name}={value.strip()!r} is not a number of seconds >= 0")
    return number


def whole_seconds(value: str, name: str) -> int:
    """A whole number of seconds >= 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise SettingError(f"{name}={value.strip()!r} is not a whole number of seconds >= 1")
    return number


@dataclass(frozen=True)
class Variable:
    """A ``CAKUPAN_`` environment variable: the :class:`Settings` field it sets (None: read
    where it is used, :func:`setting`), how its text is read, its default (as it would be
    written in the environment) when unset or empty, and older names still read."""

    name: str
    field: str | None
    parse: Callable[[str, str], Any] = text
    default: str = ""
    aliases: tuple[str, ...] = ()

    def read(self, environ: Mapping[str, str] = os.environ) -> Any:
        """Its value in ``environ``: the variable, else its older names, else the default."""
        for name in (self.name, *self.aliases):
            value = environ.get(name, "")
            if value.strip():
                return self.parse(value, name)
        return self.parse(self.default, self.name)


# Every setting, one row each, in the order of the README's table. Adding one: a row here
# (and a Settings field, if it has one) and a line in that table.
VARIABLES = (
    Variable("CAKUPAN_LANDING_DIR", "landing_dir", default=str(SAMPLE_LANDING_DIR)),
    Variable("CAKUPAN_OUTPUT_DIR", "output_dir", default=str(DEFAULT_OUTPUT_DIR)),
    Variable(KEY_ENV, None),  # a secret: read when needed (Settings.pseudonym_key)
    Variable("CAKUPAN_STORAGE_VERSION", "storage_version", default=DEFAULT_STORAGE_VERSION),
    # the Sakernas status mapping (cakupan.sakernas), read when loaded and fingerprinted
    Variable(STATUS_MAPPING, None, default=str(REFERENCE_DIR / "status_mapping.csv")),
    # how long a run waits for the run lock (cakupan.runlock), read when it is taken
    Variable(LOCK_TIMEOUT, None, partial(seconds, forever=True), "600"),
    # a landing file modified less recently than this is whole (cakupan.settling)
    Variable(SETTLE_ENV, "settle_seconds", seconds, "60", aliases=(SETTLE_ALIAS,)),
    Variable("CAKUPAN_MEMORY_LIMIT", "memory_limit", default=DEFAULT_MEMORY_LIMIT),
    Variable("CAKUPAN_DATA_DOCS", "data_docs", switched_on, "true"),  # rebuild GX's Data Docs
    Variable("CAKUPAN_SQL_LOG", "sql_log"),  # a folder for DuckDB's statement log; "": none
    # how often the landing sensor looks (pipelines.automation), read when it is defined
    Variable(SENSOR_INTERVAL, None, whole_seconds, "60"),
)
_BY_NAME = {v.name: v for v in VARIABLES}


def setting(name: str, environ: Mapping[str, str] = os.environ) -> Any:
    """The value of the variable ``name`` (a row of :data:`VARIABLES`) in ``environ``."""
    return _BY_NAME[name].read(environ)


def field_variables(environ: MutableMapping[str, str]) -> list[str]:
    """The names the :class:`Settings` fields are read from (older names too), each set
    empty in ``environ`` when unset there: empty reads as the default, and the ``settings``
    resource's dg.EnvVar fails on an unset variable."""
    names = [n for v in VARIABLES if v.field for n in (v.name, *v.aliases)]
    for name in names:
        environ.setdefault(name, "")
    return names


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/cakupan``, or ``~/.config/cakupan`` (a relative value is ignored,
    as the XDG Base Directory specification says)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".config") / "cakupan"


class LandingDirectoryError(Exception):
    """The landing directory is missing or unreadable."""


class PseudonymKeyConflict(Exception):
    """Two different key files: cakupan will not choose between them."""


@dataclass(frozen=True)
class Settings:
    """The settings of a cakupan deployment (the fields of :data:`VARIABLES`): its landing
    and output folders, from which every path derives, and how it runs.

    Plain data: reading it has no side effects (nothing is created until something is
    written). The pseudonymization key is not a field: it is read when needed from
    ``CAKUPAN_PSEUDONYM_KEY`` or the key file (:meth:`pseudonym_key`), never shown.
    """

    landing_dir: str
    output_dir: str
    storage_version: str = DEFAULT_STORAGE_VERSION  # of coverage.duckdb
    memory_limit: str = DEFAULT_MEMORY_LIMIT  # DuckDB's memory_limit ('4GB', '500MB')
    sql_log: str = ""  # folder of DuckDB's statement log (CAKUPAN_SQL_LOG); "" for none
    data_docs: bool = True  # rebuild GX's Data Docs HTML (CAKUPAN_DATA_DOCS)
    # a landing file modified less than this many seconds ago is still being written
    # (CAKUPAN_SETTLE_SECONDS: 60 unless set, from_env); Settings built in code read every
    # file as it is unless they say otherwise
    settle_seconds: float = 0.0
    landing_option: str = "CAKUPAN_LANDING_DIR"  # how the user set landing_dir, for errors

    @classmethod
    def of_variables(cls, environ: Mapping[str, str]) -> Settings:
        """The fields from the variables of :data:`VARIABLES` in ``environ`` (the
        environment, or the values of the ``settings`` resource), each one unset or empty
        read as its default. SettingError when a value cannot be used."""
        return cls(**{v.field: v.read(environ) for v in VARIABLES if v.field})

    def variables(self) -> dict[str, str]:
        """The text of each variable of a field, as :meth:`of_variables` reads it back."""
        return {v.name: str(getattr(self, v.field)) for v in VARIABLES if v.field}

    @classmethod
    def from_env(cls, landing_dir: str | None = None, output_dir: str | None = None) -> Settings:
        """Settings from the arguments, else the environment, else the documented defaults.
        SettingError when the value of any variable cannot be used, also of one read where
        it is used (:func:`setting`): said before anything starts."""
        for variable in VARIABLES:
            variable.read()
        found = cls.of_variables(os.environ)
        return replace(
            found,
            landing_dir=str(Path(landing_dir).resolve()) if landing_dir else found.landing_dir,
            output_dir=str(Path(output_dir).resolve()) if output_dir else found.output_dir,
            landing_option="--landing" if landing_dir else found.landing_option,
        )

    @property
    def settle(self) -> float:
        """Seconds a landing file must be left untouched before it is read (a file changed
        more recently is still being written): ``settle_seconds``, but 0 for the embedded
        sample, which is part of the checkout (a fresh clone's files are seconds old, and
        nothing copies them)."""
        embedded = Path(self.landing_dir).resolve() == SAMPLE_LANDING_DIR.resolve()
        return 0.0 if embedded else self.settle_seconds

    def with_output(self, output_dir: str) -> Settings:
        return replace(self, output_dir=output_dir)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    def check_landing(self) -> Path:
        """The landing folder, or LandingDirectoryError naming it (and how it was set)."""
        path = self.landing
        if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
            raise LandingDirectoryError(
                f"landing directory {path} does not exist or is not a readable folder "
                f"(set {self.landing_option})"
            )
        return path

    @property
    def output(self) -> Path:
        return Path(self.output_dir)

    def ensure_output(self) -> Path:
        """The output folder, created when missing (call before writing into it);
        :class:`cakupan.files.OutputFolderError` when it cannot be."""
        with writing(self.output, "the output folder"):
            self.output.mkdir(parents=True, exist_ok=True)
        return self.output

    def check_output(self, room: bool = True) -> Path:
        """Before a run: the output folder exists (created if missing), takes a new file,
        and (``room``) has at least as much free space as the landing files take (the
        warehouse holds all their rows); else :class:`cakupan.files.OutputFolderError`."""
        return check_writable(self.output, needed=landing_bytes(self.landing) if room else 0)

    @property
    def private_dir(self) -> Path:
        """``<output>/private``: everything that holds pseudonyms, run logs or run state
        (folder 0700, files 0600; ``cakupan.private``). The rest of the output may be shared."""
        return self.output / PRIVATE_DIR_NAME

    def ensure_private(self) -> Path:
        """The private folder, created when missing and made 0700 (also one made otherwise)."""
        with writing(self.output, "the private folder"):
            self.ensure_output()
            self.private_dir.mkdir(mode=0o700, exist_ok=True)
            os.chmod(self.private_dir, 0o700)
        return self.private_dir

    @property
    def warehouse_path(self) -> Path:
        """The pipeline's working DuckDB database: never open it while the pipeline runs."""
        return self.private_dir / "warehouse.duckdb"

    @property
    def temp_dir(self) -> Path:
        """DuckDB's spill folder (``temp_directory``): emptied when a run starts."""
        return self.private_dir / "duckdb_spill"  # a name of its own: emptied at each start

    @property
    def logs_dir(self) -> Path:
        """The full logs of ``cakupan`` runs."""
        return self.private_dir / "logs"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance of ``cakupan run`` and ``make dev`` (``DAGSTER_HOME`` unset)."""
        return self.private_dir / "dagster_home"

    @property
    def lock_path(self) -> Path:
        """The run lock (``cakupan.runlock``)."""
        return self.private_dir / ".cakupan.lock"

    @property
    def published_path(self) -> Path:
        """The DuckDB file reports and analysts read."""
        return self.output / "coverage.duckdb"

    @property
    def rejected_files_path(self) -> Path:
        return self.output / "rejected_files.csv"

    @property
    def quality_dir(self) -> Path:
        return self.output / "quality"

    @property
    def key_path(self) -> Path:
        """The key file used when ``CAKUPAN_PSEUDONYM_KEY`` is unset (outside the output)."""
        return config_dir() / KEY_FILE_NAME

    def pseudonym_key(self) -> bytes:
        """The NIK pseudonymization secret (never log or display it).

        ``CAKUPAN_PSEUDONYM_KEY``, else the key file :attr:`key_path`, created with a
        random key on first use. A key file left in the output folder by earlier versions
        is moved there first; when both exist and differ, :class:`PseudonymKeyConflict`.
        """
        value = setting(KEY_ENV)
        if value:
            return value.encode("utf-8")
        key_file = self.key_path
        _move_old_key(Path(self.output_dir) / KEY_FILE_NAME, key_file)
        if not key_file.exists() and _create_key_file(
            key_file, (secrets.token_hex(32) + "\n").encode("ascii")
        ):
            tell(
                f"created a new pseudonymization key in {key_file} (CAKUPAN_PSEUDONYM_KEY is "
                "unset). Back it up: the same NIK gets the same pseudonym only with the same "
                "key, and with another key every membership file is read again."
            )
        return key_file.read_text(encoding="ascii").strip().encode("ascii")


def landing_bytes(landing: Path) -> int:
    """The size of the files under ``landing`` (0 when it cannot be read)."""
    total = 0
    for root, _, names in os.walk(landing):
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _move_old_key(old: Path, new: Path) -> None:
    """Move ``old`` (a key file in the output folder) to ``new``, never replacing a key."""
    if not old.is_file():
        return
    data = old.read_bytes()
    moved = not new.exists() and _create_key_file(new, data)
    if new.read_bytes().strip() != data.strip():
        raise PseudonymKeyConflict(
            f"two different pseudonymization keys: {old} (in the output folder, beside the "
            f"pseudonyms it made) and {new}; cakupan replaces neither. Keep the one the "
            f"pseudonyms you need were made with (normally {old}, used by the runs of this "
            f"output folder so far): move it to {new} in place of the other, keeping a "
            f"backup of the other if another output folder used it."
        )
    old.unlink()
    if moved:
        tell(
            f"moved the pseudonymization key {old} to {new} (it must not sit beside the "
            "pseudonyms it makes)"
        )
    else:
        tell(f"removed {old}: the same pseudonymization key is in {new}")


def tell(message: str) -> None:
    """A ``cakupan: ...`` line on standard error."""
    print(f"cakupan: {message}", file=sys.stderr, flush=True)


def _create_key_file(path: Path, data: bytes) -> bool:
    """Write ``path`` atomically (mode 0600, folder 0700); False if it already exists."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path.parent, 0o700)
    return write_new(path, data)
