"""Chapter 20's scripts, run outside the notebook: train.py and ddp_check.py are
assembled from the chapter's `%%writefile` cells, as the notebook writes them,
and launched as their own processes: config errors, stop and resume, and
torchrun with two processes, launched repeatedly (a hang fails on the timeout).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "20-experiments.md"
WRITEFILE = re.compile(r'^%%writefile( -a)? \{RUN_DIR / "([\w.]+)"\}\n', re.M)
LAUNCH_TIMEOUT = 120  # seconds; a launch takes about 10 s here


def _scripts() -> dict[str, str]:
    """File name -> source, from the chapter's ```python cells that start with %%writefile."""
    files: dict[str, str] = {}
    for cell in re.findall(r"^```python\n(.*?)^```", CHAPTER.read_text(), re.S | re.M):
        m = WRITEFILE.match(cell)
        if m:
            body = cell[m.end():]
            files[m.group(2)] = files.get(m.group(2), "") + body if m.group(1) else body
    return files


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("ch20")
    scripts = _scripts()
    assert set(scripts) == {"train.py", "ddp_check.py"}, f"found {sorted(scripts)} in {CHAPTER.name}"
    for name, source in scripts.items():
        (d / name).write_text(source)
    return d


def _run(run_dir: Path, *args: str, processes: int = 1) -> subprocess.CompletedProcess:
    launcher = [sys.executable] if processes == 1 else [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([*launcher, *args], cwd=run_dir, env=env, capture_output=True, text=True,
                          timeout=LAUNCH_TIMEOUT)


def test_config_errors_name_the_key(run_dir):
    bad = _run(run_dir, "train.py", "batch_sise=64")
    assert bad.returncode != 0 and "batch_sise" in bad.stderr
    no_val = _run(run_dir, "train.py", "n_val=0", "epochs=1")
    assert no_val.returncode != 0 and "need n_val >= 1" in no_val.stderr


def test_stop_and_resume_equal_an_uninterrupted_run(run_dir):
    common = ["train.py", "n_train=512", "n_val=256", "epochs=2", "batch_size=128"]
    for extra in (["out_dir=full"], ["out_dir=resumed", "stop_after=1"], ["out_dir=resumed", "resume=true"]):
        done = _run(run_dir, *common, *extra)
        assert done.returncode == 0, done.stderr[-2000:]
    assert "stopping after epoch 1" not in done.stdout and "epoch 2" in done.stdout
    full = torch.load(run_dir / "full" / "checkpoint.pt", weights_only=True)
    resumed = torch.load(run_dir / "resumed" / "checkpoint.pt", weights_only=True)
    assert full["epoch"] == resumed["epoch"] == 2
    torch.testing.assert_close(resumed["model"], full["model"], rtol=0, atol=0)


def test_resume_with_a_changed_setting_is_refused(run_dir):
    """A new lr on resume would be silently overridden by the restored optimizer and scheduler."""
    common = ["train.py", "n_train=256", "n_val=128", "epochs=2", "out_dir=changed"]
    assert _run(run_dir, *common, "stop_after=1").returncode == 0
    ck = torch.load(run_dir / "changed" / "checkpoint.pt", weights_only=True)
    assert isinstance(ck["config"], dict) and ck["config"]["lr"] == 3e-3 and len(ck["rng"]) == 1
    refused = _run(run_dir, *common, "resume=true", "lr=0.01")
    assert refused.returncode != 0 and "cannot resume" in refused.stderr and "lr: 0.003 -> 0.01" in refused.stderr
    assert _run(run_dir, *common, "resume=true").returncode == 0


def test_truncated_checkpoint_gives_a_clear_error(run_dir):
    good = run_dir / "full" / "checkpoint.pt"
    if not good.exists():
        assert _run(run_dir, "train.py", "n_train=256", "n_val=128", "epochs=1", "out_dir=full").returncode == 0
    broken = run_dir / "broken.pt"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    check = subprocess.run(
        [sys.executable, "-c", "import sys, train; train.load_checkpoint(sys.argv[1])", str(broken)],
        cwd=run_dir, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=LAUNCH_TIMEOUT)
    assert check.returncode != 0
    assert "CheckpointError" in check.stderr and "truncated" in check.stderr


def test_ddp_gradient_check_relaunches_without_hanging(run_dir):
    for attempt in range(3):
        done = _run(run_dir, "ddp_check.py", processes=2)
        assert done.returncode == 0, f"launch {attempt + 1} failed:\n{done.stderr[-2000:]}"
        check = json.loads(done.stdout.strip().splitlines()[-1])
        assert check["world_size"] == 2
        assert check["max_grad_diff"] < 1e-5 * check["max_grad"] + 1e-7


def test_ddp_uneven_shards_keep_the_processes_shuffling_alike(run_dir):
    """Batches of 127 split 64 + 63: dropout advances the processes' global generators differently,
    so the shuffle must come from its own generator; train.py asserts agreement every epoch."""
    done = _run(run_dir, "train.py", "n_train=381", "n_val=128", "epochs=2", "batch_size=127",
                "out_dir=uneven", processes=2)
    assert done.returncode == 0, done.stderr[-2000:]
    ck = torch.load(run_dir / "uneven" / "checkpoint.pt", weights_only=True)
    assert len(ck["rng"]) == 2 and not torch.equal(ck["rng"][0]["torch"], ck["rng"][1]["torch"])


def test_ddp_training_run_writes_its_outputs(run_dir):
    done = _run(run_dir, "train.py", "n_train=512", "n_val=256", "epochs=1", "out_dir=ddp", processes=2)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((run_dir / "ddp" / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and len(metrics["history"]) == 1
    assert 0.1 < metrics["history"][0]["acc"] <= 1.0
    assert (run_dir / "ddp" / "config.yaml").exists() and any((run_dir / "ddp" / "tb").iterdir())
