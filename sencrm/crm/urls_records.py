"""Record pages of the CRM: list, detail, create/edit and delete of each record kind, plus the
record actions (lead conversion, moving a deal, completing an activity)."""

from django.urls import path

from sencrm.common.views import record_urls, ward_options
from sencrm.crm.views import accounts, activities, contacts, leads, opportunities

urlpatterns = [
    *record_urls(
        "accounts",
        "account",
        list=accounts.AccountListView,
        detail=accounts.AccountDetailView,
        edit=accounts.AccountEditView,
        delete=accounts.AccountDeleteView,
    ),
    *record_urls(
        "contacts",
        "contact",
        list=contacts.ContactListView,
        detail=contacts.ContactDetailView,
        edit=contacts.ContactEditView,
        delete=contacts.ContactDeleteView,
    ),
    *record_urls(
        "leads",
        "lead",
        list=leads.LeadListView,
        detail=leads.LeadDetailView,
        edit=leads.LeadEditView,
        delete=leads.LeadDeleteView,
    ),
    path("leads/<int:pk>/convert/", leads.lead_convert_view, name="lead_convert"),
    *record_urls(
        "opportunities",
        "opportunity",
        list=opportunities.OpportunityListView,
        detail=opportunities.OpportunityDetailView,
        edit=opportunities.OpportunityEditView,
        delete=opportunities.OpportunityDeleteView,
    ),
    path("opportunities/<int:pk>/move/", opportunities.opportunity_move_view, name="opportunity_move"),
    *record_urls(
        "activities",
        "activity",
        list=activities.ActivityListView,
        detail=activities.ActivityDetailView,
        edit=activities.ActivityEditView,
        delete=activities.ActivityDeleteView,
    ),
    path("activities/<int:pk>/complete/", activities.activity_complete_view, name="activity_complete"),
    path("wards/", ward_options, name="ward_options"),
]
