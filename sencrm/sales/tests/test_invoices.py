"""Invoices and payments: quote → order → invoice (partial, then the rest) → payments, with
totals computed by hand in VND and USD; never invoicing more than ordered, never paying more than
outstanding; balances per account; overdue reminders once, at the right date."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sencrm.core.models import AuditEntry
from sencrm.core.services.records import record_update
from sencrm.crm.models import Activity
from sencrm.sales.models import Currency, Invoice, InvoiceLine, Order, Payment, Quote
from sencrm.sales.services.invoices import (
    account_balances,
    invoice_cancel,
    invoice_create,
    overdue_remind,
    payment_record,
)
from sencrm.sales.services.orders import order_create, order_set_status
from sencrm.sales.services.quotes import quote_accept, quote_create
from sencrm.sales.tasks import remind_overdue_invoices
from sencrm.sales.tests import factories as f

DAY = datetime.date(2026, 11, 20)


def _confirmed(order, by):
    return order_set_status(order=order, by=by, status="confirmed")


def test_quote_to_order_to_partial_and_full_invoice_to_payments_in_vnd(org):
    nen = f.product(org.admin)  # 185 000 ₫, VAT 8 %
    opp = f.opportunity(org.alice)
    quote = quote_create(
        by=org.alice,
        data={"opportunity": opp, "quote_date": DAY},
        lines=[
            {"product": nen, "quantity": D(10)},
            # 3 × 333 333 = 999 999 − 100 000 = 899 999 at 10 %
            {
                "description": "Lắp đặt",
                "quantity": D(3),
                "unit_price": D(333333),
                "discount_amount": D(100000),
                "vat_rate": "10",
            },
        ],
    )
    quote = record_update(quote, by=org.alice, data={"status": Quote.Status.SENT})
    quote_accept(quote=quote, by=org.alice)
    order = _confirmed(Order.objects.get(quote=quote), org.alice)
    candle, service = order.lines.order_by("position")
    # 8 %: 1 850 000 → VAT 148 000; 10 %: 899 999 → VAT 90 000 (89 999,9 rounded). Total 2 987 999.
    assert (order.subtotal, order.vat_total, order.total) == (D(2749999), D(238000), D(2987999))

    first = invoice_create(
        order=order,
        by=org.alice,
        data={"invoice_date": DAY, "due_date": DAY + datetime.timedelta(days=15)},
        lines=[{"order_line": candle.pk, "quantity": D(4)}, {"order_line": service, "quantity": D(1)}],
    )
    # 4 × 185 000 = 740 000 → VAT 8 % 59 200. 1 × 333 333 = 333 333 − 100 000 × 1/3 (33 333) = 300 000
    # → VAT 10 % 30 000. Subtotal 1 040 000, VAT 89 200, total 1 129 200.
    assert first.number == "HD-HN-2026-0001"
    assert [line.amount for line in first.lines.all()] == [D(740000), D(300000)]
    assert (first.subtotal, first.vat_total, first.total, first.due_date) == (
        D(1040000),
        D(89200),
        D(1129200),
        datetime.date(2026, 12, 5),
    )
    assert (first.buyer_name, first.buyer_tax_code, first.seller_name) == (
        "Công ty TNHH Quà Tặng Việt",
        "0101248141",
        "Trụ sở chính",
    )
    rest = invoice_create(order=order, by=org.alice, data={"invoice_date": DAY})
    # The rest: 6 candles = 1 110 000 (VAT 88 800); 2 × 333 333 = 666 666 − the discount left
    # (100 000 − 33 333 = 66 667) = 599 999 (VAT 60 000). Total 2 (1 710 000 + 148 800) = 1 858 799.
    assert [(line.quantity, line.discount_amount, line.amount) for line in rest.lines.all()] == [
        (D(6), D(0), D(1110000)),
        (D(2), D(66667), D(599999)),
    ]
    assert (rest.number, rest.subtotal, rest.vat_total, rest.total) == (
        "HD-HN-2026-0002",
        D(1709999),
        D(148800),
        D(1858799),
    )
    # The parts add up to the order (VAT per invoice rounds on its own subtotal).
    assert first.subtotal + rest.subtotal == order.subtotal
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        invoice_create(order=order, by=org.alice)
    assert bad.value.message_dict == {"lines": ["Everything on this order has been invoiced."]}

    payment_record(invoice=first, by=org.alice, amount=D(129200), paid_on=DAY)
    first.refresh_from_db()
    assert (first.paid, first.outstanding, first.status) == (D(129200), D(1000000), "issued")
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        payment_record(invoice=first, by=org.alice, amount=D(1000001))
    assert bad.value.message_dict == {
        "amount": ["The payment (₫1,000,001) is more than the outstanding amount (₫1,000,000)."]
    }
    payment_record(invoice=first, by=org.alice, amount="1000000", method="cash")
    first.refresh_from_db()
    assert (first.paid, first.outstanding, first.status, first.payments.count()) == (
        D(1129200),
        D(0),
        "paid",
        2,
    )
    audit = AuditEntry.objects.filter(entity="sales.invoice", object_id=first.pk, kind="update").order_by(
        "pk"
    )
    assert [e.changes for e in audit] == [
        {"paid": ["0.00", "129200.00"]},
        {"paid": ["129200.00", "1129200.00"], "status": ["issued", "paid"]},
    ]


def test_usd_quote_to_order_to_invoice_and_payment_in_cents(org):
    Currency.objects.filter(code="USD").update(active=True)
    opp = f.opportunity(org.alice)
    quote = quote_create(
        by=org.alice,
        data={"opportunity": opp, "currency": "USD", "quote_date": DAY},
        lines=[
            {"description": "Candle set", "quantity": D("3.5"), "unit_price": D("12.35"), "vat_rate": "10"}
        ],
    )
    quote = record_update(quote, by=org.alice, data={"status": Quote.Status.SENT})
    quote_accept(quote=quote, by=org.alice)
    order = _confirmed(Order.objects.get(quote=quote), org.alice)
    # 3.5 × 12.35 = 43.225 → 43.23; VAT 4.323 → 4.32; total 47.55.
    assert (order.currency, order.subtotal, order.vat_total, order.total) == (
        "USD",
        D("43.23"),
        D("4.32"),
        D("47.55"),
    )
    line = order.lines.get()
    invoice = invoice_create(order=order, by=org.alice, lines=[{"order_line": line, "quantity": D("1.5")}])
    # 1.5 × 12.35 = 18.525 → 18.53; VAT 1.853 → 1.85; total 20.38.
    assert (invoice.currency, invoice.subtotal, invoice.vat_total, invoice.total) == (
        "USD",
        D("18.53"),
        D("1.85"),
        D("20.38"),
    )
    rest = invoice_create(order=order, by=org.alice)
    # 2 × 12.35 = 24.70; VAT 2.47; total 27.17 (the two invoices: 47.55, the order's total).
    assert (rest.subtotal, rest.vat_total, rest.total) == (D("24.70"), D("2.47"), D("27.17"))
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        payment_record(invoice=invoice, by=org.alice, amount=D("10.005"))
    assert bad.value.message_dict == {"amount": ["USD amounts have at most 2 decimals."]}
    payment_record(invoice=invoice, by=org.alice, amount=D("20.00"))
    payment_record(invoice=invoice, by=org.alice, amount=D("0.38"))
    invoice.refresh_from_db()
    assert (invoice.paid, invoice.outstanding, invoice.status) == (D("20.38"), D(0), "paid")


def test_invoicing_more_than_ordered_or_a_new_order_is_refused_and_nothing_is_written(org):
    acct = f.account(org.alice)
    order = order_create(
        by=org.alice,
        data={"account": acct},
        lines=[{"description": "Hộp quà", "quantity": D(5), "unit_price": D(100000)}],
    )
    line = order.lines.get()
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        invoice_create(order=order, by=org.alice)
    assert bad.value.message_dict == {
        "order": ["Only a confirmed, shipped or delivered order can be invoiced."]
    }
    order = _confirmed(order, org.alice)
    invoice_create(order=order, by=org.alice, lines=[{"order_line": line, "quantity": D(3)}])
    for quantity, message in (
        (D(3), "Only 2 left to invoice on this line (ordered 5)."),
        (D(-1), "The quantity must be greater than zero."),
    ):
        with translation.override("en"), pytest.raises(ValidationError) as bad:
            invoice_create(order=order, by=org.alice, lines=[{"order_line": line, "quantity": quantity}])
        assert bad.value.message_dict == {"lines.0.quantity": [message]}
    other = order_create(
        by=org.alice,
        data={"account": acct},
        lines=[{"description": "x", "quantity": D(1), "unit_price": D(1)}],
    )
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        invoice_create(order=order, by=org.alice, lines=[{"order_line": other.lines.get(), "quantity": D(1)}])
    assert bad.value.message_dict == {"lines.0.order_line": ["This line is not on the order."]}
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == (1, 1)
    # A cancelled invoice gives its quantities back.
    invoice_cancel(invoice=Invoice.objects.get(), by=org.alice)
    assert invoice_create(order=order, by=org.alice).lines.get().quantity == D(5)


def test_no_payment_on_a_paid_or_cancelled_invoice_and_no_cancel_after_payment(org):
    acct = f.account(org.alice)
    order = _confirmed(
        order_create(
            by=org.alice,
            data={"account": acct},
            lines=[{"description": "x", "quantity": D(1), "unit_price": D(1000), "vat_rate": "0"}],
        ),
        org.alice,
    )
    invoice = invoice_create(order=order, by=org.alice)
    payment_record(invoice=invoice, by=org.alice, amount=D(400))
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        invoice_cancel(invoice=invoice, by=org.alice)
    assert bad.value.message_dict == {"status": ["Only an issued invoice with no payment can be cancelled."]}
    for amount, message in ((D(0), "The amount must be greater than zero."), ("abc", "Enter a number.")):
        with translation.override("en"), pytest.raises(ValidationError) as bad:
            payment_record(invoice=invoice, by=org.alice, amount=amount)
        assert bad.value.message_dict == {"amount": [message]}
    payment_record(invoice=invoice, by=org.alice, amount=D(600))
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        payment_record(invoice=invoice, by=org.alice, amount=D(1))
    assert bad.value.message_dict == {
        "invoice": ["Payments can only be recorded on an issued, unpaid invoice."]
    }
    assert Payment.objects.count() == 2


def _invoice(org, owner, due, total=D(1000000), acct=None):
    acct = acct or f.account(owner)
    order = order_create(
        by=owner,
        data={"account": acct, "order_date": DAY},
        lines=[{"description": "Hộp quà", "quantity": D(1), "unit_price": total, "vat_rate": "0"}],
    )
    order = _confirmed(order, owner)
    return invoice_create(order=order, by=owner, data={"invoice_date": DAY, "due_date": due})


def test_balances_per_account_count_outstanding_and_overdue_in_scope(org):
    acct = f.account(org.alice)
    late = _invoice(org, org.alice, DAY, acct=acct)
    _invoice(org, org.alice, DAY + datetime.timedelta(days=30), D(500000), acct=acct)
    payment_record(invoice=late, by=org.alice, amount=D(300000))
    _invoice(org, org.mallory, DAY, D(7000000))
    today = DAY + datetime.timedelta(days=1)
    assert account_balances(user=org.alice, today=today) == {
        acct.pk: {"VND": {"outstanding": D(1200000), "overdue": D(700000)}}
    }
    assert account_balances(user=org.alice, today=DAY) == {
        acct.pk: {"VND": {"outstanding": D(1200000), "overdue": D(0)}}
    }
    assert len(account_balances(user=org.erin, today=today)) == 2


def test_overdue_reminders_make_one_task_per_invoice_after_the_due_date(org):
    invoice = _invoice(org, org.alice, DAY)
    paid = _invoice(org, org.alice, DAY)
    payment_record(invoice=paid, by=org.alice, amount=paid.total)
    assert overdue_remind(DAY) == 0  # due today: not overdue yet
    with translation.override("en"):
        assert overdue_remind(DAY + datetime.timedelta(days=1)) == 1
    assert overdue_remind(DAY + datetime.timedelta(days=2)) == 0
    task = Activity.objects.get(kind="task")
    assert (task.owner, task.account_id, task.subject, task.description, task.done) == (
        org.alice,
        invoice.account_id,
        f"Collect overdue invoice {invoice.number}",
        "₫1,000,000 outstanding, due on 20/11/2026.",
        False,
    )
    assert remind_overdue_invoices.call_local() == 0  # the daily task runs the same service
