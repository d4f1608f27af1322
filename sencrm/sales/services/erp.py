"""The ERP hand-off: every confirmed order, and every change to it afterwards, is POSTed as JSON
to each active ``ErpEndpoint``, signed ``X-Sen-Signature: sha256=<HMAC-SHA256 of the body with
the endpoint's secret>`` and carrying ``X-Sen-Event-Id`` (the receiver drops repeats by it).

Deliveries are rows written in the order's transaction; the first try runs after commit (a Huey
task), later ones from the every-minute sweep with exponential backoff (30 s, 1, 2, 4 … min,
at most ``MAX_ATTEMPTS``). Each try is recorded. A try claims its delivery with a conditional
UPDATE first, so two workers never send one delivery at once.
"""

import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sencrm.sales.models import ErpEndpoint, Order, WebhookAttempt, WebhookDelivery

MAX_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(seconds=30)
#: How long a claimed delivery is left alone by other workers (longer than a request may take).
LEASE = datetime.timedelta(minutes=2)
TIMEOUT_SECONDS = 10


def signature(secret: str, body: bytes) -> str:
    """The ``X-Sen-Signature`` value of ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> datetime.timedelta:
    """Wait before the try after ``attempts`` failed ones: 30 s, 60 s, 120 s, …"""
    return FIRST_RETRY * (2 ** (attempts - 1))


def order_payload(order: Order, *, event: str, event_id: str) -> dict:
    """The order as the ERP gets it (money as decimal strings, dates ISO)."""
    account = order.account
    return {
        "event": event,
        "event_id": event_id,
        "occurred_at": timezone.now().isoformat(),
        "order": {
            "id": order.pk,
            "number": order.number,
            "status": order.status,
            "source": order.source,
            "external_ref": order.external_ref,
            "order_date": order.order_date.isoformat(),
            "currency": order.currency,
            "account": {"id": account.pk, "name": account.name, "tax_code": account.tax_code},
            "contact_id": order.contact_id,
            "buyer": {
                "name": order.buyer_name,
                "tax_code": order.buyer_tax_code,
                "address": order.buyer_address,
                "email": order.buyer_email,
            },
            "shipping_address": order.shipping_address,
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "lines": [
                {
                    "product_code": line.product.code if line.product_id else "",
                    "description": line.description,
                    "unit": line.unit,
                    "quantity": str(line.quantity),
                    "unit_price": str(line.unit_price),
                    "discount_percent": str(line.discount_percent),
                    "discount_amount": str(line.discount_amount),
                    "vat_rate": line.vat_rate,
                    "amount": str(line.amount),
                }
                for line in order.lines.select_related("product").order_by("position", "pk")
            ],
            "subtotal": str(order.subtotal),
            "vat_total": str(order.vat_total),
            "total": str(order.total),
        },
    }


def order_event(order: Order, event: str) -> list[WebhookDelivery]:
    """Queue ``event`` for ``order`` to every active endpoint (call inside the order's transaction:
    the deliveries commit or roll back with the change; the first try starts after commit)."""
    endpoints = list(ErpEndpoint.objects.filter(active=True))
    if not endpoints:
        return []
    order = Order._base_manager.select_related("account").get(pk=order.pk)
    deliveries = []
    now = timezone.now()
    for endpoint in endpoints:
        event_id = str(uuid.uuid4())
        body = json.dumps(order_payload(order, event=event, event_id=event_id), ensure_ascii=False)
        deliveries.append(
            WebhookDelivery.objects.create(
                endpoint=endpoint, event_id=event_id, event=event, order=order, body=body, next_try_at=now
            )
        )
    ids = [d.pk for d in deliveries]

    def start():
        from sencrm.sales.tasks import deliver_webhooks

        deliver_webhooks(ids)

    transaction.on_commit(start)
    return deliveries


def webhook_deliver(delivery_id: int, *, now: datetime.datetime | None = None) -> str | None:
    """Try one due delivery once; returns its status afterwards, or None if it was not due or
    another worker holds it."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_try_at__lte=now
    ).update(next_try_at=now + LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = delivery.body.encode()
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "SenCRM-Webhook/1",
            "X-Sen-Event": delivery.event,
            "X-Sen-Event-Id": str(delivery.event_id),
            "X-Sen-Signature": signature(delivery.endpoint.secret, body),
        },
    )
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - admin-set URL
            code = response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:500]
    attempts = delivery.attempts + 1
    if code is not None and 200 <= code < 300:
        status, next_try = WebhookDelivery.Status.DELIVERED, None
    elif attempts >= MAX_ATTEMPTS:
        status, next_try = WebhookDelivery.Status.FAILED, None
    else:
        status, next_try = WebhookDelivery.Status.PENDING, now + backoff(attempts)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery, attempted_at=now, response_code=code, error=error, next_try_at=next_try
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            attempts=F("attempts") + 1,
            next_try_at=next_try,
            last_response_code=code,
            delivered_at=now if status == WebhookDelivery.Status.DELIVERED else None,
        )
    return status


def webhooks_deliver_due(now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Try every pending delivery whose time has come (the retry sweep). Returns tries made."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_try_at__lte=now)
    tried = 0
    for delivery_id in due.order_by("next_try_at", "pk").values_list("pk", flat=True)[:limit]:
        if webhook_deliver(delivery_id, now=now) is not None:
            tried += 1
    return tried
