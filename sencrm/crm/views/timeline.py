"""The timeline fragment of the account and contact pages (issue 2, item 9).

The detail pages load it with ``hx-get``; its filter buttons swap it for the same fragment limited
to one kind of item. Audit changes read "field: old → new" with the field's verbose name and the
labels of choices, in the reader's language.
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.common.access import get_object_for_user
from sencrm.common.templatetags.sencrm import money, phone
from sencrm.core.models import AuditEntry, CustomField
from sencrm.crm.models import Account, Contact
from sencrm.crm.services.timeline import KINDS, TimelineItem, timeline_for_account, timeline_for_contact

#: The filter buttons: value of ``?kind=`` → (label, kinds of items shown).
FILTERS = {
    "all": (gettext_lazy("All"), KINDS),
    "activity": (gettext_lazy("Activities"), ("activity",)),
    "opportunity": (gettext_lazy("Opportunities"), ("opportunity",)),
    "change": (gettext_lazy("Changes"), ("change",)),
}
#: Whole-VND amounts shown as money in the changes.
MONEY_FIELDS = {"amount", "estimated_value", "annual_revenue"}
PHONE_FIELDS = {"phone", "phone2", "mobile"}
EMPTY = "—"


@dataclass
class ChangeLine:
    label: str
    old: str
    new: str


def _display(field, value, custom_type: str = "") -> str:
    """A stored audit value as the reader expects to see it."""
    if value in (None, "", []):
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or EMPTY
    if field is not None:
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if field.name in MONEY_FIELDS and isinstance(value, int):
            return money(value)
        if field.name in PHONE_FIELDS:
            return phone(value)
        try:
            if isinstance(field, models.DateTimeField):
                moment = datetime.datetime.fromisoformat(str(value))
                if timezone.is_aware(moment):
                    moment = timezone.localtime(moment)
                return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
            if isinstance(field, models.DateField):
                return formats.date_format(datetime.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        except ValueError:
            pass
        if isinstance(value, int) and not isinstance(field, models.ForeignKey):
            return formats.number_format(value, use_l10n=True, force_grouping=True)
    elif custom_type == CustomField.Type.MONEY and isinstance(value, int):
        return money(value)
    return Truncator(str(value)).chars(120)


def describe_changes(
    entry: AuditEntry, custom_fields: dict[tuple[str, str], CustomField]
) -> list[ChangeLine]:
    """``[ChangeLine(label, old, new), …]`` for one audit entry, in the model's field order."""
    try:
        model = apps.get_model(entry.entity)
    except (LookupError, ValueError):
        model = None
    lines = []
    for name, pair in (entry.changes or {}).items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        field, label, custom_type = None, name, ""
        if name.startswith("custom."):
            definition = custom_fields.get((entry.entity, name.removeprefix("custom.")))
            if definition is not None:
                label, custom_type = definition.label, definition.type
        elif model is not None:
            try:
                field = model._meta.get_field(name)
                label = str(field.verbose_name)
            except FieldDoesNotExist:
                field = None
        lines.append(
            ChangeLine(capfirst(label), _display(field, old, custom_type), _display(field, new, custom_type))
        )
    return lines


def _custom_fields(items: list[TimelineItem]) -> dict[tuple[str, str], CustomField]:
    """Definitions of the custom fields the changes mention (one query, none when there are none)."""
    keys = {
        (item.obj.entity, name.removeprefix("custom."))
        for item in items
        if item.kind == "change"
        for name in (item.obj.changes or {})
        if name.startswith("custom.")
    }
    if not keys:
        return {}
    qs = CustomField.objects.filter(
        entity__in={entity for entity, _key in keys}, key__in={key for _entity, key in keys}
    )
    return {(f.entity, f.key): f for f in qs}


def _entity_label(entity: str) -> str:
    try:
        return capfirst(apps.get_model(entity)._meta.verbose_name)
    except (LookupError, ValueError):
        return entity


def _render(request, *, items: list[TimelineItem], kind: str, url: str, dom_id: str):
    custom_fields = _custom_fields(items)
    rows = []
    for item in items:
        row = {"item": item, "kind": item.kind, "at": item.at, "obj": item.obj}
        if item.kind == "change":
            entry = item.obj
            row["entity"] = entry.entity
            row["entity_label"] = _entity_label(entry.entity)
            row["lines"] = describe_changes(entry, custom_fields)
        rows.append(row)
    filters = [{"value": value, "label": label} for value, (label, _kinds) in FILTERS.items()]
    return render(
        request,
        "crm/partials/timeline.html",
        {"rows": rows, "kind": kind, "filters": filters, "timeline_url": url, "dom_id": dom_id},
    )


def _kind(request) -> str:
    kind = request.GET.get("kind", "all")
    return kind if kind in FILTERS else "all"


@login_required
def account_timeline(request, pk: int):
    account = get_object_for_user(Account.objects.all(), request.user, pk)
    kind = _kind(request)
    items = timeline_for_account(account=account, user=request.user, kinds=FILTERS[kind][1])
    url = reverse("crm:account_timeline", args=[account.pk])
    return _render(request, items=items, kind=kind, url=url, dom_id=f"timeline-account-{account.pk}")


@login_required
def contact_timeline(request, pk: int):
    contact = get_object_for_user(Contact.objects.all(), request.user, pk)
    kind = _kind(request)
    items = timeline_for_contact(contact=contact, user=request.user, kinds=FILTERS[kind][1])
    url = reverse("crm:contact_timeline", args=[contact.pk])
    return _render(request, items=items, kind=kind, url=url, dom_id=f"timeline-contact-{contact.pk}")
