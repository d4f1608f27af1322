"""Merging duplicates: links move, values are chosen, audit, redirects, rights and rollback."""

from unittest import mock

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from sencrm.core.models import AuditEntry, CustomField
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity
from sencrm.crm.services.merge import record_merge
from sencrm.crm.tests.views_support import login, make, url


@pytest.fixture
def accounts(org):
    """Two accounts of alice for one company, each with its own contacts, deals, activities, tags."""
    CustomField.objects.create(entity="crm.account", key="segment", label="Phân khúc", type="text")
    keep = make("account", org.alice, "Công ty TNHH Hoa Sen", tags=["VIP"], custom={"segment": "A"})
    gone = make(
        "account",
        org.alice,
        "Cty Hoa Sen",
        tax_code="0101248141",
        phone="0243 825 1234",
        tags=["Hà Nội"],
        custom={"segment": "B"},
    )
    child = make("account", org.alice, "Hoa Sen chi nhánh Đà Nẵng", parent=gone)
    contact = make("contact", org.alice, "Nguyễn Văn Đức", account=gone)
    deal = make("opportunity", org.alice, "Máy lọc nước", account=gone)
    call = make("activity", org.alice, "Gọi anh Đức", account=gone)
    lead = make("lead", org.alice, "Lê Thị Thu")
    Lead.objects.filter(pk=lead.pk).update(converted_account=gone)
    return {
        "keep": keep,
        "gone": gone,
        "child": child,
        "contact": contact,
        "deal": deal,
        "call": call,
        "lead": lead,
    }


def test_merge_moves_every_link_and_chosen_values(org, accounts):
    keep, gone = accounts["keep"], accounts["gone"]
    result = record_merge(
        model=Account,
        survivor_id=keep.pk,
        other_ids=[gone.pk],
        by=org.alice,
        choices={"name": keep.pk, "custom.segment": gone.pk},
    )
    keep.refresh_from_db()
    # Chosen values; empty survivor fields take the other's value; tags are united.
    assert (keep.name, keep.tax_code, keep.phone, keep.custom) == (
        "Công ty TNHH Hoa Sen",
        "0101248141",
        "+842438251234",
        {"segment": "B"},
    )
    assert sorted(t.name for t in keep.tags.all()) == ["Hà Nội", "VIP"]
    # Every link now points at the survivor.
    assert Contact.objects.get(pk=accounts["contact"].pk).account_id == keep.pk
    assert Opportunity.objects.get(pk=accounts["deal"].pk).account_id == keep.pk
    assert Activity.objects.get(pk=accounts["call"].pk).account_id == keep.pk
    assert Account.objects.get(pk=accounts["child"].pk).parent_id == keep.pk
    assert Lead.objects.get(pk=accounts["lead"].pk).converted_account_id == keep.pk
    assert result.moved == {
        "contact.account": 1,
        "opportunity.account": 1,
        "activity.account": 1,
        "lead.converted_account": 1,
        "account.parent": 1,
    }
    # The merged-away record is in the Trash and points at the survivor.
    gone = Account._base_manager.get(pk=gone.pk)
    assert gone.deleted_at is not None and gone.merged_into_id == keep.pk


def test_merge_writes_audit_entries_on_survivor_and_merged(org, accounts):
    keep, gone = accounts["keep"], accounts["gone"]
    with translation.override("en"):  # the audit message is written in the acting user's language
        record_merge(model=Account, survivor_id=keep.pk, other_ids=[gone.pk], by=org.alice)
    on_keep = AuditEntry.objects.filter(entity="crm.account", object_id=keep.pk).order_by("id")
    merge_entry = on_keep.last()
    assert merge_entry.changes == {"merged": [[gone.pk], keep.pk]}
    assert merge_entry.message == f"Merged 1 record into this one: #{gone.pk} Cty Hoa Sen"
    assert merge_entry.user == org.alice
    update_entry = on_keep.filter(kind=AuditEntry.Kind.UPDATE).first()
    assert update_entry.changes["tax_code"] == ["", "0101248141"]
    on_gone = AuditEntry.objects.filter(entity="crm.account", object_id=gone.pk).order_by("id").last()
    assert (on_gone.kind, on_gone.changes) == (AuditEntry.Kind.DELETE, {"merged_into": [None, keep.pk]})


