"""Orders: from an accepted quote, by hand, numbering, status transitions with tracking, bad
input (Vietnamese and English messages), nothing half-written. Figures computed by hand."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from sencrm.core.models import AuditEntry
from sencrm.core.services.records import record_update
from sencrm.sales.models import Order, OrderLine, Product, Quote
from sencrm.sales.services.orders import order_create, order_set_status, order_update
from sencrm.sales.services.quotes import quote_accept, quote_figures
from sencrm.sales.tests import factories as f

DAY = datetime.date(2026, 11, 20)


def _accepted_order(org, **quote_data):
    quote = f.quote(org.alice, quote_date=DAY, **quote_data)
    quote = record_update(quote, by=org.alice, data={"status": Quote.Status.SENT})
    quote_accept(quote=quote, by=org.alice)
    return Order.objects.get(quote=quote)


def test_accepting_a_quote_makes_its_order_with_the_same_lines_and_totals(org):
    order = _accepted_order(org)
    quote = order.quote
    assert order.number == f"DH-HN-{timezone.localdate().year}-0001"
    assert (order.source, order.status, order.account, order.owner) == (
        "quote",
        "new",
        quote.account,
        org.alice,
    )
    # 10 × 185 000 = 1 850 000; VAT 8 % = 148 000; total 1 998 000.
    assert (order.subtotal, order.vat_total, order.total) == (D(1850000), D(148000), D(1998000))
    line = order.lines.get()
    assert (line.description, line.unit, line.quantity, line.unit_price, line.vat_rate, line.amount) == (
        "Nến thơm hoa sen",
        "hũ",
        D(10),
        D(185000),
        "8",
        D(1850000),
    )
    assert (order.buyer_name, order.buyer_tax_code) == ("Công ty TNHH Quà Tặng Việt", "0101248141")
    assert AuditEntry.objects.filter(entity="sales.order", object_id=order.pk, kind="create").count() == 1


def test_a_quote_whose_product_was_deactivated_still_becomes_an_order(org):
    quote = f.quote(org.alice)
    Product.objects.update(active=False)
    quote = record_update(quote, by=org.alice, data={"status": Quote.Status.SENT})
    quote_accept(quote=quote, by=org.alice)
    assert Order.objects.get(quote=quote).lines.get().product.code == "NEN-001"


def test_a_direct_order_in_usd_rounds_each_line_to_cents_and_vat_per_rate(org):
    from sencrm.sales.models import Currency

    Currency.objects.filter(code="USD").update(active=True)
    acct = f.account(org.alice)
    order = order_create(
        by=org.alice,
        data={"account": acct, "currency": "usd", "order_date": DAY},
        lines=[
            # 1.5 × 20.67 = 31.005 → 31.01; 2.5 × 3.30 = 8.25 − 10 % (0.825 → 0.83) = 7.42
            {
                "description": "Candle gift box",
                "quantity": D("1.5"),
                "unit_price": D("20.67"),
                "vat_rate": "10",
            },
            {
                "description": "Oil",
                "quantity": D("2.5"),
                "unit_price": D("3.30"),
                "discount_percent": D(10),
                "vat_rate": "10",
            },
            # 1 × 5 = 5.00 at 5 %
            {"description": "Card", "quantity": D(1), "unit_price": D(5), "vat_rate": "5"},
        ],
    )
    # 10 %: 31.01 + 7.42 = 38.43 → VAT 3.843 → 3.84; 5 %: 5.00 → 0.25. Subtotal 43.43, VAT 4.09.
    assert order.number == "DH-HN-2026-0001"
    assert [line.amount for line in order.lines.all()] == [D("31.01"), D("7.42"), D("5.00")]
    assert (order.currency, order.subtotal, order.vat_total, order.total) == (
        "USD",
        D("43.43"),
        D("4.09"),
        D("47.52"),
    )
    # Read back, the stored lines give the stored totals again.
    assert quote_figures(order, list(Order.objects.get(pk=order.pk).lines.all())).total == D("47.52")
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        order_create(
            by=org.alice,
            data={"account": acct, "currency": "USD"},
            lines=[{"description": "x", "quantity": D(1), "unit_price": D("1.005")}],
        )
    assert bad.value.message_dict == {"lines.0.unit_price": ["A unit price has at most 2 decimals."]}


def test_numbers_run_per_branch_and_year(org):
    acct = f.account(org.alice)
    line = [{"description": "Hộp quà", "quantity": D(1), "unit_price": D(100000)}]
    numbers = [
        order_create(by=org.alice, data={"account": acct, "order_date": day}, lines=line).number
        for day in (DAY, DAY, datetime.date(2027, 1, 2))
    ]
    assert numbers == ["DH-HN-2026-0001", "DH-HN-2026-0002", "DH-HN-2027-0001"]


def test_status_moves_only_along_the_allowed_path_and_is_audited(org):
    order = _accepted_order(org)
    with pytest.raises(ValidationError) as bad:
        order_set_status(order=order, by=org.alice, status="shipped")
    assert list(bad.value.message_dict) == ["status"]
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        order_set_status(order=order, by=org.alice, status="delivered")
    assert bad.value.message_dict == {"status": ["An order that is new cannot become delivered."]}
    order = order_set_status(order=order, by=org.alice, status="confirmed")
    order = order_set_status(
        order=order, by=org.alice, status="shipped", carrier="ghn", tracking_number=" GHN 123 "
    )
    assert (order.status, order.carrier, order.tracking_number) == ("shipped", "ghn", "GHN 123")
    assert order.tracking_url == "https://donhang.ghn.vn/?order_code=GHN%20123"
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        order_set_status(order=order, by=org.alice, status="cancelled")
    assert bad.value.message_dict == {"status": ["An order that is shipped cannot become cancelled."]}
    order = order_set_status(order=order, by=org.alice, status="delivered")
    assert Order.objects.get(pk=order.pk).status == "delivered"
    statuses = [
        e.changes["status"]
        for e in AuditEntry.objects.filter(entity="sales.order", object_id=order.pk, kind="update").order_by(
            "pk"
        )
    ]
    assert statuses == [["new", "confirmed"], ["confirmed", "shipped"], ["shipped", "delivered"]]


def test_a_new_order_can_be_cancelled_but_a_cancelled_one_goes_nowhere(org):
    order = _accepted_order(org)
    order = order_set_status(order=order, by=org.alice, status="cancelled")
    for status in ("new", "confirmed", "shipped", "delivered"):
        with pytest.raises(ValidationError):
            order_set_status(order=order, by=org.alice, status=status)
    assert Order.objects.get(pk=order.pk).status == "cancelled"


@pytest.mark.parametrize(
    ("line", "field", "english"),
    [
        ({"quantity": D(-2)}, "lines.0.quantity", "The quantity must be greater than zero."),
        (
            {"discount_percent": D(101)},
            "lines.0.discount_percent",
            "The discount must be between 0 and 100%.",
        ),
    ],
)
def test_bad_lines_are_refused_naming_the_field_and_nothing_is_written(org, line, field, english):
    acct = f.account(org.alice)
    lines = [{"description": "Hộp quà", "quantity": D(1), "unit_price": D(100000), **line}]
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        order_create(by=org.alice, data={"account": acct}, lines=lines)
    assert bad.value.message_dict == {field: [english]}
    with translation.override("vi"), pytest.raises(ValidationError) as bad:
        order_create(by=org.alice, data={"account": acct}, lines=lines)
    assert bad.value.message_dict[field] != [english]  # the Vietnamese catalogue has it
    assert (Order.objects.count(), OrderLine.objects.count()) == (0, 0)


def test_an_inactive_product_is_refused_on_a_new_order(org):
    acct = f.account(org.alice)
    nen = f.product(org.admin, active=False)
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        order_create(by=org.alice, data={"account": acct}, lines=[{"product": nen, "quantity": D(1)}])
    assert bad.value.message_dict == {"lines.0.product": ["This product is inactive and cannot be ordered."]}
    assert Order.objects.count() == 0


def test_lines_change_only_while_the_order_is_new(org):
    order = _accepted_order(org)
    order = order_update(
        order=order,
        by=org.alice,
        data={},
        lines=[{"description": "Hộp quà", "quantity": D(2), "unit_price": D(50000), "vat_rate": "10"}],
    )
    # 2 × 50 000 = 100 000 + 10 % = 110 000
    assert (order.subtotal, order.total, order.lines.count()) == (D(100000), D(110000), 1)
    order = order_set_status(order=order, by=org.alice, status="confirmed")
    with translation.override("en"), pytest.raises(ValidationError) as bad:
        order_update(
            order=order,
            by=org.alice,
            data={},
            lines=[{"description": "x", "quantity": D(1), "unit_price": D(1)}],
        )
    assert bad.value.message_dict == {"lines": ["Only a new order's lines and customer can be changed."]}
    order = order_update(order=order, by=org.alice, data={"notes": "Giao giờ hành chính"})
    assert (order.notes, order.total) == ("Giao giờ hành chính", D(110000))
