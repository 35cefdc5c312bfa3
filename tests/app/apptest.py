"""Open one page of the real app under AppTest, failing on any exception it shows."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT_ROOT


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_app_page(page: str, timeout: float = 120, **state) -> AppTest:
    """``app.py`` switched to ``page`` (e.g. "app_pages/train.py"), with ``state`` preset in session state."""
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=timeout)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page)
    return run(at)
