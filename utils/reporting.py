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
HEADLINE_KEY = "course_headline"
ANCHOR_KEY = "course_anchor"


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


def _check_headline(headline, clean: dict) -> dict[str, str]:
    if headline is None:
        return {}
    if not isinstance(headline, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headline.items()):
        raise TypeError(
            "report: headline must map metric names to labels, e.g. "
            "headline={'test_acc': 'test accuracy {:.1%}'}"
        )
    for key, label in headline.items():
        if key not in clean:
            raise ValueError(f"report: headline names {key!r}, which is not one of the reported metrics {sorted(clean)}")
        try:
            label.format(clean[key])
        except (ValueError, IndexError, KeyError) as error:
            raise ValueError(
                f"report: headline label {label!r} for {key!r} must hold one format field such as "
                f"'{{:.1%}}' or '{{:.3f}} nats' ({error})"
            ) from None
        if "{" not in label:
            raise ValueError(f"report: headline label {label!r} for {key!r} needs a format field such as '{{:.3f}}'")
    return dict(headline)


def report(*, headline: dict[str, str] | None = None, anchor: str | None = None, **metrics) -> None:
    """Show ``metrics`` as a table and embed them as JSON.

    ``report(test_accuracy=0.84, train_seconds=41.2)``. Values must be numbers
    (Python, NumPy or 0-d tensors), bools or short strings.

    ``headline`` picks the two to four numbers the website's results page
    shows for the chapter, each with a human label holding one format field:
    ``headline={"test_accuracy": "test accuracy {:.1%}"}``. ``anchor`` is a
    published figure for orientation with its source, shown beside them
    (``anchor="logistic regression ~84 % (Xiao et al. 2017)"``).
    """
    if not metrics:
        raise ValueError("report() needs at least one metric, e.g. report(test_accuracy=0.84)")
    clean = {k: _clean(k, v) for k, v in metrics.items()}
    labels = _check_headline(headline, clean)
    if anchor is not None and not isinstance(anchor, str):
        raise TypeError(f"report: anchor must be a string naming a published figure and its source, got {type(anchor).__name__}")
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{html.escape(_fmt(v))}</td></tr>"
        for k, v in clean.items()
    )
    table = f"<table class='course-report'><thead><tr><th>result</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
    width = max(len(k) for k in clean)
    text = "\n".join(f"{k:<{width}}  {_fmt(v)}" for k, v in clean.items())
    payload = {REPORT_KEY: clean}
    if labels:
        payload[HEADLINE_KEY] = labels
    if anchor:
        payload[ANCHOR_KEY] = anchor
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python without IPython: print the text table
        print(text)
        return None
    if get_ipython() is None:
        print(text)
    else:
        display({"text/plain": text, "text/html": table, "application/json": payload}, raw=True)
