"""Orders (Đơn hàng): from an accepted quote, entered by hand, or sent by a shop through the API.

Every order line is the customer's purchase history. Numbers run per branch and year
(``DH-HN-2026-0001``) from a ``SalesCounter`` row, the quotes' mechanism.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import OwnedModel, VisibleQuerySet
from sencrm.common.text import nfc
from sencrm.sales.models.products import MONEY, PricedLine


class SalesCounter(models.Model):
    """The last number given to a kind of sales document (order, invoice) in a branch and year.

    Taken under ``select_for_update`` inside the document's transaction, like ``QuoteCounter``:
    numbers are unique, and a rolled-back document gives its number back.
    """

    class Kind(models.TextChoices):
        ORDER = "order", _("Order")
        INVOICE = "invoice", _("Invoice")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    branch = models.ForeignKey("core.Branch", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "branch", "year"], name="salescounter_uniq")]

    def __str__(self) -> str:
        return f"{self.kind} {self.branch_id}/{self.year}: {self.last}"


#: Vietnamese carriers and how to follow a parcel on their sites (``{code}`` is the tracking
#: number). The sites change their addresses now and then: this table is the one place to fix.
CARRIERS: dict[str, tuple[str, str]] = {
    "vnpost": ("VNPost", "https://vnpost.vn/vi-vn/dinh-vi/buu-pham?key={code}"),
    "viettelpost": ("Viettel Post", "https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?code={code}"),
    "ghn": ("GHN", "https://donhang.ghn.vn/?order_code={code}"),
    "ghtk": ("GHTK", "https://i.ghtk.vn/{code}"),
    "jt": ("J&T Express", "https://jtexpress.vn/vi/tracking?type=track&billcode={code}"),
}


class Carrier(models.TextChoices):
    VNPOST = "vnpost", "VNPost"
    VIETTELPOST = "viettelpost", "Viettel Post"
    GHN = "ghn", "GHN"
    GHTK = "ghtk", "GHTK"
    JT = "jt", "J&T Express"
    OTHER = "other", _("Other")


class OrderQuerySet(VisibleQuerySet):
    def open(self):
        """Orders still on their way (not delivered, not cancelled)."""
        return self.filter(status__in=[Order.Status.NEW, Order.Status.CONFIRMED, Order.Status.SHIPPED])


class Order(OwnedModel):
    """A customer's order (Đơn hàng): priced lines, totals per VAT rate, delivery status.

    Created from an accepted quote (its lines copied), entered by hand, or sent by a shop through
    ``POST /api/v1/orders``. The status moves new → confirmed → shipped → delivered, or to
    cancelled from new or confirmed; ``sales.services.orders.order_set_status`` allows only those.
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        QUOTE = "quote", _("Accepted quote")
        DIRECT = "direct", _("Entered by hand")
        API = "api", _("Shop (API)")

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=255, blank=True)
    account = models.ForeignKey(
        "crm.Account", on_delete=models.PROTECT, related_name="orders", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("contact"),
    )
    quote = models.OneToOneField(
        "sales.Quote",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order",
        verbose_name=_("quote"),
        editable=False,
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.DIRECT, editable=False
    )
    external_ref = models.CharField(
        _("shop reference"), max_length=100, blank=True, help_text=_("The order's number in the shop.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="VND")
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, editable=False
    )
    carrier = models.CharField(_("carrier"), max_length=20, choices=Carrier.choices, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    shipping_address = models.CharField(_("shipping address"), max_length=500, blank=True)
    # The buyer as an e-invoice needs them (VIETNAM.md §6), copied from the quote or the account.
    buyer_name = models.CharField(_("buyer name"), max_length=255, blank=True)
    buyer_tax_code = models.CharField(_("buyer tax code"), max_length=20, blank=True)
    buyer_address = models.CharField(_("buyer address"), max_length=500, blank=True)
    buyer_email = models.CharField(_("buyer email"), max_length=254, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    subtotal = models.DecimalField(_("subtotal"), default=Decimal(0), editable=False, **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=Decimal(0), editable=False, **MONEY)
    total = models.DecimalField(_("total"), default=Decimal(0), editable=False, **MONEY)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True, editable=False)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            # Default list order (newest first) per data scope.
            models.Index(fields=["deleted_at", "-created_at"], name="order_created_idx"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="order_owner_idx"),
            models.Index(fields=["branch", "deleted_at", "-created_at"], name="order_branch_idx"),
            models.Index(fields=["team", "deleted_at", "-created_at"], name="order_team_idx"),
            # Status filter.
            models.Index(fields=["status", "-created_at"], name="order_status_idx"),
            # Sortable columns.
            models.Index(fields=["deleted_at", "number"], name="order_number_idx"),
            models.Index(fields=["deleted_at", "-total"], name="order_total_idx"),
            models.Index(fields=["deleted_at", "-order_date"], name="order_date_idx"),
            # Purchase history of an account / contact.
            models.Index(fields=["account", "-order_date"], name="order_account_idx"),
            models.Index(fields=["contact", "-order_date"], name="order_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("New order"))

    def search_parts(self) -> list[str]:
        return [self.number, self.title, self.buyer_name, self.external_ref]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from sencrm.sales.models.products import clean_currency

        errors: dict[str, list] = {}
        for name in ("title", "notes", "buyer_name", "buyer_address", "shipping_address", "tracking_number"):
            setattr(self, name, nfc(getattr(self, name)).strip())
        clean_currency(self, errors)
        if self.contact_id and self.account_id and self.contact.account_id not in (None, self.account_id):
            errors["contact"] = [_("This contact works for another account.")]
        if errors:
            raise ValidationError(errors)

    @property
    def tracking_url(self) -> str:
        """The carrier's page following this parcel, or "" (no carrier, number or known pattern)."""
        from urllib.parse import quote

        pattern = CARRIERS.get(self.carrier, ("", ""))[1]
        if not pattern or not self.tracking_number:
            return ""
        return pattern.format(code=quote(self.tracking_number, safe=""))


class OrderLine(PricedLine):
    """One line of an order: a product or free text, quantity, unit price, discount and VAT rate,
    priced by ``sales.money`` as quote lines are. ``amount`` is after discount, before VAT."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "sales.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("product"),
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a program sent with ``POST /api/v1/orders``: the same key with the
    same body answers the order made the first time; with another body it is refused (409).

    Keys are kept as SHA-256 hashes (they may carry the shop's own identifiers), per user (an API
    token acts as its user); the body's hash tells a repeat from a different request.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64)
    body_hash = models.CharField(max_length=64)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key_hash"], name="idempotencykey_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key_hash[:12]}"


class ErpEndpoint(models.Model):
    """Where confirmed and changed orders are sent (the ERP, an accounting system): a URL and the
    secret the request body is signed with (HMAC-SHA256). Managed by administrators through
    ``/api/v1/erp-endpoints``."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ERP endpoint")
        verbose_name_plural = _("ERP endpoints")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint (an order confirmed or changed), sent until the endpoint answers
    2xx or the attempts run out; ``next_try_at`` is when the next attempt is due."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(ErpEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(unique=True)
    event = models.CharField(max_length=40)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The retry sweep: pending deliveries by due time.
            models.Index(fields=["status", "next_try_at"], name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"


class WebhookAttempt(models.Model):
    """One try at a delivery: when, what the endpoint answered (or the network error), and when
    the next try is due (None after success or the last try)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.response_code or self.error}"
