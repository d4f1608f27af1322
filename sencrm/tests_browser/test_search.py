"""Global search in a real browser: typing in the top bar without accents, moving through the
dropdown with the keyboard, and the full results page with its tabs per record kind."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from sencrm.common.testing import make_org
from sencrm.core.search import search_reindex
from sencrm.crm.tests.views_support import make

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ACTIVE = re.compile(r"\bactive\b")


@pytest.fixture
def records():
    org = make_org()
    org.alice.language = "en"  # messages are asserted in English
    org.alice.save(update_fields=["language"])
    found = {
        "anh": make("contact", org.alice, "Nguyễn Văn Ánh", mobile="0912 345 678"),
        "lead": make("lead", org.alice, "Nguyễn Văn Ánh Dương", company="Hoa Sen"),
        "account": make("account", org.alice, "Công ty Nguyễn Văn Ánh"),
        "other": make("contact", org.mallory, "Nguyễn Văn Ánh Mallory"),
    }
    # Transactional tests empty the tables between tests, but not the search index: start afresh.
    search_reindex()
    return org, found


def test_typing_without_accents_and_choosing_with_the_keyboard(page, records):
    org, found = records
    log_in(page, org.alice)
    box = page.get_by_test_id("search-input")
    box.press_sequentially("nguyen van anh", delay=20)
    dropdown = page.get_by_test_id("search-dropdown")
    items = dropdown.locator(".sen-search-item")
    # Exact name first; Mallory's contact is not hers to see; the last item opens the results page.
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("Nguyễn Văn Ánh")
    expect(items.nth(0)).to_contain_text("0912 345 678")
    expect(dropdown).not_to_contain_text("Mallory")
    expect(box).to_have_attribute("aria-expanded", "true")

    box.press("ArrowDown")
    expect(items.nth(0)).to_have_class(ACTIVE)
    expect(box).to_have_attribute("aria-activedescendant", f"sen-search-contact-{found['anh'].pk}")
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(items.nth(2)).to_have_class(ACTIVE)
    expect(items.nth(0)).not_to_have_class(ACTIVE)
    box.press("ArrowUp")
    expect(items.nth(1)).to_have_class(ACTIVE)
    box.press("ArrowUp")
    box.press("ArrowUp")  # wraps round to "All results"
    expect(items.nth(3)).to_have_class(ACTIVE)

    box.press("Escape")
    expect(dropdown).to_have_count(0)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("nguyen van anh")
    box.press("Escape")  # a second Esc empties the box
    expect(box).to_have_value("")

    box.press_sequentially("0912 345", delay=20)  # a phone number as people say it
    expect(items.first).to_contain_text("Nguyễn Văn Ánh")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(f"**{found['anh'].get_absolute_url()}")
    expect(page.locator("h1, .page-title").first).to_contain_text("Nguyễn Văn Ánh")


def test_enter_without_a_highlight_opens_the_results_page_with_tabs(page, records):
    org, found = records
    log_in(page, org.alice)
    box = page.get_by_test_id("search-input")
    box.press_sequentially("NGUYEN van", delay=20)
    page.get_by_test_id("search-dropdown").wait_for()
    box.press("Enter")
    page.wait_for_url("**/search/?q=NGUYEN+van")
    results = page.get_by_test_id("search-results")
    expect(results.locator(".list-group-item")).to_have_count(3)
    expect(page.get_by_test_id("search-tab-contact")).to_contain_text("1")
    expect(page.get_by_test_id("search-tab-lead")).to_contain_text("1")
    expect(page.get_by_test_id("search-tab-opportunity")).to_contain_text("0")

    page.get_by_test_id("search-tab-lead").click()
    page.wait_for_url("**type=lead")
    expect(results.locator(".list-group-item")).to_have_count(1)
    expect(results).to_contain_text("Nguyễn Văn Ánh Dương")
    expect(page.get_by_test_id("search-tab-lead")).to_have_class(ACTIVE)
    results.locator(".list-group-item").first.click()
    page.wait_for_url(f"**{found['lead'].get_absolute_url()}")

    page.goto(reverse("search") + "?q=khong+co+ai")
    expect(page.get_by_test_id("search-results")).to_contain_text("Nothing found")
