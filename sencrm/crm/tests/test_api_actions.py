"""Actions through the API: lead conversion and warnings, deal moves and history, pipelines,
completing activities, and the audit trail of a record."""

import datetime
import json

import pytest
from django.test import Client

from sencrm.core.models import AuditEntry, User
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Pipeline, Stage, StageChange
from sencrm.crm.services.opportunities import opportunity_create, pipeline_create_default

API = "/api/v1"


def client_for(user) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def post(client, path, data=None, **headers):
    payload = "" if data is None else json.dumps(data)
    return client.post(API + path, payload, content_type="application/json", headers=headers)


def counts():
    return (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())


@pytest.fixture
def pipeline(db):
    return pipeline_create_default()


@pytest.fixture
def lead(org):
    return record_create(
        Lead,
        by=org.alice,
        data={
            "full_name": "Phạm Minh Tuấn",
            "company": "Công ty Tuấn Phát",
            "mobile": "0912345678",
            "email": "tuan@tuanphat.vn",
            "tax_code": "0101248141",
            "estimated_value": 50_000_000,
        },
    )


# ---------------------------------------------------------------------------------------------------
# Lead conversion
# ---------------------------------------------------------------------------------------------------


def test_converting_a_lead_creates_account_contact_and_deal(org, pipeline, lead):
    response = post(client_for(org.alice), f"/leads/{lead.pk}/convert")

    assert response.status_code == 200, response.json()
    ids = response.json()
    account = Account.objects.get(pk=ids["account_id"])
    contact = Contact.objects.get(pk=ids["contact_id"])
    deal = Opportunity.objects.get(pk=ids["opportunity_id"])
    assert account.name == "Công ty Tuấn Phát"
    assert account.tax_code == "0101248141"
    assert (contact.full_name, contact.account_id, contact.mobile) == (
        "Phạm Minh Tuấn",
        account.pk,
        "+84912345678",
    )
    assert (deal.account_id, deal.contact_id, deal.amount) == (account.pk, contact.pk, 50_000_000)
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert (lead.converted_account_id, lead.converted_contact_id, lead.converted_opportunity_id) == (
        account.pk,
        contact.pk,
        deal.pk,
    )
    detail = client_for(org.alice).get(f"{API}/leads/{lead.pk}").json()
    assert detail["status"] == "converted"
    assert detail["converted_opportunity"] == deal.pk


def test_converting_links_to_an_existing_account_and_sets_deal_details(org, pipeline, lead):
    existing = record_create(Account, by=org.bob, data={"name": "Tuấn Phát (cũ)"})

    response = post(
        client_for(org.bob),  # team scope: sees alice's lead and his own account
        f"/leads/{lead.pk}/convert",
        {
            "account_id": existing.pk,
            "opportunity_name": "Máy lọc nước cho Tuấn Phát",
            "amount": 120_000_000,
            "expected_close": "2026-12-31",
        },
    )

    assert response.status_code == 200, response.json()
    ids = response.json()
    assert ids["account_id"] == existing.pk
    assert Account.objects.count() == 1  # none created
    deal = Opportunity.objects.get(pk=ids["opportunity_id"])
    assert (deal.name, deal.amount, deal.expected_close) == (
        "Máy lọc nước cho Tuấn Phát",
        120_000_000,
        datetime.date(2026, 12, 31),
    )
    assert Contact.objects.get(pk=ids["contact_id"]).account_id == existing.pk


def test_converting_links_to_an_existing_contact_without_a_deal(org, pipeline, lead):
    contact = record_create(Contact, by=org.alice, data={"full_name": "Phạm Minh Tuấn"})

    response = post(
        client_for(org.alice),
        f"/leads/{lead.pk}/convert",
        {"contact_id": contact.pk, "create_opportunity": False, "create_account": False},
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {"account_id": None, "contact_id": contact.pk, "opportunity_id": None}
    assert counts() == (0, 1, 0)


def test_converting_twice_is_422_and_creates_nothing_more(org, pipeline, lead):
    client = client_for(org.alice)
    assert post(client, f"/leads/{lead.pk}/convert", {}).status_code == 200
    before = counts()

    again = post(client, f"/leads/{lead.pk}/convert", {})

    assert again.status_code == 422
    assert again.json()["errors"] == {"lead": ["This lead has already been converted."]}
    assert counts() == before


def test_a_failed_conversion_rolls_back_every_part(org, pipeline, lead):
    empty = Pipeline.objects.create(name="Chưa có giai đoạn")  # no stage: the deal cannot be made

    response = post(client_for(org.alice), f"/leads/{lead.pk}/convert", {"pipeline_id": empty.pk})

    assert response.status_code == 422
    assert "stage" in response.json()["errors"]
    assert counts() == (0, 0, 0)  # the account and contact made before the failure are gone too
    lead.refresh_from_db()
    assert (lead.status, lead.converted_account_id) == ("new", None)
    assert not AuditEntry.objects.filter(entity="crm.lead", kind="convert").exists()


def test_converting_with_invisible_or_unknown_links_is_422(org, pipeline, lead):
    theirs = record_create(Account, by=org.mallory, data={"name": "Sài Gòn"})
    client = client_for(org.alice)

    invisible = post(client, f"/leads/{lead.pk}/convert", {"account_id": theirs.pk})
    unknown = post(client, f"/leads/{lead.pk}/convert", {"contact_id": 999999, "pipeline_id": 999999})
    typo = post(client, f"/leads/{lead.pk}/convert", {"acount_id": theirs.pk})

    assert invisible.json()["errors"] == {"account_id": ["No such choice, or you may not see it."]}
    assert unknown.json()["errors"] == {
        "contact_id": ["No such choice, or you may not see it."],
        "pipeline_id": ["No such choice, or you may not see it."],
    }
    assert typo.json()["errors"] == {"acount_id": ["Unknown field."]}
    assert {invisible.status_code, unknown.status_code, typo.status_code} == {422}
    assert counts() == (1, 0, 0)
    lead.refresh_from_db()
    assert lead.status == "new"


def test_converting_a_lead_out_of_scope_is_404_and_without_rights_403(org, pipeline, lead):
    assert post(client_for(org.mallory), f"/leads/{lead.pk}/convert", {}).status_code == 404
    assert post(client_for(org.viewer), f"/leads/{lead.pk}/convert", {}).status_code == 403
    assert post(client_for(org.alice), "/leads/999999/convert", {}).status_code == 404
    assert counts() == (0, 0, 0)
    lead.refresh_from_db()
    assert lead.status == "new"


def test_lead_warnings_list_duplicates_the_user_can_see(org, lead):
    record_create(Contact, by=org.alice, data={"full_name": "Tuấn", "mobile": "0912 345 678"})
    record_create(Contact, by=org.mallory, data={"full_name": "Tuấn HCM", "mobile": "0912 345 678"})
    client = client_for(org.alice)

    response = client.get(f"{API}/leads/{lead.pk}/warnings")

    assert response.status_code == 200
    warnings = response.json()
    assert [(w["field"], w["message"]) for w in warnings] == [("duplicate", "Already a contact: Tuấn.")]
    assert warnings[0]["url"].startswith("/")
    assert client_for(org.mallory).get(f"{API}/leads/{lead.pk}/warnings").status_code == 404


# ---------------------------------------------------------------------------------------------------
# Opportunities: move, history, pipelines
# ---------------------------------------------------------------------------------------------------


def test_moving_a_deal_records_history_and_takes_the_stage_probability(org, pipeline):
    deal = opportunity_create(by=org.alice, data={"name": "Sen", "amount": 1_000_000})
    quote = pipeline.stages.get(name="Đã gửi báo giá")
    lost = pipeline.stages.get(kind="lost")
    client = client_for(org.alice)

    moved = post(client, f"/opportunities/{deal.pk}/move", {"stage_id": quote.pk})
    no_reason = post(client, f"/opportunities/{deal.pk}/move", {"stage_id": lost.pk})
    closed = post(client, f"/opportunities/{deal.pk}/move", {"stage_id": lost.pk, "lost_reason": "Giá cao"})

    assert moved.status_code == 200, moved.json()
    assert (moved.json()["stage"], moved.json()["probability"], moved.json()["status"]) == (
        quote.pk,
        80,
        "open",
    )
    assert moved["ETag"] == '"2"'
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"] == {"lost_reason": ["Say why the deal was lost."]}
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["lost_reason"]) == ("lost", "Giá cao")

    history = client.get(f"{API}/opportunities/{deal.pk}/history").json()
    assert history["count"] == 3
    assert [(h["from_stage_name"], h["to_stage_name"]) for h in history["results"]] == [
        ("Đã gửi báo giá", "Thất bại"),
        ("Tìm kiếm khách hàng", "Đã gửi báo giá"),
        (None, "Tìm kiếm khách hàng"),
    ]
    assert history["results"][0]["by"] == org.alice.pk


def test_moving_to_a_stage_of_another_pipeline_is_422_naming_stage_id(org, pipeline):
    deal = opportunity_create(by=org.alice, data={"name": "Sen"})
    foreign = Stage.objects.create(pipeline=Pipeline.objects.create(name="Dự án"), name="Khảo sát")
    client = client_for(org.alice)

    other = post(client, f"/opportunities/{deal.pk}/move", {"stage_id": foreign.pk})
    unknown = post(client, f"/opportunities/{deal.pk}/move", {"stage_id": 999999})

    assert other.status_code == unknown.status_code == 422
    assert other.json()["errors"] == {"stage_id": ["This stage belongs to another pipeline."]}
    assert unknown.json()["errors"] == {"stage_id": ["No such choice, or you may not see it."]}
    deal.refresh_from_db()
    assert (deal.version, StageChange.objects.filter(opportunity=deal).count()) == (1, 1)


