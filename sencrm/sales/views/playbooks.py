"""Stage playbook settings (under the pipeline settings) and the deal page's playbook panel:
checklist ticks and the forecast category."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.common.access import get_object_for_user
from sencrm.common.models import Action
from sencrm.common.views import requires_right
from sencrm.core.decorators import admin_required
from sencrm.core.forms import apply_errors
from sencrm.core.services.records import ConflictError
from sencrm.crm.models import Opportunity, Stage
from sencrm.sales.forms_planning import ForecastCategoryForm, PlaybookForm, PlaybookTaskFormSet
from sencrm.sales.models import StagePlaybook
from sencrm.sales.services.forecast import default_category, forecast_category_set
from sencrm.sales.services.playbooks import checklist_for, checklist_tick, playbook_delete, playbook_save


def opportunity_panel_context(request, opportunity: Opportunity) -> dict:
    """The panel on the deal page: the stage's guidance and checklist, the forecast category.

    One query when the stage has no playbook (its id and the chosen category together), three
    with one (the items and this deal's ticks).
    """
    playbook_id = StagePlaybook.objects.filter(stage_id=OuterRef("stage_id")).values("pk")[:1]
    chosen, has_playbook = (
        Opportunity.objects.filter(pk=opportunity.pk)
        .values_list("forecast__category", Subquery(playbook_id))
        .first()
    ) or (None, None)
    checklist = checklist_for(opportunity) if has_playbook else {"playbook": None, "items": [], "done": 0}
    return {
        **checklist,
        "opportunity": opportunity,
        # The deal is on the user's screen, so it is in their scope; the role decides the rest
        # (the forms' views check again through get_object_for_user).
        "can_change": request.user.has_right(Opportunity, Action.CHANGE),
        "category": chosen or default_category(opportunity.probability),
        "category_chosen": bool(chosen),
        "category_form": ForecastCategoryForm(initial={"category": chosen or ""}),
    }


def _panel(request, opportunity: Opportunity, status: int = 200, error: str = ""):
    opportunity = Opportunity.objects.get(pk=opportunity.pk)
    context = {"panel": opportunity_panel_context(request, opportunity), "panel_error": error}
    return render(request, "sales/partials/playbook_panel.html", context, status=status)


@require_POST
@requires_right(Opportunity, Action.CHANGE)
def checklist_tick_view(request, pk: int):
    """Tick (``done=1``) or untick an item (``item``) of the deal's checklist; htmx gets the panel."""
    opportunity = get_object_for_user(Opportunity.objects.all(), request.user, pk, Action.CHANGE)
    item = request.POST.get("item", "")
    error, status = "", 200
    try:
        checklist_tick(
            opportunity=opportunity,
            item_id=int(item) if item.isdigit() else None,
            by=request.user,
            ticked=request.POST.get("done") == "1",
        )
    except ValidationError as exc:
        error, status = " ".join(exc.messages), 422
    if request.htmx:
        return _panel(request, opportunity, status, error)
    if error:
        messages.error(request, error)
    return redirect(opportunity.get_absolute_url())


@require_POST
@requires_right(Opportunity, Action.CHANGE)
def forecast_category_view(request, pk: int):
    """Choose the deal's forecast category (blank: back to the default from its probability)."""
    opportunity = get_object_for_user(Opportunity.objects.all(), request.user, pk, Action.CHANGE)
    form = ForecastCategoryForm(request.POST)
    error, status = "", 200
    if form.is_valid():
        forecast_category_set(
            opportunity=opportunity, category=form.cleaned_data["category"] or None, by=request.user
        )
    else:
        error, status = _("Choose commit, best case, pipeline or omitted."), 422
    if request.htmx:
        return _panel(request, opportunity, status, error)
    if error:
        messages.error(request, error)
    return redirect(opportunity.get_absolute_url())


@admin_required
def playbook_edit_view(request, pk: int):
    """The playbook of stage ``pk``: required fields, guidance, checklist and automatic tasks."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    playbook = StagePlaybook.objects.filter(stage=stage).first()
    if request.method == "POST":
        form = PlaybookForm(request.POST)
        tasks = PlaybookTaskFormSet(request.POST, prefix="tasks")
        if form.is_valid() and tasks.is_valid():
            rows = [f.task() for f in tasks.forms]
            try:
                playbook_save(
                    stage=stage,
                    by=request.user,
                    required_fields=form.cleaned_data["required_fields"],
                    guidance=form.cleaned_data["guidance"],
                    checklist=form.checklist_items(),
                    tasks=[row for row in rows if row is not None],
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConflictError:
                form.add_error(
                    None, _("Someone changed this playbook meanwhile. Reload the page and try again.")
                )
            except ValidationError as exc:
                _task_errors(tasks, exc)
                apply_errors(form, exc)
            else:
                messages.success(
                    request, _("The playbook of “%(stage)s” has been saved.") % {"stage": stage.name}
                )
                return redirect("sales:playbook_edit", pk=stage.pk)
    else:
        initial = {"version": playbook.version if playbook else None}
        task_rows = []
        if playbook is not None:
            initial.update(
                required_fields=playbook.required_fields,
                guidance=playbook.guidance,
                checklist="\n".join(i.text for i in playbook.checklist.order_by("position", "id")),
            )
            task_rows = [
                {
                    "subject": t.subject,
                    "due_days": t.due_days,
                    "assignee": t.assignee,
                    "min_amount": t.min_amount,
                }
                for t in playbook.tasks.order_by("position", "id")
            ]
        form = PlaybookForm(initial=initial)
        tasks = PlaybookTaskFormSet(initial=task_rows, prefix="tasks")
    context = {"stage": stage, "pipeline": stage.pipeline, "playbook": playbook, "form": form, "tasks": tasks}
    return render(request, "sales/playbook_form.html", {**context, "section": "pipelines"})


def _task_errors(formset, exc: ValidationError) -> None:
    """Put the service's ``tasks.<n>.<field>`` errors on the formset's rows (blank rows skipped)."""
    if not hasattr(exc, "error_dict"):
        return
    filled = [f for f in formset.forms if f.task() is not None]
    for key in [k for k in exc.error_dict if k.startswith("tasks.")]:
        _, index, field = key.split(".", 2)
        if index.isdigit() and int(index) < len(filled):
            for error in exc.error_dict.pop(key):
                filled[int(index)].add_error(field, error)


@admin_required
@require_POST
def playbook_delete_view(request, pk: int):
    stage = get_object_or_404(Stage, pk=pk)
    playbook = StagePlaybook.objects.filter(stage=stage).first()
    if playbook is not None:
        playbook_delete(playbook=playbook, by=request.user)
        messages.success(request, _("The playbook of “%(stage)s” has been removed.") % {"stage": stage.name})
    return redirect("settings_pipeline_edit", pk=stage.pipeline_id)
