"""Data for the course: Fashion-MNIST and a word list, as in-memory tensors.

Introduced in chapter 01 (batching) and chapter 03 (Fashion-MNIST).

Fashion-MNIST is found in this order:

1. the project's data directory, ``$COURSE_DATA`` or ``<repo>/data``
   (files ``fashion-mnist/*.gz``, or torchvision's ``FashionMNIST/raw/*.gz``);
2. the copy installed by Debian's ``dataset-fashion-mnist`` package,
   ``/usr/share/datasets/fashion-mnist``;
3. torchvision's download into the data directory.

Every file is checked against its SHA-256 sum. The decoded tensors are cached
as ``<data dir>/cache/fashion-mnist-uint8.pt`` so later loads are fast.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

FASHION_FILES = {  # file name -> SHA-256 of the gzip file as published
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

# Mean and standard deviation of the 60,000 training images scaled to [0, 1]
# (computed by tests/test_data.py::test_normalization_constants).
FASHION_MEAN = 0.2860
FASHION_STD = 0.3530

DATA_HELP = """\
Fashion-MNIST was not found. Looked in: {looked}.
Get it in one of these ways:
  offline (Debian/Ubuntu):  sudo apt-get install dataset-fashion-mnist
                            (installs /usr/share/datasets/fashion-mnist)
  any copy of the 4 files:  put the *-ubyte.gz files in {data_dir}/fashion-mnist/
                            or point COURSE_DATA at a folder that holds fashion-mnist/
  online:                   `make data`, or utils.load_fashion_mnist(download=True)
                            (torchvision downloads into {data_dir})
Download attempt: {download}"""


class DataNotFoundError(FileNotFoundError):
    """Raised when a dataset is in none of the places we look and cannot be downloaded."""


def data_dir() -> Path:
    """The project's data directory: ``$COURSE_DATA`` if set, else ``<repo>/data``."""
    return Path(os.environ.get("COURSE_DATA") or REPO_ROOT / "data")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _candidate_dirs(root: Path, system_dir: Path) -> list[Path]:
    return [root / "fashion-mnist", root / "FashionMNIST" / "raw", system_dir]


def _verified(folder: Path) -> bool:
    """True if ``folder`` holds all four files with the right sums.

    A folder with the files but a wrong sum is an error, not a skip: a corrupt
    copy should be noticed, not silently replaced.
    """
    if not all((folder / name).is_file() for name in FASHION_FILES):
        return False
    for name, expected in FASHION_FILES.items():
        actual = sha256(folder / name)
        if actual != expected:
            raise ValueError(
                f"{folder / name} has SHA-256 {actual}, expected {expected}. "
                f"The file is corrupt or not Fashion-MNIST; delete it and run `make data`."
            )
    return True


def _download_fashion_mnist(root: Path) -> Path:
    """Download with torchvision into ``root/FashionMNIST/raw`` and return that folder."""
    from torchvision.datasets import FashionMNIST

    FashionMNIST(root=str(root), train=True, download=True)
    FashionMNIST(root=str(root), train=False, download=True)
    return root / "FashionMNIST" / "raw"


def find_fashion_mnist(
    root: Path | None = None,
    system_dir: Path | None = None,
    download: bool = True,
) -> Path:
    """Return a folder holding the four verified Fashion-MNIST ``.gz`` files.

    Looks in the data directory (``root``, default :func:`data_dir`), then
    ``system_dir`` (default ``SYSTEM_FASHION_DIR``), then (if ``download``)
    asks torchvision to fetch the files. Raises :class:`DataNotFoundError`
    with instructions if all of that fails.
    """
    root = Path(root) if root is not None else data_dir()
    system_dir = Path(system_dir) if system_dir is not None else SYSTEM_FASHION_DIR
    candidates = _candidate_dirs(root, system_dir)
    for folder in candidates:
        if _verified(folder):
            return folder
    outcome = "not tried (download=False)"
    if download:
        try:
            folder = _download_fashion_mnist(root)
            if _verified(folder):
                return folder
            outcome = f"finished but {folder} lacks the files"
        except Exception as exc:  # no network, proxy, disk...: report, don't crash deep inside
            outcome = f"failed ({type(exc).__name__}: {exc})"
    looked = ", ".join(str(c) for c in candidates)
    raise DataNotFoundError(DATA_HELP.format(looked=looked, data_dir=root, download=outcome))


