"""CRUD of every CRM record kind through the API, bad input, custom fields, tags and concurrency."""

import json

import pytest
from django.test import Client
from django.utils import translation

from sencrm.core.models import AuditEntry, CustomField, Tag, User
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Pipeline, Stage, StageChange
from sencrm.crm.services.opportunities import opportunity_create, pipeline_create_default

API = "/api/v1"


class Api:
    """A test client logged in as ``user`` that speaks JSON, in English unless told otherwise."""

    def __init__(self, user, language="en"):
        User.objects.filter(pk=user.pk).update(language=language)
        self.client = Client()
        self.client.force_login(user)

    def get(self, path, params=None, **headers):
        return self.client.get(API + path, params or {}, headers=headers)

    def post(self, path, body=None, **headers):
        data = body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
        return self.client.post(API + path, data, content_type="application/json", headers=headers)

    def patch(self, path, body, **headers):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.patch(API + path, data, content_type="application/json", headers=headers)

    def delete(self, path, **headers):
        return self.client.delete(API + path, headers=headers)


def snapshot(model, pk):
    """Everything stored about a record, to prove a refused write changed nothing."""
    row = model._base_manager.filter(pk=pk).values().get()
    tags = sorted(model._base_manager.get(pk=pk).tags.values_list("name", flat=True))
    audit = AuditEntry.objects.filter(entity=model._meta.label_lower, object_id=pk).count()
    return row, tags, audit


# ---------------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------------


