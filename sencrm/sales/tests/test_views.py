"""The sales pages as a user meets them: lists, details, forms with the htmx line editor, the
quote actions, rights and scope, and the query budgets of the quote pages."""

import re
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse

from sencrm.crm.models import Activity, Opportunity
from sencrm.crm.tests.views_support import login
from sencrm.sales.models import PriceList, Product, Quote, QuoteLine, QuoteRevision
from sencrm.sales.tests import factories as f


def html(response) -> str:
    return response.content.decode()


def test_catalogue_pages(client, org):
    nen = f.product(org.admin)
    price_list = f.price_list(org.admin, {nen: 150000})
    login(client, org.alice, "vi")
    listing = client.get(reverse("sales:product_list"))
    assert listing.status_code == 200 and "Nến thơm hoa sen" in html(listing)
    assert "185.000" in html(client.get(reverse("sales:product_list")))
    assert client.get(reverse("sales:product_list"), {"q": "nen thom"}).status_code == 200
    assert "Nến thơm hoa sen" in html(client.get(reverse("sales:product_list"), {"q": "nen thom"}))
    assert (
        "Nến thơm"
        not in html(client.get(reverse("sales:product_list"), {"q": "tinh dau"})).split("<tbody")[-1]
    )
    detail = client.get(reverse("sales:product_detail", args=[nen.pk]))
    assert detail.status_code == 200 and "NEN-001" in html(detail)
    detail = client.get(reverse("sales:pricelist_detail", args=[price_list.pk]))
    assert detail.status_code == 200 and "150.000" in html(detail)
    assert client.get(reverse("sales:product_create")).status_code == 200
    assert client.get(reverse("sales:pricelist_edit", args=[price_list.pk])).status_code == 200


def test_product_form_creates_and_reports_a_duplicate_code(client, org):
    login(client, org.admin)
    data = {
        "code": "td-001",
        "name": "Tinh dầu sả chanh",
        "unit": "chai",
        "list_price": "150,000",
        "currency": "VND",
        "vat_rate": "5",
        "active": "on",
    }
    response = client.post(reverse("sales:product_create"), data)
    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.code, product.list_price, product.vat_rate) == ("TD-001", D(150000), "5")
    response = client.post(reverse("sales:product_create"), data)
    assert response.status_code == 200
    assert 'data-testid="error-code">Another product already has this code.' in html(response)
    assert Product.objects.count() == 1


def test_price_list_form_with_items(client, org):
    nen = f.product(org.admin)
    login(client, org.admin, "vi")  # prices typed the Vietnamese way
    data = {
        "name": "Bảng giá sỉ",
        "currency": "VND",
        "active": "on",
        "item_product": [str(nen.pk), ""],
        "item_unit_price": ["160.000", ""],
    }
    assert client.post(reverse("sales:pricelist_create"), data).status_code == 302
    assert PriceList.objects.get().items.get().unit_price == D(160000)


def _quote_post(opp, rows, **extra):
    data = {
        "opportunity": str(opp.pk),
        "currency": "VND",
        "quote_date": "20/11/2026",
        "valid_until": "",
        "title": "",
        "terms": "",
        "notes": "",
    }
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


def test_a_quote_is_made_from_the_opportunity_page(client, org):
    opp = f.opportunity(org.alice)
    nen = f.product(org.admin)
    login(client, org.alice)
    page = client.get(reverse("crm:opportunity_detail", args=[opp.pk]))
    link = re.search(r'href="([^"]+)"[^>]*data-testid="create-quote"', html(page)).group(1)
    assert link == f"{reverse('sales:quote_create')}?opportunity={opp.pk}"
    form = client.get(link)
    assert form.status_code == 200
    assert 'value="Quà Tết 2027"' in html(form)  # the title comes from the deal
    rows = [
        {"product": str(nen.pk), "quantity": "10", "discount_percent": "5"},
        {
            "description": "Phí giao hàng",
            "unit": "chuyến",
            "quantity": "1",
            "unit_price": "30000",
            "vat_rate": "kct",
        },
    ]
    response = client.post(link, _quote_post(opp, rows))
    assert response.status_code == 302, html(response)[:3000]
    quote = Quote.objects.get()
    assert (quote.number, quote.account_id, quote.total) == ("BG-HN-2026-0001", opp.account_id, D(1928100))
    detail = client.get(response["Location"])
    text = html(detail)
    assert "₫1,928,100" in text
    assert "Một triệu chín trăm hai mươi tám nghìn một trăm đồng" in text


