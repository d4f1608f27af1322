"""Orders: create (from an accepted quote, by hand, or from a shop's API call with an idempotency
key), change, and move through their statuses (new → confirmed → shipped → delivered, or
cancelled) with carrier and tracking number.

Lines are priced by ``sales.services.quotes.price_lines`` (so by ``sales.money``), the one place
that turns line input into amounts; every write goes through ``core.services.records``.
"""

import datetime
import hashlib
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import record_create, record_update
from sencrm.sales.models import Product, Quote
from sencrm.sales.models.orders import Carrier, IdempotencyKey, Order, OrderLine, SalesCounter
from sencrm.sales.services.erp import order_event
from sencrm.sales.services.pricing import price_list_for
from sencrm.sales.services.quotes import LINE_FIELDS, fill_buyer, price_lines

#: The statuses an order may move to from each status (anything else is refused).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Order.Status.NEW: (Order.Status.CONFIRMED, Order.Status.CANCELLED),
    Order.Status.CONFIRMED: (Order.Status.SHIPPED, Order.Status.CANCELLED),
    Order.Status.SHIPPED: (Order.Status.DELIVERED,),
    Order.Status.DELIVERED: (),
    Order.Status.CANCELLED: (),
}
#: Statuses in which the lines and the customer may still be changed.
EDITABLE = (Order.Status.NEW,)
PREFIXES = {SalesCounter.Kind.ORDER: "DH", SalesCounter.Kind.INVOICE: "HD"}


