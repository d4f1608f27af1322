"""Settings pages of the CRM: pipelines and their ordered stages (administrators only).

They live in the CRM because core may not import it; the URLs are mounted under /settings/ beside
the core settings pages (``sencrm.crm.urls_settings``). Stage edits answer the stages fragment to
htmx requests and redirect otherwise.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sencrm.core.decorators import admin_required
from sencrm.core.forms import TablerMixin, apply_errors
from sencrm.crm.models import Pipeline, Stage
from sencrm.crm.services.pipelines import (
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_move,
    stage_reorder,
    stage_update,
)


class PipelineForm(TablerMixin, forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "is_default", "active"]
        help_texts = {"is_default": gettext_lazy("New opportunities go into the default pipeline.")}


class StageForm(TablerMixin, forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "probability", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].widget.attrs.update({"min": 0, "max": 100, "inputmode": "numeric"})
        self.fields["name"].widget.attrs["placeholder"] = _("Stage name")

    def _post_clean(self):
        # The service validates the stage in its pipeline (unique names, the kinds rule).
        pass


def _stage_form(stage: Stage, data=None) -> StageForm:
    return StageForm(data, instance=stage, auto_id=f"id_stage{stage.pk}_%s")


def _stages_context(pipeline: Pipeline, *, bound: dict | None = None, new_form=None, error: str = "") -> dict:
    """The stages section: each stage with its form (the bound one when it failed) and deal count."""
    stages = (
        Stage.objects.filter(pipeline=pipeline)
        .annotate(deals=Count("opportunities"))
        .order_by("position", "id")
    )
    bound = bound or {}
    rows = [{"stage": s, "form": bound.get(s.pk) or _stage_form(s)} for s in stages]
    return {
        "pipeline": pipeline,
        "rows": rows,
        "new_form": new_form or StageForm(auto_id="id_new_%s", initial={"probability": 50}),
        "stage_error": error,
    }


def _stages_response(request, pipeline: Pipeline, **kwargs):
    if request.htmx:
        return render(request, "crm/settings/partials/stages.html", _stages_context(pipeline, **kwargs))
    if kwargs.get("error"):
        messages.error(request, kwargs["error"])
    for form in [*(kwargs.get("bound") or {}).values(), kwargs.get("new_form")]:
        if form is not None and form.errors:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("settings_pipeline_edit", pk=pipeline.pk)


# ---------------------------------------------------------------------------------------------------
# Pipelines
# ---------------------------------------------------------------------------------------------------


@admin_required
def pipeline_list(request):
    pipelines = Pipeline.objects.annotate(
        stage_count=Count("stages", distinct=True),
        open_deals=Count(
            "opportunities",
            filter=Q(opportunities__deleted_at__isnull=True, opportunities__status="open"),
            distinct=True,
        ),
    ).order_by("position", "id")
    return render(
        request, "crm/settings/pipeline_list.html", {"pipelines": pipelines, "section": "pipelines"}
    )


@admin_required
def pipeline_create_view(request):
    form = PipelineForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = pipeline_create(**{k: form.cleaned_data[k] for k in ("name", "is_default", "active")})
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The pipeline “%(name)s” has been created with three stages; adjust them below.")
                % {"name": pipeline.name},
            )
            return redirect("settings_pipeline_edit", pk=pipeline.pk)
    return render(request, "crm/settings/pipeline_form.html", {"form": form, "section": "pipelines"})


@admin_required
def pipeline_edit(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineForm(request.POST or None, instance=Pipeline.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = pipeline_update(
                pipeline=pipeline, **{k: form.cleaned_data[k] for k in ("name", "is_default", "active")}
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The pipeline “%(name)s” has been saved.") % {"name": pipeline.name})
            return redirect("settings_pipeline_edit", pk=pipeline.pk)
    context = {"form": form, **_stages_context(pipeline), "section": "pipelines"}
    return render(request, "crm/settings/pipeline_detail.html", context)


@admin_required
@require_POST
def pipeline_delete_view(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    try:
        pipeline_delete(pipeline=pipeline)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("settings_pipeline_edit", pk=pk)
    messages.success(request, _("The pipeline “%(name)s” has been deleted.") % {"name": pipeline.name})
    return redirect("settings_pipelines")


# ---------------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------------


@admin_required
@require_POST
def stage_create_view(request, pk: int):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = StageForm(request.POST, auto_id="id_new_%s")
    if form.is_valid():
        try:
            stage_create(pipeline=pipeline, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _stages_response(request, pipeline)
    return _stages_response(request, pipeline, new_form=form)


@admin_required
@require_POST
def stage_edit_view(request, pk: int):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = _stage_form(stage, request.POST)
    if form.is_valid():
        try:
            stage_update(stage=stage, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _stages_response(request, stage.pipeline)
    return _stages_response(request, stage.pipeline, bound={stage.pk: form})


@admin_required
@require_POST
def stage_delete_view(request, pk: int):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    try:
        stage_delete(stage=stage)
    except ValidationError as exc:
        return _stages_response(request, stage.pipeline, error=" ".join(exc.messages))
    return _stages_response(request, stage.pipeline)


@admin_required
@require_POST
def stage_move_view(request, pk: int):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    stage_move(stage=stage, offset=-1 if request.POST.get("direction") == "up" else 1)
    return _stages_response(request, stage.pipeline)


@admin_required
@require_POST
def stage_reorder_view(request, pk: int):
    """The order after a drag and drop: ``stage`` repeated, in the new order."""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    try:
        stage_reorder(pipeline=pipeline, stage_ids=request.POST.getlist("stage"))
    except ValidationError as exc:
        return _stages_response(request, pipeline, error=" ".join(exc.messages))
    return _stages_response(request, pipeline)