def test_a_stale_move_is_412_and_changes_nothing(org, pipeline):
    deal = opportunity_create(by=org.alice, data={"name": "Sen"})
    second, third = pipeline.stages.order_by("position")[1:3]
    client = client_for(org.alice)
    assert (
        post(client, f"/opportunities/{deal.pk}/move", {"stage_id": second.pk}, if_match='"1"').status_code
        == 200
    )

    stale = post(client, f"/opportunities/{deal.pk}/move", {"stage_id": third.pk}, if_match='"1"')

    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    deal.refresh_from_db()
    assert (deal.stage_id, deal.version) == (second.pk, 2)
    assert StageChange.objects.filter(opportunity=deal).count() == 2


def test_a_stage_change_by_patch_lands_in_the_history(org, pipeline):
    deal = opportunity_create(by=org.alice, data={"name": "Sen"})
    second = pipeline.stages.order_by("position")[1]

    response = client_for(org.alice).patch(
        f"{API}/opportunities/{deal.pk}", json.dumps({"stage": second.pk}), content_type="application/json"
    )

    assert response.status_code == 200
    assert list(StageChange.objects.filter(opportunity=deal).values_list("to_stage_id", flat=True)) == [
        second.pk,
        deal.stage_id,
    ]


def test_history_of_an_invisible_deal_is_404(org, pipeline):
    deal = opportunity_create(by=org.mallory, data={"name": "Sen"})

    assert client_for(org.alice).get(f"{API}/opportunities/{deal.pk}/history").status_code == 404


def test_pipelines_list_their_stages_in_order(org, pipeline):
    response = client_for(org.alice).get(f"{API}/pipelines")

    assert response.status_code == 200
    [only] = response.json()
    assert (only["id"], only["name"], only["is_default"]) == (pipeline.pk, "Bán hàng", True)
    assert [(s["name"], s["probability"], s["kind"]) for s in only["stages"]] == [
        ("Tìm kiếm khách hàng", 10, "open"),
        ("Xác định nhu cầu", 20, "open"),
        ("Đánh giá", 40, "open"),
        ("Nhận yêu cầu báo giá", 60, "open"),
        ("Đã gửi báo giá", 80, "open"),
        ("Thành công", 100, "won"),
        ("Thất bại", 0, "lost"),
    ]


# ---------------------------------------------------------------------------------------------------
# Activities and the audit trail
# ---------------------------------------------------------------------------------------------------


def test_completing_a_call_sets_outcome_and_last_contacted(org):
    contact = record_create(Contact, by=org.alice, data={"given_name": "Lan"})
    call = record_create(Activity, by=org.alice, data={"subject": "Gọi", "kind": "call", "contact": contact})
    client = client_for(org.alice)

    response = post(client, f"/activities/{call.pk}/complete", {"outcome": "Hẹn gặp thứ Hai"})

    assert response.status_code == 200, response.json()
    assert (response.json()["done"], response.json()["outcome"]) == (True, "Hẹn gặp thứ Hai")
    assert response.json()["done_at"] is not None
    contact.refresh_from_db()
    call.refresh_from_db()
    assert contact.last_contacted_at == call.done_at
    # No body at all is fine too.
    task = record_create(Activity, by=org.alice, data={"subject": "Việc"})
    assert post(client, f"/activities/{task.pk}/complete").status_code == 200


def test_completing_is_refused_out_of_scope_without_rights_and_when_stale(org):
    task = record_create(Activity, by=org.alice, data={"subject": "Việc"})

    assert post(client_for(org.mallory), f"/activities/{task.pk}/complete").status_code == 404
    assert post(client_for(org.viewer), f"/activities/{task.pk}/complete").status_code == 403
    assert (
        post(client_for(org.alice), f"/activities/{task.pk}/complete", {}, if_match='"7"').status_code == 412
    )
    task.refresh_from_db()
    assert (task.done, task.version) == (False, 1)


def test_the_audit_route_lists_changes_newest_first(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen"})
    client = client_for(org.alice)
    client.patch(
        f"{API}/accounts/{account.pk}", json.dumps({"name": "Sen Hồng"}), content_type="application/json"
    )

    response = client.get(f"{API}/accounts/{account.pk}/audit")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [e["kind"] for e in body["results"]] == ["update", "create"]
    assert body["results"][0]["changes"]["name"] == ["Sen", "Sen Hồng"]
    assert (body["results"][0]["user"], body["results"][0]["user_name"]) == (org.alice.pk, "Nguyễn Thị Ánh")
