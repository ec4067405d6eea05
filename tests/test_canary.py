"""The canary against version drift (.ci/canary, run weekly by .github/workflows/canary.yml):
the newest versions requirements.in allows, without the lock. Checked offline here: when it runs,
how it relaxes the pins, and that it runs the unit tests and every chapter in quick mode."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "canary"


def test_workflow_runs_weekly_and_on_demand():
    workflow = yaml.safe_load((ROOT / ".github/workflows/canary.yml").read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on:` as True
    assert "workflow_dispatch" in triggers
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    fields = cron.split()
    assert len(fields) == 5 and fields[2] == "*" and fields[3] == "*" and fields[4] not in ("*",), (
        f"{cron!r} is not once a week")
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any("bash .ci/canary" in run for run in steps)
    assert not any("requirements.txt" in run or "make " in run for run in steps), "the canary must not use the lock"


def test_every_pin_becomes_a_floor(tmp_path):
    """The sed line of .ci/canary turns each `name==X` of requirements.in into `name>=X`."""
    text = SCRIPT.read_text(encoding="utf-8")
    (line,) = [l.strip() for l in text.splitlines() if l.strip().startswith("sed ") and "requirements.in" in l]
    command = line.split(' > "$VENV')[0].strip()  # without the redirection into the venv
    relaxed = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.in").read_text(), flags=re.M)
    floors = re.findall(r"^([A-Za-z0-9_.\-]+)>=(\S+)", relaxed, flags=re.M)
    assert pins and floors == pins, "each exact pin should become a floor at the same version"
    assert "==" not in "".join(l.split("#")[0] for l in relaxed.splitlines())


def test_script_installs_without_the_lock_and_runs_unit_tests_and_quick_chapters():
    text = SCRIPT.read_text(encoding="utf-8")
    code = [l for l in text.splitlines() if not l.lstrip().startswith("#")]
    installs = [l for l in code if "pip install" in l and "uv==" not in l]
    assert installs and all("requirements.txt" not in l for l in installs)
    assert "--upgrade" in installs[0], "a reused canary venv must move to the newest versions too"
    assert re.search(r"pytest tests\b", text) and re.search(r"COURSE_QUICK=1 .*--nbmake .*chapters/", text, flags=re.S)
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
