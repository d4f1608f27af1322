"""Stage playbooks (S8): the entry check and entry tasks the CRM calls, the checklist, and the
settings writes.

``stage_entry_check`` and ``stage_entered`` are registered into
``crm.services.opportunities.STAGE_ENTRY_CHECKS`` / ``STAGE_ENTERED`` by ``SalesConfig.ready``,
so every path that changes a deal's stage (board, detail page, edit form, API, bulk edit, quote
acceptance) obeys the playbook, inside the move's own transaction: a refused move writes nothing.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import ConflictError, record_create
from sencrm.crm.models import Activity, Opportunity, Stage
from sencrm.sales.models import (
    ChecklistTick,
    PlaybookChecklistItem,
    PlaybookTask,
    PlaybookTaskRun,
    StagePlaybook,
)

#: Opportunity fields a playbook may require before a deal enters its stage.
REQUIRABLE_FIELDS = (
    "account",
    "contact",
    "amount",
    "expected_close",
    "products",
    "competitors",
    "next_step",
    "description",
)


def field_label(name: str) -> str:
    return capfirst(str(Opportunity._meta.get_field(name).verbose_name))


def _missing(opportunity: Opportunity, name: str) -> bool:
    field = Opportunity._meta.get_field(name)
    value = getattr(opportunity, field.attname)
    if name == "amount":
        return not value  # 0 ₫ is no amount
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------------------------------------------
# The hooks the CRM calls
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Rules:
    """What a stage's playbook asks on entry, read in one query for both hooks."""

    required: list[str]
    tasks: list[PlaybookTask]


def _rules(opportunity: Opportunity, stage: Stage) -> _Rules | None:
    """The playbook of ``stage`` (None without one): one query, remembered on the deal so the
    entry check and the entry callback of one move share it."""
    cached = opportunity.__dict__.get("_playbook_rules")
    if cached is not None and cached[0] == stage.pk:
        return cached[1]
    rows = list(
        StagePlaybook.objects.filter(stage=stage)
        .values_list("required_fields", *(f"tasks__{name}" for name in _TASK_FIELDS))
        .order_by("tasks__position", "tasks__id")
    )
    rules = None
    if rows:
        tasks = [
            PlaybookTask(**dict(zip(_TASK_FIELDS, row[1:], strict=True)))
            for row in rows
            if row[1] is not None
        ]
        rules = _Rules(required=rows[0][0] or [], tasks=tasks)
    opportunity.__dict__["_playbook_rules"] = (stage.pk, rules)
    return rules


_TASK_FIELDS = ("id", "subject", "due_days", "assignee", "min_amount", "position")


def stage_entry_check(*, opportunity: Opportunity, stage: Stage, by) -> None:
    """Refuse the move when the stage's playbook requires fields the deal lacks.

    Raises ``ValidationError`` keyed by each missing field, each message naming the field and the
    stage, so forms put it under the field, the API lists it in ``errors`` and the board shows it.
    """
    rules = _rules(opportunity, stage)
    if rules is None or not rules.required:
        return
    errors = {
        name: [
            _("“%(field)s” must be filled in before the deal enters the stage “%(stage)s”.")
            % {"field": field_label(name), "stage": stage.name}
        ]
        for name in rules.required
        if name in REQUIRABLE_FIELDS and _missing(opportunity, name)
    }
    if errors:
        raise ValidationError(errors)


def manager_of(user):
    """The user's manager: the leader of their team (None without a team, a leader, or when they
    lead it themselves)."""
    team = user.team
    if team is None or team.leader_id is None or team.leader_id == user.pk:
        return None
    return team.leader


