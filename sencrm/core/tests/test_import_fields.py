"""Tags and custom-field columns in imports, and the undo of an import as a background job."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from sencrm.core.imports import get_adapter
from sencrm.core.imports.mapping import suggest_mapping
from sencrm.core.imports.service import (
    import_configure,
    import_create,
    import_run,
    import_undo_start,
)
from sencrm.core.models import CustomField, Job, Tag
from sencrm.crm.models import Contact


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def fields(db):
    CustomField.objects.create(
        entity="crm.contact", key="loyalty", label="Hạng thành viên", type="choice", choices=["Vàng", "Bạc"]
    )
    CustomField.objects.create(entity="crm.contact", key="spend", label="Tổng chi tiêu", type="money")
    CustomField.objects.create(entity="crm.contact", key="first_visit", label="Lần đầu đến", type="date")
    CustomField.objects.create(entity="crm.contact", key="zalo_ok", label="Có Zalo", type="bool")
    CustomField.objects.create(entity="crm.contact", key="old", label="Cũ", active=False)
    CustomField.objects.create(entity="crm.account", key="spend", label="Doanh số", type="money")


def run(user, content: str, match="skip", mapping=None) -> Job:
    job, _t = import_create(
        user=user, entity="crm.contact", upload=SimpleUploadedFile("f.csv", content.encode())
    )
    if mapping is not None or match != "skip":
        import_configure(job, mapping=mapping or job.params["mapping"], match=match)
    return import_run(job.pk)


def error_lines(job) -> list[list[str]]:
    if not job.result_file:
        return []
    with job.result_file.open("rb") as f:
        return list(csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline="")))[1:]


HEAD = "Họ tên,Email,Thẻ,Hạng thành viên,Tổng chi tiêu,Lần đầu đến,Có Zalo\n"


def test_tag_and_custom_field_columns_are_suggested_by_label(org, fields):
    adapter = get_adapter("crm.contact")
    mapping = suggest_mapping([*HEAD.strip().split(","), "Cũ", "Nhãn"], adapter)
    assert mapping == {
        0: "full_name",
        1: "email",
        2: "tags",
        3: "custom.loyalty",
        4: "custom.spend",
        5: "custom.first_visit",
        6: "custom.zalo_ok",
    }  # the inactive field is not offered; "Nhãn" would be tags but the first column won
    assert suggest_mapping(["Nhãn"], adapter) == {0: "tags"}


def test_tags_and_custom_values_are_stored(org, fields):
    Tag.objects.create(name="Khách VIP")
    job = run(
        org.alice,
        HEAD + "An Nguyễn,an@example.vn,khach vip; Đại lý,vàng,1.500.000,30/04/2024,có\n"
        "Bình Trần,binh@example.vn,,,,,\n",
    )
    assert job.status == "done" and job.counts["created"] == 2 and job.counts["errors"] == 0
    an = Contact.objects.get(email="an@example.vn")
    assert sorted(an.tags.values_list("name", flat=True)) == ["Khách VIP", "Đại lý"]
    assert an.custom == {"loyalty": "Vàng", "spend": 1500000, "first_visit": "2024-04-30", "zalo_ok": True}
    assert Contact.objects.get(email="binh@example.vn").custom == {}
    assert Tag.objects.count() == 2  # "khach vip" is the existing tag


def test_bad_custom_values_are_errors_on_their_column(org, fields):
    job = run(
        org.alice,
        HEAD + "An Nguyễn,an@example.vn,,Kim cương,,,\n"
        "Bình Trần,binh@example.vn,,,12.5,,\n"
        "Chi Lê,chi@example.vn,,,,31/02/2024,\n"
        "Dũng Phạm,dung@example.vn,,,,,có lẽ\n"
        "Em Võ,em@example.vn,,Bạc,abc,,\n",
    )
    assert job.counts["created"] == 0 and job.counts["errors"] == 5
    assert error_lines(job) == [
        ["2", "Hạng thành viên", "Kim cương", "Choose one of: Vàng, Bạc."],
        ["3", "Tổng chi tiêu", "12.5", "Amounts in VND have no decimals."],
        ["4", "Lần đầu đến", "31/02/2024", "Enter a valid date."],
        ["5", "Có Zalo", "có lẽ", "Enter yes or no."],
        ["6", "Tổng chi tiêu", "abc", "Enter a number."],
    ]
    assert Contact.objects.count() == 0


def test_a_required_custom_field_missing_from_the_file_fails_every_row(org, fields):
    CustomField.objects.create(entity="crm.contact", key="cccd", label="Số CCCD", required=True)
    job = run(org.alice, "Họ tên\nAn Nguyễn\n")
    assert job.counts["errors"] == 1 and Contact.objects.count() == 0
    assert error_lines(job) == [["2", "custom.cccd", "", "Số CCCD is required."]]


def test_a_long_tag_is_cut_like_tags_elsewhere_and_blank_parts_ignored(org, fields):
    run(org.alice, "Họ tên,Thẻ\nAn Nguyễn," + "x" * 80 + ";;  ,\n")
    assert list(Contact.objects.get().tags.values_list("name", flat=True)) == ["x" * 60]


def test_update_adds_tags_merges_custom_values_and_undo_puts_them_back(
    org, fields, django_capture_on_commit_callbacks
):
    from sencrm.core.services.records import record_create

    an = record_create(
        Contact,
        by=org.alice,
        data={"full_name": "An Nguyễn", "email": "an@example.vn"},
        custom={"loyalty": "Bạc", "zalo_ok": False},
        tags=["Cũ"],
    )
    job = run(org.alice, HEAD + "An Nguyễn,AN@example.vn,Mới,Vàng,2000000,,\n", match="update")
    assert job.counts["updated"] == 1
    an.refresh_from_db()
    assert sorted(an.tags.values_list("name", flat=True)) == ["Cũ", "Mới"]
    assert an.custom == {"loyalty": "Vàng", "zalo_ok": False, "spend": 2000000}
    with django_capture_on_commit_callbacks(execute=True):
        undo = import_undo_start(job, by=org.alice)
    undo.refresh_from_db()
    assert undo.kind == "undo" and undo.status == "done" and undo.counts == {"removed": 0, "restored": 1}
    an.refresh_from_db()
    assert list(an.tags.values_list("name", flat=True)) == ["Cũ"]
    assert an.custom == {"loyalty": "Bạc", "zalo_ok": False}
    assert Job.objects.get(pk=job.pk).status == "undone"


def test_undo_runs_as_a_job_after_commit_and_reports_progress(org, django_capture_on_commit_callbacks):
    job = run(org.alice, "Họ tên\n" + "".join(f"Người {i}\n" for i in range(1500)))
    assert Contact.objects.count() == 1500
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        undo = import_undo_start(job, by=org.alice)
    # Nothing happens in the request: the job waits for the task queue.
    assert Contact.objects.count() == 1500 and undo.status == "pending" and undo.total == 1500
    assert Job.objects.get(pk=job.pk).params["undo_job"] == undo.pk
    with pytest.raises(ValidationError, match="already being undone"):
        import_undo_start(job, by=org.alice)
    seen = []
    from sencrm.core.services import jobs

    real = jobs.job_progress

    def spy(job_id, *, done, total=None):
        seen.append(done)
        real(job_id, done=done, total=total)

    import sencrm.core.imports.service as service

    service.job_progress, saved = spy, service.job_progress
    try:
        for callback in callbacks:
            callback()
    finally:
        service.job_progress = saved
    assert seen == [1000, 1500]
    undo.refresh_from_db()
    assert undo.status == "done" and undo.done == 1500 and undo.counts == {"removed": 1500, "restored": 0}
    assert Contact.objects.count() == 0 and Job.objects.get(pk=job.pk).status == "undone"
    with pytest.raises(ValidationError, match="finished import"):
        import_undo_start(Job.objects.get(pk=job.pk), by=org.alice)


def test_a_failed_undo_leaves_the_import_undoable(org, monkeypatch, django_capture_on_commit_callbacks):
    import sencrm.core.imports.service as service

    job = run(org.alice, "Họ tên\nAn Nguyễn\n")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_remove_created", broken)
    with django_capture_on_commit_callbacks(execute=True):
        undo = import_undo_start(job, by=org.alice)
    undo.refresh_from_db()
    assert undo.status == "failed" and "start it again" in undo.message
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.status == "done"
    with django_capture_on_commit_callbacks(execute=True):
        again = import_undo_start(job, by=org.alice)
    assert Job.objects.get(pk=again.pk).status == "done" and Contact.objects.count() == 0


def test_mapping_and_preview_pages_offer_tags_and_custom_fields(org, fields):
    import re

    from django.test import Client

    from sencrm.core.models import User

    User.objects.filter(pk=org.alice.pk).update(language="en")
    client = Client()
    client.force_login(org.alice)
    upload = SimpleUploadedFile("f.csv", (HEAD + "An Nguyễn,an@example.vn,VIP,Vàng,1.000.000,,x\n").encode())
    r = client.post("/imports/new/", {"entity": "crm.contact", "file": upload})
    job = Job.objects.get()
    page = client.get(r["Location"]).content.decode()
    assert re.search(r'name="col_2".*?<option value="tags" selected>Tags<', page, re.S)
    assert re.search(r'name="col_3".*?<option value="custom.loyalty" selected>Hạng thành viên<', page, re.S)
    assert 'value="custom.old"' not in page  # inactive
    client.post(
        r["Location"], {"col_0": "full_name", "col_2": "tags", "col_4": "custom.spend", "col_9": "tags"}
    )
    assert Job.objects.get().params["mapping"] == {"0": "full_name", "2": "tags", "4": "custom.spend"}
    preview = client.get(f"/imports/{job.pk}/preview/").content.decode()
    assert "Tổng chi tiêu" in preview and "1.000.000" in preview
