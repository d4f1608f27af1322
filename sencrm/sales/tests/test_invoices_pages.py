"""Invoice and payment pages and API: invoicing an order from its page, payments with clear
errors, the receivables page, who sees what (pages and API), and the query budgets."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from sencrm.crm.tests.views_support import login
from sencrm.sales.models import Invoice, Payment
from sencrm.sales.services.invoices import invoice_create, payment_record
from sencrm.sales.services.orders import order_create, order_set_status
from sencrm.sales.tests import factories as f
from sencrm.sales.tests.test_api import client_for, send

DAY = datetime.date(2026, 11, 20)


def html(response) -> str:
    return response.content.decode()


def _order(owner, lines=None, acct=None):
    lines = lines or [
        {"description": "Hộp quà Tết", "quantity": D(4), "unit_price": D(250000), "vat_rate": "8"},
        {"description": "Thiệp", "quantity": D(4), "unit_price": D(10000), "vat_rate": "10"},
    ]
    order = order_create(by=owner, data={"account": acct or f.account(owner), "order_date": DAY}, lines=lines)
    return order_set_status(order=order, by=owner, status="confirmed")


def test_an_order_is_invoiced_in_part_from_its_page_and_paid(client, org):
    order = _order(org.alice)
    gift, card = order.lines.order_by("position")
    login(client, org.alice, "en")
    page = html(client.get(order.get_absolute_url()))
    assert 'data-testid="invoice"' in page
    form = client.get(reverse("sales:invoice_create", args=[order.pk]))
    assert form.status_code == 200 and "not a legal e-invoice" in html(form)
    response = client.post(
        reverse("sales:invoice_create", args=[order.pk]),
        {f"qty_{gift.pk}": "5", f"qty_{card.pk}": "", "due_date": "01/12/2026", "payment_method": "transfer"},
    )
    assert response.status_code == 422
    assert "Only 4 left to invoice on this line (ordered 4)." in html(response)
    assert Invoice.objects.count() == 0
    response = client.post(
        reverse("sales:invoice_create", args=[order.pk]),
        {f"qty_{gift.pk}": "1", f"qty_{card.pk}": "", "due_date": "01/12/2026", "payment_method": "transfer"},
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    # 1 × 250 000 + VAT 8 % 20 000 = 270 000
    assert (invoice.total, invoice.due_date) == (D(270000), datetime.date(2026, 12, 1))
    url = reverse("sales:payment_create", args=[invoice.pk])
    response = client.post(url, {"amount": "270001", "version": invoice.version}, follow=True)
    assert "The payment (₫270,001) is more than the outstanding amount (₫270,000)." in html(response)
    client.post(url, {"amount": "100000", "paid_on": "21/11/2026", "version": invoice.version})
    detail = html(client.get(invoice.get_absolute_url()))
    assert 'data-testid="invoice-outstanding">₫170,000<' in detail
    assert "not a legal e-invoice" in detail
    assert Payment.objects.get().paid_on == datetime.date(2026, 11, 21)
    page = html(client.get(reverse("sales:receivables")))
    assert "₫170,000" in page


def test_the_invoice_api_creates_pays_and_refuses_overpayment(org):
    order = _order(org.alice)
    gift = order.lines.order_by("position").first()
    api = client_for(org.alice)
    response = send(
        api, "post", "/invoices", {"order": order.pk, "lines": [{"order_line": gift.pk, "quantity": "5"}]}
    )
    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"lines.0.quantity": ["Only 4 left to invoice on this line (ordered 4)."]},
    )
    response = send(api, "post", "/invoices", {"order": order.pk, "invoice_date": "2026-11-20"})
    assert response.status_code == 201, response.content
    invoice = response.json()
    # 4 × 250 000 = 1 000 000 (VAT 80 000) + 4 × 10 000 = 40 000 (VAT 4 000) = 1 124 000
    assert (invoice["total"], invoice["outstanding"], invoice["due_date"], invoice["overdue"]) == (
        "1124000.00",
        "1124000.00",
        "2026-12-20",
        False,
    )
    assert invoice["amount_in_words"] == "Một triệu một trăm hai mươi tư nghìn đồng"
    response = send(api, "post", f"/invoices/{invoice['id']}/payments", {"amount": "1124001"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "amount": ["The payment (₫1,124,001) is more than the outstanding amount (₫1,124,000)."]
    }
    response = send(
        api, "post", f"/invoices/{invoice['id']}/payments", {"amount": "124000", "paid_on": "2026-11-25"}
    )
    assert (response.status_code, response.json()["amount"]) == (201, "124000.00")
    body = send(api, "get", f"/invoices/{invoice['id']}").json()
    assert (body["paid"], body["outstanding"], body["status"]) == ("124000.00", "1000000.00", "issued")
    assert send(api, "get", f"/invoices/{invoice['id']}/payments").json()["count"] == 1
    assert send(api, "get", "/receivables").json() == [
        {"account": order.account_id, "currency": "VND", "outstanding": "1000000.00", "overdue": "0.00"}
    ]
    assert send(api, "delete", f"/invoices/{invoice['id']}").status_code == 422
    response = send(api, "patch", f"/invoices/{invoice['id']}", {"due_date": "2026-11-01"})
    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"due_date": ["The due date cannot be before the invoice date."]},
    )
    response = send(
        api, "patch", f"/invoices/{invoice['id']}", {"due_date": "2026-12-31", "notes": "Gia hạn"}
    )
    assert (response.status_code, response.json()["due_date"]) == (200, "2026-12-31")


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("alice", True), ("bob", True), ("carol", True), ("erin", True), ("dave", False), ("mallory", False)],
)
def test_who_sees_alices_invoice_and_may_pay_it(client, org, persona, sees):
    invoice = invoice_create(order=_order(org.alice), by=org.alice)
    user = getattr(org, persona)
    login(client, user)
    assert client.get(invoice.get_absolute_url()).status_code == (200 if sees else 404)
    assert (invoice.number in html(client.get(reverse("sales:invoice_list")))) == sees
    assert (invoice.account.name in html(client.get(reverse("sales:receivables")))) == sees
    response = client.post(reverse("sales:payment_create", args=[invoice.pk]), {"amount": "1000"})
    assert response.status_code == (302 if sees else 404)
    api = client_for(user)
    assert send(api, "get", f"/invoices/{invoice.pk}").status_code == (200 if sees else 404)
    response = send(api, "post", f"/invoices/{invoice.pk}/payments", {"amount": "1000"})
    assert response.status_code == (201 if sees else 404)
    assert Payment.objects.count() == (2 if sees else 0)
    assert Invoice.objects.get().paid == (D(2000) if sees else D(0))


@pytest.mark.parametrize("count", [1, 6])
def test_invoice_list_costs_the_same_for_1_or_6_rows(client, org, count, django_assert_num_queries):
    acct = f.account(org.erin)
    for _ in range(count):
        invoice_create(order=_order(org.erin, acct=acct), by=org.erin)
    login(client, org.erin)
    client.get(reverse("sales:invoice_list"))
    with django_assert_num_queries(6):
        response = client.get(reverse("sales:invoice_list"))
    assert html(response).count("HD-HQ") == count


@pytest.mark.parametrize("payments", [1, 4])
def test_invoice_detail_costs_the_same_for_1_or_4_payments(client, org, payments, django_assert_num_queries):
    invoice = invoice_create(order=_order(org.erin), by=org.erin)
    for _ in range(payments):
        payment_record(invoice=invoice, by=org.erin, amount=D(1000))
    login(client, org.erin)
    client.get(invoice.get_absolute_url())
    with django_assert_num_queries(15):
        response = client.get(invoice.get_absolute_url())
    assert response.status_code == 200