def stage_entered(*, opportunity: Opportunity, stage: Stage, from_stage_id: int | None, by) -> None:
    """Create the playbook's tasks for a deal entering ``stage``, each at most once per deal.

    A task with ``min_amount`` is created only when the deal is in VND and its amount is over it
    (a rule like "RFP received and amount > 1.000.000.000 ₫"); deals in another currency are not
    compared (no exchange is assumed). A task for the manager goes to the owner when the owner has
    no manager. ``PlaybookTaskRun`` (unique per task and deal) makes re-entering the stage, or a
    second hook call, create nothing twice.
    """
    rules = _rules(opportunity, stage)
    opportunity.__dict__.pop("_playbook_rules", None)  # this move is done with it
    tasks = rules.tasks if rules else []
    if not tasks:
        return
    done = set(
        PlaybookTaskRun.objects.filter(opportunity=opportunity, task__in=[t.pk for t in tasks]).values_list(
            "task_id", flat=True
        )
    )
    owner = opportunity.owner
    now = timezone.now()
    for task in tasks:
        if task.pk in done:
            continue
        if task.min_amount is not None and (
            opportunity.currency != "VND" or opportunity.amount <= task.min_amount
        ):
            continue
        assignee = owner
        if task.assignee == PlaybookTask.Assignee.MANAGER:
            assignee = manager_of(owner) or owner
        activity = record_create(
            Activity,
            by=by,
            data={
                "kind": Activity.Kind.TASK,
                "subject": task.subject,
                "description": _("Created by the playbook of the stage “%(stage)s” for “%(deal)s”.")
                % {"stage": stage.name, "deal": opportunity.name},
                "due_at": now + datetime.timedelta(days=task.due_days),
                "owner": assignee,
                "opportunity": opportunity,
                "account": opportunity.account,
                "contact": opportunity.contact,
            },
        )
        PlaybookTaskRun.objects.create(task=task, opportunity=opportunity, activity=activity)


# ---------------------------------------------------------------------------------------------------
# The checklist of a deal
# ---------------------------------------------------------------------------------------------------


def checklist_for(opportunity: Opportunity) -> dict:
    """The playbook of the deal's current stage and its checklist with ticks (three queries)."""
    playbook = StagePlaybook.objects.filter(stage_id=opportunity.stage_id).first()
    if playbook is None:
        return {"playbook": None, "items": [], "done": 0}
    items = list(playbook.checklist.order_by("position", "id"))
    ticks = {
        t.item_id: t
        for t in ChecklistTick.objects.filter(opportunity=opportunity, item__in=items).select_related("by")
    }
    rows = [{"item": item, "tick": ticks.get(item.pk)} for item in items]
    return {"playbook": playbook, "items": rows, "done": len(ticks)}


@transaction.atomic
def checklist_tick(*, opportunity: Opportunity, item_id: int, by, ticked: bool = True) -> bool:
    """Tick (or untick) one item of the checklist of the deal's current stage; audited on the deal.

    Returns whether anything changed. An item of another stage's checklist is refused.
    """
    item = (
        PlaybookChecklistItem.objects.filter(pk=item_id, playbook__stage_id=opportunity.stage_id).first()
        if isinstance(item_id, int)
        else None
    )
    if item is None:
        raise ValidationError({"item": [_("This item is not on the checklist of the deal's current stage.")]})
    if ticked:
        changed = ChecklistTick.objects.get_or_create(
            item=item, opportunity=opportunity, defaults={"by": by}
        )[1]
    else:
        changed = ChecklistTick.objects.filter(item=item, opportunity=opportunity).delete()[0] > 0
    if changed:
        audit_record(
            instance=opportunity,
            kind=AuditEntry.Kind.UPDATE,
            by=by,
            changes={"checklist": [item.text if not ticked else "", item.text if ticked else ""]},
            message=(_("Ticked “%(item)s”") if ticked else _("Unticked “%(item)s”")) % {"item": item.text},
        )
    return changed


# ---------------------------------------------------------------------------------------------------
# Settings: writing a playbook
# ---------------------------------------------------------------------------------------------------


