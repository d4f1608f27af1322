"""Pipelines and their stages as administrators configure them (C4).

Two rules hold after every write: exactly one pipeline is the default (new deals land there), and
every pipeline keeps at least one open, one won and one lost stage (a deal must always be able to
be worked, won and lost). Each write locks the pipeline rows it reasons about, so two
administrators cannot break the rules by saving at the same time.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sencrm.common.text import nfc
from sencrm.core.services.uniqueness import name_taken
from sencrm.crm.models import Opportunity, Pipeline, Stage

REQUIRED_KINDS = (Stage.Kind.OPEN, Stage.Kind.WON, Stage.Kind.LOST)


def _merge(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for name, messages in exc.message_dict.items():
        errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))


def _clean_pipeline(pipeline: Pipeline) -> None:
    pipeline.name = nfc(pipeline.name).strip()
    errors: dict[str, list[str]] = {}
    if name_taken(Pipeline.objects.exclude(pk=pipeline.pk), pipeline.name):
        errors["name"] = [_("A pipeline with this name already exists.")]
    if pipeline.is_default and not pipeline.active:
        errors["active"] = [_("The default pipeline must stay active.")]
    try:
        pipeline.full_clean()
    except ValidationError as exc:
        _merge(errors, exc)
    if errors:
        raise ValidationError(errors)


def _lock_pipelines() -> None:
    # Serialise writes that reason about "the default pipeline" across all pipelines.
    list(Pipeline.objects.select_for_update().values_list("pk", flat=True))


@transaction.atomic
def pipeline_create(*, name: str, is_default: bool = False, active: bool = True) -> Pipeline:
    """Add a pipeline with one open, one won and one lost stage to start from.

    The first pipeline becomes the default whatever ``is_default`` says; a new default takes the
    flag from the old one.
    """
    _lock_pipelines()
    is_default = is_default or not Pipeline.objects.filter(is_default=True).exists()
    last = Pipeline.objects.aggregate(m=Max("position"))["m"]
    pipeline = Pipeline(
        name=name, is_default=is_default, active=active, position=0 if last is None else last + 1
    )
    _clean_pipeline(pipeline)
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline.save()
    Stage.objects.bulk_create(
        [
            Stage(pipeline=pipeline, name=_("New"), probability=10, kind=Stage.Kind.OPEN, position=0),
            Stage(pipeline=pipeline, name=_("Won"), probability=100, kind=Stage.Kind.WON, position=1),
            Stage(pipeline=pipeline, name=_("Lost"), probability=0, kind=Stage.Kind.LOST, position=2),
        ]
    )
    return pipeline


@transaction.atomic
def pipeline_update(*, pipeline: Pipeline, name: str, is_default: bool, active: bool) -> Pipeline:
    """Rename a pipeline, make it the default or (de)activate it.

    The default cannot simply be switched off: make another pipeline the default instead.
    """
    _lock_pipelines()
    current = Pipeline.objects.get(pk=pipeline.pk)
    was_default = current.is_default
    current.name, current.is_default, current.active = name, is_default, active
    errors: dict[str, list[str]] = {}
    if was_default and not is_default:
        errors["is_default"] = [
            _("One pipeline must be the default: make another pipeline the default instead.")
        ]
    try:
        _clean_pipeline(current)
    except ValidationError as exc:
        _merge(errors, exc)
    if errors:
        raise ValidationError(errors)
    if is_default and not was_default:
        Pipeline.objects.exclude(pk=current.pk).filter(is_default=True).update(is_default=False)
    current.save()
    return current


@transaction.atomic
def pipeline_delete(*, pipeline: Pipeline) -> None:
    """Delete a pipeline no deal uses (not even one in the Trash); never the default one."""
    _lock_pipelines()
    current = Pipeline.objects.get(pk=pipeline.pk)
    if current.is_default:
        raise ValidationError(
            _("The default pipeline cannot be deleted; make another pipeline the default first.")
        )
    used = Opportunity.objects.filter(pipeline=current).count()
    if used:
        raise ValidationError(
            ngettext(
                "%(n)d opportunity (counting those in the Trash) uses this pipeline; it cannot be deleted.",
                "%(n)d opportunities (counting those in the Trash) use this pipeline; it cannot be deleted.",
                used,
            )
            % {"n": used}
        )
    current.delete()


# ---------------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------------


def _lock(pipeline: Pipeline) -> list[Stage]:
    """Lock the pipeline and return its stages in order (callers then check the kinds rule)."""
    Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))


def _clean_stage(stage: Stage) -> None:
    stage.name = nfc(stage.name).strip()
    errors: dict[str, list[str]] = {}
    if name_taken(Stage.objects.filter(pipeline_id=stage.pipeline_id).exclude(pk=stage.pk), stage.name):
        errors["name"] = [_("This pipeline already has a stage with this name.")]
    try:
        stage.full_clean(exclude=["pipeline"])
    except ValidationError as exc:
        _merge(errors, exc)
    if errors:
        raise ValidationError(errors)


def _missing_kinds(stages: list[Stage]) -> list[str]:
    kinds = {s.kind for s in stages}
    return [str(Stage.Kind(k).label) for k in REQUIRED_KINDS if k not in kinds]


def _kinds_error(missing: list[str]) -> str:
    return _("A pipeline needs at least one open, one won and one lost stage (missing: %(kinds)s).") % {
        "kinds": ", ".join(missing)
    }


def _renumber(stages: list[Stage]) -> None:
    for position, stage in enumerate(stages):
        if stage.position != position:
            stage.position = position
            Stage.objects.filter(pk=stage.pk).update(position=position)


@transaction.atomic
def stage_create(*, pipeline: Pipeline, name: str, probability: int, kind: str) -> Stage:
    """Add a stage at the end of the pipeline's open stages (before won and lost)."""
    stages = _lock(pipeline)
    stage = Stage(pipeline=pipeline, name=name, probability=probability, kind=kind)
    _clean_stage(stage)
    # Open stages go before the closing ones, which by convention end the board.
    closing = [i for i, s in enumerate(stages) if s.kind != Stage.Kind.OPEN]
    at = closing[0] if kind == Stage.Kind.OPEN and closing else len(stages)
    stage.position = at
    stage.save()
    stages.insert(at, stage)
    _renumber(stages)
    return stage


