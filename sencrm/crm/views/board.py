"""The kanban board of a pipeline (issue 2, item 7): one column per stage, drag and drop between them.

A drop (or the stage ``<select>`` each card carries for keyboard and phone users) posts to
``board_move``; the answer updates every column header out of band and tells the page, through an
``HX-Trigger`` event, where the card belongs now: in the new column, or back where it was when the
move failed (stale version, no right, missing lost reason).
"""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sencrm.common.access import get_object_for_user
from sencrm.common.models import Action
from sencrm.core.services.records import ConflictError
from sencrm.crm.models import Opportunity, Pipeline, Stage
from sencrm.crm.services.opportunities import (
    BOARD_COLUMN_SIZE,
    board_cards,
    board_columns,
    board_queryset,
    board_totals,
    opportunity_move,
    pipeline_create_default,
)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pipelines() -> list[Pipeline]:
    pipelines = list(Pipeline.objects.filter(active=True).order_by("position", "id"))
    return pipelines or [pipeline_create_default()]


def _choose_pipeline(pipelines: list[Pipeline], wanted) -> Pipeline:
    """The pipeline asked for, else the default one (as ``default_pipeline()`` chooses it)."""
    wanted = _int(wanted)
    for pipeline in pipelines:
        if pipeline.pk == wanted:
            return pipeline
    return min(pipelines, key=lambda p: (not p.is_default, p.position, p.pk))


def _owner(request):
    """``?owner=me`` shows only the user's deals; anything else every deal they may see."""
    return request.user if request.GET.get("owner", request.POST.get("owner")) == "me" else None


def _board_url(pipeline_id, owner_filter: str) -> str:
    params = {"pipeline": pipeline_id}
    if owner_filter == "me":
        params["owner"] = "me"
    return f"{reverse('crm:opportunity_board')}?{urlencode(params)}"


def _card_context(request, stages) -> dict:
    """What every card's "change stage" form shares, built once rather than once per card.

    ``stage_options``: the ``<option>``s of the stage select, one string per selected stage.
    """
    options = {}
    for chosen in stages:
        options[chosen.pk] = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((s.pk, mark_safe(" selected") if s.pk == chosen.pk else "", s.name) for s in stages),
        )
    return {
        "move_url": reverse("crm:opportunity_board_move"),
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
        "stage_options": options,
    }


def _require_view(user) -> None:
    if not user.has_right(Opportunity, Action.VIEW):
        raise PermissionDenied


@login_required
def board(request):
    _require_view(request.user)
    pipelines = _pipelines()
    pipeline = _choose_pipeline(pipelines, request.GET.get("pipeline"))
    owner = _owner(request)
    columns = board_columns(user=request.user, pipeline=pipeline, owner=owner)
    context = {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "columns": columns,
        "stages": [column.stage for column in columns],
        "owner_filter": "me" if owner else "",
        "can_change": request.user.has_right(Opportunity, Action.CHANGE),
        "column_size": BOARD_COLUMN_SIZE,
        "card": _card_context(request, [column.stage for column in columns]),
    }
    return render(request, "crm/board.html", context)


@login_required
def board_more(request):
    """The next cards of one column ("show more"), appended to it by htmx."""
    _require_view(request.user)
    stage = Stage.objects.select_related("pipeline").filter(pk=_int(request.GET.get("stage"))).first()
    if stage is None:
        raise Http404
    offset = max(_int(request.GET.get("offset")) or 0, 0)
    owner = _owner(request)
    cards = board_cards(
        user=request.user, stage=stage, owner=owner, offset=offset, size=BOARD_COLUMN_SIZE + 1
    )
    has_more = len(cards) > BOARD_COLUMN_SIZE
    stages = list(stage.pipeline.stages.order_by("position", "id"))
    context = {
        "cards": cards[:BOARD_COLUMN_SIZE],
        "stage": stage,
        "stages": stages,
        "card": _card_context(request, stages),
        "pipeline": stage.pipeline,
        "owner_filter": "me" if owner else "",
        "can_change": request.user.has_right(Opportunity, Action.CHANGE),
        "next_offset": offset + BOARD_COLUMN_SIZE if has_more else None,
    }
    return render(request, "crm/partials/board_more.html", context)


@login_required
@require_POST
def board_move(request):
    """Move one opportunity to another stage of its pipeline.

    Answers 200 when moved, 404 when the deal is missing or not the user's to change, 409 on a
    stale version, 422 on a refused move (stage of another pipeline, no lost reason). Every answer
    carries the fresh column headers and a ``boardPlace`` event: ``{"id", "stage", "version"}``
    where the card belongs (``stage`` null: back where it was).
    """
    user = request.user
    owner_filter = "me" if request.POST.get("owner") == "me" else ""
    opportunity_id = _int(request.POST.get("opportunity"))
    stage = Stage.objects.select_related("pipeline").filter(pk=_int(request.POST.get("stage"))).first()
    expected_version = _int(request.POST.get("version"))
    lost_reason = request.POST.get("lost_reason", "").strip()[:255]

    status, error, opportunity = 200, "", None
    try:
        opportunity = get_object_for_user(
            Opportunity.objects.select_related("stage"), user, opportunity_id, action=Action.CHANGE
        )
    except Http404:
        status, error = 404, _("This opportunity does not exist or you may not change it.")
    if opportunity is not None:
        if stage is None:
            status, error = 422, _("Choose a stage.")
        else:
            try:
                opportunity = opportunity_move(
                    opportunity=opportunity,
                    stage=stage,
                    by=user,
                    lost_reason=lost_reason,
                    expected_version=expected_version,
                )
            except ConflictError as exc:
                opportunity = exc.instance
                status = 409
                error = _(
                    "Someone else changed “%(name)s” meanwhile, so it was not moved. "
                    "Reload the board to see the latest state."
                ) % {"name": opportunity.name}
            except ValidationError as exc:
                status, error = 422, " ".join(exc.messages)

    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(
                request, _("“%(name)s” moved to %(stage)s.") % {"name": opportunity, "stage": stage}
            )
        pipeline_id = opportunity.pipeline_id if opportunity else request.POST.get("pipeline")
        return redirect(_board_url(pipeline_id, owner_filter))

    # The board being looked at: the deal's pipeline, else the one the form named.
    pipeline_id = opportunity.pipeline_id if opportunity else _int(request.POST.get("pipeline"))
    heads = []
    if pipeline_id:
        owner = user if owner_filter == "me" else None
        totals = board_totals(board_queryset(user=user, pipeline=pipeline_id, owner=owner))
        stages = Stage.objects.filter(pipeline_id=pipeline_id).order_by("position", "id")
        heads = [{"stage": s, "totals": totals.get(s.pk)} for s in stages]
    if error:
        message = error
    else:
        message = _("“%(name)s” moved to %(stage)s.") % {"name": opportunity.name, "stage": stage.name}
    place = {
        "id": opportunity_id,
        "stage": None if error or opportunity is None else opportunity.stage_id,
        # After a failure the page keeps the version it had: a stale card stays stale until reloaded.
        "version": None if error or opportunity is None else opportunity.version,
        "ok": not error,
    }
    response = render(
        request,
        "crm/partials/board_move.html",
        {"heads": heads, "message": message, "error": bool(error), "owner_filter": owner_filter},
        status=status,
    )
    response["HX-Trigger"] = json.dumps({"boardPlace": place})
    return response
