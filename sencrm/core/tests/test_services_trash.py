"""The Trash services: what each user sees, restore, and the purge of old deleted records.

Record kinds are reached by name (``apps.get_model``), as the Trash itself does: core does not
import the CRM.
"""

import datetime
import logging

import pytest
from django.apps import apps
from django.http import Http404
from django.utils import timezone

from sencrm.core.models import AuditEntry
from sencrm.core.services.records import record_create, record_delete
from sencrm.core.services.trash import trash_counts, trash_list, trash_purge, trash_restore

Account = apps.get_model("crm.account")
Lead = apps.get_model("crm.lead")
Opportunity = apps.get_model("crm.opportunity")
Pipeline = apps.get_model("crm.pipeline")
Stage = apps.get_model("crm.stage")


def account(owner, name, *, deleted_days_ago=None):
    record = record_create(Account, by=owner, data={"name": name})
    if deleted_days_ago is not None:
        record_delete(record, by=owner)
        Account.objects.filter(pk=record.pk).update(
            deleted_at=timezone.now() - datetime.timedelta(days=deleted_days_ago)
        )
    return record


def lead(owner, company, *, deleted=False):
    record = record_create(Lead, by=owner, data={"company": company})
    if deleted:
        record_delete(record, by=owner)
    return record


def opportunity(owner, name, account_record):
    pipeline = Pipeline.objects.create(name=f"P {name}", is_default=not Pipeline.objects.exists())
    stage = Stage.objects.create(pipeline=pipeline, name="Mới", kind="open", probability=10)
    return record_create(
        Opportunity,
        by=owner,
        data={"name": name, "account": account_record, "pipeline": pipeline, "stage": stage},
    )


def names(items):
    return sorted(str(item.record) for item in items)


def test_each_user_sees_the_deleted_records_in_their_scope(org):
    # given deleted records of alice (Hà Nội), dave (Cầu Giấy, below Hà Nội) and mallory (HCM)
    account(org.alice, "A của Ánh", deleted_days_ago=1)
    account(org.alice, "A sống của Ánh")  # not deleted
    account(org.dave, "A của Dũng", deleted_days_ago=1)
    account(org.mallory, "A của Mai", deleted_days_ago=1)
    lead(org.alice, "L của Ánh", deleted=True)
    # then each sees what their scope and their delete right cover
    assert names(trash_list(org.alice)[0:50]) == ["A của Ánh", "L của Ánh"]
    assert names(trash_list(org.carol)[0:50]) == ["A của Dũng", "A của Ánh", "L của Ánh"]
    assert names(trash_list(org.erin)[0:50]) == ["A của Dũng", "A của Mai", "A của Ánh", "L của Ánh"]
    # the viewer role (no delete right) sees nothing; neither does a role without rights
    assert trash_list(org.viewer).count() == 0
    assert trash_list(org.noright).count() == 0
    # filter by kind
    assert names(trash_list(org.erin, "crm.lead")[0:50]) == ["L của Ánh"]
    counts = {kind.entity: n for kind, n in trash_counts(org.erin)}
    crm = {
        e: counts.pop(e)
        for e in ("crm.account", "crm.contact", "crm.lead", "crm.opportunity", "crm.activity")
    }
    assert crm == {"crm.account": 3, "crm.contact": 0, "crm.lead": 1, "crm.opportunity": 0, "crm.activity": 0}
    assert set(counts.values()) <= {0}  # the kinds other modules add have nothing deleted here


def test_the_merged_list_is_newest_first_and_pages_cleanly(org):
    for i in range(7):
        record = account(org.erin, f"A{i}", deleted_days_ago=10 - i)
        assert record.pk
    for i in range(3):
        record = lead(org.erin, f"L{i}", deleted=True)
        Lead.objects.filter(pk=record.pk).update(deleted_at=timezone.now() - datetime.timedelta(days=20 - i))
    items = trash_list(org.erin)
    assert items.count() == 10
    everything = [str(i.record) for i in items[0:10]]
    assert everything == ["A6", "A5", "A4", "A3", "A2", "A1", "A0", "L2", "L1", "L0"]
    pages = [str(i.record) for start in (0, 4, 8) for i in items[start : start + 4]]
    assert pages == everything


