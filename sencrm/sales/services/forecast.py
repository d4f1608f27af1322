"""The sales forecast (Dự báo doanh số, REQUIREMENTS.md S6): weighted pipeline and forecast
categories by month or quarter of expected close, won revenue and win rate by month or quarter
of closing, per rep, team or branch, and stage-to-stage conversion from the stage history.

Every figure is an aggregate query over ``Opportunity.objects.visible_to(user)``: a rep sees their
own deals' figures, a team lead their team's, a branch manager their branch's and below, whatever
filter they ask for (a filter outside their scope just finds nothing). Periods are the company's
calendar (``settings.TIME_ZONE``, Asia/Ho_Chi_Minh): a deal won at 00:30 on 1 April in Hà Nội
(17:30 UTC on 31 March) counts in April and in Q2.

Money: the figures are in VND; deals in other currencies are left out (and counted apart as
``other_currency``), since adding dollars to đồng without a rate would be wrong.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry, Branch, Team, User
from sencrm.core.services.audit import audit_record
from sencrm.crm.models import Opportunity, Stage, StageChange
from sencrm.sales.models import ForecastCategory, OpportunityForecast

#: An open deal counts as "commit" from this probability (%) up, "best case" from BEST_CASE_MIN.
#: With the default stages: "Đã gửi báo giá" (80 %) is commit, "Nhận yêu cầu báo giá" (60 %) best
#: case, earlier stages pipeline. The owner may override a deal's category (OpportunityForecast).
COMMIT_MIN = getattr(settings, "SENCRM_FORECAST_COMMIT_MIN", 80)
BEST_CASE_MIN = getattr(settings, "SENCRM_FORECAST_BEST_CASE_MIN", 50)

CATEGORIES = [c.value for c in ForecastCategory]
GROUPS = ("owner", "team", "branch")


def company_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def category_expression():
    """SQL for a deal's forecast category: the owner's choice, else from its probability."""
    default = Case(
        When(probability__gte=COMMIT_MIN, then=Value(ForecastCategory.COMMIT.value)),
        When(probability__gte=BEST_CASE_MIN, then=Value(ForecastCategory.BEST_CASE.value)),
        default=Value(ForecastCategory.PIPELINE.value),
        output_field=CharField(),
    )
    return Coalesce(F("forecast__category"), default, output_field=CharField())


def default_category(probability: int) -> str:
    """The category a deal with ``probability`` gets when nobody chose one (same rule as the SQL)."""
    if probability >= COMMIT_MIN:
        return ForecastCategory.COMMIT
    if probability >= BEST_CASE_MIN:
        return ForecastCategory.BEST_CASE
    return ForecastCategory.PIPELINE


# ---------------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------------


def period_start(day: datetime.date, granularity: str) -> datetime.date:
    if granularity == "quarter":
        return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if granularity == "year":
        return datetime.date(day.year, 1, 1)
    return datetime.date(day.year, day.month, 1)


def period_end(start: datetime.date, granularity: str) -> datetime.date:
    """The last day of the period that begins on ``start``."""
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    month0 = start.month - 1 + months
    following = datetime.date(start.year + month0 // 12, month0 % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def period_label(start: datetime.date, granularity: str) -> str:
    if granularity == "quarter":
        return f"Q{(start.month - 1) // 3 + 1}/{start.year}"
    if granularity == "year":
        return str(start.year)
    return f"{start.month:02d}/{start.year}"


def periods_between(start: datetime.date, end: datetime.date, granularity: str) -> list[datetime.date]:
    """The first days of every period from the one holding ``start`` to the one holding ``end``."""
    days, current = [], period_start(start, granularity)
    while current <= end:
        days.append(current)
        current = period_end(current, granularity) + datetime.timedelta(days=1)
    return days


def day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """``[start 00:00, end+1 00:00)`` in the company's time zone, as aware datetimes."""
    zone = company_zone()
    return (
        datetime.datetime.combine(start, datetime.time(), zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), zone),
    )


# ---------------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------------


@dataclass
class ForecastFilter:
    """What the forecast looks at: a date range cut into months or quarters, and optional narrowing
    to one pipeline, owner, team or branch (with the branches below it)."""

    start: datetime.date
    end: datetime.date
    granularity: str = "month"
    pipeline_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    branch_id: int | None = None

    def __post_init__(self):
        if self.granularity not in ("month", "quarter"):
            raise ValueError("granularity")
        # Whole periods: the figures of a month are never cut in half by the range.
        self.start = period_start(self.start, self.granularity)
        self.end = period_end(period_start(self.end, self.granularity), self.granularity)


