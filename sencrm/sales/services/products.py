"""Products and price lists: created and changed through the record services (audit, versions,
search index), plus the items of a price list."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import record_create, record_update
from sencrm.sales.models import PriceList, PriceListItem, Product


def price_list_items_set(*, price_list: PriceList, by, items: list[dict]) -> None:
    """Replace the items of ``price_list`` with ``items`` (``{"product": Product, "unit_price": …}``).

    Errors name ``items.<n>.<field>``; nothing is written unless every item is valid. The change is
    audited on the price list as one ``items`` entry (product codes and prices before and after).
    """
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    rows: list[PriceListItem] = []
    for index, item in enumerate(items):
        product = item.get("product")
        if not isinstance(product, Product):
            errors[f"items.{index}.product"] = [_("Choose a product.")]
            continue
        if product.pk in seen:
            errors[f"items.{index}.product"] = [_("This product is already in the price list.")]
        seen.add(product.pk)
        try:
            price = Decimal(str(item.get("unit_price")))
        except (InvalidOperation, ValueError, TypeError):
            errors[f"items.{index}.unit_price"] = [_("Enter a number.")]
            continue
        if not price.is_finite() or price < 0:
            errors[f"items.{index}.unit_price"] = [_("The price cannot be negative.")]
            continue
        rows.append(PriceListItem(price_list=price_list, product=product, unit_price=price))
    if errors:
        raise ValidationError(errors)

    def summary(pairs) -> str:
        return "; ".join(f"{code}: {price}" for code, price in sorted(pairs))

    with transaction.atomic():
        before = summary(
            (code, str(price)) for code, price in price_list.items.values_list("product__code", "unit_price")
        )
        price_list.items.all().delete()
        PriceListItem.objects.bulk_create(rows)
        after = summary((r.product.code, str(r.unit_price.quantize(Decimal("0.01")))) for r in rows)
        if before != after:
            audit_record(
                instance=price_list, kind=AuditEntry.Kind.UPDATE, by=by, changes={"items": [before, after]}
            )


def price_list_create(
    *, by, data: dict, items: list[dict] | None = None, custom=None, tags=None
) -> PriceList:
    """A price list and, when given, its items, in one transaction."""
    with transaction.atomic():
        price_list = record_create(PriceList, by=by, data=data, custom=custom, tags=tags)
        if items:
            price_list_items_set(price_list=price_list, by=by, items=items)
    return price_list


def price_list_update(
    *,
    price_list: PriceList,
    by,
    data: dict,
    items: list[dict] | None = None,
    custom=None,
    tags=None,
    expected_version: int | None = None,
) -> PriceList:
    """Change a price list; ``items`` (when given) replaces its items."""
    with transaction.atomic():
        price_list = record_update(
            price_list, by=by, data=data, custom=custom, tags=tags, expected_version=expected_version
        )
        if items is not None:
            price_list_items_set(price_list=price_list, by=by, items=items)
    return price_list


def product_create(*, by, data: dict, custom=None, tags=None) -> Product:
    """A product in the catalogue (code unique among live products)."""
    return record_create(Product, by=by, data=data, custom=custom, tags=tags)
