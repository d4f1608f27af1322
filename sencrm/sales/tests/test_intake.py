"""The orders API and a shop's order intake: Idempotency-Key (same key and body → one order;
another body → 409), customers found by email/phone or created, status actions, and who sees what."""

from decimal import Decimal as D

import pytest

from sencrm.crm.models import Account, Contact
from sencrm.sales.models import IdempotencyKey, Order, OrderLine
from sencrm.sales.tests import factories as f
from sencrm.sales.tests.test_api import client_for, send


def _body(**extra):
    return {
        "external_ref": "SHOP-1001",
        "customer": {"email": "lan.pham@gmail.com", "phone": "0912 345 678", "name": "Phạm Thị Lan"},
        "lines": [{"description": "Hộp quà Tết", "quantity": "2", "unit_price": "250000", "vat_rate": "8"}],
        **extra,
    }


def test_the_same_key_and_body_twice_makes_one_order_and_answers_it_again(org):
    shop = client_for(org.alice)
    first = send(shop, "post", "/orders", _body(), **{"Idempotency-Key": "shop-1001"})
    assert first.status_code == 201, first.content
    order = first.json()
    # 2 × 250 000 = 500 000; VAT 8 % = 40 000.
    assert (order["number"], order["source"], order["status"], order["total"]) == (
        order["number"],
        "api",
        "new",
        "540000.00",
    )
    assert order["amount_in_words"] == "Năm trăm bốn mươi nghìn đồng"
    again = send(shop, "post", "/orders", _body(), **{"Idempotency-Key": "shop-1001"})
    assert (again.status_code, again.json()["id"], again["Idempotent-Replayed"]) == (201, order["id"], "true")
    assert (Order.objects.count(), OrderLine.objects.count(), Contact.objects.count()) == (1, 1, 1)
    contact = Contact.objects.get()
    assert (contact.full_name, contact.email, contact.mobile) == (
        "Phạm Thị Lan",
        "lan.pham@gmail.com",
        "+84912345678",
    )
    assert (order["contact"], order["account"]) == (contact.pk, contact.account_id)
    # The key is kept hashed, never as sent.
    assert IdempotencyKey.objects.get().key_hash != "shop-1001"
    assert not IdempotencyKey.objects.filter(key_hash__contains="shop").exists()


def test_the_same_key_with_another_body_is_refused_with_409(org):
    shop = client_for(org.alice)
    assert send(shop, "post", "/orders", _body(), **{"Idempotency-Key": "k1"}).status_code == 201
    other = send(shop, "post", "/orders", _body(external_ref="SHOP-1002"), **{"Idempotency-Key": "k1"})
    assert other.status_code == 409
    assert other.json() == {
        "detail": "This Idempotency-Key was already used with a different request body.",
        "errors": {"Idempotency-Key": ["Use a new key for a different order."]},
    }
    assert Order.objects.count() == 1
    # Keys are per user: another user's identical key is a new request.
    assert (
        send(client_for(org.bob), "post", "/orders", _body(), **{"Idempotency-Key": "k1"}).status_code == 201
    )
    assert Order.objects.count() == 2


