import matplotlib.pyplot as plt
import pytest
import torch

import utils


def teardown_function():
    plt.close("all")


@pytest.mark.parametrize("shape", [(6, 28, 28), (6, 1, 28, 28), (6, 3, 8, 8)])
def test_show_images_shapes(shape):
    fig = utils.show_images(torch.rand(shape), titles=[str(i) for i in range(6)], ncols=4)
    assert len([ax for ax in fig.axes if ax.images]) == 6
    assert len(fig.axes) == 8  # 2 rows of 4, the last two blank


def test_show_images_errors():
    with pytest.raises(ValueError, match="reshape"):
        utils.show_images(torch.rand(6, 784))
    with pytest.raises(ValueError, match="titles"):
        utils.show_images(torch.rand(2, 4, 4), titles=["a"])
    with pytest.raises(ValueError, match="no images"):
        utils.show_images(torch.rand(0, 4, 4))


def test_plot_curves():
    fig = utils.plot_curves({"train": [3, 2, 1], "val": [3.5, 2.5]}, ylabel="loss", logy=True, title="t")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["train", "val"]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3] and ax.get_yscale() == "log"
    fig2, ax2 = plt.subplots()
    assert utils.plot_curves({"a": [1, 2]}, ax=ax2) is fig2
    with pytest.raises(ValueError, match="at least one"):
        utils.plot_curves({})
    with pytest.raises(ValueError, match="1-D"):
        utils.plot_curves({"bad": [[1, 2], [3, 4]]})


def test_scatter_2d():
    Z = torch.randn(30, 2)
    labels = torch.arange(30) % 3
    fig = utils.scatter_2d(Z, labels, class_names=["a", "b", "c"], title="codes")
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        utils.scatter_2d(torch.randn(30, 3), labels)
    with pytest.raises(ValueError, match="labels"):
        utils.scatter_2d(Z, labels[:5])


def test_animate_embeds_a_javascript_player():
    frames = [torch.linspace(0, 1, 5) * k for k in range(3)]
    html = utils.animate(frames, lambda ax, f, i: ax.plot(f), figsize=(2, 2), dpi=40)
    text = html.data
    assert "<script" in text and text.count("data:image/png;base64") == 3
    assert plt.get_fignums() == []  # the figure is closed, so no stray static image
    with pytest.raises(ValueError, match="at least one frame"):
        utils.animate([], lambda ax, f, i: None)


def test_still_frames_draws_evenly_spaced_frames_with_the_same_draw():
    seen = []

    def draw(ax, frame, i):
        seen.append(i)
        ax.plot(frame)

    fig = utils.still_frames([[k, k + 1] for k in range(10)], draw, n=4)
    assert seen == [0, 3, 6, 9] and len(fig.axes) == 4
    seen.clear()
    utils.still_frames([[0], [1], [2]], draw, picks=[2, 0])
    assert seen == [2, 0]
    seen.clear()
    utils.still_frames([[0]], draw, n=5)  # fewer frames than asked: each frame once
    assert seen == [0]


def test_still_frames_errors():
    draw = lambda ax, frame, i: None
    with pytest.raises(ValueError, match="at least one frame"):
        utils.still_frames([], draw)
    with pytest.raises(ValueError, match="outside"):
        utils.still_frames([1, 2], draw, picks=[2])
    with pytest.raises(ValueError, match="at least 1"):
        utils.still_frames([1, 2], draw, n=0)


def test_import_utils_leaves_matplotlib_until_a_plot_function_is_used():
    import subprocess
    import sys

    code = ("import sys, utils; before = 'matplotlib' in sys.modules; f = utils.show_images; "
            "from utils import still_frames; print(before, 'matplotlib' in sys.modules, f.__module__, still_frames.__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "utils.plot", "utils.plot"]
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        utils.no_such_thing
