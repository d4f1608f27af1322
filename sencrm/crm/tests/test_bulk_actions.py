"""Bulk actions: only permitted records change, each through the record services (audit, version)."""

from sencrm.core.models import AuditEntry, Job
from sencrm.crm.models import Contact, Lead
from sencrm.crm.tests.views_support import login, make, url


def _post(client, kind, **data):
    return client.post(url(kind, "bulk"), data)


def test_assign_owner_changes_only_permitted_records(client, org):
    mine = [make("lead", org.alice, f"Phạm Văn {i}") for i in range(2)]
    hers = make("lead", org.mallory, "Võ Thị Mai")
    login(client, org.alice)
    response = _post(
        client, "lead", action="assign_owner", value=org.bob.pk, pk=[m.pk for m in mine] + [hers.pk]
    )
    assert response.status_code == 302
    assert set(Lead.objects.filter(owner=org.bob).values_list("pk", flat=True)) == {m.pk for m in mine}
    hers.refresh_from_db()
    assert (hers.owner, hers.version) == (org.mallory, 1)  # never touched
    assert (
        AuditEntry.objects.filter(kind=AuditEntry.Kind.UPDATE, object_id__in=[m.pk for m in mine]).count()
        == 2
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["2 changed, 0 already so, 1 skipped (no right), 0 failed."]


def test_all_matching_uses_the_list_filters(client, org):
    vip = [make("contact", org.bob, f"Lê Văn {i}", tags=["VIP"]) for i in range(3)]
    other = make("contact", org.bob, "Trần Văn Khác")
    make("contact", org.mallory, "Võ Thị Mai", tags=["VIP"])
    tag = vip[0].tags.get()
    login(client, org.bob)
    _post(client, "contact", action="add_tags", value="Hà Nội, vip", all="1", query=f"tag={tag.pk}")
    for c in vip:
        assert sorted(t.name for t in Contact.objects.get(pk=c.pk).tags.all()) == ["Hà Nội", "VIP"]
    assert list(Contact.objects.get(pk=other.pk).tags.all()) == []
    _post(client, "contact", action="remove_tags", value="VIP", all="1", query=f"tag={tag.pk}")
    for c in vip:
        assert [t.name for t in Contact.objects.get(pk=c.pk).tags.all()] == ["Hà Nội"]


def test_set_field_reports_errors_per_record(client, org):
    a = make("lead", org.alice, "Phạm Văn A")
    login(client, org.alice)
    _post(client, "lead", action="set_field", field="rating", value="hot", pk=[a.pk])
    a.refresh_from_db()
    assert (a.rating, a.version) == ("hot", 2)
    response = _post(client, "lead", action="set_field", field="rating", value="boiling", pk=[a.pk])
    messages = [str(m) for m in response.wsgi_request._messages]
    # (messages of the earlier, unfollowed redirect come first)
    assert messages[-2] == "0 changed, 0 already so, 0 skipped (no right), 1 failed."
    assert messages[-1].startswith("Phạm Văn A: rating:")
    # A field outside the allow-list is refused before anything runs.
    response = _post(client, "lead", action="set_field", field="owner", value=org.bob.pk, pk=[a.pk])
    assert [str(m) for m in response.wsgi_request._messages][-1] == "This field cannot be changed in bulk."
    a.refresh_from_db()
    assert (a.owner, a.rating, a.version) == (org.alice, "hot", 2)


def test_delete_moves_to_trash_and_needs_the_right(client, org):
    a = make("account", org.alice, "Công ty A")
    m = make("account", org.mallory, "Công ty M")
    login(client, org.viewer)
    assert _post(client, "account", action="delete", pk=[a.pk]).status_code == 403
    login(client, org.alice)
    _post(client, "account", action="delete", pk=[a.pk, m.pk])
    a.refresh_from_db()
    m.refresh_from_db()
    assert a.deleted_at is not None
    assert m.deleted_at is None
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.DELETE).count() == 1


def test_large_selection_runs_as_a_job(client, org, settings, django_capture_on_commit_callbacks):
    settings.SENCRM_BULK_INLINE_ROWS = 1
    leads = [make("lead", org.alice, f"Phạm Văn {i}") for i in range(3)]
    make("lead", org.mallory, "Võ Thị Mai")
    login(client, org.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "lead", action="move_branch", value=org.cg.pk, all="1", query="")
    job = Job.objects.get(kind=Job.Kind.BULK)
    assert response["Location"] == f"/jobs/{job.pk}/status/"
    job.refresh_from_db()
    assert job.status == "done"
    assert {k: job.counts[k] for k in ("changed", "skipped", "failed")} == {
        "changed": 3,
        "skipped": 0,
        "failed": 0,
    }
    assert set(Lead.objects.filter(branch=org.cg).values_list("pk", flat=True)) == {x.pk for x in leads}


def test_bulk_queries_grow_linearly(client, org, django_assert_max_num_queries):
    leads = [make("lead", org.alice, f"Phạm Văn {i}") for i in range(10)]
    login(client, org.alice)
    # Per record (≤ 14): savepoints, lock, tags, save, version, audit of record_update; plus set-up.
    with django_assert_max_num_queries(12 + 10 * 14):
        _post(client, "lead", action="set_field", field="status", value="contacted", pk=[x.pk for x in leads])
    assert Lead.objects.filter(status="contacted").count() == 10
