"""Contacts (Liên hệ): Vietnamese names sorted by given name, phones, marketing consent."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sencrm.common.display import EMPTY, choice_label, display_value, format_date, record_url, yes_no
from sencrm.common.lists import (
    BooleanFilter,
    BranchFilter,
    ChoiceFilter,
    Column,
    RelatedFilter,
    TagFilter,
    TeamFilter,
    UserFilter,
)
from sencrm.common.phones import format_phone
from sencrm.common.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    related_list,
)
from sencrm.core.widgets import record_panels
from sencrm.crm.forms import ContactForm
from sencrm.crm.models import Contact, Opportunity
from sencrm.crm.models.contacts import Channel
from sencrm.crm.views._common import url_or_empty
from sencrm.crm.views.duplicates import DuplicateWarningMixin


def contact_name(obj):
    """'(Mr (anh)) Nguyễn Văn Đức', linked: full name in Vietnamese order after the salutation."""
    if obj.salutation:
        return format_html(
            '<span class="text-secondary small">{}</span> <a href="{}" class="fw-medium">{}</a>',
            choice_label(obj, "salutation"),
            record_url(obj),
            obj.full_name,
        )
    return format_html('<a href="{}" class="fw-medium">{}</a>', record_url(obj), obj.full_name)


class ContactListView(ObjectListView):
    model = Contact
    columns = [
        Column("full_name", label=_("Name"), sort="sort_name", render=contact_name, css="sen-col-main"),
        Column("account"),
        Column("job_title"),
        Column("mobile"),
        Column("email"),
        Column("phone", default=False),
        Column("province", default=False),
        Column("preferred_channel", default=False),
        Column("birthday", default=False),
        Column("last_contacted_at", default=False),
        Column("do_not_contact", default=False),
        Column("owner"),
        Column("tags"),
        Column("created_at", default=False),
    ]
    filters = [
        RelatedFilter("account"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
        TagFilter(),
        ChoiceFilter("preferred_channel"),
        RelatedFilter("province", listed=True),
        BooleanFilter("do_not_contact"),
    ]
    default_sort = ["sort_name"]

    def picker_detail(self, obj) -> str:
        return " · ".join(p for p in (obj.job_title, format_phone(obj.mobile), obj.email) if p)


def _address(obj):
    return display_value(obj, "address")


class ContactDetailView(ObjectDetailView):
    model = Contact
    queryset = Contact.objects.select_related("account", "province", "ward")
    fieldsets = [
        (_("Work"), ["account", "job_title", "department"]),
        (
            _("Reaching them"),
            [
                "mobile", "phone", "email", "email2", "preferred_channel", "preferred_time",
                "birthday", "do_not_contact", "last_contacted_at", (_("Address"), _address),
            ],
        ),
        (_("Description"), ["description:multiline"]),
    ]  # fmt: skip

    def get_extra_context(self, request, obj) -> dict:
        consent = obj.consent if isinstance(obj.consent, dict) else {}
        consent_rows = []
        for value, label in Channel.choices:
            entry = consent.get(value)
            consent_rows.append(
                {
                    "channel": label,
                    "recorded": entry is not None,
                    "granted": yes_no(entry.get("granted")) if entry else EMPTY,
                    "granted_bool": bool(entry and entry.get("granted")),
                    "at": format_date(entry.get("at")) if entry and entry.get("at") else EMPTY,
                    "source": (entry or {}).get("source") or EMPTY,
                }
            )
        opportunities = related_list(
            key="opportunities",
            title=_("Opportunities"),
            queryset=Opportunity.objects.visible_to(request.user)
            .filter(contact=obj)
            .order_by("-created_at", "-pk"),
            columns=[
                Column("name", link=True),
                Column("stage"),
                Column("amount", css="text-end"),
                Column("expected_close"),
            ],
            all_url=url_or_empty("crm:opportunity_list", query=f"contact={obj.pk}"),
            add_url=url_or_empty(
                "crm:opportunity_create",
                query=f"contact={obj.pk}" + (f"&account={obj.account_id}" if obj.account_id else ""),
            ),
            empty=_("No opportunities with this contact yet."),
        )
        return {
            "consent_rows": consent_rows,
            "related_lists": [opportunities],
            # Blocks of higher apps (sales' purchase history), from core.widgets.
            "panels": record_panels(request, obj),
            "timeline_url": url_or_empty("crm:contact_timeline", obj.pk),
            "log_activity_url": url_or_empty("crm:activity_create", query=f"contact={obj.pk}&kind=call"),
        }


class ContactEditView(DuplicateWarningMixin, ObjectEditView):
    model = Contact
    form_class = ContactForm

    def get_initial(self, request) -> dict:
        account = request.GET.get("account", "")
        return {"account": int(account)} if account.isdigit() else {}


class ContactDeleteView(ObjectDeleteView):
    model = Contact
