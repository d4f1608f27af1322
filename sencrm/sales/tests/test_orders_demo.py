"""The demo's orders, invoices, payments and contracts: stored figures equal what the services
compute, numbers are unique and continue on a second load, and the seasonal peaks show."""

import datetime
from collections import Counter
from io import StringIO

from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from sencrm.sales.demo_orders import day_weights
from sencrm.sales.models import Contract, Invoice, Order, Quote, SalesCounter
from sencrm.sales.services.invoices import invoice_figures
from sencrm.sales.services.quotes import quote_figures

SIZE = 0.02


def test_demo_orders_invoices_and_payments_add_up(db):
    call_command("demo", size=SIZE, stdout=StringIO())
    orders = list(Order.objects.prefetch_related("lines"))
    assert len(orders) >= 20
    assert Order.objects.filter(source="quote").count() == Quote.objects.filter(status="accepted").count()
    for order in orders:
        figures = quote_figures(order)
        assert (order.subtotal, order.vat_total, order.total) == (
            figures.subtotal,
            figures.vat,
            figures.total,
        )
        order.clean()
    invoices = list(Invoice.objects.prefetch_related("lines", "payments"))
    assert invoices
    for invoice in invoices:
        figures = invoice_figures(invoice)
        assert (invoice.subtotal, invoice.vat_total, invoice.total) == (
            figures.subtotal,
            figures.vat,
            figures.total,
        )
        assert invoice.paid == sum((p.amount for p in invoice.payments.all()), 0)
        assert invoice.paid <= invoice.total
        assert invoice.status == ("paid" if invoice.paid == invoice.total else "issued")
    today = timezone.localdate()
    assert Invoice.objects.overdue(today).exists()
    assert Contract.objects.count() >= 5
    for contract in Contract.objects.all():
        contract.clean()
    for counter in SalesCounter.objects.all():
        model = Order if counter.kind == "order" else Invoice
        date_field = "order_date" if counter.kind == "order" else "invoice_date"
        assert (
            counter.last
            == model.objects.filter(branch=counter.branch, **{f"{date_field}__year": counter.year}).count()
        )
    assert Order.objects.aggregate(total=Sum("total"))["total"] > 0


def test_a_second_load_continues_the_numbers(db):
    call_command("demo", size=SIZE, stdout=StringIO())
    first = Order.objects.count()
    call_command("demo", size=SIZE, force=True, seed=99, stdout=StringIO())
    assert Order.objects.count() > first
    assert Order.objects.values("number").distinct().count() == Order.objects.count()
    assert Invoice.objects.values("number").distinct().count() == Invoice.objects.count()


def test_the_weeks_before_tet_8_3_and_20_10_weigh_more():
    days, weights = day_weights(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    weight = dict(zip(days, weights, strict=True))
    assert weight[datetime.date(2025, 1, 20)] == 5.0  # 9 days before Tết (29/1/2025)
    assert weight[datetime.date(2025, 3, 1)] == 5.0  # the week before 8/3
    assert weight[datetime.date(2025, 10, 15)] == 5.0
    assert weight[datetime.date(2025, 6, 15)] == 1.0
    assert Counter(weights)[5.0] == 29 + 15 + 15 + 0  # Tết 2026 (17/2) is outside 2025
