"""Long runs: a chapter's own training code run for many more steps, shipped as checked checkpoints.

Introduced in chapter 19 (also used by chapters 14 and 18). Five CPU minutes show how
a model learns, not what it can do, so these chapters also load a *long run* of the
same model, made by one command::

    make long CHAPTER=19                       # writes checkpoints/19-ddpm.pt, updates the manifest
    make long CHAPTER=19 STOP=300 OUT=/tmp/x   # the same run stopped after 300 steps (a check)

How it works (:func:`run_long`):

1. The code cells of ``chapters/NN-*.md`` tagged ``long`` (``` ```python tags=["long"] ```)
   are executed in order, in full mode, in one fresh namespace: the page's own data,
   model and training code, nothing else.
2. Only the step count changes: the page reads it with :func:`train_steps`, which
   returns the page's own value in a normal run and the long run's value under
   ``make long``; everything that depends on it (the learning-rate schedule) follows.
3. The training loop receives a :class:`TrainState` from :func:`long_run_state`
   (``None`` in a normal run). It saves the loop's full state (weights, optimizer,
   random generators, history) every few hundred steps with an atomic write, so an
   interrupted run started again with the same command resumes where it stopped.
4. At the end the modules named in :data:`LONG_RUNS` are saved with the metadata
   (steps, batch size, wall time and process CPU time, device, torch version, the git
   commit and a SHA-256 of the tagged code, the validation curve), and the checkpoint's
   SHA-256 goes into ``checkpoints/manifest.json``.

:func:`load_checkpoint` checks a checkpoint against the manifest before loading it with
``weights_only=True`` onto the current device, and says what is wrong and how to
rebuild it when it is missing, truncated or different.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from .data import sha256
from .runtime import budget, get_device

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT_DIR = ROOT / "checkpoints"
MANIFEST = CHECKPOINT_DIR / "manifest.json"
MAX_CHECKPOINT_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 30 * 1024 * 1024
STEPS_ENV = "COURSE_LONG_STEPS"
STATE_ENV = "COURSE_LONG_STATE"
STOP_ENV = "COURSE_LONG_STOP"
TAG = "long"


@dataclass(frozen=True)
class LongRun:
    """What ``make long`` does for one chapter: the step count and what to save."""

    name: str  # checkpoint file name without .pt
    steps: int  # training steps of the long run
    modules: tuple[str, ...]  # names of nn.Modules in the chapter's namespace to save
    history: str = "history"  # a dict of lists: the training and validation curve
    step_key: str = "step"  # the history's list of steps at which validation was measured
    val_key: str = "val"  # ... and its list of validation values at those steps
    batch_size: str = "BATCH_SIZE"
    save_every: int = 500


LONG_RUNS: dict[str, LongRun] = {
    "14": LongRun(name="14-gpt", steps=8_000, modules=("model",), step_key="val_step", val_key="val_loss"),
    "18": LongRun(name="18-realnvp", steps=10_000, modules=("flow",), history="curve", val_key="val_bpd"),
    "19": LongRun(name="19-ddpm", steps=12_000, modules=("model", "ema")),
}


class CheckpointError(RuntimeError):
    """A checkpoint is missing, truncated, or not the one the manifest lists."""


def _rebuild_hint(name: str) -> str:
    chapter = name.split("-")[0]
    return (f"Rebuild it with `make long CHAPTER={chapter}` (trains the chapter's own code for many "
            f"steps; see the README), or restore the committed file with `git checkout -- checkpoints/{name}.pt`.")


def read_manifest(manifest: Path | str | None = None) -> dict[str, dict]:
    """The manifest's entries: ``{name: {"file", "sha256", "bytes", ...}}``."""
    manifest = Path(manifest) if manifest is not None else CHECKPOINT_DIR / "manifest.json"
    if not manifest.exists():
        return {}
    return json.loads(manifest.read_text())["checkpoints"]


