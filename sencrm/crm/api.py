"""CRM API: accounts, contacts, leads, opportunities and activities, plus their actions
(lead conversion, deal moves, completing an activity) and the pipelines.

Each record kind is one ``RecordResource``; ``add_record_routes`` gives it list, create, detail,
patch, delete (to the Trash) and audit routes that go through ``visible_to`` and the services.
"""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Query, Router

from sencrm.common.api import (
    ListParams,
    RecordResource,
    add_record_routes,
    errors_doc,
    etag,
    existing,
    expected_version,
    page_schema,
    paginate,
    resolve_refs,
    visible,
)
from sencrm.common.models import Action
from sencrm.core.api import record_services
from sencrm.core.models import Branch, Province, User, Ward
from sencrm.crm.models import Account, Activity, Contact, Lead, Opportunity, Pipeline, Stage
from sencrm.crm.schemas import (
    AccountFilters,
    AccountIn,
    AccountOut,
    ActivityCompleteIn,
    ActivityFilters,
    ActivityIn,
    ActivityOut,
    ContactFilters,
    ContactIn,
    ContactOut,
    LeadConvertIn,
    LeadConvertOut,
    LeadFilters,
    LeadIn,
    LeadOut,
    LeadWarningOut,
    OpportunityFilters,
    OpportunityIn,
    OpportunityMoveIn,
    OpportunityOut,
    PipelineOut,
    StageChangeOut,
)
from sencrm.crm.services.activities import activity_complete
from sencrm.crm.services.leads import lead_convert, lead_verify
from sencrm.crm.services.opportunities import opportunity_create, opportunity_move, opportunity_update

router = Router()

# Body fields holding ids, and the rows each may name. Business records must be visible to the
# user (an invisible one is refused like a missing one); organisation rows just have to exist.
PLACEMENT_REFS = {
    "owner": existing(lambda: User.objects.filter(is_active=True)),
    "branch": existing(Branch.objects.all),
}
ADDRESS_REFS = {"ward": existing(Ward.objects.all), "province": existing(Province.objects.all)}
ADDRESS_RELATED = ("owner", "branch", "team", "ward", "province")
NAME_SORTS = {"name": "sort_name", "created_at": "created_at"}

accounts = RecordResource(
    path="accounts",
    model=Account,
    schema_in=AccountIn,
    schema_out=AccountOut,
    filters=AccountFilters,
    sorts=NAME_SORTS,
    default_sort="name",
    refs={**PLACEMENT_REFS, **ADDRESS_REFS, "parent": visible(Account)},
    related=ADDRESS_RELATED,
    **record_services(Account),
)

contacts = RecordResource(
    path="contacts",
    model=Contact,
    schema_in=ContactIn,
    schema_out=ContactOut,
    filters=ContactFilters,
    sorts=NAME_SORTS,
    default_sort="name",
    refs={**PLACEMENT_REFS, **ADDRESS_REFS, "account": visible(Account)},
    related=ADDRESS_RELATED,
    **record_services(Contact),
)

leads = RecordResource(
    path="leads",
    model=Lead,
    schema_in=LeadIn,
    schema_out=LeadOut,
    filters=LeadFilters,
    sorts=NAME_SORTS,
    default_sort="-created_at",
    refs={**PLACEMENT_REFS, **ADDRESS_REFS},
    related=ADDRESS_RELATED,
    **record_services(Lead),
)

opportunities = RecordResource(
    path="opportunities",
    model=Opportunity,
    schema_in=OpportunityIn,
    schema_out=OpportunityOut,
    filters=OpportunityFilters,
    sorts={**NAME_SORTS, "amount": "amount", "expected_close": "expected_close"},
    default_sort="-created_at",
    refs={
        **PLACEMENT_REFS,
        "account": visible(Account),
        "contact": visible(Contact),
        "pipeline": existing(Pipeline.objects.all),
        "stage": existing(Stage.objects.all),
    },
    related=("owner", "branch", "team", "pipeline", "stage"),
    **{
        **record_services(Opportunity),
        # Deal services keep the stage history (and default pipeline, stage, probability).
        "create": opportunity_create,
        "update": lambda instance, **kwargs: opportunity_update(opportunity=instance, **kwargs),
    },
)

activities = RecordResource(
    path="activities",
    model=Activity,
    schema_in=ActivityIn,
    schema_out=ActivityOut,
    filters=ActivityFilters,
    sorts={"occurred_at": "occurred_at", "due_at": "due_at"},
    default_sort="-occurred_at",
    refs={
        **PLACEMENT_REFS,
        "account": visible(Account),
        "contact": visible(Contact),
        "lead": visible(Lead),
        "opportunity": visible(Opportunity),
    },
    **record_services(Activity),
)

for resource in (accounts, contacts, leads, opportunities, activities):
    add_record_routes(router, resource)


# ---------------------------------------------------------------------------------------------------
# Leads: conversion and verification
# ---------------------------------------------------------------------------------------------------

