"""Create, change, delete and restore any business record the same way.

Every record kind's services call these, so the conventions of DESIGN.md hold everywhere: owner,
team and branch are set, input is normalised and validated (``full_clean`` plus custom fields),
the write is atomic, the version is checked and bumped, and the audit trail gets the diff.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry, Tag
from sencrm.core.search import search_index_remove, search_index_update, search_reindex
from sencrm.core.services.audit import audit_record, diff, snapshot
from sencrm.core.services.custom_fields import clean_custom


class ConflictError(Exception):
    """The record changed since the caller read it (optimistic concurrency): API 412, UI message."""

    def __init__(self, instance):
        self.instance = instance
        super().__init__(f"{instance._meta.label_lower}#{instance.pk} is at version {instance.version}")


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    """Tags for the given names, created when new (matched regardless of case and diacritics)."""
    from sencrm.common.text import fold, nfc

    tags: list[Tag] = []
    for name in names:
        name = nfc(str(name))[:60]
        if not name:
            continue
        tag = Tag.objects.filter(slug=fold(name).strip()).first() or Tag.objects.create(name=name)
        if tag not in tags:
            tags.append(tag)
    return tags


def _set_fields(instance, data: dict) -> None:
    for name, value in data.items():
        if name in {"custom", "tags", "version", "id", "pk", "deleted_at"} or name.startswith("_"):
            raise ValidationError({name: [_("This field cannot be set.")]})
        setattr(instance, name, value)


def _place(instance, by, *, owner_changed: bool, explicit_branch: bool) -> None:
    """Default the owner to the acting user; team and branch follow the owner unless given."""
    if not instance.owner_id:
        instance.owner = by
    if owner_changed or not instance.team_id:
        instance.team_id = instance.owner.team_id
    if not explicit_branch and (owner_changed or not instance.branch_id):
        instance.branch_id = instance.owner.branch_id or by.branch_id


def _validate(instance) -> None:
    instance.full_clean(exclude=["tags"], validate_unique=True)


def record_create(model, *, by, data: dict, custom: dict | None = None, tags: Iterable[str] | None = None):
    """Create a record of ``model`` from ``data`` (field name → value) on behalf of ``by``."""
    instance = model()
    _set_fields(instance, data)
    _place(instance, by, owner_changed=True, explicit_branch="branch" in data or "branch_id" in data)
    errors: dict[str, list[str]] = {}
    try:
        instance.custom = clean_custom(model.entity(), custom or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        _validate(instance)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    instance.created_by = instance.updated_by = by
    with transaction.atomic():
        instance.save()
        if tags:
            instance.tags.set(tags_from_names(tags))
        search_index_update(instance)  # in the transaction: the index commits or rolls back with the row
        audit_record(instance=instance, kind=AuditEntry.Kind.CREATE, by=by)
    return instance


def record_update(
    instance,
    *,
    by,
    data: dict,
    custom: dict | None = None,
    tags: Iterable[str] | None = None,
    expected_version: int | None = None,
    audit_message: str = "",
):
    """Change ``instance`` with ``data``; raise ConflictError if ``expected_version`` is stale.

    Custom values are merged (a blank value clears one); ``tags`` replaces the tag set when given.
    """
    model = type(instance)
    with transaction.atomic():
        current = model._base_manager.select_for_update().get(pk=instance.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(current)
        before = snapshot(current)
        before_tags = sorted(t.name for t in current.tags.all())
        old_owner = current.owner_id
        _set_fields(current, data)
        _place(
            current,
            by,
            owner_changed=current.owner_id != old_owner,
            explicit_branch="branch" in data or "branch_id" in data,
        )
        errors: dict[str, list[str]] = {}
        if custom is not None:
            try:
                current.custom = clean_custom(model.entity(), custom, current=current.custom)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        try:
            _validate(current)
        except ValidationError as exc:
            errors = {**exc.message_dict, **errors}
        if errors:
            raise ValidationError(errors)
        changes = diff(before, snapshot(current), current)
        if tags is not None:
            new_tags = tags_from_names(tags)
            after_tags = sorted(t.name for t in new_tags)
            if after_tags != before_tags:
                current.tags.set(new_tags)
                changes["tags"] = [", ".join(before_tags), ", ".join(after_tags)]
        if not changes:
            return current
        current.updated_by = by
        current.version = F("version") + 1
        current.save()
        current.refresh_from_db(fields=["version"])
        search_index_update(current)
        audit_record(
            instance=current, kind=AuditEntry.Kind.UPDATE, by=by, changes=changes, message=audit_message
        )
    return current


def record_delete(instance, *, by, expected_version: int | None = None) -> None:
    """Move ``instance`` to the Trash (restorable until purged)."""
    model = type(instance)
    with transaction.atomic():
        current = model._base_manager.select_for_update().get(pk=instance.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(current)
        model._base_manager.filter(pk=current.pk).update(
            deleted_at=timezone.now(), updated_by=by, version=F("version") + 1
        )
        search_index_remove(model.entity(), [current.pk])
        audit_record(instance=current, kind=AuditEntry.Kind.DELETE, by=by)


def record_restore(instance, *, by) -> None:
    """Bring ``instance`` back from the Trash."""
    model = type(instance)
    with transaction.atomic():
        model._base_manager.filter(pk=instance.pk).update(
            deleted_at=None, updated_by=by, version=F("version") + 1
        )
        search_reindex(model.entity(), ids=[instance.pk])  # rereads the row: ``instance`` is stale
        audit_record(instance=instance, kind=AuditEntry.Kind.RESTORE, by=by)
