"""``{% import_button view %}``: the "Import" button of a list page whose record kind can be imported."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from sencrm.common.models import Action

register = template.Library()


@register.simple_tag(takes_context=True)
def import_button(context, view) -> str:
    from sencrm.core.imports import get_adapter

    entity = getattr(view, "entity", None)
    adapter = get_adapter(entity()) if callable(entity) else None
    user = context["request"].user
    if adapter is None or not user.has_right(adapter.model, Action.CREATE):
        return ""
    return format_html(
        '<a href="{}?entity={}" class="btn" data-testid="import">{}</a>',
        reverse("import_new"),
        adapter.entity,
        _("Import"),
    )
