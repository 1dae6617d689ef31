"""A real server on a loopback port and Debian's Chromium driven by Playwright (never a downloaded
browser). The server runs in a thread of the test process and is shut down after each test."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser_app(make_app: object) -> Flask:
    """The app as people get it: CSRF protection on."""
    return make_app(WTF_CSRF_ENABLED=True)  # type: ignore[operator]


@pytest.fixture
def live_server(browser_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, browser_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make browser-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# A form answered with its errors is a normal page, though Chromium logs its status as an error.
EXPECTED_STATUSES = re.compile(
    r"Failed to load resource: the server responded with a status of (401|409|422)"
)


def _collect_console_error(errors: list[str], who: str, message: object) -> None:
    if message.type == "error" and not EXPECTED_STATUSES.search(message.text):  # type: ignore[attr-defined]
        errors.append(f"{who}: {message.text}")  # type: ignore[attr-defined]


@pytest.fixture
def new_page(browser: object, live_server: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """Open a fresh browser context (one person, own cookies) and return its page."""
    contexts: list[tuple[str, object]] = []
    errors: list[str] = []

    def open_page(who: str) -> object:
        context = browser.new_context(  # type: ignore[attr-defined]
            base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm prompts: the person says yes
        page.on("pageerror", lambda error: errors.append(f"{who}: {error}"))
        page.on("console", lambda message: _collect_console_error(errors, who, message))
        contexts.append((who, context))
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for who, context in contexts:
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for number, page in enumerate(context.pages):  # type: ignore[attr-defined]
                page.screenshot(
                    path=str(ARTIFACTS / f"{request.node.name}-{who}-{number}.png"), full_page=True
                )
        context.close()  # type: ignore[attr-defined]
    # A CSP violation or a script error shows up here: the pages must run clean.
    assert errors == [], errors


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
