from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import BaseModel, OwnedModel, VisibleQuerySet
from sencrm.common.text import nfc, sort_key


class Pipeline(BaseModel):
    """A sales process with its own ordered stages (Quy trình bán hàng), configurable per company."""

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Stage(BaseModel):
    """One step of a pipeline, with the win probability a deal gets by default when it enters."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]

    def __str__(self) -> str:
        return self.name


class OpportunityQuerySet(VisibleQuerySet):
    def open(self):
        return self.filter(status=Opportunity.Status.OPEN)

    def won(self):
        return self.filter(status=Opportunity.Status.WON)

    def lost(self):
        return self.filter(status=Opportunity.Status.LOST)


class Opportunity(OwnedModel):
    """A potential deal (Cơ hội) moving through a pipeline's stages until it is won or lost."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=255)
    sort_name = models.CharField(max_length=255, editable=False, default="")
    account = models.ForeignKey(
        "crm.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("contact"),
        help_text=_("The key person for this deal."),
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("stage")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    amount = models.BigIntegerField(_("amount"), default=0, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, default="VND")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    products = models.TextField(_("products of interest"), blank=True, max_length=2000)
    competitors = models.CharField(_("competitors"), max_length=255, blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=10000)
    stage_position = models.PositiveIntegerField(default=0, editable=False)
    # Issue 3: set when this record was merged into another (it is then in the Trash); its old URLs
    # and API ids redirect to the survivor.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("merged into"),
    )

    audit_exclude = OwnedModel.audit_exclude | {"merged_into"}

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["deleted_at", "-created_at"], name="opp_created_idx"),
            models.Index(fields=["deleted_at", "sort_name"], name="opp_sort_idx"),
            models.Index(fields=["owner", "status", "deleted_at"], name="opp_owner_idx"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="opp_owner_list_idx"),
            models.Index(fields=["branch", "deleted_at", "-created_at"], name="opp_branch_idx"),
            models.Index(fields=["team", "deleted_at", "-created_at"], name="opp_team_idx"),
            # The kanban board: each column's cards, biggest first; the column totals (covering).
            models.Index(fields=["pipeline", "stage", "deleted_at", "-amount"], name="opp_board_cards_idx"),
            models.Index(
                fields=["pipeline", "deleted_at", "stage", "currency", "amount"], name="opp_board_totals_idx"
            ),
            models.Index(fields=["status", "expected_close"], name="opp_close_idx"),
            # Sortable columns over the live rows.
            models.Index(fields=["deleted_at", "-amount"], name="opp_amount_idx2"),
            models.Index(fields=["deleted_at", "expected_close"], name="opp_expected_idx"),
            models.Index(fields=["account", "-created_at"], name="opp_account_idx"),
            models.Index(fields=["contact", "-created_at"], name="opp_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def search_parts(self) -> list[str]:
        return [self.name, self.competitors]

    @property
    def weighted_amount(self) -> int:
        return self.amount * self.probability // 100

    def clean(self) -> None:
        errors: dict[str, list] = {}
        self.name = nfc(self.name)
        self.lost_reason = nfc(self.lost_reason)
        if not self.name:
            errors["name"] = [_("This field is required.")]
        if self.stage_id and self.pipeline_id and self.stage.pipeline_id != self.pipeline_id:
            errors["stage"] = [_("This stage belongs to another pipeline.")]
        elif self.stage_id:
            self.status = {Stage.Kind.WON: self.Status.WON, Stage.Kind.LOST: self.Status.LOST}.get(
                self.stage.kind, self.Status.OPEN
            )
            if self.status == self.Status.LOST and not self.lost_reason:
                errors["lost_reason"] = [_("Say why the deal was lost.")]
            if self.status != self.Status.OPEN and self.closed_at is None:
                self.closed_at = timezone.now()
            if self.status == self.Status.OPEN:
                self.closed_at = None
        self.currency = (self.currency or "VND").upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            errors["currency"] = [_("Use a three-letter currency code such as VND or USD.")]
        if self.contact_id and self.account_id and self.contact.account_id not in (None, self.account_id):
            errors["contact"] = [_("This contact works for another account.")]
        self.sort_name = sort_key(self.name)
        if errors:
            raise ValidationError(errors)


class StageChange(models.Model):
    """One move of an opportunity from a stage to another: when, by whom (stage history)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["opportunity", "-at"], name="stagechange_opp_idx")]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"
