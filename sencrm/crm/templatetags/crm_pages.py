"""Template helpers of the home page, the kanban board and the timeline."""

from django import template
from django.urls import NoReverseMatch, reverse

from sencrm.common import display
from sencrm.common.templatetags.sencrm import money

register = template.Library()


@register.filter
def record_url(obj) -> str:
    """The record's detail page, or "" while that page is not installed."""
    if obj is None:
        return ""
    try:
        return display.record_url(obj)
    except (NoReverseMatch, AttributeError):
        return ""


@register.simple_tag
def entity_url(entity: str, pk) -> str:
    """Detail page of a record named by entity ("crm.account") and id; "" when there is none."""
    app, _, model = entity.partition(".")
    try:
        return reverse(f"{app}:{model}_detail", args=[pk])
    except NoReverseMatch:
        return ""


@register.filter
def amounts(pairs) -> str:
    """'1.250.000 ₫ + 3.000 USD' from ``[(currency, total), …]``; '0 ₫' when empty."""
    pairs = list(pairs or [])
    if not pairs:
        return money(0)
    return " + ".join(money(total, currency) for currency, total in pairs)
