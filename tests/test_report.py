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
