"""A small, explicit training loop: ``fit``, ``evaluate``, ``predict``.

Introduced in chapter 01 (written by hand there first, then wrapped here).
``fit`` does nothing a chapter could not write in twenty lines; it exists so
that later chapters stay about their model. Progress is a bar when a person
is watching (a terminal, or JupyterLab) and one plain line per epoch when a
notebook is executed in the background, so committed outputs stay clean.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable

import torch
from torch import nn

from .data import batches

Metric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
History = dict[str, list[float]]


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Share of rows whose largest score is the true class: ``mean(argmax(y_hat) == y)``."""
    if y_hat.ndim != 2 or y.ndim != 1 or len(y_hat) != len(y):
        raise ValueError(
            f"accuracy expects scores (N, C) and labels (N,), got {tuple(y_hat.shape)} and {tuple(y.shape)}"
        )
    return (y_hat.argmax(dim=1) == y).float().mean()


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``C[i, j]`` = number of examples of true class ``i`` predicted as class ``j``.

    Introduced in chapter 03 (written there with one ``bincount`` over the
    index ``K * y_true + y_pred`` and checked against scikit-learn); chapter 10
    uses it for one-shot episodes. Both inputs are 1-D integer class indices.
    """
    if y_true.ndim != 1 or y_pred.shape != y_true.shape:
        raise ValueError(
            f"confusion_matrix expects two 1-D tensors of class indices of the same length, "
            f"got {tuple(y_true.shape)} and {tuple(y_pred.shape)}; for scores use y_hat.argmax(dim=1)"
        )
    if y_true.dtype.is_floating_point or y_pred.dtype.is_floating_point:
        raise TypeError("confusion_matrix expects integer class indices, not float scores or probabilities")
    for name, t in (("y_true", y_true), ("y_pred", y_pred)):
        if len(t) and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"{name} holds classes outside 0..{num_classes - 1} (num_classes={num_classes})")
    flat = torch.bincount(num_classes * y_true + y_pred, minlength=num_classes**2)  # (K*K,)
    return flat.reshape(num_classes, num_classes)


def interactive() -> bool:
    """True when a person is watching: a terminal, or a JupyterLab/Notebook kernel.

    ``COURSE_PROGRESS=bar`` or ``=lines`` overrides the guess. Kernels started
    by JupyterLab carry ``JPY_SESSION_NAME``; kernels started by nbclient,
    nbconvert or nbmake (the executed, committed notebooks) do not.
    """
    forced = os.environ.get("COURSE_PROGRESS", "").lower()
    if forced in ("bar", "lines"):
        return forced == "bar"
    if forced:
        raise ValueError(f"COURSE_PROGRESS must be 'bar' or 'lines', got {forced!r}")
    return "JPY_SESSION_NAME" in os.environ or sys.stdout.isatty()


def _check_data(name: str, data: tuple[torch.Tensor, ...] | None) -> None:
    if data is None:
        return
    if not isinstance(data, (tuple, list)) or len(data) != 2 or not all(
        isinstance(t, torch.Tensor) for t in data
    ):
        raise TypeError(f"{name} must be a pair of tensors (X, y); for an autoencoder pass (X, X)")
    if len(data[0]) != len(data[1]):
        raise ValueError(
            f"{name}: X and y must have the same length along dim 0, got {tuple(data[0].shape)} and {tuple(data[1].shape)}"
        )
    if len(data[0]) == 0:
        raise ValueError(f"{name} is empty")


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Model outputs for all of ``X`` (eval mode, no gradients), on the CPU."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        outs = [model(Xb.to(device)).cpu() for (Xb,) in batches(X, batch_size=batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(outs)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    metrics: dict[str, Metric] | None = None,
    batch_size: int = 1024,
) -> dict[str, float]:
    """Mean loss (and metrics) over ``data = (X, y)`` in eval mode.

    ``loss_fn`` and each metric must return a batch *mean*; they are averaged
    with batch sizes as weights, so the result does not depend on batch size.
    """
    _check_data("data", data)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    totals = {"loss": 0.0, **{k: 0.0 for k in metrics or {}}}
    try:
        for Xb, yb in batches(*data, batch_size=batch_size):
            Xb, yb = Xb.to(device), yb.to(device)
            y_hat = model(Xb)
            totals["loss"] += float(loss_fn(y_hat, yb)) * len(Xb)
            for k, m in (metrics or {}).items():
                totals[k] += float(m(y_hat, yb)) * len(Xb)
    finally:
        model.train(was_training)
    return {k: v / len(data[0]) for k, v in totals.items()}


def fit(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int = 128,
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    metrics: dict[str, Metric] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    clip_grad: float | None = None,
    callback: Callable[[int, nn.Module, History], None] | None = None,
    log_every: int = 1,
    progress: bool | None = None,
) -> History:
    """Train ``model`` on ``train = (X, y)`` with mini-batches; return the history.

    Each step: ``y_hat = model(Xb)``, ``loss = loss_fn(y_hat, yb)``, backward,
    optional gradient-norm clipping to ``clip_grad``, ``optimizer.step()``,
    then ``scheduler.step()`` if given (stepped after every *batch*, so build
    it with ``epochs * ceil(N / batch_size)`` total steps). Batches move to the
    model's device one at a time. After each epoch, ``val`` is evaluated and
    ``callback(epoch, model, history)`` is called (e.g. to grab an animation
    frame). The history maps ``"epoch"``, ``"train_loss"``, ``"train_<metric>"``,
    ``"val_loss"``, ``"val_<metric>"``, ``"lr"`` and ``"seconds"`` to lists,
    one entry per epoch.
    """
    _check_data("train", train)
    _check_data("val", val)
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    metrics = metrics or {}
    device = next(model.parameters()).device
    show_bar = interactive() if progress is None else progress
    history: History = {"epoch": [], "train_loss": [], "lr": [], "seconds": []}
    steps_per_epoch = math.ceil(len(train[0]) / batch_size)
    bar = None
    if show_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * steps_per_epoch, desc="training", leave=True)
    model.train()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        total_loss = torch.zeros((), device=device)
        total_metrics = {k: torch.zeros((), device=device) for k in metrics}
        for Xb, yb in batches(*train, batch_size=batch_size, shuffle=True):
            Xb, yb = Xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            y_hat = model(Xb)
            loss = loss_fn(y_hat, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            with torch.no_grad():
                total_loss += loss.detach() * len(Xb)
                for k, m in metrics.items():
                    total_metrics[k] += m(y_hat.detach(), yb) * len(Xb)
            if bar is not None:
                bar.update()
        n = len(train[0])
        history["epoch"].append(epoch)
        history["train_loss"].append(float(total_loss) / n)
        for k in metrics:
            history.setdefault(f"train_{k}", []).append(float(total_metrics[k]) / n)
        if val is not None:
            for k, v in evaluate(model, val, loss_fn, metrics).items():
                history.setdefault(f"val_{k}", []).append(v)
        history["lr"].append(optimizer.param_groups[0]["lr"])
        history["seconds"].append(time.perf_counter() - start)
        if callback is not None:
            callback(epoch, model, history)
        line = _epoch_line(history, epochs)
        if bar is not None:
            bar.set_postfix_str(line.split("  ", 1)[1])
        elif epoch % log_every == 0 or epoch == epochs or epoch == 1:
            print(line, flush=True)
    if bar is not None:
        bar.close()
    return history


def _epoch_line(history: History, epochs: int) -> str:
    epoch = history["epoch"][-1]
    width = len(str(epochs))
    parts = [f"epoch {epoch:>{width}}/{epochs}"]
    for k, values in history.items():
        if k in ("epoch", "lr", "seconds"):
            continue
        parts.append(f"{k} {values[-1]:.4f}")
    parts.append(f"{history['seconds'][-1]:.1f}s")
    return "  ".join(parts)
