"""Record pages of the CRM: list, detail, create/edit and delete of each record kind, plus the
record actions (lead conversion, moving a deal, completing an activity)."""

from django.urls import path

from sencrm.common.views import record_urls, ward_options
from sencrm.common.views_actions import action_urls, job_urls
from sencrm.crm.views import accounts, activities, contacts, duplicates, leads, opportunities

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
    # Export and bulk actions of every list, and the pages of the jobs they start (issue 3).
    *action_urls("accounts", "account", accounts.AccountListView),
    *action_urls("contacts", "contact", contacts.ContactListView),
    *action_urls("leads", "lead", leads.LeadListView),
    *action_urls("opportunities", "opportunity", opportunities.OpportunityListView),
    *action_urls("activities", "activity", activities.ActivityListView),
    *job_urls(),
    # Duplicates and merge (issue 3).
    path("duplicates/", duplicates.duplicates_page, name="duplicates"),
    path("duplicates/<str:kind>/<int:pk>/", duplicates.duplicate_box, name="duplicate_box"),
    path("duplicates/<str:kind>/check/", duplicates.duplicate_check, name="duplicate_check"),
    path("merge/<str:kind>/", duplicates.merge_view, name="merge"),
]
