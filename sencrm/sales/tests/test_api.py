"""The sales API: CRUD of products, price lists and quotes (lines nested), errors naming the
field, ETag/If-Match, the quote actions and PDF, and who sees what."""

import io
import json
from decimal import Decimal as D

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from sencrm.core.models import AuditEntry, User
from sencrm.crm.models import Opportunity
from sencrm.sales.models import PriceList, Product, Quote, QuoteLine, QuoteRevision
from sencrm.sales.tests import factories as f

API = "/api/v1"


def client_for(user, language: str = "en") -> Client:
    User.objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user)
    return client


def send(client, method: str, path: str, body=None, **headers):
    return getattr(client, method)(
        f"{API}{path}",
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers=headers,
    )


def test_product_crud_and_a_duplicate_code(org):
    admin = client_for(org.admin)
    body = {
        "code": "nen-001",
        "name": "Nến thơm hoa sen",
        "list_price": "185000",
        "vat_rate": "8",
        "unit": "hũ",
    }
    response = send(admin, "post", "/products", body)
    assert response.status_code == 201, response.content
    product = response.json()
    assert (product["code"], product["list_price"], product["vat_rate"], product["currency"]) == (
        "NEN-001",
        "185000.00",
        "8",
        "VND",
    )
    assert response["ETag"] == '"1"'
    response = send(admin, "post", "/products", {**body, "name": "Khác"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"code": ["Another product already has this code."]}
    response = send(admin, "patch", f"/products/{product['id']}", {"active": False}, **{"If-Match": '"1"'})
    assert (response.status_code, response.json()["active"], response["ETag"]) == (200, False, '"2"')
    response = send(admin, "patch", f"/products/{product['id']}", {"name": "X"}, **{"If-Match": '"1"'})
    assert response.status_code == 412
    assert Product.objects.get().name == "Nến thơm hoa sen"
    response = send(admin, "post", "/products", {**body, "code": "X-1", "vat_rate": "7"})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["vat_rate"]
    assert send(admin, "delete", f"/products/{product['id']}").status_code == 204
    # The code is free again once the product is in the Trash.
    assert send(admin, "post", "/products", body).status_code == 201


def test_price_list_with_items(org):
    admin = client_for(org.admin)
    nen = f.product(org.admin)
    body = {
        "name": "Bảng giá đại lý",
        "currency": "VND",
        "items": [{"product": nen.pk, "unit_price": "150000"}],
    }
    response = send(admin, "post", "/price-lists", body)
    assert response.status_code == 201, response.content
    assert response.json()["items"] == [{"product": nen.pk, "unit_price": "150000.00"}]
    pk = response.json()["id"]
    response = send(
        admin, "patch", f"/price-lists/{pk}", {"items": [{"product": nen.pk, "unit_price": "-1"}]}
    )
    assert response.status_code == 422
    assert PriceList.objects.get().items.get().unit_price == D(150000)
    response = send(admin, "patch", f"/price-lists/{pk}", {"items": [{"product": 999999, "unit_price": "1"}]})
    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"items.0.product": ["No such choice, or you may not see it."]},
    )


def _quote_body(opp, product, **extra):
    return {
        "opportunity": opp.pk,
        "quote_date": "2026-11-20",
        "lines": [
            {"product": product.pk, "quantity": "10", "discount_percent": "5"},
            {
                "description": "Phí giao hàng",
                "unit": "chuyến",
                "quantity": "1",
                "unit_price": "30000",
                "vat_rate": "kct",
            },
        ],
        **extra,
    }