def write_manifest_entry(name: str, path: Path, info: dict, manifest: Path | str | None = None) -> None:
    manifest = Path(manifest) if manifest is not None else CHECKPOINT_DIR / "manifest.json"
    entries = read_manifest(manifest)
    entries[name] = {"file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size, **info}
    text = json.dumps({"checkpoints": dict(sorted(entries.items()))}, indent=2) + "\n"
    tmp = manifest.with_suffix(".json.tmp")
    tmp.write_text(text)
    os.replace(tmp, manifest)


def verify_checkpoint(name: str, directory: Path | str | None = None,
                      manifest: Path | str | None = None) -> Path:
    """Check ``name`` against the manifest (present, full size, same SHA-256); return its path."""
    directory = Path(directory) if directory is not None else CHECKPOINT_DIR
    manifest = Path(manifest) if manifest is not None else directory / "manifest.json"
    entries = read_manifest(manifest)
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise CheckpointError(f"{name!r} is not in the manifest {manifest} (it lists: {known}). "
                              + _rebuild_hint(name))
    entry = entries[name]
    path = directory / entry["file"]
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} is missing. " + _rebuild_hint(name))
    size = path.stat().st_size
    if size < entry["bytes"]:
        raise CheckpointError(f"checkpoint {path} is truncated: {size:,} bytes, the manifest lists "
                              f"{entry['bytes']:,} (an interrupted copy or download?). " + _rebuild_hint(name))
    digest = sha256(path)
    if size != entry["bytes"] or digest != entry["sha256"]:
        raise CheckpointError(f"checkpoint {path} differs from the manifest: SHA-256 {digest[:16]}... and "
                              f"{size:,} bytes, expected {entry['sha256'][:16]}... and {entry['bytes']:,} bytes "
                              "(modified, or made by a different run). " + _rebuild_hint(name))
    return path


def load_checkpoint(name: str, device: torch.device | str | None = None,
                    directory: Path | str | None = None, manifest: Path | str | None = None) -> dict:
    """Load a long run's checkpoint after checking it against the manifest.

    Returns ``{"state_dicts": {module name: state_dict}, "meta": {...}}``, with tensors
    on ``device`` (default: :func:`utils.get_device`), loaded with ``weights_only=True``.
    Raises :class:`CheckpointError` saying what is wrong and how to rebuild it.
    """
    path = verify_checkpoint(name, directory, manifest)
    device = torch.device(device) if device is not None else get_device()
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # a file that matches the manifest but does not load: made by another torch?
        raise CheckpointError(f"checkpoint {path} matches the manifest but torch {torch.__version__} cannot "
                              f"load it ({type(error).__name__}: {error}). " + _rebuild_hint(name)) from error


# ----------------------------------------------------------------------------- the chapter's side

def train_steps(full: int, quick: int) -> int:
    """The training step count: the page's ``full``/``quick`` value, or the long run's under ``make long``."""
    value = os.environ.get(STEPS_ENV)
    if value:
        return int(value)
    return budget(full=full, quick=quick)


def _rng_states() -> dict:
    return {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}


def _set_rng_states(s: dict) -> None:
    torch.set_rng_state(s["torch"])
    random.setstate(s["python"])
    np.random.set_state(s["numpy"])


