"""Checks that the prose of a chapter says only what its own run shows.

Used by ``tests/test_prose.py``; also a command for whoever edits a chapter:

    .venv/bin/python tests/prose_check.py 13        # offenders in chapter 13
    .venv/bin/python tests/prose_check.py           # every chapter

Three checks over the learner-facing text of an executed notebook (markdown
cells and figure captions; math, code spans, code blocks, link targets, HTML
tags and Quarto attributes are left out):

1. **Numbers.** Every number that states a result, that is one written with a
   decimal point, a percent sign or at least three digits, must equal, at the
   precision written, a number printed in the notebook's outputs (stream
   text, tables, the report's JSON) or written in its code (a setting such as
   a batch size). ``84.5 %`` is backed by a printed ``0.8451`` or ``84.5``;
   ``0.85`` by ``0.8461``; ``12.1 M`` by ``12,117,421``. In a sentence that
   names another chapter ("chapter 07's 91.7 %") that chapter's outputs back
   it too. Numbers from elsewhere (a paper's table, a year, an arXiv id, a
   constant) are listed with their source in ``tests/prose_sources.yml``;
   nothing else is exempt.
2. **Durations.** A number followed by a unit of time ("45 s", "about a
   minute", "two to three minutes") must agree with a printed duration or with
   the recorded wall time of the run (first cell to last): within 20 % when the
   sentence hedges ("about", "under", "a little over", or a number in words),
   at the precision written otherwise. A sentence about how long the chapter
   runs is checked against the recorded wall time only.
3. **Process words.** Pages speak about the method, never about how the course
   was made: issues, reviewers, floors and targets that the page does not
   derive, calibration runs. The phrases are listed in ``PROCESS_PHRASES``;
   the allowed uses of a word the page does derive (chapter 19's real-vs-real
   floor) are listed per chapter in ``tests/prose_sources.yml``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
SOURCES_FILE = ROOT / "tests" / "prose_sources.yml"

RUNTIME_TOLERANCE = 0.20  # a hedged duration may be off by this fraction

# Learner-facing text never speaks about how the course was made.
PROCESS_PHRASES = [
    r"\bissues?\b",
    r"\breview(?:er|ers)\b",
    r"\bcalibrat\w*\s+(?:runs?|floors?|targets?|budgets?)\b",
    r"\b(?:earlier|off-page|previous)\s+calibration\b",
    r"\bfloors?\b",
    r"\b(?:aims?|aiming)\s+at\b",
    r"\b(?:hit|hits|meet|meets|met|miss|misses|missed|reach|reaches|reached|clear|clears|cleared)\s+(?:the|its|our|this)\s+(?:target|floor)\b",
    r"\btargets?\s+(?:accuracy|loss|of\s+[\d*]|bits|for\s+this)\b",
    r"\b(?:our|the\s+chapter's|this\s+chapter's)\s+target\b",
]

# --- text extraction --------------------------------------------------------

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)(?:\\\$|[^$])+?(?<!\s)\$|\\\(.*?\\\)", re.S)
_CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?\1")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*\]")
_URL = re.compile(r"<?https?://\S+>?")
_HTML = re.compile(r"<[^>\n]+>")
_ATTR = re.compile(r"\{[#.][^}\n]*\}|\{[a-z-]+=[^}\n]*\}")
_XREF = re.compile(r"@(?:fig|sec|tbl|eq|lst)-[\w-]+")
_DIV = re.compile(r"^:::+.*$", re.M)
_VERSION = re.compile(r"\b\d+(?:\.\d+){2,}\b")
_CAPTION = re.compile(r"^#\|\s*(?:fig-cap|fig-alt|tbl-cap|fig-subcap)\s*:\s*(.*)$", re.M)


def prose_text(markdown: str) -> str:
    """The words a reader sees in a markdown cell, without math, code, targets, tags."""
    text = _FENCE.sub(" ", markdown)
    text = _DISPLAY_MATH.sub(" ", text)
    text = _CODE_SPAN.sub(" ", text)
    text = _INLINE_MATH.sub(" ", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _HTML.sub(" ", text)
    text = _ATTR.sub(" ", text)
    text = _XREF.sub(" ", text)
    text = _DIV.sub(" ", text)
    text = _VERSION.sub(" ", text)
    return text


def captions(code: str) -> list[str]:
    """Figure captions and alt texts of a code cell (``#| fig-cap: ...``): prose too."""
    found = []
    for value in _CAPTION.findall(code):
        value = value.strip()
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1]
        found.append(prose_text(value))
    return found


