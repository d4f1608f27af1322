"""The contact list in a real browser: an AND/OR advanced filter with a relative date, applied,
saved as a view and reloaded; then the bulk bar on checked rows (assign an owner, add a tag) and on
"select all N matching" of the filtered result."""

import datetime
import json
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from sencrm.common.testing import make_org
from sencrm.core.models import SavedView
from sencrm.core.services.records import record_create
from sencrm.crm.models import Contact

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def contact(owner, name: str, *, days_ago: int = 0, **data) -> Contact:
    obj = record_create(Contact, by=owner, data={"full_name": name, "owner": owner, **data})
    if days_ago:
        Contact.objects.filter(pk=obj.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    return obj


def shown(page) -> set[int]:
    rows = page.get_by_test_id("list-table").locator("tbody tr")
    return {int(pk) for pk in rows.evaluate_all("rows => rows.map(r => r.dataset.pk)")}


def wait_for_rows(page, expected: set[int]) -> None:
    page.wait_for_function(
        """(expected) => {
            const rows = [...document.querySelectorAll('[data-testid=list-table] tbody tr')];
            const pks = rows.map(r => Number(r.dataset.pk)).sort((a, b) => a - b);
            return JSON.stringify(pks) === JSON.stringify(expected);
        }""",
        arg=sorted(expected),
    )


def set_rule(rule, field: str, operator: str, value: str | None = None, select: bool = False) -> None:
    rule.get_by_test_id("rule-field").select_option(field)
    rule.get_by_test_id("rule-operator").select_option(operator)
    if value is not None:
        target = rule.get_by_test_id("rule-value")
        if select:
            target.select_option(value)
        else:
            target.fill(value)


@pytest.fixture
def people(page, settings):
    settings.SENCRM_PAGE_SIZE = 2  # the filtered result spans pages: "select all N matching" shows
    org = make_org()
    c = {
        "director": contact(org.erin, "Nguyễn Văn Giám", job_title="Giám đốc"),
        "zalo": contact(org.erin, "Trần Thị Zalo", job_title="Kế toán", preferred_channel="zalo"),
        "director2": contact(org.erin, "Lê Minh Đốc", job_title="Phó giám đốc kinh doanh"),
        "old": contact(org.erin, "Phạm Cũ", job_title="Giám đốc", days_ago=60),  # outside "last 30 days"
        "other": contact(org.erin, "Võ Khác", job_title="Thủ kho", preferred_channel="email"),
    }
    log_in(page, org.erin)
    return org, c


def test_filter_builder_view_and_bulk_bar(page, people):
    org, c = people
    list_url = reverse("crm:contact_list")
    page.goto(list_url)
    page.wait_for_function("() => window.htmx && window.Alpine")
    matching = {c["director"].pk, c["zalo"].pk, c["director2"].pk}

    # Build: created in the last 30 days AND (job title contains "giam doc" OR channel is Zalo).
    page.get_by_test_id("advanced-toggle").click()
    builder = page.get_by_test_id("filter-builder")
    builder.get_by_test_id("add-rule").click()
    builder.locator("[data-testid=rule-field] option[value=created_at]").wait_for(state="attached")
    set_rule(builder.get_by_test_id("filter-rule").nth(0), "created_at", "last_n_days", "30")
    builder.get_by_test_id("add-group").click()
    group = builder.get_by_test_id("filter-group")
    assert group.locator("select").first.input_value() == "or"  # a group inside "all of" is "any of"
    set_rule(group.get_by_test_id("filter-rule").nth(0), "job_title", "contains", "giam doc")
    group.get_by_test_id("add-group-rule").click()
    set_rule(group.get_by_test_id("filter-rule").nth(1), "preferred_channel", "equals", "zalo", select=True)
    builder.get_by_test_id("apply-advanced").click()
    page.wait_for_function("() => location.search.includes('filter=')")
    page.get_by_test_id("range").wait_for()
    tree = json.loads(parse_qs(urlparse(page.url).query)["filter"][0])
    assert tree == {
        "op": "and",
        "rules": [
            {"field": "created_at", "operator": "last_n_days", "value": "30"},
            {
                "op": "or",
                "rules": [
                    {"field": "job_title", "operator": "contains", "value": "giam doc"},
                    {"field": "preferred_channel", "operator": "equals", "value": "zalo"},
                ],
            },
        ],
    }
    assert "3" in page.get_by_test_id("range").inner_text()  # 3 records, 2 per page
    assert shown(page) < matching and len(shown(page)) == 2

    # Save it as a view, then come back to it from a clean list.
    page.get_by_test_id("views").click()
    save = page.get_by_test_id("save-view")
    save.locator("input[name=name]").fill("Giám đốc mới")
    save.get_by_role("button").click()
    page.wait_for_function("() => location.search.includes('view=')")
    saved = SavedView.objects.get(name="Giám đốc mới")
    assert saved.owner == org.erin
    page.goto(list_url)
    page.wait_for_function("() => window.htmx && window.Alpine")
    assert len(shown(page)) == 2 and "5" in page.get_by_test_id("range").inner_text()
    page.get_by_test_id("views").click()
    page.get_by_test_id("saved-view").get_by_role("link", name="Giám đốc mới").click()
    page.wait_for_function("() => location.search.includes('view=')")
    assert "3" in page.get_by_test_id("range").inner_text()
    rules = page.get_by_test_id("filter-builder").get_by_test_id("filter-rule")
    rules.nth(2).get_by_test_id("rule-value").wait_for()
    assert rules.count() == 3
    assert rules.nth(0).get_by_test_id("rule-operator").input_value() == "last_n_days"
    assert rules.nth(1).get_by_test_id("rule-value").input_value() == "giam doc"
    assert rules.nth(2).get_by_test_id("rule-value").input_value() == "zalo"

    # Checked rows: assign an owner, then add a tag.
    first_page = shown(page)
    bar = page.get_by_test_id("bulk-form")

    def apply_to_checked(action: str, value: str) -> None:
        for pk in first_page:
            page.locator(f'tr[data-pk="{pk}"] .sen-bulk-check').check()
        bar.wait_for(state="visible")
        assert "2" in bar.inner_text()
        run(action, value)

    def run(action: str, value: str) -> None:
        bar.locator("select[name=action]").select_option(action)
        field = bar.locator("#bulk-value [name=value]")
        field.wait_for()
        if action == "assign_owner":
            field.select_option(value)
        else:
            field.fill(value)
        with page.expect_navigation():
            bar.locator("button[type=submit]").click()
        page.wait_for_function("() => window.htmx && window.Alpine")
        assert "view=" in page.url  # back on the same filtered list

    apply_to_checked("assign_owner", str(org.bob.pk))
    owners = dict(Contact.objects.filter(pk__in=matching).values_list("pk", "owner_id"))
    assert {pk for pk, owner in owners.items() if owner == org.bob.pk} == first_page
    assert Contact.objects.get(pk=c["old"].pk).owner == org.erin
    apply_to_checked("add_tags", "Hội chợ 2026")
    assert set(Contact.objects.filter(tags__name="Hội chợ 2026").values_list("pk", flat=True)) == first_page

    # "Select all 3 matching": the whole filtered result, not just this page, and nothing else.
    page.get_by_test_id("bulk-all").get_by_role("link").click()
    bar.wait_for(state="visible")
    assert "3" in bar.inner_text()
    run("add_tags", "Giám đốc")
    assert set(Contact.objects.filter(tags__name="Giám đốc").values_list("pk", flat=True)) == matching


def test_bulk_set_a_field_after_choosing_another_field(page, people):
    # The field chooser reloads the value input from the bulk URL (it once reloaded the list page
    # into the bar, so only the first field could be set).
    page.goto(reverse("crm:contact_list"))
    page.wait_for_function("() => window.htmx && window.Alpine")
    pk = min(shown(page))
    page.locator(f'tr[data-pk="{pk}"] .sen-bulk-check').check()
    bar = page.get_by_test_id("bulk-form")
    bar.locator("select[name=action]").select_option("set_field")
    bar.locator("#bulk-value select[name=field]").wait_for()
    bar.locator("#bulk-value select[name=field]").select_option("do_not_contact")
    value = bar.locator("#bulk-value select[name=value]")
    value.locator("option[value=true]").wait_for(state="attached")
    assert page.get_by_test_id("list-table").count() == 1  # no list page inside the bar
    value.select_option("true")
    with page.expect_navigation():
        bar.locator("button[type=submit]").click()
    assert list(Contact.objects.filter(do_not_contact=True).values_list("pk", flat=True)) == [pk]
