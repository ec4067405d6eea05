"""The website's configuration, checked without rendering it (tests/test_site.py renders
and reads it in a browser): no placeholder URLs, the real ones from the Pages workflow,
no dead options, a licence in the footer, the results page listed."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))


def test_config_has_no_placeholder_urls_and_the_workflow_supplies_real_ones():
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    website = _config()["website"]
    assert "example" not in text.lower(), "_quarto.yml still holds an 'example' placeholder"
    assert "site-url" not in website and "repo-url" not in website, "local renders must leave the URLs out"
    workflow = (ROOT / ".github/workflows/site.yml").read_text(encoding="utf-8")
    assert "github.repository" in workflow and "site-url" in workflow and "repo-url" in workflow
    assert "QUARTO_PROFILE" in workflow or "--profile" in workflow


def test_config_code_tools_and_footer():
    html = _config()["format"]["html"]
    assert "code-tools" not in html or html["code-tools"] is not False, "code-tools: configure something useful or leave it out"
    footer = " ".join(str(v) for v in _config()["website"]["page-footer"].values())
    assert "licence" in footer.lower() or "license" in footer.lower(), "the footer names the licence"


def test_results_page_is_rendered_and_in_the_sidebar():
    config = _config()
    assert "results.qmd" in config["project"]["render"]
    hrefs = [i.get("href") for i in config["website"]["sidebar"]["contents"] if isinstance(i, dict)]
    assert "results.qmd" in hrefs


def test_light_and_dark_themes_with_the_readers_setting_first():
    html = _config()["format"]["html"]
    theme = html["theme"]
    assert isinstance(theme, dict) and theme.get("light") and theme.get("dark"), "a light and a dark theme (toggle)"
    assert html.get("respect-user-color-scheme") is True, "the first visit should follow the system's setting"
    def listed(value) -> list:
        return [value] if isinstance(value, str) else list(value or [])

    files = [f for f in listed(theme["light"]) + listed(theme["dark"]) + listed(html.get("css"))
             if f.endswith((".scss", ".css"))]
    assert "site/course.css" in files, "the site's own stylesheet (figures in dark mode, player icons)"
    for name in files:
        assert (ROOT / name).is_file(), f"{name} is named in _quarto.yml but missing"


def test_the_animation_players_icons_are_all_drawn_by_the_site():
    """matplotlib's to_jshtml player names Font Awesome icons (fa-play, ...) loaded from a CDN; the
    site's stylesheet must draw every one of them itself, or that button is blank offline."""
    import re

    from matplotlib import _animation_data

    source = " ".join(v for v in vars(_animation_data).values() if isinstance(v, str))
    used = set(re.findall(r"\bfa-([a-z-]+)", source)) - {"flip-horizontal"}
    assert {"play", "pause"} <= used, f"matplotlib's player changed: icons {sorted(used)}"
    css = (ROOT / "site" / "course.css").read_text(encoding="utf-8")
    drawn = set(re.findall(r"\.anim-buttons \.fa-([a-z-]+) \{ --course-icon: url\(\"data:image/svg\+xml,", css))
    assert used <= drawn, f"icons of the animation player not drawn by site/course.css: {sorted(used - drawn)}"
    assert "fa-flip-horizontal" in css, "the play-backwards icon is the play icon mirrored"
