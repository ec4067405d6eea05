"""``report(**metrics)``: a chapter's headline numbers, for people and for tools.

Introduced in chapter 01. The output holds the same numbers twice: a small
HTML/plain-text table for the reader, and ``application/json`` under the key
``"course_report"`` that tests and the website's results table read back
from the executed notebook (see :mod:`utils.results`).
"""

from __future__ import annotations

import html
import math
import numbers

REPORT_KEY = "course_report"


def _clean(name: str, value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # 0-d tensor or array
        value = value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"report: {name} is {value}; report finite numbers only")
        return value
    raise TypeError(
        f"report: {name} must be a number, bool or string (a 0-d tensor is fine), got {type(value).__name__}"
    )


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.4e}"
    return str(value)


def report(**metrics) -> None:
    """Show ``metrics`` as a table and embed them as JSON.

    ``report(test_accuracy=0.84, train_seconds=41.2)``. Values must be numbers
    (Python, NumPy or 0-d tensors), bools or short strings.
    """
    if not metrics:
        raise ValueError("report() needs at least one metric, e.g. report(test_accuracy=0.84)")
    clean = {k: _clean(k, v) for k, v in metrics.items()}
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{html.escape(_fmt(v))}</td></tr>"
        for k, v in clean.items()
    )
    table = f"<table class='course-report'><thead><tr><th>result</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
    width = max(len(k) for k in clean)
    text = "\n".join(f"{k:<{width}}  {_fmt(v)}" for k, v in clean.items())
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python without IPython: print the text table
        print(text)
        return None
    if get_ipython() is None:
        print(text)
    else:
        display({"text/plain": text, "text/html": table, "application/json": {REPORT_KEY: clean}}, raw=True)
