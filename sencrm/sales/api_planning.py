"""API of the forecast (read only), targets and stage playbooks (CRUD), and a deal's checklist
and forecast category (issue 5, part C). Conventions: DESIGN.md "API conventions".

Visibility is the services': forecast figures come from ``Opportunity.objects.visible_to``,
targets from ``Target.objects.visible_to``; setting targets needs a manager (``can_set_targets``),
playbooks are settings (administrators write them, everyone who sees deals reads them).
"""

import datetime
from contextlib import contextmanager
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from sencrm.common.access import get_object_for_user, require_right
from sencrm.common.api import (
    ApiError,
    ListParams,
    errors_doc,
    etag,
    existing,
    expected_version,
    page_schema,
    paginate,
    require_admin,
    resolve_refs,
)
from sencrm.common.lists import search
from sencrm.common.models import Action
from sencrm.core.models import Branch, Province, Team, User
from sencrm.crm.models import Opportunity, Pipeline, Stage
from sencrm.crm.services.opportunities import default_pipeline
from sencrm.sales.models import OpportunityForecast, StagePlaybook, Target
from sencrm.sales.services.forecast import (
    ForecastFilter,
    default_category,
    forecast_by_group,
    forecast_by_period,
    forecast_category_set,
    forecast_total,
    stage_conversion,
)
from sencrm.sales.services.playbooks import checklist_for, checklist_tick, playbook_delete, playbook_save
from sencrm.sales.services.targets import (
    can_set_targets,
    get_target_for_user,
    target_create,
    target_delete,
    target_update,
    with_attainment,
)

router = Router(tags=["forecast & targets"])


# ---------------------------------------------------------------------------------------------------
# Forecast
# ---------------------------------------------------------------------------------------------------


