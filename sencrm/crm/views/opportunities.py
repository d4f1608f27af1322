"""Opportunities (Cơ hội): list (and a link to the board), detail with stage history, won/lost."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sencrm.common.access import get_object_for_user
from sencrm.common.display import choice_label, format_money
from sencrm.common.lists import (
    BranchFilter,
    ChoiceFilter,
    Column,
    RelatedFilter,
    TagFilter,
    TeamFilter,
    UserFilter,
)
from sencrm.common.models import Action
from sencrm.common.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    related_list,
    requires_right,
)
from sencrm.core.services.records import ConflictError
from sencrm.core.widgets import record_panels
from sencrm.crm.forms import OpportunityCloseForm, OpportunityForm
from sencrm.crm.models import Activity, Opportunity, Stage
from sencrm.crm.services.opportunities import opportunity_create, opportunity_move, opportunity_update
from sencrm.crm.views._common import badge, url_or_empty

STATUS_COLORS = {"open": "blue", "won": "green", "lost": "red"}


def status_badge(obj):
    return badge(choice_label(obj, "status"), STATUS_COLORS.get(obj.status, "secondary"))


def weighted(obj):
    return format_html("{}", format_money(obj.weighted_amount, obj.currency))


class OpportunityListView(ObjectListView):
    model = Opportunity
    columns = [
        Column("name", link=True, sort="sort_name"),
        Column("account"),
        Column("stage", sort=("pipeline__position", "pipeline_id", "stage__position")),
        Column("amount", css="text-end"),
        Column(
            "weighted",
            label=gettext_lazy("Weighted amount"),
            render=weighted,
            sort=None,
            default=False,
            css="text-end",
        ),
        Column("probability", default=False),
        Column("expected_close"),
        Column("status", render=status_badge),
        Column("contact", default=False),
        Column("pipeline", default=False),
        Column("owner"),
        Column("tags", default=False),
        Column("created_at", default=False),
    ]
    filters = [
        RelatedFilter("stage", listed=True, queryset=Stage.objects.select_related("pipeline")),
        ChoiceFilter("status"),
        RelatedFilter("pipeline", listed=True),
        RelatedFilter("account"),
        RelatedFilter("contact"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
        TagFilter(),
    ]
    default_sort = ["-created_at"]

    def get_extra_context(self, request) -> dict:
        return {"board_url": url_or_empty("crm:opportunity_board")}

    def picker_detail(self, obj) -> str:
        return format_money(obj.amount, obj.currency)


class OpportunityDetailView(ObjectDetailView):
    model = Opportunity
    queryset = Opportunity.objects.select_related("account", "contact", "pipeline", "stage")
    fieldsets = [
        (
            gettext_lazy("Deal"),
            [
                "account",
                "contact",
                "pipeline",
                "stage",
                "expected_close",
                "next_step",
                "closed_at",
                "lost_reason",
            ],
        ),
        (
            gettext_lazy("Value"),
            ["amount", "probability", (gettext_lazy("Weighted amount"), weighted)],
        ),
        (gettext_lazy("More about the deal"), ["products:multiline", "competitors", "description:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        history = list(
            obj.stage_changes.select_related("from_stage", "to_stage", "by").order_by("-at", "-id")[:50]
        )
        stages = list(obj.pipeline.stages.order_by("position", "id"))
        activities = related_list(
            key="activities",
            title=_("Activities"),
            queryset=Activity.objects.visible_to(request.user)
            .filter(opportunity=obj)
            .order_by("-occurred_at", "-pk"),
            columns=[
                Column("subject", link=True),
                Column("kind"),
                Column("occurred_at", label=_("When")),
                Column("done"),
            ],
            all_url=url_or_empty("crm:activity_list", query=f"opportunity={obj.pk}"),
            add_url=url_or_empty("crm:activity_create", query=f"opportunity={obj.pk}"),
            empty=_("No activities for this deal yet."),
        )
        return {
            "history": history,
            "stages": stages,
            "open_stages": [s for s in stages if s.kind == Stage.Kind.OPEN],
            "status_badge": status_badge(obj),
            "related_lists": [activities],
            "move_url": url_or_empty("crm:opportunity_move", obj.pk),
            "board_url": url_or_empty("crm:opportunity_board"),
            "log_activity_url": url_or_empty("crm:activity_create", query=f"opportunity={obj.pk}&kind=call"),
            # Blocks of higher apps (the sales playbook's checklist), registered in core.widgets.
            "panels": record_panels(request, obj),
        }


class OpportunityEditView(ObjectEditView):
    model = Opportunity
    form_class = OpportunityForm

    def get_initial(self, request) -> dict:
        initial = {}
        for name in ("account", "contact"):
            value = request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        return initial

    def save(self, request, form, obj):
        if obj.pk is None:
            return opportunity_create(
                by=request.user, data=form.service_data(), custom=form.custom_values(), tags=form.tag_names()
            )
        return opportunity_update(
            opportunity=obj,
            by=request.user,
            data=form.service_data(),
            custom=form.custom_values(),
            tags=form.tag_names(),
            expected_version=form.expected_version(),
        )


class OpportunityDeleteView(ObjectDeleteView):
    model = Opportunity


@require_POST
@requires_right(Opportunity, Action.CHANGE)
def opportunity_move_view(request, pk):
    """Move a deal to a stage (``stage=<id>``), or close it: ``outcome=won|lost|reopen``."""
    opportunity = get_object_for_user(Opportunity.objects.all(), request.user, pk, Action.CHANGE)
    stages = opportunity.pipeline.stages.order_by("position", "id")
    form = OpportunityCloseForm(request.POST)
    stage = None
    lost_reason = ""
    stage_id = request.POST.get("stage", "")
    if stage_id.isdigit():
        stage = stages.filter(pk=int(stage_id)).first()
        lost_reason = request.POST.get("lost_reason", "")
    elif form.is_valid():
        outcome = form.cleaned_data["outcome"]
        kind = {"won": Stage.Kind.WON, "lost": Stage.Kind.LOST, "reopen": Stage.Kind.OPEN}[outcome]
        stage = stages.filter(kind=kind).first()
        lost_reason = form.cleaned_data["lost_reason"]
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(opportunity.get_absolute_url())
    if stage is None:
        messages.error(request, _("This pipeline has no such stage."))
        return redirect(opportunity.get_absolute_url())
    version = request.POST.get("version", "")
    try:
        opportunity_move(
            opportunity=opportunity,
            stage=stage,
            by=request.user,
            lost_reason=lost_reason,
            expected_version=int(version) if version.isdigit() else None,
        )
    except ConflictError:
        messages.error(
            request, _("Someone else changed this deal meanwhile; here is what is current. Try again.")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": stage.name})
    return redirect(opportunity.get_absolute_url())
