"""Invoices and payments: invoice an order in full or in part (never more than ordered), record
payments (never more than outstanding), balances per account, and overdue reminders.

Figures come from ``sales.money`` only; amounts paid change through atomic SQL under the
invoice's row lock (STYLE.md §4). Sen CRM keeps the e-invoice fields but issues no legal e-invoice.
"""

import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import ConflictError, record_create
from sencrm.crm.models import Activity
from sencrm.sales.models import Invoice, InvoiceLine, Order, OrderLine, Payment, PaymentMethod
from sencrm.sales.models.orders import SalesCounter
from sencrm.sales.money import LineInput, MoneyError, quote_totals, round_money
from sencrm.sales.services.orders import document_number_next
from sencrm.sales.services.pricing import currency_decimals
from sencrm.sales.services.quotes import money_message

CENT = Decimal("0.01")
#: Days to pay when the invoice gives no due date.
DEFAULT_TERMS = datetime.timedelta(days=30)
#: Orders in these statuses can be invoiced (a new order may still change; a cancelled one is void).
INVOICEABLE = (Order.Status.CONFIRMED, Order.Status.SHIPPED, Order.Status.DELIVERED)
LINE_COPY = ("product", "description", "unit", "unit_price", "discount_percent", "vat_rate")


def _number(value, field: str, errors: dict) -> Decimal | None:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter a number.")]
        return None
    if not number.is_finite():
        errors[field] = [_("Enter a number.")]
        return None
    return number


def invoiced_quantities(order: Order) -> dict[int, tuple[Decimal, Decimal]]:
    """Per order line: (quantity, discount amount) already on invoices that are not cancelled."""
    rows = (
        InvoiceLine.objects.filter(order_line__order=order)
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .exclude(invoice__deleted_at__isnull=False)
        .values("order_line")
        .annotate(qty=Sum("quantity"), disc=Sum("discount_amount"))
    )
    return {row["order_line"]: (row["qty"], row["disc"]) for row in rows}


def _seller(order: Order) -> dict:
    from sencrm.sales.services.documents import letterhead  # the quotes' letterhead: profile, else top branch

    head = letterhead(order)
    return {
        "seller_name": head["name"],
        "seller_tax_code": head["tax_code"],
        "seller_address": head["address"],
    }