def code_without_options(code: str) -> str:
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("#|"))


def sentences(text: str) -> list[str]:
    """Split prose into sentences (good enough for error messages and chapter names)."""
    flat = re.sub(r"\s+", " ", text)
    parts = re.split(r"(?<=[.!?:;])\s+(?=[A-Z(*\-•])|\s+-\s+|\n", flat)
    return [p.strip() for p in parts if p.strip()]


# --- numbers ----------------------------------------------------------------

_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+\u2212])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:[eE](?P<exp>[-+\u2212]?\d+))?(?![\w])(?P<pct>\s?%)?(?P<mult>\s?(?:thousand|million|billion|k|K|M|B)\b)?"
)
_MULTIPLIERS = {"thousand": 1e3, "k": 1e3, "K": 1e3, "million": 1e6, "M": 1e6, "billion": 1e9, "B": 1e9}
_TIME_UNIT = re.compile(r"\s?(?P<unit>ms|milliseconds?|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)\b")


def _unit_seconds(unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("milli") or unit == "ms":
        return 1e-3
    if unit.startswith("min"):
        return 60.0
    if unit.startswith("h"):
        return 3600.0
    return 1.0


@dataclass
class Number:
    text: str
    value: float  # absolute value, multiplier applied
    tol: float  # half a unit of the last written digit (multiplier applied)
    percent: bool
    digits: int  # digits of the integer part
    decimals: int
    start: int
    end: int
    seconds: float | None = None  # when a unit of time follows


def numbers_in(text: str) -> list[Number]:
    found = []
    for m in _NUMBER.finditer(text):
        whole = m.group("int").replace(",", "")
        frac = m.group("frac") or ""
        exp = int((m.group("exp") or "0").replace("\u2212", "-"))
        if abs(exp) > 300:
            continue
        value = float(whole + frac) * 10.0**exp
        decimals = max(len(frac) - 1, 0) - exp
        mult = _MULTIPLIERS.get((m.group("mult") or "").strip(), 1.0)
        tol = 0.5 * 10.0 ** (-decimals) * mult
        number = Number(
            text=m.group(0).strip(),
            value=abs(value) * mult,
            tol=tol,
            percent=bool(m.group("pct")),
            digits=len(whole.lstrip("0")) or 1,
            decimals=decimals,
            start=m.start(),
            end=m.end(),
        )
        if not number.percent and mult == 1.0:
            unit = _TIME_UNIT.match(text, m.end())
            if unit:
                number.seconds = number.value * _unit_seconds(unit.group("unit"))
        found.append(number)
    return found


def states_a_result(n: Number) -> bool:
    return n.decimals > 0 or n.percent or n.digits >= 3 or "e" in n.text.lower()


def output_numbers(cells: list[dict]) -> tuple[list[float], list[float]]:
    """(every number printed by the run, every duration printed, in seconds)."""
    values: list[float] = []
    durations: list[float] = []
    for cell in cells:
        for out in cell.get("outputs", []):
            texts = []
            if "text" in out:
                texts.append("".join(out["text"]))
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if mime in data:
                    raw = "".join(data[mime]) if isinstance(data[mime], list) else str(data[mime])
                    texts.append(_HTML.sub(" ", raw) if mime == "text/html" else raw)
            payload = data.get("application/json")
            if payload is not None:
                _json_numbers(payload, values)
            for text in texts:
                for n in numbers_in(text):
                    values.append(n.value)
                    if n.percent:
                        values.append(n.value / 100)
                    if n.seconds is not None:
                        durations.append(n.seconds)
    return values, durations


def _json_numbers(obj, sink: list[float]) -> None:
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)):
        sink.append(abs(float(obj)))
    elif isinstance(obj, dict):
        for v in obj.values():
            _json_numbers(v, sink)
    elif isinstance(obj, list):
        for v in obj:
            _json_numbers(v, sink)