def document_number_next(*, kind: str, branch, year: int) -> str:
    """The next number of a sales document of ``kind`` in ``branch`` and ``year``, e.g.
    ``DH-HN-2026-0001``; the quotes' mechanism (``quote_number_next``): call it inside the
    document's transaction, which keeps the counter row locked until it commits."""
    assert transaction.get_connection().in_atomic_block, "document numbers need the caller's transaction"
    counter = SalesCounter.objects.select_for_update().filter(kind=kind, branch=branch, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # a savepoint: another transaction may create it first
                SalesCounter.objects.create(kind=kind, branch=branch, year=year, last=0)
        except IntegrityError:
            pass
        counter = SalesCounter.objects.select_for_update().get(kind=kind, branch=branch, year=year)
    SalesCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    code = (branch.code or str(branch.pk)).upper()
    return f"{PREFIXES[kind]}-{code}-{year}-{counter.last:04d}"


# ---------------------------------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------------------------------


def _order_lines(
    *, lines: list[dict], currency: str, on: datetime.date, account=None, allowed_inactive=frozenset()
):
    """Unsaved ``OrderLine``s and the totals. Unit prices left empty come from the account's price
    list for the date (as on quotes), else the product's list price. Inactive products are refused
    with an order's own message (before pricing, so the message speaks of orders, not quotes)."""
    if not lines:
        raise ValidationError({"lines": [_("Add at least one line.")]})
    ids = {raw["product"].pk for raw in lines if isinstance(raw.get("product"), Product)}
    orderable = set(Product.objects.alive().filter(pk__in=ids, active=True).values_list("pk", flat=True))
    errors = {
        f"lines.{index}.product": [_("This product is inactive and cannot be ordered.")]
        for index, raw in enumerate(lines)
        if isinstance(raw.get("product"), Product)
        and raw["product"].pk not in orderable
        and raw["product"].pk not in allowed_inactive
    }
    for index, raw in enumerate(lines):
        # The column keeps two decimals: a finer price would be stored rounded and the stored
        # lines would no longer add up to the stored totals.
        price = raw.get("unit_price")
        if isinstance(price, Decimal) and price.is_finite() and price != price.quantize(Decimal("0.01")):
            errors[f"lines.{index}.unit_price"] = [_("A unit price has at most 2 decimals.")]
    if errors:
        raise ValidationError(errors)
    price_list = price_list_for(account=account, currency=currency, on=on) if account is not None else None
    priced = price_lines(
        lines=lines, currency=currency, price_list=price_list, on=on, allowed_inactive=set(allowed_inactive)
    )
    rows = [
        OrderLine(**{name: getattr(line, name) for name in (*LINE_FIELDS, "position", "amount")})
        for line in priced.lines
    ]
    return rows, priced.totals


def _totals(totals) -> dict:
    return {"subtotal": totals.subtotal, "vat_total": totals.vat, "total": totals.total}


def _lines_summary(lines) -> str:
    return "; ".join(
        f"{line.description} × {line.quantity.normalize():f} = {line.amount:.2f}" for line in lines
    )


# ---------------------------------------------------------------------------------------------------
# Create and edit
# ---------------------------------------------------------------------------------------------------


def _buyer(data: dict) -> dict:
    account = data.get("account")
    if account is None:
        raise ValidationError({"account": [_("Choose an account.")]})
    return fill_buyer(data, account)


def _check_writable(data: dict) -> None:
    for name in (
        "number",
        "status",
        "subtotal",
        "vat_total",
        "total",
        "quote",
        "source",
        "status_changed_at",
    ):
        if name in data:
            raise ValidationError({name: [_("This field cannot be set.")]})


def order_create(
    *,
    by,
    data: dict,
    lines: list[dict],
    custom=None,
    tags=None,
    source: str = Order.Source.DIRECT,
    quote: Quote | None = None,
    allowed_inactive=frozenset(),
) -> Order:
    """A new order with its lines, numbered in its branch's series for the order date's year.

    Unit prices left empty come from the account's price list, else the products' list prices;
    inactive products are refused unless listed in ``allowed_inactive`` (those of an accepted
    quote). Nothing is written when any field or line is wrong.
    """
    _check_writable(data)
    data = _buyer(dict(data))
    data["currency"] = str(data.get("currency") or "VND").upper()
    data["order_date"] = data.get("order_date") or timezone.localdate()
    rows, totals = _order_lines(
        lines=lines,
        currency=data["currency"],
        on=data["order_date"],
        account=data["account"],
        allowed_inactive=allowed_inactive,
    )
    owner = data.get("owner") or by
    branch = data.get("branch") or owner.branch or by.branch
    if branch is None:
        raise ValidationError({"branch": [_("The order's owner belongs to no branch.")]})
    with transaction.atomic():
        data["number"] = document_number_next(
            kind=SalesCounter.Kind.ORDER, branch=branch, year=data["order_date"].year
        )
        data.setdefault("branch", branch)
        order = record_create(
            Order,
            by=by,
            data={**data, **_totals(totals), "source": source, "quote": quote},
            custom=custom,
            tags=tags,
        )
        for row in rows:
            row.order = order
        OrderLine.objects.bulk_create(rows)
    return order


def order_from_quote(*, quote: Quote, by) -> Order:
    """The order of an accepted quote: its account, contact, currency, buyer and lines as quoted
    (prices included, and products since deactivated: the customer accepted them)."""
    quote_lines = list(quote.lines.select_related("product"))
    return order_create(
        by=by,
        data={
            "title": quote.title,
            "account": quote.account,
            "contact": quote.contact,
            "currency": quote.currency,
            "owner": quote.owner,
            "branch": quote.branch,
            "team": quote.team,
            "buyer_name": quote.buyer_name,
            "buyer_tax_code": quote.buyer_tax_code,
            "buyer_address": quote.buyer_address,
            "buyer_email": quote.buyer_email,
        },
        lines=[{name: getattr(line, name) for name in LINE_FIELDS} for line in quote_lines],
        source=Order.Source.QUOTE,
        quote=quote,
        allowed_inactive={line.product_id for line in quote_lines if line.product_id},
    )


def order_update(
    *,
    order: Order,
    by,
    data: dict,
    lines: list[dict] | None = None,
    custom=None,
    tags=None,
    expected_version: int | None = None,
) -> Order:
    """Change an order. Lines, account, contact and currency change only while it is new (once
    confirmed, the ERP works from it); notes, title, carrier and tracking number any time."""
    _check_writable(data)
    with transaction.atomic():
        current = Order._base_manager.select_for_update().get(pk=order.pk)
        if expected_version is not None and current.version != expected_version:
            from sencrm.core.services.records import ConflictError

            raise ConflictError(current)
        frozen = {"account", "contact", "currency", "order_date"} & set(data)
        if (lines is not None or frozen) and current.status not in EDITABLE:
            field = "lines" if lines is not None else sorted(frozen)[0]
            raise ValidationError({field: [_("Only a new order's lines and customer can be changed.")]})
        if "account" in data and data["account"] != current.account:
            account = data["account"]
            data.update(
                buyer_name=account.name,
                buyer_tax_code=account.tax_code,
                buyer_address=account.address,
                buyer_email=account.email,
            )
        old_lines = list(current.lines.select_related("product"))
        currency = str(data.get("currency") or current.currency).upper()
        if lines is None and "currency" in data:
            lines = [{name: getattr(line, name) for name in LINE_FIELDS} for line in old_lines]
        totals_data = {}
        rows = None
        if lines is not None:
            rows, totals = _order_lines(
                lines=lines,
                currency=currency,
                on=data.get("order_date") or current.order_date,
                account=data.get("account") or current.account,
                allowed_inactive={line.product_id for line in old_lines if line.product_id},
            )
            totals_data = _totals(totals)
        updated = record_update(current, by=by, data={**data, **totals_data}, custom=custom, tags=tags)
        if rows is not None:
            before, after = _lines_summary(old_lines), _lines_summary(rows)
            if before != after:
                current.lines.all().delete()
                for row in rows:
                    row.order = updated
                OrderLine.objects.bulk_create(rows)
                audit_record(
                    instance=updated, kind=AuditEntry.Kind.UPDATE, by=by, changes={"lines": [before, after]}
                )
        if current.status != Order.Status.NEW and updated.version != current.version:
            order_event(updated, "order.updated")
    return updated


def order_set_status(
    *,
    order: Order,
    by,
    status: str,
    carrier: str | None = None,
    tracking_number: str | None = None,
    expected_version: int | None = None,
) -> Order:
    """Move an order to ``status`` if its current status allows it (``TRANSITIONS``); audited.

    Shipping may record the carrier and the tracking number at the same time.
    """
    if status not in Order.Status.values:
        raise ValidationError({"status": [_("Choose a status from the list.")]})
    data: dict = {"status": status, "status_changed_at": timezone.now()}
    if carrier is not None:
        if carrier and carrier not in Carrier.values:
            raise ValidationError({"carrier": [_("Choose a carrier from the list.")]})
        data["carrier"] = carrier
    if tracking_number is not None:
        data["tracking_number"] = tracking_number.strip()[:60]
    with transaction.atomic():
        current = Order._base_manager.select_for_update().get(pk=order.pk)
        if status not in TRANSITIONS[current.status]:
            raise ValidationError(
                {
                    "status": [
                        _("An order that is %(current)s cannot become %(new)s.")
                        % {
                            "current": current.get_status_display().lower(),
                            "new": Order.Status(status).label.lower(),
                        }
                    ]
                }
            )
        updated = record_update(current, by=by, data=data, expected_version=expected_version)
        # The ERP hears of an order from its confirmation on (a new one may still change).
        if status == Order.Status.CONFIRMED:
            order_event(updated, "order.confirmed")
        elif current.status != Order.Status.NEW:
            order_event(updated, "order.updated")
    return updated


# ---------------------------------------------------------------------------------------------------
# Intake from a shop: idempotency keys
# ---------------------------------------------------------------------------------------------------


class IdempotencyConflict(Exception):
    """The key was used before with another request body."""


def _sha256(value: bytes | str) -> str:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()


def order_intake(*, by, key: str, body: bytes, create) -> tuple[Order, bool]:
    """Run ``create()`` (which makes the order) once per ``key`` of ``by``.

    Returns ``(order, replayed)``: a repeat of the same key and body answers the order made the
    first time and creates nothing; the same key with another body raises IdempotencyConflict.
    The key's row is inserted in the order's transaction, so two concurrent repeats serialise on
    its unique constraint: the second waits, then finds the first's order. A failed request
    (bad input) leaves no key behind, so the shop can correct it and send it again.
    """
    key_hash, body_hash = _sha256(key), _sha256(body)

    def replay(record: IdempotencyKey) -> tuple[Order, bool]:
        if record.body_hash != body_hash:
            raise IdempotencyConflict
        return record.order, True

    found = IdempotencyKey.objects.filter(user=by, key_hash=key_hash).select_related("order").first()
    if found is not None:
        return replay(found)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=by, key_hash=key_hash, body_hash=body_hash)
            order = create()
            IdempotencyKey.objects.filter(pk=record.pk).update(order=order)
    except IntegrityError:
        found = IdempotencyKey.objects.filter(user=by, key_hash=key_hash).select_related("order").first()
        if found is None:
            raise
        return replay(found)
    return order, False


