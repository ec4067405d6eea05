"""utils.checkpoints: the manifest check (missing, truncated, different), loading, the
long-run state, and every committed checkpoint against the manifest and its chapter."""

from __future__ import annotations

import json

import pytest
import torch

import utils
from utils import checkpoints as ck
from utils.data import sha256


@pytest.fixture()
def store(tmp_path):
    """A checkpoint folder with one small checkpoint listed in its manifest."""
    path = tmp_path / "99-toy.pt"
    torch.save({"state_dicts": {"net": {"w": torch.arange(6.0).reshape(2, 3)}},
                "meta": {"steps": 10, "history": {"step": [1, 10], "val": [1.0, 0.5]}}}, path)
    ck.write_manifest_entry("99-toy", path, {"chapter": "99"}, manifest=tmp_path / "manifest.json")
    return tmp_path


def test_load_checks_and_loads(store):
    out = utils.load_checkpoint("99-toy", device="cpu", directory=store)
    assert torch.equal(out["state_dicts"]["net"]["w"], torch.arange(6.0).reshape(2, 3))
    assert out["meta"]["steps"] == 10
    assert out["state_dicts"]["net"]["w"].device.type == "cpu"
    entry = json.loads((store / "manifest.json").read_text())["checkpoints"]["99-toy"]
    assert entry["sha256"] == sha256(store / "99-toy.pt") and entry["bytes"] > 0


def test_missing_file(store):
    (store / "99-toy.pt").unlink()
    with pytest.raises(utils.CheckpointError, match=r"missing.*make long CHAPTER=99"):
        utils.load_checkpoint("99-toy", directory=store)


def test_truncated_file(store):
    path = store / "99-toy.pt"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(utils.CheckpointError, match=r"truncated: 100 bytes.*make long CHAPTER=99"):
        utils.load_checkpoint("99-toy", directory=store)


def test_file_differs_from_manifest(store):
    path = store / "99-toy.pt"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # same size, one byte changed
    path.write_bytes(bytes(data))
    with pytest.raises(utils.CheckpointError, match=r"differs from the manifest.*make long CHAPTER=99"):
        utils.load_checkpoint("99-toy", directory=store)


def test_longer_file_differs(store):
    path = store / "99-toy.pt"
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(utils.CheckpointError, match="differs from the manifest"):
        utils.verify_checkpoint("99-toy", directory=store)


def test_name_not_in_manifest(store):
    with pytest.raises(utils.CheckpointError, match=r"'98-other' is not in the manifest.*99-toy"):
        utils.load_checkpoint("98-other", directory=store)


def test_weights_only(tmp_path):
    """A checkpoint holding arbitrary Python objects is refused by weights_only=True, with the rebuild hint."""
    path = tmp_path / "97-bad.pt"
    torch.save({"f": ck.TrainState}, path)
    ck.write_manifest_entry("97-bad", path, {}, manifest=tmp_path / "manifest.json")
    with pytest.raises(utils.CheckpointError, match="cannot load it"):
        utils.load_checkpoint("97-bad", directory=tmp_path)


def test_train_steps_override(monkeypatch):
    monkeypatch.delenv(ck.STEPS_ENV, raising=False)
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert utils.train_steps(full=100, quick=5) == 5
    monkeypatch.setenv(ck.STEPS_ENV, "1234")
    assert utils.train_steps(full=100, quick=5) == 1234
    assert utils.long_run_state() is None


def test_train_state_saves_resumes_and_stops(tmp_path):
    state = ck.TrainState(tmp_path / "s" / "state.pt", every=3, stop=5)
    assert state.load() is None
    torch.manual_seed(0)
    stops = [state.checkpoint(s, lambda s=s: {"step": s}) for s in range(1, 6)]
    assert stops == [False, False, False, False, True]
    expected_next = torch.rand(3)  # what the generator gives after the save at step 5
    resumed = ck.TrainState(tmp_path / "s" / "state.pt", every=3)
    torch.manual_seed(123)
    assert resumed.load() == {"step": 5}
    assert torch.equal(torch.rand(3), expected_next)
    assert resumed.seconds()[0] >= 0


def test_train_state_refuses_other_code(tmp_path):
    """A state saved by a run of different code is not resumed (it would mix two trainings)."""
    ck.TrainState(tmp_path / "state.pt", every=1, code="a" * 64).checkpoint(1, lambda: {"step": 1})
    assert ck.TrainState(tmp_path / "state.pt", code="a" * 64).load() == {"step": 1}
    with pytest.raises(ck.CheckpointError, match="different code.*Delete"):
        ck.TrainState(tmp_path / "state.pt", code="b" * 64).load()


MANIFEST = ck.read_manifest()


