"""Data every page's frame needs: the menu the user's rights allow and the unread count."""

from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import Action

# (entity, url name, label) of the main menu, in order.
MENU = [
    ("crm.account", "crm:account_list", _("Accounts")),
    ("crm.contact", "crm:contact_list", _("Contacts")),
    ("crm.lead", "crm:lead_list", _("Leads")),
    ("crm.opportunity", "crm:opportunity_list", _("Opportunities")),
    ("crm.activity", "crm:activity_list", _("Activities")),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    items = []
    for entity, url_name, label in MENU:
        if user.has_right(entity, Action.VIEW):
            try:
                items.append({"url": reverse(url_name), "label": label, "entity": entity})
            except NoReverseMatch:  # a module whose pages are not installed stays out of the menu
                continue
    # Lazy: counted only when a template shows it (full pages, not most htmx fragments).
    unread = SimpleLazyObject(lambda: user.notifications.filter(read_at__isnull=True).count())
    return {"nav_items": items, "unread_notifications": unread}
