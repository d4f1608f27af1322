"""The record pages of every kind: list, detail, create, edit, delete; bad input; conflicts."""

import pytest

from sencrm.core.models import AuditEntry, RecentView
from sencrm.core.services.records import record_update
from sencrm.crm.models import Stage
from sencrm.crm.services.opportunities import pipeline_create_default
from sencrm.crm.tests.views_support import KINDS, MODELS, field_error, login, make, row_pks, url


def valid_data(kind: str, org) -> dict:
    """A form submission that creates a good record of ``kind``."""
    if kind == "account":
        return {
            "name": "Công ty Hoa Sen",
            "type": "customer",
            "tax_code": "0101248141",
            "phone": "024 3825 1234",
            "email": "info@hoasen.vn",
            "owner": org.alice.pk,
            "tags": "VIP, Khách sỉ",
        }
    if kind == "contact":
        return {
            "salutation": "anh",
            "family_name": "Nguyễn",
            "middle_name": "Văn",
            "given_name": "Đức",
            "mobile": "0912.345.678",
            "email": "duc@hoasen.vn",
            "birthday": "25/12/1990",
            "owner": org.alice.pk,
        }
    if kind == "lead":
        return {
            "family_name": "Trần",
            "given_name": "Bình",
            "company": "Công ty Sen Vàng",
            "mobile": "0987654321",
            "source": "website",
            "status": "new",
            "rating": "hot",
            "estimated_value": "50.000.000",
            "owner": org.alice.pk,
        }
    if kind == "opportunity":
        pipeline_create_default()
        return {"name": "Hợp đồng máy lọc nước", "amount": "1.250.000", "expected_close": "31/12/2026"}
    return {
        "kind": "task",
        "subject": "Gọi lại cho khách",
        "priority": "normal",
        "due_at": "25/12/2026 09:30",
    }


