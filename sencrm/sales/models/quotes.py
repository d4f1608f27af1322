"""Quotes (Báo giá): numbered per branch and year, with lines, totals per VAT rate and revisions."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel, VisibleQuerySet
from sencrm.common.text import nfc
from sencrm.sales.models.products import MONEY, PricedLine


class QuoteCounter(models.Model):
    """The last quote number given in a branch and year. Numbers are taken under
    ``select_for_update`` on this row, so two quotes never get the same number and none is skipped."""

    branch = models.ForeignKey("core.Branch", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="quotecounter_uniq")]

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.year}: {self.last}"


class QuoteQuerySet(VisibleQuerySet):
    def sent(self):
        return self.filter(status=Quote.Status.SENT)

    def expired_by(self, today):
        """Sent quotes whose validity ended before ``today`` (the expiry task's work)."""
        return self.sent().filter(valid_until__lt=today, deleted_at__isnull=True)


class Quote(OwnedModel):
    """An offer to an account (Báo giá): priced lines, totals per VAT rate, validity and terms.

    Created from an opportunity (account and contact come from it) or from an account. Editing a
    sent quote keeps the sent version as a ``QuoteRevision`` and raises ``revision``. Totals are
    computed by ``sales.money`` from the lines and stored, so lists need no arithmetic.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    title = models.CharField(_("title"), max_length=255, blank=True)
    account = models.ForeignKey(
        "crm.Account", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("contact"),
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("opportunity"),
    )
    price_list = models.ForeignKey(
        "sales.PriceList",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("price list"),
        help_text=_("Empty: the account's price list for the quote date, else list prices."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="VND")
    quote_date = models.DateField(_("quote date"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    # The buyer as an e-invoice needs them (VIETNAM.md §6), copied from the account when created.
    buyer_name = models.CharField(_("buyer name"), max_length=255, blank=True)
    buyer_tax_code = models.CharField(_("buyer tax code"), max_length=20, blank=True)
    buyer_address = models.CharField(_("buyer address"), max_length=500, blank=True)
    buyer_email = models.CharField(_("buyer email"), max_length=254, blank=True)
    terms = models.TextField(_("terms"), blank=True, max_length=10000)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    subtotal = models.DecimalField(_("subtotal"), default=Decimal(0), editable=False, **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=Decimal(0), editable=False, **MONEY)
    total = models.DecimalField(_("total"), default=Decimal(0), editable=False, **MONEY)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    reject_reason = models.CharField(_("reason for rejection"), max_length=255, blank=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [
            # Default list order (newest first) per data scope.
            models.Index(fields=["deleted_at", "-created_at"], name="quote_created_idx"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="quote_owner_idx"),
            models.Index(fields=["branch", "deleted_at", "-created_at"], name="quote_branch_idx"),
            models.Index(fields=["team", "deleted_at", "-created_at"], name="quote_team_idx"),
            # Status filter, and the expiry task (sent quotes past validity).
            models.Index(fields=["status", "valid_until"], name="quote_status_idx"),
            # Sortable columns.
            models.Index(fields=["deleted_at", "number"], name="quote_number_idx"),
            models.Index(fields=["deleted_at", "-total"], name="quote_total_idx"),
            models.Index(fields=["deleted_at", "valid_until"], name="quote_valid_idx"),
            # Quotes of an account / opportunity (their pages).
            models.Index(fields=["account", "-created_at"], name="quote_account_idx"),
            models.Index(fields=["opportunity", "-created_at"], name="quote_opp_idx"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("New quote"))

    def search_parts(self) -> list[str]:
        return [self.number, self.title, self.buyer_name]

    def clean(self) -> None:
        from sencrm.sales.models.products import clean_currency

        errors: dict[str, list] = {}
        for name in ("title", "terms", "notes", "buyer_name", "buyer_address", "reject_reason"):
            setattr(self, name, nfc(getattr(self, name)))
        clean_currency(self, errors)
        if self.quote_date and self.valid_until and self.valid_until < self.quote_date:
            errors["valid_until"] = [_("The quote cannot expire before its date.")]
        if self.contact_id and self.account_id and self.contact.account_id not in (None, self.account_id):
            errors["contact"] = [_("This contact works for another account.")]
        if (
            self.opportunity_id
            and self.account_id
            and self.opportunity.account_id not in (None, self.account_id)
        ):
            errors["opportunity"] = [_("This opportunity belongs to another account.")]
        if self.price_list_id and self.price_list.currency != self.currency:
            errors["price_list"] = [
                _("This price list is in %(list)s but the quote is in %(quote)s.")
                % {"list": self.price_list.currency, "quote": self.currency}
            ]
        if errors:
            raise ValidationError(errors)

    @property
    def editable(self) -> bool:
        """Drafts and sent quotes can be edited (a sent one then becomes a new revision)."""
        return self.status in (self.Status.DRAFT, self.Status.SENT)


class QuoteLine(PricedLine):
    """One line of a quote: a product or free text, quantity, unit price, discount and VAT rate.

    ``amount`` is the line's value after discount, before VAT, rounded to the currency's unit.
    """

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "sales.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "id"]


class QuoteRevision(models.Model):
    """A version of a quote as it was sent, kept read-only when the quote was edited afterwards.

    ``data`` holds the header fields, the lines and the totals as they were (JSON-safe strings for
    amounts), so the old version can be shown and printed exactly.
    """

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField(_("revision"))
    data = models.JSONField(default=dict)
    total = models.DecimalField(_("total"), **MONEY)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("quote revision")
        verbose_name_plural = _("quote revisions")
        ordering = ["quote", "-revision"]
        constraints = [models.UniqueConstraint(fields=["quote", "revision"], name="quoterevision_uniq")]

    def __str__(self) -> str:
        return f"{self.quote_id} r{self.revision}"
