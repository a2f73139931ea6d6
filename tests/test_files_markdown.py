"""The one atomic-write helper (cakupan.files) and the one Markdown-table helper
(cakupan.markdown): real files, a really killed writer, tables read back by an
independent Markdown parser (markdown-it-py)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from cakupan.files import atomic_path, atomic_write, temporary_path, write_new
from cakupan.markdown import markdown_table

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------- atomic files


def _leftovers(folder: Path, keep: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p != keep)


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "page.html"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target, encoding="utf-8") as handle:
        handle.write("new ")
        assert target.read_text(encoding="utf-8") == "old"  # readers still see the old file
        handle.write("content")
    assert target.read_text(encoding="utf-8") == "new content"
    assert _leftovers(tmp_path, target) == []

    with atomic_write(tmp_path / "data.csv", newline="", encoding="utf-8") as handle:
        handle.write("a,b\r\n")  # open() arguments are passed on
    assert (tmp_path / "data.csv").read_bytes() == b"a,b\r\n"
    with atomic_write(tmp_path / "blob", "wb") as handle:
        handle.write(b"\x00\xff")
    assert (tmp_path / "blob").read_bytes() == b"\x00\xff"


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "results.csv") as handle:
            handle.write("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "results.csv").stat().st_mode) == 0o644


def test_a_failing_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "rejected_files.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target) as handle:
            handle.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path, target) == []


def test_atomic_path_takes_a_duckdb_copy(tmp_path):
    target = tmp_path / "validation_results.parquet"
    with duckdb.connect() as con:
        with atomic_path(target) as tmp:
            assert tmp.parent == tmp_path and tmp.name.startswith(".")
            con.execute("COPY (SELECT 42 AS answer) TO ? (FORMAT parquet)", [str(tmp)])
        assert con.execute("SELECT * FROM read_parquet(?)", [str(target)]).fetchall() == [(42,)]
        with pytest.raises(duckdb.Error):
            with atomic_path(target) as tmp:
                con.execute("COPY (SELECT 1 / 'x' AS bad) TO ? (FORMAT parquet)", [str(tmp)])
        assert con.execute("SELECT * FROM read_parquet(?)", [str(target)]).fetchall() == [(42,)]
    assert _leftovers(tmp_path, target) == []


def test_mode_must_write_a_whole_file(tmp_path):
    for mode in ("a", "r+", "x"):
        with pytest.raises(ValueError, match="whole file"):
            with atomic_write(tmp_path / "f", mode):
                pass
    assert list(tmp_path.iterdir()) == []


_KILLED_WRITER = """
    import sys, time
    from cakupan.files import atomic_write
    with atomic_write(sys.argv[1]) as handle:
        handle.write("half of the new content")
        handle.flush()
        print("written", flush=True)
        time.sleep(60)
        handle.write(" and the rest")
"""


def test_a_killed_writer_leaves_the_old_file(tmp_path):
    target = tmp_path / "index.html"
    target.write_text("old page", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_KILLED_WRITER), str(target)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout.readline().strip() == "written"
        assert temporary_path(target).read_text() == "half of the new content"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert target.read_text(encoding="utf-8") == "old page"
    # the next write is not disturbed by what the killed one left behind
    with atomic_write(target, encoding="utf-8") as handle:
        handle.write("new page")
    assert target.read_text(encoding="utf-8") == "new page"
    assert _leftovers(tmp_path, target) == []


def test_write_new_never_replaces_a_file(tmp_path):
    key = tmp_path / "pseudonym.key"
    assert write_new(key, b"first\n") is True
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert write_new(key, b"second\n") is False
    assert key.read_bytes() == b"first\n"
    assert _leftovers(tmp_path, key) == []


# ---------------------------------------------------------------------------- markdown


def _parse(text: str) -> list[list[str]]:
    """The cells of the table in ``text`` as a GFM renderer sees them (``<br>`` = line)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    rows, row, cell = [], None, None
    for tok in tokens:
        if tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            cell = ""
        elif tok.type == "inline" and cell is not None:
            for child in tok.children or []:
                if child.type == "text":
                    cell += child.content
                elif child.type == "html_inline" and child.content == "<br>":
                    cell += "\n"
                else:
                    raise AssertionError(f"unexpected markup {child.type}: {child.content!r}")
        elif tok.type in ("th_close", "td_close"):
            row.append(cell)
            cell = None
        elif tok.type == "tr_close":
            rows.append(row)
    return rows


def test_markdown_table_on_hand_made_rows():
    text = markdown_table(
        ["file", "line", "value"],
        [["a|b.csv", 2, None], ["c\\d.csv", 3, "two\nlines"]],
    )
    assert text == (
        "| file | line | value |\n"
        "|---|---|---|\n"
        "| a\\|b.csv | 2 |  |\n"
        "| c\\\\d.csv | 3 | two<br>lines |"
    )
    assert _parse(text) == [
        ["file", "line", "value"],
        ["a|b.csv", "2", ""],
        ["c\\d.csv", "3", "two\nlines"],
    ]


def test_markdown_table_refuses_a_row_of_the_wrong_width():
    with pytest.raises(ValueError, match="2 cells, the header 3"):
        markdown_table(["a", "b", "c"], [[1, 2]])


# Text with the characters that break a table cell; other Markdown (emphasis, links) is
# left to the renderer, so it is not generated here.
_CELL = st.text(alphabet="ab1 .-|\\\n\r", max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    header=st.lists(st.text(alphabet="abc|\\", min_size=1, max_size=6), min_size=1, max_size=4),
    data=st.data(),
)
def test_every_value_stays_in_its_cell(header, data):
    rows = data.draw(st.lists(st.lists(_CELL, min_size=len(header), max_size=len(header))))
    parsed = _parse(markdown_table(header, rows))

    def expected(value: str) -> str:  # a renderer trims the cell; lines are joined by <br>
        return value.replace("\r\n", "\n").replace("\r", "\n").strip(" ")

    assert parsed == [[expected(h) for h in header]] + [[expected(v) for v in r] for r in rows]
