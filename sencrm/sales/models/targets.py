"""Sales targets (Chỉ tiêu doanh số, REQUIREMENTS.md S7): a goal for a person, a team or a branch
over a month, a quarter or a year, in revenue (VND) or in deals won, optionally for one province."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel


class Target(OwnedModel):
    """A goal for one subject (a person, a team or a branch) over one period.

    A target is an owned record placed where its subject lives, so the role's data scope decides
    who sees it through the usual ``visible_to``: a person's target is owned by that person (team
    and branch theirs); a team's is placed in the team and its branch, a branch's in the branch,
    both owned by whoever set them.

    Attainment is measured against won opportunities (``source``); orders will become a second
    source once they exist (issue 5, part B). ``start``/``end`` are the first and last day of the
    period in the company's calendar (Asia/Ho_Chi_Minh).
    """

    class Subject(models.TextChoices):
        USER = "user", _("Person")
        TEAM = "team", _("Team")
        BRANCH = "branch", _("Branch")

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    class Measure(models.TextChoices):
        REVENUE = "revenue", _("Revenue (VND)")
        COUNT = "count", _("Deals won")

    class Source(models.TextChoices):
        OPPORTUNITIES = "opportunities", _("Won opportunities")

    subject = models.CharField(_("for"), max_length=10, choices=Subject.choices, default=Subject.USER)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default=Period.MONTH)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices, default=Measure.REVENUE)
    source = models.CharField(
        _("measured against"), max_length=20, choices=Source.choices, default=Source.OPPORTUNITIES
    )
    value = models.BigIntegerField(_("target"), validators=[MinValueValidator(0)])
    province = models.ForeignKey(
        "core.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("province"), help_text=_("Only deals of accounts in this province count."),
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-start", "subject", "id"]
        indexes = [
            # The home page: my targets covering today; the list's filters by subject and period.
            models.Index(fields=["owner", "deleted_at", "start"], name="target_owner_idx"),
            models.Index(fields=["team", "deleted_at", "start"], name="target_team_idx"),
            models.Index(fields=["branch", "deleted_at", "start"], name="target_branch_idx"),
            models.Index(fields=["deleted_at", "-start"], name="target_list_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_not_negative"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="target_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} · {self.period_label}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:target_edit", args=[self.pk])

    def search_parts(self) -> list[str]:
        return [self.subject_name, self.note]

    @property
    def subject_name(self) -> str:
        return str({"user": self.owner, "team": self.team, "branch": self.branch}.get(self.subject) or "")

    @property
    def period_label(self) -> str:
        if self.period == self.Period.MONTH:
            return f"{self.start.month:02d}/{self.start.year}"
        if self.period == self.Period.QUARTER:
            return _("Q%(q)s/%(y)s") % {"q": (self.start.month - 1) // 3 + 1, "y": self.start.year}
        return str(self.start.year)
