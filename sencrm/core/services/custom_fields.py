"""Custom-field definitions and the validation of the values records carry in ``custom``."""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sencrm.core.models import CustomField

TEXT_MAX = 1000


def custom_fields_for(entity: str) -> list[CustomField]:
    """Active custom-field definitions of a record kind, in display order."""
    return list(CustomField.objects.filter(entity=entity, active=True))


def _clean_one(field: CustomField, value):  # noqa: C901 - one branch per type reads best
    """Return the stored form of ``value`` for ``field`` or raise ValidationError."""
    t = CustomField.Type
    if field.type == t.TEXT:
        if not isinstance(value, str | int | float):
            raise ValidationError(_("Enter text."))
        value = str(value).strip()
        if len(value) > TEXT_MAX:
            raise ValidationError(_("At most %(n)d characters.") % {"n": TEXT_MAX})
        return value
    if field.type in (t.NUMBER, t.MONEY):
        if isinstance(value, bool):
            raise ValidationError(_("Enter a number."))
        try:
            number = Decimal(str(value).replace(" ", ""))
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
            raise ValidationError(_("Enter a number."))
        if field.type == t.MONEY:
            if number != number.to_integral_value():
                raise ValidationError(_("Amounts in VND have no decimals."))
            return int(number)
        return int(number) if number == number.to_integral_value() else float(number)
    if field.type == t.DATE:
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a valid date.")) from None
    if field.type == t.CHOICE:
        if value not in field.choices:
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, field.choices))}
            )
        return value
    if field.type == t.MULTI:
        if not isinstance(value, list | tuple) or any(v not in field.choices for v in value):
            raise ValidationError(
                _("Choose among: %(choices)s.") % {"choices": ", ".join(map(str, field.choices))}
            )
        return list(dict.fromkeys(value))
    if field.type == t.BOOL:
        if not isinstance(value, bool):
            raise ValidationError(_("Enter yes or no."))
        return value
    if field.type == t.USER:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise ValidationError(_("Choose a user.")) from None
        if not get_user_model().objects.filter(pk=pk, is_active=True).exists():
            raise ValidationError(_("Choose a user."))
        return pk
    raise ValidationError(_("Unknown field type."))


def _is_blank(value) -> bool:
    return value is None or value == "" or value == []


def clean_custom(entity: str, values: dict, *, current: dict | None = None) -> dict:
    """Validate ``values`` against the definitions and merge them into ``current``.

    Raises ValidationError keyed ``custom.<key>`` for unknown keys, bad values and required fields
    left empty. A blank value removes the key.
    """
    if not isinstance(values, dict):
        raise ValidationError({"custom": [_("Custom fields must be an object.")]})
    fields = {f.key: f for f in custom_fields_for(entity)}
    result = dict(current or {})
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            errors[f"custom.{key}"] = [_("Unknown field.")]
            continue
        if _is_blank(value):
            result.pop(key, None)
            continue
        try:
            result[key] = _clean_one(field, value)
        except ValidationError as exc:
            errors[f"custom.{key}"] = exc.messages
    for key, field in fields.items():
        if field.required and _is_blank(result.get(key)) and f"custom.{key}" not in errors:
            errors[f"custom.{key}"] = [_("%(field)s is required.") % {"field": field.label}]
    if errors:
        raise ValidationError(errors)
    return result