def _read_idx(path: Path) -> torch.Tensor:
    """Decode one gzip IDX file (the MNIST format) into a uint8 tensor."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8)
    return data.reshape(shape)


def _cache_problems(tensors) -> list[str]:
    """What is wrong with a loaded cache: each split needs uint8 images (N, 28, 28) and labels (N,)."""
    if not isinstance(tensors, dict):
        return [f"a {type(tensors).__name__} instead of a dict"]
    problems = []
    for split in ("train", "test"):
        images, labels = tensors.get(f"{split}_images"), tensors.get(f"{split}_labels")
        if not (isinstance(images, torch.Tensor) and images.dtype == torch.uint8
                and images.ndim == 3 and tuple(images.shape[1:]) == (28, 28)):
            problems.append(f"{split}_images")
        elif not (isinstance(labels, torch.Tensor) and labels.dtype == torch.uint8
                  and labels.shape == images.shape[:1]):
            problems.append(f"{split}_labels")
    return problems


def _read_cache(cache: Path) -> dict[str, torch.Tensor] | None:
    """The cached tensors, or None (after one line saying why) if the file is unusable."""
    try:
        tensors = torch.load(cache, weights_only=True)
    except Exception as error:  # truncated, foreign or corrupt file: rebuilt from the sources
        reason = f"it could not be loaded ({type(error).__name__})"
    else:
        problems = _cache_problems(tensors)
        if not problems:
            return tensors
        reason = f"it has missing or malformed entries ({', '.join(problems)})"
    print(f"Rebuilding {cache} from the verified source files: {reason}.")
    return None


def _load_uint8(download: bool = True) -> dict[str, torch.Tensor]:
    cache = data_dir() / "cache" / "fashion-mnist-uint8.pt"
    if cache.is_file():
        tensors = _read_cache(cache)
        if tensors is not None:
            return tensors
    folder = find_fashion_mnist(download=download)
    tensors = {
        "train_images": _read_idx(folder / "train-images-idx3-ubyte.gz"),
        "train_labels": _read_idx(folder / "train-labels-idx1-ubyte.gz"),
        "test_images": _read_idx(folder / "t10k-images-idx3-ubyte.gz"),
        "test_labels": _read_idx(folder / "t10k-labels-idx1-ubyte.gz"),
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    torch.save(tensors, tmp)
    tmp.replace(cache)  # atomic: two processes may race to write it
    return tensors


def load_fashion_mnist(
    split: str = "train",
    n: int | None = None,
    normalize: bool = True,
    flatten: bool = False,
    device: torch.device | str | None = None,
    download: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST as tensors ``X`` (float32) and ``y`` (int64 class indices).

    ``X`` has shape ``(N, 1, 28, 28)``, or ``(N, 784)`` with ``flatten=True``.
    Pixels are scaled to [0, 1]; with ``normalize=True`` they are then
    standardized with the training set's mean and std (``FASHION_MEAN``,
    ``FASHION_STD``). ``n`` keeps the first ``n`` examples (the files are
    already in random order). Class names are in ``FASHION_CLASSES``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ValueError(f"n must be a positive int or None, got {n!r}")
    tensors = _load_uint8(download=download)
    images, labels = tensors[f"{split}_images"], tensors[f"{split}_labels"]
    if n is not None:
        images, labels = images[:n], labels[:n]
    X = images.to(torch.float32).div_(255.0).unsqueeze(1)  # (N, 1, 28, 28)
    if normalize:
        X = X.sub_(FASHION_MEAN).div_(FASHION_STD)
    if flatten:
        X = X.reshape(len(X), -1)  # (N, 784)
    y = labels.to(torch.int64)
    if device is not None:
        X, y = X.to(device), y.to(device)
    return X, y


def load_dataset(name: str, split: str = "train", **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """Load a dataset by name (only ``"fashion-mnist"`` for now); see :func:`load_fashion_mnist`."""
    loaders = {"fashion-mnist": load_fashion_mnist}
    key = name.lower().replace("_", "-")
    if key not in loaders:
        raise ValueError(f"unknown dataset {name!r}; available: {sorted(loaders)}")
    return loaders[key](split=split, **kwargs)


def load_words(min_len: int = 1, max_len: int | None = None) -> list[str]:
    """A sorted list of distinct lower-case English words (letters a-z only).

    Introduced in chapter 05. The words come from the "web2" list (Webster's
    Second International Dictionary, 1934, public domain) as shipped by the
    ``english-words`` package (MIT licence), which is in requirements.txt, so
    the list is available offline wherever the course is installed.
    """
    try:
        from english_words import get_english_words_set
    except ImportError as exc:
        raise ImportError(
            "the word list needs the 'english-words' package; run `make venv` "
            "or `pip install -r requirements.txt`"
        ) from exc
    if min_len < 1 or (max_len is not None and max_len < min_len):
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    words = get_english_words_set(["web2"], lower=True, alpha=True)
    words = {w for w in words if w.isascii() and w.isalpha()}
    return sorted(w for w in words if len(w) >= min_len and (max_len is None or len(w) <= max_len))


def batches(
    *tensors: torch.Tensor,
    batch_size: int,
    shuffle: bool = False,
    drop_last: bool = False,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, ...]]:
    """Yield mini-batches of one or more tensors by indexing along dim 0.

    ``for Xb, yb in batches(X, y, batch_size=128, shuffle=True): ...``. Much
    faster than a ``DataLoader`` over per-sample transforms when the data
    already sits in memory (see tests/benchmark.py).
    """
    if not tensors:
        raise ValueError("batches() needs at least one tensor")
    n = len(tensors[0])
    for t in tensors[1:]:
        if len(t) != n:
            sizes = [tuple(t.shape) for t in tensors]
            raise ValueError(f"all tensors must have the same length along dim 0, got shapes {sizes}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if shuffle:
        order = torch.randperm(n, generator=generator).to(tensors[0].device)
    else:
        order = None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            yield tuple(t[start:start + batch_size] for t in tensors)
        else:
            idx = order[start:start + batch_size]
            yield tuple(t[idx] for t in tensors)
