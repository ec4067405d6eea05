"""The course's shared helpers. Each module says which chapter introduces it.

- :mod:`utils.runtime`: ``setup``, ``budget``, ``is_quick``, ``get_device``, ``seed_everything``
- :mod:`utils.data`: ``load_fashion_mnist``, ``load_words``, ``batches``, ``FASHION_CLASSES``
- :mod:`utils.train`: ``fit``, ``evaluate``, ``predict``, ``accuracy``, ``confusion_matrix``
- :mod:`utils.plot`: ``show_images``, ``plot_curves``, ``scatter_2d``, ``animate``, ``still_frames``
- :mod:`utils.reporting`: ``report``
- :mod:`utils.stats`: ``paired``, ``over_seeds`` (paired comparisons, results over seeds; chapter 10)
- :mod:`utils.text`: ``load_text``, ``load_documents``, ``stdlib_files``, ``TEXT_CORPORA`` (chapter 14)
- :mod:`utils.results`: reads reports and run times back from executed notebooks
"""

from .checkpoints import CheckpointError, TrainState, load_checkpoint, long_run_state, train_steps, verify_checkpoint
from .data import (
    FASHION_CLASSES,
    DataNotFoundError,
    batches,
    data_dir,
    find_fashion_mnist,
    load_dataset,
    load_fashion_mnist,
    load_words,
)
from .reporting import report
from .runtime import budget, get_device, is_quick, mode, seed_everything, setup
from .stats import over_seeds, paired
from .text import TEXT_CORPORA, load_documents, load_text, stdlib_files
from .train import accuracy, confusion_matrix, evaluate, fit, predict

__all__ = [
    "FASHION_CLASSES", "DataNotFoundError", "batches", "data_dir", "find_fashion_mnist",
    "load_dataset", "load_fashion_mnist", "load_words",
    "animate", "plot_curves", "scatter_2d", "show_images", "still_frames",
    "report",
    "over_seeds", "paired",
    "budget", "get_device", "is_quick", "mode", "seed_everything", "setup",
    "TEXT_CORPORA", "load_documents", "load_text", "stdlib_files",
    "accuracy", "confusion_matrix", "evaluate", "fit", "predict",
]

# matplotlib loads on the first use of a plot function, not on ``import utils``:
# scripts that only train (chapter 20's train.py, started as several processes)
# then start about half a second faster each.
_PLOT_FUNCTIONS = ("animate", "plot_curves", "scatter_2d", "show_images", "still_frames")


def __getattr__(name: str):
    if name in _PLOT_FUNCTIONS:
        from . import plot

        return getattr(plot, name)
    raise AttributeError(f"module 'utils' has no attribute {name!r}")
