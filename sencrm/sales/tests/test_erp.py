"""The ERP hand-off against a real HTTP server on 127.0.0.1: a confirmed order is POSTed with an
HMAC signature and an event id; failures are retried with exponential backoff, every try recorded;
a dead endpoint is given up after MAX_ATTEMPTS. Plus the CSV export of orders."""

import csv
import datetime
import hashlib
import hmac
import io
import json
import socket
import threading
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sencrm.sales.models import ErpEndpoint, WebhookAttempt, WebhookDelivery
from sencrm.sales.services.erp import MAX_ATTEMPTS, webhooks_deliver_due
from sencrm.sales.services.orders import order_create, order_set_status, order_update
from sencrm.sales.tests import factories as f
from sencrm.sales.tests.test_api import client_for, send

SECRET = "s3cret-khóa"


class Receiver:
    """An HTTP server on a free loopback port that answers 500 to the first ``fail`` requests."""

    def __init__(self, fail: int):
        self.fail = fail
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(500 if len(receiver.requests) <= receiver.fail else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/erp/orders"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _order(org):
    return order_create(
        by=org.alice,
        data={"account": f.account(org.alice)},
        lines=[{"description": "Hộp quà Tết", "quantity": D(2), "unit_price": D(250000), "vat_rate": "8"}],
    )


def test_a_confirmed_order_is_signed_sent_and_retried_with_backoff(org, django_capture_on_commit_callbacks):
    with Receiver(fail=2) as erp:
        ErpEndpoint.objects.create(name="MISA", url=erp.url, secret=SECRET)
        order = _order(org)
        assert WebhookDelivery.objects.count() == 0  # a new order is not sent
        with django_capture_on_commit_callbacks(execute=True):
            order = order_set_status(order=order, by=org.alice, status="confirmed")
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, 500)
        first_try = WebhookAttempt.objects.get().attempted_at
        assert delivery.next_try_at - first_try == datetime.timedelta(seconds=30)
        # Not due yet: nothing is sent.
        assert webhooks_deliver_due(first_try + datetime.timedelta(seconds=29)) == 0
        assert webhooks_deliver_due(first_try + datetime.timedelta(seconds=30)) == 1
        second_try = first_try + datetime.timedelta(seconds=30)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.next_try_at - second_try) == (
            "pending",
            datetime.timedelta(seconds=60),
        )
        assert webhooks_deliver_due(second_try + datetime.timedelta(seconds=60)) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_response_code, delivery.next_try_at) == (
            "delivered",
            3,
            200,
            None,
        )
        assert webhooks_deliver_due(second_try + datetime.timedelta(hours=1)) == 0
    attempts = list(WebhookAttempt.objects.order_by("pk").values_list("response_code", "next_try_at"))
    assert [code for code, _ in attempts] == [500, 500, 200] and attempts[-1][1] is None
    assert len(erp.requests) == 3
    bodies = {r["body"] for r in erp.requests}
    assert len(bodies) == 1  # every try sends the same event
    body = bodies.pop()
    for request in erp.requests:
        headers = request["headers"]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Sen-Signature"] == expected
        assert headers["X-Sen-Event-Id"] == str(delivery.event_id)
        assert headers["X-Sen-Event"] == "order.confirmed"
    payload = json.loads(body)
    assert (payload["event"], payload["event_id"], payload["order"]["number"], payload["order"]["total"]) == (
        "order.confirmed",
        str(delivery.event_id),
        order.number,
        "540000.00",
    )
    assert payload["order"]["lines"][0]["description"] == "Hộp quà Tết"


