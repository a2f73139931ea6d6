"""A landing folder that declares itself a sample (``cakupan-sample.json`` at its root)
is labelled so in every output: ``ops.run_status``, the CLI summary, each page and the
Excel export; without the file, none of them says so."""

from __future__ import annotations

import json

import duckdb
import pytest
from openpyxl import load_workbook

from cakupan.config import SAMPLE_LANDING_DIR
from tests.helpers_cli import cakupan_in_process, small_landing


@pytest.mark.parametrize("sample", [True, False])
def test_sample_landing_is_labelled_in_every_output(tmp_path, sample):
    landing = small_landing(tmp_path / "landing")
    if sample:
        manifest = {"name": "test sample", "description": "made by a test"}
        (landing / "cakupan-sample.json").write_text(json.dumps(manifest), encoding="utf-8")
    output = tmp_path / "output"
    status, out, err = cakupan_in_process("run", "--landing", landing, "--output", output)
    assert status == 0, err

    with duckdb.connect(str(output / "coverage.duckdb"), read_only=True) as con:
        row = con.execute("SELECT sample, landing_label FROM ops.run_status").fetchall()
    assert row == [(True, "test sample")] if sample else [(False, None)]

    lines = out.splitlines()
    says = "SAMPLE DATA: these figures come from a sample landing folder"
    assert any(line.startswith(says) for line in lines) is sample
    published = next(i for i, line in enumerate(lines) if line.startswith("Published: "))
    if sample:  # the first line of the summary, before the figures
        assert lines[published - 1].startswith(says), lines

    pages = sorted((output / "reports").rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert ('id="sample-data"' in html) is sample, page
        assert ("DATA CONTOH" in html or "SAMPLE DATA" in html) is sample, page
    index = (output / "reports" / "index.html").read_text(encoding="utf-8")
    if sample:
        assert "DATA CONTOH" in index and "(test sample)" in index

    book = load_workbook(output / "exports" / "cakupan.xlsx", read_only=True)
    assert (book.sheetnames[0] == "SAMPLE DATA") is sample
    if sample:
        (note,) = next(book["SAMPLE DATA"].iter_rows(values_only=True))
        assert note.startswith("SAMPLE DATA / DATA CONTOH")
    assert "SAMPLE DATA" not in book.sheetnames[1:]


def test_embedded_sample_declares_itself():
    manifest = json.loads((SAMPLE_LANDING_DIR / "cakupan-sample.json").read_text("utf-8"))
    assert "synthetic" in manifest["name"]
    # at the root, so never read as an extract
    assert not list(SAMPLE_LANDING_DIR.glob("*/cakupan-sample.json"))
