"""Demo targets and a stage playbook (``sencrm demo``, after the sales catalogue; issue 5 part C).

Each rep gets a monthly revenue target from a year ago to two months ahead, sized on what they
actually won over the last year (plus 15 %, rounded to 5 million đồng, at least 50 million), and
each team a quarterly target, the sum of its members' months. The default pipeline's stage
"Nhận yêu cầu báo giá" (RFP received) gets a playbook with required fields, a checklist and the
S8 rule: over 1.000.000.000 ₫ the rep's manager gets a review task. Loading twice adds nothing.
"""

import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from sencrm.common.models import DataScope
from sencrm.core.models import Team, User
from sencrm.crm.models import Opportunity, Stage
from sencrm.crm.services.opportunities import default_pipeline
from sencrm.sales.models import StagePlaybook, Target
from sencrm.sales.services.forecast import day_bounds, period_end, period_start
from sencrm.sales.services.playbooks import playbook_save

STEP = 5_000_000
FLOOR = 50_000_000
RFP_STAGE = "Nhận yêu cầu báo giá"


def _months(today: datetime.date, back: int, ahead: int) -> list[datetime.date]:
    first = period_start(today, "month")
    months = []
    for offset in range(-back, ahead + 1):
        index = first.year * 12 + first.month - 1 + offset
        months.append(datetime.date(index // 12, index % 12 + 1, 1))
    return months


def _round(value: float) -> int:
    return max(FLOOR, int(round(value / STEP)) * STEP)


def build_targets(today: datetime.date) -> int:
    reps = list(
        User.objects.filter(is_active=True, role__scope=DataScope.OWN, team__isnull=False)
        .select_related("team")
        .order_by("username")
    )
    if not reps:
        return 0
    boss = (
        User.objects.filter(is_active=True, role__scope=DataScope.ALL, is_superuser=False)
        .order_by("pk")
        .first()
    )
    since, until = day_bounds(today - datetime.timedelta(days=365), today)
    won = dict(
        Opportunity.objects.alive()
        .won()
        .filter(owner__in=reps, currency="VND", closed_at__gte=since, closed_at__lt=until)
        .order_by()
        .values_list("owner_id")
        .annotate(total=Sum("amount"))
    )
    # What a previous load wrote: (subject, person or team, start) of revenue targets.
    existing = {
        (subject, team_id if subject == "team" else owner_id, start)
        for subject, owner_id, team_id, start in Target.objects.alive()
        .filter(measure=Target.Measure.REVENUE)
        .values_list("subject", "owner_id", "team_id", "start")
    }
    rows: list[Target] = []
    monthly: dict[int, int] = {rep.pk: _round((won.get(rep.pk) or 0) / 12 * 1.15) for rep in reps}
    for month in _months(today, back=11, ahead=2):
        for rep in reps:
            if ("user", rep.pk, month) in existing:
                continue
            rows.append(
                Target(
                    subject=Target.Subject.USER,
                    owner=rep,
                    team_id=rep.team_id,
                    branch_id=rep.branch_id,
                    period=Target.Period.MONTH,
                    start=month,
                    end=period_end(month, "month"),
                    measure=Target.Measure.REVENUE,
                    value=monthly[rep.pk],
                    created_by=boss,
                    updated_by=boss,
                )
            )
    teams = {t.pk: t for t in Team.objects.filter(pk__in={r.team_id for r in reps}).select_related("leader")}
    quarters = sorted({period_start(m, "quarter") for m in _months(today, back=11, ahead=2)})
    for quarter in quarters:
        for team in teams.values():
            owner = team.leader or boss
            if owner is None or ("team", team.pk, quarter) in existing:
                continue
            rows.append(
                Target(
                    subject=Target.Subject.TEAM,
                    owner=owner,
                    team=team,
                    branch_id=team.branch_id,
                    period=Target.Period.QUARTER,
                    start=quarter,
                    end=period_end(quarter, "quarter"),
                    measure=Target.Measure.REVENUE,
                    value=3 * sum(monthly[r.pk] for r in reps if r.team_id == team.pk),
                    created_by=boss,
                    updated_by=boss,
                )
            )
    for row in rows:
        row.refresh_search()  # bulk_create skips save()
    Target.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def build_playbook() -> int:
    stage = Stage.objects.filter(pipeline=default_pipeline(), name=RFP_STAGE).first()
    if stage is None or StagePlaybook.objects.filter(stage=stage).exists():
        return 0
    playbook_save(
        stage=stage,
        by=None,
        required_fields=["contact", "expected_close"],
        guidance="Khách đã gửi yêu cầu báo giá: xác nhận phạm vi, ngân sách và hạn chót trước khi báo giá.",
        checklist=[
            "Xác nhận danh mục hàng và số lượng",
            "Hỏi ngân sách và hình thức thanh toán",
            "Xác nhận hạn nộp báo giá",
            "Kiểm tra tồn kho / thời gian giao hàng",
        ],
        tasks=[
            {"subject": "Soạn báo giá gửi khách", "due_days": 2, "assignee": "owner", "min_amount": None},
            {
                "subject": "Duyệt giá với quản lý (đơn trên 1 tỷ)",
                "due_days": 1,
                "assignee": "manager",
                "min_amount": 1_000_000_000,
            },
        ],
    )
    return 1


def build_planning_demo(*, seed: int, log=None) -> dict[str, int]:
    """Targets and the RFP playbook; ``seed`` is unused (nothing random) but kept for symmetry."""
    with transaction.atomic():
        targets = build_targets(timezone.localdate())
        playbooks = build_playbook()
    if log:
        log(f"Planning: {targets} targets, {playbooks} playbook")
    return {"targets": targets, "playbooks": playbooks}
