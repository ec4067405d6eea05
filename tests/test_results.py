import json

import nbformat
import pytest

from utils import results


def _notebook(path, mode="full", report=None, title="A chapter", headline=None, anchor=None, threads=2):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_raw_cell(f'---\ntitle: "{title}"\n---'))
    setup = nbformat.v4.new_code_cell("device = utils.setup()", execution_count=1)
    setup.outputs = [nbformat.v4.new_output(
        "stream", name="stdout", text=f"mode={mode}  device=cpu  seed=0  threads={threads}  torch=2.13.0\n")]
    setup.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000000Z",
                                   "shell.execute_reply": "2026-01-01T00:00:01.000000Z"}
    last = nbformat.v4.new_code_cell("utils.report(acc=0.9)", execution_count=2)
    if report is not None:
        payload = {"course_report": report}
        if headline:
            payload["course_headline"] = headline
        if anchor:
            payload["course_anchor"] = anchor
        last.outputs = [nbformat.v4.new_output("display_data", data={
            "application/json": payload, "text/plain": "acc 0.9"})]
    last.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:01.000000Z",
                                  "shell.execute_reply": "2026-01-01T00:02:01.500000Z"}
    nb.cells += [setup, last]
    nbformat.write(nb, path)


def test_collect_results_reads_title_mode_seconds_device_and_report(tmp_path):
    _notebook(tmp_path / "02-b.ipynb", report={"acc": 0.9, "epochs": 3}, title="Second",
              headline={"acc": "test accuracy {:.1%}"}, anchor="MLP ~0.88 (Xiao et al. 2017)")
    _notebook(tmp_path / "01-a.ipynb", mode="quick", report=None, threads=1)
    (tmp_path / "notes.ipynb").write_text(json.dumps({"cells": []}))  # not a chapter
    rows = results.collect_results(tmp_path)
    assert [r["file"] for r in rows] == ["01-a.ipynb", "02-b.ipynb"]
    assert rows[1]["title"] == "Second" and rows[1]["mode"] == "full"
    assert rows[1]["seconds"] == 121.5 and rows[1]["report"] == {"acc": 0.9, "epochs": 3}
    assert rows[1]["device"] == "CPU, 2 threads" and rows[0]["device"] == "CPU, 1 thread"
    assert rows[1]["headline_texts"] == ["test accuracy 90.0%"]
    assert rows[1]["anchor"] == "MLP ~0.88 (Xiao et al. 2017)"
    assert rows[0]["mode"] == "quick" and rows[0]["report"] == {} and rows[0]["headline_texts"] == []
    assert rows[0]["anchor"] is None


def test_results_markdown_shows_labelled_headlines_anchor_time_and_device(tmp_path):
    _notebook(tmp_path / "01-a.ipynb", report={"acc": 0.91234, "nats": 3.5, "epochs": 3},
              headline={"acc": "test accuracy {:.1%}", "nats": "loss {:.2f} nats | bits"},
              anchor="2-conv CNNs 0.90-0.92 (benchmark)")
    _notebook(tmp_path / "02-b.ipynb", mode="quick")
    table = results.results_markdown(tmp_path).splitlines()
    assert table[0].startswith("| Chapter") and len(table) == 4
    assert all(line.count(" | ") == 4 for line in table[2:]), "every row has five cells"
    assert "[01. A chapter](chapters/01-a.ipynb)" in table[2]
    assert "test accuracy 91.2%<br>loss 3.50 nats \\| bits" in table[2] and "epochs" not in table[2]
    assert "2-conv CNNs 0.90-0.92 (benchmark)" in table[2]
    assert "2.0 min" in table[2] and "CPU, 2 threads" in table[2]
    assert "(no report)" in table[3] and "(quick mode)" in table[3]


def test_a_report_without_headline_shows_its_first_keys_marked(tmp_path):
    _notebook(tmp_path / "01-a.ipynb", report={"acc": 0.91234, "b": 1, "c": 2, "d": 3})
    row = results.summary_markdown(tmp_path).splitlines()[2]
    assert "`acc` 0.9123<br>`b` 1<br>`c` 2" in row and "`d`" not in row
    assert "no headline chosen yet" in row


def test_summary_markdown_links_into_the_chapters(tmp_path):
    _notebook(tmp_path / "01-a.ipynb", report={"acc": 0.9}, headline={"acc": "accuracy {:.2f}"})
    table = results.summary_markdown(tmp_path, link_prefix="../chapters/").splitlines()
    assert table[0] == "| Chapter | Headline results | Run time |"
    assert table[2] == "| [01. A chapter](../chapters/01-a.ipynb) | accuracy 0.90 | 2.0 min |"


def test_headline_naming_a_missing_key_fails_loudly():
    with pytest.raises(KeyError, match="not in the report"):
        results.headline_texts({"acc": 0.9}, {"loss": "loss {:.2f}"})


def test_minutes_figure_has_one_bar_per_timed_chapter(tmp_path):
    _notebook(tmp_path / "01-a.ipynb", report={"acc": 0.9})
    _notebook(tmp_path / "02-b.ipynb", mode="quick", report={"acc": 0.9})
    fig = results.minutes_figure(tmp_path)
    bars = fig.axes[0].patches
    assert len(bars) == 2 and bars[0].get_width() == pytest.approx(121.5 / 60)
    assert bars[1].get_hatch() == "//" and not bars[0].get_hatch()


def test_device_from_the_setup_line():
    line = lambda text: [{"cell_type": "code", "outputs": [{"text": text}]}]  # noqa: E731
    assert results.notebook_device(line("mode=full  device=cuda:0  seed=0  threads=2")) == "CUDA GPU"
    assert results.notebook_device(line("mode=full  device=mps  seed=0")) == "Apple MPS"
    assert results.notebook_device(line("no setup line")) is None


def test_missing_timing_gives_none():
    assert results.notebook_seconds([{"cell_type": "code", "metadata": {}}]) is None
    assert results.notebook_seconds([]) is None


def test_every_chapter_headline_fills_in(tmp_path):
    """Committed chapters whose report names a headline: each label fills in with its value,
    with at most four headline numbers (a chapter with a long run shows live and long side by side). (Chapters without a headline yet are shown by their first keys.)"""
    for row in results.collect_results():
        if row["headline"]:
            assert 1 <= len(row["headline_texts"]) <= 4, f"chapter {row['chapter']}: {row['headline_texts']}"
            assert all("{" not in t for t in row["headline_texts"])
