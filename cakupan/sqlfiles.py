"""The SQL files of ``sql/``, the one hasher of code versions, and small helpers around
DuckDB (no Dagster)."""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from cakupan import markdown
from cakupan.config import SQL_DIR


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>``."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def version(*parts: str | bytes, length: int = 16) -> str:
    """The one hasher of code versions: the first ``length`` hex digits of a SHA-256 of
    ``parts``, each followed by a NUL."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part.encode() if isinstance(part, str) else part) + b"\0")
    return digest.hexdigest()[:length]


def sql_version(*names: str, data: tuple[Path, ...] = (), length: int = 12) -> str:
    """Code version of what runs the ``sql/<name>`` files (macros included) and loads the
    ``data`` files: a :func:`version` of each one's name and text, so that a change to one
    of them changes it (an asset's in the UI: 12 hex digits)."""
    files = [part for name in names for part in (name, sql(name))]
    files += [part for path in data for part in (path.name, path.read_bytes())]
    return version(*files, length=length)


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> None:
    """Run ``sql/<name>`` (several statements when it takes no parameters)."""
    con.execute(sql(name), params) if params else con.execute(sql(name))


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction around the block: committed at its end, rolled back when it fails
    (a killed process commits nothing)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def literal(text: str) -> str:
    """A SQL string literal (for statements that take no parameters, like COMMENT ON)."""
    return "'" + text.replace("'", "''") + "'"


# DuckDB's readers take a path holding one of these as a pattern (``\\`` as a separator)
PATTERN_CHARS = re.compile(r"[*?\[\]{}\\]")
GLOB_CHARS = re.compile(r"[*?\[\]{}]")
_links: list[Path] = []  # the private folder of read_path's links, once made
_links_lock = threading.Lock()


class UnreadablePath(OSError):
    """DuckDB cannot be made to read exactly this file (its path reads as a pattern)."""


def read_path(path: Path | str, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """The path to give DuckDB's readers (``read_csv``, ``read_parquet``) so that they read
    exactly the file ``path``, never a pattern: they expand ``* ? [ ] { }`` in a path, and a
    pattern matching nothing falls back to the literal name, which hides it.

    Each such character becomes a one-character class (``[`` -> ``[[]``), checked with
    DuckDB's own ``glob()``: it must name this file and no other. When it does not (a ``\\``
    beside them, or a DuckDB that globs otherwise), the file is read through a symlink of a
    safe name in a private temporary folder, checked alike. Raises UnreadablePath when
    neither names exactly the file.
    """
    text = str(Path(path).absolute())  # a leading ~ is DuckDB's home folder, not ./~
    if not PATTERN_CHARS.search(text):
        return text
    for candidate in (lambda: text, lambda: _link(text)):  # a link only when needed
        escaped = GLOB_CHARS.sub(lambda m: f"[{m[0]}]", candidate())
        if _names_exactly(con, escaped, text):
            return escaped
    raise UnreadablePath(f"DuckDB reads this path as a pattern: {text}")


def _names_exactly(con: duckdb.DuckDBPyConnection | None, pattern: str, path: str) -> bool:
    """Whether DuckDB's ``glob(pattern)`` gives one file, the file ``path``."""
    try:
        with con.cursor() if con else duckdb.connect() as own:  # leaves con's result be
            found = own.execute("SELECT file FROM glob(?)", [pattern]).fetchall()
        return len(found) == 1 and os.path.samefile(found[0][0], path)
    except (duckdb.Error, OSError):
        return False


def _link(path: str) -> str:
    """A symlink to ``path`` with a safe name (a hash, and the file's suffixes) in a private
    temporary folder, removed when the process exits."""
    with _links_lock:
        if not _links:
            _links.append(Path(tempfile.mkdtemp(prefix="cakupan-read-")))
            atexit.register(shutil.rmtree, _links[0], ignore_errors=True)
        suffix = re.sub(r"[^A-Za-z0-9.]", "", "".join(Path(path).suffixes[-2:]))
        digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        link = _links[0] / (digest + suffix)
        if not (link.is_symlink() and os.readlink(link) == path):
            temporary = link.with_name(link.name + ".new")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(path)
            os.replace(temporary, link)
        return str(link)


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str | None]]:
    """(name, type, comment) of each column of ``schema.table`` (or ``temp.table``)."""
    schema, name = table.split(".")
    database = "temp" if schema == "temp" else None
    return con.execute(
        """
        SELECT column_name, data_type, comment FROM duckdb_columns()
        WHERE database_name = coalesce(?, current_database())
          AND (? IS NOT NULL OR schema_name = ?) AND table_name = ?
        ORDER BY column_index
        """,
        [database, database, schema, name],
    ).fetchall()


def markdown_table(con: duckdb.DuckDBPyConnection, query: str, params=None) -> str:
    """A small query result as a Markdown table (for previews of aggregates)."""
    result = con.execute(query, params) if params else con.execute(query)
    return markdown.markdown_table([d[0] for d in result.description], result.fetchall())


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.table`` exists in the database of ``con``."""
    schema, name = table.split(".")
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchall()[0][0]
    return found > 0
