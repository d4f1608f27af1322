"""How a value looks on a page: choices by their label, money as ``1.250.000 ₫``, phones in the
national format, dates dd/mm/yyyy, links to the records a field points at.

Lists, detail pages and the audit trail all format through ``display_value`` so a field looks the
same everywhere. The *kind* of a field is guessed from the model (choices, dates, foreign keys;
``BigIntegerField`` is money by our convention, see DESIGN.md; ``phone``/``mobile`` names are
phones) and can be forced by the caller.
"""

import datetime
import functools
import json

from django.db import models
from django.urls import get_script_prefix
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sencrm.common.phones import format_phone

EMPTY = mark_safe('<span class="text-secondary">—</span>')
PHONE_NAMES = {"phone", "phone2", "mobile"}
EMAIL_NAMES = {"email", "email2"}


def model_field(model, name: str):
    """The model field called ``name``, or None (properties, custom fields)."""
    try:
        return model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist, or a dotted path
        return None


def field_label(model, name: str) -> str:
    field = model_field(model, name)
    if field is not None and hasattr(field, "verbose_name"):
        return capfirst(field.verbose_name)
    return capfirst(name.replace("_", " "))


def field_kind(model, name: str) -> str:
    """One of: choice, fk, m2m, money, phone, email, url, date, datetime, bool, int, text."""
    field = model_field(model, name)
    if field is None:
        return "text"
    if field.many_to_many:
        return "m2m"
    if field.is_relation:
        return "fk"
    if getattr(field, "choices", None):
        return "choice"
    if name in PHONE_NAMES:
        return "phone"
    if name in EMAIL_NAMES or isinstance(field, models.EmailField):
        return "email"
    if isinstance(field, models.URLField):
        return "url"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.BigIntegerField):
        return "money"
    if isinstance(field, models.IntegerField):
        return "int"
    return "text"


def format_date(value) -> str:
    if isinstance(value, str):
        value = parse_date(value) or value
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def format_datetime(value) -> str:
    if isinstance(value, str):
        value = parse_datetime(value) or parse_date(value) or value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def format_money(value, currency: str = "VND") -> str:
    from sencrm.common.templatetags.sencrm import money

    try:
        return money(value, currency)
    except (TypeError, ValueError):
        return str(value)


def format_number(value) -> str:
    try:
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    except (TypeError, ValueError):
        return str(value)


def yes_no(value) -> str:
    return _("Yes") if value else _("No")


@functools.lru_cache(maxsize=512)
def _choice_labels(model, name: str, language: str | None) -> dict:
    field = model._meta.get_field(name)
    return {value: str(label) for value, label in field.flatchoices}


def choice_label(obj, name: str) -> str:
    """``obj.get_<name>_display()`` without its cost: Django rebuilds and translates every label of
    the field on each call; the labels are kept here per model, field and language."""
    value = getattr(obj, name)
    labels = _choice_labels(type(obj), name, get_language())
    try:
        return labels.get(value, value)
    except TypeError:  # an unhashable value
        return value


#: Phones as shown (parsing a number costs ~50 µs; a list page shows a hundred of them).
phone_text = functools.lru_cache(maxsize=4096)(format_phone)

_URL_MARK = 987654321987
_url_patterns: dict[tuple, tuple[str, str] | None] = {}


def record_url(obj) -> str:
    """``obj.get_absolute_url()`` of a business record, without one ``reverse()`` per row.

    Records use the generic ``OwnedModel.get_absolute_url``; their URL is reversed once per model
    (and script prefix) with a marker id, then the id is put in its place.
    """
    from sencrm.common.models import OwnedModel

    model = type(obj)
    if getattr(model, "get_absolute_url", None) is not OwnedModel.get_absolute_url:
        return obj.get_absolute_url()
    key = (model, get_script_prefix())
    pattern = _url_patterns.get(key, False)
    if pattern is False:
        probe = model(pk=_URL_MARK).get_absolute_url()
        head, mark, tail = probe.partition(str(_URL_MARK))
        pattern = _url_patterns[key] = (head, tail) if mark else None
    if pattern is None:
        return obj.get_absolute_url()
    return f"{pattern[0]}{obj.pk}{pattern[1]}"


def record_link(obj) -> SafeString:
    """The record's name, linked to its page when it has one."""
    if obj is None:
        return EMPTY
    name = conditional_escape(obj)
    if getattr(obj, "get_absolute_url", None) is not None and getattr(obj, "deleted_at", None) is None:
        try:
            return SafeString(f'<a href="{conditional_escape(record_url(obj))}">{name}</a>')
        except Exception:  # a model without pages (e.g. a pipeline)
            pass
    return SafeString(name)


