"""Contracts (Hợp đồng): customer and service contracts with their dates, value, renewal terms
and the signed originals attached (files through Django's storage API)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel, VisibleQuerySet
from sencrm.common.text import nfc
from sencrm.sales.models.products import MONEY

#: The longest reminder lead time; it bounds the reminder task's scan by end date.
MAX_NOTICE_DAYS = 365


class ContractQuerySet(VisibleQuerySet):
    def active(self):
        return self.filter(status=Contract.Status.ACTIVE)


class Contract(OwnedModel):
    """A contract with an account (Hợp đồng): what was agreed, from when to when, for how much,
    and how it renews. The owner gets a task ``notice_days`` before the end (``contracts_remind``)."""

    class Type(models.TextChoices):
        CUSTOMER = "customer", _("Customer contract")
        SERVICE = "service", _("Service contract")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")
        RENEWED = "renewed", _("Renewed")

    number = models.CharField(
        _("number"), max_length=60, help_text=_("The contract's number as signed, e.g. 01/2026/HĐMB.")
    )
    title = models.CharField(_("title"), max_length=255)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.CUSTOMER)
    account = models.ForeignKey(
        "crm.Account", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("contact"),
    )
    order = models.ForeignKey(
        "sales.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("order"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("Empty: open-ended."))
    value = models.DecimalField(_("value (VND)"), default=Decimal(0), **MONEY)
    renewal_terms = models.TextField(_("renewal terms"), blank=True, max_length=10000)
    auto_renew = models.BooleanField(_("renews automatically"), default=False)
    notice_days = models.PositiveIntegerField(
        _("reminder days before the end"),
        default=30,
        help_text=_("The owner gets a task this many days before the contract ends."),
    )
    # The end date the renewal reminder was made for: once per contract and period (a renewed
    # contract with a new end date gets a new reminder).
    reminded_end_date = models.DateField(null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [
            models.Index(fields=["deleted_at", "-created_at"], name="contract_created_idx"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="contract_owner_idx"),
            models.Index(fields=["branch", "deleted_at", "-created_at"], name="contract_branch_idx"),
            models.Index(fields=["team", "deleted_at", "-created_at"], name="contract_team_idx"),
            models.Index(fields=["deleted_at", "number"], name="contract_number_idx"),
            models.Index(fields=["deleted_at", "end_date"], name="contract_end_idx"),
            # The renewal reminders: active contracts by end date.
            models.Index(fields=["status", "end_date"], name="contract_status_end_idx"),
            models.Index(fields=["account", "-start_date"], name="contract_account_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=Q(deleted_at__isnull=True), name="contract_number_live_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}" if self.number else self.title

    def search_parts(self) -> list[str]:
        return [self.number, self.title]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, list] = {}
        for name in ("number", "title", "renewal_terms", "notes"):
            setattr(self, name, nfc(getattr(self, name)).strip())
        if not self.number:
            errors["number"] = [_("This field is required.")]
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = [_("The contract cannot end before it starts.")]
        if self.notice_days is not None and self.notice_days > MAX_NOTICE_DAYS:
            errors["notice_days"] = [_("At most %(n)d days before the end.") % {"n": MAX_NOTICE_DAYS}]
        if self.value is not None and self.value < 0:
            errors["value"] = [_("The value cannot be negative.")]
        if self.value is not None and self.value != self.value.quantize(Decimal(1)):
            errors["value"] = [_("VND amounts are whole đồng.")]
        if self.contact_id and self.account_id and self.contact.account_id not in (None, self.account_id):
            errors["contact"] = [_("This contact works for another account.")]
        if self.order_id and self.account_id and self.order.account_id != self.account_id:
            errors["order"] = [_("This order belongs to another account.")]
        if self.number and (
            type(self)
            ._base_manager.filter(number=self.number, deleted_at__isnull=True)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["number"] = [_("Another contract already has this number.")]
        if errors:
            raise ValidationError(errors)


class ContractDocument(models.Model):
    """A file attached to a contract (the signed original, an annex): stored through Django's
    storage API and downloaded only through the contract's page, so whoever may not see the
    contract gets 404 for its files too."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to="contracts/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")
        ordering = ["contract", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
