"""An import in a real browser: upload → mapping (suggested, one changed) → preview → match choice →
run with the live progress bar → result counts and the error file.

The task queue is replaced by the test itself: clicking "Import" queues the job (nothing runs in
the request), then the test runs the task body, slowed down to a few rows a second in batches of
ten, while the page polls the job on its own. A script in the page records every value the bar
shows, so the test checks that the bar moved with the job (values between 0 and 100), not only
that it ended full.
"""

import time

import pytest
from django.urls import reverse

from sencrm.common.testing import make_org
from sencrm.core.models import Job
from sencrm.core.services.records import record_create
from sencrm.crm.models import Contact

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = 40
CSV = (
    "Họ và tên,Thư điện tử,Số điện thoại,Chức danh,Phòng\n"
    "An Nguyễn,AN@example.vn,0912 000 001,Giám đốc,Kinh doanh\n"  # the existing contact: skipped
    "Bình Trần,khong-phai-email,,Kế toán,Tài chính\n"  # a warning: kept in the description
    ",nobody@example.vn,,,\n"  # no name: an error
    + "".join(f"Người Thứ {i},nguoi{i}@example.vn,09130{i:05d},,Kho\n" for i in range(ROWS - 3))
).encode()

RECORD_BAR = """() => {
  window.__bar = [];
  setInterval(() => {
    const bar = document.querySelector('[data-testid=job-progress] [role=progressbar]');
    if (bar) window.__bar.push(Number(bar.getAttribute('aria-valuenow')));
  }, 100);
}"""


def test_import_with_mapping_preview_and_live_progress(page, live_server, monkeypatch):
    from sencrm.core.imports import service
    from sencrm.core.services import jobs

    org = make_org()
    record_create(Contact, by=org.alice, data={"full_name": "An Nguyễn", "email": "an@example.vn"})
    queued: list[int] = []
    monkeypatch.setattr(jobs, "job_enqueue", lambda job, task: queued.append(job.pk))

    log_in(page, org.alice)
    page.goto(reverse("import_new") + "?entity=crm.contact")
    page.locator("#id_file").set_input_files(
        {"name": "khach-hang.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_test_id("import-upload").locator("button[type=submit]").click()

    # Mapping: suggestions from the Vietnamese headers; "Phòng" is not recognised, the user maps it.
    mapping = page.get_by_test_id("mapping")
    mapping.wait_for()
    assert page.locator("select[name=col_0]").input_value() == "full_name"
    assert page.locator("select[name=col_1]").input_value() == "email"
    assert page.locator("select[name=col_2]").input_value() == "mobile"
    assert page.locator("select[name=col_3]").input_value() == "job_title"
    assert page.locator("select[name=col_4]").input_value() == ""
    page.locator("select[name=col_4]").select_option("department")
    page.get_by_test_id("mapping-next").click()

    # Preview: the row checks, nothing stored yet; the user chooses what a match does.
    preview = page.get_by_test_id("preview")
    preview.wait_for()
    assert preview.locator("tbody tr").count() == 20
    assert preview.locator("tbody tr.table-danger").count() == 1  # the row without a name
    assert preview.locator("tbody tr.table-warning").count() == 1  # the bad email
    assert "Tài chính" in preview.inner_text()  # the column mapped by hand
    assert Contact.objects.count() == 1
    page.locator("input[name=match][value=skip]").check()
    page.get_by_test_id("import-run").click()

    # Queued, not run in the request: the page shows a waiting bar that polls.
    page.wait_for_url(f"**/imports/{queued[0]}/")
    job = Job.objects.get(pk=queued[0])
    assert job.status == "pending" and job.params["match"] == "skip"
    assert job.params["mapping"]["4"] == "department"
    progress = page.get_by_test_id("job-progress").first
    assert progress.get_attribute("data-status") == "pending"
    page.evaluate(RECORD_BAR)

    # The worker: batches of ten rows, about two batches a second.
    monkeypatch.setattr(service, "BATCH", 10)
    real_open = service._open_job_table

    def slow_table(job):
        f, table = real_open(job)
        rows = table.rows

        def slow_rows():
            for item in rows():
                time.sleep(0.05)
                yield item

        table.rows = slow_rows
        return f, table

    monkeypatch.setattr(service, "_open_job_table", slow_table)
    service.import_run(job.pk)

    page.wait_for_function(
        "document.querySelector('[data-testid=job-progress]').dataset.status === 'done'", timeout=20_000
    )
    page.wait_for_function("window.__bar.at(-1) === 100")  # the recorder's next sample
    seen = page.evaluate("window.__bar")
    assert any(0 < value < 100 for value in seen), seen  # the bar followed the job
    assert seen == sorted(seen)  # and never went back
    counts = page.get_by_test_id("job-counts").inner_text()
    assert str(ROWS - 2) in counts  # created: all but the existing contact and the nameless row

    # The result page: counts and the error file.
    page.goto(reverse("import_detail", args=[job.pk]))
    table = page.get_by_test_id("import-counts")
    values = [v.strip() for v in table.locator("dd").all_inner_texts()]
    assert values == [str(ROWS), str(ROWS - 2), "0", "1", "1", "1"]
    with page.expect_download() as download:
        page.get_by_test_id("error-file").click()
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 4  # header, the warning and the error (as read), the skipped row (as stored)
    by_row = sorted(lines[1:])
    assert by_row[0].startswith("2,,,")  # skipped: same email as the existing contact
    assert by_row[1].startswith("3,Thư điện tử,khong-phai-email,")
    assert by_row[2].startswith("4,Họ và tên,,")
    assert Contact.objects.get(full_name="Bình Trần").department == "Tài chính"
    assert Contact.objects.count() == ROWS - 1
