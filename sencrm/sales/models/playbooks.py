"""Stage playbooks (guided selling, REQUIREMENTS.md S8): what a stage asks of a deal.

A playbook belongs to one pipeline stage. It names the fields a deal must have before it may
enter the stage, a checklist shown on the deal while it is there (ticked per deal), and tasks
created automatically when a deal enters it — each optionally only above an amount, which is how
rules like "RFP received and amount > 1.000.000.000 ₫ → review task for the rep's manager" are
written. The CRM runs the playbook through the stage entry hooks of
``crm.services.opportunities`` (registered by ``SalesConfig.ready``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import BaseModel


class StagePlaybook(BaseModel):
    """The rules of one pipeline stage: required fields, checklist, automatic tasks."""

    stage = models.OneToOneField(
        "crm.Stage", on_delete=models.CASCADE, related_name="playbook", verbose_name=_("stage")
    )
    #: Names of opportunity fields (see services.playbooks.REQUIRABLE_FIELDS) that must hold a value.
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    guidance = models.TextField(
        _("guidance"),
        blank=True,
        max_length=5000,
        help_text=_("Shown on the deal while it is in this stage."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("stage playbook")
        verbose_name_plural = _("stage playbooks")

    def __str__(self) -> str:
        return str(self.stage)


class PlaybookChecklistItem(BaseModel):
    """One point of a stage's checklist ("Confirmed the budget with the buyer")."""

    playbook = models.ForeignKey(
        StagePlaybook, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("playbook")
    )
    text = models.CharField(_("text"), max_length=255)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["playbook", "position", "id"]

    def __str__(self) -> str:
        return self.text


class PlaybookTask(BaseModel):
    """A task created on a deal when it enters the stage (only above ``min_amount`` when set)."""

    class Assignee(models.TextChoices):
        OWNER = "owner", _("The deal's owner")
        MANAGER = "manager", _("The owner's manager")

    playbook = models.ForeignKey(
        StagePlaybook, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("playbook")
    )
    subject = models.CharField(_("subject"), max_length=255)
    due_days = models.PositiveSmallIntegerField(
        _("due after (days)"), default=1, validators=[MaxValueValidator(365)],
        help_text=_("Days after the deal entered the stage."),
    )  # fmt: skip
    assignee = models.CharField(
        _("assignee"), max_length=10, choices=Assignee.choices, default=Assignee.OWNER
    )
    min_amount = models.BigIntegerField(
        _("only when the amount is over (VND)"), null=True, blank=True, validators=[MinValueValidator(0)],
        help_text=_("Leave empty to create the task for every deal entering the stage."),
    )  # fmt: skip
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("playbook task")
        verbose_name_plural = _("playbook tasks")
        ordering = ["playbook", "position", "id"]

    def __str__(self) -> str:
        return self.subject


class PlaybookTaskRun(models.Model):
    """That a playbook task was created for a deal: the unique pair makes the creation happen once
    per deal, however often the deal re-enters the stage or two moves race."""

    task = models.ForeignKey(PlaybookTask, on_delete=models.CASCADE, related_name="runs")
    opportunity = models.ForeignKey("crm.Opportunity", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("crm.Activity", on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "opportunity"], name="playbook_task_once"),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.opportunity_id}"


class ChecklistTick(models.Model):
    """A checklist item ticked on one deal: by whom and when."""

    item = models.ForeignKey(PlaybookChecklistItem, on_delete=models.CASCADE, related_name="ticks")
    opportunity = models.ForeignKey("crm.Opportunity", on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "opportunity"], name="checklist_tick_once"),
        ]
        # The deal page reads the ticks of one deal.
        indexes = [models.Index(fields=["opportunity", "item"], name="checklist_tick_opp_idx")]

    def __str__(self) -> str:
        return f"{self.item} ✓"