def _clean_playbook(*, required_fields, checklist, tasks) -> tuple[list[str], list[str], list[dict]]:
    errors: dict[str, list[str]] = {}
    fields: list[str] = []
    for name in required_fields or []:
        if name not in REQUIRABLE_FIELDS:
            errors.setdefault("required_fields", []).append(
                _("“%(name)s” is not an opportunity field a playbook can require.") % {"name": name}
            )
        elif name not in fields:
            fields.append(name)
    items: list[str] = []
    for i, text in enumerate(checklist or []):
        text = (text or "").strip()
        if not text:
            errors[f"checklist.{i}"] = [_("Write the checklist item, or remove it.")]
        elif len(text) > 255:
            errors[f"checklist.{i}"] = [_("At most 255 characters.")]
        elif text not in items:
            items.append(text)
    clean_tasks: list[dict] = []
    for i, task in enumerate(tasks or []):
        subject = (task.get("subject") or "").strip()
        if not subject:
            errors[f"tasks.{i}.subject"] = [_("This field is required.")]
        due_days = task.get("due_days", 1)
        if not isinstance(due_days, int) or not 0 <= due_days <= 365:
            errors[f"tasks.{i}.due_days"] = [_("Enter a number of days from 0 to 365.")]
        assignee = task.get("assignee") or PlaybookTask.Assignee.OWNER
        if assignee not in PlaybookTask.Assignee.values:
            errors[f"tasks.{i}.assignee"] = [_("Choose the owner or the owner's manager.")]
        min_amount = task.get("min_amount")
        if min_amount is not None and (not isinstance(min_amount, int) or min_amount < 0):
            errors[f"tasks.{i}.min_amount"] = [_("The amount cannot be negative.")]
        clean_tasks.append(
            {"subject": subject[:255], "due_days": due_days, "assignee": assignee, "min_amount": min_amount}
        )
    if errors:
        raise ValidationError(errors)
    return fields, items, clean_tasks


@transaction.atomic
def playbook_save(
    *,
    stage: Stage,
    by,
    required_fields: list[str],
    checklist: list[str],
    tasks: list[dict],
    guidance: str = "",
    expected_version: int | None = None,
) -> StagePlaybook:
    """Create or replace the playbook of ``stage``; audited.

    Checklist items and tasks are matched to the existing ones by their text/subject, so ticks
    and "already created for this deal" marks survive edits that keep them.
    """
    if not isinstance(stage, Stage):
        raise ValidationError({"stage": [_("Choose a stage.")]})
    fields, items, clean_tasks = _clean_playbook(
        required_fields=required_fields, checklist=checklist, tasks=tasks
    )
    playbook = StagePlaybook.objects.select_for_update().filter(stage=stage).first()
    created = playbook is None
    if created:
        playbook = StagePlaybook.objects.create(
            stage=stage, required_fields=fields, guidance=guidance.strip()
        )
    else:
        if expected_version is not None and playbook.version != expected_version:
            raise ConflictError(playbook)
        playbook.required_fields, playbook.guidance = fields, guidance.strip()
        playbook.version += 1
        playbook.save()
    existing_items = {i.text: i for i in playbook.checklist.all()}
    for position, text in enumerate(items):
        item = existing_items.pop(text, None)
        if item is None:
            PlaybookChecklistItem.objects.create(playbook=playbook, text=text, position=position)
        elif item.position != position:
            item.position = position
            item.save(update_fields=["position", "updated_at"])
    PlaybookChecklistItem.objects.filter(pk__in=[i.pk for i in existing_items.values()]).delete()
    existing_tasks = {t.subject: t for t in playbook.tasks.all()}
    for position, data in enumerate(clean_tasks):
        task = existing_tasks.pop(data["subject"], None) or PlaybookTask(playbook=playbook)
        for name, value in {**data, "position": position}.items():
            setattr(task, name, value)
        task.save()
    PlaybookTask.objects.filter(pk__in=[t.pk for t in existing_tasks.values()]).delete()
    audit_record(
        instance=playbook,
        kind=AuditEntry.Kind.CREATE if created else AuditEntry.Kind.UPDATE,
        by=by,
        changes={"required_fields": [None, fields], "checklist": [None, items], "tasks": [None, clean_tasks]},
    )
    return playbook


@transaction.atomic
def playbook_delete(*, playbook: StagePlaybook, by) -> None:
    """Remove a stage's playbook (its checklist ticks and task marks go with it; tasks stay)."""
    audit_record(instance=playbook, kind=AuditEntry.Kind.DELETE, by=by, message=str(playbook.stage))
    playbook.delete()