def test_merging_contacts_moves_deals_activities_and_conversion_links(org):
    keep = make("contact", org.alice, "Nguyễn Văn Đức", email="duc@hoasen.vn")
    gone = make("contact", org.alice, "Nguyen Van Duc", mobile="0912 345 678")
    deal = make("opportunity", org.alice, "Đơn hàng", contact=gone)
    note = make("activity", org.alice, "Ghi chú", contact=gone, kind="note")
    lead = make("lead", org.alice, "Đức")
    Lead.objects.filter(pk=lead.pk).update(converted_contact=gone)
    record_merge(model=Contact, survivor_id=keep.pk, other_ids=[gone.pk], by=org.alice)
    keep.refresh_from_db()
    assert (keep.full_name, keep.mobile, keep.email) == ("Nguyễn Văn Đức", "+84912345678", "duc@hoasen.vn")
    assert Opportunity.objects.get(pk=deal.pk).contact_id == keep.pk
    assert Activity.objects.get(pk=note.pk).contact_id == keep.pk
    assert Lead.objects.get(pk=lead.pk).converted_contact_id == keep.pk


@pytest.mark.parametrize("persona", ["viewer", "mallory", "bob_on_carol"])
def test_without_rights_or_scope_it_is_404_and_nothing_changes(org, persona):
    keep = make("contact", org.alice, "Trần Thị Lan", tags=["A"])
    gone = make("contact", org.alice, "Tran Thi Lan")
    if persona == "bob_on_carol":
        # bob may change alice's record but cannot see carol's.
        user, gone = org.bob, make("contact", org.carol, "Trần Thị Lan")
    else:
        user = getattr(org, persona)
    before = list(Contact._base_manager.order_by("pk").values())
    audits = AuditEntry.objects.count()
    with pytest.raises(Http404):
        record_merge(model=Contact, survivor_id=keep.pk, other_ids=[gone.pk], by=user)
    assert list(Contact._base_manager.order_by("pk").values()) == before
    assert AuditEntry.objects.count() == audits


def test_a_failure_rolls_back_every_part(org, accounts):
    keep, gone = accounts["keep"], accounts["gone"]
    before_accounts = list(Account._base_manager.order_by("pk").values())
    before_contacts = list(Contact._base_manager.order_by("pk").values())
    audits = AuditEntry.objects.count()
    failing_index = mock.patch(
        "sencrm.crm.services.merge.search_index_remove", side_effect=RuntimeError("index down")
    )
    with failing_index, pytest.raises(RuntimeError):
        record_merge(model=Account, survivor_id=keep.pk, other_ids=[gone.pk], by=org.alice)
    assert list(Account._base_manager.order_by("pk").values()) == before_accounts
    assert list(Contact._base_manager.order_by("pk").values()) == before_contacts
    assert sorted(t.name for t in Account.objects.get(pk=keep.pk).tags.all()) == ["VIP"]
    assert AuditEntry.objects.count() == audits


