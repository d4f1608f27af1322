"""The kanban board's behaviour in a real browser: the lost-reason dialog, refused moves putting the
card back, the keyboard/phone fallback, and horizontal scrolling on a phone."""

import pytest
from django.urls import reverse

from sencrm.common.testing import make_org
from sencrm.crm.models import Opportunity, Stage
from sencrm.crm.services.opportunities import default_pipeline, opportunity_create

from .helpers import drag, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def column(page, stage):
    return page.locator(f'[data-testid=board-column][data-stage="{stage.pk}"]')


@pytest.fixture
def board(page):
    org = make_org()
    pipeline = default_pipeline()
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    deal = opportunity_create(by=org.alice, data={"name": "Máy lọc nước Hoa Sen", "amount": 2_000_000})
    log_in(page, org.alice)
    page.goto(reverse("crm:opportunity_board"))
    page.wait_for_function("() => window.htmx && window.Sortable")
    return org, stages, deal


def test_a_drop_on_lost_asks_why_and_cancel_puts_the_card_back(page, board):
    org, stages, deal = board
    first, lost = stages[0], stages[-1]
    card = page.locator(f"#opp-card-{deal.pk}")

    # Cancelled: the card goes back, nothing is saved.
    drag(page, card, column(page, lost).get_by_test_id("board-cards"))
    dialog = page.get_by_test_id("board-lost-dialog")
    dialog.wait_for(state="visible")
    page.get_by_test_id("board-lost-cancel").click()
    dialog.wait_for(state="hidden")
    assert column(page, first).locator(f"#opp-card-{deal.pk}").count() == 1
    assert column(page, lost).locator(f"#opp-card-{deal.pk}").count() == 0
    assert Opportunity.objects.get(pk=deal.pk).status == "open"

    # An empty reason is not accepted; a real one is.
    drag(page, card, column(page, lost).get_by_test_id("board-cards"))
    dialog.wait_for(state="visible")
    page.get_by_test_id("board-lost-ok").click()
    assert dialog.is_visible()
    page.get_by_test_id("board-lost-reason").fill("Khách chọn đối thủ rẻ hơn")
    page.get_by_test_id("board-lost-ok").click()
    page.get_by_test_id("board-moved").wait_for()
    assert column(page, lost).locator(f"#opp-card-{deal.pk}").count() == 1
    assert column(page, lost).get_by_test_id("board-count").inner_text() == "1"
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", "Khách chọn đối thủ rẻ hơn")


def test_a_stale_card_is_put_back_with_a_message(page, board):
    org, stages, deal = board
    first, won = stages[0], stages[5]
    # Someone else edits the deal after the board was loaded.
    Opportunity.objects.filter(pk=deal.pk).update(version=5)

    drag(page, page.locator(f"#opp-card-{deal.pk}"), column(page, won).get_by_test_id("board-cards"))
    page.get_by_test_id("board-error").wait_for()

    page.wait_for_function(
        f"() => document.querySelector('#board-cards-{first.pk} #opp-card-{deal.pk}') !== null"
    )
    assert column(page, won).locator(f"#opp-card-{deal.pk}").count() == 0
    assert column(page, won).get_by_test_id("board-count").inner_text() == "0"
    deal.refresh_from_db()
    assert (deal.stage_id, deal.version) == (first.pk, 5)


def test_the_keyboard_fallback_moves_a_card(page, board):
    org, stages, deal = board
    target = stages[2]
    card = page.locator(f"#opp-card-{deal.pk}")

    card.get_by_test_id("board-card-move-toggle").click()
    card.get_by_test_id("board-card-stage").select_option(str(target.pk))
    card.get_by_test_id("board-card-move").press("Enter")
    page.get_by_test_id("board-moved").wait_for()

    page.wait_for_function(
        f"() => document.querySelector('#board-cards-{target.pk} #opp-card-{deal.pk}') !== null"
    )
    assert column(page, target).get_by_test_id("board-total").inner_text() == "2.000.000\xa0₫"
    assert Opportunity.objects.get(pk=deal.pk).stage_id == target.pk


def test_on_a_phone_the_columns_scroll_sideways(page, board):
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()

    widths = page.get_by_test_id("board").evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert widths[0] > widths[1] * 3  # seven columns side by side, scrolled horizontally
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself does not