def test_a_refused_request_leaves_no_key_so_the_corrected_one_goes_through(org):
    shop = client_for(org.alice)
    bad = _body(lines=[{"description": "Hộp quà", "quantity": "-1", "unit_price": "1000"}])
    response = send(shop, "post", "/orders", bad, **{"Idempotency-Key": "k2"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"lines.0.quantity": ["The quantity must be greater than zero."]}
    assert (Order.objects.count(), Contact.objects.count(), Account.objects.count()) == (0, 0, 0)
    assert IdempotencyKey.objects.count() == 0
    assert send(shop, "post", "/orders", _body(), **{"Idempotency-Key": "k2"}).status_code == 201


def test_a_known_customer_is_found_by_phone_or_email_not_created_again(org):
    acct = f.account(org.alice)
    person = f.contact(org.alice, acct)  # hoa@quatang.vn
    shop = client_for(org.alice)
    body = _body(customer={"email": "HOA@quatang.vn", "name": "Lê Thị Hoa"})
    response = send(shop, "post", "/orders", body, **{"Idempotency-Key": "k3"})
    assert response.status_code == 201, response.content
    assert (response.json()["account"], response.json()["contact"]) == (acct.pk, person.pk)
    assert (Contact.objects.count(), Account.objects.count()) == (1, 1)
    # Someone out of alice's scope is not matched (a new contact is made instead of leaking one).
    other = f.contact(org.mallory, f.account(org.mallory, name="Công ty Sài Gòn"), name="Trần Văn Nam")
    Contact.objects.filter(pk=other.pk).update(mobile="+84987654321")
    body = _body(customer={"phone": "0987654321", "name": "Trần Văn Nam"})
    response = send(shop, "post", "/orders", body, **{"Idempotency-Key": "k4"})
    assert response.status_code == 201
    assert response.json()["contact"] not in (other.pk, None)


def test_a_company_customer_gets_its_account_by_tax_code(org):
    acct = f.account(org.alice)  # tax code 0101248141
    shop = client_for(org.alice)
    body = _body(
        customer={
            "email": "new@quatang.vn",
            "name": "Ngô Văn Tú",
            "company": "Quà Tặng Việt",
            "tax_code": "0101248141",
        }
    )
    response = send(shop, "post", "/orders", body)
    assert response.status_code == 201, response.content
    assert response.json()["account"] == acct.pk
    assert Contact.objects.get(pk=response.json()["contact"]).account_id == acct.pk


def test_bad_input_names_the_field_in_english_and_vietnamese(org):
    nen = f.product(org.admin, active=False)
    shop = client_for(org.alice)
    cases = [
        (_body(customer=None), "account", "Give an account id or the customer's email or phone."),
        (_body(customer={"name": "Lan"}), "customer.email", "Give the customer's email or phone."),
        (
            _body(
                lines=[{"description": "x", "quantity": "1", "unit_price": "1000", "discount_percent": "120"}]
            ),
            "lines.0.discount_percent",
            "The discount must be between 0 and 100%.",
        ),
        (
            _body(lines=[{"product": nen.pk, "quantity": "1"}]),
            "lines.0.product",
            "This product is inactive and cannot be ordered.",
        ),
    ]
    vi = client_for(org.bob, "vi")
    for body, field, english in cases:
        response = send(shop, "post", "/orders", body)
        assert (response.status_code, response.json()["errors"]) == (422, {field: [english]}), body
        response = send(vi, "post", "/orders", body)
        assert response.status_code == 422 and list(response.json()["errors"]) == [field]
        if field.startswith("lines.0.discount"):  # part A's message, already in the catalogue
            assert response.json()["errors"][field] == ["Chiết khấu phải từ 0 đến 100%."]
    assert (Order.objects.count(), Contact.objects.count(), Account.objects.count()) == (0, 0, 0)


def test_status_action_with_tracking_and_etag(org):
    shop = client_for(org.alice)
    order = send(shop, "post", "/orders", _body()).json()
    response = send(shop, "post", f"/orders/{order['id']}/status", {"status": "shipped"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"status": ["An order that is new cannot become shipped."]}
    response = send(
        shop, "post", f"/orders/{order['id']}/status", {"status": "confirmed"}, **{"If-Match": '"1"'}
    )
    assert (response.status_code, response["ETag"]) == (200, '"2"')
    response = send(
        shop, "post", f"/orders/{order['id']}/status", {"status": "shipped"}, **{"If-Match": '"1"'}
    )
    assert response.status_code == 412
    response = send(
        shop,
        "post",
        f"/orders/{order['id']}/status",
        {"status": "shipped", "carrier": "ghtk", "tracking_number": "S123.456"},
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["tracking_url"]) == (
        "shipped",
        "https://i.ghtk.vn/S123.456",
    )
    response = send(
        shop,
        "patch",
        f"/orders/{order['id']}",
        {"lines": [{"description": "y", "quantity": "1", "unit_price": "5"}]},
    )
    assert response.status_code == 422
    assert Order.objects.get().total == D(540000)


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("alice", True), ("bob", True), ("carol", True), ("erin", True), ("dave", False), ("mallory", False)],
)
def test_who_sees_an_order_of_alice(org, persona, sees):
    order = send(client_for(org.alice), "post", "/orders", _body()).json()
    client = client_for(getattr(org, persona))
    response = send(client, "get", f"/orders/{order['id']}")
    assert response.status_code == (200 if sees else 404)
    listed = [row["id"] for row in send(client, "get", "/orders").json()["results"]]
    assert listed == ([order["id"]] if sees else [])
    response = send(client, "post", f"/orders/{order['id']}/status", {"status": "cancelled"})
    assert response.status_code == (200 if sees else 404)
    assert Order.objects.get().status == ("cancelled" if sees else "new")


def test_a_role_without_the_create_right_gets_403(org):
    response = send(client_for(org.viewer), "post", "/orders", _body(), **{"Idempotency-Key": "v"})
    assert response.status_code == 403
    assert (Order.objects.count(), IdempotencyKey.objects.count()) == (0, 0)


def test_openapi_documents_the_idempotent_create_once(org):
    schema = send(client_for(org.alice), "get", "/openapi.json").json()
    post = schema["paths"]["/api/v1/orders"]["post"]
    assert post["operationId"] == "orders_create"
    assert "Idempotency-Key" in post["description"]
    ids = [
        op["operationId"] for path in schema["paths"].values() for op in path.values() if "operationId" in op
    ]
    assert ids.count("orders_create") == 1


def test_a_known_person_buying_for_another_company_is_not_attached_to_it(org):
    acct = f.account(org.alice)
    f.contact(org.alice, acct)  # hoa@quatang.vn works for Quà Tặng Việt
    body = _body(customer={"email": "hoa@quatang.vn", "name": "Lê Thị Hoa", "company": "Công ty Minh An"})
    response = send(client_for(org.alice), "post", "/orders", body)
    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert (order.account.name, order.contact_id) == ("Công ty Minh An", None)
    assert (Account.objects.count(), Contact.objects.count()) == (2, 1)
