"""The Trash page: the user's deleted records, filter by kind, restore (POST, audited)."""

import datetime

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from sencrm.core.models import AuditEntry
from sencrm.core.services.records import record_create, record_delete

Account = apps.get_model("crm.account")
Lead = apps.get_model("crm.lead")


def deleted(model, owner, **data):
    record = record_create(model, by=owner, data=data)
    record_delete(record, by=owner)
    return record


def test_trash_lists_only_visible_deleted_records(client, org):
    mine = deleted(Account, org.alice, name="Của Ánh")
    deleted(Account, org.mallory, name="Của Mai")
    record_create(Account, by=org.alice, data={"name": "Còn sống"})
    client.force_login(org.alice)
    response = client.get(reverse("trash"))
    assert response.status_code == 200
    assert [item.record.pk for item in response.context["page"]] == [mine.pk]
    content = response.content.decode()
    assert "Của Ánh" in content
    assert "Của Mai" not in content
    assert "Còn sống" not in content


def test_trash_filters_by_kind_and_ignores_unknown_kinds(client, org):
    acc = deleted(Account, org.erin, name="Tổ chức")
    lead = deleted(Lead, org.erin, company="Tiềm năng")
    client.force_login(org.erin)
    response = client.get(reverse("trash"), {"kind": "crm.lead"})
    assert [i.record.pk for i in response.context["page"]] == [lead.pk]
    response = client.get(reverse("trash"), {"kind": "core.user"})
    assert response.context["kind"] == ""
    assert {i.record.pk for i in response.context["page"]} == {acc.pk, lead.pk}


def test_trash_is_paginated(client, org, settings):
    settings.SENCRM_PAGE_SIZE = 3
    for i in range(5):
        record = deleted(Account, org.erin, name=f"A{i}")
        Account.objects.filter(pk=record.pk).update(deleted_at=timezone.now() - datetime.timedelta(hours=i))
    client.force_login(org.erin)
    first = client.get(reverse("trash"))
    second = client.get(reverse("trash"), {"page": 2})
    assert [str(i.record) for i in first.context["page"]] == ["A0", "A1", "A2"]
    assert [str(i.record) for i in second.context["page"]] == ["A3", "A4"]


def test_restore_from_the_page(client, org):
    record = deleted(Account, org.alice, name="Khôi phục tôi")
    client.force_login(org.alice)
    response = client.post(
        reverse("trash_restore", args=["crm.account", record.pk]),
        {"next": reverse("trash") + "?kind=crm.account"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("trash") + "?kind=crm.account"
    record.refresh_from_db()
    assert record.deleted_at is None
    assert AuditEntry.objects.filter(
        entity="crm.account", object_id=record.pk, kind="restore", user=org.alice
    ).exists()


def test_restore_of_someone_elses_record_is_404(client, org):
    record = deleted(Account, org.mallory, name="Của Mai")
    client.force_login(org.alice)
    response = client.post(reverse("trash_restore", args=["crm.account", record.pk]))
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.deleted_at is not None


def test_restore_needs_post_and_a_safe_next(client, org):
    record = deleted(Account, org.alice, name="Của Ánh")
    client.force_login(org.alice)
    assert client.get(reverse("trash_restore", args=["crm.account", record.pk])).status_code == 405
    response = client.post(
        reverse("trash_restore", args=["crm.account", record.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("trash")


def test_trash_page_query_count_does_not_grow_with_rows(client, org, django_assert_max_num_queries):
    for i in range(20):
        deleted(Account, org.erin, name=f"A{i}")
        deleted(Lead, org.erin, company=f"L{i}")
    client.force_login(org.erin)
    client.get(reverse("trash"))  # warm caches (content types, sessions)
    # The cost grows with the record kinds (three queries each: count, page, names), not the rows.
    from sencrm.core.services.trash import trash_kinds

    with django_assert_max_num_queries(6 + 3 * len(trash_kinds())):
        response = client.get(reverse("trash"))
    assert len(response.context["page"]) == 40
