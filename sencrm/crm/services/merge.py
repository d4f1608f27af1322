"""Merging duplicate records into one survivor (issue 3, REQUIREMENTS C7).

The user picks the survivor and, field by field, whose value survives. In one transaction the
survivor is updated through ``record_update`` (so the change is validated, versioned and audited),
every link pointing at the merged-away records moves to the survivor (activities, opportunities,
an account's contacts and child accounts, lead conversion links, stage history), tags are united,
and the merged-away records go to the Trash with ``merged_into`` set: their old URLs and API ids
then lead to the survivor. Any failure rolls everything back.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sencrm.common.models import Action, OwnedModel
from sencrm.core.models import AuditEntry
from sencrm.core.search import search_index_remove
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import record_update
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, StageChange

#: What points at each kind of record: (model, foreign key). Every row moves, Trash included, so a
#: restored activity still belongs to the customer it was about.
LINKS: dict[type[Model], list[tuple[type[Model], str]]] = {
    Account: [
        (Contact, "account"),
        (Opportunity, "account"),
        (Activity, "account"),
        (Lead, "converted_account"),
        (Account, "parent"),
    ],
    Contact: [(Opportunity, "contact"), (Activity, "contact"), (Lead, "converted_contact")],
    Lead: [(Activity, "lead")],
    Opportunity: [(Activity, "opportunity"), (StageChange, "opportunity"), (Lead, "converted_opportunity")],
}

#: Most records one merge takes (the UI compares them side by side).
MAX_RECORDS = 10

# Fields never offered as a choice: bookkeeping, derived columns, and placement that follows the
# owner (team, branch) as everywhere else.
_NOT_CHOSEN = {
    "id", "created_at", "updated_at", "created_by", "updated_by", "custom", "version", "deleted_at",
    "tags", "search_text", "sort_name", "match_key", "merged_into", "team", "branch",
}  # fmt: skip


def merge_fields(model) -> list:
    """The model fields whose surviving value the user chooses, in form order."""
    fields = []
    for f in model._meta.concrete_fields:
        if f.name in _NOT_CHOSEN or not f.editable or f.primary_key:
            continue
        if f.name == "full_name" and hasattr(model, "given_name"):
            continue  # derived from the name parts, which are chosen one by one
        fields.append(f)
    return fields


def _empty(value) -> bool:
    return value in (None, "", [], {})


def default_choices(model, records: list[Model], custom_keys) -> dict[str, int]:
    """Preselected sources: the survivor's (first record's) value, or the first non-empty one."""
    choices: dict[str, int] = {}
    names = [(f.name, f.attname) for f in merge_fields(model)]
    names += [(f"custom.{k}", None) for k in custom_keys]
    for name, attname in names:
        source = records[0]
        for record in records:
            value = getattr(record, attname) if attname else (record.custom or {}).get(name[7:])
            if not _empty(value):
                source = record
                break
        choices[name] = source.pk
    return choices


@dataclass
class MergeResult:
    survivor: Model
    merged_ids: list[int]
    moved: dict[str, int] = field(default_factory=dict)


def _locked(model, user, ids, action):
    return list(model.objects.visible_to(user, action).select_for_update().filter(pk__in=ids).order_by("pk"))


def _move_links(model, survivor, merged_ids: list[int], by) -> dict[str, int]:
    moved: dict[str, int] = {}
    now = timezone.now()
    for link_model, fk in LINKS.get(model, []):
        rows = link_model._base_manager.filter(**{f"{fk}__in": merged_ids})
        changes = {fk: survivor}
        if issubclass(link_model, OwnedModel):
            # The rows changed: a client holding an old version must reload before writing.
            changes.update(version=F("version") + 1, updated_at=now, updated_by=by)
        if link_model is model:
            rows = rows.exclude(pk__in=[survivor.pk, *merged_ids])  # an account's children
        count = rows.update(**changes)
        if count:
            key = f"{link_model._meta.model_name}.{fk}"
            moved[key] = moved.get(key, 0) + count
    return moved


def record_merge(
    *,
    model,
    survivor_id: int,
    other_ids: list[int],
    by,
    choices: dict[str, int] | None = None,
    expected_version: int | None = None,
) -> MergeResult:
    """Merge the records ``other_ids`` into ``survivor_id`` (same kind) on behalf of ``by``.

    ``choices`` maps a field name (or ``custom.<key>``) to the id of the record whose value
    survives; fields not named keep the survivor's value, or the first non-empty one if the
    survivor's is empty. Tags are united. ``by`` needs ``change`` on the survivor and ``delete``
    on the others, all visible: otherwise Http404 and nothing changes. ``expected_version`` is
    the survivor's version the user saw (ConflictError when stale). Changes: the survivor (audited
    update and a merge entry), every link to the others (moved), the others (Trash, ``merged_into``
    set, audited). One transaction.
    """
    other_ids = sorted({int(pk) for pk in other_ids} - {int(survivor_id)})
    if not other_ids:
        raise ValidationError({"records": [_("Choose at least two records to merge.")]})
    if len(other_ids) + 1 > MAX_RECORDS:
        raise ValidationError({"records": [_("Merge at most %(n)d records at once.") % {"n": MAX_RECORDS}]})
    with transaction.atomic():
        survivors = _locked(model, by, [survivor_id], Action.CHANGE)
        others = _locked(model, by, other_ids, Action.DELETE)
        if not survivors or len(others) != len(other_ids):
            # One answer for missing, out of scope and not allowed (STYLE.md §5).
            raise Http404
        survivor = survivors[0]
        records = {r.pk: r for r in (survivor, *others)}
        data, custom = _chosen_values(model, survivor, records, choices or {})
        tags = sorted({t.name for r in records.values() for t in r.tags.all()})
        message = ngettext(
            "Merged %(n)d record into this one: %(ids)s",
            "Merged %(n)d records into this one: %(ids)s",
            len(others),
        ) % {
            "n": len(others),
            "ids": ", ".join(f"#{r.pk} {r}" for r in others),
        }
        survivor = record_update(
            survivor,
            by=by,
            data=data,
            custom=custom,
            tags=tags,
            expected_version=expected_version,
            audit_message=message,
        )
        if model is Lead:
            _carry_conversion(survivor, others)
        moved = _move_links(model, survivor, other_ids, by)
        # Earlier merges into the records merged now point straight at the survivor (no chains).
        model._base_manager.filter(merged_into_id__in=other_ids).update(merged_into=survivor)
        model._base_manager.filter(pk__in=other_ids).update(
            deleted_at=timezone.now(), merged_into=survivor, updated_by=by, version=F("version") + 1
        )
        search_index_remove(model.entity(), other_ids)  # the search engine's index follows (issue 3)
        audit_record(
            instance=survivor,
            kind=AuditEntry.Kind.UPDATE,
            by=by,
            changes={"merged": [[r.pk for r in others], survivor.pk]},
            message=message,
        )
        for other in others:
            audit_record(
                instance=other,
                kind=AuditEntry.Kind.DELETE,
                by=by,
                changes={"merged_into": [None, survivor.pk]},
                message=_("Merged into %(name)s (#%(id)d)") % {"name": survivor, "id": survivor.pk},
            )
    return MergeResult(survivor=survivor, merged_ids=other_ids, moved=moved)


def _chosen_values(model, survivor, records: dict[int, Model], choices: dict[str, int]):
    """(data, custom) for ``record_update``: only the values that differ from the survivor's."""
    unknown = [name for name, pk in choices.items() if int(pk) not in records]
    if unknown:
        raise ValidationError({name: [_("Choose one of the records being merged.")] for name in unknown})
    ordered = [survivor, *[r for pk, r in records.items() if pk != survivor.pk]]
    custom_keys = sorted({k for r in ordered for k in (r.custom or {})})
    defaults = default_choices(model, ordered, custom_keys)
    data: dict = {}
    for f in merge_fields(model):
        source = records[int(choices.get(f.name, defaults[f.name]))]
        value = getattr(source, f.attname)
        if f.name == "parent" and value in records:
            value = None  # an account cannot become its own parent
        if value != getattr(survivor, f.attname):
            data[f.attname] = value
    custom: dict = {}
    for key in custom_keys:
        name = f"custom.{key}"
        source = records[int(choices.get(name, defaults[name]))]
        value = (source.custom or {}).get(key)
        if value != (survivor.custom or {}).get(key):
            custom[key] = value if value is not None else ""
    return data, custom or None


def _carry_conversion(survivor: Lead, others: list[Lead]) -> None:
    """A survivor that was not converted takes the conversion of a merged lead that was."""
    if survivor.converted_at:
        return
    converted = next((o for o in others if o.converted_at), None)
    if converted is None:
        return
    Lead._base_manager.filter(pk=survivor.pk).update(
        status=Lead.Status.CONVERTED,
        converted_at=converted.converted_at,
        converted_account_id=converted.converted_account_id,
        converted_contact_id=converted.converted_contact_id,
        converted_opportunity_id=converted.converted_opportunity_id,
    )
