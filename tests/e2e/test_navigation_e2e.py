"""A bookmarked page link works on a freshly started server: the app's own navigation, not Streamlit's file list."""

import pytest

from tests.support.browser import AppServer, copy_default_registry, wait_for_app


@pytest.mark.parametrize("path", ["upload", "analysis"])
def test_first_visit_straight_to_a_page_gets_the_app_navigation(tmp_path, page, path):
    server = AppServer(copy_default_registry(tmp_path / "models"))  # fresh: nobody has opened / yet
    try:
        page.goto(f"{server.url}/{path}")
        wait_for_app(page)
        nav = page.get_by_test_id("stSidebarNav")
        nav.get_by_role("link", name="My samples").wait_for(timeout=120_000)
        links = [t.strip().splitlines()[-1] for t in nav.get_by_role("link").all_inner_texts()]  # after the icon
        assert links == ["Draw", "Upload", "Train", "Analysis", "My samples"]
        page.get_by_test_id("stSidebar").get_by_text("Model", exact=True).wait_for(timeout=120_000)  # the model picker
    finally:
        server.stop()
