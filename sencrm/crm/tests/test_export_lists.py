"""Exports of record lists: filters, sort, columns, visibility, rights, formats, large exports."""

import csv
import io

import pytest
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
