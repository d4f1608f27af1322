"""Import of real files (../shared/testdata, copied to ./data with their licences), encodings and
bad input, through the import service (``import_create`` + ``import_run``)."""
# ruff: noqa: E501 - CSV fixtures read best as one line

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sencrm.core.imports import legacy
from sencrm.core.imports.readers import ImportFileError
from sencrm.core.imports.service import (
    import_configure,
    import_create,
    import_errors,
    import_run,
    import_undo,
)
from sencrm.core.models import AuditEntry, ImportRow, Job
from sencrm.crm.models import Account, Contact, Lead

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def run_import(user, name, content: bytes, entity="crm.contact", match="skip", mapping=None) -> Job:
    job, _table = import_create(user=user, entity=entity, upload=SimpleUploadedFile(name, content))
    if mapping is not None or match != "skip":
        import_configure(job, mapping=mapping if mapping is not None else job.params["mapping"], match=match)
    return import_run(job.pk)


def vcard(user, name) -> Job:
    return run_import(user, name, (DATA / "vcard" / f"ezvcard__{name}").read_bytes())


def contacts():
    return list(Contact.objects.order_by("id"))


def error_lines(job) -> list[list[str]]:
    with job.result_file.open("rb") as f:
        return list(csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline="")))


# --- vCards -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cards"),
    [
        ("John_Doe_ANDROID.vcf", 6), ("John_Doe_BLACK_BERRY.vcf", 1), ("John_Doe_EVOLUTION.vcf", 1),
        ("John_Doe_GMAIL.vcf", 1), ("John_Doe_IPHONE.vcf", 1), ("John_Doe_LOTUS_NOTES.vcf", 1),
        ("John_Doe_MAC_ADDRESS_BOOK.vcf", 1), ("John_Doe_MS_OUTLOOK.vcf", 1), ("outlook-2003.vcf", 1),
        ("outlook-2007.vcf", 1), ("gmail-single.vcf", 1), ("gmail-single2.vcf", 1), ("gmail-list.vcf", 3),
        ("thunderbird-MoreFunctionsForAddressBook-extension.vcf", 1), ("rfc2426-example.vcf", 2),
        ("rfc6350-example.vcf", 1),
    ],
)  # fmt: skip
def test_every_vcard_imports_every_card(org, name, cards):
    job = vcard(org.alice, name)
    assert job.status == Job.Status.DONE, job.message
    assert job.counts["rows"] == cards
    assert job.counts["errors"] == 0, import_errors(job)
    assert Contact.objects.count() == cards


def test_radicale_vcard(org):
    run_import(org.alice, "r.vcf", (DATA / "vcard" / "vobject__radicale-1587.vcf").read_bytes())
    (c,) = contacts()
    assert (c.family_name, c.middle_name, c.given_name) == ("Family", "Additional", "Given")


def test_outlook_2007(org):
    vcard(org.alice, "outlook-2007.vcf")
    (c,) = contacts()
    assert (c.family_name, c.given_name) == ("Angstadt", "Michael")
    assert c.email == "mike.angstadt@gmail.com"
    assert c.job_title == "TheJobTitle"
    assert c.account.name == "TheCompany"
    assert c.mobile == "+841115554444"  # "(111) 555-4444", no country code: read as Vietnamese
    assert c.phone == "+841115551111"
    assert "555-2222" in c.description and "555-3333" in c.description  # further numbers kept
    assert c.street == "TheOffice, 222 Broadway"


def test_android_quoted_printable_soft_breaks(org):
    job = vcard(org.alice, "John_Doe_ANDROID.vcf")
    cs = contacts()
    assert [c.email for c in cs[:2]] == ["john.doe@company.com", "jane.doe@company.com"]
    assert cs[0].full_name == "john.doe@company.com"  # a card with only an email is named by it
    assert cs[2].family_name == "Ñ Ñ Ñ Ñ"
    assert cs[3].family_name == " ".join(["Ñ"] * 11)  # card 4: QP soft line breaks inside N
    # "123456" is no phone number: flagged, kept in the description, the card still imported.
    assert "123456" in cs[3].description
    assert job.counts["warnings"] >= 1


