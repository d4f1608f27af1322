"""Request and response bodies of the sales API: products, price lists, quotes (lines nested).

Money is a decimal string in JSON ("1250000.00"), never a float; VND amounts have no minor unit
(".00" always), USD ones have cents.
"""

import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from sencrm.common.api import InSchema, RecordFilters, RecordOut, choice, text
from sencrm.crm.schemas import PlacementIn
from sencrm.sales.models import PriceList, Product, Quote, QuoteLine, VatRate
from sencrm.sales.money import amount_in_words

# ---------------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------------


class ProductIn(PlacementIn):
    code: str = text(Product, "code")
    name: str = text(Product, "name")
    group: int | None = Field(None, description="Product group id.")
    unit: str = text(Product, "unit", default="cái")
    list_price: Decimal = Field(Decimal(0), ge=0, le=Decimal("9999999999999999"), decimal_places=2)
    currency: str = text(Product, "currency", default="VND")
    vat_rate: choice(VatRate) = VatRate.STANDARD.value
    active: bool = True
    description: str = text(Product, "description", default="")


class ProductOut(RecordOut):
    code: str
    name: str
    group: int | None = Field(validation_alias="group_id")
    group_name: str | None
    unit: str
    list_price: Decimal
    currency: str
    vat_rate: str
    active: bool
    description: str

    @staticmethod
    def resolve_group_name(obj) -> str | None:
        return obj.group.name if obj.group_id else None


class ProductFilters(RecordFilters):
    group: int | None = None
    active: bool | None = None
    vat_rate: choice(VatRate) | None = None
    currency: str | None = None
    code: str | None = None


# ---------------------------------------------------------------------------------------------------
# Price lists
# ---------------------------------------------------------------------------------------------------


class PriceListItemIn(InSchema):
    product: int
    unit_price: Decimal = Field(ge=0, le=Decimal("9999999999999999"), decimal_places=2)


class PriceListItemOut(Schema):
    product: int = Field(validation_alias="product_id")
    unit_price: Decimal


class PriceListIn(PlacementIn):
    name: str = text(PriceList, "name")
    currency: str = text(PriceList, "currency", default="VND")
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    account_type: str = text(PriceList, "account_type", default="")
    customer_group: int | None = Field(None, description="Tag id: only accounts with this tag.")
    active: bool = True
    description: str = text(PriceList, "description", default="")
    items: list[PriceListItemIn] | None = Field(None, description="Replaces every item when given.")


class PriceListOut(RecordOut):
    name: str
    currency: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    account_type: str
    customer_group: int | None = Field(validation_alias="customer_group_id")
    active: bool
    description: str
    items: list[PriceListItemOut]

    @staticmethod
    def resolve_items(obj) -> list:
        return list(obj.items.all())


class PriceListFilters(RecordFilters):
    active: bool | None = None
    currency: str | None = None


# ---------------------------------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------------------------------


class QuoteLineIn(InSchema):
    """One line: a product (its name, unit, price and VAT rate are the defaults) or free text."""

    product: int | None = None
    description: str = text(QuoteLine, "description", default="")
    unit: str = text(QuoteLine, "unit", default="")
    quantity: Decimal
    unit_price: Decimal | None = Field(None, description="Empty: the price list's, else the list price.")
    discount_percent: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)
    vat_rate: choice(VatRate) | None = Field(
        None, description="Empty: the product's rate (10% for free text)."
    )


class QuoteLineOut(Schema):
    position: int
    product: int | None = Field(validation_alias="product_id")
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    discount_amount: Decimal
    vat_rate: str
    amount: Decimal


class VatGroupOut(Schema):
    rate: str
    subtotal: Decimal
    vat: Decimal


class QuoteIn(PlacementIn):
    """A quote. ``opportunity`` fills account, contact, currency and title when they are omitted."""

    title: str = text(Quote, "title", default="")
    opportunity: int | None = None
    account: int | None = None
    contact: int | None = None
    price_list: int | None = None
    currency: str | None = Field(None, max_length=3, description="Default: the opportunity's, else VND.")
    quote_date: datetime.date | None = None
    valid_until: datetime.date | None = Field(None, description="Default: 30 days after the quote date.")
    terms: str = text(Quote, "terms", default="")
    notes: str = text(Quote, "notes", default="")
    lines: list[QuoteLineIn]


class PricedDocumentOut(RecordOut):
    """What a quote, order and invoice answer alike: their lines, the figures per VAT rate (from the
    lines, by ``sales.money``) and the total in Vietnamese words. Subclasses declare the fields."""

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_vat_groups(obj) -> list[dict[str, Any]]:
        from sencrm.sales.services.quotes import quote_figures

        figures = quote_figures(obj, list(obj.lines.all()))
        return [{"rate": g.rate, "subtotal": g.subtotal, "vat": g.vat} for g in figures.groups]

    @staticmethod
    def resolve_amount_in_words(obj) -> str:
        return amount_in_words(obj.total, obj.currency)


class QuoteOut(PricedDocumentOut):
    number: str
    revision: int
    title: str
    status: str
    opportunity: int | None = Field(validation_alias="opportunity_id")
    account: int = Field(validation_alias="account_id")
    contact: int | None = Field(validation_alias="contact_id")
    price_list: int | None = Field(validation_alias="price_list_id")
    currency: str
    quote_date: datetime.date
    valid_until: datetime.date
    buyer_name: str
    buyer_tax_code: str
    buyer_address: str
    buyer_email: str
    terms: str
    notes: str
    lines: list[QuoteLineOut]
    vat_groups: list[VatGroupOut]
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    amount_in_words: str
    sent_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    reject_reason: str


class QuoteFilters(RecordFilters):
    status: choice(Quote.Status) | None = None
    account: int | None = None
    contact: int | None = None
    opportunity: int | None = None
    number: str | None = None


class QuotePatch(InSchema):
    """Fields to change; ``lines`` replaces every line when given. A sent quote becomes a new revision."""

    title: str | None = text(Quote, "title", default=None)
    account: int | None = None
    contact: int | None = None
    price_list: int | None = None
    currency: str | None = Field(None, max_length=3)
    quote_date: datetime.date | None = None
    valid_until: datetime.date | None = None
    terms: str | None = text(Quote, "terms", default=None)
    notes: str | None = text(Quote, "notes", default=None)
    lines: list[QuoteLineIn] | None = None
    owner: int | None = None
    branch: int | None = None
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None
    version: int | None = Field(None, ge=1, description="The version you read; a stale one gets 412.")


class QuoteSendIn(InSchema):
    to: list[str] = Field(min_length=1, description="Recipients' email addresses.")
    subject: str = Field("", max_length=255)
    message: str = Field("", max_length=10000)


class QuoteRejectIn(InSchema):
    reason: str = Field("", max_length=255)


class QuoteRevisionOut(Schema):
    revision: int
    total: Decimal
    sent_at: datetime.datetime | None
    created_at: datetime.datetime
    data: dict[str, Any]