def test_bad_lines_are_shown_beside_the_line_and_nothing_is_saved(client, org):
    opp, nen = f.opportunity(org.alice), f.product(org.admin)
    login(client, org.alice)
    rows = [
        {"product": str(nen.pk), "quantity": "-3"},
        {"product": str(nen.pk), "quantity": "1", "discount_percent": "120"},
    ]
    response = client.post(reverse("sales:quote_create"), _quote_post(opp, rows))
    assert response.status_code == 200
    text = html(response)
    assert 'data-testid="line-error-0-quantity">The quantity must be greater than zero.' in text
    assert 'data-testid="line-error-1-discount_percent">The discount must be between 0 and 100%.' in text
    assert "Check the lines of the quote." in text
    assert (Quote.objects.count(), QuoteLine.objects.count()) == (0, 0)


def test_the_line_editor_adds_removes_and_totals_on_the_server(client, org):
    opp, nen = f.opportunity(org.alice), f.product(org.admin)
    login(client, org.alice)
    rows = [{"product": str(nen.pk), "quantity": "2"}]
    headers = {"HX-Request": "true", "HX-Target": "quote-lines"}
    response = client.post(
        reverse("sales:quote_lines"), {**_quote_post(opp, rows), "op": "add"}, headers=headers
    )
    text = html(response)
    assert text.count('name="line_quantity"') == 2
    # 2 × 185 000 = 370 000 + 8 % 29 600 = 399 600.
    assert re.search(r'data-testid="editor-total">₫399,600', text)
    assert "Ba trăm chín mươi chín nghìn sáu trăm đồng" in text
    rows.append({"description": "Phí", "quantity": "1", "unit_price": "10000", "vat_rate": "10"})
    response = client.post(
        reverse("sales:quote_lines"), {**_quote_post(opp, rows), "op": "remove-0"}, headers=headers
    )
    text = html(response)
    assert text.count('name="line_quantity"') == 1
    assert re.search(r'data-testid="editor-total">₫11,000', text)  # 10 000 + 10 %
    # A change in an input swaps only the amounts, errors and totals (out of band), not the inputs.
    rows = [
        {"product": str(nen.pk), "quantity": "3"},
        dict.fromkeys(("product", "quantity"), ""),
        {"product": str(nen.pk), "quantity": "-1"},
    ]
    response = client.post(
        reverse("sales:quote_lines"), {**_quote_post(opp, rows), "op": "recalc"}, headers=headers
    )
    text = html(response)
    assert 'name="line_quantity"' not in text
    assert re.search(r'id="line-amount-0"[^>]*hx-swap-oob="true">₫555,000<', text)
    assert re.search(r'id="line-amount-1"[^>]*hx-swap-oob="true"></span>', text)  # the blank row
    assert 'data-testid="line-error-2-quantity">The quantity must be greater than zero.' in text
    assert 'id="editor-totals"' in text and 'data-testid="editor-total"' not in text  # no total while wrong
    assert Quote.objects.count() == 0