def _code_literals(code: str) -> list[float]:
    """Numeric literals of Python code: settings, not comments or strings (which could say anything)."""
    import io
    import tokenize

    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    values = []
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type == tokenize.NUMBER:
                try:
                    values.append(abs(float(token.string.replace("_", "").rstrip("jJ"))))
                except ValueError:
                    values.append(float(int(token.string.replace("_", ""), 0)))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return values


def code_numbers(cells: list[dict]) -> list[float]:
    values = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            values += _code_literals(code_without_options(_source(cell)))
    return values


def backs(number: Number, values: list[float]) -> bool:
    """Whether a printed value equals the prose number at the precision written."""
    eps = 1e-9 * max(number.value, 1.0)
    for v in values:
        if abs(v - number.value) <= number.tol + eps:
            return True
        if number.percent and abs(100 * v - number.value) <= number.tol + eps:
            return True
    return False


def closest(number: Number, values: list[float]) -> float | None:
    if not values:
        return None
    candidates = values + ([v * 100 for v in values] if number.percent else [])
    return min(candidates, key=lambda v: abs(v - number.value))


# --- durations written in words -----------------------------------------------

_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
}
_AMOUNT = r"(?:half\s+an?|\d+(?:\.\d+)?|" + "|".join(_WORDS) + r")(?:\s+and\s+a\s+half)?"
_DURATION = re.compile(
    r"(?P<q>\b(?:about|around|roughly|nearly|almost|approximately|well\s+under|under|less\s+than|within|"
    r"a\s+little\s+over|a\s+little\s+under|just\s+over|just\s+under|over|more\s+than|some)\s+)?"
    r"(?<![\w-])(?P<lo>" + _AMOUNT + r")(?:\s*(?:to|-|–|or)\s*(?P<hi>" + _AMOUNT + r"))?"
    r"\s+(?P<unit>minutes?|minute|hours?|hour)\b(?!-)",
    re.I,
)


def _amount(text: str) -> float:
    text = text.lower().strip()
    half = 0.5 if text.endswith("and a half") else 0.0
    text = re.sub(r"\s+and\s+a\s+half$", "", text)
    if text.startswith("half"):
        return 0.5
    value = float(text) if text[0].isdigit() else float(_WORDS[text])
    return value + half


@dataclass
class Duration:
    text: str
    lo: float  # seconds, the interval the sentence allows
    hi: float


def durations_in(text: str) -> list[Duration]:
    """Durations in minutes or hours, with the interval each claims (seconds)."""
    found = []
    for m in _DURATION.finditer(text):
        if re.search(r"\b(?:few|several|many)\s*$", text[: m.start("lo")]):
            continue
        unit = _unit_seconds(m.group("unit"))
        lo = _amount(m.group("lo")) * unit
        hi = _amount(m.group("hi")) * unit if m.group("hi") else lo
        q = (m.group("q") or "").lower().split()
        q = " ".join(q)
        slack = 1 + RUNTIME_TOLERANCE
        if q in ("well under", "under", "less than", "within", "just under", "a little under"):
            lo, hi = 0.0, hi * slack
        elif q in ("over", "more than", "a little over", "just over"):
            lo, hi = lo / slack, (hi * 1.5 if q != "more than" and q != "over" else math.inf)
        else:
            lo, hi = lo / slack, hi * slack
        found.append(Duration(m.group(0).strip(), lo, hi))
    return found


