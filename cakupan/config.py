"""Where cakupan reads and writes: every path and secret comes from here (no Dagster).

Configured through environment variables (documented in the README):

- ``CAKUPAN_LANDING_DIR``: folder of extracts (default: the embedded sample).
- ``CAKUPAN_OUTPUT_DIR``: where the pipeline writes (default ``data/output``): what may be
  shared at its top, and in ``private/`` (0700, files 0600) everything that holds pseudonyms,
  run logs or run state (:attr:`Settings.private_dir`).
- ``CAKUPAN_PSEUDONYM_KEY``: secret for NIK pseudonymization. When unset, a random key is
  created once as ``$XDG_CONFIG_HOME/cakupan/pseudonym.key`` (``~/.config/...`` when unset;
  file 0600, folder 0700) and reused. It is kept out of the output folder, which holds the
  pseudonyms: with both, NIKs can be recovered by trying every plausible one.
- ``CAKUPAN_STORAGE_VERSION``: DuckDB storage format of ``coverage.duckdb`` (default
  ``v1.1.0``: DuckDB 1.1 and later clients open it).
- ``CAKUPAN_MEMORY_LIMIT``: memory DuckDB may use (``memory_limit``; default ``4GB``), in the
  warehouse and in validation; beyond it DuckDB spills to ``<output>/private/duckdb_spill`` (emptied
  when a run starts; it never holds a NIK, see docs/scaling.md).
- ``CAKUPAN_DATA_DOCS``: ``false`` (or ``0``, ``no``, ``off``) skips rebuilding GX's Data Docs
  HTML after each suite (a few seconds per run); the results are recorded as always.
- ``CAKUPAN_SQL_LOG``: a folder where DuckDB logs every SQL statement the warehouse runs,
  with its time (off when unset or empty; for profiling, docs/scaling.md). Statement texts
  only, with file paths: the queries read the data themselves, and the key is a query
  parameter, which DuckDB does not log.
- ``CAKUPAN_SETTLE_SECONDS`` (alias ``CAKUPAN_SENSOR_SETTLE``): a landing file modified less
  than this many seconds ago is still being written (default 60; ``0`` reads every file as
  it is); see :mod:`cakupan.settling`.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from cakupan.files import check_writable, write_new, writing

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
SAMPLE_LANDING_DIR = PROJECT_ROOT / "data" / "sample" / "landing"
DEFAULT_OUTPUT_DIR = PROJECT_ROOT / "data" / "output"

KEY_ENV = "CAKUPAN_PSEUDONYM_KEY"
DEFAULT_STORAGE_VERSION = "v1.1.0"  # coverage.duckdb opens in DuckDB 1.x clients
DEFAULT_MEMORY_LIMIT = "4GB"  # DuckDB's memory_limit (CAKUPAN_MEMORY_LIMIT)
KEY_FILE_NAME = "pseudonym.key"
SETTLE_ENV, SETTLE_ALIAS = "CAKUPAN_SETTLE_SECONDS", "CAKUPAN_SENSOR_SETTLE"
DEFAULT_SETTLE_SECONDS = 60.0
PRIVATE_DIR_NAME = "private"  # in the output folder: never shared (Settings.private_dir)


def switched_on(value: str) -> bool:
    """A yes/no setting: off for ``false``, ``0``, ``no`` or ``off`` (any case), else on."""
    return value.strip().lower() not in ("false", "0", "no", "off")


class SettingError(ValueError):
    """A setting's value cannot be used; the message names the variable."""


def parse_settle(text: str, name: str = SETTLE_ENV) -> float:
    """The value of ``name`` (``CAKUPAN_SETTLE_SECONDS``): the default when empty, else a
    number of seconds >= 0 (SettingError naming the variable when not)."""
    text = text.strip()
    if not text:
        return DEFAULT_SETTLE_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses nan
        raise SettingError(f"{name}={text!r} is not a number of seconds >= 0")
    return value


def settle_from_env() -> float:
    """``CAKUPAN_SETTLE_SECONDS``, else its alias ``CAKUPAN_SENSOR_SETTLE``, else 60."""
    for name in (SETTLE_ENV, SETTLE_ALIAS):
        if os.environ.get(name, "").strip():
            return parse_settle(os.environ[name], name)
    return DEFAULT_SETTLE_SECONDS


def landing_dir_from_env() -> str:
    return os.environ.get("CAKUPAN_LANDING_DIR") or str(SAMPLE_LANDING_DIR)


def output_dir_from_env() -> str:
    return os.environ.get("CAKUPAN_OUTPUT_DIR") or str(DEFAULT_OUTPUT_DIR)


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
    """Landing and output folders of a cakupan deployment; every path derives from them.

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
    def from_env(cls, landing_dir: str | None = None, output_dir: str | None = None) -> Settings:
        """Settings from the arguments, else the environment, else the documented defaults.
        SettingError when a variable's value cannot be used."""
        return cls(
            landing_dir=str(Path(landing_dir).resolve()) if landing_dir else landing_dir_from_env(),
            output_dir=str(Path(output_dir).resolve()) if output_dir else output_dir_from_env(),
            storage_version=os.environ.get("CAKUPAN_STORAGE_VERSION") or DEFAULT_STORAGE_VERSION,
            memory_limit=os.environ.get("CAKUPAN_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
            sql_log=os.environ.get("CAKUPAN_SQL_LOG", ""),
            data_docs=switched_on(os.environ.get("CAKUPAN_DATA_DOCS", "true")),
            settle_seconds=settle_from_env(),
            landing_option="--landing" if landing_dir else "CAKUPAN_LANDING_DIR",
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
        value = os.environ.get(KEY_ENV)
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
