"""Contracts: create and change (the generic record services), attach and remove the signed
documents (Django's storage API), and the daily renewal reminders."""

import datetime
import mimetypes

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import record_create
from sencrm.crm.models import Activity
from sencrm.sales.models import Contract, ContractDocument
from sencrm.sales.models.contracts import MAX_NOTICE_DAYS

#: Largest file a contract may carry (scans of signed originals run to a few MB).
MAX_DOCUMENT_BYTES = 25 * 1024 * 1024


def contract_document_add(*, contract: Contract, by, upload) -> ContractDocument:
    """Store ``upload`` (a Django ``UploadedFile``) with the contract; audited on the contract."""
    if upload is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)d MB.") % {"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)}]}
        )
    name = (upload.name or "document").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
    with transaction.atomic():
        document = ContractDocument(
            contract=contract,
            name=name,
            size=upload.size,
            content_type=(getattr(upload, "content_type", "") or mimetypes.guess_type(name)[0] or "")[:100],
            uploaded_by=by,
        )
        document.file.save(name, upload, save=False)
        document.save()
        audit_record(instance=contract, kind=AuditEntry.Kind.UPDATE, by=by, changes={"documents": ["", name]})
    return document


def contract_document_delete(*, document: ContractDocument, by) -> None:
    """Remove a document and its file; audited on the contract."""
    contract, name = document.contract, document.name
    with transaction.atomic():
        document.delete()
        audit_record(instance=contract, kind=AuditEntry.Kind.UPDATE, by=by, changes={"documents": [name, ""]})
        # The file goes once the row is gone for good (a rollback keeps both).
        transaction.on_commit(lambda: document.file.delete(save=False))


def contracts_remind(today: datetime.date | None = None) -> int:
    """A task for the owner of each active contract that ends within its ``notice_days``: once per
    contract and end date (a renewed contract with a new end date is reminded again). Safe to run
    twice or on two workers: each contract is claimed with a conditional UPDATE."""
    today = today or timezone.localdate()
    candidates = (
        Contract.objects.alive()
        .active()
        .filter(end_date__gte=today, end_date__lte=today + datetime.timedelta(days=MAX_NOTICE_DAYS))
        .filter(Q(reminded_end_date__isnull=True) | ~Q(reminded_end_date=F("end_date")))
        .select_related("owner", "account")
        .order_by("end_date", "pk")
    )
    made = 0
    for contract in candidates[:2000]:
        if contract.end_date - datetime.timedelta(days=contract.notice_days) > today:
            continue
        with transaction.atomic():
            claimed = (
                Contract.objects.filter(pk=contract.pk, end_date=contract.end_date)
                .filter(Q(reminded_end_date__isnull=True) | ~Q(reminded_end_date=contract.end_date))
                .update(reminded_end_date=contract.end_date)
            )
            if not claimed:
                continue
            record_create(
                Activity,
                by=contract.owner,
                data={
                    "kind": Activity.Kind.TASK,
                    "subject": _("Contract %(number)s ends on %(date)s: renew or close it")
                    % {"number": contract.number, "date": contract.end_date.strftime("%d/%m/%Y")},
                    "description": contract.renewal_terms,
                    "due_at": timezone.now()
                    + datetime.timedelta(days=max((contract.end_date - today).days - 1, 0)),
                    "owner": contract.owner,
                    "account": contract.account,
                    "contact": contract.contact,
                },
            )
            made += 1
    return made
