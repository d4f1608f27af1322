"""Invoices (Hóa đơn) and payments (Thanh toán) of B2B orders: the figures and the fields a
Vietnamese e-invoice needs (VIETNAM.md §6), kept so an e-invoice provider can be connected later.
Sen CRM does not issue legal e-invoices.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel, VisibleQuerySet
from sencrm.sales.models.products import MONEY, PricedLine


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    TRANSFER_OR_CASH = "tm_ck", _("Cash or bank transfer")
    CARD = "card", _("Card")
    OTHER = "other", _("Other")


class InvoiceQuerySet(VisibleQuerySet):
    def unpaid(self):
        """Issued invoices with something still to pay."""
        return self.filter(status=Invoice.Status.ISSUED, paid__lt=F("total"))

    def overdue(self, today):
        """Unpaid invoices whose due date has passed (the overdue reminders' and balances' work)."""
        return self.unpaid().filter(due_date__lt=today)


class Invoice(OwnedModel):
    """An invoice for all or part of an order (Hóa đơn): lines taken from the order's lines with
    the quantities invoiced, totals per VAT rate, the seller and buyer as an e-invoice names them,
    and what has been paid. ``paid`` changes only through ``payment_record`` (atomic SQL)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    order = models.ForeignKey(
        "sales.Order",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("order"),
        editable=False,
    )
    account = models.ForeignKey(
        "crm.Account",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("account"),
        editable=False,
    )
    currency = models.CharField(_("currency"), max_length=3, default="VND", editable=False)
    invoice_date = models.DateField(_("invoice date"), default=timezone.localdate)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ISSUED, editable=False
    )
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    # The seller and the buyer as an e-invoice needs them (Decree 123/2020 art. 10), copied when issued.
    seller_name = models.CharField(_("seller legal name"), max_length=255, blank=True, editable=False)
    seller_tax_code = models.CharField(_("seller tax code"), max_length=20, blank=True, editable=False)
    seller_address = models.CharField(_("seller address"), max_length=500, blank=True, editable=False)
    buyer_name = models.CharField(_("buyer legal name"), max_length=255, blank=True)
    buyer_tax_code = models.CharField(_("buyer tax code"), max_length=20, blank=True)
    buyer_address = models.CharField(_("buyer address"), max_length=500, blank=True)
    buyer_email = models.CharField(_("buyer email"), max_length=254, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    subtotal = models.DecimalField(_("subtotal"), default=Decimal(0), editable=False, **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=Decimal(0), editable=False, **MONEY)
    total = models.DecimalField(_("total"), default=Decimal(0), editable=False, **MONEY)
    paid = models.DecimalField(_("paid"), default=Decimal(0), editable=False, **MONEY)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [
            models.Index(fields=["deleted_at", "-created_at"], name="invoice_created_idx"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="invoice_owner_idx"),
            models.Index(fields=["branch", "deleted_at", "-created_at"], name="invoice_branch_idx"),
            models.Index(fields=["team", "deleted_at", "-created_at"], name="invoice_team_idx"),
            models.Index(fields=["deleted_at", "number"], name="invoice_number_idx"),
            models.Index(fields=["deleted_at", "-total"], name="invoice_total_idx"),
            # Status filter, overdue reminders and balances (issued, due before today).
            models.Index(fields=["status", "due_date"], name="invoice_due_idx"),
            # Invoices of an account (balances) and of an order.
            models.Index(fields=["account", "status"], name="invoice_account_idx"),
        ]
        constraints = [
            # Payments never pass the total (payment_record checks first; this is the backstop).
            models.CheckConstraint(condition=Q(paid__lte=F("total")), name="invoice_paid_lte_total"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("New invoice"))

    def search_parts(self) -> list[str]:
        return [self.number, self.buyer_name]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from sencrm.common.text import nfc

        for name in ("buyer_name", "buyer_address", "notes"):
            setattr(self, name, nfc(getattr(self, name)).strip())
        if self.invoice_date and self.due_date and self.due_date < self.invoice_date:
            raise ValidationError({"due_date": [_("The due date cannot be before the invoice date.")]})

    @property
    def outstanding(self) -> Decimal:
        return Decimal(0) if self.status == self.Status.CANCELLED else self.total - self.paid

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.ISSUED and self.outstanding > 0 and self.due_date < today


class InvoiceLine(PricedLine):
    """One line of an invoice: part or all of an order line's quantity, priced as the order line."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("sales.OrderLine", on_delete=models.PROTECT, related_name="invoice_lines")
    product = models.ForeignKey(
        "sales.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "id"]


class Payment(models.Model):
    """Money received against an invoice (partial payments allowed, never more than outstanding).
    Seen by whoever sees its invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("payment date"), default=timezone.localdate)
    method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["invoice", "paid_on", "id"]
        indexes = [models.Index(fields=["invoice", "paid_on"], name="payment_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount}"
