"""Pipelines and the moves of opportunities between stages (C4)."""

from django.core.exceptions import ValidationError
from django.db import transaction
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
        StageChange.objects.create(opportunity=updated, from_stage_id=from_stage_id, to_stage=stage, by=by)
    return updated


def stage_change_record(*, opportunity: Opportunity, from_stage_id: int | None, by) -> None:
    """Add a history row when a generic update changed the stage (forms and PATCH)."""
    if opportunity.stage_id != from_stage_id:
        StageChange.objects.create(
            opportunity=opportunity, from_stage_id=from_stage_id, to_stage_id=opportunity.stage_id, by=by
        )


def opportunity_create(*, by, data: dict, custom: dict | None = None, tags=None) -> Opportunity:
    """Create a deal; the pipeline defaults to the default one, the stage to its first stage."""
    from sencrm.core.services.records import record_create

    data = dict(data)
    if not (data.get("pipeline") or data.get("pipeline_id")):
        data["pipeline"] = default_pipeline()
    pipeline_id = data.get("pipeline_id") or data["pipeline"].pk
    if not (data.get("stage") or data.get("stage_id")):
        data["stage"] = Stage.objects.filter(pipeline_id=pipeline_id).order_by("position").first()
    stage = data.get("stage") or Stage.objects.filter(pk=data["stage_id"]).first()
    if "probability" not in data and stage is not None:
        data["probability"] = stage.probability
    with transaction.atomic():
        opportunity = record_create(Opportunity, by=by, data=data, custom=custom, tags=tags)
        StageChange.objects.create(
            opportunity=opportunity, from_stage=None, to_stage_id=opportunity.stage_id, by=by
        )
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
