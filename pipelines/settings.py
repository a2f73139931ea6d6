"""Where cakupan reads and writes: every path and secret comes from here.

Configured through environment variables (documented in the README):

- ``CAKUPAN_LANDING_DIR``: folder of extracts (default: the embedded sample).
- ``CAKUPAN_OUTPUT_DIR``: where the pipeline writes (default ``data/output``).
- ``CAKUPAN_PSEUDONYM_KEY``: secret for NIK pseudonymization. When unset, a random key is
  created once as ``$CAKUPAN_OUTPUT_DIR/pseudonym.key`` (mode 0600) and reused.
- ``CAKUPAN_STORAGE_VERSION``: DuckDB storage format of ``coverage.duckdb`` (default
  ``v1.1.0``: DuckDB 1.1 and later clients open it).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
SAMPLE_LANDING_DIR = PROJECT_ROOT / "data" / "sample" / "landing"
DEFAULT_OUTPUT_DIR = PROJECT_ROOT / "data" / "output"

KEY_ENV = "CAKUPAN_PSEUDONYM_KEY"
DEFAULT_STORAGE_VERSION = "v1.1.0"  # coverage.duckdb opens in DuckDB 1.x clients


def landing_dir_from_env() -> str:
    return os.environ.get("CAKUPAN_LANDING_DIR") or str(SAMPLE_LANDING_DIR)


def output_dir_from_env() -> str:
    return os.environ.get("CAKUPAN_OUTPUT_DIR") or str(DEFAULT_OUTPUT_DIR)


class LandingDirectoryError(Exception):
    """The landing directory is missing or unreadable."""


class CakupanSettings(dg.ConfigurableResource):
    """Landing and output folders of a cakupan deployment.

    The pseudonymization key is deliberately not a config field: config is shown in the
    Dagster UI, the key must never be. It is read from ``CAKUPAN_PSEUDONYM_KEY`` or the key
    file at run time.
    """

    landing_dir: str
    output_dir: str
    storage_version: str = DEFAULT_STORAGE_VERSION  # of coverage.duckdb

    @property
    def landing(self) -> Path:
        path = Path(self.landing_dir)
        if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
            raise LandingDirectoryError(
                f"landing directory {path} does not exist or is not a readable folder "
                "(set CAKUPAN_LANDING_DIR)"
            )
        return path

    @property
    def output(self) -> Path:
        path = Path(self.output_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def warehouse_path(self) -> Path:
        """The pipeline's working DuckDB database: never open it while the pipeline runs."""
        return self.output / "warehouse.duckdb"

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

    def pseudonym_key(self) -> bytes:
        """The NIK pseudonymization secret (never log or display it)."""
        value = os.environ.get(KEY_ENV)
        if value:
            return value.encode("utf-8")
        key_file = self.output / "pseudonym.key"
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return key_file.read_text(encoding="ascii").strip().encode("ascii")
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        return key_file.read_text(encoding="ascii").strip().encode("ascii")


def settings_from_env() -> CakupanSettings:
    return CakupanSettings(
        landing_dir=landing_dir_from_env(),
        output_dir=output_dir_from_env(),
        storage_version=os.environ.get("CAKUPAN_STORAGE_VERSION") or DEFAULT_STORAGE_VERSION,
    )
