"""The prose says only what the page's own run shows (see tests/prose_check.py).

For every chapter: every number that states a result is printed by the
notebook (or is a setting in its code, or is printed by a chapter the
sentence names, or is listed with its source in tests/prose_sources.yml);
every run-time sentence agrees with the recorded run; no text about how the
course was made. The first tests below feed the checker notebooks with
planted offences, so we know it can fail.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prose_check as pc  # noqa: E402

NOTEBOOKS = sorted(pc.CHAPTERS.glob("[0-9][0-9]-*.ipynb"))


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def _code(source: str, printed: str = "", start="2026-01-01T00:00:00Z", end="2026-01-01T00:00:01Z") -> dict:
    return {
        "cell_type": "code",
        "source": source,
        "metadata": {"execution": {"iopub.execute_input": start, "shell.execute_reply": end}},
        "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}] if printed else [],
    }


def _notebook(prose: list[str], printed: str, wall_s: int = 300) -> list[dict]:
    return [
        _md("---\ntitle: A planted chapter\n---\n\nThe chapter runs in about five minutes."),
        _code("BATCH_SIZE = 128\nLR = 3e-4", printed, end="2026-01-01T00:00:01Z"),
        *[_md(p) for p in prose],
        _code("print('done')", "done\n", start="2026-01-01T00:00:02Z", end=f"2026-01-01T00:{wall_s // 60:02d}:{wall_s % 60:02d}Z"),
    ]


def _offences(cells, sources=None, other=None):
    offences, checked, used, used_phrases = pc.check_notebook("99", cells, sources or pc.Sources(), other)
    return offences, checked


def test_planted_stale_number_and_unlisted_citation_are_reported():
    cells = _notebook(
        [
            "Our model reaches 0.912 test accuracy with a batch of 128.",  # stale: the run printed 0.9034
            "Smith et al. (2031) report 97.3 % on this task.",  # a citation nobody listed
        ],
        printed="test accuracy 0.9034\n",
    )
    offences, _ = _offences(cells)
    found = {(o.kind, o.text) for o in offences}
    assert ("number", "0.912") in found
    assert ("number", "2031") in found and ("number", "97.3 %") in found
    stale = next(o for o in offences if o.text == "0.912")
    assert stale.closest == "0.9034" and stale.cell == 2 and "0.912 test accuracy" in stale.sentence
    assert "chapter 99, cell 2" in str(stale)
    assert ("number", "128") not in found  # a setting written in the code


def test_comments_and_strings_in_code_back_nothing():
    cells = _notebook(["The loss ends at 0.5432."], printed="")
    cells.insert(2, _code('x = 1  # loss 0.5432\nlabel = "0.5432"', ""))
    assert [o.text for o in _offences(cells)[0]] == ["0.5432"]


def test_listed_sources_exempt_only_their_numbers():
    cells = _notebook(["Smith et al. (2031) report 97.3 % on this task."], printed="")
    sources = pc.Sources(numbers={"99": {"2031": "year of Smith et al.", "97.3": "Smith et al. 2031, Table 2"}})
    offences, _ = _offences(cells, sources)
    assert not [o for o in offences if o.kind == "number"]


@pytest.mark.parametrize(
    "sentence, printed",
    [
        ("It reaches 0.85 accuracy.", "acc 0.8461"),  # fewer decimals than printed: rounds to 0.85
        ("It reaches 84.6 % accuracy.", "acc 0.8461"),  # a percentage of a printed fraction
        ("It reaches 84.6% accuracy.", "acc 84.61%"),
        ("The corpus holds 12.1 M characters.", "12,117,421 characters"),
        ("A gap of -0.062 in accuracy.", "diff +0.062"),
        ("The rate was 3e-4.", ""),  # a setting in the code
        ("Math is left out: $0.123$ and `0.456` and [a link](x-0.999.html).", ""),
        ("Training took 45 s.", "took 45.2 s"),
        ("Training took about 50 s.", "took 45.2 s"),  # hedged durations: within 20 %
    ],
)
def test_backed_numbers_pass(sentence, printed):
    offences, checked = _offences(_notebook([sentence], printed))
    assert not offences, [str(o) for o in offences]


@pytest.mark.parametrize(
    "sentence, printed, text",
    [
        ("It reaches 0.86 accuracy.", "acc 0.8441", "0.86"),
        ("It reaches 84.7 % accuracy.", "acc 0.8461", "84.7 %"),
        ("We trained for 2,940 steps.", "steps 2,900", "2,940"),
        ("Training took 45 s.", "took 52.0 s", "45"),
        ("Training took about 70 s.", "took 45.2 s", "70"),
    ],
)
def test_unbacked_numbers_fail(sentence, printed, text):
    offences, _ = _offences(_notebook([sentence], printed))
    assert [o.text for o in offences] == [text]


def test_run_time_sentences_are_checked_against_the_recorded_wall_time():
    ok, _ = _offences(_notebook([], "", wall_s=290))  # "about five minutes" = 300 s
    assert not ok
    slow = _offences(_notebook(["The whole chapter runs in about a minute."], "", wall_s=145))[0]
    assert any(o.kind == "duration" and o.text == "about a minute" and "145 s" in o.closest for o in slow)
    under = _offences(_notebook(["The chapter runs in well under a minute."], "", wall_s=77))[0]
    assert any(o.text == "well under a minute" for o in under)
    # a sentence about the chapter's run is not backed by some other printed duration
    other = _offences(_notebook(["The chapter takes about two minutes."], "trained in 121.0 s", wall_s=300))[0]
    assert any(o.text == "about two minutes" for o in other)
    # a training time in minutes may be backed by a printed duration
    train = _offences(_notebook(["Training took two and a half minutes."], "trained in 149.3 s", wall_s=300))[0]
    assert not train


def test_process_words_are_reported_unless_allowed():
    cells = _notebook(
        ["The issue that set this up calibrated floors: we are below the 0.72 this chapter aims at."],
        printed="ratio 0.64",
    )
    offences, _ = _offences(cells)
    kinds = {(o.kind, o.text.lower()) for o in offences}
    assert ("process", "issue") in kinds and ("process", "aims at") in kinds and ("process", "floors") in kinds
    assert ("number", "0.72") in kinds
    allowed = pc.Sources(allowed={"99": {"real-vs-real floor": "computed on the page"}})
    fine = _notebook(["The real-vs-real floor is 4.1."], printed="floor 4.1")
    assert not _offences(fine, allowed)[0]


def test_another_chapter_backs_a_number_only_where_the_sentence_names_it():
    other = {"07": pc.Backing(values=[0.9171], durations=[150.0], code=[], wall=300.0)}
    named = _notebook(["Chapter 07's CNN reached 0.9171 test accuracy."], printed="")
    assert not _offences(named, other=other)[0]
    unnamed = _notebook(["A CNN reached 0.9171 test accuracy."], printed="")
    assert [o.text for o in _offences(unnamed, other=other)[0]] == ["0.9171"]


def test_captions_are_prose_and_code_literals_are_not_captions():
    cells = _notebook([], printed="")
    cells.insert(2, _code('#| label: fig-x\n#| fig-cap: "Loss after 2,940 steps."\nplot()', ""))
    offences, _ = _offences(cells)
    assert [o.text for o in offences] == ["2,940"]


def test_sources_file_lists_chapters_with_reasons():
    data = yaml.safe_load(pc.SOURCES_FILE.read_text(encoding="utf-8"))
    chapters = {p.name[:2] for p in NOTEBOOKS}
    assert set(data) <= chapters, f"tests/prose_sources.yml names chapters that do not exist: {sorted(set(data) - chapters)}"
    for chapter, entry in data.items():
        assert set(entry or {}) <= {"numbers", "allowed phrases"}, f"chapter {chapter}: unknown keys {set(entry)}"
        for section in ("numbers", "allowed phrases"):
            for number, why in ((entry or {}).get(section) or {}).items():
                assert isinstance(why, str) and len(why.strip()) >= 10, f"chapter {chapter}: {number!r} needs its source or reason"


@pytest.fixture(scope="module")
def results():
    return pc.check_all()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_backed(notebook, results):
    offences, checked, listed = results[notebook.name[:2]]
    message = "\n".join(str(o) for o in offences)
    assert not offences, (
        f"{len(offences)} unbacked numbers, run-time claims or process words in {notebook.name} "
        f"({checked} checked, {listed} listed as external):\n{message}\n"
        "Fix the sentence to the printed output, print the number that backs it, soften it, or list a number "
        "from elsewhere with its source in tests/prose_sources.yml."
    )


SITE_PAGES = [pc.ROOT / "index.qmd", pc.ROOT / "results.qmd"]


@pytest.mark.parametrize("page", SITE_PAGES, ids=lambda p: p.name)
def test_site_pages_speak_about_the_course_not_its_making(page):
    text = pc.prose_text(page.read_text(encoding="utf-8"))
    found = [m.group(0) for pattern in pc.PROCESS_PHRASES + [r"\bto come\b", r"\bcoming soon\b"] for m in re.finditer(pattern, text, re.I)]
    assert not found, f"{page.name} mentions {found}: pages describe the course as it is"


def test_the_five_minute_promise_holds_for_every_recorded_run():
    """index.qmd and the README promise every chapter runs in five minutes or less on a 2-core CPU."""
    from utils.results import notebook_seconds

    promise = "in five minutes or less"
    assert promise in (pc.ROOT / "index.qmd").read_text() and promise in (pc.ROOT / "README.md").read_text()
    slow = {}
    for notebook in NOTEBOOKS:
        seconds = notebook_seconds(pc.load_cells(notebook))
        if seconds is None or seconds > 300 * (1 + pc.RUNTIME_TOLERANCE):
            slow[notebook.name] = seconds
    assert not slow, f"recorded full-mode runs over five minutes (+{pc.RUNTIME_TOLERANCE:.0%}): {slow}"