def test_ui_merge_page_merges_and_old_url_redirects(client, org, accounts):
    keep, gone = accounts["keep"], accounts["gone"]
    login(client, org.alice)
    merge_url = reverse("crm:merge", args=["account"]) + f"?ids={keep.pk}&ids={gone.pk}"
    page = client.get(merge_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="value:tax_code"' in html and 'name="value:custom.segment"' in html
    response = client.post(
        reverse("crm:merge", args=["account"]),
        {
            "ids": [keep.pk, gone.pk],
            "survivor": keep.pk,
            f"version:{keep.pk}": keep.version,
            "value:name": gone.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == keep.get_absolute_url()
    assert Account.objects.get(pk=keep.pk).name == "Cty Hoa Sen"
    old = client.get(url("account", "detail", gone.pk))
    assert (old.status_code, old["Location"]) == (302, keep.get_absolute_url())
    # Someone who cannot see the survivor gets the usual 404, not a redirect.
    login(client, org.mallory)
    assert client.get(url("account", "detail", gone.pk)).status_code == 404


def test_ui_merge_is_404_for_viewer_and_other_branch(client, org):
    a = make("lead", org.alice, "Phạm Thị Hoa")
    b = make("lead", org.alice, "Pham Thi Hoa")
    for persona in ("viewer", "mallory"):
        login(client, getattr(org, persona))
        response = client.post(reverse("crm:merge", args=["lead"]), {"ids": [a.pk, b.pk], "survivor": a.pk})
        assert response.status_code == 404
    assert Lead.objects.filter(pk__in=[a.pk, b.pk]).count() == 2


def test_api_merge_and_redirect(client, org):
    keep = make("lead", org.alice, "Phạm Thị Hoa", tags=["web"])
    gone = make("lead", org.alice, "Pham Thi Hoa", email="hoa@hoasen.vn", tags=["zalo"])
    call = make("activity", org.alice, "Gọi chị Hoa", lead=gone)
    login(client, org.alice)
    response = client.post(
        "/api/v1/leads/merge",
        {"survivor_id": keep.pk, "merged_ids": [gone.pk], "values": {"family_name": gone.pk}},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], sorted(body["tags"])) == (keep.pk, "hoa@hoasen.vn", ["web", "zalo"])
    assert body["family_name"] == "Pham"
    assert Activity.objects.get(pk=call.pk).lead_id == keep.pk
    moved = client.get(f"/api/v1/leads/{gone.pk}")
    assert moved.status_code == 301
    assert moved["Location"] == f"http://testserver/api/v1/leads/{keep.pk}"
    assert moved.json()["merged_into"] == keep.pk
    # Writes to a merged-away id do not follow: 404.
    assert (
        client.patch(
            f"/api/v1/leads/{gone.pk}", {"rating": "hot"}, content_type="application/json"
        ).status_code
        == 404
    )
    # Another branch: 404 for the redirect too, and a merge of records out of scope is 404.
    login(client, org.mallory)
    assert client.get(f"/api/v1/leads/{gone.pk}").status_code == 404
    other = make("lead", org.mallory, "Hoa")
    response = client.post(
        "/api/v1/leads/merge",
        {"survivor_id": other.pk, "merged_ids": [keep.pk]},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Lead.objects.filter(pk__in=[keep.pk, other.pk]).count() == 2
    # A role without the delete right: 403 (the API's answer for role rights).
    login(client, org.viewer)
    response = client.post(
        "/api/v1/leads/merge",
        {"survivor_id": keep.pk, "merged_ids": [other.pk]},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_stale_survivor_version_is_412_and_nothing_changes(client, org):
    keep = make("contact", org.alice, "Lê Văn Tám")
    gone = make("contact", org.alice, "Le Van Tam", email="tam@hoasen.vn")
    login(client, org.alice)
    response = client.post(
        "/api/v1/contacts/merge",
        {"survivor_id": keep.pk, "merged_ids": [gone.pk], "version": keep.version + 5},
        content_type="application/json",
    )
    assert response.status_code == 412
    assert Contact.objects.filter(pk=gone.pk).exists()


def test_merging_again_points_earlier_merges_at_the_new_survivor(org):
    a = make("contact", org.alice, "Võ Văn Ba")
    b = make("contact", org.alice, "Vu Van Ba")
    c = make("contact", org.alice, "Vũ Văn Ba")
    record_merge(model=Contact, survivor_id=b.pk, other_ids=[a.pk], by=org.alice)
    record_merge(model=Contact, survivor_id=c.pk, other_ids=[b.pk], by=org.alice)
    assert Contact._base_manager.get(pk=a.pk).merged_into_id == c.pk