def test_quote_actions_send_edit_revision_accept(client, org, settings):
    quote = f.quote(org.alice)
    login(client, org.alice)
    response = client.post(
        reverse("sales:quote_send", args=[quote.pk]),
        {"to": "hoa@quatang.vn", "subject": "Báo giá", "message": "Chào chị", "version": quote.version},
    )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["hoa@quatang.vn"]]
    assert Activity.objects.get().kind == "email"
    quote.refresh_from_db()
    assert quote.status == "sent"
    edit = client.get(reverse("sales:quote_edit", args=[quote.pk]))
    assert 'data-testid="revision-note"' in html(edit)
    nen = quote.lines.get().product
    data = _quote_post(
        quote.opportunity, [{"product": str(nen.pk), "quantity": "3"}], version=str(quote.version)
    )
    data.pop("opportunity")
    data["account"] = str(quote.account_id)
    response = client.post(reverse("sales:quote_edit", args=[quote.pk]), data)
    assert response.status_code == 302, re.findall(
        r"(?:invalid-feedback[^>]*|alert[^>]*)>([^<]+)", html(response)
    )
    quote.refresh_from_db()
    assert (quote.revision, quote.status, QuoteRevision.objects.get().revision) == (2, "draft", 1)
    detail = html(client.get(quote.get_absolute_url()))
    assert reverse("sales:quote_revision", args=[quote.pk, 1]) in detail
    kept = client.get(reverse("sales:quote_revision", args=[quote.pk, 1]))
    assert kept.status_code == 200 and "₫1,998,000" in html(kept)
    pdf = client.get(reverse("sales:quote_revision_pdf", args=[quote.pk, 1]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    Quote.objects.filter(pk=quote.pk).update(status="sent")
    quote.refresh_from_db()
    assert (
        client.post(reverse("sales:quote_accept", args=[quote.pk]), {"version": quote.version}).status_code
        == 302
    )
    assert (Quote.objects.get().status, Opportunity.objects.get().status) == ("accepted", "won")
    assert client.get(reverse("sales:quote_edit", args=[quote.pk])).status_code == 404  # closed


def test_rights_and_scope_on_quote_pages(client, org):
    quote = f.quote(org.alice)
    for persona, status in (("bob", 200), ("carol", 200), ("mallory", 404), ("dave", 404)):
        login(client, getattr(org, persona))
        assert client.get(quote.get_absolute_url()).status_code == status, persona
        assert client.get(reverse("sales:quote_pdf", args=[quote.pk])).status_code == status, persona
    login(client, org.mallory)
    assert client.post(reverse("sales:quote_accept", args=[quote.pk])).status_code == 404
    assert client.get(reverse("sales:quote_list")).status_code == 200
    assert quote.number not in html(client.get(reverse("sales:quote_list")))
    login(client, org.noright)
    assert client.get(reverse("sales:quote_list")).status_code == 403
    assert client.get(reverse("sales:product_list")).status_code == 403
    login(client, org.viewer)
    assert client.get(reverse("sales:product_create")).status_code == 403
    assert Quote.objects.get().status == "draft"


def test_sales_pages_are_in_the_menu(client, org):
    login(client, org.alice)
    text = html(client.get(reverse("sales:quote_list")))
    for name in ("sales:quote_list", "sales:product_list", "sales:pricelist_list"):
        assert f'href="{reverse(name)}"' in text


# --- query budgets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_quote_list_costs_the_same_for_1_or_6_rows(client, org, count, django_assert_num_queries):
    nen = f.product(org.admin)
    opp = f.opportunity(org.erin)
    for _ in range(count):
        f.quote(org.erin, opp, lines=[{"product": nen, "quantity": D(1)}])
    login(client, org.erin)
    client.get(reverse("sales:quote_list"))  # warm the session
    # session, user, role, unread count, custom fields, rows (account and owner joined).
    with django_assert_num_queries(6):
        response = client.get(reverse("sales:quote_list"))
    assert html(response).count("BG-HN") == count or html(response).count("BG-HQ") == count


@pytest.mark.parametrize("lines", [1, 5])
def test_quote_detail_costs_the_same_for_1_or_5_lines(client, org, lines, django_assert_num_queries):
    products = [f.product(org.admin, f"P-{i}", f"Sản phẩm {i}", 1000 * (i + 1)) for i in range(lines)]
    quote = f.quote(org.erin, lines=[{"product": p, "quantity": D(1)} for p in products])
    login(client, org.erin)
    client.get(quote.get_absolute_url())
    with django_assert_num_queries(15):
        response = client.get(quote.get_absolute_url())
    assert response.status_code == 200


def test_products_and_quotes_are_found_by_global_search(org):
    from sencrm.core.search import search

    nen = f.product(org.admin, "NEN-009", "Nến thơm Đà Lạt", 99000)
    quote = f.quote(org.erin, lines=[{"product": nen, "quantity": D(1)}])
    hits = search(org.erin, "nen da lat")
    assert [(h.type, h.title) for h in hits] == [("product", "NEN-009 · Nến thơm Đà Lạt")]
    hits = search(org.erin, quote.number)
    assert [(h.type, h.title) for h in hits] == [("quote", quote.number)]
    assert search(org.mallory, quote.number) == []  # out of scope
    # The catalogue is the company's: every scope finds the administrator's product.
    for user in (org.alice, org.mallory, org.carol, org.viewer):
        assert [h.title for h in search(user, "nen da lat")] == ["NEN-009 · Nến thơm Đà Lạt"], user
    assert search(org.noright, "nen da lat") == []


def test_quote_pages_in_vietnamese(client, org):
    nen = f.product(org.admin)
    quote = f.quote(org.alice, lines=[{"product": nen, "quantity": D("1.5")}])  # 277 500 + 8 % 22 200
    login(client, org.alice, "vi")
    detail = html(client.get(quote.get_absolute_url()))
    assert "299.700\u00a0₫" in detail
    assert "Hai trăm chín mươi chín nghìn bảy trăm đồng" in detail
    form = html(client.get(reverse("sales:quote_edit", args=[quote.pk])))
    assert 'name="line_quantity" value="1,5"' in form  # shown the Vietnamese way, read back the same
    listing = html(client.get(reverse("sales:quote_list")))
    assert quote.number in listing and "299.700\u00a0₫" in listing
    data = _quote_post(
        quote.opportunity,
        [{"product": str(nen.pk), "quantity": "2,5", "unit_price": "180.000"}],
        version=str(quote.version),
    )
    data.pop("opportunity")
    data["account"] = str(quote.account_id)
    assert client.post(reverse("sales:quote_edit", args=[quote.pk]), data).status_code == 302
    line = QuoteLine.objects.get()
    assert (line.quantity, line.unit_price, line.amount) == (D("2.5"), D(180000), D(450000))