def tag_badges(tags) -> SafeString:
    tags = list(tags)
    if not tags:
        return EMPTY
    return format_html_join(
        " ", '<span class="badge bg-{}-lt">{}</span>', ((t.color or "blue", t.name) for t in tags)
    )


def display_value(obj, name: str, kind: str | None = None) -> SafeString:
    """HTML for the value of field ``name`` of ``obj``."""
    model = type(obj)
    kind = kind or field_kind(model, name)
    if kind == "m2m":
        return tag_badges(getattr(obj, name).all())
    if kind == "fk":
        return record_link(getattr(obj, name))
    if kind == "choice":
        value = getattr(obj, name)
        return conditional_escape(choice_label(obj, name)) if value not in ("", None) else EMPTY
    value = getattr(obj, name, None)
    if value is None or value == "":
        return EMPTY
    if kind == "bool":
        return format_html("{}", yes_no(value))
    if kind == "money":
        return format_html("{}", format_money(value, getattr(obj, "currency", "VND") or "VND"))
    if kind == "phone":
        number = conditional_escape(value)
        shown = conditional_escape(phone_text(value))
        return SafeString(f'<a href="tel:{number}" class="text-reset text-nowrap">{shown}</a>')
    if kind == "email":
        email = conditional_escape(value)
        return SafeString(f'<a href="mailto:{email}">{email}</a>')
    if kind == "url":
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', value, value)
    if kind == "date":
        return format_html("{}", format_date(value))
    if kind == "datetime":
        return format_html('<span class="text-nowrap">{}</span>', format_datetime(value))
    if kind == "int":
        return format_html("{}", format_number(value))
    if kind == "multiline":
        return format_html('<div class="sen-multiline">{}</div>', value)
    return conditional_escape(value)


# --- custom fields --------------------------------------------------------------------------------
def custom_display(field, value, users: dict | None = None) -> SafeString:
    """HTML for a custom-field value as stored in ``record.custom`` (see core.CustomField.Type)."""
    if value is None or value == "" or value == []:
        return EMPTY
    t = field.type
    if t == "money":
        return format_html("{}", format_money(value))
    if t == "number":
        return format_html("{}", format_number(value))
    if t == "date":
        return format_html("{}", format_date(value))
    if t == "bool":
        return format_html("{}", yes_no(value))
    if t == "multi":
        return format_html_join(" ", '<span class="badge bg-secondary-lt">{}</span>', ((v,) for v in value))
    if t == "user":
        return format_html("{}", (users or {}).get(value, value))
    return format_html("{}", value)


def users_by_id(ids) -> dict:
    """``{pk: display name}`` of the given users (one query; user-type custom fields)."""
    from django.contrib.auth import get_user_model

    ids = {int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())}
    if not ids:
        return {}
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)}


# --- audit trail ----------------------------------------------------------------------------------
def audit_value(model, name: str, value, *, custom_fields: dict, users: dict) -> str:
    """Text of one side of an audit change (values are stored JSON-safe, choices as codes)."""
    if value is None or value == "" or value == []:
        return "—"
    if name.startswith("custom."):
        field = custom_fields.get(name[7:])
        return str(custom_display(field, value, users)) if field else str(value)
    if name == "tags":
        return str(value)
    field = model_field(model, name)
    if field is None:
        return str(value)
    kind = field_kind(model, name)
    if kind == "choice":
        return str(dict(field.flatchoices).get(value, value))
    if kind == "bool":
        return yes_no(value)
    if kind == "date":
        return format_date(value)
    if kind == "datetime":
        return format_datetime(value)
    if kind == "money":
        return format_money(value)
    if kind == "phone":
        return format_phone(str(value))
    if kind == "int":
        return format_number(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def audit_rows(model, entries, custom_fields: list) -> list[dict]:
    """Audit entries with each change as ``(label, old, new)``, ready for the template."""
    defs = {f.key: f for f in custom_fields}
    user_keys = {f"custom.{f.key}" for f in custom_fields if f.type == "user"}
    entries = list(entries)
    user_ids = [v for e in entries for k, pair in e.changes.items() if k in user_keys for v in pair]
    users = users_by_id(user_ids)
    rows = []
    for entry in entries:
        changes = []
        for name, pair in entry.changes.items():
            old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if name.startswith("custom."):
                label = defs[name[7:]].label if name[7:] in defs else name[7:]
            elif name == "tags":
                label = _("Tags")
            else:
                label = field_label(model, name)
            changes.append(
                {
                    "label": label,
                    "old": audit_value(model, name, old, custom_fields=defs, users=users),
                    "new": audit_value(model, name, new, custom_fields=defs, users=users),
                }
            )
        rows.append({"entry": entry, "changes": changes})
    return rows
