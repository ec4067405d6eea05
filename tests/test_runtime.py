import random

import numpy as np
import pytest
import torch

import utils


def test_mode_defaults_to_full():
    assert utils.is_quick() is False
    assert utils.mode() == "full"


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_quick_mode_values(monkeypatch, value):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert utils.is_quick() is True
    assert utils.mode() == "quick"


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_full_mode_values(monkeypatch, value):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert utils.is_quick() is False


def test_bad_quick_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "maybe")
    with pytest.raises(ValueError, match="COURSE_QUICK=1"):
        utils.is_quick()


def test_budget_picks_by_mode(monkeypatch):
    assert utils.budget(full=10, quick=1) == 10
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert utils.budget(full=10, quick=1) == 1


def test_seed_everything_is_reproducible():
    utils.seed_everything(3)
    a = (random.random(), np.random.rand(), torch.rand(2))
    utils.seed_everything(3)
    b = (random.random(), np.random.rand(), torch.rand(2))
    assert a[0] == b[0] and a[1] == b[1]
    torch.testing.assert_close(a[2], b[2])


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_seed_rejects_bad_values(seed):
    with pytest.raises(ValueError, match="seed"):
        utils.seed_everything(seed)


def test_get_device_cpu_and_errors(monkeypatch):
    assert utils.get_device("cpu") == torch.device("cpu")
    assert utils.get_device().type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match="unknown device"):
        utils.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="not available"):
            utils.get_device("cuda")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert utils.get_device() == torch.device("cpu")


def test_setup_prints_one_line_and_sets_threads(capsys):
    before = torch.get_num_threads()
    try:
        device = utils.setup(seed=1, threads=1)
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and "mode=full" in out and "seed=1" in out and "threads=1" in out
        assert torch.get_num_threads() == 1
        assert isinstance(device, torch.device)
    finally:
        torch.set_num_threads(before)


def test_setup_rejects_zero_threads():
    with pytest.raises(ValueError, match="threads"):
        utils.setup(threads=0, verbose=False)