# (field to break, bad value, where the error must show)
BAD_INPUT = {
    "account": ("phone", "12", "phone"),
    "contact": ("email", "not-an-email", "email"),
    "lead": ("mobile", "abc", "mobile"),
    "opportunity": ("amount", "-5", "amount"),
    "activity": ("due_at", "31/02/2026 10:00", "due_at"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_it_creates_a_record_through_the_form(client, org, kind):
    login(client, org.alice)
    model = MODELS[kind]

    response = client.post(url(kind, "create"), valid_data(kind, org))

    assert response.status_code == 302, response.content.decode()[:2000]
    obj = model.objects.get()
    assert response.url == obj.get_absolute_url()
    assert obj.owner == org.alice and obj.created_by == org.alice and obj.branch == org.hn
    assert AuditEntry.objects.filter(entity=model.entity(), object_id=obj.pk, kind="create").count() == 1


def test_it_normalises_what_the_account_form_sends(client, org):
    login(client, org.alice)
    client.post(url("account", "create"), valid_data("account", org))
    account = MODELS["account"].objects.get()
    assert account.phone == "+842438251234"
    assert sorted(t.name for t in account.tags.all()) == ["Khách sỉ", "VIP"]


def test_it_reads_vietnamese_dates_and_money(client, org):
    login(client, org.alice)
    client.post(url("contact", "create"), valid_data("contact", org))
    client.post(url("opportunity", "create"), valid_data("opportunity", org))
    contact = MODELS["contact"].objects.get()
    opportunity = MODELS["opportunity"].objects.get()
    assert str(contact.birthday) == "1990-12-25"
    assert contact.mobile == "+84912345678"
    assert opportunity.amount == 1_250_000 and str(opportunity.expected_close) == "2026-12-31"
    assert opportunity.stage.position == 0 and opportunity.probability == opportunity.stage.probability


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_reshows_the_form_with_the_error_beside_the_field(client, org, kind):
    login(client, org.alice)
    data = valid_data(kind, org)
    field, value, where = BAD_INPUT[kind]
    data[field] = value

    response = client.post(url(kind, "create"), data)

    assert response.status_code == 200
    assert field_error(response, where), response.content.decode()[:3000]
    assert 'data-testid="form-errors"' in response.content.decode()
    assert MODELS[kind].objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_service_errors_land_beside_their_field(client, org):
    """Errors the services raise (not the form) are shown beside the field they name."""
    login(client, org.alice)
    data = valid_data("account", org)
    data["tax_code"] = "0101248142"  # wrong check digit: only the model's clean knows
    response = client.post(url("account", "create"), data)
    assert "tax code" in field_error(response, "tax_code").lower()

    data = valid_data("activity", org)
    data.update(kind="meeting", start_at="25/12/2026 10:00", end_at="25/12/2026 09:00")
    response = client.post(url("activity", "create"), data)
    assert field_error(response, "end_at") == "The end must be after the start."

    pipeline = pipeline_create_default()
    lost = Stage.objects.get(pipeline=pipeline, kind="lost")
    data = valid_data("opportunity", org)
    data["stage"] = lost.pk
    response = client.post(url("opportunity", "create"), data)
    assert field_error(response, "lost_reason") == "Say why the deal was lost."
    assert MODELS["account"].objects.count() == 0
    assert MODELS["activity"].objects.count() == 0
    assert MODELS["opportunity"].objects.count() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_list_shows_the_record(client, org, kind):
    obj = make(kind, org.alice, "Bản ghi thử")
    login(client, org.alice)

    response = client.get(url(kind, "list"))

    assert response.status_code == 200
    assert row_pks(response) == [obj.pk]
    assert "Bản ghi thử" in response.content.decode()
    assert "1–1" in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_empty_list_says_so(client, org, kind):
    login(client, org.alice)
    response = client.get(url(kind, "list"))
    assert 'data-testid="empty"' in response.content.decode()
    assert row_pks(response) == []


@pytest.mark.parametrize("kind", KINDS)
def test_detail_shows_fields_owner_and_history_and_remembers_the_view(client, org, kind):
    obj = make(kind, org.alice, "Bản ghi thử")
    login(client, org.alice)

    response = client.get(url(kind, "detail", obj.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Bản ghi thử" in html
    assert 'data-testid="record-info"' in html and str(org.alice) in html
    assert 'data-testid="audit-trail"' in html and "Created" in html
    assert (
        RecentView.objects.filter(user=org.alice, object_id=obj.pk, entity=MODELS[kind].entity()).count() == 1
    )


@pytest.mark.parametrize("kind", KINDS)
def test_it_edits_a_record_and_the_audit_trail_shows_old_and_new(client, org, kind):
    obj = make(kind, org.alice, "Tên cũ")
    login(client, org.alice)
    form = client.get(url(kind, "edit", obj.pk)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, bool) or v}
    name_field = {"account": "name", "opportunity": "name", "activity": "subject"}.get(kind)
    if name_field:
        data[name_field] = "Tên mới"
    else:
        data.update(family_name="", middle_name="Tên", given_name="mới")

    response = client.post(url(kind, "edit", obj.pk), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    obj.refresh_from_db()
    assert str(obj) == "Tên mới" and obj.version == 2
    detail = client.get(url(kind, "detail", obj.pk)).content.decode()
    assert "Tên cũ" in detail and "Tên mới" in detail and "→" in detail


def test_audit_trail_shows_choice_labels_not_codes(client, org):
    account = make("account", org.alice, "Công ty A")
    record_update(account, by=org.alice, data={"type": "supplier"})
    login(client, org.alice)
    html = client.get(url("account", "detail", account.pk)).content.decode()
    assert 'Customer</span> → <span class="sen-new">Supplier' in html


@pytest.mark.parametrize("kind", KINDS)
def test_a_stale_version_shows_the_conflict_and_changes_nothing(client, org, kind):
    obj = make(kind, org.alice, "Bản gốc")
    login(client, org.alice)
    form = client.get(url(kind, "edit", obj.pk)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, bool) or v}
    # Meanwhile bob (same team) renames it.
    field = {"account": "name", "opportunity": "name", "activity": "subject"}.get(kind, "full_name")
    update = (
        {field: "Bob đã sửa"}
        if field != "full_name"
        else {"family_name": "", "middle_name": "", "given_name": "Bob"}
    )
    record_update(obj, by=org.bob, data=update)
    if kind in ("contact", "lead"):
        data.update(family_name="", middle_name="", given_name="Alice")
    else:
        data[field] = "Alice sửa"

    response = client.post(url(kind, "edit", obj.pk), data)

    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this record while you were editing." in html
    assert str(org.bob) in html
    obj.refresh_from_db()
    assert obj.version == 2 and str(obj) in ("Bob đã sửa", "Bob")
    # The form now carries the current version: saving again overwrites knowingly.
    assert response.context["form"]["version"].value() == "2"
    again = client.post(url(kind, "edit", obj.pk), {**data, "version": "2"})
    assert again.status_code == 302
    obj.refresh_from_db()
    assert str(obj) in ("Alice sửa", "Alice") and obj.version == 3


@pytest.mark.parametrize("kind", KINDS)
def test_delete_asks_then_moves_to_trash(client, org, kind):
    obj = make(kind, org.alice)
    login(client, org.alice)

    confirm = client.get(url(kind, "delete", obj.pk))
    response = client.post(url(kind, "delete", obj.pk))

    assert confirm.status_code == 200 and 'data-testid="confirm-delete"' in confirm.content.decode()
    assert response.status_code == 302 and response.url == url(kind, "list")
    assert MODELS[kind].objects.alive().count() == 0
    assert MODELS[kind].objects.deleted().count() == 1
    assert client.get(url(kind, "detail", obj.pk)).status_code == 404


def test_giving_a_record_away_lands_on_the_list(client, org):
    """Alice (own scope) gives an account to mallory: she may no longer see it, so no 404 page."""
    login(client, org.alice)
    data = {**valid_data("account", org), "owner": org.mallory.pk}
    response = client.post(url("account", "create"), data)
    assert response.status_code == 302 and response.url == url("account", "list")
    assert MODELS["account"].objects.get().owner == org.mallory


def test_owner_choices_are_active_users(client, org):
    org.noright.is_active = False
    org.noright.save()
    login(client, org.alice)
    form = client.get(url("account", "create")).context["form"]
    owners = set(form.fields["owner"].queryset)
    assert org.alice in owners and org.noright not in owners
    assert form["owner"].value() == org.alice.pk


def test_anonymous_visitors_go_to_the_login_page(client, org):
    for kind in KINDS:
        response = client.get(url(kind, "list"))
        assert response.status_code == 302 and response.url.startswith("/login/")
