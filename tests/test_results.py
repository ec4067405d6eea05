import json

import nbformat

from utils import results


def _notebook(path, mode="full", report=None, title="A chapter"):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_raw_cell(f'---\ntitle: "{title}"\n---'))
    setup = nbformat.v4.new_code_cell("device = utils.setup()", execution_count=1)
    setup.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"mode={mode}  device=cpu\n")]
    setup.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000000Z",
                                   "shell.execute_reply": "2026-01-01T00:00:01.000000Z"}
    last = nbformat.v4.new_code_cell("utils.report(acc=0.9)", execution_count=2)
    if report is not None:
        last.outputs = [nbformat.v4.new_output("display_data", data={
            "application/json": {"course_report": report}, "text/plain": "acc 0.9"})]
    last.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:01.000000Z",
                                  "shell.execute_reply": "2026-01-01T00:02:01.500000Z"}
    nb.cells += [setup, last]
    nbformat.write(nb, path)


def test_collect_results_reads_title_mode_seconds_and_report(tmp_path):
    _notebook(tmp_path / "02-b.ipynb", report={"acc": 0.9}, title="Second")
    _notebook(tmp_path / "01-a.ipynb", mode="quick", report=None)
    (tmp_path / "notes.ipynb").write_text(json.dumps({"cells": []}))  # not a chapter
    rows = results.collect_results(tmp_path)
    assert [r["file"] for r in rows] == ["01-a.ipynb", "02-b.ipynb"]
    assert rows[1]["title"] == "Second" and rows[1]["mode"] == "full"
    assert rows[1]["seconds"] == 121.5 and rows[1]["report"] == {"acc": 0.9}
    assert rows[0]["mode"] == "quick" and rows[0]["report"] == {}


def test_results_markdown_table(tmp_path):
    _notebook(tmp_path / "01-a.ipynb", report={"acc": 0.91234, "epochs": 3})
    _notebook(tmp_path / "02-b.ipynb", mode="quick")
    table = results.results_markdown(tmp_path).splitlines()
    assert table[0].startswith("| Chapter") and len(table) == 4
    assert "[01. A chapter](chapters/01-a.ipynb)" in table[2] and "`acc` = 0.9123<br>`epochs` = 3" in table[2]
    assert "2.0 min" in table[2]
    assert "(no report)" in table[3] and "(quick mode)" in table[3]


def test_missing_timing_gives_none():
    assert results.notebook_seconds([{"cell_type": "code", "metadata": {}}]) is None
    assert results.notebook_seconds([]) is None
