"""Leads (Tiềm năng): list, detail with verification warnings, form, delete, and conversion."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.common import lists
from sencrm.common.access import RightDenied, get_object_for_user
from sencrm.common.display import choice_label, display_value, record_url
from sencrm.common.lists import (
    BranchFilter,
    ChoiceFilter,
    Column,
    RelatedFilter,
    TagFilter,
    TeamFilter,
    UserFilter,
)
from sencrm.common.models import Action
from sencrm.common.phones import format_phone
from sencrm.common.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    requires_right,
)
from sencrm.crm.forms import LeadConvertForm, LeadForm
from sencrm.crm.models import Account, Contact, Lead
from sencrm.crm.services.leads import lead_convert, lead_verify
from sencrm.crm.views._common import badge
from sencrm.crm.views.duplicates import DuplicateWarningMixin

STATUS_COLORS = {
    "new": "blue",
    "contacted": "azure",
    "qualified": "green",
    "unqualified": "secondary",
    "converted": "purple",
}
RATING_COLORS = {"hot": "red", "warm": "orange", "cold": "cyan"}


def salutation(obj) -> str:
    """Leads store the salutation code as free text; show the contact's label for known codes."""
    return str(dict(Contact.Salutation.choices).get(obj.salutation, obj.salutation))


def lead_name(obj):
    if obj.salutation and obj.full_name:
        return format_html(
            '<span class="text-secondary small">{}</span> <a href="{}" class="fw-medium">{}</a>',
            salutation(obj),
            record_url(obj),
            obj,
        )
    return format_html('<a href="{}" class="fw-medium">{}</a>', record_url(obj), obj)


def _salutation(obj):
    return format_html("{}", salutation(obj)) if obj.salutation else display_value(obj, "salutation")


def status_badge(obj):
    return badge(choice_label(obj, "status"), STATUS_COLORS.get(obj.status, "secondary"))


def rating_badge(obj):
    return badge(choice_label(obj, "rating"), RATING_COLORS.get(obj.rating, "secondary"))


