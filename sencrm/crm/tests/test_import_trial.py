"""Tried as a new user would (issue 3): a real-looking Vietnamese contacts spreadsheet goes in, its
duplicates are caught as the user chose, and anyone in it is found by typing without accents.

The spreadsheet (``sencrm.core.imports.sample``) is an XLSX of Vietnamese names, phones typed five
ways, emails, companies, provinces, birthdays and tags; every 40th row repeats an earlier person
with the phone typed another way or the email in capitals, and two rows are people already in the
CRM. The default run imports 3,000 rows (some 10 seconds, so it stays in the normal suite); the full
trial is ``SENCRM_TRIAL_ROWS=50000 pytest sencrm/crm/tests/test_import_trial.py`` — same checks.
"""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sencrm.common.phones import normalize_phone
from sencrm.common.text import fold
from sencrm.core.imports.sample import HEADERS, sample_rows
from sencrm.core.imports.service import import_configure, import_create, import_errors, import_run
from sencrm.core.models import Job
from sencrm.core.search import search
from sencrm.core.services.records import record_create
from sencrm.crm.models import Contact

ROWS = int(os.environ.get("SENCRM_TRIAL_ROWS", "3000"))
EVERY = 40


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def _spreadsheet(rows: list[list[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Khách hàng")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _keys(row: list[str]) -> set[tuple[str, str]]:
    email, phone = row[1].strip().lower(), normalize_phone(row[2]) if row[2] else ""
    return {k for k in (("email", email), ("phone", phone)) if k[1]}


def _expected(rows: list[list[str]], existing: set) -> tuple[int, int]:
    """What "skip on a match" must do, worked out independently: (created, skipped)."""
    seen, created = set(existing), 0
    for row in rows:
        keys = _keys(row)
        if keys & seen:
            continue
        seen |= keys
        created += 1
    return created, len(rows) - created


def test_a_50000_row_spreadsheet_goes_in_and_anyone_is_found_without_accents(org):
    rows = list(sample_rows(ROWS, seed=7, duplicate_every=EVERY))
    # Two people already in the CRM: one by phone typed differently, one by email in other case.
    by_phone, by_email = rows[10], rows[11]
    old_phone = record_create(
        Contact, by=org.erin, data={"full_name": by_phone[0], "mobile": normalize_phone(by_phone[2])}
    )
    old_email = record_create(
        Contact, by=org.erin, data={"full_name": by_email[0], "email": by_email[1].upper() or "x@example.vn"}
    )
    existing = {("phone", old_phone.mobile), ("email", old_email.email)}
    created, skipped = _expected(rows, existing)
    assert skipped > ROWS // EVERY // 2  # the file really holds duplicates (most repeats are)

    job, _table = import_create(
        user=org.erin, entity="crm.contact", upload=SimpleUploadedFile("khach-hang.xlsx", _spreadsheet(rows))
    )
    assert job.params["mapping"] == {
        "0": "full_name",
        "1": "email",
        "2": "mobile",
        "3": "company",
        "4": "job_title",
        "5": "city",
        "6": "street",
        "7": "birthday",
        "8": "tags",
    }
    import_configure(job, mapping=job.params["mapping"], match="skip")
    job = import_run(job.pk)

    assert job.status == Job.Status.DONE, job.message
    assert job.counts["rows"] == ROWS and job.counts["errors"] == 0
    assert (job.counts["created"], job.counts["skipped"]) == (created, skipped)
    assert Contact.objects.count() == created + 2
    # Nothing silently dropped: every skipped row is in the error file with the record it matches.
    messages = [e["message"] for e in import_errors(job, limit=ROWS)]
    assert len(messages) == skipped
    assert f"Matches an existing record (#{old_phone.pk}); skipped." in messages
    assert f"Matches an existing record (#{old_email.pk}); skipped." in messages
    assert any("of this file; skipped" in m for m in messages)
    # Stored normalised: E.164 phones, lower-case emails, Vietnamese name parts, provinces, tags.
    sample = Contact.objects.exclude(pk__in=[old_phone.pk, old_email.pk]).order_by("pk").first()
    assert sample.full_name == rows[0][0] and sample.mobile == normalize_phone(rows[0][2])
    assert sample.family_name == rows[0][0].split()[0] and sample.given_name == rows[0][0].split()[-1]
    assert Contact.objects.filter(province__isnull=False).count() > created // 2
    assert Contact.objects.filter(tags__isnull=False).distinct().count() > created // 2

    # Anyone in it is found by typing the name without accents (and by phone typed another way).
    for row in (rows[1], rows[ROWS // 2], rows[-3]):
        contact = Contact.objects.get(mobile=normalize_phone(row[2]))  # none of them is a repeat
        plain = fold(row[0])
        assert plain.isascii()
        hits = search(org.erin, plain, types=["contact"], limit=50)
        assert contact.pk in [h.id for h in hits], (plain, [h.title for h in hits])
        national = "0" + contact.mobile[3:]
        hits = search(org.erin, f"{national[:4]} {national[4:7]} {national[7:]}", types=["contact"])
        assert [h.id for h in hits] == [contact.pk]