def forecast_queryset(user, flt: ForecastFilter):
    """The deals the forecast counts for ``user``: visible ones, narrowed by the filter."""
    qs = Opportunity.objects.visible_to(user)
    if flt.pipeline_id:
        qs = qs.filter(pipeline_id=flt.pipeline_id)
    if flt.owner_id:
        qs = qs.filter(owner_id=flt.owner_id)
    if flt.team_id:
        qs = qs.filter(team_id=flt.team_id)
    if flt.branch_id:
        path = Branch.objects.filter(pk=flt.branch_id).values_list("path", flat=True).first()
        qs = qs.filter(branch__path__startswith=path) if path else qs.none()
    return qs


def scope_choices(user) -> dict[str, list]:
    """The owners, teams and branches the filter offers: those within the user's data scope."""
    scope = user.data_scope
    users = User.objects.filter(is_active=True).order_by("last_name", "first_name", "id")
    teams = Team.objects.order_by("name")
    branches = Branch.objects.order_by("path")
    if scope == "all":
        pass
    elif scope == "branch":
        below = user.branch_ids_below()
        users, teams, branches = (
            users.filter(branch_id__in=below),
            teams.filter(branch_id__in=below),
            branches.filter(pk__in=below),
        )
    elif scope == "team" and user.team_id:
        users = users.filter(Q(team_id=user.team_id) | Q(pk=user.pk))
        teams, branches = teams.filter(pk=user.team_id), branches.none()
    else:
        users, teams, branches = users.filter(pk=user.pk), teams.none(), branches.none()
    return {"owners": list(users), "teams": list(teams), "branches": list(branches)}


# ---------------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """One row of the forecast (a period, or a rep/team/branch over the range). Amounts in VND."""

    key: object
    label: str = ""
    open_count: int = 0
    open_amount: int = 0
    weighted: int = 0
    commit: int = 0
    best_case: int = 0
    pipeline: int = 0
    omitted: int = 0
    won_count: int = 0
    won_amount: int = 0
    lost_count: int = 0

    @property
    def closed_count(self) -> int:
        return self.won_count + self.lost_count

    @property
    def win_rate(self) -> float | None:
        """Won ÷ closed (won + lost) in the period, in %; None when nothing closed."""
        if not self.closed_count:
            return None
        return round(100 * self.won_count / self.closed_count, 1)

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "key"}
        key = self.key
        data["key"] = key.isoformat() if isinstance(key, datetime.date) else key
        data.update(closed_count=self.closed_count, win_rate=self.win_rate)
        return data


def _open_rows(qs, flt: ForecastFilter, group):
    """Open VND deals expected to close in the range, grouped: one aggregate query."""
    cat = category_expression()
    counted = ~Q(cat=ForecastCategory.OMITTED)
    return (
        qs.open()
        .filter(currency="VND", expected_close__gte=flt.start, expected_close__lte=flt.end)
        .annotate(cat=cat)
        .order_by()
        .values(g=group)
        .annotate(
            n=Count("id"),
            open_total=Sum("amount"),
            # Weighted: Σ amount × probability, divided by 100 once (not per deal) so it adds up.
            weighted_raw=Sum(F("amount") * F("probability"), filter=counted),
            **{f"cat_{c}": Sum("amount", filter=Q(cat=c)) for c in CATEGORIES},
        )
    )


def _closed_rows(qs, flt: ForecastFilter, group):
    """VND deals won or lost in the range (by when they closed, company time): one query."""
    since, until = day_bounds(flt.start, flt.end)
    return (
        qs.filter(
            status__in=[Opportunity.Status.WON, Opportunity.Status.LOST],
            currency="VND",
            closed_at__gte=since,
            closed_at__lt=until,
        )
        .order_by()
        .values(g=group)
        .annotate(
            won_n=Count("id", filter=Q(status=Opportunity.Status.WON)),
            won_total=Sum("amount", filter=Q(status=Opportunity.Status.WON)),
            lost_n=Count("id", filter=Q(status=Opportunity.Status.LOST)),
        )
    )


def _fill(rows: dict, open_rows, closed_rows, key) -> None:
    for r in open_rows:
        f = rows.setdefault(key(r["g"]), Figures(key=key(r["g"])))
        f.open_count, f.open_amount = r["n"], r["open_total"] or 0
        f.weighted = (r["weighted_raw"] or 0) // 100
        for c in CATEGORIES:
            setattr(f, c, r[f"cat_{c}"] or 0)
    for r in closed_rows:
        f = rows.setdefault(key(r["g"]), Figures(key=key(r["g"])))
        f.won_count, f.won_amount, f.lost_count = r["won_n"], r["won_total"] or 0, r["lost_n"]


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.astimezone(company_zone()).date()
    return value


