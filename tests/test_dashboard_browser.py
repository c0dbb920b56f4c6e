"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

The server is started as users start it (`civicloop dashboard`) on a free loopback port.
Screenshots are kept under test-artifacts/ (git-ignored). Without Chromium these tests are
skipped locally; on CI (where .ci/run installs it) a missing browser is an error.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from experiments.plan import plan_runs
from experiments.spec import parse_spec

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is required on CI: apt-get install chromium")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "dashboard-server.log").open("w")  # noqa: SIM115 (closed below)
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", "dashboard", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    try:
        while time.monotonic() - start < 60:
            try:
                if urllib.request.urlopen(url, timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("the dashboard did not answer within 60 s")
        yield {"url": url, "started": start}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _open(chromium, server, lang_to_english=False):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    outside = []
    local = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto(server["url"])
    page.get_by_role("button", name="单步").wait_for(timeout=60_000)
    if lang_to_english:
        page.locator(".lang-switch").click()
        page.get_by_role("button", name="Step").wait_for()
    return context, page, outside


def _week(page) -> int:
    """The week shown in the first headline card."""
    return int(page.locator(".headline-value").first.inner_text())


def _charts_src(page) -> str:
    return page.locator("img").nth(1).get_attribute("src") or ""


def test_page_renders_offline_with_network_and_charts_and_runs(chromium, server):
    context, page, outside = _open(chromium, server)
    usable = time.monotonic() - server["started"]
    (ARTIFACTS / "dashboard-timing.json").write_text(json.dumps({"usable_s": usable}))
    assert page.locator("img").count() >= 1  # the network is drawn from week 0
    page.get_by_role("button", name="单步").click()
    page.wait_for_function("() => document.querySelectorAll('img').length >= 2")
    before = _charts_src(page)
    page.get_by_role("button", name="单步").click()
    page.wait_for_function(
        "src => document.querySelectorAll('img')[1].getAttribute('src') !== src", arg=before
    )
    assert _week(page) == 2
    page.get_by_role("button", name="运行").click()
    page.wait_for_function(
        "() => { const e = document.querySelector('.headline-value');"
        " return e !== null && parseInt(e.innerText) >= 6; }",
        timeout=30_000,
    )  # fmt: skip
    page.get_by_role("button", name="暂停").click()
    page.screenshot(path=str(ARTIFACTS / "dashboard-running.png"))
    assert outside == [], f"requests left the machine: {outside[:3]}"
    context.close()


def test_language_switch_changes_labels(chromium, server):
    context, page, _ = _open(chromium, server)
    assert page.get_by_text("干预杠杆").count() >= 1
    page.locator(".lang-switch").click()
    page.get_by_role("button", name="Step").wait_for()
    assert page.get_by_text("Levers (interventions)").count() >= 1
    assert page.get_by_role("button", name="单步").count() == 0
    page.screenshot(path=str(ARTIFACTS / "dashboard-english.png"))
    context.close()


def _choose(page, label, option):
    page.get_by_label(label).first.click(force=True)
    page.get_by_role("option", name=option).click()


def test_preset_changes_parameters_and_comparison_appears(chromium, server):
    context, page, _ = _open(chromium, server, lang_to_english=True)
    slider = page.get_by_role("slider", name="Feedback loop")
    slider.focus()
    before = slider.get_attribute("aria-valuenow")
    page.keyboard.press("ArrowRight")  # sliders are operable by keyboard
    page.wait_for_function(
        "v => document.activeElement.getAttribute('aria-valuenow') !== v", arg=before
    )
    whistle = page.get_by_role("switch", name="Whistle & report")
    assert whistle.get_attribute("aria-checked") == "false"
    _choose(page, "Scenario", "Whistle and report")
    page.wait_for_function(
        "() => document.querySelector('[role=switch][aria-checked=true]') !== null"
    )
    assert (
        page.get_by_role("switch", name="Whistle & report").get_attribute("aria-checked") == "true"
    )
    page.get_by_role("tab", name="Compare scenarios").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator(".comparison-result").wait_for(timeout=90_000)
    assert (
        "Settings on screen (Whistle and report) − Status quo"
        in page.locator(".comparison-result").inner_text()
    )
    page.screenshot(path=str(ARTIFACTS / "dashboard-comparison.png"))
    page.get_by_role("tab", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Experiment spec (TOML)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    runs = plan_runs(parse_spec(text, source="downloaded.toml"))
    assert {r.scenario for r in runs} == {"whistle_and_report", "baseline"}
    chosen = next(r for r in runs if r.scenario == "whistle_and_report")
    assert chosen.interventions[0]["set"]["whistle"] is True
    context.close()


def test_two_sessions_do_not_affect_each_other(chromium, server):
    ctx_a, a, _ = _open(chromium, server, lang_to_english=True)
    ctx_b, b, _ = _open(chromium, server)
    _choose(a, "Scenario", "Grid + branch")
    a.get_by_role("button", name="Step").click()
    a.get_by_role("button", name="Step").click()
    a.wait_for_function("() => document.querySelector('.headline-value').innerText.trim() === '2'")
    b.reload()
    b.get_by_role("button", name="单步").wait_for(timeout=60_000)
    assert _week(b) == 0
    assert b.get_by_role("switch", name="网格+支部").get_attribute("aria-checked") == "false"
    assert b.get_by_role("button", name="单步").count() == 1  # b kept its own language
    ctx_a.close()
    ctx_b.close()
