"""Read the headline numbers and run times back from executed chapter notebooks.

Used by the tests (every chapter has a report, ran in full mode) and by the
website's home page, whose results table is built from the committed
notebooks, so it always shows what the notebooks show.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from .data import REPO_ROOT
from .reporting import REPORT_KEY

CHAPTERS_DIR = REPO_ROOT / "chapters"


def chapter_notebooks(chapters_dir: Path = CHAPTERS_DIR) -> list[Path]:
    """The chapter notebooks ``NN-slug.ipynb``, in chapter order."""
    return sorted(p for p in Path(chapters_dir).glob("[0-9][0-9]-*.ipynb"))


def _title(cells: list[dict], fallback: str) -> str:
    for cell in cells[:2]:
        text = "".join(cell.get("source", ""))
        match = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", text, flags=re.M)
        if match:
            return match.group(1)
    return fallback


def _timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def notebook_seconds(cells: list[dict]) -> float | None:
    """Wall time of the recorded run: first code cell's start to last cell's reply.

    nbclient (behind ``make execute``, nbconvert and nbmake) stores these
    timestamps in each cell's ``metadata.execution``; None if they are absent.
    """
    stamps = [c.get("metadata", {}).get("execution", {}) for c in cells if c.get("cell_type") == "code"]
    try:
        start = _timestamp(stamps[0]["iopub.execute_input"])
        end = _timestamp(stamps[-1]["shell.execute_reply"])
    except (IndexError, KeyError, ValueError):
        return None
    return (end - start).total_seconds()


def notebook_mode(cells: list[dict]) -> str | None:
    """``"full"`` or ``"quick"`` as printed by ``utils.setup()`` in the run, else None."""
    for cell in cells:
        for out in cell.get("outputs", []):
            match = re.search(r"\bmode=(full|quick)\b", "".join(out.get("text", "")))
            if match:
                return match.group(1)
    return None


def notebook_report(cells: list[dict]) -> dict | None:
    """The metrics of the last ``utils.report(...)`` output in the notebook, or None."""
    found = None
    for cell in cells:
        for out in cell.get("outputs", []):
            payload = out.get("data", {}).get("application/json")
            if isinstance(payload, dict) and REPORT_KEY in payload:
                found = payload[REPORT_KEY]
    return found


def collect_results(chapters_dir: Path = CHAPTERS_DIR) -> list[dict]:
    """One dict per chapter: ``chapter``, ``title``, ``file``, ``mode``, ``seconds``, ``report``."""
    rows = []
    for path in chapter_notebooks(chapters_dir):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        rows.append({
            "chapter": path.name[:2],
            "title": _title(cells, path.stem),
            "file": path.name,
            "mode": notebook_mode(cells),
            "seconds": notebook_seconds(cells),
            "report": notebook_report(cells) or {},
        })
    return rows


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def results_markdown(chapters_dir: Path = CHAPTERS_DIR, link_prefix: str = "chapters/") -> str:
    """A Markdown table of every chapter's headline numbers and CPU run time."""
    lines = ["| Chapter | Headline numbers | Run time (full mode) |", "|---|---|---|"]
    for row in collect_results(chapters_dir):
        numbers = "<br>".join(f"`{k}` = {_fmt(v)}" for k, v in row["report"].items()) or "(no report)"
        seconds = f"{row['seconds'] / 60:.1f} min" if row["seconds"] is not None else "n/a"
        if row["mode"] != "full":
            seconds += f" ({row['mode'] or 'unknown'} mode)"
        link = f"[{row['chapter']}. {row['title']}]({link_prefix}{row['file']})"
        lines.append(f"| {link} | {numbers} | {seconds} |")
    return "\n".join(lines)
