"""The timeline fragment of accounts and contacts: what it holds, how changes read, who may see it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from sencrm.core.services.records import record_create, record_update
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage
from sencrm.crm.services.leads import lead_convert
from sencrm.crm.services.opportunities import default_pipeline, opportunity_create, opportunity_move
from sencrm.crm.services.timeline import timeline_for_account

BACKEND = "django.contrib.auth.backends.ModelBackend"


def vi(text) -> str:
    """``text`` (a msgid or a lazy label) as the Vietnamese UI shows it, translated or not yet."""
    with translation.override("vi"):
        return capfirst(str(gettext(text) if isinstance(text, str) else text))


def label(model, field: str) -> str:
    return vi(model._meta.get_field(field).verbose_name)


HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def stage(position):
    return Stage.objects.get(pipeline=default_pipeline(), position=position)


def at(record, moment):
    """Backdate a record's timeline moment (so the order is known)."""
    type(record).objects.filter(pk=record.pk).update(created_at=moment)


def account_url(account, **params):
    return reverse("crm:account_timeline", args=[account.pk]) + (
        "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    )


@pytest.fixture
def hoa_sen(org):
    """An account of alice's with a contact, an opportunity, activities and changes."""
    account = record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen"})
    contact = record_create(
        Contact, by=org.alice, data={"family_name": "Trần", "given_name": "Hùng", "account": account}
    )
    own = record_create(
        Activity,
        by=org.alice,
        data={"kind": "call", "subject": "Gọi giới thiệu", "account": account, "start_at": _t(1)},
    )
    via_contact = record_create(
        Activity, by=org.alice, data={"kind": "meeting", "subject": "Gặp anh Hùng", "contact": contact}
    )
    # Linked to the contact only (made before the contact joined the account, say).
    Activity.objects.filter(pk=via_contact.pk).update(account=None, occurred_at=_t(2))
    opportunity = opportunity_create(
        by=org.alice,
        data={"name": "Máy lọc nước", "amount": 1_250_000, "account": account, "contact": contact},
    )
    record_update(account, by=org.alice, data={"type": Account.Type.PARTNER})
    opportunity_move(opportunity=opportunity, stage=stage(5), by=org.alice)
    return account, contact, own, via_contact, opportunity


def _t(days_ago: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days_ago)


def test_the_account_timeline_holds_its_contacts_activities_opportunities_and_changes(client, org, hoa_sen):
    account, contact, own, via_contact, opportunity = hoa_sen

    response = login(client, org.alice).get(account_url(account), **HTMX)

    assert response.status_code == 200
    rows = response.context["rows"]
    kinds = [(r["kind"], getattr(r["obj"], "pk", None)) for r in rows]
    assert ("activity", own.pk) in kinds
    assert ("activity", via_contact.pk) in kinds
    assert ("opportunity", opportunity.pk) in kinds
    changes = [r["obj"] for r in rows if r["kind"] == "change"]
    assert {(e.entity, e.kind) for e in changes} == {
        ("crm.account", "create"),
        ("crm.account", "update"),
        ("crm.contact", "create"),
        ("crm.opportunity", "update"),  # the move to Won; its creation is the opportunity item
    }
    # Newest first.
    moments = [r["at"] for r in rows]
    assert moments == sorted(moments, reverse=True)
    body = response.content.decode()
    assert "Gặp anh Hùng" in body
    assert "Máy lọc nước" in body
    assert "1.250.000\xa0₫" in body


def test_changes_read_field_old_arrow_new_with_labels(client, org, hoa_sen):
    account, *_ = hoa_sen
    login(client, org.alice)

    response = client.get(account_url(account, kind="change"), **HTMX)

    body = response.content.decode()
    lines = [(ln.label, ln.old, ln.new) for r in response.context["rows"] for ln in r.get("lines", [])]
    customer, partner = vi(Account.Type.CUSTOMER.label), vi(Account.Type.PARTNER.label)
    assert (label(Account, "type"), customer, partner) in lines
    assert (label(Opportunity, "stage"), "Tìm kiếm khách hàng", "Thành công") in lines
    assert (
        label(Opportunity, "status"),
        vi(Opportunity.Status.OPEN.label),
        vi(Opportunity.Status.WON.label),
    ) in lines
    assert (label(Opportunity, "probability"), "10", "100") in lines
    assert f"{label(Account, 'type')}:</span> {customer} → {partner}" in body
    assert f"{label(Opportunity, 'stage')}:</span> Tìm kiếm khách hàng → Thành công" in body


def test_changes_show_money_dates_and_yes_no(client, org):
    account = record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen"})
    opportunity = opportunity_create(by=org.alice, data={"name": "Máy lọc nước", "account": account})
    record_update(
        opportunity,
        by=org.alice,
        data={"amount": 1_250_000, "expected_close": datetime.date(2026, 3, 5)},
    )
    contact = record_create(Contact, by=org.alice, data={"given_name": "Hùng", "account": account})
    record_update(contact, by=org.alice, data={"do_not_contact": True})

    response = login(client, org.alice).get(account_url(account, kind="change"), **HTMX)

    lines = [(ln.label, ln.old, ln.new) for r in response.context["rows"] for ln in r.get("lines", [])]
    assert (label(Opportunity, "amount"), "0\xa0₫", "1.250.000\xa0₫") in lines
    assert (label(Opportunity, "expected_close"), "—", "05/03/2026") in lines
    assert (label(Contact, "do_not_contact"), vi("No"), vi("Yes")) in lines


def test_the_lead_conversion_is_on_the_account_and_contact_timelines(client, org):
    lead = record_create(
        Lead,
        by=org.alice,
        data={
            "company": "Công ty Sen Vàng",
            "family_name": "Lê",
            "given_name": "Minh",
            "mobile": "0912345678",
        },
    )
    result = lead_convert(lead=lead, by=org.alice)
    login(client, org.alice)

    for url in (
        reverse("crm:account_timeline", args=[result.account.pk]),
        reverse("crm:contact_timeline", args=[result.contact.pk]),
    ):
        response = client.get(url, **HTMX)
        converted = [
            r for r in response.context["rows"] if r["kind"] == "change" and r["obj"].kind == "convert"
        ]
        assert [(r["obj"].entity, r["obj"].object_id, r["item"].title) for r in converted] == [
            ("crm.lead", lead.pk, "Lê Minh")
        ]
        assert 'data-change="convert"' in response.content.decode()
        opportunities = [r["obj"] for r in response.context["rows"] if r["kind"] == "opportunity"]
        assert opportunities == [result.opportunity]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("activity", {"activity"}), ("opportunity", {"opportunity"}), ("change", {"change"})],
)
def test_the_kind_filter(client, org, hoa_sen, kind, expected):
    account, *_ = hoa_sen

    response = login(client, org.alice).get(account_url(account, kind=kind), **HTMX)

    assert {r["kind"] for r in response.context["rows"]} == expected
    assert f'data-kind="{kind}"' in response.content.decode()
    assert 'aria-pressed="true" data-testid="timeline-filter-' + kind in response.content.decode()