class ForecastParams(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Calendar year; this year by default.")
    granularity: Literal["month", "quarter"] = "month"
    pipeline: int | None = None
    owner: int | None = None
    team: int | None = None
    branch: int | None = Field(None, description="A branch and the branches below it.")


class GroupParams(ForecastParams):
    group: Literal["owner", "team", "branch"] = "owner"


class FiguresOut(Schema):
    key: str | int | None
    label: str
    open_count: int
    open_amount: int
    weighted: int
    commit: int
    best_case: int
    pipeline: int
    omitted: int
    won_count: int
    won_amount: int
    lost_count: int
    closed_count: int
    win_rate: float | None = Field(None, description="Won ÷ (won + lost) closed in the period, in %.")


class ForecastOut(Schema):
    start: datetime.date
    end: datetime.date
    granularity: str
    currency: str = "VND"
    periods: list[FiguresOut]
    total: FiguresOut


class GroupsOut(Schema):
    group: str
    results: list[FiguresOut]


class StepOut(Schema):
    stage_id: int
    stage: str
    kind: str
    reached: int
    next_rate: float | None


class ConversionOut(Schema):
    pipeline_id: int
    steps: list[StepOut]


def _filter(request, params: ForecastParams) -> ForecastFilter:
    require_right(request.user, Opportunity, Action.VIEW)
    year = params.year or timezone.localdate().year
    return ForecastFilter(
        start=datetime.date(year, 1, 1),
        end=datetime.date(year, 12, 31),
        granularity=params.granularity,
        pipeline_id=params.pipeline,
        owner_id=params.owner,
        team_id=params.team,
        branch_id=params.branch,
    )


@router.get(
    "/forecast", response={200: ForecastOut, **errors_doc(401, 403, 422)}, summary="Forecast by period"
)
def forecast(request, params: Query[ForecastParams]):
    """Open deals by expected close (weighted, and per category: commit, best case, pipeline,
    omitted), won revenue and win rate by closing date, per month or quarter of one year. Only
    the deals the caller may see count; amounts are VND."""
    flt = _filter(request, params)
    rows = forecast_by_period(request.user, flt)
    total = forecast_total(rows)
    total.label = _("Total")
    return {
        "start": flt.start,
        "end": flt.end,
        "granularity": flt.granularity,
        "periods": [f.as_dict() for f in rows],
        "total": total.as_dict(),
    }


@router.get(
    "/forecast/groups",
    response={200: GroupsOut, **errors_doc(401, 403, 422)},
    summary="Forecast per rep/team/branch",
)
def forecast_groups(request, params: Query[GroupParams]):
    flt = _filter(request, params)
    rows = forecast_by_group(request.user, flt, params.group)
    return {"group": params.group, "results": [f.as_dict() for f in rows]}


@router.get(
    "/forecast/conversion",
    response={200: ConversionOut, **errors_doc(401, 403, 404, 422)},
    summary="Stage-to-stage conversion",
)
def forecast_conversion(request, params: Query[ForecastParams]):
    """Of the deals created in the year (visible to the caller), how many reached each stage of
    the pipeline (default: the default pipeline), and the share that went on to the next."""
    flt = _filter(request, params)
    pipeline = (
        get_object_or_404(Pipeline.objects.all(), pk=params.pipeline)
        if params.pipeline
        else default_pipeline()
    )
    return {
        "pipeline_id": pipeline.pk,
        "steps": [s.as_dict() for s in stage_conversion(request.user, flt, pipeline)],
    }


class CategoryIn(Schema):
    category: Literal["commit", "best_case", "pipeline", "omitted"] | None = Field(
        None, description="null: back to the default from the deal's probability."
    )


class CategoryOut(Schema):
    category: str
    chosen: bool = Field(description="False when the category comes from the probability.")


@router.put(
    "/opportunities/{record_id}/forecast-category",
    response={200: CategoryOut, **errors_doc(401, 403, 404, 422)},
    summary="Set a deal's forecast category",
)
def set_forecast_category(request, record_id: int, payload: CategoryIn):
    opportunity = get_object_for_user(Opportunity.objects.all(), request.user, record_id, Action.CHANGE)
    category = forecast_category_set(opportunity=opportunity, category=payload.category, by=request.user)
    return {"category": category, "chosen": payload.category is not None}


@router.get(
    "/opportunities/{record_id}/forecast-category",
    response={200: CategoryOut, **errors_doc(401, 404)},
    summary="A deal's forecast category",
)
def get_forecast_category(request, record_id: int):
    opportunity = get_object_for_user(Opportunity.objects.all(), request.user, record_id)
    chosen = (
        OpportunityForecast.objects.filter(opportunity=opportunity).values_list("category", flat=True).first()
    )
    return {"category": chosen or default_category(opportunity.probability), "chosen": bool(chosen)}


# ---------------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------------


class TargetIn(Schema):
    subject: Literal["user", "team", "branch"]
    user_id: int | None = None
    team_id: int | None = None
    branch_id: int | None = None
    period: Literal["month", "quarter", "year"]
    start: datetime.date
    end: datetime.date | None = Field(None, description="The period's last day; computed when left out.")
    measure: Literal["revenue", "count"] = "revenue"
    value: int = Field(description="VND for revenue, a number of deals for count. Not negative.")
    province_id: int | None = Field(None, description="Province code: only deals of accounts there count.")
    note: str = Field("", max_length=255)


class TargetPatch(Schema):
    subject: Literal["user", "team", "branch"] | None = None
    user_id: int | None = None
    team_id: int | None = None
    branch_id: int | None = None
    period: Literal["month", "quarter", "year"] | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    measure: Literal["revenue", "count"] | None = None
    value: int | None = None
    province_id: int | None = None
    note: str | None = Field(None, max_length=255)
    version: int | None = None


class TargetOut(Schema):
    id: int
    subject: str
    subject_name: str
    user_id: int | None
    team_id: int | None
    branch_id: int | None
    period: str
    start: datetime.date
    end: datetime.date
    measure: str
    source: str
    value: int
    province_id: int | None
    note: str
    attained: int = Field(description="Won so far in the period: VND (revenue) or deals (count).")
    percent: float | None
    version: int

    @staticmethod
    def resolve_user_id(obj) -> int | None:
        return obj.owner_id if obj.subject == Target.Subject.USER else None

    @staticmethod
    def resolve_team_id(obj) -> int | None:
        return obj.team_id if obj.subject == Target.Subject.TEAM else None

    @staticmethod
    def resolve_branch_id(obj) -> int | None:
        return obj.branch_id if obj.subject == Target.Subject.BRANCH else None


class TargetFilters(ListParams):
    year: int | None = Field(None, ge=2000, le=2100)
    subject: Literal["user", "team", "branch"] | None = None
    user: int | None = Field(None, description="Targets of this person.")
    team: int | None = None
    period: Literal["month", "quarter", "year"] | None = None


TARGET_REFS = {
    "user": existing(lambda: User.objects.filter(is_active=True)),
    "team": existing(Team.objects.all),
    "branch": existing(Branch.objects.all),
    "province": existing(Province.objects.all),
}


def _target_data(request, payload: dict) -> dict:
    data = {k.removesuffix("_id"): v for k, v in payload.items()}
    resolve_refs(request.user, data, TARGET_REFS)
    return data


@contextmanager
def _body_names():
    """The services name ``user``, ``team``, ``branch``, ``province``; the body has ``…_id``."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name in [n for n in exc.error_dict if n in TARGET_REFS]:
                exc.error_dict[f"{name}_id"] = exc.error_dict.pop(name)
        raise


def _require_manager(user, action: str) -> None:
    require_right(user, Target, action)
    if not can_set_targets(user):
        raise ApiError(403, _("Only managers set targets, for the people and teams they manage."))


def _target_out(target: Target) -> Target:
    return with_attainment([target])[0]


@router.get(
    "/targets", response={200: page_schema(TargetOut), **errors_doc(401, 403, 422)}, summary="List targets"
)
def list_targets(request, filters: Query[TargetFilters]):
    """The targets the caller sees (their own, and those in their data scope), with attainment."""
    require_right(request.user, Target, Action.VIEW)
    qs = Target.objects.visible_to(request.user).select_related("owner", "team", "branch", "province")
    qs = search(qs, filters.q or "")  # the subject's name and the note, as the lists search
    if filters.year:
        qs = qs.filter(start__year=filters.year)
    if filters.subject:
        qs = qs.filter(subject=filters.subject)
    if filters.user:
        qs = qs.filter(subject=Target.Subject.USER, owner_id=filters.user)
    if filters.team:
        qs = qs.filter(subject=Target.Subject.TEAM, team_id=filters.team)
    if filters.period:
        qs = qs.filter(period=filters.period)
    page = paginate(request, qs.order_by("-start", "id"), filters)
    page["results"] = with_attainment(page["results"])
    return page


@router.post("/targets", response={201: TargetOut, **errors_doc(401, 403, 422)}, summary="Set a target")
def create_target(request, payload: TargetIn, response: HttpResponse):
    _require_manager(request.user, Action.CREATE)
    with _body_names():
        target = target_create(by=request.user, data=_target_data(request, payload.model_dump()))
    response["ETag"] = etag(target)
    return Status(201, _target_out(target))


@router.get("/targets/{target_id}", response={200: TargetOut, **errors_doc(401, 404)}, summary="One target")
def get_target(request, target_id: int, response: HttpResponse):
    target = get_target_for_user(request.user, target_id)
    response["ETag"] = etag(target)
    return _target_out(target)


@router.patch(
    "/targets/{target_id}",
    response={200: TargetOut, **errors_doc(401, 403, 404, 412, 422)},
    summary="Change a target",
)
def update_target(request, target_id: int, payload: TargetPatch, response: HttpResponse):
    target = get_target_for_user(request.user, target_id, Action.CHANGE)
    body = payload.model_dump(exclude_unset=True)
    version = expected_version(request, target, body.pop("version", None))
    with _body_names():
        updated = target_update(
            target=target, by=request.user, data=_target_data(request, body), expected_version=version
        )
    response["ETag"] = etag(updated)
    return _target_out(updated)


@router.delete(
    "/targets/{target_id}",
    response={204: None, **errors_doc(401, 404, 412)},
    summary="Move a target to the Trash",
)
def delete_target(request, target_id: int):
    target = get_target_for_user(request.user, target_id, Action.DELETE)
    target_delete(target=target, by=request.user, expected_version=expected_version(request, target))
    return Status(204, None)


# ---------------------------------------------------------------------------------------------------
# Stage playbooks
# ---------------------------------------------------------------------------------------------------


class PlaybookTaskSchema(Schema):
    subject: str = Field(max_length=255)
    due_days: int = Field(1, description="Days after the deal entered the stage (0–365).")
    assignee: Literal["owner", "manager"] = "owner"
    min_amount: int | None = Field(None, description="Only for VND deals over this amount.")


class PlaybookIn(Schema):
    stage_id: int
    required_fields: list[str] = Field(default_factory=list)
    guidance: str = Field("", max_length=5000)
    checklist: list[str] = Field(default_factory=list)
    tasks: list[PlaybookTaskSchema] = Field(default_factory=list)


class PlaybookPatch(Schema):
    required_fields: list[str] | None = None
    guidance: str | None = Field(None, max_length=5000)
    checklist: list[str] | None = None
    tasks: list[PlaybookTaskSchema] | None = None
    version: int | None = None


class ChecklistItemOut(Schema):
    id: int
    text: str


class PlaybookOut(Schema):
    id: int
    stage_id: int
    pipeline_id: int
    required_fields: list[str]
    guidance: str
    checklist: list[ChecklistItemOut]
    tasks: list[PlaybookTaskSchema]
    version: int

    @staticmethod
    def resolve_pipeline_id(obj) -> int:
        return obj.stage.pipeline_id

    @staticmethod
    def resolve_checklist(obj) -> list:
        return list(obj.checklist.all())

    @staticmethod
    def resolve_tasks(obj) -> list:
        return list(obj.tasks.all())


PLAYBOOKS = StagePlaybook.objects.select_related("stage").prefetch_related("checklist", "tasks")


def _playbook_for(request, playbook_id: int) -> StagePlaybook:
    require_right(request.user, Opportunity, Action.VIEW)
    return get_object_or_404(PLAYBOOKS, pk=playbook_id)


@router.get(
    "/playbooks", response={200: page_schema(PlaybookOut), **errors_doc(401, 403, 422)}, summary="Playbooks"
)
def list_playbooks(request, params: Query[ListParams], pipeline: int | None = None):
    require_right(request.user, Opportunity, Action.VIEW)
    qs = PLAYBOOKS.order_by("stage__pipeline_id", "stage__position", "id")
    if pipeline:
        qs = qs.filter(stage__pipeline_id=pipeline)
    return paginate(request, qs, params)


@router.post(
    "/playbooks", response={201: PlaybookOut, **errors_doc(401, 403, 409, 422)}, summary="Create a playbook"
)
def create_playbook(request, payload: PlaybookIn, response: HttpResponse):
    require_admin(request.user)
    data = payload.model_dump()
    data["stage"] = data.pop("stage_id")
    try:
        resolve_refs(request.user, data, {"stage": existing(Stage.objects.all)})
    except ValidationError as exc:
        exc.error_dict["stage_id"] = exc.error_dict.pop("stage")
        raise
    if StagePlaybook.objects.filter(stage=data["stage"]).exists():
        raise ApiError(409, _("This stage already has a playbook: change it with PATCH."))
    playbook = playbook_save(by=request.user, **data)
    response["ETag"] = etag(playbook)
    return Status(201, PLAYBOOKS.get(pk=playbook.pk))


@router.get(
    "/playbooks/{playbook_id}", response={200: PlaybookOut, **errors_doc(401, 403, 404)}, summary="A playbook"
)
def get_playbook(request, playbook_id: int, response: HttpResponse):
    playbook = _playbook_for(request, playbook_id)
    response["ETag"] = etag(playbook)
    return playbook


@router.patch(
    "/playbooks/{playbook_id}",
    response={200: PlaybookOut, **errors_doc(401, 403, 404, 412, 422)},
    summary="Change a playbook",
)
def update_playbook(request, playbook_id: int, payload: PlaybookPatch, response: HttpResponse):
    require_admin(request.user)
    playbook = _playbook_for(request, playbook_id)
    body = payload.model_dump(exclude_unset=True)
    version = expected_version(request, playbook, body.pop("version", None))
    current = {
        "required_fields": playbook.required_fields,
        "guidance": playbook.guidance,
        "checklist": [i.text for i in playbook.checklist.all()],
        "tasks": [
            {"subject": t.subject, "due_days": t.due_days, "assignee": t.assignee, "min_amount": t.min_amount}
            for t in playbook.tasks.all()
        ],
    }
    data = {**current, **{k: v for k, v in body.items() if v is not None}}
    saved = playbook_save(stage=playbook.stage, by=request.user, expected_version=version, **data)
    response["ETag"] = etag(saved)
    return PLAYBOOKS.get(pk=saved.pk)


@router.delete(
    "/playbooks/{playbook_id}", response={204: None, **errors_doc(401, 403, 404)}, summary="Delete"
)
def delete_playbook(request, playbook_id: int):
    require_admin(request.user)
    playbook_delete(playbook=_playbook_for(request, playbook_id), by=request.user)
    return Status(204, None)


class ChecklistRowOut(Schema):
    id: int
    text: str
    done: bool
    done_by: int | None
    done_at: datetime.datetime | None


class ChecklistOut(Schema):
    stage_id: int
    playbook_id: int | None
    items: list[ChecklistRowOut]


class TickIn(Schema):
    done: bool = True


def _checklist(opportunity: Opportunity) -> dict:
    data = checklist_for(opportunity)
    return {
        "stage_id": opportunity.stage_id,
        "playbook_id": data["playbook"].pk if data["playbook"] else None,
        "items": [
            {
                "id": row["item"].pk,
                "text": row["item"].text,
                "done": row["tick"] is not None,
                "done_by": row["tick"].by_id if row["tick"] else None,
                "done_at": row["tick"].at if row["tick"] else None,
            }
            for row in data["items"]
        ],
    }


@router.get(
    "/opportunities/{record_id}/checklist",
    response={200: ChecklistOut, **errors_doc(401, 404)},
    summary="The checklist of a deal's stage",
)
def get_checklist(request, record_id: int):
    return _checklist(get_object_for_user(Opportunity.objects.all(), request.user, record_id))


@router.put(
    "/opportunities/{record_id}/checklist/{item_id}",
    response={200: ChecklistOut, **errors_doc(401, 404, 422)},
    summary="Tick or untick a checklist item",
)
def tick_checklist(request, record_id: int, item_id: int, payload: TickIn):
    opportunity = get_object_for_user(Opportunity.objects.all(), request.user, record_id, Action.CHANGE)
    checklist_tick(opportunity=opportunity, item_id=item_id, by=request.user, ticked=payload.done)
    return _checklist(opportunity)