def test_restore_brings_the_record_back_and_audits_it(org):
    record = account(org.alice, "Công ty Sen", deleted_days_ago=2)
    restored = trash_restore(user=org.alice, entity="crm.account", pk=record.pk)
    assert restored.pk == record.pk
    record.refresh_from_db()
    assert record.deleted_at is None
    entry = AuditEntry.objects.filter(entity="crm.account", object_id=record.pk).latest("at")
    assert (entry.kind, entry.user_id) == ("restore", org.alice.pk)


@pytest.mark.parametrize("who", ["mallory", "viewer", "noright", "bob"])
def test_restore_outside_ones_rights_is_404_and_changes_nothing(org, who):
    # dave's account (Cầu Giấy): outside mallory's branch, bob's team; viewer and noright cannot delete
    record = account(org.dave, "Của Dũng", deleted_days_ago=2)
    with pytest.raises(Http404):
        trash_restore(user=getattr(org, who), entity="crm.account", pk=record.pk)
    record.refresh_from_db()
    assert record.deleted_at is not None
    assert not AuditEntry.objects.filter(entity="crm.account", object_id=record.pk, kind="restore").exists()


def test_restore_of_a_live_record_or_unknown_kind_is_404(org):
    live = account(org.alice, "Đang sống")
    with pytest.raises(Http404):
        trash_restore(user=org.alice, entity="crm.account", pk=live.pk)
    with pytest.raises(Http404):
        trash_restore(user=org.alice, entity="core.user", pk=org.alice.pk)
    with pytest.raises(Http404):
        trash_restore(user=org.alice, entity="crm.account", pk="abc")


def test_purge_deletes_only_what_is_older_than_the_limit(org, settings):
    settings.SENCRM_TRASH_DAYS = 30
    old = account(org.alice, "Cũ", deleted_days_ago=31)
    recent = account(org.alice, "Mới xoá", deleted_days_ago=29)
    live = account(org.alice, "Đang sống")
    assert trash_purge() == {"crm.account": 1}
    assert not Account.objects.filter(pk=old.pk).exists()
    assert set(Account.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    # safe to run twice
    assert trash_purge() == {}
    # an explicit age
    assert trash_purge(days=28) == {"crm.account": 1}
    assert list(Account.objects.values_list("pk", flat=True)) == [live.pk]


def test_purge_keeps_a_record_still_protected_by_a_live_row(org, caplog):
    # given a trashed account that a live opportunity still names (on_delete=PROTECT)
    kept = account(org.erin, "Còn được tham chiếu")
    opportunity(org.erin, "Đơn hàng lớn", kept)
    record_delete(kept, by=org.erin)
    Account.objects.filter(pk=kept.pk).update(deleted_at=timezone.now() - datetime.timedelta(days=90))
    gone = account(org.erin, "Không ai tham chiếu", deleted_days_ago=90)
    # when the purge runs
    with caplog.at_level(logging.INFO, logger="sencrm.core.services.trash"):
        result = trash_purge(days=30)
    # then the free one is gone, the protected one stays and is logged, and nothing crashed
    assert result == {"crm.account": 1}
    assert not Account.objects.filter(pk=gone.pk).exists()
    assert Account.objects.filter(pk=kept.pk).exists()
    assert any(str(kept.pk) in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_purge_frees_records_whose_referrers_are_purged_too(org):
    # an old trashed account whose only opportunity is also old in the Trash: both go
    acc = account(org.erin, "Cả hai cùng đi")
    opp = opportunity(org.erin, "Cơ hội cũ", acc)
    for model, pk in ((Account, acc.pk), (Opportunity, opp.pk)):
        model.objects.filter(pk=pk).update(deleted_at=timezone.now() - datetime.timedelta(days=60))
    assert trash_purge(days=30) == {"crm.account": 1, "crm.opportunity": 1}
    assert not Account.objects.filter(pk=acc.pk).exists()
    assert not Opportunity.objects.filter(pk=opp.pk).exists()


def test_the_periodic_task_calls_the_purge(org, settings):
    from sencrm.core.tasks import purge_trash

    settings.SENCRM_TRASH_DAYS = 30
    account(org.alice, "Cũ", deleted_days_ago=45)
    assert purge_trash.call_local() == {"crm.account": 1}
