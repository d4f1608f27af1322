"""The order pages as a user meets them: list, detail with totals and tracking link, the form with
the line editor, the status buttons, who sees what, and the query budgets."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from sencrm.crm.tests.views_support import login
from sencrm.sales.models import Order
from sencrm.sales.services.orders import order_create, order_set_status
from sencrm.sales.tests import factories as f


def html(response) -> str:
    return response.content.decode()


def _order(owner, acct=None, lines=None, **data):
    acct = acct or f.account(owner)
    lines = lines or [
        {"description": "Hộp quà Tết", "quantity": D(2), "unit_price": D(250000), "vat_rate": "8"}
    ]
    return order_create(by=owner, data={"account": acct, **data}, lines=lines)


def _post(acct, rows, **extra):
    data = {"account": str(acct.pk), "currency": "VND", "order_date": "20/11/2026", "title": "", "notes": ""}
    for name in (
        "product",
        "description",
        "unit",
        "quantity",
        "unit_price",
        "discount_percent",
        "discount_amount",
        "vat_rate",
    ):
        data[f"line_{name}"] = [row.get(name, "") for row in rows]
    return {**data, **extra}


def test_an_order_is_entered_by_hand_with_the_line_editor(client, org):
    acct = f.account(org.alice)
    nen = f.product(org.admin)
    login(client, org.alice, "vi")
    assert client.get(reverse("sales:order_create"), {"account": acct.pk}).status_code == 200
    editor = client.post(
        reverse("sales:order_lines"), _post(acct, [{"product": str(nen.pk), "quantity": "3"}], op="recalc")
    )
    # 3 × 185 000 = 555 000 + VAT 8 % 44 400 = 599 400
    assert editor.status_code == 200 and "599.400" in html(editor)
    response = client.post(
        reverse("sales:order_create"), _post(acct, [{"product": str(nen.pk), "quantity": "3"}])
    )
    assert response.status_code == 302, html(response)
    order = Order.objects.get()
    assert (order.number, order.source, order.total, order.order_date.isoformat()) == (
        "DH-HN-2026-0001",
        "direct",
        D(599400),
        "2026-11-20",
    )
    detail = client.get(order.get_absolute_url())
    assert detail.status_code == 200
    assert "599.400" in html(detail) and "Năm trăm chín mươi chín nghìn bốn trăm đồng" in html(detail)


def test_bad_lines_stay_on_the_form_and_nothing_is_saved(client, org):
    acct = f.account(org.alice)
    login(client, org.alice, "en")
    rows = [{"description": "Hộp", "quantity": "-1", "unit_price": "1000"}]
    response = client.post(reverse("sales:order_create"), _post(acct, rows))
    assert response.status_code == 200
    assert "The quantity must be greater than zero." in html(response)
    assert Order.objects.count() == 0


def test_the_status_buttons_follow_the_allowed_path_with_tracking(client, org):
    order = _order(org.alice)
    login(client, org.alice, "en")
    page = html(client.get(order.get_absolute_url()))
    assert 'data-testid="status-confirmed"' in page and 'data-testid="status-shipped"' not in page
    url = reverse("sales:order_status", args=[order.pk])
    response = client.post(url, {"status": "shipped", "version": order.version}, follow=True)
    assert "An order that is new cannot become shipped." in html(response)
    client.post(url, {"status": "confirmed", "version": order.version})
    order.refresh_from_db()
    client.post(
        url,
        {"status": "shipped", "carrier": "vnpost", "tracking_number": "EB123VN", "version": order.version},
    )
    order.refresh_from_db()
    assert (order.status, order.tracking_url) == (
        "shipped",
        "https://vnpost.vn/vi-vn/dinh-vi/buu-pham?key=EB123VN",
    )
    page = html(client.get(order.get_absolute_url()))
    assert 'href="https://vnpost.vn/vi-vn/dinh-vi/buu-pham?key=EB123VN"' in page
    # A stale version changes nothing.
    client.post(url, {"status": "delivered", "version": order.version - 1})
    assert Order.objects.get().status == "shipped"


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("alice", True), ("bob", True), ("carol", True), ("erin", True), ("dave", False), ("mallory", False)],
)
def test_who_sees_alices_order_on_the_pages(client, org, persona, sees):
    order = _order(org.alice)
    login(client, getattr(org, persona))
    assert client.get(order.get_absolute_url()).status_code == (200 if sees else 404)
    assert (order.number in html(client.get(reverse("sales:order_list")))) == sees
    assert client.get(reverse("sales:order_edit", args=[order.pk])).status_code == (200 if sees else 404)
    response = client.post(
        reverse("sales:order_status", args=[order.pk]), {"status": "cancelled", "version": 1}
    )
    assert response.status_code == (302 if sees else 404)
    assert Order.objects.get().status == ("cancelled" if sees else "new")


@pytest.mark.parametrize("count", [1, 6])
def test_order_list_costs_the_same_for_1_or_6_rows(client, org, count, django_assert_num_queries):
    acct = f.account(org.erin)
    for _ in range(count):
        _order(org.erin, acct)
    login(client, org.erin)
    client.get(reverse("sales:order_list"))
    with django_assert_num_queries(6):
        response = client.get(reverse("sales:order_list"))
    assert html(response).count("DH-HQ") == count


@pytest.mark.parametrize("lines", [1, 5])
def test_order_detail_costs_the_same_for_1_or_5_lines(client, org, lines, django_assert_num_queries):
    products = [f.product(org.admin, f"P-{i}", f"Sản phẩm {i}", 1000 * (i + 1)) for i in range(lines)]
    order = _order(org.erin, lines=[{"product": p, "quantity": D(1)} for p in products])
    order = order_set_status(order=order, by=org.erin, status="confirmed")
    login(client, org.erin)
    client.get(order.get_absolute_url())
    with django_assert_num_queries(15):  # the order's invoices are one query
        response = client.get(order.get_absolute_url())
    assert response.status_code == 200


def test_the_purchase_history_panel_of_an_account_and_a_contact(rf, org):
    from django.template.loader import render_to_string

    from sencrm.core.widgets import RECORD_PANELS, record_panels
    from sencrm.sales.services.invoices import invoice_create

    acct = f.account(org.alice)
    person = f.contact(org.alice, acct)
    mine = _order(org.alice, acct, contact=person)
    invoice_create(order=order_set_status(order=mine, by=org.alice, status="confirmed"), by=org.alice)
    theirs = _order(org.mallory, f.account(org.mallory, name="Công ty Sài Gòn"))
    assert [b.key for b in RECORD_PANELS["crm.account"]] == ["sales.orders"]
    for obj, user, expected in (
        (acct, org.alice, [mine.pk]),
        (person, org.alice, [mine.pk]),
        (acct, org.mallory, []),
    ):
        request = rf.get("/")
        request.user = user
        (panel,) = [p for p in record_panels(request, obj) if p["key"] == "sales.orders"]
        assert [o.pk for o in panel["context"]["orders"]] == expected
        html_text = render_to_string(panel["template"], {"panel": panel["context"]})
        assert (mine.number in html_text) == bool(expected)
        assert theirs.number not in html_text
    request = rf.get("/")
    request.user = org.alice
    (panel,) = record_panels(request, acct)
    # 2 × 250 000 + VAT 8 % = 540 000 owed, not yet due.
    assert panel["context"]["balances"] == [{"currency": "VND", "outstanding": D(540000), "overdue": D(0)}]
    request.user = org.noright
    assert record_panels(request, acct) == []


def test_account_and_contact_pages_show_the_purchase_history(client, org):
    acct = f.account(org.alice)
    person = f.contact(org.alice, acct)
    order = _order(org.alice, acct, contact=person)
    client.force_login(org.alice)
    for obj in (acct, person):
        page = client.get(obj.get_absolute_url()).content.decode()
        assert 'data-testid="order-panel"' in page and order.number in page


def test_a_confirmed_order_keeps_its_lines_but_its_notes_can_change(client, org):
    order = order_set_status(order=_order(org.alice), by=org.alice, status="confirmed")
    login(client, org.alice, "en")
    page = client.get(reverse("sales:order_edit", args=[order.pk]))
    assert page.status_code == 200 and 'data-testid="lines-frozen"' in html(page)
    data = _post(order.account, [], notes="Giao trước Tết", version=order.version)
    data["account"] = str(order.account_id)
    response = client.post(reverse("sales:order_edit", args=[order.pk]), data)
    assert response.status_code == 302, html(response)[:3000]
    order.refresh_from_db()
    assert (order.notes, order.total, order.lines.count()) == ("Giao trước Tết", D(540000), 1)


def test_orders_invoices_and_contracts_are_found_by_global_search(org):
    from sencrm.core.search import search
    from sencrm.sales.services.invoices import invoice_create
    from sencrm.sales.tests.test_contracts import _contract

    order = order_set_status(order=_order(org.alice), by=org.alice, status="confirmed")
    invoice = invoice_create(order=order, by=org.alice)
    contract = _contract(org.alice)
    for record, kind in ((order, "order"), (invoice, "invoice"), (contract, "contract")):
        hits = search(org.alice, record.number)
        assert [(h.type, h.url) for h in hits][:1] == [(kind, record.get_absolute_url())], kind
        assert search(org.mallory, record.number) == []  # another branch's rep: out of scope
