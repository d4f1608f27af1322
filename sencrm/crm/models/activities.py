from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel, VisibleQuerySet
from sencrm.common.text import nfc


class ActivityQuerySet(VisibleQuerySet):
    def pending(self):
        return self.filter(done=False)

    def overdue(self, now=None):
        return self.pending().filter(due_at__lt=now or timezone.now())

    def reminders_due(self, now=None, limit: int = 500):
        """Live activities whose reminder is due and not sent, the oldest first (at most ``limit``).

        Two steps: the due reminders by their own partial index (``activity_remind_due_idx``; a
        query that also says "not deleted" lets SQLite without statistics walk every live
        activity instead), then those still live."""
        ids = list(
            self.model._base_manager.filter(
                done=False, reminded_at__isnull=True, remind_at__lte=now or timezone.now()
            )
            .order_by("remind_at")
            .values_list("pk", flat=True)[:limit]
        )
        return self.filter(pk__in=ids, deleted_at__isnull=True).order_by("remind_at")


class Activity(OwnedModel):
    """An interaction or a piece of work: call, meeting, task, logged email or note (Hoạt động).

    Linked to any of an account, a contact, a lead and an opportunity, so it lands in each one's
    history (360° view).
    """

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")
        EMAIL = "email", _("Email")
        NOTE = "note", _("Note")

    class CallResult(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Left a message")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    class Direction(models.TextChoices):
        OUTBOUND = "out", _("Outbound")
        INBOUND = "in", _("Inbound")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Medium")
        HIGH = "high", _("High")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TASK)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    start_at = models.DateTimeField(_("start"), null=True, blank=True)
    end_at = models.DateTimeField(_("end"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    remind_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, blank=True)
    call_duration = models.PositiveIntegerField(_("call duration (minutes)"), null=True, blank=True)
    call_result = models.CharField(_("call result"), max_length=20, choices=CallResult.choices, blank=True)
    outcome = models.TextField(_("outcome"), blank=True, max_length=5000)
    account = models.ForeignKey(
        "crm.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("contact"),
    )
    lead = models.ForeignKey(
        "crm.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("lead"),
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("opportunity"),
    )
    occurred_at = models.DateTimeField(
        editable=False,
        default=timezone.now,
        help_text="When it happened or is planned: the timeline's order.",
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["deleted_at", "-occurred_at"], name="activity_list_idx"),
            # Home page: my open tasks by due date.
            # (Partial: Django writes done=False as NOT done, which no index column can match.)
            models.Index(
                fields=["owner", "due_at"],
                condition=models.Q(done=False, deleted_at__isnull=True),
                name="activity_pending_due_idx",
            ),
            # A sales rep's list (data scope "own") in the default order.
            models.Index(fields=["owner", "deleted_at", "-occurred_at"], name="activity_owner_list_idx"),
            models.Index(fields=["branch", "deleted_at", "-occurred_at"], name="activity_branch_idx"),
            models.Index(fields=["team", "deleted_at", "-occurred_at"], name="activity_team_idx"),
            # Timelines of each linked record.
            models.Index(fields=["account", "-occurred_at"], name="activity_account_idx"),
            models.Index(fields=["contact", "-occurred_at"], name="activity_contact_idx"),
            models.Index(fields=["lead", "-occurred_at"], name="activity_lead_idx"),
            models.Index(fields=["opportunity", "-occurred_at"], name="activity_opp_idx"),
            # The reminder task, every minute: only the reminders still to send, so the index is
            # tiny and the query (``reminders_due``) can use nothing else — with a plain index,
            # SQLite without statistics walked five million live activities instead.
            models.Index(
                fields=["remind_at"],
                condition=Q(done=False, reminded_at__isnull=True),
                name="activity_remind_due_idx",
            ),
            models.Index(fields=["kind", "-occurred_at"], name="activity_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    def search_parts(self) -> list[str]:
        return [self.subject]

    def clean(self) -> None:
        errors: dict[str, list] = {}
        self.subject = nfc(self.subject)
        if not self.subject:
            errors["subject"] = [_("This field is required.")]
        if self.start_at and self.end_at and self.end_at < self.start_at:
            errors["end_at"] = [_("The end must be after the start.")]
        if self.kind != self.Kind.CALL and (self.call_duration or self.call_result):
            errors["call_result"] = [_("Only calls have a duration and a result.")]
        if self.done and self.done_at is None:
            self.done_at = timezone.now()
        if not self.done:
            self.done_at = None
        if self.remind_at and self.reminded_at and self.remind_at > self.reminded_at:
            self.reminded_at = None  # a moved reminder fires again
        self.occurred_at = self.start_at or self.due_at or self.done_at or self.created_at or timezone.now()
        if self.contact_id and not self.account_id and self.contact.account_id:
            self.account_id = self.contact.account_id
        if self.opportunity_id and not self.account_id and self.opportunity.account_id:
            self.account_id = self.opportunity.account_id
        if errors:
            raise ValidationError(errors)
