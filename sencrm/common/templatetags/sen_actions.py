"""``{% list_actions view as actions %}``: what the export menu and bulk bar of a list may offer.

No queries: rights come from the role the request already loaded; the value inputs of bulk
actions (users, branches, tags) load on demand from ``<list>/bulk/?action=``.
"""

from django import template
from django.urls import NoReverseMatch, reverse

from sencrm.common import bulk, exports
from sencrm.common.models import Action

register = template.Library()


@register.simple_tag(takes_context=True)
def list_actions(context, view) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    model = getattr(view, "model", None)
    if model is None or user is None or not user.is_authenticated:
        return {}
    meta = model._meta
    try:
        export_url = reverse(f"{meta.app_label}:{meta.model_name}_export")
        bulk_url = reverse(f"{meta.app_label}:{meta.model_name}_bulk")
    except NoReverseMatch:
        return {}
    can_change = user.has_right(model, Action.CHANGE)
    can_delete = user.has_right(model, Action.DELETE)
    can_export = user.has_right(model, Action.EXPORT)
    choices = []
    if can_change:
        choices += [(k, v) for k, v in bulk.ACTIONS.items() if k != "delete"]
        if not bulk.bulk_fields(model):
            choices = [c for c in choices if c[0] != "set_field"]
    if can_delete:
        choices.append(("delete", bulk.ACTIONS["delete"]))
    formats = [("csv", "CSV"), ("xlsx", "Excel (XLSX)")]
    if exports.supports_vcard(model):
        formats.append(("vcard", "vCard"))
    return {
        "export_url": export_url,
        "bulk_url": bulk_url,
        "can_export": can_export,
        "can_bulk": bool(choices),
        "bulk_choices": choices,
        "formats": formats,
    }