def invoice_create(*, order: Order, by, data: dict | None = None, lines: list[dict] | None = None) -> Invoice:
    """Invoice ``order``: ``lines`` is ``[{"order_line": OrderLine or id, "quantity": …}]``, or
    None for everything not invoiced yet. A quantity beyond what is left to invoice on its line is
    refused (``lines.<n>.quantity``); a line's discount amount is shared in proportion, the last
    part taking what remains so the parts add up to the order. Numbered ``HD-<branch>-<year>-NNNN``.
    """
    data = dict(data or {})
    for name in (
        "number",
        "status",
        "paid",
        "total",
        "subtotal",
        "vat_total",
        "order",
        "account",
        "currency",
    ):
        if name in data:
            raise ValidationError({name: [_("This field cannot be set.")]})
    decimals = currency_decimals(order.currency)
    with transaction.atomic():
        # The order's row lock serialises invoicing of one order: two invoices at once cannot
        # both take the last units of a line.
        current = Order._base_manager.select_for_update().get(pk=order.pk)
        if current.status not in INVOICEABLE:
            raise ValidationError(
                {"order": [_("Only a confirmed, shipped or delivered order can be invoiced.")]}
            )
        order_lines = {
            line.pk: line for line in OrderLine.objects.filter(order=current).order_by("position", "pk")
        }
        done = invoiced_quantities(current)
        left = {pk: line.quantity - done.get(pk, (Decimal(0), 0))[0] for pk, line in order_lines.items()}
        if lines is None:
            lines = [{"order_line": pk, "quantity": qty} for pk, qty in left.items() if qty > 0]
            if not lines:
                raise ValidationError({"lines": [_("Everything on this order has been invoiced.")]})
        if not lines:
            raise ValidationError({"lines": [_("Add at least one line.")]})
        errors: dict[str, list[str]] = {}
        rows, inputs = [], []
        seen: set[int] = set()
        for index, raw in enumerate(lines):
            key = f"lines.{index}."
            ref = raw.get("order_line")
            ref_pk = ref.pk if isinstance(ref, OrderLine) else ref
            line = order_lines.get(ref_pk) if isinstance(ref_pk, int) else None
            if line is None:
                errors[key + "order_line"] = [_("This line is not on the order.")]
                continue
            if line.pk in seen:
                errors[key + "order_line"] = [_("This order line is listed twice.")]
                continue
            seen.add(line.pk)
            quantity = _number(raw.get("quantity"), key + "quantity", errors)
            if quantity is None:
                continue
            if quantity <= 0:
                errors[key + "quantity"] = [money_message("quantity_positive")]
                continue
            if quantity > left[line.pk]:
                errors[key + "quantity"] = [
                    _("Only %(left)s left to invoice on this line (ordered %(ordered)s).")
                    % {"left": f"{left[line.pk].normalize():f}", "ordered": f"{line.quantity.normalize():f}"}
                ]
                continue
            discount = Decimal(0)
            if line.discount_amount:
                if quantity == left[line.pk]:
                    discount = line.discount_amount - done.get(line.pk, (0, Decimal(0)))[1]
                else:
                    discount = round_money(line.discount_amount * quantity / line.quantity, decimals)
            line_input = LineInput(
                quantity=quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                discount_percent=line.discount_percent,
                discount_amount=discount,
            )
            try:
                amount = quote_totals([line_input], decimals).lines[0].amount
            except MoneyError as exc:
                errors[key + exc.field] = [money_message(exc.code)]
                continue
            inputs.append(line_input)
            rows.append(
                InvoiceLine(
                    order_line=line,
                    position=index,
                    quantity=quantity,
                    discount_amount=discount,
                    amount=amount,
                    **{name: getattr(line, name) for name in LINE_COPY},
                )
            )
        invoice_date = data.get("invoice_date") or timezone.localdate()
        due_date = data.get("due_date") or invoice_date + DEFAULT_TERMS
        if due_date < invoice_date:
            errors["due_date"] = [_("The due date cannot be before the invoice date.")]
        if data.get("payment_method") and data["payment_method"] not in PaymentMethod.values:
            errors["payment_method"] = [_("Choose a payment method from the list.")]
        if errors:
            raise ValidationError(errors)
        totals = quote_totals(inputs, decimals)
        invoice = record_create(
            Invoice,
            by=by,
            data={
                "buyer_name": current.buyer_name,
                "buyer_tax_code": current.buyer_tax_code,
                "buyer_address": current.buyer_address,
                "buyer_email": current.buyer_email,
                "owner": current.owner,
                "branch": current.branch,
                **data,
                **_seller(current),
                "invoice_date": invoice_date,
                "due_date": due_date,
                "number": document_number_next(
                    kind=SalesCounter.Kind.INVOICE, branch=current.branch, year=invoice_date.year
                ),
                "order": current,
                "account": current.account,
                "currency": current.currency,
                "subtotal": totals.subtotal,
                "vat_total": totals.vat,
                "total": totals.total,
            },
        )
        for row in rows:
            row.invoice = invoice
        InvoiceLine.objects.bulk_create(rows)
    return invoice


def invoice_figures(invoice: Invoice, lines=None):
    """Per line, per VAT rate and totals of a saved invoice, from its lines (as for a quote)."""
    from sencrm.sales.services.quotes import quote_figures

    return quote_figures(invoice, lines)


def invoice_cancel(*, invoice: Invoice, by, expected_version: int | None = None) -> Invoice:
    """Cancel an invoice nothing was paid on; its quantities can be invoiced again."""
    from sencrm.core.services.records import record_update

    with transaction.atomic():
        current = Invoice._base_manager.select_for_update().get(pk=invoice.pk)
        if current.status != Invoice.Status.ISSUED or current.paid:
            raise ValidationError({"status": [_("Only an issued invoice with no payment can be cancelled.")]})
        return record_update(
            current, by=by, data={"status": Invoice.Status.CANCELLED}, expected_version=expected_version
        )


