"""Base record behaviour through the shared services: validation, versions, audit, custom fields, tags."""

import pytest
from django.core.exceptions import ValidationError

from sencrm.core.models import AuditEntry, CustomField
from sencrm.core.services.records import (
    ConflictError,
    record_create,
    record_delete,
    record_restore,
    record_update,
)
from sencrm.crm.models import Account, Contact, Opportunity, Pipeline, Stage, StageChange
from sencrm.crm.services.opportunities import opportunity_create, opportunity_move, opportunity_update


def account(org, **data):
    return record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen", **data})


def test_create_normalises_and_places_the_record(org):
    a = account(org, phone="0912.345.678", email=" Sales@HoaSen.VN ", tax_code="0101248141")
    assert (a.phone, a.email, a.tax_code) == ("+84912345678", "sales@hoasen.vn", "0101248141")
    assert (a.owner, a.team, a.branch, a.created_by, a.version) == (
        org.alice,
        org.team_hn,
        org.hn,
        org.alice,
        1,
    )
    entry = AuditEntry.objects.get(entity="crm.account", object_id=a.pk)
    assert (entry.kind, entry.user) == ("create", org.alice)


def test_invalid_input_names_each_field_and_stores_nothing(org):
    with pytest.raises(ValidationError) as exc:
        account(org, name="", phone="12", email="not-an-email", tax_code="0101248142")
    assert set(exc.value.message_dict) == {"name", "phone", "email", "tax_code"}
    assert Account.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_text_is_stored_nfc(org):
    a = account(org, name="Cửa hàng Nguye\u0302\u0303n")
    assert a.name == "Cửa hàng Nguyễn"


def test_stale_version_is_refused_and_changes_nothing(org):
    a = account(org)
    record_update(a, by=org.alice, data={"industry": "Bán lẻ"}, expected_version=1)
    with pytest.raises(ConflictError) as exc:
        record_update(a, by=org.bob, data={"industry": "Sản xuất"}, expected_version=1)
    assert exc.value.instance.version == 2
    a.refresh_from_db()
    assert (a.industry, a.version) == ("Bán lẻ", 2)


def test_update_audits_each_changed_field_with_display_values(org):
    parent = account(org, name="Tập đoàn Sen")
    a = account(org)
    record_update(a, by=org.bob, data={"industry": "Quà tặng", "parent": parent, "type": "partner"})
    entry = AuditEntry.objects.filter(entity="crm.account", object_id=a.pk, kind="update").get()
    assert entry.user == org.bob
    assert entry.changes == {
        "industry": ["", "Quà tặng"],
        "parent": [None, "Tập đoàn Sen"],
        "type": ["customer", "partner"],
    }
    # Saving the same values again writes no entry and keeps the version.
    a = record_update(a, by=org.bob, data={"industry": "Quà tặng"})
    assert a.version == 2
    assert AuditEntry.objects.filter(entity="crm.account", object_id=a.pk, kind="update").count() == 1


def test_tags_are_shared_case_and_accent_insensitively_and_audited(org):
    a = account(org)
    a = record_update(a, by=org.alice, data={}, tags=["Khách VIP", "Quà Tết"])
    b = account(org, name="Công ty B")
    b = record_update(b, by=org.alice, data={}, tags=["khach vip"])
    assert sorted(t.name for t in a.tags.all()) == ["Khách VIP", "Quà Tết"]
    assert [t.pk for t in b.tags.all()] == [a.tags.get(name="Khách VIP").pk]
    entry = AuditEntry.objects.filter(entity="crm.account", object_id=a.pk, kind="update").get()
    assert entry.changes["tags"] == ["", "Khách VIP, Quà Tết"]


def test_delete_and_restore_are_audited(org):
    a = account(org)
    record_delete(a, by=org.alice)
    a.refresh_from_db()
    assert a.deleted_at is not None and a.version == 2
    record_restore(a, by=org.alice)
    a.refresh_from_db()
    assert a.deleted_at is None
    kinds = list(AuditEntry.objects.filter(object_id=a.pk).order_by("id").values_list("kind", flat=True))
    assert kinds == ["create", "delete", "restore"]


@pytest.fixture
def custom_fields(db):
    mk = CustomField.objects.create
    return [
        mk(
            entity="crm.contact",
            key="scent",
            label="Mùi hương yêu thích",
            type="choice",
            choices=["Sen", "Quế"],
        ),
        mk(entity="crm.contact", key="budget", label="Ngân sách", type="money"),
        mk(entity="crm.contact", key="visits", label="Số lần ghé", type="number"),
        mk(entity="crm.contact", key="since", label="Khách từ ngày", type="date"),
        mk(
            entity="crm.contact",
            key="occasions",
            label="Dịp mua",
            type="multi",
            choices=["Tết", "8/3", "20/10"],
        ),
        mk(entity="crm.contact", key="wholesale", label="Khách sỉ", type="bool"),
        mk(entity="crm.contact", key="cskh", label="Nhân viên CSKH", type="user"),
        mk(entity="crm.contact", key="code", label="Mã khách hàng", type="text", required=True),
    ]


def test_custom_fields_are_validated_and_stored_typed(org, custom_fields):
    c = record_create(
        Contact,
        by=org.alice,
        data={"full_name": "Trần Thị Mai"},
        custom={
            "code": "KH-001",
            "scent": "Sen",
            "budget": "1500000",
            "visits": 3,
            "since": "2025-12-01",
            "occasions": ["Tết", "8/3", "Tết"],
            "wholesale": True,
            "cskh": org.bob.pk,
        },
    )
    assert c.custom == {
        "code": "KH-001",
        "scent": "Sen",
        "budget": 1500000,
        "visits": 3,
        "since": "2025-12-01",
        "occasions": ["Tết", "8/3"],
        "wholesale": True,
        "cskh": org.bob.pk,
    }