CONVERT_REFS = {
    "account_id": visible(Account),
    "contact_id": visible(Contact),
    "pipeline_id": existing(lambda: Pipeline.objects.filter(active=True)),
}


@router.post(
    "/leads/{record_id}/convert",
    response={200: LeadConvertOut, **errors_doc(400, 401, 403, 404, 422)},
    tags=["leads"],
    summary="Convert a lead into account, contact and opportunity",
)
def convert_lead(request, record_id: int, payload: LeadConvertIn | None = None):
    """One transaction: a failure anywhere stores nothing. 422 if the lead is already converted."""
    lead = leads.get_for(request.user, record_id, Action.CHANGE)
    data = (payload or LeadConvertIn()).model_dump()
    resolve_refs(request.user, data, CONVERT_REFS)
    result = lead_convert(
        lead=lead,
        by=request.user,
        account=data["account_id"],
        contact=data["contact_id"],
        create_account=data["create_account"],
        create_opportunity=data["create_opportunity"],
        opportunity_name=data["opportunity_name"],
        amount=data["amount"],
        pipeline=data["pipeline_id"],
        expected_close=data["expected_close"],
    )
    return {
        "account_id": result.account.pk if result.account else None,
        "contact_id": result.contact.pk,
        "opportunity_id": result.opportunity.pk if result.opportunity else None,
    }


@router.get(
    "/leads/{record_id}/warnings",
    response={200: list[LeadWarningOut], **errors_doc(401, 403, 404)},
    tags=["leads"],
    summary="Verification warnings: unassigned numbers, mistyped emails, likely duplicates",
)
def lead_warnings(request, record_id: int):
    lead = leads.get_for(request.user, record_id)
    return lead_verify(lead=lead, user=request.user)


# ---------------------------------------------------------------------------------------------------
# Opportunities: moves between stages, stage history, pipelines
# ---------------------------------------------------------------------------------------------------


@router.post(
    "/opportunities/{record_id}/move",
    response={200: OpportunityOut, **errors_doc(400, 401, 403, 404, 412, 422)},
    tags=["opportunities"],
    summary="Move a deal to another stage of its pipeline",
)
def move_opportunity(request, record_id: int, payload: OpportunityMoveIn, response: HttpResponse):
    """Takes the stage's probability and records the move; a lost stage needs ``lost_reason``.

    Honours ``If-Match`` like PATCH.
    """
    opportunity = opportunities.get_for(request.user, record_id, Action.CHANGE)
    version = expected_version(request, opportunity)
    data = payload.model_dump()
    resolve_refs(request.user, data, {"stage_id": existing(Stage.objects.all)})
    try:
        moved = opportunity_move(
            opportunity=opportunity,
            stage=data["stage_id"],
            by=request.user,
            lost_reason=data["lost_reason"],
            expected_version=version,
        )
    except ValidationError as exc:
        # The body names the stage ``stage_id``; say so in the errors too.
        if hasattr(exc, "error_dict") and "stage" in exc.error_dict:
            exc.error_dict["stage_id"] = exc.error_dict.pop("stage")
        raise
    moved = opportunities.reload(moved)
    response["ETag"] = etag(moved)
    return moved


@router.get(
    "/opportunities/{record_id}/history",
    response={200: page_schema(StageChangeOut), **errors_doc(401, 403, 404, 422)},
    tags=["opportunities"],
    summary="Stage history, newest first",
)
def opportunity_history(request, record_id: int, params: Query[ListParams]):
    opportunity = opportunities.get_for(request.user, record_id)
    changes = opportunity.stage_changes.select_related("from_stage", "to_stage", "by").order_by("-at", "-id")
    return paginate(request, changes, params)


@router.get(
    "/pipelines",
    response={200: list[PipelineOut], **errors_doc(401)},
    tags=["opportunities"],
    summary="Pipelines with their stages, in order",
)
def list_pipelines(request):
    return Pipeline.objects.prefetch_related("stages").order_by("position", "id")


# ---------------------------------------------------------------------------------------------------
# Activities
# ---------------------------------------------------------------------------------------------------


@router.post(
    "/activities/{record_id}/complete",
    response={200: ActivityOut, **errors_doc(400, 401, 403, 404, 412, 422)},
    tags=["activities"],
    summary="Mark an activity done, with its outcome",
)
def complete_activity(
    request, record_id: int, response: HttpResponse, payload: ActivityCompleteIn | None = None
):
    """Honours ``If-Match`` like PATCH. A done call, meeting or email sets the contact's 'last contacted'."""
    activity = activities.get_for(request.user, record_id, Action.CHANGE)
    version = expected_version(request, activity)
    outcome = (payload or ActivityCompleteIn()).outcome
    done = activity_complete(activity=activity, by=request.user, outcome=outcome, expected_version=version)
    done = activities.reload(done)
    response["ETag"] = etag(done)
    return done