def _atomic_save(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one


@dataclass
class TrainState:
    """Resumable state of a long run's training loop (chapter 20 shows the technique).

    The loop calls ``state.load()`` once (``None`` on a fresh start, else what it saved)
    and ``state.checkpoint(step, make_payload)`` after every step; every ``every`` steps
    it writes ``make_payload()`` plus the random generators' states atomically. It
    returns True when the run should stop there (``STOP=`` of a short check run).
    """

    path: Path
    every: int = 500
    stop: int | None = None
    code: str | None = None  # SHA-256 of the code that trains; a state saved by other code is refused
    wall_before: float = 0.0  # wall and CPU seconds of earlier, interrupted sessions
    cpu_before: float = 0.0
    sessions: list = field(default_factory=list)  # [{"from_step", "threads"}] of every session so far
    _t0: float = field(default_factory=time.perf_counter)
    _c0: float = field(default_factory=time.process_time)

    def seconds(self) -> tuple[float, float]:
        """Wall-clock and process CPU seconds of the run so far, earlier sessions included."""
        return (self.wall_before + time.perf_counter() - self._t0,
                self.cpu_before + time.process_time() - self._c0)

    def load(self) -> dict | None:
        if not self.path.exists():
            return None
        saved = torch.load(self.path, map_location="cpu", weights_only=False)
        if self.code is not None and saved.get("code_sha256") not in (None, self.code):
            raise CheckpointError(
                f"{self.path} was saved by a run of different code (SHA-256 {saved['code_sha256'][:16]}..., "
                f"the chapter's cells tagged 'long' now hash to {self.code[:16]}...); resuming it would mix "
                f"two trainings. Delete {self.path.parent} to start the run afresh.")
        _set_rng_states(saved["rng"])
        self.wall_before, self.cpu_before = saved["wall_seconds"], saved["cpu_seconds"]
        self._t0, self._c0 = time.perf_counter(), time.process_time()
        self.sessions = saved.get("sessions") or [{"from_step": 0, "threads": None}]  # None: not recorded
        self.sessions.append({"from_step": saved["step"], "threads": torch.get_num_threads()})
        print(f"resuming from {self.path} at step {saved['step']}", flush=True)
        return saved["payload"]

    def checkpoint(self, step: int, make_payload: Callable[[], dict]) -> bool:
        stop = self.stop is not None and step >= self.stop
        if step % self.every == 0 or stop:
            wall, cpu = self.seconds()
            if not self.sessions:
                self.sessions.append({"from_step": 0, "threads": torch.get_num_threads()})
            _atomic_save({"step": step, "payload": make_payload(), "rng": _rng_states(), "code_sha256": self.code,
                          "wall_seconds": wall, "cpu_seconds": cpu, "sessions": self.sessions}, self.path)
        return stop


_CURRENT_STATE: TrainState | None = None


def long_run_state() -> TrainState | None:
    """The :class:`TrainState` of the current ``make long`` run, or ``None`` in a normal run."""
    return _CURRENT_STATE


# ----------------------------------------------------------------------------- the runner

def chapter_source(chapter: str) -> Path:
    found = sorted((ROOT / "chapters").glob(f"{chapter}-*.md"))
    if len(found) != 1:
        raise ValueError(f"no single chapter source chapters/{chapter}-*.md (found {len(found)})")
    return found[0]


def tagged_cells(chapter: str) -> list[str]:
    """The code of the chapter's cells tagged ``long``, in page order."""
    import jupytext

    nb = jupytext.read(chapter_source(chapter))
    cells = [c.source for c in nb.cells if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]
    if not cells:
        raise ValueError(f"{chapter_source(chapter).name} has no code cell tagged {TAG!r}")
    return cells


def tagged_code(chapter: str) -> str:
    """The tagged cells joined: what :func:`code_sha256` hashes."""
    return "\n\n".join(tagged_cells(chapter))


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def cells_sha256(cells: list[str]) -> str:
    """SHA-256 of what code cells do: their syntax tree, without comments, docstrings or layout."""
    trees = [ast.unparse(_strip_docstrings(ast.parse(cell))) for cell in cells]
    return hashlib.sha256("\n\n".join(trees).encode()).hexdigest()


def code_sha256(chapter: str) -> str:
    """:func:`cells_sha256` of the chapter's cells tagged ``long`` as they are now."""
    return cells_sha256(tagged_cells(chapter))


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_long(chapter: str, steps: int | None = None, stop: int | None = None,
             out: Path | str | None = None, state_dir: Path | str | None = None,
             threads: int | None = None) -> Path:
    """Train chapter ``chapter``'s tagged code for ``steps`` steps and write its checkpoint.

    ``stop`` ends the same run (same schedule) early, for checks. ``out`` is the
    checkpoint folder (default ``checkpoints/``; only there is the manifest updated).
    The resumable state lives in ``state_dir`` (default ``data/long/<name>-<steps>[-stop<N>]``).
    ``threads`` sets torch's CPU threads (default: what the chapter's ``utils.setup`` picks);
    on a machine shared with other jobs at higher priority, one thread wastes far less time
    waiting for a descheduled partner thread than two.
    """
    global _CURRENT_STATE
    spec = LONG_RUNS[chapter]
    steps = steps or spec.steps
    out = Path(out) if out else CHECKPOINT_DIR
    tag = f"{spec.name}-{steps}" + (f"-stop{stop}" if stop else "")
    state_dir = Path(state_dir) if state_dir else ROOT / "data" / "long" / tag
    source = chapter_source(chapter)
    cells = tagged_cells(chapter)
    os.environ.pop("COURSE_QUICK", None)
    os.environ[STEPS_ENV] = str(steps)
    state = _CURRENT_STATE = TrainState(state_dir / "state.pt", every=spec.save_every, stop=stop,
                                        code=cells_sha256(cells))
    print(f"long run of {source.name}: {steps} steps" + (f", stopping at {stop}" if stop else "")
          + f"; resumable state in {state_dir}", flush=True)
    namespace: dict[str, Any] = {"__name__": "__long_run__"}
    try:
        for k, cell in enumerate(cells):
            exec(compile(cell, f"<{source.name}, cell {k + 1} tagged {TAG}>", "exec"), namespace)
            if threads:  # after the set-up cell, which sets the thread count to the number of cores
                torch.set_num_threads(threads)
        wall, cpu = state.seconds()
    finally:
        _CURRENT_STATE = None
        os.environ.pop(STEPS_ENV, None)
    history = namespace[spec.history]
    device = next(namespace[spec.modules[0]].parameters()).device
    meta = {
        "chapter": source.name, "steps": steps, "stopped_at": stop or steps,
        "batch_size": int(namespace[spec.batch_size]),
        "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
        "device": str(device), "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
        "sessions": state.sessions or [{"from_step": 0, "threads": torch.get_num_threads()}],
        "machine": platform.processor() or platform.machine(),
        "torch": str(torch.__version__), "python": platform.python_version(),  # str: TorchVersion is not a weights_only type
        "git_commit": _git("rev-parse", "HEAD"),
        "source_committed": _git("status", "--porcelain", "--", str(source)) == "",
        "code_sha256": cells_sha256(cells),  # the code that ran, read when the run started
        "command": f"make long CHAPTER={chapter}" + (f" STEPS={steps}" if steps != spec.steps else "")
                   + (f" STOP={stop}" if stop else "") + (f" THREADS={threads}" if threads else ""),
        "history": {k: [float(v) for v in vals] for k, vals in history.items()},
    }
    ckpt = {"state_dicts": {m: {k: v.detach().cpu() for k, v in namespace[m].state_dict().items()}
                            for m in spec.modules},
            "meta": meta}
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{spec.name}.pt"
    _atomic_save(ckpt, path)
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path} is {size:,} bytes, over the {MAX_CHECKPOINT_BYTES:,}-byte limit")
    if out.resolve() == CHECKPOINT_DIR.resolve():
        write_manifest_entry(spec.name, path, {
            "chapter": chapter, "command": meta["command"], "steps": steps, "device": meta["device"],
            "wall_seconds": meta["wall_seconds"], "cpu_seconds": meta["cpu_seconds"],
            "code_sha256": meta["code_sha256"], "torch": meta["torch"]})
    done = f"{stop} of {steps}" if stop else f"{steps}"
    print(f"wrote {path} ({size:,} bytes): {done} steps in {wall:.0f} s wall, {cpu:.0f} s CPU on {device}",
          flush=True)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m utils.checkpoints",
                                     description="Train a chapter's long run (make long CHAPTER=NN).")
    parser.add_argument("chapter", help="two-digit chapter number, one of " + ", ".join(LONG_RUNS))
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the chapter's long run)")
    parser.add_argument("--stop", type=int, default=None, help="stop the same run after this many steps (a check)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the chapter's)")
    parser.add_argument("--out", default=None, help="checkpoint folder (default checkpoints/, updates the manifest)")
    args = parser.parse_args(argv)
    if args.chapter not in LONG_RUNS:
        parser.error(f"chapter {args.chapter!r} has no long run; expected one of {', '.join(LONG_RUNS)}")
    run_long(args.chapter, steps=args.steps, stop=args.stop, out=args.out, threads=args.threads)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"process CPU time (user + system): {usage.ru_utime + usage.ru_stime:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    # Run through the package's module, not this __main__ copy, so that the chapter's
    # `utils.long_run_state()` sees the state this run sets.
    from utils.checkpoints import main as _main

    _main()
