"""utils.stats: paired comparisons and summaries over seeds, against direct computations and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

import utils
from utils.stats import paired, over_seeds


def _two_methods(n=500, seed=0):
    rng = np.random.default_rng(seed)
    difficulty = rng.random(n)
    a = difficulty < 0.85
    b = (difficulty < 0.80) ^ (rng.random(n) < 0.05)
    return a, b


def test_paired_binary_matches_direct_computation_and_scipy():
    a, b = _two_methods()
    r = paired(a, b)
    d = a.astype(float) - b.astype(float)
    assert r.binary and r.n == a.size
    assert r.mean_a == pytest.approx(a.mean()) and r.mean_b == pytest.approx(b.mean())
    assert r.diff == pytest.approx(d.mean())
    assert r.se == pytest.approx(d.std(ddof=1) / math.sqrt(a.size))
    assert r.a_only == int((a & ~b).sum()) and r.b_only == int((~a & b).sum())
    # McNemar's exact test is a two-sided binomial test on the discordant pairs
    expected = scipy_stats.binomtest(r.a_only, r.a_only + r.b_only, 0.5).pvalue
    assert r.p_value == pytest.approx(expected)
    assert "McNemar" in str(r)


def test_paired_se_is_smaller_than_the_unpaired_one_when_items_share_difficulty():
    a, b = _two_methods()
    r = paired(a, b)
    unpaired = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert r.se < unpaired / 1.5


def test_paired_real_valued_scores_use_the_paired_t_test():
    rng = np.random.default_rng(1)
    loss_b = rng.exponential(1.0, 200)
    loss_a = loss_b - 0.05 + rng.normal(0, 0.1, 200)
    r = paired(torch.tensor(loss_a), torch.tensor(loss_b))  # tensors are accepted
    assert not r.binary and r.a_only is None and r.b_only is None
    assert r.diff == pytest.approx((loss_a - loss_b).mean())
    assert r.p_value == pytest.approx(scipy_stats.ttest_rel(loss_a, loss_b).pvalue)
    assert "t-test" in str(r)


def test_paired_identical_methods():
    a = [1, 0, 1, 1]
    r = paired(a, a)
    assert r.diff == 0 and r.se == 0 and r.a_only == 0 and r.b_only == 0 and r.p_value == 1.0


@pytest.mark.parametrize(
    "a, b, match",
    [
        ([1, 0, 1], [1, 0], "same items, got 3 and 2"),
        ([[1, 0], [1, 1]], [[1, 0], [1, 1]], "1-D"),
        (["x", "y"], ["x", "y"], "numbers or bools"),
        ([1.0, float("nan")], [1.0, 0.0], "NaN"),
        ([1], [0], "at least 2 items"),
    ],
)
def test_paired_errors_say_what_is_wrong(a, b, match):
    with pytest.raises((ValueError, TypeError), match=match):
        paired(a, b)


def test_paired_many_discordant_items():
    """10,000 test items with ~1,900 disagreements (two LeNets on Fashion-MNIST's test set) once overflowed."""
    rng = np.random.default_rng(2)
    a = rng.random(10_000) < 0.9
    b = np.where(rng.random(10_000) < 0.2, ~a, a)
    r = paired(a, b)
    assert r.a_only + r.b_only > 1500
    assert r.p_value == pytest.approx(scipy_stats.binomtest(r.a_only, r.a_only + r.b_only, 0.5).pvalue)
    assert 0.0 <= r.p_value <= 1.0


def test_paired_binary_flag():
    with pytest.raises(ValueError, match="binary=True needs right/wrong scores .* found 0.7"):
        paired([1, 0.7, 0], [1, 1, 0], binary=True)
    r = paired([1, 0, 1], [0, 0, 1], binary=False)
    assert not r.binary and r.a_only is None


def test_over_seeds_mean_and_sample_sd():
    s = over_seeds([0.84, 0.85, 0.86])
    assert s.mean == pytest.approx(0.85) and s.sd == pytest.approx(np.std([0.84, 0.85, 0.86], ddof=1))
    assert s.n == 3 and s.values == (0.84, 0.85, 0.86)
    assert str(s) == "0.8500 ± 0.0100 (3 seeds)"
    assert f"{s:.3f}" == "0.850 ± 0.010 (3 seeds)"


def test_over_seeds_needs_two_runs():
    with pytest.raises(ValueError, match="over_seeds: need results from at least 2 seeds"):
        over_seeds([0.9])


def test_exported_from_utils():
    assert utils.paired is paired and utils.over_seeds is over_seeds
