"""Checks over the committed chapters: pairs in sync, listed on the website,
executed top to bottom in full mode, no errors, a report, animations kept.

These read the committed files; executing the chapters (in quick mode) is
nbmake's job: `make test` runs `pytest --nbmake chapters/`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import pytest
import yaml

from utils.results import notebook_mode, notebook_report

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
SOURCES = sorted(CHAPTERS.glob("[0-9][0-9]-*.md"))
NOTEBOOKS = sorted(CHAPTERS.glob("[0-9][0-9]-*.ipynb"))
MAX_NOTEBOOK_BYTES = 6 * 1024 * 1024


def _quarto() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text())


def _sidebar_hrefs(items) -> list[str]:
    found = []
    for item in items or []:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            if "href" in item:
                found.append(item["href"])
            found += _sidebar_hrefs(item.get("contents"))
    return found


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells if c.cell_type != "raw"]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_chapters():
    assert SOURCES, "no chapters/NN-slug.md found"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_pair_exists_and_is_in_sync(source):
    notebook = source.with_suffix(".ipynb")
    assert notebook.exists(), f"{notebook.name} is missing: run `make execute CHAPTER={source.name[:2]}`"
    md_cells = _cells(jupytext.read(source, fmt="md:markdown"))
    nb_cells = _cells(jupytext.read(notebook))
    assert md_cells == nb_cells, (
        f"{source.name} and {notebook.name} hold different cells: edit the .md, then `make execute CHAPTER={source.name[:2]}`"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_its_source(notebook):
    assert notebook.with_suffix(".md").exists(), f"{notebook.name} has no .md source"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_front_matter_has_title_and_format(source):
    text = source.read_text(encoding="utf-8")
    header = yaml.safe_load(text.split("---", 2)[1])
    assert header.get("title"), f"{source.name}: front matter needs a title"
    assert header["jupyter"]["jupytext"]["text_representation"]["format_name"] == "markdown"


def test_every_chapter_is_in_the_sidebar_and_only_notebooks_render():
    config = _quarto()
    assert config["project"]["type"] == "website"
    render = config["project"]["render"]
    assert "index.qmd" in render and "chapters/*.ipynb" in render
    assert not any(r.endswith(".md") or r in ("*", "**", "chapters/*") for r in render), render
    hrefs = _sidebar_hrefs(config["website"]["sidebar"]["contents"])
    for notebook in NOTEBOOKS:
        assert f"chapters/{notebook.name}" in hrefs, f"{notebook.name} is not in _quarto.yml's sidebar"
    for href in hrefs:
        assert (ROOT / href).exists(), f"sidebar links to missing {href}"


def test_sidebar_has_the_seven_parts_in_order():
    sections = [item["section"] for item in _quarto()["website"]["sidebar"]["contents"]
                if isinstance(item, dict) and "section" in item]
    assert [s.split(":")[0] for s in sections] == [f"Part {p}" for p in ("I", "II", "III", "IV", "V", "VI", "VII")]


# Chapter numbers of each part, as in the course map.
PART_CHAPTERS = {"I": range(1, 7), "II": range(7, 11), "III": range(11, 13),
                 "IV": range(13, 16), "V": range(16, 18), "VI": range(18, 20), "VII": range(20, 21)}


def test_each_chapter_sits_in_its_part_in_order():
    for item in _quarto()["website"]["sidebar"]["contents"]:
        if not (isinstance(item, dict) and "section" in item):
            continue
        part = item["section"].split(":")[0].removeprefix("Part ")
        numbers = [int(Path(href).name[:2]) for href in _sidebar_hrefs(item.get("contents"))]
        assert numbers == sorted(numbers), f"{item['section']}: chapters out of order {numbers}"
        wrong = [n for n in numbers if n not in PART_CHAPTERS[part]]
        assert not wrong, f"{item['section']} lists chapters {wrong} of another part"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_executed_top_to_bottom_in_full_mode_without_errors(notebook):
    cells = _load(notebook)["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{notebook.name}: not one top-to-bottom run ({counts})"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{notebook.name}: error output {errors[0].get('ename')}"
    assert notebook_mode(cells) == "full", f"{notebook.name}: was not executed in full mode"
    assert notebook.stat().st_size < MAX_NOTEBOOK_BYTES, f"{notebook.name} is too large for the website"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_has_a_report(notebook):
    report = notebook_report(_load(notebook)["cells"])
    assert report, f"{notebook.name}: no utils.report(...) output"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_structure_summary_exercises_references(source):
    text = source.read_text(encoding="utf-8")
    for heading in ("## Summary", "## Exercises", "## References"):
        assert heading in text, f"{source.name}: missing '{heading}'"
    exercises = text.split("## Exercises", 1)[1].split("## References", 1)[0]
    solutions = len(re.findall(r'callout-tip collapse="true"', exercises))
    assert 3 <= solutions <= 6, f"{source.name}: {solutions} exercise solutions, expected 3 to 6"
    assert "utils.setup(" in text and "utils.report(" in text


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_figure_labels_are_referenced(source):
    text = source.read_text(encoding="utf-8")
    for label in re.findall(r"#\| label: (fig-[\w-]+)", text):
        assert f"@{label}" in text, f"{source.name}: figure {label} is never referenced as @{label}"


ANIMATED = [p for p in SOURCES if "utils.animate(" in p.read_text(encoding="utf-8")]


def test_some_chapters_animate():
    assert ANIMATED, "no chapter calls utils.animate: the animation checks below would check nothing"


@pytest.mark.parametrize("source", ANIMATED, ids=lambda p: p.stem)
def test_animations_are_saved_in_the_notebook(source):
    """A chapter that calls utils.animate must carry the JavaScript player in its outputs."""
    cells = _load(source.with_suffix(".ipynb"))["cells"]
    html = ["".join(o.get("data", {}).get("text/html", "")) for c in cells for o in c.get("outputs", [])]
    players = [h for h in html if "<script" in h and "data:image/png;base64" in h and "anim" in h]
    assert players, f"{source.name}: calls utils.animate but no animation output was saved"


@pytest.mark.parametrize("source", ANIMATED, ids=lambda p: p.stem)
def test_every_animation_has_a_caption_and_a_still_figure(source):
    """Each animation cell carries a figure caption, and the chapter shows a few of its frames as a still
    figure (utils.still_frames, or a captioned figure of frames), so the page says something without JavaScript."""
    nb = jupytext.read(source, fmt="md:markdown")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    animations = [c for c in code if "utils.animate(" in c]
    for cell in animations:
        assert re.search(r"^#\| fig-cap:", cell, flags=re.M), (
            f"{source.name}: an animation cell has no `#| fig-cap:` caption:\n{cell[:200]}")
    stills = [c for c in code if "still_frames(" in c or (
        re.search(r"^#\| fig-cap:.*\bframes?\b", c, flags=re.M | re.I) and "utils.animate(" not in c)]
    assert len(stills) >= len(animations), (
        f"{source.name}: {len(animations)} animation(s) but {len(stills)} still figure(s) of their frames")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_cell_options_are_valid_yaml(source):
    """Quarto reads `#| key: value` lines as YAML; a line it cannot parse loses its label and caption."""
    nb = jupytext.read(source, fmt="md:markdown")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = [line[3:] for line in cell.source.splitlines() if line.startswith("#| ")]
        if not lines:
            continue
        try:
            options = yaml.safe_load("\n".join(lines))
        except yaml.YAMLError as exc:
            pytest.fail(f"{source.name}, code cell {i}: its #| options are not valid YAML ({exc})")
        assert isinstance(options, dict), f"{source.name}, code cell {i}: #| lines must be key: value pairs"


MAX_CELL_LINES = 35  # the guide aims for ~25; this catches cells that have clearly grown too long


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_code_cells_are_short_and_introduced_by_prose(source):
    cells = jupytext.read(source, fmt="md:markdown").cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        n_lines = len(cell.source.splitlines())
        assert n_lines <= MAX_CELL_LINES, f"{source.name}, cell {i}: {n_lines} lines; split it (guide: ~25)"
        assert i > 0 and cells[i - 1].cell_type == "markdown", (
            f"{source.name}, cell {i}: a code cell needs a sentence of prose before it"
        )
