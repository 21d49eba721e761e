"""The page in a real browser (Debian's chromium, driven by Playwright; nothing downloaded).

The test fills the quote form, gets the options, checks the table (tags, charge lines) and
the map (basemap land and the chosen route's lanes), and keeps a screenshot in
tests/artifacts/ (gitignored) to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from serve_fixtures import ARTIFACTS, NETWORK, live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),  # CI installs it: must run
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]


def test_quote_form_shows_options_table_and_route_map(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from optimizer.serve.app import create_app

    app = create_app(NETWORK, db_path=tmp_path / "jobs.sqlite")
    with live_server(app) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url + "/")
            page.wait_for_selector("#f-from option[value=CN_SZX_ORIGIN]", state="attached")
            page.select_option("#f-from", "CN_SZX_ORIGIN")
            page.select_option("#f-to", "M_US_EAST")
            page.fill("#f-weight", "2.5")
            page.fill("#f-dims", "40x30x20")
            page.fill("#f-value", "120")
            page.select_option("#f-currency", "USD")
            page.select_option("#f-category", "")
            page.fill("#f-hs", "8517.62")  # chapter 85: electronics
            page.fill("#f-date", "2026-03-01")
            page.click("#quote-go")
            page.wait_for_selector("#options tbody tr.option")
            page.wait_for_selector("#quote-map path.lane", state="attached")

            rows = page.locator("#options tbody tr.option")
            assert rows.count() >= 3
            tags = page.locator("#options .tag").all_inner_texts()
            assert {"CHEAPEST", "FASTEST", "BEST_VALUE"} <= set(tags)
            charges = page.locator("#options tr.charges").first.inner_text()
            assert "freight" in charges and "customs:" in charges
            summary = page.inner_text("#quote-summary")
            assert "CN_SZX_ORIGIN → M_US_EAST" in summary and "electronics" in summary
            assert "HS 851762 (duty priced at it)" in summary
            assert page.locator("#quote-map path.land").count() > 100  # the basemap
            first_lanes = page.locator("#quote-map path.lane").count()
            assert first_lanes >= 1
            assert page.locator("#quote-map circle.node").count() == first_lanes + 1

            rows.nth(rows.count() - 1).click()  # choose another option: its route is drawn
            page.wait_for_selector("#options tr.option.chosen", state="attached")
            assert "Option" in page.inner_text("#quote-map-caption")
            assert not errors, errors

            shot = tmp_path / "quote_page.png"
            rows.first.click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(shot), full_page=True)
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(shot, ARTIFACTS / "quote_page.png")

            page.fill("#f-weight", "-1")  # bad input: problem list and the field marked
            page.click("#quote-go")
            page.wait_for_selector("#quote-errors:not([hidden])")
            assert "out of range" in page.inner_text("#quote-errors")
            assert "invalid" in (page.get_attribute("#f-weight", "class") or "")
        finally:
            browser.close()


def test_plan_viewer_shows_a_finished_job(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from optimizer.serve.app import create_app

    app = create_app(NETWORK, db_path=tmp_path / "jobs.sqlite")
    with live_server(app) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url + "/")
            page.wait_for_selector("#f-from option[value=CN_SZX_ORIGIN]", state="attached")
            page.click("button.tab[data-tab=plans]")
            assert "CN_SZX_ORIGIN" in page.input_value("#scenario")  # the sample scenario
            page.click("#plan-form button[type=submit]")
            page.wait_for_selector("#plan-view:not([hidden])", timeout=120_000)
            page.wait_for_selector("#plan-map path.lane", state="attached")
            assert "two US demands from Shenzhen — optimal" in page.inner_text("#plan-title")
            assert "Weekly cost" in page.inner_text("#plan-totals")
            demands = page.locator("#plan-allocations tbody td:first-child").all_inner_texts()
            assert {"SZX-USW-apparel", "SZX-USE-electronics"} <= set(demands)
            assert page.locator("#plan-map path.lane").count() >= 2
            assert "finished" in page.inner_text("#jobs tbody")
            assert not errors, errors
            shot = tmp_path / "plan_page.png"
            page.screenshot(path=str(shot), full_page=True)
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(shot, ARTIFACTS / "plan_page.png")
        finally:
            browser.close()


def test_api_docs_render_offline(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from optimizer.serve.app import create_app

    app = create_app(NETWORK, db_path=tmp_path / "jobs.sqlite")
    with live_server(app) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url) if url not in r.url else None)
            page.goto(url + "/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            paths = set(page.locator(".opblock-summary-path").all_inner_texts())
            assert {"/v1/quotes", "/v1/quotes/batch", "/v1/plans", "/v1/plans/{job_id}"} <= {
                p.replace("\u200b", "") for p in paths
            }
            assert not [u for u in outside if not u.startswith("data:")], outside
        finally:
            browser.close()
