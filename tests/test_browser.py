"""The report opened in a real headless Chromium: images load, anchors resolve, no console errors.

Driven over the DevTools protocol by tests/browser.py (no extra package). Skipped, with the reason,
where no Chromium is installed (CI installs Debian's `chromium`). The quick-study test leaves a
full-page screenshot in results/report-screenshot.png and the printed report in
results/report-print.pdf, for a person to look at.
"""

import importlib.util
import os
from pathlib import Path

import pytest

pytest.register_assert_rewrite("report_fixtures")
import report_fixtures as F
from browser import BrowserError, Chromium, find_chromium

pytestmark = pytest.mark.browser

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found: apt-get install chromium (or set CHROMIUM=/path/to/chrome)"
)

IMAGES = "Array.from(document.images).map(i => ({id: i.closest('[id]') && i.closest('[id]').id, complete: i.complete, w: i.naturalWidth}))"
ANCHORS = "Array.from(document.querySelectorAll('section.claim')).map(s => s.id)"
DANGLING = "Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => a.getAttribute('href')).filter(h => !document.getElementById(h.slice(1)))"
SUMMARY_LINKS = "Array.from(document.querySelectorAll('#summary td.id a')).map(a => a.getAttribute('href'))"
RESOURCES = "performance.getEntriesByType('resource').map(r => r.name)"
# How far the page scrolls sideways: a wide table must scroll in its own box, never the page.
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def open_report(html: Path, tmp_path: Path, *, screenshot: Path | None = None, pdf: Path | None = None) -> dict:
    """Load ``html`` in a fresh headless Chromium and collect what the checks need; the browser is killed on exit."""
    with Chromium.launch(tmp_path / "chromium-profile", CHROMIUM) as browser:
        page = browser.new_page()
        page.goto(html.resolve().as_uri())
        page.evaluate("document.fonts.ready.then(() => true)")
        seen = {
            "images": page.evaluate(IMAGES),
            "anchors": page.evaluate(ANCHORS),
            "dangling": page.evaluate(DANGLING),
            "summary_links": page.evaluate(SUMMARY_LINKS),
            "resources": page.evaluate(RESOURCES),
            "title": page.evaluate("document.title"),
            "overflow": page.evaluate(OVERFLOW),
        }
        if screenshot:
            page.screenshot(screenshot)
        if pdf:
            page.pdf(pdf)
        seen["errors"] = page.errors()
    return seen


def check(seen: dict, claim_ids) -> None:
    broken = [i for i in seen["images"] if not (i["complete"] and i["w"] > 0)]
    assert seen["images"] and not broken, f"images that did not load: {broken}"
    assert [a for a in seen["anchors"] if a in claim_ids] == list(claim_ids)
    assert seen["summary_links"] == [f"#{c}" for c in seen["anchors"]]
    assert not seen["dangling"], f"links to missing anchors: {seen['dangling']}"
    assert not seen["resources"], f"the report fetched external resources: {seen['resources']}"
    assert seen["overflow"] <= 0, f"the page scrolls sideways by {seen['overflow']} px"
    assert not seen["errors"], "console errors:\n" + "\n".join(seen["errors"])


@needs_chromium
def test_fixture_report_in_browser(tmp_path):
    kwargs = F.make_inputs(tmp_path / "inputs")
    spec = importlib.util.spec_from_file_location("render_report", F.REPO / "workflow" / "scripts" / "render_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(**kwargs)
    seen = open_report(Path(kwargs["output"]), tmp_path, screenshot=tmp_path / "shot.png")
    check(seen, list(F.CLAIM_FIGURES))
    assert len(seen["images"]) == sum(len(v) for v in F.CLAIM_FIGURES.values()) + 1  # + the datasets figure
    assert (tmp_path / "shot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_chromium
@pytest.mark.slow
def test_quick_report_in_browser(quick_study, tmp_path):
    results = F.REPO / "results"
    seen = open_report(
        quick_study / "report" / "index.html",
        tmp_path,
        screenshot=results / "report-screenshot.png",
        pdf=results / "report-print.pdf",
    )
    check(seen, [f"L{i:02d}" for i in range(1, 15)])
    assert (results / "report-print.pdf").read_bytes()[:5] == b"%PDF-"


@needs_chromium
def test_browser_is_killed_even_when_a_check_fails(tmp_path):
    with pytest.raises(BrowserError), Chromium.launch(tmp_path / "profile", CHROMIUM) as browser:
        pid = browser.proc.pid
        browser.new_page().evaluate("no_such_name.x")
    assert browser.proc.poll() is not None
    with pytest.raises(ProcessLookupError):  # the whole process group is gone
        os.killpg(pid, 0)