def test_an_unknown_kind_shows_everything(client, org, hoa_sen):
    account, *_ = hoa_sen

    response = login(client, org.alice).get(account_url(account, kind="nope"), **HTMX)

    assert {r["kind"] for r in response.context["rows"]} == {"activity", "opportunity", "change"}


def test_the_contact_timeline_holds_only_the_contacts_items(client, org, hoa_sen):
    account, contact, own, via_contact, opportunity = hoa_sen

    response = login(client, org.alice).get(reverse("crm:contact_timeline", args=[contact.pk]), **HTMX)

    rows = response.context["rows"]
    assert [r["obj"] for r in rows if r["kind"] == "activity"] == [via_contact]
    assert [r["obj"] for r in rows if r["kind"] == "opportunity"] == [opportunity]
    assert {(r["obj"].entity, r["obj"].kind) for r in rows if r["kind"] == "change"} == {
        ("crm.contact", "create"),
        ("crm.opportunity", "update"),
    }


def test_dates_read_dd_mm_yyyy_hh_mm_in_the_users_zone(client, org):
    account = record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen"})
    record_create(
        Activity,
        by=org.alice,
        data={
            "subject": "Họp",
            "account": account,
            "start_at": datetime.datetime(2026, 3, 5, 2, 30, tzinfo=datetime.UTC),
        },
    )

    response = login(client, org.alice).get(account_url(account, kind="activity"), **HTMX)

    assert "05/03/2026 09:30" in response.content.decode()


