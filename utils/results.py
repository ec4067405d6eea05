"""Read the headline numbers and run times back from executed chapter notebooks.

Used by the tests (every chapter has a report, ran in full mode) and by the
website: its results page (``results.qmd``) and the summary on its home page
are built from the committed notebooks, so they always show what the
notebooks show. Nothing here is typed by hand: each chapter chooses its
headline numbers and their labels with ``utils.report(headline=..., anchor=...)``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from .data import REPO_ROOT
from .reporting import ANCHOR_KEY, HEADLINE_KEY, REPORT_KEY

CHAPTERS_DIR = REPO_ROOT / "chapters"
# Shown for a chapter whose report names no headline yet: its first few keys as they are.
FALLBACK_KEYS = 3


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


def _setup_line(cells: list[dict]) -> str | None:
    """The line ``utils.setup()`` printed: ``mode=full  device=cpu  seed=0  threads=2 ...``."""
    for cell in cells:
        for out in cell.get("outputs", []):
            for line in "".join(out.get("text", "")).splitlines():
                if re.search(r"\bmode=(full|quick)\b", line):
                    return line
    return None


def notebook_mode(cells: list[dict]) -> str | None:
    """``"full"`` or ``"quick"`` as printed by ``utils.setup()`` in the run, else None."""
    line = _setup_line(cells)
    return re.search(r"\bmode=(full|quick)\b", line).group(1) if line else None


def notebook_device(cells: list[dict]) -> str | None:
    """Where the recorded run ran, from ``utils.setup()``'s line: ``"CPU, 2 threads"``, ``"CUDA"``..."""
    line = _setup_line(cells)
    device = re.search(r"\bdevice=(\S+)", line or "")
    if not device:
        return None
    name = device.group(1).split(":")[0]
    name = {"cpu": "CPU", "cuda": "CUDA GPU", "mps": "Apple MPS"}.get(name, name)
    threads = re.search(r"\bthreads=(\d+)", line)
    if name == "CPU" and threads:
        n = int(threads.group(1))
        name += f", {n} thread" + ("s" if n != 1 else "")
    return name


def _report_payload(cells: list[dict]) -> dict:
    """The JSON of the last ``utils.report(...)`` output in the notebook ({} if none)."""
    found = {}
    for cell in cells:
        for out in cell.get("outputs", []):
            payload = out.get("data", {}).get("application/json")
            if isinstance(payload, dict) and REPORT_KEY in payload:
                found = payload
    return found


def notebook_report(cells: list[dict]) -> dict | None:
    """The metrics of the last ``utils.report(...)`` output in the notebook, or None."""
    return _report_payload(cells).get(REPORT_KEY)


def notebook_headline(cells: list[dict]) -> dict[str, str]:
    """The report's ``headline`` labels, ``{key: "test accuracy {:.1%}"}`` ({} if none chosen)."""
    return dict(_report_payload(cells).get(HEADLINE_KEY) or {})


def notebook_anchor(cells: list[dict]) -> str | None:
    """The report's ``anchor``, a published figure and its source, or None."""
    return _report_payload(cells).get(ANCHOR_KEY) or None


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def headline_texts(report: dict, labels: dict[str, str]) -> list[str]:
    """Each headline label filled with its reported value: ``["test accuracy 91.6%", ...]``.

    A label naming a key that the report lacks raises, so that a broken
    headline fails the site's build and tests instead of showing a blank.
    """
    texts = []
    for key, label in labels.items():
        if key not in report:
            raise KeyError(f"headline names {key!r}, which is not in the report {sorted(report)}")
        texts.append(label.format(report[key]))
    return texts


