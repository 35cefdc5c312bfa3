"""Browser tests: the real app under ``streamlit run``, driven by Playwright in the system Chromium (the server and
the pen strokes are in ``tests/support/browser.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, AppServer, copy_default_registry


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> Iterator[AppServer]:
    """One app for the read-only browser tests, on a copy of the committed models/."""
    server = AppServer(copy_default_registry(tmp_path_factory.mktemp("app") / "models"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request):
    """A fresh 1280x800 page; a screenshot is kept in test-artifacts/ when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