_RUNS_SENTENCE = re.compile(r"\bchapter\b.*\b(?:runs?|takes?|took|ran)\b|\b(?:runs?|takes?)\b.*\bchapter\b", re.I)


# --- the checks -----------------------------------------------------------------


@dataclass
class Offence:
    chapter: str
    cell: int
    kind: str  # "number", "duration", "process", "stale-source"
    text: str
    sentence: str
    closest: str = ""

    def __str__(self) -> str:
        hint = f" (closest printed: {self.closest})" if self.closest else ""
        return f"chapter {self.chapter}, cell {self.cell}, {self.kind} {self.text!r}{hint}: {self.sentence}"


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@dataclass
class Backing:
    values: list[float]
    durations: list[float]
    code: list[float]
    wall: float | None


def backing(cells: list[dict]) -> Backing:
    from utils.results import notebook_seconds

    values, durations = output_numbers(cells)
    return Backing(values, durations, code_numbers(cells), notebook_seconds(cells))


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:.6g}"


@dataclass
class Sources:
    numbers: dict[str, dict[str, str]] = field(default_factory=dict)  # chapter -> {number text: why}
    allowed: dict[str, dict[str, str]] = field(default_factory=dict)  # chapter -> {phrase: why}

    @classmethod
    def load(cls, path: Path = SOURCES_FILE) -> "Sources":
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        numbers, allowed = {}, {}
        for chapter, entry in (data or {}).items():
            chapter = f"{int(chapter):02d}"
            entry = entry or {}
            numbers[chapter] = {str(k): str(v) for k, v in (entry.get("numbers") or {}).items()}
            allowed[chapter] = {str(k): str(v) for k, v in (entry.get("allowed phrases") or {}).items()}
        return cls(numbers, allowed)


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text).replace(",", "").replace("\u2212", "-").lstrip("+-")


def learner_texts(cells: list[dict]) -> list[tuple[int, str]]:
    """(cell index, prose) for every markdown cell and every figure caption."""
    texts = []
    for i, cell in enumerate(cells):
        source = _source(cell)
        if cell.get("cell_type") == "markdown":
            if i == 0 and source.lstrip().startswith("---"):
                source = source.split("---", 2)[-1]  # front matter: title and options only
            texts.append((i, prose_text(source)))
        elif cell.get("cell_type") == "code":
            for caption in captions(source):
                texts.append((i, caption))
    return texts


