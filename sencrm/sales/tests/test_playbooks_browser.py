"""A drag and drop on the kanban board into a stage whose playbook requires fields, in a real
browser: the card goes back, the message names the missing fields, nothing is saved; once the
fields are filled the same drop works and the entry task appears."""

import pytest
from django.urls import reverse

from sencrm.common.testing import make_org
from sencrm.crm.models import Activity, Opportunity, Stage
from sencrm.crm.services.opportunities import default_pipeline, opportunity_create
from sencrm.sales.services.playbooks import playbook_save
from sencrm.tests_browser.conftest import _reload_admin_units, browser, page  # noqa: F401 - fixtures
from sencrm.tests_browser.helpers import drag, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def column(page, stage):  # noqa: F811 - a page, not the fixture
    return page.locator(f'[data-testid=board-column][data-stage="{stage.pk}"]')


def test_a_drop_into_a_stage_with_required_fields_is_refused_naming_them(page):  # noqa: F811
    org = make_org()
    stages = list(Stage.objects.filter(pipeline=default_pipeline()).order_by("position"))
    first, rfp = stages[0], stages[3]
    playbook_save(
        stage=rfp,
        by=org.admin,
        required_fields=["expected_close"],
        checklist=[],
        tasks=[{"subject": "Soạn báo giá", "due_days": 2}],
    )
    deal = opportunity_create(by=org.alice, data={"name": "Quà Tết Hoa Sen", "amount": 2_000_000})
    log_in(page, org.alice)
    page.goto(reverse("crm:opportunity_board"))
    page.wait_for_function("() => window.htmx && window.Sortable")
    card = page.locator(f"#opp-card-{deal.pk}")

    drag(page, card, column(page, rfp).get_by_test_id("board-cards"))
    error = page.get_by_test_id("board-error")
    error.wait_for()
    assert "Ngày dự kiến chốt" in error.inner_text()
    page.wait_for_function(
        f"() => document.querySelector('#board-cards-{first.pk} #opp-card-{deal.pk}') !== null"
    )
    deal.refresh_from_db()
    assert (deal.stage_id, deal.version) == (first.pk, 1)
    assert not Activity.objects.exists()

    Opportunity.objects.filter(pk=deal.pk).update(expected_close="2027-01-20", version=2)
    page.goto(reverse("crm:opportunity_board"))
    page.wait_for_function("() => window.htmx && window.Sortable")
    drag(page, page.locator(f"#opp-card-{deal.pk}"), column(page, rfp).get_by_test_id("board-cards"))
    page.get_by_test_id("board-moved").wait_for()
    assert Opportunity.objects.get(pk=deal.pk).stage_id == rfp.pk
    assert list(Activity.objects.values_list("subject", "owner_id")) == [("Soạn báo giá", org.alice.pk)]
