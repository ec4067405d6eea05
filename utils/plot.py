"""Plotting helpers: image grids, training curves, 2-D embeddings, animations.

Introduced in chapter 01 (curves, animation) and chapter 03 (image grids).
Each returns the matplotlib ``Figure`` (or the animation's HTML) so a chapter
can add to it; none of them calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation


def show_images(
    images: torch.Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 10,
    cmap: str = "gray",
    size: float = 1.2,
    suptitle: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> plt.Figure:
    """A grid of images: ``(N, H, W)``, ``(N, 1, H, W)`` or ``(N, 3, H, W)``.

    Each image is scaled to its own min/max unless ``vmin``/``vmax`` are given.
    """
    images = torch.as_tensor(images).detach().cpu()
    if images.ndim == 4 and images.shape[1] in (1, 3):
        images = images.permute(0, 2, 3, 1)  # (N, H, W, C)
        if images.shape[-1] == 1:
            images = images[..., 0]
    if images.ndim not in (3, 4):
        raise ValueError(
            f"show_images expects (N, H, W), (N, 1, H, W) or (N, 3, H, W), got {tuple(images.shape)}; "
            f"for flat 784-vectors use images.reshape(-1, 28, 28)"
        )
    n = len(images)
    if n == 0:
        raise ValueError("show_images got no images")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {n} images but {len(titles)} titles")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if titles else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i].numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_curves(
    curves: dict[str, Sequence[float]],
    xlabel: str = "epoch",
    ylabel: str = "",
    logy: bool = False,
    title: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Line plot of named curves, e.g. ``{"train": h["train_loss"], "val": h["val_loss"]}``.

    Curves may have different lengths; x runs from 1. Pass ``ax`` to draw into
    an existing subplot.
    """
    if not curves:
        raise ValueError("plot_curves needs at least one curve")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
    else:
        fig = ax.figure
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"curve {name!r} must be 1-D, got shape {values.shape}")
        ax.plot(np.arange(1, len(values) + 1), values, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def scatter_2d(
    Z: torch.Tensor,
    labels: torch.Tensor,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    ax: plt.Axes | None = None,
    s: float = 4.0,
) -> plt.Figure:
    """Scatter 2-D points ``Z (N, 2)`` coloured by integer ``labels (N,)``, with a legend."""
    Z = torch.as_tensor(Z).detach().cpu()
    labels = torch.as_tensor(labels).detach().cpu()
    if Z.ndim != 2 or Z.shape[1] != 2:
        raise ValueError(f"scatter_2d expects Z of shape (N, 2), got {tuple(Z.shape)}")
    if labels.shape != (len(Z),):
        raise ValueError(f"labels must have shape ({len(Z)},), got {tuple(labels.shape)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 5))
    else:
        fig = ax.figure
    cmap = plt.get_cmap("tab10")
    for c in labels.unique().tolist():
        mask = labels == c
        name = class_names[c] if class_names is not None else str(c)
        ax.scatter(Z[mask, 0], Z[mask, 1], s=s, color=cmap(c % 10), label=name, alpha=0.7)
    ax.legend(markerscale=3, fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def animate(
    frames: Sequence,
    draw: Callable[[plt.Axes, object, int], None],
    figsize: tuple[float, float] = (5, 4),
    interval: int = 200,
    dpi: int = 80,
):
    """An animation that plays in JupyterLab and on the website.

    ``draw(ax, frame, i)`` draws frame ``i`` on a cleared axes. Returns an
    ``IPython.display.HTML`` object holding a self-contained JavaScript player
    (matplotlib's ``to_jshtml``): the frames are embedded as PNGs, so the
    executed notebook carries the animation and Quarto shows it as is.
    """
    from IPython.display import HTML

    if len(frames) == 0:
        raise ValueError("animate needs at least one frame")
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)

    def update(i: int):
        ax.clear()
        draw(ax, frames[i], i)
        return []

    anim = FuncAnimation(fig, update, frames=len(frames), interval=interval, blit=False)
    html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return HTML(html)


def still_frames(
    frames: Sequence,
    draw: Callable[[plt.Axes, object, int], None],
    n: int = 4,
    picks: Sequence[int] | None = None,
    size: tuple[float, float] = (3.2, 3.0),
):
    """Small multiples of an animation: a few of its frames side by side, as one still figure.

    Introduced in chapter 06 (every animation in the course gets one beside its
    player, so the page says something without JavaScript and in a static
    notebook viewer). ``draw(ax, frame, i)`` is the same function given to
    :func:`animate`; ``picks`` are the frame indices to show, by default ``n``
    evenly spaced ones from the first frame to the last. Returns the figure.
    """
    if len(frames) == 0:
        raise ValueError("still_frames needs at least one frame")
    if picks is None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        last = len(frames) - 1
        picks = sorted({round(k * last / max(n - 1, 1)) for k in range(n)}) if n > 1 else [last]
    bad = [i for i in picks if not 0 <= i < len(frames)]
    if bad:
        raise ValueError(f"picks {bad} are outside the {len(frames)} frames (0..{len(frames) - 1})")
    fig, axes = plt.subplots(1, len(picks), figsize=(size[0] * len(picks), size[1]), squeeze=False)
    for ax, i in zip(axes[0], picks):
        draw(ax, frames[i], i)
    return fig