def test_what_a_user_may_not_see_stays_off_the_timeline(client, org, hoa_sen):
    account, contact, *_ = hoa_sen
    # Bob (same team) logs a call on alice's account: alice (own scope) does not see it, bob does.
    bobs = record_create(
        Activity, by=org.bob, data={"subject": "Cuộc gọi của Bình", "account": account, "owner": org.bob}
    )

    alice_rows = login(client, org.alice).get(account_url(account), **HTMX).context["rows"]
    bob_rows = login(client, org.bob).get(account_url(account), **HTMX).context["rows"]

    assert bobs not in [r["obj"] for r in alice_rows]
    assert bobs in [r["obj"] for r in bob_rows]


@pytest.mark.parametrize("persona", ["mallory", "dave", "noright"])
def test_a_record_out_of_scope_answers_404(client, org, hoa_sen, persona):
    account, contact, *_ = hoa_sen
    login(client, getattr(org, persona))

    assert client.get(account_url(account), **HTMX).status_code == 404
    assert client.get(reverse("crm:contact_timeline", args=[contact.pk]), **HTMX).status_code == 404
    assert client.get(reverse("crm:account_timeline", args=[999999]), **HTMX).status_code == 404


def test_a_branch_manager_and_a_viewer_see_it(client, org, hoa_sen):
    account, *_ = hoa_sen
    for persona in (org.carol, org.viewer, org.bob):
        assert login(client, persona).get(account_url(account), **HTMX).status_code == 200


def test_a_deleted_account_answers_404(client, org, hoa_sen):
    from sencrm.core.services.records import record_delete

    account, *_ = hoa_sen
    record_delete(account, by=org.alice)

    assert login(client, org.alice).get(account_url(account), **HTMX).status_code == 404


def test_the_service_limits_and_orders(org, hoa_sen):
    account, *_ = hoa_sen
    for i in range(5):
        record_create(Activity, by=org.alice, data={"subject": f"Việc {i}", "account": account})

    items = timeline_for_account(account=account, user=org.alice, limit=3)

    assert len(items) == 3
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)


# Session, user, role; the account; contacts; activities; opportunities; opportunity names; leads;
# audit entries; unread count.
TIMELINE_QUERIES = 10  # an htmx fragment: no page frame, so no unread-notification count


@pytest.mark.parametrize("n", [1, 10])
def test_the_timeline_query_count_does_not_grow_with_items(client, org, django_assert_num_queries, n):
    account = record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen"})
    for i in range(n):
        contact = record_create(Contact, by=org.alice, data={"given_name": f"Khách {i}", "account": account})
        record_create(Activity, by=org.alice, data={"subject": f"Gọi {i}", "contact": contact})
        opportunity = opportunity_create(by=org.alice, data={"name": f"Cơ hội {i}", "account": account})
        opportunity_move(opportunity=opportunity, stage=stage(1), by=org.alice)
    login(client, org.alice)

    with django_assert_num_queries(TIMELINE_QUERIES):
        response = client.get(account_url(account), **HTMX)

    # The account's creation; per contact: its creation, its call, its deal and the deal's move.
    assert len(response.context["rows"]) == 1 + 4 * n