def forecast_by_period(user, flt: ForecastFilter) -> list[Figures]:
    """One row per month/quarter of the range, empty periods included (two queries)."""
    qs = forecast_queryset(user, flt)
    trunc = TruncMonth if flt.granularity == "month" else TruncQuarter
    zone = company_zone()
    rows: dict = {}
    _fill(
        rows,
        _open_rows(qs, flt, trunc("expected_close")),
        _closed_rows(qs, flt, trunc("closed_at", tzinfo=zone)),
        _as_date,
    )
    result = []
    for start in periods_between(flt.start, flt.end, flt.granularity):
        f = rows.get(start) or Figures(key=start)
        f.label = period_label(start, flt.granularity)
        result.append(f)
    return result


def forecast_total(rows: list[Figures]) -> Figures:
    """The sum of ``rows`` (the whole range)."""
    total = Figures(key="total")
    names = ("open_count", "open_amount", "weighted", *CATEGORIES, "won_count", "won_amount", "lost_count")
    for f in rows:
        for name in names:
            setattr(total, name, getattr(total, name) + getattr(f, name))
    return total


def forecast_by_group(user, flt: ForecastFilter, group: str) -> list[Figures]:
    """One row per rep (``owner``), ``team`` or ``branch`` over the whole range (three queries)."""
    if group not in GROUPS:
        raise ValueError("group")
    qs = forecast_queryset(user, flt)
    rows: dict = {}
    _fill(rows, _open_rows(qs, flt, F(f"{group}_id")), _closed_rows(qs, flt, F(f"{group}_id")), lambda k: k)
    model = {"owner": User, "team": Team, "branch": Branch}[group]
    names = {o.pk: str(o) for o in model.objects.filter(pk__in=[k for k in rows if k is not None])}
    for key, f in rows.items():
        f.label = names.get(key, "—")
    return sorted(rows.values(), key=lambda f: (-f.won_amount, -f.weighted, f.label))


@dataclass
class StageStep:
    """How many deals reached a stage, and what share of them went on to the next one."""

    stage: Stage
    reached: int
    next_rate: float | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "stage_id": self.stage.pk,
            "stage": self.stage.name,
            "kind": self.stage.kind,
            "reached": self.reached,
            "next_rate": self.next_rate,
        }


def stage_conversion(user, flt: ForecastFilter, pipeline) -> list[StageStep]:
    """Stage-to-stage conversion of the deals created in the range (a cohort), from the history.

    A deal has *reached* an open stage when its history shows it entering that stage or a later
    open stage, or a won stage (skipping a stage still passes it); it reached the won stage when
    it entered one. ``next_rate`` = reached(next) ÷ reached(this), in %. Lost stages are where
    deals leave the funnel, so they are not steps. Two queries: the stages, one aggregate.
    """
    stages = [s for s in pipeline.stages.order_by("position", "id") if s.kind != Stage.Kind.LOST]
    if not stages:
        return []
    since, until = day_bounds(flt.start, flt.end)
    deals = forecast_queryset(user, flt).filter(
        pipeline=pipeline, created_at__gte=since, created_at__lt=until
    )
    changes = StageChange.objects.filter(opportunity__in=deals.values("pk"), to_stage__pipeline=pipeline)
    aggregates = {}
    for s in stages:
        if s.kind == Stage.Kind.WON:
            condition = Q(to_stage__kind=Stage.Kind.WON)
        else:
            condition = Q(to_stage__kind=Stage.Kind.WON) | Q(
                to_stage__kind=Stage.Kind.OPEN, to_stage__position__gte=s.position
            )
        aggregates[f"s{s.pk}"] = Count("opportunity_id", distinct=True, filter=condition)
    counts = changes.aggregate(**aggregates)
    steps = [StageStep(stage=s, reached=counts[f"s{s.pk}"] or 0) for s in stages]
    for here, following in zip(steps, steps[1:], strict=False):
        here.next_rate = round(100 * following.reached / here.reached, 1) if here.reached else None
    return steps


def forecast_category_set(*, opportunity: Opportunity, category: str | None, by) -> str:
    """Set (or, with None, clear) the deal's forecast category by hand; audited on the deal.

    Returns the category the deal now has.
    """
    if category not in (None, "", *CATEGORIES):
        raise ValidationError({"category": [_("Choose commit, best case, pipeline or omitted.")]})
    with transaction.atomic():
        before = (
            OpportunityForecast.objects.filter(opportunity=opportunity)
            .values_list("category", flat=True)
            .first()
        )
        if category:
            OpportunityForecast.objects.update_or_create(
                opportunity=opportunity, defaults={"category": category, "by": by}
            )
        else:
            OpportunityForecast.objects.filter(opportunity=opportunity).delete()
        now = category or default_category(opportunity.probability)
        if (before or "") != (category or ""):
            audit_record(
                instance=opportunity,
                kind=AuditEntry.Kind.UPDATE,
                by=by,
                changes={"forecast_category": [before or "", category or ""]},
            )
    return now
