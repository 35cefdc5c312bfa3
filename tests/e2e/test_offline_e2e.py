"""The app works offline: opening every page asks nothing of any host but the app's own."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.support.browser import wait_for_app

PAGES = [
    ("Upload", "Read handwriting from images"),
    ("Train", "Train"),
    ("Analysis", "Analysis"),
    ("My samples", "My samples"),
    ("Draw", "Draw a digit"),
]


def test_every_page_loads_without_a_request_to_another_host(app_server, page):
    own = urlparse(app_server.url).netloc
    elsewhere: list[str] = []

    def seen(request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != own:
            elsewhere.append(request.url)

    page.on("request", seen)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    page.goto(app_server.url + "/")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Draw a digit")).to_be_visible(timeout=120_000)
    for link, heading in PAGES:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=120_000)
        wait_for_app(page)
        page.wait_for_timeout(1000)
    assert not elsewhere, f"requests to other hosts: {elsewhere}"
    assert not failed, f"failed requests: {failed}"