def test_iphone_cr_cr_lf(org):
    vcard(org.alice, "John_Doe_IPHONE.vcf")
    (c,) = contacts()
    assert (c.family_name, c.middle_name, c.given_name) == ("Doe", "Richter,James", "John")
    assert c.email == "john.doe@ibm.com"
    assert c.account.name == "IBM"


def test_lotus_notes_profile_line(org):
    vcard(org.alice, "John_Doe_LOTUS_NOTES.vcf")
    (c,) = contacts()
    assert (c.family_name, c.middle_name, c.given_name) == ("Doe", "Johny", "John")
    assert c.email == "john.doe@ibm.com"
    assert c.email2 == "billy_bob@gmail.com"
    assert c.job_title == "Generic Accountant"


def test_gmail_list(org):
    vcard(org.alice, "gmail-list.vcf")
    assert [(c.given_name, c.family_name, c.email) for c in contacts()] == [
        ("Arnold", "Smith", "asmithk@gmail.com"),
        ("Chris", "Beatle", "chrisy55d@yahoo.com"),
        ("Doug", "White", "dwhite@gmail.com"),
    ]


def test_rfc2426_lower_case_begin(org):
    vcard(org.alice, "rfc2426-example.vcf")
    cs = contacts()
    assert [(c.family_name, c.given_name) for c in cs] == [("Frank", "Dawson"), ("Tim", "Howes")]
    assert cs[0].full_name == "Frank Dawson"  # no N: FN split the Vietnamese way (họ first)
    assert [c.email for c in cs] == ["frank_dawson@lotus.com", "howes@netscape.com"]
    assert cs[0].email2 == "fdawson@earthlink.net"
    assert cs[1].phone == "+14159373419"


def test_vcard_with_a_bad_line_skips_that_card_only(org):
    content = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:An Nguyễn\r\nEMAIL:an@example.vn\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bình Trần\r\nthis line is garbage\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Chi Lê\r\nTEL;TYPE=CELL:0912 345 678\r\nEND:VCARD\r\n"
    ).encode()
    job = run_import(org.alice, "x.vcf", content)
    assert [c.full_name for c in contacts()] == ["An Nguyễn", "Chi Lê"]
    assert contacts()[1].mobile == "+84912345678"
    assert job.counts["errors"] == 1
    assert error_lines(job)[1][0] == "2" and "this line is garbage" in error_lines(job)[1][3]


# --- CRM exports --------------------------------------------------------------------------------------

CONTACT_EXPORTS = [
    "hubspot_contacts.csv", "salesforce_data_export_Contact.csv", "salesforce_dataloader_extract_Contact.csv",
    "suitecrm_Contacts.csv", "zoho_bulk_Contacts.csv", "zoho_bulkwrite_result_Contacts.csv",
]  # fmt: skip


@pytest.mark.parametrize("name", CONTACT_EXPORTS)
def test_crm_contact_exports_map_and_import(org, name):
    job = run_import(org.alice, name, (DATA / "exports" / name).read_bytes())
    assert job.status == Job.Status.DONE
    mapped = set(job.params["mapping"].values())
    assert {"email"} <= mapped and ({"family_name", "given_name"} <= mapped or "full_name" in mapped)
    assert job.counts["created"] == 2 and job.counts["errors"] == 0, import_errors(job)
    cs = contacts()
    assert [c.email for c in cs] == ["an.nguyen@example.vn", "s.obrien@example.ie"]
    assert cs[0].family_name == "Nguyễn" and cs[0].given_name == "Văn An"
    assert cs[1].given_name == "Siobhán"
    if name != "zoho_bulkwrite_result_Contacts.csv":  # its second row lacks the last name
        assert cs[1].family_name == "O'Brien"