def test_it_creates_reads_updates_and_trashes_an_account(org):
    api = Api(org.alice)

    created = api.post(
        "/accounts",
        {
            "name": "Công ty TNHH Sen Vàng",
            "type": "partner",
            "tax_code": "0101248141",
            "phone": "0912 345 678",
            "email": "Info@SenVang.vn",
            "tags": ["VIP", "Hà Nội"],
        },
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    account = Account.objects.get(pk=body["id"])
    assert created["ETag"] == '"1"'
    assert created["Location"].endswith(f"/api/v1/accounts/{account.pk}")
    assert body["name"] == "Công ty TNHH Sen Vàng"
    assert body["type"] == "partner"
    assert body["tax_code"] == "0101248141"
    assert body["phone"] == "+84912345678"
    assert body["email"] == "info@senvang.vn"
    assert sorted(body["tags"]) == ["Hà Nội", "VIP"]
    assert body["owner"] == org.alice.pk
    assert body["owner_name"] == "Nguyễn Thị Ánh"
    assert body["branch"] == org.hn.pk
    assert body["branch_name"] == "Chi nhánh Hà Nội"
    assert body["team"] == org.team_hn.pk
    assert body["team_name"] == "Hà Nội 1"
    assert body["custom"] == {}
    assert body["version"] == 1
    assert body["created_by"] == org.alice.pk
    assert {"created_at", "updated_at", "address", "parent"} <= set(body)

    detail = api.get(f"/accounts/{account.pk}")
    assert detail.status_code == 200
    assert detail["ETag"] == '"1"'
    assert detail.json() == body | {"updated_at": detail.json()["updated_at"]}

    changed = api.patch(f"/accounts/{account.pk}", {"industry": "Bán lẻ", "tags": ["VIP"]})
    assert changed.status_code == 200, changed.json()
    assert changed["ETag"] == '"2"'
    assert changed.json()["industry"] == "Bán lẻ"
    assert changed.json()["tags"] == ["VIP"]
    assert changed.json()["name"] == "Công ty TNHH Sen Vàng"  # untouched fields stay
    account.refresh_from_db()
    assert account.version == 2
    assert AuditEntry.objects.filter(entity="crm.account", object_id=account.pk).count() == 2

    deleted = api.delete(f"/accounts/{account.pk}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    account.refresh_from_db()
    assert account.deleted_at is not None  # in the Trash, not gone
    assert api.get(f"/accounts/{account.pk}").status_code == 404
    assert api.get("/accounts").json()["count"] == 0


def test_it_lists_accounts_with_the_page_envelope(org):
    a = record_create(Account, by=org.alice, data={"name": "An Phát"})
    b = record_create(Account, by=org.alice, data={"name": "Bình Minh"})

    response = Api(org.alice).get("/accounts")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert [r["id"] for r in body["results"]] == [a.pk, b.pk]


# ---------------------------------------------------------------------------------------------------
# Bad input: the error shape, each bad field named, nothing stored
# ---------------------------------------------------------------------------------------------------


def test_malformed_json_is_400_and_stores_nothing(org):
    response = Api(org.alice).post("/accounts", '{"name": "Sen",')

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON.", "errors": {}}
    assert Account.objects.count() == 0


def test_wrong_types_unknown_fields_and_long_text_are_422_naming_each_field(org):
    response = Api(org.alice).post(
        "/accounts",
        {"name": "x" * 256, "employees": "nhiều", "colour": "red", "type": "friend", "tags": "VIP"},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Some fields are not valid."
    assert body["errors"] == {
        "name": ["Ensure this value has at most 255 characters."],
        "employees": ["Enter a whole number."],
        "colour": ["Unknown field."],
        "type": ["Choose one of: 'customer', 'partner', 'supplier', 'investor' or 'competitor'."],
        "tags": ["Enter a list."],
    }
    assert Account.objects.count() == 0


def test_long_text_in_a_text_field_is_422(org):
    response = Api(org.alice).post("/accounts", {"name": "Sen", "description": "x" * 10001})

    assert response.status_code == 422
    assert response.json()["errors"] == {"description": ["Ensure this value has at most 10000 characters."]}
    assert Account.objects.count() == 0


def test_invalid_phone_email_and_tax_code_are_422_from_the_model(org):
    response = Api(org.alice).post(
        "/accounts",
        {"name": "Sen", "phone": "12", "email": "không-phải-email", "tax_code": "0101248142"},
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {
        "phone": ["Enter a valid phone number, e.g. 0912 345 678."],
        "email": ["Enter a valid email address."],
        "tax_code": [
            "Enter a valid tax code: 10 digits, 10 + 3 for a branch (0101248141-001) or a 12-digit ID."
        ],
    }
    assert Account.objects.count() == 0


def test_errors_are_in_the_users_language(org):
    body = {"name": "Sen", "employees": "nhiều"}

    english = Api(org.alice, language="en").post("/accounts", body)
    vietnamese = Api(org.bob, language="vi").post("/accounts", body)

    with translation.override("vi"):
        in_vietnamese = translation.gettext("Enter a whole number.")
    assert in_vietnamese != "Enter a whole number."  # the catalogue has it
    assert english.json()["errors"] == {"employees": ["Enter a whole number."]}
    assert vietnamese.json()["errors"] == {"employees": [in_vietnamese]}
    assert vietnamese["Content-Language"] == "vi"


def test_a_missing_required_custom_field_is_422_keyed_custom_key(org):
    CustomField.objects.create(entity="crm.account", key="nganh_hang", label="Ngành hàng", required=True)
    CustomField.objects.create(entity="crm.account", key="so_nhan_vien", label="Số NV", type="number")
    api = Api(org.alice)

    missing = api.post("/accounts", {"name": "Sen"})
    wrong = api.post("/accounts", {"name": "Sen", "custom": {"nganh_hang": "Mỹ phẩm", "so_nhan_vien": "x"}})
    unknown = api.post("/accounts", {"name": "Sen", "custom": {"nganh_hang": "Mỹ phẩm", "mau": "đỏ"}})

    assert missing.status_code == 422
    assert missing.json()["errors"] == {"custom.nganh_hang": ["Ngành hàng is required."]}
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == {"custom.so_nhan_vien": ["Enter a number."]}
    assert unknown.json()["errors"] == {"custom.mau": ["Unknown field."]}
    assert Account.objects.count() == 0
    assert Tag.objects.count() == 0

    ok = api.post("/accounts", {"name": "Sen", "custom": {"nganh_hang": "Mỹ phẩm", "so_nhan_vien": "12"}})
    assert ok.status_code == 201
    assert ok.json()["custom"] == {"nganh_hang": "Mỹ phẩm", "so_nhan_vien": 12}

    # PATCH merges custom values; null clears an optional one.
    pk = ok.json()["id"]
    patched = api.patch(f"/accounts/{pk}", {"custom": {"so_nhan_vien": None}})
    assert patched.json()["custom"] == {"nganh_hang": "Mỹ phẩm"}


def test_a_failed_create_with_new_tags_creates_no_tag(org):
    response = Api(org.alice).post("/accounts", {"name": "", "tags": ["Mới tinh"]})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]
    assert "This field is required." in response.json()["errors"]["name"]
    assert Tag.objects.count() == 0


def test_a_reference_to_a_missing_or_invisible_record_is_422(org):
    theirs = record_create(Account, by=org.mallory, data={"name": "Sài Gòn Xanh"})
    api = Api(org.alice)

    invisible = api.post("/contacts", {"given_name": "Lan", "account": theirs.pk})
    missing = api.post("/contacts", {"given_name": "Lan", "account": 999999})

    assert invisible.status_code == missing.status_code == 422
    assert invisible.json() == missing.json()
    assert invisible.json()["errors"] == {"account": ["No such choice, or you may not see it."]}
    assert Contact.objects.count() == 0


def test_a_patch_with_bad_input_changes_nothing(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen", "phone": "0912345678"})
    before = snapshot(Account, account.pk)
    api = Api(org.alice)

    for body in (
        {"phone": "abc", "tags": ["Mới"]},
        {"name": None},
        {"version": "một"},
        {"owner": 999999},
        {"id": 5},
    ):
        response = api.patch(f"/accounts/{account.pk}", body)
        assert response.status_code == 422, body

    assert snapshot(Account, account.pk) == before
    assert Tag.objects.count() == 0


# ---------------------------------------------------------------------------------------------------
# Concurrency
# ---------------------------------------------------------------------------------------------------


def test_a_stale_if_match_is_412_and_changes_nothing(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen"})
    api = Api(org.alice)
    etag = api.get(f"/accounts/{account.pk}")["ETag"]
    assert api.patch(f"/accounts/{account.pk}", {"industry": "Dược"}, if_match=etag).status_code == 200
    before = snapshot(Account, account.pk)

    stale = api.patch(f"/accounts/{account.pk}", {"industry": "Thời trang"}, if_match=etag)

    assert stale.status_code == 412
    assert stale.json() == {
        "detail": "Someone else changed this record (it is now at version 2). Reload it and try again.",
        "errors": {"version": ["The record is now at version 2."]},
        "current_version": 2,
    }
    assert stale["ETag"] == '"2"'
    assert snapshot(Account, account.pk) == before


def test_a_stale_version_in_the_body_is_412(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen"})
    api = Api(org.alice)
    api.patch(f"/accounts/{account.pk}", {"industry": "Dược"})
    before = snapshot(Account, account.pk)

    stale = api.patch(f"/accounts/{account.pk}", {"industry": "May mặc", "version": 1})
    fresh = api.patch(f"/accounts/{account.pk}", {"industry": "May mặc", "version": 2})

    assert stale.status_code == 412
    assert before != snapshot(Account, account.pk)  # the fresh write went through…
    assert fresh.status_code == 200
    assert fresh.json()["version"] == 3
    assert fresh.json()["industry"] == "May mặc"


def test_if_match_forms_and_disagreeing_preconditions(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen"})
    api = Api(org.alice)

    assert api.patch(f"/accounts/{account.pk}", {"industry": "A"}, if_match='W/"1"').status_code == 200
    assert api.patch(f"/accounts/{account.pk}", {"industry": "B"}, if_match="*").status_code == 200
    assert api.patch(f"/accounts/{account.pk}", {"industry": "C"}, if_match="3").status_code == 200
    assert api.patch(f"/accounts/{account.pk}", {"industry": "D"}, if_match="rác").status_code == 412
    disagree = api.patch(f"/accounts/{account.pk}", {"industry": "D", "version": 3}, if_match='"4"')
    assert disagree.status_code == 412
    account.refresh_from_db()
    assert (account.industry, account.version) == ("C", 4)


def test_a_patch_without_if_match_still_writes(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen"})

    response = Api(org.alice).patch(f"/accounts/{account.pk}", {"name": "Sen Hồng"})

    assert response.status_code == 200
    assert response.json()["name"] == "Sen Hồng"


def test_a_stale_delete_is_412_and_keeps_the_record(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen"})
    api = Api(org.alice)
    api.patch(f"/accounts/{account.pk}", {"industry": "Dược"})

    response = api.delete(f"/accounts/{account.pk}", if_match='"1"')

    assert response.status_code == 412
    account.refresh_from_db()
    assert account.deleted_at is None
    assert api.delete(f"/accounts/{account.pk}", if_match='"2"').status_code == 204


# ---------------------------------------------------------------------------------------------------
# Contacts, leads, activities
# ---------------------------------------------------------------------------------------------------


def test_it_creates_a_contact_from_a_full_name_and_links_an_account(org):
    account = record_create(Account, by=org.alice, data={"name": "Sen"})

    response = Api(org.alice).post(
        "/contacts",
        {
            "full_name": "Nguyễn Thị Ánh",
            "account": account.pk,
            "mobile": "+84 912 345 678",
            "birthday": "1990-03-08",
            "salutation": "chi",
            "consent": {"email": {"granted": True, "at": "2026-01-05", "source": "web"}},
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["family_name"], body["middle_name"], body["given_name"]) == ("Nguyễn", "Thị", "Ánh")
    assert body["full_name"] == "Nguyễn Thị Ánh"
    assert body["account"] == account.pk
    assert body["mobile"] == "+84912345678"
    assert body["birthday"] == "1990-03-08"
    assert body["consent"]["email"]["granted"] is True


def test_a_contact_with_a_bad_date_or_choice_is_422(org):
    response = Api(org.alice).post(
        "/contacts", {"given_name": "Lan", "birthday": "31/02/1990", "preferred_channel": "fax"}
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["birthday"] == ["Enter a valid date, e.g. 2026-03-05."]
    assert errors["preferred_channel"] == ["Choose one of: '', 'phone', 'sms', 'email', 'zalo' or 'visit'."]
    assert Contact.objects.count() == 0


def test_it_creates_and_updates_a_lead(org):
    api = Api(org.bob)

    created = api.post(
        "/leads",
        {"full_name": "Trần Văn Bình", "company": "Bình An", "source": "website", "rating": "hot"},
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "new"

    updated = api.patch(f"/leads/{pk}", {"status": "qualified"})
    converted = api.patch(f"/leads/{pk}", {"status": "converted"})

    assert updated.status_code == 200
    assert updated.json()["status"] == "qualified"
    assert converted.status_code == 422  # only POST /convert converts
    assert Lead.objects.get(pk=pk).status == "qualified"


def test_it_creates_an_activity_in_the_users_time_zone(org):
    lead = record_create(Lead, by=org.alice, data={"full_name": "Lê Văn Cường"})

    response = Api(org.alice).post(
        "/activities",
        {"kind": "call", "subject": "Gọi lại", "due_at": "2026-03-05T09:30:00", "lead": lead.pk},
    )

    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.due_at.isoformat() == "2026-03-05T02:30:00+00:00"  # 09:30 in Hồ Chí Minh
    assert response.json()["lead"] == lead.pk
    assert response.json()["due_at"].startswith("2026-03-05T")


def test_an_activity_end_before_start_is_422(org):
    response = Api(org.alice).post(
        "/activities",
        {
            "subject": "Họp",
            "kind": "meeting",
            "start_at": "2026-03-05T10:00:00+07:00",
            "end_at": "2026-03-05T09:00:00+07:00",
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"end_at": ["The end must be after the start."]}


# ---------------------------------------------------------------------------------------------------
# Opportunities
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def pipeline(db):
    return pipeline_create_default()


def test_it_creates_a_deal_in_the_default_pipeline_and_first_stage(org, pipeline):
    first = pipeline.stages.order_by("position").first()

    response = Api(org.alice).post("/opportunities", {"name": "Đơn hàng Tết", "amount": 1_250_000})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["pipeline"] == pipeline.pk
    assert body["pipeline_name"] == "Bán hàng"
    assert body["stage"] == first.pk
    assert body["stage_name"] == "Tìm kiếm khách hàng"
    assert body["probability"] == 10
    assert body["amount"] == 1_250_000
    assert body["weighted_amount"] == 125_000
    assert body["status"] == "open"
    assert StageChange.objects.filter(opportunity_id=body["id"]).count() == 1


def test_a_stage_from_another_pipeline_is_422_naming_stage(org, pipeline):
    other = Pipeline.objects.create(name="Dự án")
    foreign = Stage.objects.create(pipeline=other, name="Khảo sát", position=0)
    api = Api(org.alice)

    created = api.post("/opportunities", {"name": "Sen", "pipeline": pipeline.pk, "stage": foreign.pk})

    assert created.status_code == 422
    assert created.json()["errors"] == {"stage": ["This stage belongs to another pipeline."]}
    assert Opportunity.objects.count() == 0

    deal = opportunity_create(by=org.alice, data={"name": "Sen"})
    before = snapshot(Opportunity, deal.pk)
    patched = api.patch(f"/opportunities/{deal.pk}", {"stage": foreign.pk})
    assert patched.status_code == 422
    assert patched.json()["errors"] == {"stage": ["This stage belongs to another pipeline."]}
    assert snapshot(Opportunity, deal.pk) == before


def test_a_lost_stage_needs_a_reason(org, pipeline):
    lost = pipeline.stages.get(kind="lost")
    api = Api(org.alice)

    response = api.post("/opportunities", {"name": "Sen", "stage": lost.pk})

    assert response.status_code == 422
    assert response.json()["errors"] == {"lost_reason": ["Say why the deal was lost."]}
    ok = api.post("/opportunities", {"name": "Sen", "stage": lost.pk, "lost_reason": "Giá cao"})
    assert ok.status_code == 201
    assert ok.json()["status"] == "lost"
