"""Run-time set-up shared by every chapter: mode, seed, device, threads.

Introduced in chapter 01. The only global state in `utils` lives here:
the mode (quick or full, read from ``COURSE_QUICK``), and whatever
:func:`setup` last configured (seed, device, thread count).
"""

from __future__ import annotations

import os
import random
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

QUICK_ENV = "COURSE_QUICK"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def is_quick() -> bool:
    """True when ``COURSE_QUICK`` asks for quick mode (tiny data, few steps).

    Accepted values: ``1/true/yes/on`` (quick) and ``0/false/no/off`` or unset
    (full). Anything else is an error rather than a silent guess.
    """
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV}={value!r} is not understood; use {QUICK_ENV}=1 for quick "
        f"mode or leave it unset (or 0) for full mode."
    )


def mode() -> str:
    """``"quick"`` or ``"full"``."""
    return "quick" if is_quick() else "full"


def budget(full: T, quick: T) -> T:
    """Pick a size for the current mode: ``budget(full=20, quick=1)``.

    Chapters choose every mode-dependent size (epochs, subset sizes, widths)
    through this one function, so quick mode is a single switch.
    """
    return quick if is_quick() else full


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (CPU and CUDA)."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple MPS, then CPU.

    ``prefer`` (or the ``COURSE_DEVICE`` environment variable) forces one,
    e.g. ``"cpu"`` to compare timings; asking for an absent device is an error.
    """
    name = prefer or os.environ.get("COURSE_DEVICE")
    if name:
        name = name.lower()
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": torch.backends.mps.is_available(),
        }
        if name not in available:
            raise ValueError(f"unknown device {name!r}; expected one of {sorted(available)}")
        if not available[name]:
            raise RuntimeError(f"device {name!r} was requested but is not available here")
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def setup(seed: int = 0, threads: int | None = None, verbose: bool = True) -> torch.device:
    """Seed everything, set the CPU thread count, pick the device; print one line.

    ``threads`` defaults to the number of cores this process may use. Returns
    the device so a chapter can write ``device = utils.setup()``.
    """
    seed_everything(seed)
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    device = get_device()
    if verbose:
        print(f"mode={mode()}  device={device}  seed={seed}  threads={threads}  torch={torch.__version__}")
    return device
