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