class LeadListView(ObjectListView):
    model = Lead
    columns = [
        Column(
            "full_name", label=gettext_lazy("Name"), sort="sort_name", render=lead_name, css="sen-col-main"
        ),
        Column("company"),
        Column("status", render=status_badge),
        Column("rating", render=rating_badge),
        Column("source"),
        Column("mobile"),
        Column("email", default=False),
        Column("estimated_value", default=False, css="text-end"),
        Column("province", default=False),
        Column("owner"),
        Column("tags"),
        Column("created_at"),
    ]
    filters = [
        ChoiceFilter("status"),
        ChoiceFilter("rating"),
        ChoiceFilter("source"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
        TagFilter(),
        RelatedFilter("province", listed=True),
    ]
    default_sort = ["-created_at"]

    def picker_detail(self, obj) -> str:
        return " · ".join(p for p in (obj.company, format_phone(obj.mobile), obj.email) if p)


def _address(obj):
    return display_value(obj, "address")


class LeadDetailView(ObjectDetailView):
    model = Lead
    queryset = Lead.objects.select_related(
        "province", "ward", "converted_account", "converted_contact", "converted_opportunity"
    )
    fieldsets = [
        (
            gettext_lazy("Person"),
            [(gettext_lazy("Salutation"), _salutation), "job_title", "mobile", "phone", "email"],
        ),
        (
            gettext_lazy("Company"),
            ["company", "tax_code", "industry", "website", (gettext_lazy("Address"), _address)],
        ),
        (gettext_lazy("Qualification"), ["source", "status", "rating", "estimated_value"]),
        (gettext_lazy("Description"), ["description:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        from sencrm.crm.views._common import url_or_empty

        return {
            "warnings": [] if obj.is_converted else lead_verify(lead=obj, user=request.user),
            "status_badge": status_badge(obj),
            "rating_badge": rating_badge(obj),
            "convert_url": url_or_empty("crm:lead_convert", obj.pk),
            "log_activity_url": url_or_empty("crm:activity_create", query=f"lead={obj.pk}&kind=call"),
            "activities": _lead_activities(request, obj),
        }


def _lead_activities(request, obj):
    from sencrm.common.views import related_list
    from sencrm.crm.models import Activity
    from sencrm.crm.views._common import url_or_empty

    return related_list(
        key="activities",
        title=_("Activities"),
        queryset=Activity.objects.visible_to(request.user).filter(lead=obj).order_by("-occurred_at", "-pk"),
        columns=[
            Column("subject", link=True),
            Column("kind"),
            Column("occurred_at", label=_("When")),
            Column("done"),
        ],
        all_url=url_or_empty("crm:activity_list", query=f"lead={obj.pk}"),
        add_url=url_or_empty("crm:activity_create", query=f"lead={obj.pk}"),
        empty=_("No activities with this lead yet."),
    )


class LeadEditView(DuplicateWarningMixin, ObjectEditView):
    model = Lead
    form_class = LeadForm


class LeadDeleteView(ObjectDeleteView):
    model = Lead


# --------------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------------
def likely_accounts(lead: Lead, user):
    """Visible accounts with the lead's tax code or whose name has every word of its company."""
    q = Q(pk__in=[])
    if lead.tax_code:
        q |= Q(tax_code=lead.tax_code)
    if lead.company:
        q |= Q(pk__in=lists.search(Account.objects.visible_to(user), lead.company).values("pk"))
    return list(Account.objects.visible_to(user).filter(q).order_by("sort_name", "pk")[:5])


def likely_contacts(lead: Lead, user):
    """Visible contacts with the lead's email or one of its phone numbers."""
    phones = [p for p in (lead.mobile, lead.phone) if p]
    q = Q(pk__in=[])
    if lead.email:
        q |= Q(email=lead.email) | Q(email2=lead.email)
    if phones:
        q |= Q(mobile__in=phones) | Q(phone__in=phones)
    return list(
        Contact.objects.visible_to(user).filter(q).select_related("account").order_by("sort_name", "pk")[:5]
    )


@requires_right(Lead, Action.CHANGE)
def lead_convert_view(request, pk):
    """Choose what the lead becomes, then ``lead_convert`` (atomic) and go to the new opportunity."""
    lead = get_object_for_user(Lead.objects.all(), request.user, pk, Action.CHANGE)
    if lead.is_converted:
        messages.info(request, _("This lead has already been converted."))
        return redirect(lead.get_absolute_url())
    accounts = likely_accounts(lead, request.user)
    contacts = likely_contacts(lead, request.user)
    initial = {}
    exact = [a for a in accounts if lead.tax_code and a.tax_code == lead.tax_code]
    if exact:
        initial.update(account_mode="existing", account=exact[0].pk)
    form = LeadConvertForm(request.POST or None, user=request.user, lead=lead, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            result = lead_convert(
                lead=lead,
                by=request.user,
                account=cd["account"] if cd["account_mode"] == "existing" else None,
                contact=cd["contact"] if cd["contact_mode"] == "existing" else None,
                create_account=cd["account_mode"] == "new",
                create_opportunity=cd["create_opportunity"],
                opportunity_name=cd["opportunity_name"],
                amount=cd["amount"],
                pipeline=cd["pipeline"],
                expected_close=cd["expected_close"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except RightDenied as exc:
            form.add_error(
                None,
                _("Your role may not create %(kind)s, so the lead was not converted.")
                % {"kind": exc.model._meta.verbose_name_plural},
            )
        else:
            messages.success(request, _("The lead was converted."))
            target = result.opportunity or result.contact
            return redirect(target.get_absolute_url())
    return render(
        request,
        "crm/lead_convert.html",
        {
            "lead": lead,
            "object": lead,
            "form": form,
            "warnings": lead_verify(lead=lead, user=request.user),
            "likely_accounts": accounts,
            "likely_contacts": contacts,
        },
    )