def order_customer(*, by, customer: dict):
    """The account and contact a shop's order names by email/phone (and name, company, tax code):
    found among the records ``by`` may see the way imports and the duplicate finder match them
    (``crm.services.duplicates.find_duplicates``, exact evidence only), else created.

    A person buying without a company gets an account in their own name (the order needs one).
    Returns ``(account, contact)``; call inside the order's transaction.
    """
    from sencrm.crm.models import Account, Contact
    from sencrm.crm.services.duplicates import find_duplicates

    email = (customer.get("email") or "").strip()
    phone = (customer.get("phone") or "").strip()
    name = (customer.get("name") or "").strip()
    company = (customer.get("company") or "").strip()
    tax_code = (customer.get("tax_code") or "").strip()
    address = (customer.get("address") or "").strip()
    if not (email or phone):
        raise ValidationError({"customer.email": [_("Give the customer's email or phone.")]})

    def exact(entity, data):
        matches = [m for m in find_duplicates(entity, data, by, limit=5) if m.exact]
        return matches[0].record if matches else None

    contact = exact("contact", {"full_name": name, "email": email, "mobile": phone})
    account = None
    if company or tax_code:
        account = exact("account", {"name": company, "tax_code": tax_code, "email": "", "phone": ""})
        if account is None:
            account = record_create(
                Account,
                by=by,
                data={"name": company or name, "tax_code": tax_code, "street": address, "owner": by},
            )
    elif contact is not None and contact.account_id:
        account = contact.account
    if contact is not None and account is not None and contact.account_id not in (None, account.pk):
        # The person works for another company than the one buying: the order names the company only.
        return account, None
    if contact is None:
        if not name:
            raise ValidationError({"customer.name": [_("Give the new customer's name.")]})
        if account is None:
            account = record_create(
                Account,
                by=by,
                data={"name": name, "email": email, "phone": phone, "street": address, "owner": by},
            )
        contact = record_create(
            Contact,
            by=by,
            data={"full_name": name, "email": email, "mobile": phone, "account": account, "owner": by},
        )
    elif account is None:
        account = record_create(
            Account, by=by, data={"name": contact.full_name or name, "email": email, "owner": by}
        )
    return account, contact


# ---------------------------------------------------------------------------------------------------
# CSV export
# ---------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "number", "order_date", "status", "account", "buyer_tax_code", "contact", "external_ref",
    "currency", "carrier", "tracking_number", "subtotal", "vat_total", "total",
)  # fmt: skip


def orders_csv(qs):
    """Rows of CSV text for ``qs`` (already narrowed to what the user may see), streamed in
    chunks; a BOM first so Excel reads the Vietnamese text as UTF-8."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    qs = qs.select_related("account", "contact").only(
        *(c for c in CSV_COLUMNS if c not in ("account", "contact")), "account__name", "contact__full_name"
    )
    for order in qs.iterator(chunk_size=2000):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                order.number,
                order.order_date.isoformat(),
                order.status,
                order.account.name,
                order.buyer_tax_code,
                order.contact.full_name if order.contact_id else "",
                order.external_ref,
                order.currency,
                order.carrier,
                order.tracking_number,
                f"{order.subtotal:.2f}",
                f"{order.vat_total:.2f}",
                f"{order.total:.2f}",
            ]
        )
        yield buffer.getvalue()
