"""Sales targets (Chỉ tiêu, REQUIREMENTS.md S7): setting them, and their attainment.

Who may set a target is the role system's answer: the role's right on ``sales.target`` (create,
change, delete) *and* a subject inside the role's data scope wider than "own" — a team lead sets
the targets of the team's members and of the team, a branch manager those of the people, teams
and branches of the branch and below, a director any. A rep (scope "own") sees their own targets
but sets none.

Attainment is measured against won opportunities: the deals of the subject (owner = the person,
team = the team, branch = the branch and the branches below it; account in the province when the
target names one) won between the first and the last day of the period in the company's time
zone. Revenue counts VND deals (no conversion of other currencies is assumed); the count counts
every won deal. Orders (issue 5, part B) will be a second ``Target.Source``: ``_won_filter`` and
``attainments`` are the one place to add it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from sencrm.common.access import get_object_for_user
from sencrm.common.models import Action, DataScope
from sencrm.core.models import AuditEntry, Branch, Team, User
from sencrm.core.services.audit import audit_record, diff, snapshot
from sencrm.core.services.records import ConflictError, record_delete
from sencrm.crm.models import Opportunity
from sencrm.sales.models import Target
from sencrm.sales.services.forecast import day_bounds, period_end, period_start

FIELDS = (
    "subject",
    "user",
    "team",
    "branch",
    "period",
    "start",
    "end",
    "measure",
    "value",
    "province",
    "note",
)


# ---------------------------------------------------------------------------------------------------
# Who may set what
# ---------------------------------------------------------------------------------------------------


def subject_in_scope(user, target: Target) -> bool:
    """Whether ``user``'s data scope covers the target's subject (to set it)."""
    scope = user.data_scope
    # Scope "all": every subject.
    if scope == DataScope.ALL:
        return True
    # Scope "branch": people, teams and branches of the user's branch and below.
    if scope == DataScope.BRANCH:
        below = set(user.branch_ids_below())
        if target.subject == Target.Subject.USER:
            return target.owner.branch_id in below
        if target.subject == Target.Subject.TEAM:
            return target.team is not None and target.team.branch_id in below
        return target.branch_id in below
    # Scope "team": the members of the user's team and the team itself.
    if scope == DataScope.TEAM and user.team_id:
        if target.subject == Target.Subject.USER:
            return target.owner.team_id == user.team_id
        return target.subject == Target.Subject.TEAM and target.team_id == user.team_id
    # Scope "own": nobody (a rep does not set targets, their own included).
    return False


def can_set_targets(user) -> bool:
    """Whether the user may set any target at all (the pages show the buttons then)."""
    return (
        getattr(user, "is_authenticated", False)
        and user.has_right("sales.target", "create")
        and (user.data_scope != DataScope.OWN)
        and (user.data_scope != DataScope.TEAM or bool(user.team_id))
    )


def get_target_for_user(user, pk, action: str = Action.VIEW) -> Target:
    """The target, or Http404 when missing or out of the user's reach (one answer for both).

    Changing or deleting needs a manager too (``can_set_targets``): a rep whose role may edit
    targets still cannot edit their own.
    """
    if action != Action.VIEW and not can_set_targets(user):
        raise Http404
    return get_object_for_user(
        Target.objects.select_related("owner", "team", "branch", "province"), user, pk, action
    )


# ---------------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------------


def _clean(target: Target) -> None:
    errors: dict[str, list[str]] = {}
    if target.subject not in Target.Subject.values:
        errors["subject"] = [_("Choose a person, a team or a branch.")]
    elif target.subject == Target.Subject.USER and not target.owner_id:
        errors["user"] = [_("This field is required.")]
    elif target.subject == Target.Subject.TEAM and not target.team_id:
        errors["team"] = [_("This field is required.")]
    elif target.subject == Target.Subject.BRANCH and not target.branch_id:
        errors["branch"] = [_("This field is required.")]
    if target.period not in Target.Period.values:
        errors["period"] = [_("Choose a month, a quarter or a year.")]
    if target.measure not in Target.Measure.values:
        errors["measure"] = [_("Choose revenue or deals won.")]
    if target.value is None:
        errors["value"] = [_("This field is required.")]
    elif target.value < 0:
        errors["value"] = [_("A target cannot be negative.")]
    if not isinstance(target.start, datetime.date):
        errors["start"] = [_("This field is required.")]
    elif target.end is not None and target.end < target.start:
        errors["end"] = [_("The end of the period cannot be before its start.")]
    elif target.period in Target.Period.values:
        first = period_start(target.start, target.period)
        last = period_end(first, target.period)
        if target.start != first:
            errors["start"] = [
                {
                    "month": _("A month target starts on the first day of a month."),
                    "quarter": _("A quarter target starts on 1 January, 1 April, 1 July or 1 October."),
                    "year": _("A year target starts on 1 January."),
                }[target.period]
            ]
        elif target.end is not None and target.end != last:
            errors["end"] = [_("This period ends on %(day)s.") % {"day": last.strftime("%d/%m/%Y")}]
        target.end = last
    target.note = (target.note or "").strip()[:255]
    if errors:
        raise ValidationError(errors)


def _check_duplicate(target: Target) -> None:
    """One target per subject, period, measure and province (checked after the scope, so the
    message never tells about targets out of the setter's reach)."""
    same = (
        Target.objects.alive()
        .exclude(pk=target.pk)
        .filter(
            **_subject_key(target),
            period=target.period,
            start=target.start,
            measure=target.measure,
            province_id=target.province_id,
        )
    )
    if same.exists():
        raise ValidationError(
            {"start": [_("This subject already has a target of this kind for this period.")]}
        )


def _subject_key(target: Target) -> dict:
    if target.subject == Target.Subject.USER:
        return {"subject": target.subject, "owner_id": target.owner_id}
    if target.subject == Target.Subject.TEAM:
        return {"subject": target.subject, "team_id": target.team_id}
    return {"subject": target.subject, "branch_id": target.branch_id}


def _apply(target: Target, data: dict, by) -> None:
    """Set the fields from ``data`` and place the target where its subject lives.

    ``user``, ``team``, ``branch`` and ``province`` come as records (callers resolve them).
    """
    values = {
        "user": target.owner if target.subject == Target.Subject.USER and target.owner_id else None,
        "team": target.team if target.subject == Target.Subject.TEAM else None,
        "branch": target.branch if target.subject == Target.Subject.BRANCH else None,
    }
    for name, value in data.items():
        if name in FIELDS:
            values[name] = value
    for name in ("period", "start", "end", "measure", "value", "province", "note"):
        if name in values:
            setattr(target, name, values[name])
    target.subject = values.get("subject", target.subject)
    person, team, branch = values["user"], values["team"], values["branch"]
    if target.subject == Target.Subject.USER and person is not None:
        target.owner, target.team_id, target.branch_id = person, person.team_id, person.branch_id
    elif target.subject == Target.Subject.TEAM and team is not None:
        target.owner, target.team, target.branch_id = by, team, team.branch_id
    elif target.subject == Target.Subject.BRANCH and branch is not None:
        target.owner, target.team, target.branch = by, None, branch
    else:
        # The subject is missing: _clean names the field; nothing is saved.
        if target.subject == Target.Subject.USER:
            target.owner_id = None
        elif target.subject == Target.Subject.TEAM:
            target.team_id = None
        else:
            target.branch_id = None


def _check_scope(by, target: Target) -> None:
    if not subject_in_scope(by, target):
        field = target.subject if target.subject in Target.Subject.values else "subject"
        raise ValidationError(
            {field: [_("You may only set targets for people, teams or branches you manage.")]}
        )


@transaction.atomic
def target_create(*, by, data: dict) -> Target:
    """Set a target; the subject must lie in the setter's scope. Audited."""
    target = Target(created_by=by, updated_by=by)
    _apply(target, data, by)
    _clean(target)
    _check_scope(by, target)
    _check_duplicate(target)
    target.save()
    audit_record(
        instance=target, kind=AuditEntry.Kind.CREATE, by=by, changes=diff({}, snapshot(target), target)
    )
    return target


@transaction.atomic
def target_update(*, target: Target, by, data: dict, expected_version: int | None = None) -> Target:
    """Change a target (still inside the setter's scope); ConflictError on a stale version."""
    current = Target.objects.select_for_update().get(pk=target.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(current)
    before = snapshot(current)
    _apply(current, data, by)
    _clean(current)
    _check_scope(by, current)
    _check_duplicate(current)
    changes = diff(before, snapshot(current), current)
    if changes:
        current.version += 1
        current.updated_by = by
        current.save()
        audit_record(instance=current, kind=AuditEntry.Kind.UPDATE, by=by, changes=changes)
    return current


def target_delete(*, target: Target, by, expected_version: int | None = None) -> None:
    """Move a target to the Trash (restorable there like every record)."""
    record_delete(target, by=by, expected_version=expected_version)


# ---------------------------------------------------------------------------------------------------
# Attainment
# ---------------------------------------------------------------------------------------------------


def _won_filter(target: Target, branch_paths: dict[int, str]) -> Q:
    """The won deals that count for ``target`` (source: won opportunities)."""
    since, until = day_bounds(target.start, target.end)
    q = Q(closed_at__gte=since, closed_at__lt=until)
    if target.subject == Target.Subject.USER:
        q &= Q(owner_id=target.owner_id)
    elif target.subject == Target.Subject.TEAM:
        q &= Q(team_id=target.team_id)
    else:
        q &= Q(branch__path__startswith=branch_paths.get(target.branch_id, "/none/"))
    if target.province_id:
        q &= Q(account__province_id=target.province_id)
    if target.measure == Target.Measure.REVENUE:
        q &= Q(currency="VND")
    return q


def attainments(targets: list[Target]) -> dict[int, int]:
    """What each target has reached so far (VND or deals), in one aggregate query."""
    if not targets:
        return {}
    branch_ids = {t.branch_id for t in targets if t.branch_id}
    paths = dict(Branch.objects.filter(pk__in=branch_ids).values_list("pk", "path")) if branch_ids else {}
    aggregates = {}
    for t in targets:
        q = _won_filter(t, paths)
        if t.measure == Target.Measure.REVENUE:
            aggregates[f"t{t.pk}"] = Sum("amount", filter=q)
        else:
            aggregates[f"t{t.pk}"] = Count("id", filter=q)
    values = Opportunity.objects.alive().won().aggregate(**aggregates)
    return {t.pk: values[f"t{t.pk}"] or 0 for t in targets}


def with_attainment(targets: list[Target]) -> list[Target]:
    """Set ``attained`` and ``percent`` (None for a zero target) on each target."""
    reached = attainments(targets)
    for t in targets:
        t.attained = reached.get(t.pk, 0)
        t.percent = round(100 * t.attained / t.value, 1) if t.value else None
        t.bar = min(t.percent or 0, 100)
    return targets


def targets_for_home(user, today: datetime.date) -> list[Target]:
    """The user's own targets and their team's whose period holds ``today``, with attainment
    (two queries)."""
    mine = Q(subject=Target.Subject.USER, owner_id=user.pk)
    if user.team_id:
        mine |= Q(subject=Target.Subject.TEAM, team_id=user.team_id)
    targets = list(
        Target.objects.visible_to(user)
        .filter(mine, start__lte=today, end__gte=today)
        .select_related("owner", "team", "branch", "province")
        .order_by("subject", "period", "measure", "id")
    )
    return with_attainment(targets)


def leaderboard(user, *, start: datetime.date, end: datetime.date) -> list[dict]:
    """The reps the user manages, ranked by revenue won in ``[start, end]``, with their revenue
    target for exactly that period when one is set (three queries).

    Only for users who may set targets (managers): for others, an empty list.
    """
    if not can_set_targets(user):
        return []
    scope = user.data_scope
    people = User.objects.filter(is_active=True)
    if scope == DataScope.BRANCH:
        people = people.filter(branch_id__in=user.branch_ids_below())
    elif scope == DataScope.TEAM:
        people = people.filter(team_id=user.team_id)
    people = list(people.select_related("team").order_by("last_name", "first_name", "id"))
    ids = [p.pk for p in people]
    since, until = day_bounds(start, end)
    won = {
        row["owner_id"]: row
        for row in Opportunity.objects.alive()
        .won()
        .filter(owner_id__in=ids, closed_at__gte=since, closed_at__lt=until)
        .order_by()
        .values("owner_id")
        .annotate(
            amount=Sum("amount", filter=Q(currency="VND")),
            count=Count("id"),
        )
    }
    goals = dict(
        Target.objects.alive()
        .filter(
            subject=Target.Subject.USER,
            owner_id__in=ids,
            measure=Target.Measure.REVENUE,
            province__isnull=True,
            start=start,
            end=end,
        )
        .values_list("owner_id", "value")
    )
    rows = []
    for person in people:
        amount = (won.get(person.pk) or {}).get("amount") or 0
        goal = goals.get(person.pk)
        rows.append(
            {
                "user": person,
                "won_amount": amount,
                "won_count": (won.get(person.pk) or {}).get("count") or 0,
                "target": goal,
                "percent": round(100 * amount / goal, 1) if goal else None,
            }
        )
    # Those with a target by attainment first, then by revenue; ties by name (already ordered).
    rows.sort(key=lambda r: (r["percent"] is None, -(r["percent"] or 0), -r["won_amount"]))
    return rows


def teams_in_scope(user):
    """The teams a manager may set targets for (the target form's choices)."""
    scope = user.data_scope
    if scope == DataScope.ALL:
        return Team.objects.order_by("name")
    if scope == DataScope.BRANCH:
        return Team.objects.filter(branch_id__in=user.branch_ids_below()).order_by("name")
    if scope == DataScope.TEAM and user.team_id:
        return Team.objects.filter(pk=user.team_id)
    return Team.objects.none()


def users_in_scope(user):
    scope = user.data_scope
    people = User.objects.filter(is_active=True).order_by("last_name", "first_name", "id")
    if scope == DataScope.ALL:
        return people
    if scope == DataScope.BRANCH:
        return people.filter(branch_id__in=user.branch_ids_below())
    if scope == DataScope.TEAM and user.team_id:
        return people.filter(team_id=user.team_id)
    return people.none()


def branches_in_scope(user):
    scope = user.data_scope
    if scope == DataScope.ALL:
        return Branch.objects.order_by("path")
    if scope == DataScope.BRANCH:
        return Branch.objects.filter(pk__in=user.branch_ids_below()).order_by("path")
    return Branch.objects.none()
