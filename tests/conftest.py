"""Shared fixtures: a fake Fashion-MNIST folder, isolated data directories;
the website tests' summary line (page weights, or why they were skipped)."""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _idx_bytes(tensor: torch.Tensor) -> bytes:
    """Encode a uint8 tensor in the IDX format used by (Fashion-)MNIST."""
    header = bytes([0, 0, 0x08, tensor.ndim]) + b"".join(d.to_bytes(4, "big") for d in tensor.shape)
    return header + tensor.contiguous().numpy().tobytes()


@pytest.fixture
def fake_fashion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A tiny dataset in Fashion-MNIST's file format, with its sums installed as the known ones."""
    import utils.data as data

    folder = tmp_path / "fake-system"
    folder.mkdir()
    g = torch.Generator().manual_seed(0)
    tensors = {
        "train-images-idx3-ubyte.gz": torch.randint(0, 256, (12, 28, 28), dtype=torch.uint8, generator=g),
        "train-labels-idx1-ubyte.gz": torch.arange(12, dtype=torch.uint8) % 10,
        "t10k-images-idx3-ubyte.gz": torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8, generator=g),
        "t10k-labels-idx1-ubyte.gz": torch.arange(5, dtype=torch.uint8),
    }
    sums = {}
    for name, t in tensors.items():
        blob = gzip.compress(_idx_bytes(t))
        (folder / name).write_bytes(blob)
        sums[name] = hashlib.sha256(blob).hexdigest()
    monkeypatch.setattr(data, "FASHION_FILES", sums)
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", folder)
    data_root = tmp_path / "data"
    monkeypatch.setenv("COURSE_DATA", str(data_root))
    return {"folder": folder, "tensors": tensors, "data_root": data_root}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make torchvision's download fail as it does on a machine without network."""
    import utils.data as data

    def refuse(root):
        raise OSError("network is unreachable (simulated by the test)")

    monkeypatch.setattr(data, "_download_fashion_mnist", refuse)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COURSE_QUICK", "COURSE_DEVICE", "COURSE_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The website tests' page weights, or one line saying why they were skipped."""
    for line in getattr(config, "course_site_summary", []):
        terminalreporter.write_line(line)
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        if report.nodeid.startswith("tests/test_site.py") and isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ").removeprefix("site tests skipped: ")
            if reason not in reasons:
                reasons.append(reason)
    shown = set(config.option.reportchars or "") & set("sa")  # -ra already prints each skip reason
    if reasons and not shown:
        terminalreporter.write_line(f"site tests skipped: {'; '.join(reasons)}")
