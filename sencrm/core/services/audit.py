"""The audit trail: every create, change, delete and restore of a record, with field diffs."""

import datetime
from decimal import Decimal

from django.db import models

from sencrm.core.models import AuditEntry


def audit_value(value) -> object:
    """A JSON-safe, human-readable form of a field value for the audit trail."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [audit_value(v) for v in value]
    return str(value)


def snapshot(instance) -> dict[str, object]:
    """Field values of ``instance`` that the audit trail compares (concrete, non-bookkeeping)."""
    values: dict[str, object] = {}
    exclude = getattr(instance, "audit_exclude", frozenset())
    for field in instance._meta.concrete_fields:
        if field.name in exclude or field.primary_key or field.name == "custom":
            continue
        if field.is_relation:
            values[field.name] = getattr(instance, field.attname)
        else:
            values[field.name] = getattr(instance, field.attname)
    for key, value in (getattr(instance, "custom", None) or {}).items():
        values[f"custom.{key}"] = value
    return values


def diff(before: dict, after: dict, instance) -> dict[str, list]:
    """Changed fields as ``{name: [old, new]}``; foreign keys shown by their display names."""
    changes: dict[str, list] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        field = None if name.startswith("custom.") else instance._meta.get_field(name)
        if field is not None and field.is_relation:
            model = field.related_model
            names = {o.pk: str(o) for o in model._base_manager.filter(pk__in=[v for v in (old, new) if v])}
            old, new = names.get(old, old), names.get(new, new)
        changes[name] = [audit_value(old), audit_value(new)]
    return changes


def audit_record(*, instance, kind: str, by, changes: dict | None = None, message: str = "") -> AuditEntry:
    """Write one audit entry for ``instance`` (call inside the service's transaction)."""
    return AuditEntry.objects.create(
        entity=instance._meta.label_lower,
        object_id=instance.pk,
        kind=kind,
        changes=changes or {},
        message=message[:255],
        user=by if getattr(by, "pk", None) else None,
    )


def audit_history(*, entity: str, object_ids: list[int], limit: int = 200):
    """Audit entries of the given records, newest first."""
    return (
        AuditEntry.objects.filter(entity=entity, object_id__in=object_ids)
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )
