"""Paired comparisons and summaries over seeds.

Introduced in chapter 10 (one-shot methods scored on the same episodes) and
used wherever a page compares two methods: chapters 03, 06, 09, 13, 16 ...

Two methods scored on the *same* test items are compared item by item. The
standard error of the difference of two accuracies computed as if the two
samples were independent, ``sqrt(se_a**2 + se_b**2)``, ignores that both
methods find the same items easy or hard, and is usually several times too
large. The paired standard error uses the per-item differences
``d_i = a_i - b_i``:

    diff = mean(d),    se = sd(d) / sqrt(n)    (sd with n - 1 in the denominator)

For right/wrong scores only the items the two methods disagree on carry
information: ``a_only`` (a right, b wrong) and ``b_only``. McNemar's exact
test asks whether a coin with p = 1/2 would split ``a_only + b_only``
disagreements this unevenly; for real-valued scores (per-item losses) the
p-value is the paired t-test's.

Several training runs of one method (different seeds) are summarized by
their mean and sample standard deviation: ``over_seeds([...])``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Paired", "SeedSummary", "paired", "over_seeds"]


def _as_vector(name: str, values, who: str = "paired") -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor, possibly on a GPU
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{who}: {name} must be one score per test item (a 1-D sequence), got shape {array.shape}")
    if array.dtype == bool:
        return array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{who}: {name} must hold numbers or bools, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{who}: {name} holds NaN or infinite values")
    return array


def _binom_two_sided(k: int, n: int) -> float:
    """Exact two-sided p-value of k successes in n fair coin flips (McNemar's exact test)."""
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(k, n, 0.5).pvalue)


def _t_two_sided(t: float, dof: int) -> float:
    from scipy.stats import t as student_t

    return float(2.0 * student_t.sf(abs(t), dof))


@dataclass(frozen=True)
class Paired:
    """Method a against method b on the same ``n`` items (see :func:`paired`)."""

    mean_a: float
    mean_b: float
    diff: float  # mean_a - mean_b
    se: float  # paired standard error of diff
    n: int
    binary: bool
    a_only: int | None  # items a got right and b wrong (binary scores only)
    b_only: int | None
    p_value: float  # McNemar's exact test (binary) or the paired t-test

    def __str__(self) -> str:
        text = f"a - b = {self.diff:+.4f} ± {self.se:.4f} (paired SE, n = {self.n})"
        if self.binary:
            text += f"; a right & b wrong: {self.a_only}, b right & a wrong: {self.b_only}; McNemar p = {self.p_value:.2g}"
        else:
            text += f"; paired t-test p = {self.p_value:.2g}"
        return text


def paired(a, b, *, binary: bool | None = None) -> Paired:
    """Compare two methods scored on the same items, in the same order.

    ``a`` and ``b`` are per-item scores: right/wrong (bools or 0/1) or real
    numbers such as per-item losses. Returns the two means, their difference
    ``a - b``, its paired standard error, and for right/wrong scores the
    discordant counts and McNemar's exact p-value (else the paired t-test's).

    ``binary=True`` insists on right/wrong scores (an error names the first
    value that is not 0 or 1, e.g. probabilities passed by mistake);
    ``binary=False`` treats 0/1 scores as real numbers; the default decides
    from the values.

    >>> r = paired([1, 1, 0, 1], [1, 0, 0, 0]); round(r.diff, 2), r.a_only, r.b_only
    (0.5, 2, 0)
    """
    x, y = _as_vector("a", a), _as_vector("b", b)
    if x.shape != y.shape:
        raise ValueError(
            f"paired: a and b must score the same items, got {x.size} and {y.size} scores; "
            "pass both methods' per-item results on one test set, in the same order"
        )
    n = x.size
    if n < 2:
        raise ValueError(f"paired: need at least 2 items to estimate a standard error, got {n}")
    is_01 = bool(np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all())
    if binary and not is_01:
        bad = next(v for v in np.concatenate([x, y]) if v not in (0.0, 1.0))
        raise ValueError(
            f"paired: binary=True needs right/wrong scores (bools or 0/1), found {bad:g}; "
            "pass (y_hat == y) per item, or binary=False for real-valued scores such as losses"
        )
    binary = is_01 if binary is None else binary
    d = x - y
    diff = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n))
    if binary:
        a_only = int(((x == 1) & (y == 0)).sum())
        b_only = int(((x == 0) & (y == 1)).sum())
        p = _binom_two_sided(a_only, a_only + b_only)
    else:
        a_only = b_only = None
        p = 1.0 if se == 0 else _t_two_sided(diff / se, n - 1)
    return Paired(float(x.mean()), float(y.mean()), diff, se, n, binary, a_only, b_only, p)


@dataclass(frozen=True)
class SeedSummary:
    """Mean and sample standard deviation of one result over independent runs."""

    mean: float
    sd: float
    n: int
    values: tuple[float, ...]

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.sd:.4f} ({self.n} seeds)"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return f"{format(self.mean, spec)} ± {format(self.sd, spec)} ({self.n} seeds)"


def over_seeds(values: Sequence[float]) -> SeedSummary:
    """Summarize one result over runs with different seeds: mean ± sd (n - 1 in the sd).

    ``f"{over_seeds(accs):.3f}"`` gives ``"0.845 ± 0.004 (3 seeds)"``.
    """
    array = _as_vector("values", values, who="over_seeds")
    if array.size < 2:
        raise ValueError(f"over_seeds: need results from at least 2 seeds to give a spread, got {array.size}")
    return SeedSummary(float(array.mean()), float(array.std(ddof=1)), int(array.size), tuple(float(v) for v in array))
