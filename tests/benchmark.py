"""Benchmarks for the course's plumbing (run with `make bench`; not a test).

1. Overhead of `utils.fit`: one epoch of a small CNN on the 60,000 Fashion-MNIST
   training images through `utils.fit`, against a bare hand-written loop over
   the same tensors. Target: at most 5% slower.
2. Data path: one epoch of mini-batches from in-memory tensors (`utils.batches`)
   against torchvision's `FashionMNIST` + `ToTensor` + `DataLoader`.

Runs alternate (fit then bare, bare then fit, ...) after a warm-up of both, so
that a change in machine load hits both sides alike; the median and the minimum
of each are reported (the minimum is the least disturbed by other processes).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

import utils
from utils.data import FASHION_FILES, find_fashion_mnist


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (B, 16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 7, 7)
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )


def epoch_with_fit(X, y, batch_size: int) -> float:
    torch.manual_seed(0)
    model = small_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    start = time.perf_counter()
    utils.fit(model, (X, y), loss_fn=F.cross_entropy, optimizer=opt, epochs=1,
              batch_size=batch_size, progress=False, log_every=10**9)
    return time.perf_counter() - start


def epoch_bare(X, y, batch_size: int) -> float:
    torch.manual_seed(0)
    model = small_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    start = time.perf_counter()
    model.train()
    order = torch.randperm(len(X))
    for i in range(0, len(X), batch_size):
        idx = order[i:i + batch_size]
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def tensor_batches_epoch(X, y, batch_size: int) -> float:
    start = time.perf_counter()
    n = 0
    for Xb, yb in utils.batches(X, y, batch_size=batch_size, shuffle=True):
        n += len(Xb)
    assert n == len(X)
    return time.perf_counter() - start


def torchvision_epoch(root: Path, batch_size: int) -> float:
    from torch.utils.data import DataLoader
    from torchvision import transforms
    from torchvision.datasets import FashionMNIST

    start = time.perf_counter()
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
    dataset = FashionMNIST(root=str(root), train=True, download=False, transform=transform)
    n = 0
    for Xb, yb in DataLoader(dataset, batch_size=batch_size, shuffle=True):
        n += len(Xb)
    assert n == len(dataset)
    return time.perf_counter() - start


def torchvision_root(tmp: Path) -> Path:
    """torchvision expects the un-gzipped files in <root>/FashionMNIST/raw."""
    raw = tmp / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    source = find_fashion_mnist()
    for name in FASHION_FILES:
        with gzip.open(source / name, "rb") as f_in, open(raw / name[:-3], "wb") as f_out:
            shutil.copyfileobj(f_in, f_out)
    return tmp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    utils.setup(seed=0)
    X, y = utils.load_fashion_mnist("train")

    fit_times, bare_times = [], []
    epoch_bare(X[:10_000], y[:10_000], args.batch_size)  # warm-up (allocator, kernels)
    epoch_with_fit(X[:10_000], y[:10_000], args.batch_size)
    for r in range(args.repeats):
        if r % 2 == 0:
            fit_times.append(epoch_with_fit(X, y, args.batch_size))
            bare_times.append(epoch_bare(X, y, args.batch_size))
        else:
            bare_times.append(epoch_bare(X, y, args.batch_size))
            fit_times.append(epoch_with_fit(X, y, args.batch_size))
    fit_s, bare_s = statistics.median(fit_times), statistics.median(bare_times)
    # Each fit run sits next to a bare run; their ratio cancels slow drifts in machine load.
    paired = [f / b for f, b in zip(fit_times, bare_times)]
    print(f"CNN epoch, utils.fit : median {fit_s:6.2f} s, min {min(fit_times):6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in fit_times)})")
    print(f"CNN epoch, bare loop : median {bare_s:6.2f} s, min {min(bare_times):6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in bare_times)})")
    print(f"utils.fit overhead   : {100 * (fit_s / bare_s - 1):+.1f}% by medians, "
          f"{100 * (min(fit_times) / min(bare_times) - 1):+.1f}% by minima, "
          f"{100 * (statistics.median(paired) - 1):+.1f}% by the median of paired runs  (target: at most +5%)")

    with tempfile.TemporaryDirectory() as tmp:
        root = torchvision_root(Path(tmp))
        tv_times, tensor_times = [], []
        for _ in range(args.repeats):
            tv_times.append(torchvision_epoch(root, args.batch_size))
            tensor_times.append(tensor_batches_epoch(X, y, args.batch_size))
    tv_s, tensor_s = statistics.median(tv_times), statistics.median(tensor_times)
    print(f"data epoch, torchvision FashionMNIST+ToTensor+DataLoader : {tv_s:7.3f} s")
    print(f"data epoch, in-memory tensors (utils.batches)            : {tensor_s:7.3f} s")
    print(f"ratio DataLoader / tensor batching                       : {tv_s / tensor_s:7.1f}x")


if __name__ == "__main__":
    main()
