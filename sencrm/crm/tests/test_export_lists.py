"""Exports of record lists: filters, sort, columns, visibility, rights, formats, large exports."""

import csv
import io

import pytest
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook

from sencrm.common.exports import safe_text
from sencrm.core.models import CustomField, Job
from sencrm.crm.tests.views_support import login, make, url


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_honours_filters_sort_columns_and_visibility(client, org, settings):
    settings.LANGUAGE_CODE = "en"
    b = make("contact", org.alice, "Trần Văn Bình", email="binh@example.vn", tags=["VIP"])
    a = make("contact", org.alice, "Nguyễn Thị Ánh", email="anh@example.vn", tags=["VIP"])
    make("contact", org.alice, "Lê Văn Cường", email="cuong@example.vn")  # no tag: filtered out
    make("contact", org.mallory, "Võ Thị Mai", email="mai@example.vn", tags=["VIP"])  # not alice's
    login(client, org.alice)
    tag = a.tags.get()
    response = client.get(
        url("contact", "export"),
        {"format": "csv", "tag": tag.pk, "sort": "-full_name", "columns": ["full_name", "email", "tags"]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows == [
        ["Name", "Email", "Tags"],
        [b.full_name, "binh@example.vn", "VIP"],
        [a.full_name, "anh@example.vn", "VIP"],
    ]
    job = Job.objects.get(kind=Job.Kind.EXPORT)  # the export audit
    assert (job.user, job.entity, job.status, job.counts) == (org.alice, "crm.contact", "done", {"rows": 2})
    assert f"tag={tag.pk}" in job.params["query"]
    assert job.params["columns"] == ["full_name", "email", "tags"]


def test_values_are_formatted_for_people(client, org):
    CustomField.objects.create(entity="crm.opportunity", key="budget", label="Ngân sách", type="money")
    import datetime

    make(
        "opportunity", org.erin, "Deal lớn", amount=1_250_000, expected_close=datetime.date(2026, 3, 5),
        custom={"budget": 9000000},
    )  # fmt: skip
    login(client, org.erin, "vi")
    response = client.get(
        url("opportunity", "export"),
        {"format": "csv", "columns": ["name", "amount", "expected_close", "status", "cf_budget"]},
    )
    rows = _csv(response)
    assert rows[1] == ["Deal lớn", "1250000", "05/03/2026", "Đang mở", "9000000"]


def test_csv_injection_is_neutralised(client, org):
    make("contact", org.erin, '=HYPERLINK("http://evil","x")', job_title="+cmd")
    login(client, org.erin)
    rows = _csv(client.get(url("contact", "export"), {"columns": ["full_name", "job_title"]}))
    assert rows[1] == ['\'=HYPERLINK("http://evil","x")', "'+cmd"]
    assert [safe_text(s) for s in ["-1", "\tx", "\rx", "ok", ""]] == ["'-1", "'\tx", "'\rx", "ok", ""]


def test_xlsx_opens_with_the_right_cells(client, org):
    make("contact", org.erin, "Nguyễn Thị Ánh", email="anh@example.vn", job_title="=1+1")
    login(client, org.erin)
    response = client.get(
        url("contact", "export"), {"format": "xlsx", "columns": ["full_name", "job_title", "email"]}
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    assert rows == [["Name", "Job title", "Email"], ["Nguyễn Thị Ánh", "'=1+1", "anh@example.vn"]]


def test_vcard_round_trips_vietnamese_names(client, org):
    c = make(
        "contact", org.erin, "Nguyễn Thị Ánh", family_name="Nguyễn", middle_name="Thị", given_name="Ánh",
        mobile="0912345678", email="anh@example.vn", description="Dòng 1\nDòng 2; có dấu, phẩy " * 4,
    )  # fmt: skip
    login(client, org.erin)
    response = client.get(url("contact", "export"), {"format": "vcard"})
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    unfolded = body.replace("\r\n ", "")
    assert "N:Nguyễn;Ánh;Thị;;\r\n" in unfolded
    assert "FN:Nguyễn Thị Ánh\r\n" in unfolded
    assert f"TEL;TYPE=CELL:{c.mobile}\r\n" in unfolded
    assert "NOTE:Dòng 1\\nDòng 2\\; có dấu\\, phẩy" in unfolded
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    # vCard is for contacts only.
    assert client.get(url("account", "export"), {"format": "vcard"}).status_code == 400


def test_export_needs_the_export_right(client, org):
    make("contact", org.alice, "Nguyễn Thị Ánh")
    login(client, org.viewer)
    assert client.get(url("contact", "export")).status_code == 403
    page = client.get(url("contact", "list")).content.decode()
    assert 'data-testid="export-menu"' not in page
    assert 'data-testid="bulk-form"' not in page
    assert Job.objects.count() == 0
    login(client, org.alice)
    assert 'data-testid="export-menu"' in client.get(url("contact", "list")).content.decode()


def test_large_export_becomes_a_job_only_its_owner_downloads(
    client, org, settings, django_capture_on_commit_callbacks
):
    settings.SENCRM_EXPORT_INLINE_ROWS = 2
    for i in range(3):
        make("lead", org.alice, f"Phạm Văn {i}")
    make("lead", org.mallory, "Võ Văn Mai")
    login(client, org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("lead", "export"), {"format": "csv", "columns": ["full_name"]})
    job = Job.objects.get(kind=Job.Kind.EXPORT)
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/status/"
    job.refresh_from_db()  # HUEY immediate in tests: already run
    assert (job.status, job.counts, job.total) == ("done", {"rows": 3}, 3)
    page = client.get(f"/jobs/{job.pk}/status/")
    assert 'data-testid="download"' in page.content.decode()
    download = client.get(reverse("job_result", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert sorted(body.split("\r\n")[1:-1]) == ["Phạm Văn 0", "Phạm Văn 1", "Phạm Văn 2"]
    login(client, org.mallory)
    assert client.get(reverse("job_result", args=[job.pk])).status_code == 404
    assert client.get(f"/jobs/{job.pk}/status/").status_code == 404


def test_export_log_is_for_administrators(client, org):
    make("account", org.erin, "Công ty Sen")
    login(client, org.erin)
    client.get(url("account", "export"))
    assert client.get("/settings/exports/").status_code == 403
    login(client, org.admin)
    page = client.get("/settings/exports/")
    assert page.status_code == 200
    assert "crm.account" in page.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_queries_are_bounded(client, org, django_assert_max_num_queries, fmt):
    for i in range(30):
        make("contact", org.erin, f"Lê Văn {i}", tags=[f"T{i % 3}"])
    login(client, org.erin)
    with django_assert_max_num_queries(16):
        response = client.get(
            url("contact", "export"), {"format": fmt, "columns": ["full_name", "owner", "tags"]}
        )
        b"".join(response.streaming_content)


def test_api_export_streams_small_and_queues_large(client, org, settings):
    make("contact", org.alice, "Nguyễn Thị Ánh")
    make("contact", org.mallory, "Võ Thị Mai")
    login(client, org.alice)
    response = client.get("/api/v1/contacts/export", {"format": "csv", "columns": "full_name"})
    assert response.status_code == 200, response.content
    assert _csv(response) == [["Name"], ["Nguyễn Thị Ánh"]]
    settings.SENCRM_EXPORT_INLINE_ROWS = 0
    response = client.get("/api/v1/contacts/export", {"format": "csv"})
    assert response.status_code == 202
    assert response.json()["job"] == Job.objects.latest("pk").pk
    login(client, org.viewer)
    assert client.get("/api/v1/contacts/export").status_code == 403


# --- The fast reader (values in chunks) writes exactly what the record instances give ------------
def _reference_rows(plan) -> list[list]:
    """``cell_value`` of every column on model instances: what exports wrote before the fast path."""
    from sencrm.common.exports import cell_value

    qs = plan.queryset.select_related(*{r for c in plan.columns for r in c.select_related})
    return [[cell_value(c, obj, plan.users) for c in plan.columns] for obj in qs]


@pytest.mark.parametrize("kind", ["contacts", "accounts", "leads", "opportunities", "activities"])
def test_fast_rows_equal_the_instances_cells(org, settings, kind):
    import datetime

    from django.utils import translation

    from sencrm.common import exports
    from sencrm.crm.api_exports import LISTS

    settings.SENCRM_EXPORT_INLINE_ROWS = 5000
    entity = {"contacts": "contact", "accounts": "account", "leads": "lead", "opportunities": "opportunity",
              "activities": "activity"}[kind]  # fmt: skip
    for key, type_, extra in [
        ("so", "number", {}), ("tien", "money", {}), ("ngay", "date", {}), ("co", "bool", {}),
        ("ban", "user", {}), ("chon", "choice", {"choices": ["A", "B"]}),
        ("nhieu", "multi", {"choices": ["X", "Y"]}), ("chu", "text", {}),
    ]:  # fmt: skip
        CustomField.objects.create(entity=f"crm.{entity}", key=key, label=key, type=type_, **extra)
    customs = [
        {"so": 1.5, "tien": 2_000_000, "ngay": "2026-02-03", "co": True, "ban": org.bob.pk, "chon": "A",
         "nhieu": ["Y", "X"], "chu": "=SUM(A1)"},
        {"co": False, "so": -3},
        {},
    ]  # fmt: skip
    account = make("account", org.erin, "Công ty =Sen", phone="+84 24 3826 4567", tax_code="0101248141")
    phones = ["0912345678", "+84 24 3826 4567", "+1 650 253 0000", "0199 123 4567", ""]
    for i, custom in enumerate(customs * 2):
        extra = {}
        if entity in ("contact", "lead"):
            extra = {"mobile": phones[i % len(phones)], "email": f"x{i}@example.vn"}
        if entity == "contact":
            extra.update(
                account=account if i % 2 else None, do_not_contact=bool(i % 2),
                preferred_channel=["", "zalo"][i % 2], birthday=datetime.date(1990, 1, 1 + i),
            )  # fmt: skip
        if entity == "activity":
            extra = {
                "kind": "call" if i % 2 else "task",
                "occurred_at": datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.UTC),
            }
        if entity == "opportunity":
            extra = {"account": account, "expected_close": datetime.date(2026, 5, 1 + i)} if i % 2 else {}
        make(entity, org.erin if i % 3 else org.alice, f"-Tên {i}", custom=custom,
             tags=["VIP", "Đối tác"][: i % 3], **extra)  # fmt: skip
    view = LISTS[kind]
    from sencrm.core.services.custom_fields import custom_fields_for

    columns = [c.name for c in view().bound_columns(custom_fields_for(f"crm.{entity}"))]
    assert any(n.startswith("cf_") for n in columns)
    for language in ("en", "vi"):
        with translation.override(language):
            plan = exports.export_plan(view, org.erin, "sort=-created_at", columns)
            assert [c.name for c in plan.columns] == columns
            reference = _reference_rows(plan)
            assert len(reference) >= 6
            fast = [list(r) for r in plan.rows()]
            assert fast == reference
            texts = [list(r) for chunk in plan.text_chunks() for r in chunk]
            assert texts == [[exports.text_value(v) for v in row] for row in reference]
            # XLSX: the same cells, typed (dates come back as date-times), formulas neutralised.
            out = io.BytesIO()
            assert exports.write_xlsx(plan, out) == len(reference)
            out.seek(0)
            sheet = [list(r) for r in load_workbook(out, read_only=True).active.iter_rows(values_only=True)]
            assert sheet[0] == [safe_text(h) for h in plan.header()]
            expected = [[_as_read(v) for v in row] for row in reference]
            assert [[_ms(v) for v in row] for row in sheet[1:]] == [[_ms(v) for v in row] for row in expected]


def _ms(value):
    """Date-times to the millisecond (an Excel serial number keeps no more)."""
    import datetime

    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    return value


def _as_read(value):
    """A cell as openpyxl reads it back from an XLSX."""
    import datetime

    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, datetime.time())
    return value


def test_fast_rows_follow_visibility_filters_and_sort(org):
    from sencrm.common import exports
    from sencrm.crm.views.contacts import ContactListView

    for i in range(5):
        make("contact", org.alice, f"Lê Văn {i}", tags=["VIP"] if i % 2 else None)
    make("contact", org.mallory, "Võ Thị Mai", tags=["VIP"])
    from sencrm.core.models import Tag

    vip = Tag.objects.get(name="VIP")
    plan = exports.export_plan(
        ContactListView, org.alice, f"tag={vip.pk}&sort=-full_name", ["full_name", "tags"]
    )
    assert [list(r) for r in plan.rows()] == [["Lê Văn 3", "VIP"], ["Lê Văn 1", "VIP"]]


def test_label_fields_are_what_str_shows(org):
    from django.apps import apps

    from sencrm.common.exports import LABEL_FIELDS

    records = {
        "crm.account": make("account", org.erin, "Công ty A"),
        "crm.contact": make("contact", org.erin, "Nguyễn Văn A"),
        "crm.opportunity": make("opportunity", org.erin, "Deal A"),
        "crm.activity": make("activity", org.erin, "Gọi lại"),
    }
    for label, field_name in LABEL_FIELDS.items():
        obj = apps.get_model(label).objects.get(pk=records[label].pk)
        assert str(obj) == getattr(obj, field_name)


@pytest.mark.django_db(transaction=True)
def test_an_export_job_ends_well_while_others_write(monkeypatch):
    """SQLite: the job reads the export through one open statement; another connection writing
    meanwhile made its progress update fail ("database is locked") and the whole export with it."""
    import threading

    from django.db import connection

    from sencrm.common import exports
    from sencrm.common.testing import make_org
    from sencrm.core.services import jobs
    from sencrm.crm.models import Lead
    from sencrm.crm.views.leads import LeadListView

    org = make_org()
    for i in range(25):
        make("lead", org.alice, f"Phạm Văn {i}")
    monkeypatch.setattr(exports, "CHUNK_SIZE", 10)
    real = jobs.job_progress

    def after_another_write(job_id, **kwargs):
        def write():
            Lead.objects.filter(full_name="Phạm Văn 0").update(job_title="Kế toán")
            connection.close()

        other = threading.Thread(target=write)
        other.start()
        other.join()
        real(job_id, **kwargs)

    monkeypatch.setattr(jobs, "job_progress", after_another_write)
    plan = exports.export_plan(LeadListView, org.alice, QueryDict(""), ["full_name"])
    job = exports.export_record(plan, "csv", rows=25, inline=False)
    exports.export_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.counts) == ("done", {"rows": 25}), job.message