@transaction.atomic
def stage_update(*, stage: Stage, name: str, probability: int, kind: str) -> Stage:
    """Rename a stage, change its default probability or its kind (open, won, lost).

    Deals already in the stage keep their own probability; changing the kind keeps the pipeline's
    rule of one open, one won and one lost stage.
    """
    stages = _lock(stage.pipeline)
    current = next(s for s in stages if s.pk == stage.pk)
    current.name, current.probability, current.kind = name, probability, kind
    _clean_stage(current)
    missing = _missing_kinds(stages)
    if missing:
        raise ValidationError({"kind": [_kinds_error(missing)]})
    current.save()
    return current


@transaction.atomic
def stage_delete(*, stage: Stage) -> None:
    """Delete a stage no deal is in (not even one in the Trash), keeping the kinds rule."""
    stages = _lock(stage.pipeline)
    used = Opportunity.objects.filter(stage_id=stage.pk).count()
    if used:
        raise ValidationError(
            ngettext(
                "%(n)d opportunity (counting those in the Trash) is in the stage “%(stage)s”; "
                "move it to another stage first.",
                "%(n)d opportunities (counting those in the Trash) are in the stage “%(stage)s”; "
                "move them to another stage first.",
                used,
            )
            % {"n": used, "stage": stage.name}
        )
    rest = [s for s in stages if s.pk != stage.pk]
    missing = _missing_kinds(rest)
    if missing:
        raise ValidationError(_kinds_error(missing))
    Stage.objects.filter(pk=stage.pk).delete()
    _renumber(rest)


@transaction.atomic
def stage_move(*, stage: Stage, offset: int) -> None:
    """Move a stage ``offset`` places up (negative) or down (positive) in its pipeline."""
    stages = _lock(stage.pipeline)
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    target = max(0, min(len(stages) - 1, index + offset))
    stages.insert(target, stages.pop(index))
    _renumber(stages)


@transaction.atomic
def stage_reorder(*, pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Put the pipeline's stages in the order of ``stage_ids`` (drag and drop); all must be given."""
    stages = _lock(pipeline)
    by_id = {s.pk: s for s in stages}
    try:
        ids = [int(i) for i in stage_ids]
    except (TypeError, ValueError):
        raise ValidationError(_("The new order names unknown stages.")) from None
    if sorted(ids) != sorted(by_id):
        raise ValidationError(_("The new order must list each stage of the pipeline once."))
    _renumber([by_id[i] for i in ids])
