"""Pipelines and the moves of opportunities between stages (C4), and the board's queries."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils.translation import gettext as _

from sencrm.core.services.records import record_update
from sencrm.crm.models import Opportunity, Pipeline, Stage, StageChange

# The stages of REQUIREMENTS.md C4, seeded for a new company: (name, default probability, kind).
DEFAULT_STAGES = [
    ("Tìm kiếm khách hàng", 10, Stage.Kind.OPEN),
    ("Xác định nhu cầu", 20, Stage.Kind.OPEN),
    ("Đánh giá", 40, Stage.Kind.OPEN),
    ("Nhận yêu cầu báo giá", 60, Stage.Kind.OPEN),
    ("Đã gửi báo giá", 80, Stage.Kind.OPEN),
    ("Thành công", 100, Stage.Kind.WON),
    ("Thất bại", 0, Stage.Kind.LOST),
]


# ---------------------------------------------------------------------------------------------------
# Stage entry hooks (issue 5, stage playbooks)
# ---------------------------------------------------------------------------------------------------

#: Checks run when a deal enters a stage, on its new state, inside the write's transaction and
#: before the stage history row: ``check(*, opportunity, stage, by)`` raises ``ValidationError``
#: (keyed by field name) to refuse the move, which rolls the whole write back. Higher apps (sales'
#: stage playbooks) register here from ``AppConfig.ready``: crm never imports them.
STAGE_ENTRY_CHECKS: list[Callable[..., None]] = []
#: Called after a deal entered a stage and its history row is written, in the same transaction:
#: ``callback(*, opportunity, stage, from_stage_id, by)`` (the playbook's automatic tasks).
STAGE_ENTERED: list[Callable[..., None]] = []


def _enter_stage(*, opportunity: Opportunity, from_stage_id: int | None, by) -> None:
    """Run the entry checks, record the move in the stage history, then the entry callbacks.

    Every path that changes a deal's stage comes here (move, generic update, create), so the
    board, the forms and the API refuse and react alike. Call inside the write's transaction.
    """
    stage = opportunity.stage
    for check in STAGE_ENTRY_CHECKS:
        check(opportunity=opportunity, stage=stage, by=by)
    StageChange.objects.create(
        opportunity=opportunity, from_stage_id=from_stage_id, to_stage_id=opportunity.stage_id, by=by
    )
    for callback in STAGE_ENTERED:
        callback(opportunity=opportunity, stage=stage, from_stage_id=from_stage_id, by=by)


def pipeline_create_default() -> Pipeline:
    """Create the default pipeline with the C4 stages unless one exists; return the default."""
    existing = Pipeline.objects.filter(is_default=True).first()
    if existing:
        return existing
    with transaction.atomic():
        pipeline = Pipeline.objects.create(name="Bán hàng", is_default=True)
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, name=name, probability=p, kind=kind, position=i)
            for i, (name, p, kind) in enumerate(DEFAULT_STAGES)
        )
    return pipeline


def default_pipeline() -> Pipeline:
    return (
        Pipeline.objects.filter(active=True).order_by("-is_default", "position", "id").first()
        or pipeline_create_default()
    )


def opportunity_move(
    *, opportunity: Opportunity, stage: Stage, by, lost_reason: str = "", expected_version: int | None = None
) -> Opportunity:
    """Move a deal to ``stage`` (same pipeline), taking the stage's probability; record the history.

    Moving to a lost stage needs ``lost_reason``; won and lost close the deal, and moving back to an
    open stage reopens it.
    """
    if stage.pipeline_id != opportunity.pipeline_id:
        raise ValidationError({"stage": [_("This stage belongs to another pipeline.")]})
    if stage.pk == opportunity.stage_id:
        return opportunity
    from_stage_id = opportunity.stage_id
    data = {"stage": stage, "probability": stage.probability}
    if stage.kind == Stage.Kind.LOST:
        data["lost_reason"] = lost_reason or opportunity.lost_reason
    elif lost_reason:
        data["lost_reason"] = lost_reason
    with transaction.atomic():
        updated = record_update(opportunity, by=by, data=data, expected_version=expected_version)
        _enter_stage(opportunity=updated, from_stage_id=from_stage_id, by=by)
    return updated


def stage_change_record(*, opportunity: Opportunity, from_stage_id: int | None, by) -> None:
    """Add a history row when a generic update changed the stage (forms and PATCH).

    Runs the stage entry hooks too: call it inside the update's transaction.
    """
    if opportunity.stage_id != from_stage_id:
        _enter_stage(opportunity=opportunity, from_stage_id=from_stage_id, by=by)


def opportunity_create(*, by, data: dict, custom: dict | None = None, tags=None) -> Opportunity:
    """Create a deal; pipeline defaults to the stage's (else the default one), stage to its first open one."""
    from sencrm.core.services.records import record_create

    data = dict(data)
    stage = data.get("stage")
    if stage is None and data.get("stage_id"):
        stage = Stage.objects.filter(pk=data["stage_id"]).first()
    if not (data.get("pipeline") or data.get("pipeline_id")):
        data["pipeline"] = stage.pipeline if stage else default_pipeline()
    if stage is None:
        pipeline_id = data.get("pipeline_id") or data["pipeline"].pk
        open_stages = Stage.objects.filter(pipeline_id=pipeline_id, kind=Stage.Kind.OPEN)
        stage = open_stages.order_by("position").first()
        data["stage"] = stage
    if "probability" not in data and stage is not None:
        data["probability"] = stage.probability
    with transaction.atomic():
        opportunity = record_create(Opportunity, by=by, data=data, custom=custom, tags=tags)
        _enter_stage(opportunity=opportunity, from_stage_id=None, by=by)
    return opportunity


