"""The catalogue: product groups, products, currencies with their exchange rates, price lists."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sencrm.common.models import Action, BaseModel, OwnedModel, VisibleQuerySet
from sencrm.common.text import nfc, sort_key


class VatRate(models.TextChoices):
    """VAT rates a line may carry (VIETNAM.md §6): 10 % standard, 8 % the reduced rate of Decree
    174/2025 (until 31/12/2026), 5 % essentials, 0 % exports, and "not subject" (KCT), which is
    grouped apart from 0 % on an invoice."""

    STANDARD = "10", _("10%")
    REDUCED = "8", _("8%")
    ESSENTIAL = "5", _("5%")
    ZERO = "0", _("0%")
    EXEMPT = "kct", _("Not subject to VAT")


#: Money columns: up to 10^16 with 2 decimals (cents of foreign currencies; VND uses none).
MONEY = {"max_digits": 18, "decimal_places": 2}


class PricedLine(models.Model):
    """The priced part of a quote, order or invoice line: a product (each kind declares its own
    link) or free text, quantity, unit price, discount and VAT rate, priced by ``sales.money``.
    ``amount`` is the line's value after discount, before VAT, rounded to the currency's unit."""

    position = models.PositiveIntegerField(default=0)
    description = models.CharField(_("description"), max_length=500)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal(0)
    )
    discount_amount = models.DecimalField(_("discount amount"), default=Decimal(0), **MONEY)
    vat_rate = models.CharField(
        _("VAT rate"), max_length=3, choices=VatRate.choices, default=VatRate.STANDARD
    )
    amount = models.DecimalField(_("amount"), default=Decimal(0), **MONEY)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.description


class Currency(BaseModel):
    """A currency quotes and prices may be in. VND is the base: it has no minor unit (0 decimals)."""

    code = models.CharField(_("code"), max_length=3, unique=True, help_text=_("ISO 4217 code, e.g. USD."))
    name = models.CharField(_("name"), max_length=60)
    decimals = models.PositiveSmallIntegerField(
        _("decimal places"), default=2, help_text=_("Digits after the decimal point: 0 for VND, 2 for USD.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ExchangeRate(BaseModel):
    """How many VND one unit of a currency is worth from a date on (the rate table)."""

    currency = models.ForeignKey(
        Currency, on_delete=models.CASCADE, related_name="rates", verbose_name=_("currency")
    )
    date = models.DateField(_("date"))
    rate = models.DecimalField(
        _("rate to VND"), max_digits=18, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))]
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [models.UniqueConstraint(fields=["currency", "date"], name="exchangerate_uniq")]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.date}: {self.rate}"


class ProductGroup(BaseModel):
    """A group of products (Nhóm sản phẩm): candles, essential oils, gift combos…"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class CatalogueQuerySet(VisibleQuerySet):
    """Products and price lists are the company's catalogue: a role that may view them sees all of
    them, whatever its data scope (a rep with scope "own" still quotes the products an
    administrator created). Changing them still needs the module's edit right."""

    def visible_to(self, user, action: str = Action.VIEW, *, trash: bool = False):
        qs = self.deleted() if trash else self.alive()
        # Anonymous or deactivated users see nothing.
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return qs.none()
        # The role must grant this action on this kind of record; then the whole catalogue.
        if not user.has_right(self.model, action):
            return qs.none()
        return qs

    def active(self):
        return self.filter(active=True)