def test_quote_create_read_update_and_revision(org):
    alice = client_for(org.alice)
    opp = f.opportunity(org.alice)
    nen = f.product(org.admin)
    response = send(alice, "post", "/quotes", _quote_body(opp, nen))
    assert response.status_code == 201, response.content
    quote = response.json()
    assert (quote["number"], quote["status"], quote["account"], quote["revision"]) == (
        "BG-HN-2026-0001",
        "draft",
        opp.account_id,
        1,
    )
    # 1 757 500 at 8 % (VAT 140 600) + 30 000 not subject = 1 928 100.
    assert quote["vat_groups"] == [
        {"rate": "8", "subtotal": "1757500", "vat": "140600"},
        {"rate": "kct", "subtotal": "30000", "vat": "0"},
    ]
    assert (quote["subtotal"], quote["vat_total"], quote["total"]) == (
        "1787500.00",
        "140600.00",
        "1928100.00",
    )
    assert quote["amount_in_words"] == "Một triệu chín trăm hai mươi tám nghìn một trăm đồng"
    assert [line["amount"] for line in quote["lines"]] == ["1757500.00", "30000.00"]
    pk = quote["id"]
    assert send(alice, "get", f"/quotes/{pk}")["ETag"] == '"1"'

    Quote.objects.filter(pk=pk).update(status="sent")
    response = send(
        alice,
        "patch",
        f"/quotes/{pk}",
        {"lines": [{"product": nen.pk, "quantity": "1"}]},
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["revision"], response.json()["status"], response.json()["total"]) == (
        2,
        "draft",
        "199800.00",
    )
    revisions = send(alice, "get", f"/quotes/{pk}/revisions").json()
    assert [(r["revision"], r["total"]) for r in revisions["results"]] == [(1, "1928100.00")]
    response = send(alice, "patch", f"/quotes/{pk}", {"notes": "x"}, **{"If-Match": '"1"'})
    assert response.status_code == 412
    assert Quote.objects.get().notes == ""


@pytest.mark.parametrize(
    ("line", "errors"),
    [
        ({"quantity": "-2"}, {"lines.0.quantity": ["The quantity must be greater than zero."]}),
        (
            {"quantity": "1", "discount_percent": "150"},
            {"lines.0.discount_percent": ["The discount must be between 0 and 100%."]},
        ),
        (
            {"quantity": "1", "discount_amount": "999999"},
            {"lines.0.discount_amount": ["The discount cannot be more than the line's amount."]},
        ),
    ],
)
def test_bad_lines_answer_422_naming_the_line_field(org, line, errors):
    alice = client_for(org.alice)
    opp, nen = f.opportunity(org.alice), f.product(org.admin)
    response = send(alice, "post", "/quotes", {"opportunity": opp.pk, "lines": [{"product": nen.pk, **line}]})
    assert response.status_code == 422
    assert response.json() == {"detail": "Some fields are not valid.", "errors": errors}
    assert (Quote.objects.count(), QuoteLine.objects.count()) == (0, 0)


def test_bad_input_in_vietnamese(org):
    alice = client_for(org.alice, "vi")
    opp = f.opportunity(org.alice)
    response = send(
        alice, "post", "/quotes", {"opportunity": opp.pk, "lines": [{"product": 424242, "quantity": "1"}]}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Một số trường chưa hợp lệ.",
        "errors": {"lines.0.product": ["Lựa chọn không tồn tại hoặc bạn không có quyền xem."]},
    }


def test_a_price_list_in_another_currency_is_refused(org):
    alice = client_for(org.alice)
    opp, nen = f.opportunity(org.alice), f.product(org.admin)
    usd = f.price_list(org.admin, {nen: 7}, name="Export", currency="USD")
    response = send(alice, "post", "/quotes", _quote_body(opp, nen, price_list=usd.pk))
    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"price_list": ["This price list is in USD but the quote is in VND."]},
    )
    assert Quote.objects.count() == 0


