"""Contracts: validation, renewal reminders (once per contract and end date, on the right day),
attached documents stored through the storage API and downloaded only by those who may see the
contract (404 otherwise), and who sees what."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from sencrm.core.services.records import record_create, record_update
from sencrm.crm.models import Activity
from sencrm.crm.tests.views_support import login
from sencrm.sales.models import Contract, ContractDocument
from sencrm.sales.services.contracts import contract_document_add, contracts_remind
from sencrm.sales.tasks import remind_contract_renewals
from sencrm.sales.tests import factories as f
from sencrm.sales.tests.test_api import client_for, send

END = datetime.date(2026, 12, 31)
PDF = b"%PDF-1.4\n% hop dong mua ban\n%%EOF\n"


def _contract(owner, **data):
    acct = data.pop("account", None) or f.account(owner)
    return record_create(
        Contract,
        by=owner,
        data={
            "number": "01/2026/HĐMB",
            "title": "Hợp đồng cung cấp quà Tết",
            "account": acct,
            "start_date": datetime.date(2026, 1, 1),
            "end_date": END,
            "value": D(150000000),
            "status": Contract.Status.ACTIVE,
            "owner": owner,
            **data,
        },
    )


def test_bad_contracts_are_refused_naming_the_field(org):
    _contract(org.alice)
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        _contract(org.alice, end_date=datetime.date(2025, 12, 31), value=D("10.5"), notice_days=400)
    assert bad.value.message_dict == {
        "number": ["Another contract already has this number."],
        "end_date": ["The contract cannot end before it starts."],
        "value": ["VND amounts are whole đồng."],
        "notice_days": ["At most 365 days before the end."],
    }
    assert Contract.objects.count() == 1


def test_renewal_reminder_comes_once_notice_days_before_the_end(org):
    contract = _contract(org.alice, notice_days=10)
    _contract(org.alice, number="02/2026", status=Contract.Status.DRAFT)  # not active: no reminder
    assert contracts_remind(datetime.date(2026, 12, 20)) == 0  # 11 days before
    with translation.override("en"):
        assert contracts_remind(datetime.date(2026, 12, 21)) == 1  # 10 days before
    assert contracts_remind(datetime.date(2026, 12, 22)) == 0
    task = Activity.objects.get(kind="task")
    assert (task.owner, task.account_id, task.subject) == (
        org.alice,
        contract.account_id,
        "Contract 01/2026/HĐMB ends on 31/12/2026: renew or close it",
    )
    # Renewed for another year: a new end date, a new reminder when its period comes.
    contract = record_update(contract, by=org.alice, data={"end_date": datetime.date(2027, 12, 31)})
    assert contracts_remind(datetime.date(2027, 12, 20)) == 0
    assert contracts_remind(datetime.date(2027, 12, 21)) == 1
    assert Activity.objects.filter(kind="task").count() == 2
    assert remind_contract_renewals.call_local() == 0


def test_default_notice_is_30_days_and_a_past_end_is_not_reminded(org):
    _contract(org.alice)
    assert contracts_remind(datetime.date(2026, 11, 30)) == 0
    assert contracts_remind(datetime.date(2026, 12, 1)) == 1
    _contract(org.bob, number="03/2026", end_date=datetime.date(2026, 11, 1))
    assert contracts_remind(datetime.date(2026, 12, 2)) == 0


def test_documents_are_stored_and_downloaded_only_by_those_who_see_the_contract(
    client, org, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    contract = _contract(org.alice)
    document = contract_document_add(
        contract=contract, by=org.alice, upload=SimpleUploadedFile("hop-dong.pdf", PDF, "application/pdf")
    )
    assert (document.name, document.size, document.content_type) == (
        "hop-dong.pdf",
        len(PDF),
        "application/pdf",
    )
    assert (tmp_path / document.file.name).read_bytes() == PDF
    url = reverse("sales:contract_document", args=[contract.pk, document.pk])
    for persona, status in (("alice", 200), ("carol", 200), ("dave", 404), ("mallory", 404)):
        login(client, getattr(org, persona))
        response = client.get(url)
        assert response.status_code == status, persona
        if status == 200:
            assert b"".join(response.streaming_content) == PDF
        api = client_for(getattr(org, persona))
        assert send(api, "get", f"/contracts/{contract.pk}/documents/{document.pk}").status_code == status
        assert send(api, "get", f"/contracts/{contract.pk}").status_code == status
    # Uploading through the page, then removing.
    login(client, org.alice)
    upload = SimpleUploadedFile("phu-luc.docx", b"PK annex", "application/octet-stream")
    response = client.post(reverse("sales:contract_document_upload", args=[contract.pk]), {"file": upload})
    assert response.status_code == 302
    assert sorted(ContractDocument.objects.values_list("name", flat=True)) == ["hop-dong.pdf", "phu-luc.docx"]
    login(client, org.mallory)
    upload = SimpleUploadedFile("x.pdf", b"x", "application/pdf")
    assert (
        client.post(
            reverse("sales:contract_document_upload", args=[contract.pk]), {"file": upload}
        ).status_code
        == 404
    )
    assert ContractDocument.objects.count() == 2


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("alice", True), ("bob", True), ("carol", True), ("erin", True), ("dave", False), ("mallory", False)],
)
def test_who_sees_alices_contract(client, org, persona, sees):
    contract = _contract(org.alice)
    login(client, getattr(org, persona))
    assert client.get(contract.get_absolute_url()).status_code == (200 if sees else 404)
    assert ("01/2026/HĐMB" in client.get(reverse("sales:contract_list")).content.decode()) == sees
    api = client_for(getattr(org, persona))
    listed = [row["id"] for row in send(api, "get", "/contracts").json()["results"]]
    assert listed == ([contract.pk] if sees else [])
    response = send(api, "patch", f"/contracts/{contract.pk}", {"status": "terminated"})
    assert response.status_code == (200 if sees else 404)
    assert Contract.objects.get().status == ("terminated" if sees else "active")


def test_the_contract_form_and_api_create(client, org):
    acct = f.account(org.alice)
    login(client, org.alice, "vi")
    assert client.get(reverse("sales:contract_create"), {"account": acct.pk}).status_code == 200
    data = {
        "number": "05/2026/HĐDV",
        "title": "Bảo trì",
        "type": "service",
        "status": "active",
        "account": str(acct.pk),
        "start_date": "01/01/2026",
        "end_date": "31/12/2026",
        "notice_days": "45",
        "value": "12.000.000",
        "renewal_terms": "Gia hạn 12 tháng",
        "notes": "",
    }
    response = client.post(reverse("sales:contract_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.objects.get()
    assert (contract.value, contract.notice_days, contract.end_date) == (D(12000000), 45, END)
    api = client_for(org.alice)
    body = {
        "number": "06/2026",
        "title": "Khung",
        "account": acct.pk,
        "start_date": "2026-01-01",
        "end_date": "2025-01-01",
    }
    response = send(api, "post", "/contracts", body)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"end_date": ["The contract cannot end before it starts."]},
    )


@pytest.mark.parametrize("count", [1, 6])
def test_contract_list_costs_the_same_for_1_or_6_rows(client, org, count, django_assert_num_queries):
    acct = f.account(org.erin)
    for n in range(count):
        _contract(org.erin, account=acct, number=f"HĐ-{n}")
    login(client, org.erin)
    client.get(reverse("sales:contract_list"))
    with django_assert_num_queries(6):
        response = client.get(reverse("sales:contract_list"))
    assert response.content.decode().count("HĐ-") == count


def test_contract_detail_costs_the_same_with_more_documents(client, org):
    contract = _contract(org.erin)
    login(client, org.erin)
    counts = []
    for n in range(2):
        contract_document_add(contract=contract, by=org.erin, upload=SimpleUploadedFile(f"{n}.pdf", PDF))
        client.get(contract.get_absolute_url())
        with CaptureQueriesContext(connection) as captured:
            assert client.get(contract.get_absolute_url()).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
