"""``GET /api/v1/<kind>/export``: a record list as CSV, XLSX or vCard, with the list's filters.

Takes the query string of the list page (``q``, ``sort``, filters by their list names such as
``owner``, ``tag``, ``branch``, custom fields ``cf_<key>``, and ``columns`` to choose columns).
Small exports answer the file; larger ones answer ``202`` with the job id, whose file the same
user downloads from ``/jobs/<id>/download/`` when the job is done. A role without the export
right gets 403.
"""

from django.http import HttpResponse
from django.urls import reverse
from ninja import Router

from sencrm.common.api import ApiError
from sencrm.common.views_actions import export_response, export_start
from sencrm.crm.views import accounts, activities, contacts, leads, opportunities

router = Router(tags=["exports"])

LISTS = {
    "accounts": accounts.AccountListView,
    "contacts": contacts.ContactListView,
    "leads": leads.LeadListView,
    "opportunities": opportunities.OpportunityListView,
    "activities": activities.ActivityListView,
}


def _export(request, kind: str):
    from django.core.exceptions import ValidationError

    fmt = request.GET.get("format", "csv")
    try:
        outcome, value = export_start(
            LISTS[kind], request.user, request.GET, fmt, request.GET.getlist("columns")
        )
    except ValidationError as exc:
        raise ApiError(400, " ".join(exc.messages)) from None
    if outcome == "file":
        return export_response(value, fmt)
    url = reverse("crm:job_detail", args=[value.pk])
    response = HttpResponse(
        f'{{"job": {value.pk}, "status": "{value.status}", "url": "{url}"}}',
        status=202,
        content_type="application/json",
    )
    response["Location"] = url
    return response


def _add(kind: str) -> None:
    @router.get(f"/{kind}/export", operation_id=f"export_{kind}", summary=f"Export {kind}")
    def export(request):
        return _export(request, kind)


for _kind in LISTS:
    _add(_kind)