def test_custom_field_errors_name_each_field(org, custom_fields):
    with pytest.raises(ValidationError) as exc:
        record_create(
            Contact,
            by=org.alice,
            data={"full_name": "Trần Thị Mai"},
            custom={
                "scent": "Oải hương",
                "budget": "12,5",
                "visits": "nhiều",
                "since": "31/02/2025",
                "occasions": ["Giáng sinh"],
                "wholesale": "có",
                "cskh": 999999,
                "colour": "đỏ",
            },
        )
    assert set(exc.value.message_dict) == {
        "custom.scent",
        "custom.budget",
        "custom.visits",
        "custom.since",
        "custom.occasions",
        "custom.wholesale",
        "custom.cskh",
        "custom.colour",
        "custom.code",  # required and missing
    }
    assert Contact.objects.count() == 0


def test_required_custom_field_can_not_be_cleared(org, custom_fields):
    c = record_create(Contact, by=org.alice, data={"full_name": "Lê Văn Tám"}, custom={"code": "KH-8"})
    with pytest.raises(ValidationError) as exc:
        record_update(c, by=org.alice, data={}, custom={"code": ""})
    assert list(exc.value.message_dict) == ["custom.code"]
    c = record_update(c, by=org.alice, data={}, custom={"visits": 2})
    assert c.custom == {"code": "KH-8", "visits": 2}
    change = AuditEntry.objects.get(object_id=c.pk, kind="update").changes
    assert change == {"custom.visits": [None, 2]}


def test_contact_names_split_join_and_sort(org):
    c = record_create(Contact, by=org.alice, data={"full_name": "  Nguyễn   Văn Đức "})
    assert (c.family_name, c.middle_name, c.given_name, c.full_name) == (
        "Nguyễn",
        "Văn",
        "Đức",
        "Nguyễn Văn Đức",
    )
    names = ["Trần Văn Bình", "Nguyễn Thị Ánh", "Lê Văn Ánh", "Phạm An"]
    for n in names:
        record_create(Contact, by=org.alice, data={"full_name": n})
    ordered = list(Contact.objects.exclude(pk=c.pk).order_by("sort_name").values_list("full_name", flat=True))
    assert ordered == ["Phạm An", "Nguyễn Thị Ánh", "Lê Văn Ánh", "Trần Văn Bình"]


def test_contact_consent_shape_is_checked(org):
    with pytest.raises(ValidationError) as exc:
        record_create(Contact, by=org.alice, data={"full_name": "A B", "consent": {"fax": {"granted": True}}})
    assert list(exc.value.message_dict) == ["consent"]
    c = record_create(
        Contact,
        by=org.alice,
        data={
            "full_name": "A B",
            "consent": {"email": {"granted": True, "at": "2026-01-05", "source": "web"}},
        },
    )
    assert c.has_consent("email") and not c.has_consent("sms")


# --- opportunities ---------------------------------------------------------------------------------


def test_new_opportunity_starts_in_the_first_stage_with_its_probability(org):
    opp = opportunity_create(by=org.alice, data={"name": "Quà Tết 2027", "amount": 250_000_000})
    assert (opp.stage.position, opp.probability, opp.status) == (0, 10, "open")
    assert StageChange.objects.filter(opportunity=opp, from_stage=None, to_stage=opp.stage).count() == 1


def test_stage_from_another_pipeline_is_refused(org):
    opp = opportunity_create(by=org.alice, data={"name": "Deal", "amount": 1})
    other = Pipeline.objects.create(name="Dự án")
    foreign = Stage.objects.create(pipeline=other, name="Mở", position=0)
    with pytest.raises(ValidationError) as exc:
        opportunity_update(opportunity=opp, by=org.alice, data={"stage": foreign})
    assert list(exc.value.message_dict) == ["stage"]
    with pytest.raises(ValidationError):
        opportunity_move(opportunity=opp, stage=foreign, by=org.alice)
    opp.refresh_from_db()
    assert opp.stage.pipeline_id == opp.pipeline_id


def test_won_and_lost_close_the_deal_and_lost_needs_a_reason(org):
    opp = opportunity_create(by=org.alice, data={"name": "Deal", "amount": 100})
    stages = {s.kind: s for s in opp.pipeline.stages.exclude(kind="open")}
    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=opp, stage=stages["lost"], by=org.alice)
    assert list(exc.value.message_dict) == ["lost_reason"]
    opp.refresh_from_db()
    assert opp.status == "open"
    opp = opportunity_move(
        opportunity=opp, stage=stages["lost"], by=org.alice, lost_reason="Giá cao hơn đối thủ"
    )
    assert (opp.status, opp.probability, opp.lost_reason) == ("lost", 0, "Giá cao hơn đối thủ")
    assert opp.closed_at is not None
    opp = opportunity_move(opportunity=opp, stage=stages["won"], by=org.alice)
    assert (opp.status, opp.probability) == ("won", 100)
    first = opp.pipeline.stages.order_by("position").first()
    opp = opportunity_move(opportunity=opp, stage=first, by=org.alice)
    assert (opp.status, opp.closed_at) == ("open", None)
    assert StageChange.objects.filter(opportunity=opp).count() == 4
    assert Opportunity.objects.won().count() == 0