def test_changes_after_confirmation_are_sent_as_updates_and_a_tampered_body_fails_the_check(
    org, django_capture_on_commit_callbacks
):
    with Receiver(fail=0) as erp:
        ErpEndpoint.objects.create(name="ERP", url=erp.url, secret=SECRET)
        ErpEndpoint.objects.create(name="Old", url=erp.url, secret="x", active=False)
        order = _order(org)
        with django_capture_on_commit_callbacks(execute=True):
            order = order_set_status(order=order, by=org.alice, status="confirmed")
        with django_capture_on_commit_callbacks(execute=True):
            order = order_update(order=order, by=org.alice, data={"notes": "Giao trước Tết"})
        with django_capture_on_commit_callbacks(execute=True):
            order_update(order=order, by=org.alice, data={"notes": "Giao trước Tết"})  # no change
        with django_capture_on_commit_callbacks(execute=True):
            order_set_status(order=order, by=org.alice, status="shipped", carrier="ghn", tracking_number="G1")
    assert [r["headers"]["X-Sen-Event"] for r in erp.requests] == [
        "order.confirmed",
        "order.updated",
        "order.updated",
    ]
    assert list(WebhookDelivery.objects.values_list("status", flat=True).distinct()) == ["delivered"]
    last = erp.requests[-1]
    assert json.loads(last["body"])["order"]["tracking_number"] == "G1"
    tampered = last["body"].replace(b"G1", b"G2")
    assert (
        "sha256=" + hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest()
        != last["headers"]["X-Sen-Signature"]
    )


def test_an_order_cancelled_before_confirmation_is_never_sent(org, django_capture_on_commit_callbacks):
    ErpEndpoint.objects.create(name="ERP", url="http://127.0.0.1:9/", secret=SECRET)
    order = _order(org)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_update(order=order, by=org.alice, data={"notes": "Khách đổi ý"})
    with django_capture_on_commit_callbacks(execute=True):
        order_set_status(order=order, by=org.alice, status="cancelled")
    assert WebhookDelivery.objects.count() == 0


def test_a_dead_endpoint_is_given_up_after_the_last_attempt(org, django_capture_on_commit_callbacks):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ErpEndpoint.objects.create(name="Down", url=f"http://127.0.0.1:{port}/", secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        order_set_status(order=_order(org), by=org.alice, status="confirmed")
    delivery = WebhookDelivery.objects.get()
    for _ in range(MAX_ATTEMPTS + 2):
        delivery.refresh_from_db()
        if delivery.next_try_at is None:
            break
        webhooks_deliver_due(delivery.next_try_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    attempts = list(WebhookAttempt.objects.order_by("pk"))
    assert len(attempts) == MAX_ATTEMPTS
    assert all(a.response_code is None and a.error for a in attempts)
    gaps = [
        (b.attempted_at - a.attempted_at).total_seconds()
        for a, b in zip(attempts, attempts[1:], strict=False)
    ]
    assert gaps == [30 * 2**n for n in range(MAX_ATTEMPTS - 1)]


def test_endpoints_are_managed_by_administrators_only(org):
    admin = client_for(org.admin)
    response = send(
        admin,
        "post",
        "/erp-endpoints",
        {"name": "MISA", "url": "https://erp.example.vn/hook", "secret": "abc-12345"},
    )
    assert response.status_code == 201, response.content
    assert "secret" not in response.json()
    assert send(client_for(org.erin), "get", "/erp-endpoints").status_code == 403
    assert (
        send(
            client_for(org.erin),
            "post",
            "/erp-endpoints",
            {"name": "x", "url": "https://x.vn", "secret": "y-1234567"},
        ).status_code
        == 403
    )
    assert ErpEndpoint.objects.count() == 1


def test_orders_export_as_csv_within_scope(client, org):
    mine = _order(org)
    order_create(
        by=org.mallory,
        data={"account": f.account(org.mallory, name="Công ty Sài Gòn")},
        lines=[{"description": "x", "quantity": D(1), "unit_price": D(1)}],
    )
    response = send(client_for(org.alice), "get", "/orders/export")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["number", "order_date", "status", "account"]
    assert [row[0] for row in rows[1:]] == [mine.number]
    assert rows[1][3] == "Công ty TNHH Quà Tặng Việt" and rows[1][-1] == "540000.00"
