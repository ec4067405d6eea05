"""requirements.in holds the direct pins; requirements.txt is compiled from it
(`make lock`) with every transitive version pinned. Offline check that the two agree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins.setdefault(_norm(match.group(1)), match.group(2))
    return pins


def test_every_direct_requirement_is_pinned_exactly():
    lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.in").read_text().splitlines()]
    loose = [l for l in lines if l and not PIN.match(l)]
    assert not loose, f"requirements.in: pin these exactly with ==: {loose}"


def test_compiled_requirements_match_the_direct_pins():
    direct, compiled = _pins(ROOT / "requirements.in"), _pins(ROOT / "requirements.txt")
    assert direct, "requirements.in holds no pins"
    missing = sorted(n for n in direct if n not in compiled)
    differ = sorted(f"{n}: in {direct[n]}, txt {compiled[n]}" for n in direct if n in compiled and compiled[n] != direct[n])
    assert not missing and not differ, (
        f"requirements.txt is out of date with requirements.in (missing {missing}, differing {differ}); run `make lock`"
    )


def test_compiled_requirements_pin_every_package():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    entries = [l for l in lines if l and not l.startswith("#")]
    unpinned = [l for l in entries if not PIN.match(l)]
    assert len(entries) > len(_pins(ROOT / "requirements.in")), "requirements.txt should list transitive pins too"
    assert not unpinned, f"requirements.txt has unpinned lines: {unpinned}"
