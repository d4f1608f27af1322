"""The forecast page (Dự báo doanh số): figures by period, by rep/team/branch, the stage funnel."""

import datetime

from django.shortcuts import render
from django.utils import timezone

from sencrm.common.models import Action
from sencrm.common.views import requires_right
from sencrm.crm.models import Opportunity, Pipeline
from sencrm.crm.services.opportunities import default_pipeline
from sencrm.sales.forms_planning import ForecastFilterForm
from sencrm.sales.services.forecast import (
    ForecastFilter,
    forecast_by_group,
    forecast_by_period,
    forecast_total,
    scope_choices,
    stage_conversion,
)

#: The stacked bar of each period: (attribute, CSS colour class), bottom to top.
CHART_PARTS = (
    ("won_amount", "bg-green"),
    ("commit", "bg-blue"),
    ("best_case", "bg-azure"),
    ("pipeline", "bg-gray-300"),
)


def parse_filter(user, data) -> tuple[ForecastFilterForm, ForecastFilter, str, list[Pipeline]]:
    """The filter form bound to ``data`` (GET), the service filter it yields and the group asked for."""
    pipelines = list(Pipeline.objects.filter(active=True).order_by("position", "id"))
    form = ForecastFilterForm(
        data or None,
        initial={"year": timezone.localdate().year},
        choices=scope_choices(user),
        pipelines=pipelines,
    )
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = cleaned.get("year") or timezone.localdate().year
    flt = ForecastFilter(
        start=datetime.date(year, 1, 1),
        end=datetime.date(year, 12, 31),
        granularity=cleaned.get("granularity") or "month",
        pipeline_id=getattr(cleaned.get("pipeline"), "pk", None),
        owner_id=getattr(cleaned.get("owner"), "pk", None),
        team_id=getattr(cleaned.get("team"), "pk", None),
        branch_id=getattr(cleaned.get("branch"), "pk", None),
    )
    return form, flt, cleaned.get("group") or "owner", pipelines


def chart(rows) -> list[dict]:
    """Bars as percentages of the tallest period (server-rendered, no chart library needed)."""
    top = max((sum(getattr(f, name) for name, _ in CHART_PARTS) for f in rows), default=0) or 1
    return [
        {
            "figures": f,
            "parts": [
                {
                    "name": name,
                    "css": css,
                    "value": getattr(f, name),
                    "pct": round(100 * getattr(f, name) / top, 2),
                }
                for name, css in CHART_PARTS
            ],
        }
        for f in rows
    ]


@requires_right(Opportunity, Action.VIEW)
def forecast_view(request):
    user = request.user
    form, flt, group, pipelines = parse_filter(user, request.GET)
    periods = forecast_by_period(user, flt)
    # The funnel needs one pipeline: the chosen one, else the default (from the list already read).
    wanted = flt.pipeline_id
    pipeline = next((p for p in pipelines if p.pk == wanted or (not wanted and p.is_default)), None)
    pipeline = pipeline or default_pipeline()
    context = {
        "form": form,
        "filter": flt,
        "periods": periods,
        "total": forecast_total(periods),
        "bars": chart(periods),
        "group": group,
        "groups": forecast_by_group(user, flt, group),
        "conversion_pipeline": pipeline,
        "conversion": stage_conversion(user, flt, pipeline),
    }
    return render(request, "sales/forecast.html", context)