def opportunity_update(
    *,
    opportunity: Opportunity,
    by,
    data: dict,
    custom: dict | None = None,
    tags=None,
    expected_version: int | None = None,
) -> Opportunity:
    """Change a deal; a stage change made here lands in the stage history too."""
    from_stage_id = opportunity.stage_id
    with transaction.atomic():
        updated = record_update(
            opportunity, by=by, data=data, custom=custom, tags=tags, expected_version=expected_version
        )
        stage_change_record(opportunity=updated, from_stage_id=from_stage_id, by=by)
    return updated


# ---------------------------------------------------------------------------------------------------
# Kanban board and home page queries
# ---------------------------------------------------------------------------------------------------

#: Cards a board column shows before "show more".
BOARD_COLUMN_SIZE = 50
#: Order of the cards in a column: biggest deals first (index opp_board_cards_idx).
BOARD_CARD_ORDER = ("-amount", "-id")


@dataclass
class StageTotals:
    """How many deals a stage holds and their amounts, per currency (VND first)."""

    count: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    def add(self, currency: str, count: int, total: int | None) -> None:
        self.count += count
        self.totals[currency] = self.totals.get(currency, 0) + (total or 0)

    @property
    def amounts(self) -> list[tuple[str, int]]:
        """``[(currency, total), …]`` with VND first, then by currency code."""
        return sorted(self.totals.items(), key=lambda item: (item[0] != "VND", item[0]))


@dataclass
class BoardColumn:
    stage: Stage
    totals: StageTotals
    cards: list[Opportunity]

    @property
    def has_more(self) -> bool:
        return self.totals.count > len(self.cards)


def board_queryset(*, user, pipeline: Pipeline | int, owner=None):
    """The opportunities of ``pipeline`` that ``user`` sees (only ``owner``'s when given)."""
    qs = Opportunity.objects.visible_to(user).filter(pipeline=pipeline)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs


def board_totals(queryset) -> dict[int, StageTotals]:
    """Count and amount per stage of ``queryset``: one aggregate query, whatever the number of deals."""
    totals: dict[int, StageTotals] = {}
    rows = queryset.order_by().values("stage_id", "currency").annotate(n=Count("id"), total=Sum("amount"))
    for row in rows:
        totals.setdefault(row["stage_id"], StageTotals()).add(row["currency"], row["n"], row["total"])
    return totals


def board_columns(
    *, user, pipeline: Pipeline, owner=None, size: int = BOARD_COLUMN_SIZE
) -> list[BoardColumn]:
    """One column per stage, in order: its totals and its first ``size`` cards.

    Queries: the stages, the totals (one aggregate), then the cards of each stage that holds any,
    each walking the stage's index by amount and stopping after ``size`` rows. (A window function
    numbering the rows per stage in one query reads and sorts every deal of the pipeline.)
    """
    stages = list(pipeline.stages.order_by("position", "id"))
    qs = board_queryset(user=user, pipeline=pipeline, owner=owner)
    totals = board_totals(qs)
    cards: dict[int, list[Opportunity]] = {}
    for stage in stages:
        if stage.pk in totals:
            rows = qs.filter(stage=stage).select_related("account", "owner").order_by(*BOARD_CARD_ORDER)
            cards[stage.pk] = list(rows[:size])
    return [
        BoardColumn(stage=stage, totals=totals.get(stage.pk, StageTotals()), cards=cards.get(stage.pk, []))
        for stage in stages
    ]


def board_cards(*, user, stage: Stage, owner=None, offset: int = 0, size: int = BOARD_COLUMN_SIZE):
    """The next cards of one column ("show more"): one query."""
    qs = board_queryset(user=user, pipeline=stage.pipeline, owner=owner).filter(stage=stage)
    return list(qs.select_related("account", "owner").order_by(*BOARD_CARD_ORDER)[offset : offset + size])


@dataclass
class StageSummary:
    pipeline_id: int
    pipeline_name: str
    stage_id: int
    stage_name: str
    totals: StageTotals


def open_opportunities_by_stage(*, user) -> list[StageSummary]:
    """The user's own open deals per pipeline stage, with count and amounts (home page): one query."""
    rows = (
        Opportunity.objects.visible_to(user)
        .open()
        .filter(owner=user)
        .order_by()
        .values("pipeline_id", "pipeline__name", "stage_id", "stage__name", "currency")
        .annotate(n=Count("id"), total=Sum("amount"), pos=F("stage__position"), ppos=F("pipeline__position"))
        .order_by("ppos", "pipeline_id", "pos", "stage_id")
    )
    summaries: dict[int, StageSummary] = {}
    for row in rows:
        summary = summaries.get(row["stage_id"])
        if summary is None:
            summary = summaries[row["stage_id"]] = StageSummary(
                pipeline_id=row["pipeline_id"],
                pipeline_name=row["pipeline__name"],
                stage_id=row["stage_id"],
                stage_name=row["stage__name"],
                totals=StageTotals(),
            )
        summary.totals.add(row["currency"], row["n"], row["total"])
    return list(summaries.values())
