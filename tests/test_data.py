import shutil

import pytest
import torch

import utils
import utils.data as data


def test_fake_dataset_loads_with_shapes_and_scaling(fake_fashion):
    X, y = utils.load_fashion_mnist("train", normalize=False)
    assert X.shape == (12, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (12,) and y.dtype == torch.int64
    expected = fake_fashion["tensors"]["train-images-idx3-ubyte.gz"].float() / 255
    torch.testing.assert_close(X[:, 0], expected)
    assert 0.0 <= X.min() and X.max() <= 1.0


def test_normalize_flatten_subset_and_test_split(fake_fashion):
    X_raw, _ = utils.load_fashion_mnist("test", normalize=False)
    X, y = utils.load_fashion_mnist("test", n=3, flatten=True)
    assert X.shape == (3, 784) and y.tolist() == [0, 1, 2]
    torch.testing.assert_close(X, ((X_raw[:3] - data.FASHION_MEAN) / data.FASHION_STD).reshape(3, 784))


def test_cache_is_written_and_used(fake_fashion):
    utils.load_fashion_mnist()
    cache = fake_fashion["data_root"] / "cache" / "fashion-mnist-uint8.pt"
    assert cache.is_file()
    shutil.rmtree(fake_fashion["folder"])  # the source is gone: the cache must serve
    X, _ = utils.load_fashion_mnist()
    assert X.shape == (12, 1, 28, 28)


def test_data_dir_is_found_before_system_dir(fake_fashion, tmp_path):
    local = fake_fashion["data_root"] / "fashion-mnist"
    shutil.copytree(fake_fashion["folder"], local)
    assert data.find_fashion_mnist() == local


def test_wrong_checksum_is_a_clear_error(fake_fashion):
    target = fake_fashion["folder"] / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes() + b"junk")
    with pytest.raises(ValueError, match="SHA-256"):
        data.find_fashion_mnist()


def test_missing_data_without_network_says_how_to_get_it(tmp_path, monkeypatch, no_network):
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "empty"))
    with pytest.raises(utils.DataNotFoundError) as info:
        utils.load_fashion_mnist()
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "make data" in message and "network is unreachable" in message


def test_missing_data_with_download_disabled(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_FASHION_DIR", tmp_path / "nowhere")
    with pytest.raises(utils.DataNotFoundError, match="download=False"):
        data.find_fashion_mnist(root=tmp_path, download=False)


@pytest.mark.parametrize("kwargs, match", [({"split": "val"}, "split"), ({"n": 0}, "positive"), ({"n": 2.5}, "positive")])
def test_bad_arguments(fake_fashion, kwargs, match):
    with pytest.raises(ValueError, match=match):
        utils.load_fashion_mnist(**kwargs)


def test_load_dataset_by_name(fake_fashion):
    X, y = utils.load_dataset("Fashion_MNIST", split="test")
    assert len(X) == 5
    with pytest.raises(ValueError, match="unknown dataset 'mnist'; available"):
        utils.load_dataset("mnist")


def test_real_fashion_mnist_and_normalization_constants():
    """The real data set (installed by `make data`): sizes, labels and the stored mean/std."""
    try:
        X, y = utils.load_fashion_mnist("train", normalize=False, download=False)
    except utils.DataNotFoundError:
        pytest.skip("Fashion-MNIST is not installed here; run `make data`")
    assert X.shape == (60000, 1, 28, 28)
    assert torch.bincount(y).tolist() == [6000] * 10
    assert abs(X.mean().item() - data.FASHION_MEAN) < 1e-4
    assert abs(X.std().item() - data.FASHION_STD) < 1e-4
    Xt, yt = utils.load_fashion_mnist("test", normalize=False, download=False)
    assert Xt.shape == (10000, 1, 28, 28) and len(utils.FASHION_CLASSES) == 10


def test_load_words():
    words = utils.load_words()
    assert len(words) >= 10_000
    assert words == sorted(set(words))
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words[:1000])
    short = utils.load_words(min_len=3, max_len=5)
    assert short and all(3 <= len(w) <= 5 for w in short)
    with pytest.raises(ValueError, match="min_len"):
        utils.load_words(min_len=4, max_len=2)


def test_batches_cover_everything_once():
    X = torch.arange(10).float().unsqueeze(1)
    y = torch.arange(10)
    seen = []
    for Xb, yb in utils.batches(X, y, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(0)):
        torch.testing.assert_close(Xb[:, 0].long(), yb)
        seen += yb.tolist()
    assert sorted(seen) == list(range(10)) and seen != list(range(10))
    sizes = [len(b[0]) for b in utils.batches(X, batch_size=3)]
    assert sizes == [3, 3, 3, 1]
    assert [len(b[0]) for b in utils.batches(X, batch_size=3, drop_last=True)] == [3, 3, 3]


@pytest.mark.parametrize("tensors, kwargs, match", [
    ((torch.zeros(4), torch.zeros(5)), {"batch_size": 2}, "same length"),
    ((torch.zeros(4),), {"batch_size": 0}, "batch_size"),
    ((), {"batch_size": 2}, "at least one tensor"),
])
def test_batches_errors(tensors, kwargs, match):
    with pytest.raises(ValueError, match=match):
        list(utils.batches(*tensors, **kwargs))


def test_data_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA", raising=False)
    assert utils.data_dir() == data.REPO_ROOT / "data"
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert utils.data_dir() == tmp_path


def test_sha256_of_a_file(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"abc")
    assert data.sha256(target) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_device_argument_moves_tensors(fake_fashion):
    X, y = utils.load_fashion_mnist("test", device="cpu")
    assert X.device.type == "cpu" and y.device.type == "cpu"


def test_load_words_without_the_package_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "english_words", None)  # makes the import fail
    with pytest.raises(ImportError, match="english-words"):
        utils.load_words()


@pytest.mark.parametrize("damage", ["truncated", "foreign", "wrong_keys", "wrong_dtype"])
def test_broken_cache_is_rebuilt_from_the_sources(fake_fashion, capsys, damage):
    X_good, y_good = utils.load_fashion_mnist(normalize=False)
    cache = fake_fashion["data_root"] / "cache" / "fashion-mnist-uint8.pt"
    good = torch.load(cache, weights_only=True)
    if damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:100])
    elif damage == "foreign":
        torch.save(torch.zeros(3), cache)
    elif damage == "wrong_keys":
        torch.save({"images": good["train_images"]}, cache)
    else:
        torch.save({**good, "test_images": good["test_images"].float()}, cache)
    capsys.readouterr()
    X, y = utils.load_fashion_mnist(normalize=False)
    assert "Rebuilding" in capsys.readouterr().out
    torch.testing.assert_close(X, X_good)
    assert torch.equal(y, y_good)
    assert data._cache_problems(torch.load(cache, weights_only=True)) == []  # rewritten whole
    capsys.readouterr()
    utils.load_fashion_mnist()
    assert "Rebuilding" not in capsys.readouterr().out  # and used from then on