def payment_record(
    *,
    invoice: Invoice,
    by,
    amount,
    paid_on: datetime.date | None = None,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    expected_version: int | None = None,
) -> Payment:
    """Record money received against ``invoice``. More than the outstanding amount is refused
    (field ``amount``); the invoice's ``paid`` rises with one UPDATE under its row lock, and it is
    marked paid when nothing is left. Audited on the invoice."""
    errors: dict[str, list[str]] = {}
    value = _number(amount, "amount", errors)
    if value is not None:
        decimals = currency_decimals(invoice.currency)
        if value <= 0:
            errors["amount"] = [_("The amount must be greater than zero.")]
        elif round_money(value, decimals) != value:
            errors["amount"] = [
                _("%(currency)s amounts have at most %(n)d decimals.")
                % {"currency": invoice.currency, "n": decimals}
            ]
    if method not in PaymentMethod.values:
        errors["method"] = [_("Choose a payment method from the list.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Invoice._base_manager.select_for_update().get(pk=invoice.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(current)
        if current.status != Invoice.Status.ISSUED:
            raise ValidationError(
                {"invoice": [_("Payments can only be recorded on an issued, unpaid invoice.")]}
            )
        outstanding = current.total - current.paid
        if value > outstanding:
            from sencrm.sales.templatetags.sales import format_amount

            raise ValidationError(
                {
                    "amount": [
                        _("The payment (%(amount)s) is more than the outstanding amount (%(outstanding)s).")
                        % {
                            "amount": format_amount(value, current.currency),
                            "outstanding": format_amount(outstanding, current.currency),
                        }
                    ]
                }
            )
        payment = Payment.objects.create(
            invoice=current,
            amount=value,
            paid_on=paid_on or timezone.localdate(),
            method=method,
            reference=reference.strip()[:100],
            created_by=by,
        )
        status = Invoice.Status.PAID if value == outstanding else Invoice.Status.ISSUED
        Invoice.objects.filter(pk=current.pk).update(
            paid=F("paid") + value, status=status, version=F("version") + 1, updated_at=timezone.now()
        )
        changes = {"paid": [str(current.paid), str(current.paid + value)]}
        if status != current.status:
            changes["status"] = [current.status, status]
        audit_record(instance=current, kind=AuditEntry.Kind.UPDATE, by=by, changes=changes)
    return payment


def account_balances(*, user, account_ids=None, today: datetime.date | None = None) -> dict:
    """Outstanding and overdue amounts per account and currency over the invoices ``user`` may see:
    ``{account_id: {currency: {"outstanding": D, "overdue": D}}}`` — one aggregate query."""
    today = today or timezone.localdate()
    qs = Invoice.objects.visible_to(user).alive().unpaid()
    if account_ids is not None:
        qs = qs.filter(account_id__in=list(account_ids))
    rows = qs.values("account_id", "currency").annotate(
        outstanding=Sum(F("total") - F("paid")),
        overdue=Sum(F("total") - F("paid"), filter=Q(due_date__lt=today)),
    )
    result: dict = defaultdict(dict)
    for row in rows:
        # Sums come back with the engine's scale (SQLite drops it): give them the column's two decimals.
        result[row["account_id"]][row["currency"]] = {
            "outstanding": Decimal(row["outstanding"] or 0).quantize(CENT),
            "overdue": Decimal(row["overdue"] or 0).quantize(CENT),
        }
    return dict(result)


def overdue_remind(today: datetime.date | None = None) -> int:
    """A task for the owner of each invoice that has become overdue, once per invoice; safe to
    run twice or on two workers (each invoice is claimed with a conditional UPDATE first)."""
    today = today or timezone.localdate()
    reminded = 0
    due = (
        Invoice.objects.alive()
        .overdue(today)
        .filter(overdue_reminded_at__isnull=True)
        .select_related("owner", "order")
        .order_by("due_date", "pk")[:1000]
    )
    for invoice in due:
        with transaction.atomic():
            claimed = Invoice.objects.filter(pk=invoice.pk, overdue_reminded_at__isnull=True).update(
                overdue_reminded_at=timezone.now()
            )
            if not claimed:
                continue
            from sencrm.sales.templatetags.sales import format_amount

            record_create(
                Activity,
                by=invoice.owner,
                data={
                    "kind": Activity.Kind.TASK,
                    "subject": _("Collect overdue invoice %(number)s") % {"number": invoice.number},
                    "description": _("%(outstanding)s outstanding, due on %(date)s.")
                    % {
                        "outstanding": format_amount(invoice.outstanding, invoice.currency),
                        "date": invoice.due_date.strftime("%d/%m/%Y"),
                    },
                    "due_at": timezone.now() + datetime.timedelta(days=1),
                    "owner": invoice.owner,
                    "account": invoice.account,
                    "contact": invoice.order.contact,
                },
            )
            reminded += 1
    return reminded
