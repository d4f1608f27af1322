"""Custom-field definitions as administrators create and edit them (C7).

The values records carry are validated by ``custom_fields.clean_custom``; this module keeps the
definitions themselves sound: a key that is a stable identifier, choices where the type needs them.
"""

import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sencrm.common.text import nfc
from sencrm.core.models import MODULES, CustomField

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_TYPES = (CustomField.Type.CHOICE, CustomField.Type.MULTI)
MAX_CHOICES = 200
CHOICE_MAX_LENGTH = 100


def choices_from_text(text: str) -> list[str]:
    """One choice per line, trimmed, NFC, blank lines and repeats dropped, order kept."""
    lines = (nfc(line).strip() for line in (text or "").splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def _clean_choices(field: CustomField, errors: dict[str, list[str]]) -> None:
    if field.type not in CHOICE_TYPES:
        field.choices = []
        return
    if not isinstance(field.choices, list) or not all(isinstance(c, str) for c in field.choices):
        errors["choices"] = [_("Choices must be a list of texts.")]
        return
    field.choices = list(dict.fromkeys(nfc(c).strip() for c in field.choices if c and c.strip()))
    if not field.choices:
        errors["choices"] = [_("List the choices, one per line.")]
    elif len(field.choices) > MAX_CHOICES:
        errors["choices"] = [_("At most %(n)d choices.") % {"n": MAX_CHOICES}]
    elif any(len(c) > CHOICE_MAX_LENGTH for c in field.choices):
        errors["choices"] = [_("Each choice has at most %(n)d characters.") % {"n": CHOICE_MAX_LENGTH}]


def _clean(field: CustomField, *, new: bool) -> None:
    field.label = nfc(field.label).strip()
    errors: dict[str, list[str]] = {}
    if field.entity not in MODULES:
        errors["entity"] = [_("Choose a record kind from the list.")]
    if new:
        field.key = (field.key or "").strip()
        if not KEY_RE.match(field.key):
            errors["key"] = [
                _("Use lower-case letters, digits and _, starting with a letter (e.g. favourite_scent).")
            ]
        elif CustomField.objects.filter(entity=field.entity, key=field.key).exists():
            errors["key"] = [_("This record kind already has a field with this key.")]
        elif _is_builtin(field.entity, field.key):
            errors["key"] = [_("This key is the name of a built-in field; choose another.")]
    _clean_choices(field, errors)
    try:
        # Uniqueness of the key per kind is checked above, with a message that says so.
        field.full_clean(
            exclude=["choices", "key"] if not new else ["choices"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name not in errors:
                errors[name] = messages
    if errors:
        raise ValidationError(errors)


def _is_builtin(entity: str, key: str) -> bool:
    """True when the record kind has a built-in field of that name (imports and the API would clash)."""
    try:
        model = apps.get_model(entity)
    except (LookupError, ValueError):
        return False
    try:
        model._meta.get_field(key)
    except FieldDoesNotExist:
        return key in {"id", "pk", "tags", "custom"}
    return True


@transaction.atomic
def custom_field_create(
    *,
    entity: str,
    key: str,
    label: str,
    type: str = CustomField.Type.TEXT,
    choices: list[str] | None = None,
    required: bool = False,
    show_in_list: bool = False,
    position: int | None = None,
    active: bool = True,
) -> CustomField:
    """Add a custom field to a record kind; it shows up at the end unless a position is given."""
    if position is None:
        last = CustomField.objects.filter(entity=entity).aggregate(m=Max("position"))["m"]
        position = 0 if last is None else last + 1
    field = CustomField(
        entity=entity,
        key=key,
        label=label,
        type=type,
        choices=list(choices or []),
        required=required,
        show_in_list=show_in_list,
        position=position,
        active=active,
    )
    _clean(field, new=True)
    field.save()
    return field


@transaction.atomic
def custom_field_update(
    *,
    field: CustomField,
    label: str,
    type: str,
    choices: list[str] | None = None,
    required: bool = False,
    show_in_list: bool = False,
    position: int = 0,
    active: bool = True,
) -> CustomField:
    """Change a custom field. The record kind and the key never change: imports and the API use them.

    Values already stored are kept as they are; a record whose value no longer fits (a removed
    choice) asks for a new value the next time it is edited.
    """
    current = CustomField.objects.select_for_update().get(pk=field.pk)
    current.label, current.type, current.choices = label, type, list(choices or [])
    current.required, current.show_in_list = required, show_in_list
    current.position, current.active = position, active
    _clean(current, new=False)
    current.save()
    return current
