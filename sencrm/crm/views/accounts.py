"""Accounts (Tổ chức): list, detail, form, delete."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sencrm.common.display import display_value
from sencrm.common.lists import (
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
from sencrm.crm.forms import AccountForm
from sencrm.crm.models import Account, Contact, Opportunity
from sencrm.crm.views._common import url_or_empty
from sencrm.crm.views.duplicates import DuplicateWarningMixin


def _address(obj):
    return display_value(obj, "address")


class AccountListView(ObjectListView):
    model = Account
    columns = [
        Column("name", link=True, sort="sort_name"),
        Column("type"),
        Column("tax_code"),
        Column("phone"),
        Column("email", default=False),
        Column("industry", default=False),
        Column("province"),
        Column("parent", default=False),
        Column("annual_revenue", default=False, css="text-end"),
        Column("owner"),
        Column("tags"),
        Column("created_at", default=False),
    ]
    filters = [
        ChoiceFilter("type"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
        TagFilter(),
        RelatedFilter("province", listed=True),
        RelatedFilter("parent"),
    ]
    default_sort = ["sort_name"]

    def picker_detail(self, obj) -> str:
        return " · ".join(p for p in (obj.tax_code, format_phone(obj.phone), obj.email) if p)


class AccountDetailView(ObjectDetailView):
    model = Account
    queryset = Account.objects.select_related("parent", "province", "ward")
    fieldsets = [
        (_("Organisation"), ["type", "parent", "industry", "tax_code", "employees", "annual_revenue"]),
        (
            _("Contact details"),
            ["phone", "phone2", "email", "email2", "website", (_("Address"), _address)],
        ),
        (_("Description"), ["description:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        user = request.user
        contacts = related_list(
            key="contacts",
            title=_("Contacts"),
            queryset=Contact.objects.visible_to(user).filter(account=obj).order_by("sort_name", "pk"),
            columns=[
                Column("full_name", link=True),
                Column("job_title"),
                Column("mobile"),
                Column("email"),
            ],
            all_url=url_or_empty("crm:contact_list", query=f"account={obj.pk}"),
            add_url=url_or_empty("crm:contact_create", query=f"account={obj.pk}"),
            empty=_("No contacts at this account yet."),
        )
        opportunities = related_list(
            key="opportunities",
            title=_("Opportunities"),
            queryset=Opportunity.objects.visible_to(user).filter(account=obj).order_by("-created_at", "-pk"),
            columns=[
                Column("name", link=True),
                Column("stage"),
                Column("amount", css="text-end"),
                Column("expected_close"),
            ],
            all_url=url_or_empty("crm:opportunity_list", query=f"account={obj.pk}"),
            add_url=url_or_empty("crm:opportunity_create", query=f"account={obj.pk}"),
            empty=_("No opportunities with this account yet."),
        )
        return {
            "related_lists": [contacts, opportunities],
            # Blocks of higher apps (sales' purchase history and balances), from core.widgets.
            "panels": record_panels(request, obj),
            "timeline_url": url_or_empty("crm:account_timeline", obj.pk),
            "log_activity_url": url_or_empty("crm:activity_create", query=f"account={obj.pk}&kind=call"),
            "type_badge": format_html('<span class="badge bg-azure-lt">{}</span>', obj.get_type_display()),
        }


class AccountEditView(DuplicateWarningMixin, ObjectEditView):
    model = Account
    form_class = AccountForm

    def get_initial(self, request) -> dict:
        parent = request.GET.get("parent", "")
        return {"parent": int(parent)} if parent.isdigit() else {}


class AccountDeleteView(ObjectDeleteView):
    model = Account