def check_notebook(
    chapter: str,
    cells: list[dict],
    sources: Sources,
    other: dict[str, Backing] | None = None,
) -> tuple[list[Offence], int, set[str], set[str]]:
    """Offences in one notebook, the count of numbers checked, and the listed numbers and phrases used."""
    other = other or {}
    own = backing(cells)
    listed = {_normal(k): k for k in sources.numbers.get(chapter, {})}
    allowed = sources.allowed.get(chapter, {})
    used_numbers: set[str] = set()
    used_phrases: set[str] = set()
    offences: list[Offence] = []
    checked = 0
    for index, text in learner_texts(cells):
        for sentence in sentences(text):
            named = {f"{int(n):02d}" for n in re.findall(r"\b[Cc]hapters?\s+(\d{1,2})\b", sentence)}
            named |= {
                f"{int(n):02d}"
                for group in re.findall(r"\b[Cc]hapters\s+((?:\d{1,2}(?:,\s*|\s+and\s+|\s*-\s*|\s+or\s+))+\d{1,2})", sentence)
                for n in re.findall(r"\d{1,2}", group)
            }
            named.discard(chapter)
            values = own.values + own.code
            durations = own.durations + ([own.wall] if own.wall else [])
            for name in sorted(named):
                if name in other:
                    values = values + other[name].values
                    durations = durations + other[name].durations + ([other[name].wall] if other[name].wall else [])
            # 3. process words
            for pattern in PROCESS_PHRASES:
                for m in re.finditer(pattern, sentence, flags=re.I):
                    hits = [p for p in allowed if p.lower() in sentence.lower()]
                    if hits:
                        used_phrases.update(hits)
                        continue
                    offences.append(Offence(chapter, index, "process", m.group(0), sentence))
            # 2. durations in words or in minutes: only the sentence's run-time claims
            about_chapter = bool(_RUNS_SENTENCE.search(sentence))
            spans = []
            for d in durations_in(sentence):
                checked += 1
                pool = [own.wall] if (about_chapter and own.wall) else durations
                if not any(d.lo <= s <= d.hi for s in pool if s is not None):
                    near = min(pool, key=lambda s: abs(s - (d.lo + d.hi) / 2)) if pool else None
                    hint = f"{near:.0f} s" + (" (recorded wall time)" if near == own.wall else "") if near else ""
                    offences.append(Offence(chapter, index, "duration", d.text, sentence, hint))
                spans.append(d.text)
            # 1. numbers
            for n in numbers_in(sentence):
                if n.seconds is not None and n.seconds >= 60 and any(n.text.split()[0] in s for s in spans):
                    continue  # already checked as a duration
                if not (states_a_result(n) or n.seconds is not None):
                    continue
                checked += 1
                key = _normal(n.text.rstrip("%").strip())
                if key in listed or _normal(n.text) in listed:
                    used_numbers.add(listed.get(key) or listed[_normal(n.text)])
                    continue
                if n.seconds is not None:
                    hedged = re.search(r"(?:about|around|roughly|nearly|almost|~|under|over)\s*$", sentence[: sentence.find(n.text)])
                    pool = durations
                    if hedged and any(abs(s - n.seconds) <= RUNTIME_TOLERANCE * n.seconds for s in pool):
                        continue
                    if backs(n, values) or any(abs(s - n.seconds) <= n.tol * n.seconds / max(n.value, 1e-12) + 1e-9 for s in pool):
                        continue
                    offences.append(Offence(chapter, index, "duration", n.text, sentence, _fmt(closest(n, pool or values))))
                    continue
                if backs(n, values):
                    continue
                offences.append(Offence(chapter, index, "number", n.text, sentence, _fmt(closest(n, values))))
    return offences, checked, used_numbers, used_phrases


def load_cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def chapter_of(path: Path) -> str:
    return path.name[:2]


def check_all(chapters_dir: Path = CHAPTERS, sources: Sources | None = None, only: str | None = None):
    """Every chapter's offences, plus the listed entries no sentence uses (stale)."""
    sources = sources or Sources.load()
    notebooks = sorted(Path(chapters_dir).glob("[0-9][0-9]-*.ipynb"))
    cells = {chapter_of(p): load_cells(p) for p in notebooks}
    backed = {c: backing(cs) for c, cs in cells.items()}
    results = {}
    for chapter, chapter_cells in cells.items():
        if only and chapter != only:
            continue
        offences, checked, used, used_phrases = check_notebook(chapter, chapter_cells, sources, backed)
        for number in sources.numbers.get(chapter, {}):
            if number not in used:
                offences.append(Offence(chapter, -1, "stale-source", number, "listed in tests/prose_sources.yml but no sentence uses it"))
        for phrase in sources.allowed.get(chapter, {}):
            if phrase not in used_phrases:
                offences.append(Offence(chapter, -1, "stale-source", phrase, "allowed phrase listed but not used"))
        results[chapter] = (offences, checked, len(sources.numbers.get(chapter, {})))
    return results


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    only = f"{int(argv[0]):02d}" if argv else None
    bad = 0
    for chapter, (offences, checked, listed) in check_all(only=only).items():
        print(f"chapter {chapter}: {checked} numbers and durations checked, {listed} listed as external, {len(offences)} offences")
        for offence in offences:
            print("   ", offence)
        bad += len(offences)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