class Product(OwnedModel):
    """Something we sell (Sản phẩm): goods or a service, with its list price and VAT rate."""

    code = models.CharField(_("code"), max_length=40, help_text=_("Unique among products, e.g. NEN-001."))
    name = models.CharField(_("name"), max_length=255)
    sort_name = models.CharField(max_length=255, editable=False, default="")
    group = models.ForeignKey(
        ProductGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("group"),
    )
    unit = models.CharField(
        _("unit"), max_length=30, default="cái", help_text=_("Unit of measure (ĐVT): piece, box, kg…")
    )
    list_price = models.DecimalField(
        _("list price"), default=Decimal(0), validators=[MinValueValidator(0)], **MONEY
    )
    currency = models.CharField(_("currency"), max_length=3, default="VND")
    vat_rate = models.CharField(
        _("VAT rate"), max_length=3, choices=VatRate.choices, default=VatRate.STANDARD
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive products cannot be quoted.")
    )
    description = models.TextField(_("description"), blank=True, max_length=10000)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            # A code names one live product; a product in the Trash frees its code.
            models.UniqueConstraint(
                fields=["code"], condition=Q(deleted_at__isnull=True), name="product_code_live_uniq"
            ),
        ]
        indexes = [
            # Default list order and the name column sort.
            models.Index(fields=["deleted_at", "sort_name"], name="product_sort_idx"),
            # The code column sort and the quote line's product lookup by code.
            models.Index(fields=["deleted_at", "code"], name="product_code_idx"),
            # Filters: group, active, in the default order.
            models.Index(fields=["group", "deleted_at", "sort_name"], name="product_group_idx"),
            models.Index(fields=["active", "deleted_at", "sort_name"], name="product_active_idx"),
            models.Index(fields=["deleted_at", "-created_at"], name="product_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}" if self.code else self.name

    def search_parts(self) -> list[str]:
        return [self.code, self.name]

    def clean(self) -> None:
        errors: dict[str, list] = {}
        self.name = nfc(self.name)
        self.code = nfc(self.code).upper()
        self.unit = nfc(self.unit)
        self.description = nfc(self.description)
        if not self.name:
            errors["name"] = [_("This field is required.")]
        if not self.code:
            errors["code"] = [_("This field is required.")]
        elif (
            Product._base_manager.filter(code=self.code, deleted_at__isnull=True).exclude(pk=self.pk).exists()
        ):
            errors["code"] = [_("Another product already has this code.")]
        clean_currency(self, errors)
        self.sort_name = sort_key(self.name)
        if errors:
            raise ValidationError(errors)


def clean_currency(instance, errors: dict, field: str = "currency") -> None:
    """Upper-case the currency code and check it is one of the currency table's."""
    code = (getattr(instance, field) or "VND").strip().upper()
    setattr(instance, field, code)
    # VND is the base currency: always valid, even before the currency table is filled.
    if code != "VND" and not Currency.objects.filter(code=code, active=True).exists():
        errors.setdefault(field, []).append(_("Unknown currency: %(code)s.") % {"code": code})


class PriceList(OwnedModel):
    """Prices for some customers or a period (Bảng giá), in one currency.

    A quote uses the most specific list that applies to its account on the quote date: one for
    the account's tag (customer group), else one for its account type, else a general one.
    """

    name = models.CharField(_("name"), max_length=255)
    sort_name = models.CharField(max_length=255, editable=False, default="")
    currency = models.CharField(_("currency"), max_length=3, default="VND")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    account_type = models.CharField(
        _("account type"),
        max_length=20,
        blank=True,
        help_text=_("Only for accounts of this type; empty for all."),
    )
    customer_group = models.ForeignKey(
        "core.Tag",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
        help_text=_("Only for accounts with this tag; empty for all."),
    )
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True, max_length=5000)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        indexes = [
            models.Index(fields=["deleted_at", "sort_name"], name="pricelist_sort_idx"),
            # The price lookup of a quote line: live, active lists valid on a date.
            models.Index(fields=["active", "deleted_at", "valid_from"], name="pricelist_lookup_idx"),
            models.Index(fields=["deleted_at", "-created_at"], name="pricelist_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def search_parts(self) -> list[str]:
        return [self.name]

    def clean(self) -> None:
        from sencrm.crm.models import Account

        errors: dict[str, list] = {}
        self.name = nfc(self.name)
        if not self.name:
            errors["name"] = [_("This field is required.")]
        clean_currency(self, errors)
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = [_("The end date is before the start date.")]
        if self.account_type and self.account_type not in Account.Type.values:
            errors["account_type"] = [_("Choose an account type from the list.")]
        self.sort_name = sort_key(self.name)
        if errors:
            raise ValidationError(errors)


class PriceListItem(models.Model):
    """The price of one product in one price list."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    unit_price = models.DecimalField(_("unit price"), validators=[MinValueValidator(0)], **MONEY)

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [models.UniqueConstraint(fields=["price_list", "product"], name="pricelistitem_uniq")]

    def __str__(self) -> str:
        return f"{self.price_list_id}:{self.product_id}"