def test_manifest_sizes():
    total = sum(e["bytes"] for e in MANIFEST.values())
    assert total <= ck.MAX_TOTAL_BYTES, f"checkpoints total {total:,} bytes"
    for name, e in MANIFEST.items():
        assert e["bytes"] <= ck.MAX_CHECKPOINT_BYTES, f"{name}: {e['bytes']:,} bytes"


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_manifest_entry(name):
    """Each listed checkpoint matches its SHA-256, loads with weights_only=True, was made by
    `make long` from exactly the code its chapter now tags `long`, and carries its curve."""
    out = utils.load_checkpoint(name, device="cpu")
    meta, entry = out["meta"], MANIFEST[name]
    chapter = entry["chapter"]
    assert name in {r.name for r in ck.LONG_RUNS.values()}
    assert meta["code_sha256"] == ck.code_sha256(chapter), (
        f"{name} was trained from different code than chapter {chapter}'s cells tagged 'long' now hold; "
        f"rebuild it with `make long CHAPTER={chapter}`")
    assert meta["stopped_at"] == meta["steps"] == entry["steps"]
    for key in ("batch_size", "wall_seconds", "cpu_seconds", "device", "torch", "git_commit"):
        assert key in meta
    hist, spec = meta["history"], ck.LONG_RUNS[chapter]
    assert hist[spec.step_key][-1] == meta["steps"] and len(hist[spec.val_key]) == len(hist[spec.step_key])
    assert set(out["state_dicts"]) == set(ck.LONG_RUNS[chapter].modules)


TOY_CHAPTER = '''---
jupyter:
  jupytext:
    text_representation:
      extension: .md
      format_name: markdown
      format_version: '1.3'
---

A toy chapter: a linear model trained by the same loop on the page and by `make long`.

```python tags=["long"]
import torch
import utils

torch.manual_seed(0)
X = torch.randn(256, 3)
y = X @ torch.tensor([1.0, -2.0, 0.5])
TRAIN_STEPS = utils.train_steps(full=20, quick=5)
BATCH_SIZE = 32
```

```python
print("not tagged: make long skips this cell")
raise RuntimeError("an untagged cell ran")
```

```python tags=["long"]
def train(steps, state=None):
    torch.manual_seed(1)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    history = {"step": [], "val": []}
    step = 0
    if state is not None and (saved := state.load()) is not None:
        model.load_state_dict(saved["model"]), opt.load_state_dict(saved["opt"])
        step, history = saved["step"], saved["history"]
    while step < steps:
        idx = torch.randint(len(X), (BATCH_SIZE,))
        loss = (model(X[idx]).squeeze(1) - y[idx]).pow(2).mean()
        opt.zero_grad(), loss.backward(), opt.step()
        step += 1
        history["step"].append(step), history["val"].append(loss.item())
        if state is not None and state.checkpoint(step, lambda: {
                "model": model.state_dict(), "opt": opt.state_dict(), "step": step, "history": history}):
            break
    return model, history


model, history = train(TRAIN_STEPS, state=utils.long_run_state())
```
'''


@pytest.fixture()
def toy_chapter(tmp_path, monkeypatch):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "99-toy.md").write_text(TOY_CHAPTER)
    monkeypatch.setattr(ck, "ROOT", tmp_path)
    monkeypatch.setattr(ck, "CHECKPOINT_DIR", tmp_path / "checkpoints")
    monkeypatch.setitem(ck.LONG_RUNS, "99", ck.LongRun(name="99-toy", steps=60, modules=("model",), save_every=10))
    return tmp_path


def test_run_long_end_to_end(toy_chapter):
    """make long on a toy chapter: only tagged cells run, the checkpoint loads with weights_only=True
    from the manifest, and a run stopped and resumed gives the same weights and curve."""
    path = ck.run_long("99")
    out = ck.load_checkpoint("99-toy", device="cpu", directory=toy_chapter / "checkpoints")
    meta = out["meta"]
    assert path.exists() and meta["steps"] == 60 and meta["batch_size"] == 32 and len(meta["history"]["val"]) == 60
    assert meta["code_sha256"] == ck.code_sha256("99") and isinstance(meta["torch"], str)
    assert meta["cpu_seconds"] >= 0 and meta["wall_seconds"] >= 0
    # the same run stopped at step 25 (state saved there), then resumed to the end in a second call
    ck.run_long("99", stop=25, out=toy_chapter / "stopped", state_dir=toy_chapter / "state")
    stopped = torch.load(toy_chapter / "stopped" / "99-toy.pt", weights_only=True)
    assert stopped["meta"]["history"]["val"] == meta["history"]["val"][:25]
    ck.run_long("99", out=toy_chapter / "resumed", state_dir=toy_chapter / "state")
    resumed = torch.load(toy_chapter / "resumed" / "99-toy.pt", weights_only=True)
    assert resumed["meta"]["history"]["val"] == meta["history"]["val"]
    for k, v in out["state_dicts"]["model"].items():
        assert torch.equal(resumed["state_dicts"]["model"][k], v)


def test_code_hash_ignores_comments_and_docstrings(toy_chapter):
    src = toy_chapter / "chapters" / "99-toy.md"
    h = ck.code_sha256("99")
    src.write_text(TOY_CHAPTER.replace("def train(steps, state=None):\n",
                                       'def train(steps, state=None):\n    """Train."""  # a comment\n'))
    assert ck.code_sha256("99") == h
    src.write_text(TOY_CHAPTER.replace("lr=0.05", "lr=0.04"))
    assert ck.code_sha256("99") != h


def test_sessions_recorded(toy_chapter):
    ck.run_long("99", stop=25, out=toy_chapter / "a", state_dir=toy_chapter / "s", threads=1)
    ck.run_long("99", out=toy_chapter / "b", state_dir=toy_chapter / "s", threads=2)
    meta = torch.load(toy_chapter / "b" / "99-toy.pt", weights_only=True)["meta"]
    assert meta["sessions"] == [{"from_step": 0, "threads": 1}, {"from_step": 25, "threads": 2}]
