import math

import numpy as np
import pytest
import torch

import utils.reporting as report_module
from utils import report


def test_report_prints_plain_text_outside_ipython(capsys):
    assert report(test_accuracy=0.8412, epochs=3, note="ok") is None
    out = capsys.readouterr().out
    assert "test_accuracy  0.8412" in out and "epochs" in out and "ok" in out


def test_report_displays_table_and_json(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    report(acc=torch.tensor(0.5), loss=np.float32(1.25), steps=np.int64(7), ok=True)
    (bundle, raw), = shown
    assert raw is True
    assert bundle["application/json"] == {report_module.REPORT_KEY: {"acc": 0.5, "loss": 1.25, "steps": 7, "ok": True}}
    assert "<table" in bundle["text/html"] and "acc" in bundle["text/html"]
    assert "loss   1.25" in bundle["text/plain"]


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, ValueError, "at least one metric"),
    ({"loss": math.nan}, ValueError, "finite"),
    ({"acc": torch.zeros(3)}, TypeError, "0-d tensor"),
    ({"acc": [0.5]}, TypeError, "number"),
])
def test_report_rejects_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        report(**kwargs)


def _shown(monkeypatch) -> list:
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    return shown


def test_report_stores_headline_and_anchor_beside_the_metrics(monkeypatch):
    shown = _shown(monkeypatch)
    report(headline={"test_acc": "test accuracy {:.1%}", "seconds": "training {:.0f} s"},
           anchor="MLP ~0.88 (Xiao et al. 2017)", test_acc=0.9161, seconds=41.7, epochs=3)
    payload = shown[0]["application/json"]
    assert payload[report_module.REPORT_KEY] == {"test_acc": 0.9161, "seconds": 41.7, "epochs": 3}
    assert payload[report_module.HEADLINE_KEY] == {"test_acc": "test accuracy {:.1%}", "seconds": "training {:.0f} s"}
    assert payload[report_module.ANCHOR_KEY] == "MLP ~0.88 (Xiao et al. 2017)"
    assert "headline" not in shown[0]["text/plain"] and "anchor" not in shown[0]["text/html"]


def test_report_without_headline_stores_only_the_metrics(monkeypatch):
    shown = _shown(monkeypatch)
    report(acc=0.5)
    assert shown[0]["application/json"] == {report_module.REPORT_KEY: {"acc": 0.5}}


@pytest.mark.parametrize("headline, anchor, error, match", [
    (["acc"], None, TypeError, "headline must map"),
    ({"acc": 3}, None, TypeError, "headline must map"),
    ({"loss": "loss {:.3f}"}, None, ValueError, "not one of the reported metrics"),
    ({"acc": "accuracy"}, None, ValueError, "needs a format field"),
    ({"acc": "accuracy {} of {}"}, None, ValueError, "one format field"),
    ({"acc": "accuracy {value}"}, None, ValueError, "one format field"),
    ({"name": "model {:.1%}"}, None, ValueError, "one format field"),
    (None, 0.84, TypeError, "anchor must be a string"),
])
def test_report_rejects_bad_headline_or_anchor(headline, anchor, error, match):
    with pytest.raises(error, match=match):
        report(headline=headline, anchor=anchor, acc=0.9, name="mlp")
