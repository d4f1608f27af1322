"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Every test here is marked ``browser``. They are skipped, with the reason said, only on a machine
without the ``chromium`` package (``make chromium`` installs it; no browser is downloaded).
"""

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests_browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("Debian's chromium is not installed: run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread; Django refuses ORM calls
    # from a thread with a running loop unless told that this is deliberate.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module", autouse=True)
def _reload_admin_units(django_db_blocker):
    """Put back the provinces and wards a data migration loaded: the live server's transactional
    tests flush every table, and a reused test database must still have them."""
    yield
    from sencrm.core.data.admin_units import load_admin_units
    from sencrm.core.models import Province, Ward

    with django_db_blocker.unblock():
        load_admin_units(Province, Ward)


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh browser tab (phone-friendly laptop size, Hà Nội time) that fails the test on JS errors."""
    # The live server serves the source static folders (no collectstatic), JS included.
    settings.WHITENOISE_USE_FINDERS = True
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
