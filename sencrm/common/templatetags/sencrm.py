"""Template filters every page uses: money, phone numbers, field values of any record."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from sencrm.common.phones import format_phone

register = template.Library()


@register.filter
def money(value, currency: str = "VND") -> str:
    """'1.250.000 ₫' in Vietnamese, '₫1,250,000' in English; other currencies by their code."""
    if value in (None, ""):
        return ""
    amount = number_format(int(value), decimal_pos=0, use_l10n=True, force_grouping=True)
    if (currency or "VND") != "VND":
        return f"{amount} {currency}"
    if get_language() == "vi":
        return f"{amount}\u00a0₫"
    return f"₫{amount}"


@register.filter
def phone(value) -> str:
    return format_phone(value) if value else ""


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` for dicts in templates (custom field values)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