def test_salesforce_contact_details(org):
    run_import(org.alice, "sf.csv", (DATA / "exports" / "salesforce_data_export_Contact.csv").read_bytes())
    an = contacts()[0]
    assert an.mobile == "+84901234567" and an.phone == "+842838221111"
    assert an.job_title == "Trưởng phòng Kinh doanh" and an.department == "Sales"
    assert an.birthday.isoformat() == "1985-04-30"
    assert an.salutation == "ong"  # "Mr."
    assert an.description == "Gặp ở hội thảo\nlần 2"


@pytest.mark.parametrize(
    "name",
    [
        "hubspot_companies.csv",
        "salesforce_data_export_Account.csv",
        "suitecrm_Accounts.csv",
        "zoho_bulk_Accounts.csv",
    ],
)
def test_crm_account_exports_map_and_import(org, name):
    job = run_import(org.alice, name, (DATA / "exports" / name).read_bytes(), entity="crm.account")
    assert job.counts["created"] == 2 and job.counts["errors"] == 0, import_errors(job)
    assert [a.name for a in Account.objects.order_by("id")] == [
        "Công ty TNHH Giải pháp Số",
        "Acme Holdings, Ltd.",
    ]
    assert Account.objects.order_by("id").first().phone == "+842838221111"


def test_leads_import(org):
    content = "Họ tên,Công ty,Email,SĐT,Nguồn\nNguyễn Văn Đức,Cty A,DUC@Example.VN,0168 123 4567,Facebook\n".encode()
    job = run_import(org.alice, "leads.csv", content, entity="crm.lead")
    assert job.counts["created"] == 1, import_errors(job)
    lead = Lead.objects.get()
    assert (lead.family_name, lead.middle_name, lead.given_name) == ("Nguyễn", "Văn", "Đức")
    assert lead.email == "duc@example.vn"
    assert lead.mobile == "+84381234567"  # old 11-digit Viettel 0168 → 038
    assert lead.company == "Cty A" and lead.source == "social"


# --- encodings ----------------------------------------------------------------------------------------

