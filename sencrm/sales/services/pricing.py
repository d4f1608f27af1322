"""Prices: which price list applies to an account on a date, a product's unit price in a quote's
currency, and exchange rates.

A price list in another currency than the quote is refused (the caller's error names the field);
a product's *list price* in another currency is converted through the rate table (rates to VND on
or before the quote date), because a catalogue in USD quoted in VND is common and the rate table
says exactly what was used. Price lists are never converted: a list is a commercial promise in its
own currency.
"""

import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from sencrm.sales.models import Currency, ExchangeRate, PriceList, PriceListItem, Product
from sencrm.sales.money import convert, decimals_of


class PricingError(Exception):
    """A price that cannot be found; ``message`` is shown beside the field at fault."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def currency_decimals(code: str) -> int:
    """Minor-unit digits of a currency: the currency table's, else the usual ones."""
    decimals = Currency.objects.filter(code=code.upper()).values_list("decimals", flat=True).first()
    return decimals if decimals is not None else decimals_of(code)


def rate_to_vnd(code: str, on: datetime.date) -> Decimal:
    """VND per unit of ``code`` on ``on`` (the latest rate on or before it); PricingError if none."""
    if code.upper() == "VND":
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency__code=code.upper(), date__lte=on)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise PricingError(
            _("No exchange rate for %(code)s on or before %(date)s.")
            % {"code": code, "date": on.strftime("%d/%m/%Y")}
        )
    return rate


def applicable_price_lists(*, account, on: datetime.date):
    """Live, active price lists valid on ``on`` that may apply to ``account``, most specific first:
    for one of its tags (customer group), then for its type, then general; newer before older."""
    qs = PriceList.objects.alive().filter(active=True)
    qs = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
    qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    if account is not None:
        qs = qs.filter(Q(account_type="") | Q(account_type=account.type))
        tag_ids = [t.pk for t in account.tags.all()]
        qs = qs.filter(Q(customer_group__isnull=True) | Q(customer_group_id__in=tag_ids))
    else:
        qs = qs.filter(account_type="", customer_group__isnull=True)
    lists = list(qs)
    lists.sort(
        key=lambda p: (
            p.customer_group_id is None,
            p.account_type == "",
            -(p.valid_from or datetime.date.min).toordinal(),
            -p.pk,
        )
    )
    return lists


def price_list_for(*, account, currency: str, on: datetime.date) -> PriceList | None:
    """The price list a new quote for ``account`` in ``currency`` on ``on`` uses, if any.

    Lists in another currency are skipped here (automatic choice); one chosen by hand is checked
    by the quote service and refused.
    """
    for price_list in applicable_price_lists(account=account, on=on):
        if price_list.currency == currency:
            return price_list
    return None


def unit_price_for(
    *, product: Product, price_list: PriceList | None, currency: str, on: datetime.date
) -> Decimal:
    """The unit price of ``product`` on a quote in ``currency``: the price list's, else the list price
    (converted through the rate table when the product is priced in another currency)."""
    decimals = currency_decimals(currency)
    if price_list is not None:
        price = (
            PriceListItem.objects.filter(price_list=price_list, product=product)
            .values_list("unit_price", flat=True)
            .first()
        )
        if price is not None:
            return price
    if product.currency == currency:
        return product.list_price
    return convert(
        product.list_price,
        rate_from=rate_to_vnd(product.currency, on),
        rate_to=rate_to_vnd(currency, on),
        decimals=decimals,
    )


#: The currencies every company has (migration 0002 seeds the same ones): code, name, decimals.
DEFAULT_CURRENCIES = [
    ("VND", "Đồng Việt Nam", 0),
    ("USD", "Đô la Mỹ", 2),
    ("EUR", "Euro", 2),
    ("JPY", "Yên Nhật", 0),
    ("CNY", "Nhân dân tệ", 2),
]


def currencies_ensure() -> None:
    """Create the default currencies that are missing (the demo, and tests after a flush)."""
    for code, name, decimals in DEFAULT_CURRENCIES:
        Currency.objects.get_or_create(code=code, defaults={"name": name, "decimals": decimals})
