"""Import through the pages (upload → mapping → preview → run → result → undo) and the API,
with rights: viewer and noright get 403, another user's job is 404."""
# ruff: noqa: E501 - CSV fixtures read best as one line

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sencrm.core.models import Job, User
from sencrm.crm.models import Contact

DATA = Path(__file__).resolve().parents[2] / "core" / "tests" / "data"
CSV = "Họ tên,Email,Di động,Công ty\nNguyễn Văn Đức,duc@example.vn,0168 123 4567,Cty A\nTrần Thị Thuỷ,bad,,\n".encode()


def client_for(user) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def test_list_pages_show_the_import_button_to_users_who_may_create(org):
    page = client_for(org.alice).get("/contacts/")
    assert b'data-testid="import"' in page.content and b"/imports/new/?entity=crm.contact" in page.content
    assert b'data-testid="import"' not in client_for(org.viewer).get("/contacts/").content
    assert b"/imports/new/?entity=crm.account" in client_for(org.alice).get("/accounts/").content
    assert b"/imports/new/?entity=crm.lead" in client_for(org.alice).get("/leads/").content


def test_the_whole_flow(org, django_capture_on_commit_callbacks):
    c = client_for(org.alice)
    assert c.get("/imports/new/?entity=crm.contact").status_code == 200
    r = c.post("/imports/new/", {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", CSV)})
    assert r.status_code == 302
    job = Job.objects.get()
    assert r["Location"] == f"/imports/{job.pk}/mapping/"
    page = c.get(r["Location"]).content.decode()
    assert 'data-testid="encoding">utf-8<' in page
    assert re.search(r'name="col_0"[^>]*>.*?<option value="full_name" selected', page, re.S)
    r = c.post(r["Location"], {"col_0": "full_name", "col_1": "email", "col_2": "mobile", "col_3": "company"})
    assert r["Location"] == f"/imports/{job.pk}/preview/"
    page = c.get(r["Location"]).content.decode()
    assert "Not an email address" in page and "Nguyễn Văn Đức" in page
    assert Contact.objects.count() == 0  # the preview stores nothing
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/imports/{job.pk}/preview/", {"match": "skip"})
    assert r["Location"] == f"/imports/{job.pk}/"
    job.refresh_from_db()
    assert job.status == "done" and job.counts["created"] == 2
    duc = Contact.objects.get(email="duc@example.vn")
    assert duc.mobile == "+84381234567" and duc.account.name == "Cty A"
    page = c.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-undo"' in page and 'data-testid="error-file"' in page
    progress = c.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert 'data-status="done"' in progress and "hx-trigger" not in progress
    errors = c.get(f"/jobs/{job.pk}/result/")
    assert b"".join(errors.streaming_content).decode("utf-8-sig").splitlines()[1].startswith("3,Email,bad,")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/imports/{job.pk}/undo/")
    assert Contact.objects.count() == 0 and Job.objects.get(pk=job.pk).status == "undone"
    undo = Job.objects.get(kind="undo")
    assert undo.params == {"import": job.pk} and undo.status == "done" and undo.done == undo.total == 3
    assert undo.counts == {"removed": 3, "restored": 0}  # two contacts and the account made for one
    page = c.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="undo-progress"' in page and 'data-testid="import-undo"' not in page
    assert f'href="/imports/{job.pk}/"' in c.get(f"/jobs/{undo.pk}/progress/").content.decode()


def test_progress_fragment_polls_while_running(org):
    job = Job.objects.create(
        user=org.alice, kind="export", entity="crm.contact", status="running", total=10, done=4
    )
    page = client_for(org.alice).get(f"/jobs/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "width: 40%" in page
    assert client_for(org.bob).get(f"/jobs/{job.pk}/progress/").status_code == 404


def test_upload_errors_are_shown(org, settings):
    c = client_for(org.alice)
    r = c.post(
        "/imports/new/",
        {"entity": "crm.contact", "file": SimpleUploadedFile("x.csv", bytes(range(256)) * 10)},
    )
    assert r.status_code == 400 and b"not a text file" in r.content
    settings.SENCRM_IMPORT_MAX_BYTES = 10
    r = c.post("/imports/new/", {"entity": "crm.contact", "file": SimpleUploadedFile("x.csv", CSV)})
    assert r.status_code == 400 and b"too large" in r.content
    assert Job.objects.count() == 0


@pytest.mark.parametrize("persona", ["viewer", "noright"])
def test_users_without_the_create_right_get_403(org, persona):
    c = client_for(getattr(org, persona))
    assert c.get("/imports/new/?entity=crm.contact").status_code == 403
    r = c.post("/imports/new/", {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", CSV)})
    assert r.status_code == 403
    r = c.post("/api/v1/imports", {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", CSV)})
    assert r.status_code == 403
    assert Job.objects.count() == 0 and Contact.objects.count() == 0


def test_someone_elses_import_is_404(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(org.alice).post(
            "/api/v1/imports", {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", CSV)}
        )
    job_id = r.json()["id"]
    bob = client_for(org.bob)
    for url in (f"/imports/{job_id}/", f"/imports/{job_id}/mapping/", f"/jobs/{job_id}/result/"):
        assert bob.get(url).status_code == 404
    assert bob.get(f"/api/v1/imports/{job_id}").status_code == 404
    assert bob.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert bob.post(f"/imports/{job_id}/undo/").status_code == 404
    assert Contact.objects.count() == 2


def test_api_shape(org, django_capture_on_commit_callbacks):
    c = client_for(org.alice)
    content = (DATA / "exports" / "zoho_bulk_Contacts.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            "/api/v1/imports",
            {"entity": "crm.contact", "file": SimpleUploadedFile("z.csv", content), "match": "skip"},
        )
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["kind"] == "import" and body["entity"] == "crm.contact" and body["format"] == "csv"
    assert (
        body["mapping"]["Last_Name"] == "family_name"
        and body["mapping"]["Account_Name.Account_Name"] == "company"
    )
    got = c.get(f"/api/v1/imports/{body['id']}").json()
    assert got["status"] == "done" and got["percent"] == 100
    assert {k: got["counts"][k] for k in ("rows", "created", "errors")} == {
        "rows": 2,
        "created": 2,
        "errors": 0,
    }
    assert got["errors"] == []
    job = c.get(f"/api/v1/jobs/{body['id']}").json()
    assert set(job) >= {"id", "kind", "status", "total", "done", "percent", "counts", "result_url"}
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/api/v1/imports/{body['id']}/undo")
    assert r.status_code == 202 and r.json()["kind"] == "undo" and r.json()["status"] == "pending"
    assert c.get(f"/api/v1/jobs/{r.json()['id']}").json()["status"] == "done"
    assert (
        c.get(f"/api/v1/imports/{body['id']}").json()["status"] == "undone" and Contact.objects.count() == 0
    )
    assert c.post(f"/api/v1/imports/{body['id']}/undo").status_code == 409


def test_api_explicit_mapping_and_bad_input(org, django_capture_on_commit_callbacks, settings):
    c = client_for(org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            "/api/v1/imports",
            {
                "entity": "crm.contact",
                "file": SimpleUploadedFile("c.csv", CSV),
                "mapping": '{"họ tên": "full_name"}',
            },
        )
    assert r.json()["mapping"] == {"Họ tên": "full_name"}
    assert Contact.objects.filter(email="").count() == 2
    r = c.post("/api/v1/imports", {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", b"Name\r\n")})
    assert r.status_code == 400 and "no data rows" in r.json()["detail"]
    r = c.post(
        "/api/v1/imports",
        {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", CSV), "match": "merge"},
    )
    assert r.status_code == 422 and "match" in r.json()["errors"]
    settings.SENCRM_IMPORT_MAX_BYTES = 10
    r = c.post("/api/v1/imports", {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", CSV)})
    assert r.status_code == 413 and "too large" in r.json()["detail"]


def test_update_on_match_needs_the_change_right(org):
    from sencrm.core.models import Role

    role = Role.objects.create(name="Create only", scope="own", rights={"crm.contact": ["view", "create"]})
    User.objects.filter(pk=org.alice.pk).update(role=role)
    c = client_for(org.alice)
    r = c.post(
        "/api/v1/imports",
        {"entity": "crm.contact", "file": SimpleUploadedFile("c.csv", CSV), "match": "update"},
    )
    assert r.status_code == 403 and Job.objects.count() == 0
