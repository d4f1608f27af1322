"""Lead conversion into account + contact + opportunity, all or nothing (C1)."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from sencrm.common.access import RightDenied
from sencrm.core.models import AuditEntry, Role
from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity
from sencrm.crm.services.leads import lead_convert, lead_verify


@pytest.fixture
def lead(org):
    return record_create(
        Lead,
        by=org.alice,
        data={
            "full_name": "Phạm Thị Hồng",
            "company": "Công ty TNHH Nến Thơm Hồng",
            "mobile": "0987 654 321",
            "email": "hong@nenthom.vn",
            "tax_code": "0300588569",
            "estimated_value": 45_000_000,
            "source": "website",
        },
    )


def test_convert_creates_account_contact_and_opportunity(org, lead):
    call = record_create(
        Activity, by=org.alice, data={"subject": "Gọi lần đầu", "kind": "call", "lead": lead}
    )
    result = lead_convert(lead=lead, by=org.alice)
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_at is not None
    assert (lead.converted_account, lead.converted_contact, lead.converted_opportunity) == (
        result.account,
        result.contact,
        result.opportunity,
    )
    assert (result.account.name, result.account.tax_code, result.account.owner) == (
        "Công ty TNHH Nến Thơm Hồng",
        "0300588569",
        org.alice,
    )
    assert (result.contact.full_name, result.contact.given_name, result.contact.account) == (
        "Phạm Thị Hồng",
        "Hồng",
        result.account,
    )
    assert result.contact.mobile == "+84987654321"
    opp = result.opportunity
    assert (opp.account, opp.contact, opp.amount, opp.status) == (
        result.account,
        result.contact,
        45_000_000,
        "open",
    )
    call.refresh_from_db()
    assert (call.account, call.contact, call.opportunity) == (result.account, result.contact, opp)
    assert AuditEntry.objects.filter(entity="crm.lead", object_id=lead.pk, kind="convert").count() == 1


def test_convert_links_to_existing_records_instead(org, lead):
    existing = record_create(Account, by=org.alice, data={"name": "Nến Thơm Hồng (cũ)"})
    result = lead_convert(lead=lead, by=org.alice, account=existing, create_opportunity=False)
    assert result.account == existing and result.opportunity is None
    assert Account.objects.count() == 1
    assert result.contact.account == existing


def test_a_failing_part_rolls_everything_back(org, lead):
    # A role that may create accounts and contacts but not opportunities: the last step fails.
    rights = Role.all_rights()
    rights["crm.opportunity"] = ["view"]
    org.alice.role = Role.objects.create(name="No deals", scope="own", rights=rights)
    org.alice.save()
    with pytest.raises(RightDenied):
        lead_convert(lead=lead, by=org.alice)
    lead.refresh_from_db()
    assert lead.status == "new" and lead.converted_account is None
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (0, 0, 0)
    assert not AuditEntry.objects.filter(kind="convert").exists()


def test_linking_to_an_invisible_account_is_refused(org, lead):
    theirs = record_create(Account, by=org.mallory, data={"name": "Công ty ở Sài Gòn"})
    with pytest.raises(Http404):
        lead_convert(lead=lead, by=org.alice, account=theirs)
    assert Contact.objects.count() == 0
    lead.refresh_from_db()
    assert lead.status == "new"


def test_a_lead_converts_only_once(org, lead):
    lead_convert(lead=lead, by=org.alice)
    with pytest.raises(ValidationError) as exc:
        lead_convert(lead=lead, by=org.alice)
    assert list(exc.value.message_dict) == ["lead"]
    assert Opportunity.objects.count() == 1


def test_verification_finds_bad_numbers_and_duplicates(org, lead):
    record_create(Contact, by=org.alice, data={"full_name": "Phạm Hồng", "mobile": "+84987654321"})
    record_create(Account, by=org.alice, data={"name": "Công ty TNHH Nến Thơm Hồng"})
    hidden = record_create(Account, by=org.mallory, data={"name": "X", "tax_code": "0300588569"})
    twin = record_create(Lead, by=org.alice, data={"full_name": "Hồng", "email": "HONG@nenthom.vn"})
    bad = record_create(Lead, by=org.alice, data={"full_name": "Số lạ", "mobile": "0992 123 456"})
    fields = sorted(w.field for w in lead_verify(lead=lead, user=org.alice))
    assert fields == ["duplicate", "duplicate", "duplicate"]
    messages = " ".join(w.message for w in lead_verify(lead=lead, user=org.alice))
    assert "Phạm Hồng" in messages and "Công ty TNHH Nến Thơm Hồng" in messages and twin.full_name in messages
    assert hidden.name not in messages  # another branch's account stays invisible
    assert [w.field for w in lead_verify(lead=bad, user=org.alice)] == ["mobile"]
