"""Concurrent repeats of one shop request (same Idempotency-Key and body, sent at once from
several threads, as a shop's retry loop may do) create exactly one order; every answer names it."""

import threading

import pytest
from django.db import connection
from django.test import Client

from sencrm.common.testing import make_org
from sencrm.sales.models import IdempotencyKey, Order
from sencrm.sales.tests.test_api import send
from sencrm.sales.tests.test_intake import _body
from sencrm.tests_browser.conftest import _reload_admin_units  # noqa: F401 - an autouse fixture

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_concurrent_repeats_create_one_order():
    org = make_org()
    start = threading.Barrier(THREADS)
    answers: list[tuple[int, int]] = []
    failures: list[BaseException] = []

    def work():
        try:
            client = Client()
            client.force_login(org.alice)
            start.wait()
            response = send(client, "post", "/orders", _body(), **{"Idempotency-Key": "race-1"})
            answers.append((response.status_code, response.json().get("id")))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    order = Order.objects.get()
    assert sorted(answers) == [(201, order.pk)] * THREADS
    assert IdempotencyKey.objects.get().order_id == order.pk