def test_send_accept_and_pdf(org):
    alice = client_for(org.alice)
    opp, nen = f.opportunity(org.alice), f.product(org.admin)
    pk = send(alice, "post", "/quotes", _quote_body(opp, nen)).json()["id"]
    response = send(alice, "post", f"/quotes/{pk}/send", {"to": ["hoa@quatang.vn"], "subject": "Báo giá"})
    assert (response.status_code, response.json()["status"]) == (200, "sent")
    assert [m.attachments[0][0] for m in mail.outbox] == ["BG-HN-2026-0001.pdf"]
    response = send(alice, "post", f"/quotes/{pk}/accept", **{"If-Match": response["ETag"]})
    assert (response.status_code, response.json()["status"]) == (200, "accepted")
    assert Opportunity.objects.get().status == "won"
    response = send(alice, "post", f"/quotes/{pk}/accept")
    assert (response.status_code, list(response.json()["errors"])) == (422, ["status"])
    response = alice.get(f"{API}/quotes/{pk}/pdf")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Nến thơm hoa sen" in text and "BG-HN-2026-0001" in text


# --- who sees what -----------------------------------------------------------------------------------

OWNERS = ("alice", "bob", "carol", "dave", "mallory", "erin")
SEES = {
    "alice": {"alice"},  # own
    "bob": {"alice", "bob"},  # team Hà Nội 1
    "dave": {"dave"},
    "carol": {"alice", "bob", "carol", "dave"},  # branch Hà Nội and Cầu Giấy below it
    "mallory": {"mallory"},
    "erin": set(OWNERS),
    "viewer": {"alice", "bob", "carol", "dave"},
    "noright": None,
}


@pytest.mark.parametrize("persona", list(SEES))
def test_quote_visibility_matrix(org, persona):
    nen = f.product(org.admin)
    quotes = {
        owner: f.quote(getattr(org, owner), lines=[{"product": nen, "quantity": D(1)}]) for owner in OWNERS
    }
    client = client_for(getattr(org, persona))
    response = client.get(f"{API}/quotes?limit=200")
    if SEES[persona] is None:
        assert response.status_code == 403
        assert client.get(f"{API}/quotes/{quotes['alice'].pk}").status_code == 403
        return
    assert {q["number"] for q in response.json()["results"]} == {quotes[o].number for o in SEES[persona]}
    for owner, quote in quotes.items():
        status = client.get(f"{API}/quotes/{quote.pk}").status_code
        assert status == (200 if owner in SEES[persona] else 404), owner
        pdf = client.get(f"{API}/quotes/{quote.pk}/pdf").status_code
        assert pdf == (200 if owner in SEES[persona] else 404), owner
    hidden = [q for o, q in quotes.items() if o not in SEES[persona]]
    before = list(Quote.objects.order_by("pk").values("pk", "version", "status"))
    audits = AuditEntry.objects.filter(entity="sales.quote").count()
    # Out of scope answers 404 like a missing quote; a role without the right answers 403 whatever the id.
    denied = 403 if persona == "viewer" else 404
    for quote in hidden:
        assert send(client, "patch", f"/quotes/{quote.pk}", {"notes": "x"}).status_code == denied
        assert send(client, "post", f"/quotes/{quote.pk}/accept").status_code == denied
        assert send(client, "delete", f"/quotes/{quote.pk}").status_code == denied
    assert list(Quote.objects.order_by("pk").values("pk", "version", "status")) == before
    assert AuditEntry.objects.filter(entity="sales.quote").count() == audits
    assert QuoteRevision.objects.count() == 0


@pytest.mark.parametrize("persona", ["alice", "mallory", "viewer", "noright"])
def test_the_catalogue_is_visible_to_every_role_with_the_right(org, persona):
    nen = f.product(org.admin)
    f.price_list(org.admin, {nen: 1}, name="Chung")
    client = client_for(getattr(org, persona))
    products = client.get(f"{API}/products")
    price_lists = client.get(f"{API}/price-lists")
    if persona == "noright":
        assert (products.status_code, price_lists.status_code) == (403, 403)
        return
    assert [p["code"] for p in products.json()["results"]] == ["NEN-001"]
    assert [p["name"] for p in price_lists.json()["results"]] == ["Chung"]
    # Changing the catalogue still needs the edit right (the viewer role has view only).
    response = send(client, "patch", f"/products/{nen.pk}", {"name": "Đổi"})
    assert response.status_code == (403 if persona == "viewer" else 200)