def collect_results(chapters_dir: Path = CHAPTERS_DIR) -> list[dict]:
    """One dict per chapter, in order.

    Keys: ``chapter`` ("07"), ``title``, ``file``, ``mode`` ("full"/"quick"/None),
    ``seconds`` (recorded wall time or None), ``device`` (text or None),
    ``report`` (all metrics), ``headline`` (labels, maybe {}), ``headline_texts``
    (labels filled in), ``anchor`` (text or None).
    """
    rows = []
    for path in chapter_notebooks(chapters_dir):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        report = notebook_report(cells) or {}
        labels = notebook_headline(cells)
        rows.append({
            "chapter": path.name[:2],
            "title": _title(cells, path.stem),
            "file": path.name,
            "mode": notebook_mode(cells),
            "seconds": notebook_seconds(cells),
            "device": notebook_device(cells),
            "report": report,
            "headline": labels,
            "headline_texts": headline_texts(report, labels),
            "anchor": notebook_anchor(cells),
        })
    return rows


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _numbers(row: dict) -> str:
    if row["headline_texts"]:
        return "<br>".join(_cell(t) for t in row["headline_texts"])
    if not row["report"]:
        return "(no report)"
    shown = list(row["report"].items())[:FALLBACK_KEYS]
    return "<br>".join(f"`{k}` {_cell(_fmt(v))}" for k, v in shown) + "<br>*(report keys; no headline chosen yet)*"


def _run_time(row: dict) -> str:
    text = f"{row['seconds'] / 60:.1f} min" if row["seconds"] is not None else "n/a"
    if row["mode"] != "full":
        text += f" ({row['mode'] or 'unknown'} mode)"
    return text


def _link(row: dict, link_prefix: str) -> str:
    return f"[{row['chapter']}. {_cell(row['title'])}]({link_prefix}{row['file']})"


def results_markdown(chapters_dir: Path = CHAPTERS_DIR, link_prefix: str = "chapters/") -> str:
    """The results page's table: headline results, published anchor, run time, device."""
    lines = ["| Chapter | Headline results | Published anchor | Run time (full mode) | Ran on |",
             "|---|---|---|---|---|"]
    for row in collect_results(chapters_dir):
        anchor = _cell(row["anchor"]) if row["anchor"] else "–"
        lines.append(f"| {_link(row, link_prefix)} | {_numbers(row)} | {anchor} | {_run_time(row)} | {row['device'] or 'n/a'} |")
    return "\n".join(lines)


def summary_markdown(chapters_dir: Path = CHAPTERS_DIR, link_prefix: str = "chapters/") -> str:
    """The home page's shorter table: each chapter's headline results and run time."""
    lines = ["| Chapter | Headline results | Run time |", "|---|---|---|"]
    for row in collect_results(chapters_dir):
        lines.append(f"| {_link(row, link_prefix)} | {_numbers(row)} | {_run_time(row)} |")
    return "\n".join(lines)


def _short(title: str, width: int = 28) -> str:
    title = title.split(":")[0]
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def minutes_figure(chapters_dir: Path = CHAPTERS_DIR):
    """A bar chart of each chapter's recorded run time in minutes (quick-mode runs hatched)."""
    import matplotlib.pyplot as plt

    rows = [r for r in collect_results(chapters_dir) if r["seconds"] is not None]
    fig, ax = plt.subplots(figsize=(7, 0.32 * max(len(rows), 3) + 1.0))
    labels = [f"{r['chapter']} {_short(r['title'])}" for r in rows]
    minutes = [r["seconds"] / 60 for r in rows]
    bars = ax.barh(labels, minutes, color="#2780e3")
    for bar, row in zip(bars, rows):
        if row["mode"] != "full":
            bar.set_hatch("//")
            bar.set_facecolor("#bbbbbb")
        ax.text(bar.get_width() + 0.05, bar.get_y() + bar.get_height() / 2, f"{bar.get_width():.1f}",
                va="center", fontsize=8)
    ax.invert_yaxis()
    ax.axvline(5, color="grey", linestyle="--", linewidth=1)
    ax.text(5, 1.0, "5-minute budget", transform=ax.get_xaxis_transform(), color="grey", fontsize=8,
            ha="center", va="bottom")
    ax.set_xlabel("full-mode wall time (minutes)")
    ax.set_xlim(0, max(minutes + [5]) * 1.12)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
