"""Template filters of the sales pages: amounts with their currency's decimals, VAT labels."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from sencrm.sales.money import amount_in_words, decimals_of
from sencrm.sales.services.quotes import vat_label

register = template.Library()


def format_amount(value, currency: str = "VND") -> str:
    """'1.250.000 ₫' (vi) / '₫1,250,000' (en); 'USD 1.234,50' keeps the cents."""
    if value in (None, ""):
        return ""
    currency = (currency or "VND").upper()
    decimals = decimals_of(currency)
    amount = number_format(Decimal(value), decimal_pos=decimals, use_l10n=True, force_grouping=True)
    if currency != "VND":
        return f"{amount} {currency}"
    return f"{amount}\u00a0₫" if get_language() == "vi" else f"₫{amount}"


@register.filter
def amount(value, currency: str = "VND") -> str:
    return format_amount(value, currency)


@register.filter
def vat(rate: str) -> str:
    return vat_label(rate) if rate else ""


@register.filter
def in_words(value, currency: str = "VND") -> str:
    return amount_in_words(Decimal(value), currency) if value not in (None, "") else ""


@register.filter
def qty(value) -> str:
    if value in (None, ""):
        return ""
    number = Decimal(value).normalize()
    decimals = max(-number.as_tuple().exponent, 0)
    return number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)