VI_CSV = "Họ tên,Email,Điện thoại\nNguyễn Văn Đức,duc@example.vn,0912345678\nTrần Thị Thuỷ,thuy@example.vn,0987654321\n"


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows wrote it: base letter (+ hat/breve/horn) + combining tone."""
    import unicodedata

    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in d if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in tones))
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (VI_CSV.encode("utf-8"), "utf-8"),
        (VI_CSV.encode("utf-8-sig"), "utf-8-sig"),
        (VI_CSV.replace(",", "\t").encode("utf-16"), "utf-16"),  # Excel "Unicode text": UTF-16LE + BOM, tabs
        (VI_CSV.replace(",", ";").encode("utf-8"), "utf-8"),
        (_cp1258(VI_CSV), "cp1258"),
    ],
)
def test_encodings_and_delimiters(org, content, encoding):
    job = run_import(org.alice, "vi.csv", content)
    assert job.params["encoding"] == encoding
    assert [(c.full_name, c.mobile) for c in contacts()] == [
        ("Nguyễn Văn Đức", "+84912345678"),
        ("Trần Thị Thuỷ", "+84987654321"),
    ]


@pytest.mark.parametrize("font", ["tcvn3", "vni"])
def test_legacy_font_csv_is_converted(org, font):
    encode = legacy.tcvn3_encode if font == "tcvn3" else legacy.vni_encode
    content = encode(VI_CSV).encode("cp1252")
    job = run_import(org.alice, f"{font}.csv", content)
    assert job.params["legacy"] == font
    assert [c.full_name for c in contacts()] == ["Nguyễn Văn Đức", "Trần Thị Thuỷ"]


def test_legacy_font_xlsx_is_converted(org):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([legacy.tcvn3_encode("Họ tên"), "Email"])
    ws.append([legacy.tcvn3_encode("Nguyễn Văn Đức"), "duc@example.vn"])
    ws.append([legacy.tcvn3_encode("Lê Thị Hồng Nhung"), "nhung@example.vn"])
    buf = io.BytesIO()
    wb.save(buf)
    job = run_import(org.alice, "old.xlsx", buf.getvalue())
    assert job.params["legacy"] == "tcvn3"
    assert [c.full_name for c in contacts()] == ["Nguyễn Văn Đức", "Lê Thị Hồng Nhung"]


def test_xlsx_numbers_dates_and_formulas(org):
    import datetime

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ tên", "Di động", "Ngày sinh", "Chức vụ"])
    ws.append(
        [
            "Phạm Minh Châu",
            912345678,
            datetime.datetime(1990, 5, 1),  # noqa: DTZ001 - Excel cells have no time zone
            '=HYPERLINK("http://evil.example","x")',
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    job = run_import(org.alice, "c.xlsx", buf.getvalue())
    assert job.counts["created"] == 1, import_errors(job)
    c = Contact.objects.get()
    assert c.mobile == "+84912345678" and c.birthday == datetime.date(1990, 5, 1)
    assert c.job_title == '=HYPERLINK("http://evil.example","x")'  # stored as text, never evaluated


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.csv", bytes(range(256)) * 40, "not a text file"),
        ("sheet.xlsx", b"PK\x03\x04 this is not really a zip", "not a valid Excel workbook"),
        ("sheet.xlsx", b"Name,Email\nAn,an@example.vn\n", "not a valid Excel workbook"),
        (
            "unknown.csv",
            "Tên,Email\n".encode() + bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 20 + b",x@y.vn\n",
            "encoding",
        ),
        ("header.csv", b"Name,Email\r\n", "header row but no data"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_unreadable_files_are_refused_before_anything_is_stored(org, name, content, message):
    with pytest.raises(ImportFileError, match=message):
        import_create(user=org.alice, entity="crm.contact", upload=SimpleUploadedFile(name, content))
    assert Job.objects.count() == 0 and Contact.objects.count() == 0


def test_oversized_upload(org, settings):
    settings.SENCRM_IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportFileError, match="too large"):
        import_create(
            user=org.alice, entity="crm.contact", upload=SimpleUploadedFile("a.csv", b"Name\n" + b"x" * 200)
        )


def test_a_10_mb_cell_is_an_error_row_not_a_crash(org):
    content = (
        "Họ tên,Ghi chú\nAn Nguyễn,ok\nBình Trần,".encode()
        + b"x" * (10 * 1024 * 1024)
        + "\nChi Lê,ok\n".encode()
    )
    job = run_import(org.alice, "big.csv", content)
    assert job.status == Job.Status.DONE
    assert [c.full_name for c in contacts()] == ["An Nguyễn", "Chi Lê"]
    lines = error_lines(job)
    assert lines[1][:2] == ["3", "Ghi chú"] and len(lines[1][2]) <= 201 and "characters" in lines[1][3]


def test_failing_rows_do_not_stop_the_others_and_the_error_file_lists_them(org):
    content = (
        "Họ tên,Email,Di động\n"
        "An Nguyễn,an@example.vn,0912345678\n"
        ",nobody@example.vn,\n"
        "Bình Trần,not-an-email,\n"
        "Chi Lê,chi@example.vn,0987654321\n"
    ).encode()
    job = run_import(org.alice, "e.csv", content)
    assert job.counts == {
        "rows": 4,
        "created": 3,
        "updated": 0,
        "skipped": 0,
        "errors": 1,
        "warnings": 1,
        "side_created": 0,
    }
    assert error_lines(job) == [
        ["row", "column", "value", "message"],
        ["3", "Họ tên", "", "Enter the contact's name."],
        ["4", "Email", "not-an-email", "Not an email address; kept in the description (row imported)."],
    ]
    assert import_errors(job)[0] == {
        "row": 3,
        "column": "Họ tên",
        "value": "",
        "message": "Enter the contact's name.",
    }
    assert Contact.objects.get(full_name="Bình Trần").description == "Email: not-an-email"


def test_fatal_error_leaves_the_database_unchanged(org, monkeypatch):
    from sencrm.core.imports import service

    content = ("Họ tên,Email\n" + "".join(f"Người {i},p{i}@example.vn\n" for i in range(1200))).encode()
    job, _t = import_create(user=org.alice, entity="crm.contact", upload=SimpleUploadedFile("f.csv", content))
    real_flush, calls = service._flush, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_flush(*args, **kwargs)

    monkeypatch.setattr(service, "_flush", flaky)
    monkeypatch.setattr(service, "BATCH", 500)  # the second of three batches fails
    audit_before = AuditEntry.objects.count()
    job = import_run(job.pk)
    assert job.status == Job.Status.FAILED and "nothing was stored" in job.message
    assert Contact.objects.count() == 0 and ImportRow.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


# --- matching and undo ----------------------------------------------------------------------------------


def _existing(org):
    from sencrm.core.services.records import record_create

    return record_create(
        Contact,
        by=org.alice,
        data={"full_name": "An Nguyễn", "email": "an@example.vn", "job_title": "Kế toán"},
    )


MATCH_CSV = "Họ tên,Email,Chức vụ,Di động\nAn Nguyễn,AN@example.vn,Giám đốc,\nMới Lê,moi@example.vn,,0912 345 678\nMới Lê,,,0912345678\n".encode()


def test_match_skip(org):
    _existing(org)
    job = run_import(org.alice, "m.csv", MATCH_CSV)
    assert job.counts["created"] == 1 and job.counts["skipped"] == 2
    assert Contact.objects.get(email="an@example.vn").job_title == "Kế toán"
    messages = [line[3] for line in error_lines(job)[1:]]
    assert "Matches an existing record" in messages[0] and "row 3 of this file" in messages[1]


def test_match_update_and_undo_restores(org):
    an = _existing(org)
    job = run_import(org.alice, "m.csv", MATCH_CSV, match="update")
    assert job.counts["updated"] == 1 and job.counts["created"] == 1
    an.refresh_from_db()
    assert an.job_title == "Giám đốc" and an.version == 2
    import_undo(job, by=org.alice)
    an.refresh_from_db()
    assert an.job_title == "Kế toán"
    assert list(Contact.objects.values_list("full_name", flat=True)) == ["An Nguyễn"]
    assert Job.objects.get(pk=job.pk).status == Job.Status.UNDONE


def test_match_create_anyway(org):
    _existing(org)
    job = run_import(org.alice, "m.csv", MATCH_CSV, match="create")
    assert job.counts["created"] == 3 and Contact.objects.count() == 4


def test_undo_removes_created_records_and_accounts_made_for_them(org):
    job = run_import(org.alice, "h.csv", (DATA / "exports" / "hubspot_contacts.csv").read_bytes())
    assert Contact.objects.count() == 2 and Account.objects.count() == 2
    assert AuditEntry.objects.filter(entity="crm.contact", kind="create").count() == 2
    import_undo(job, by=org.alice)
    assert Contact.objects.count() == 0 and Account.objects.count() == 0


def test_undo_sends_records_changed_since_to_the_trash(org):
    from sencrm.core.services.records import record_update

    job = run_import(org.alice, "e.csv", "Họ tên\nAn Nguyễn\nBình Trần\n".encode())
    changed = Contact.objects.get(full_name="Bình Trần")
    record_update(changed, by=org.alice, data={"job_title": "Kế toán"})
    import_undo(job, by=org.alice)
    assert Contact.objects.alive().count() == 0
    assert list(Contact.objects.deleted().values_list("pk", flat=True)) == [changed.pk]


def test_owner_column(org):
    content = "Họ tên,Người phụ trách\nAn Nguyễn,bob\nBình Trần,mallory@example.vn\nChi Lê,\n".encode()
    run_import(org.carol, "o.csv", content)  # carol: branch Hà Nội
    owners = dict(Contact.objects.values_list("full_name", "owner__username"))
    assert owners == {"An Nguyễn": "bob", "Bình Trần": "carol", "Chi Lê": "carol"}  # mallory is in HCM
