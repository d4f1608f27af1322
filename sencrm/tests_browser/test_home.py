"""The home page in a real browser: completing an activity and reading notifications (htmx)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sencrm.common.testing import make_org
from sencrm.core.models import Notification
from sencrm.core.services.notifications import notification_send
from sencrm.core.services.records import record_create
from sencrm.crm.models import Activity

from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_completes_a_task_and_reads_her_notifications(page, live_server):
    org = make_org()
    overdue = record_create(
        Activity,
        by=org.alice,
        data={"subject": "Gọi lại anh Hùng", "due_at": timezone.now() - datetime.timedelta(hours=2)},
    )
    notification_send(user=org.alice, text="Nhắc việc: Gọi lại anh Hùng")
    notification_send(user=org.alice, text="Cơ hội mới được giao")

    log_in(page, org.alice)
    page.goto(reverse("crm:home"))
    tasks = page.get_by_test_id("home-tasks")
    assert tasks.get_by_test_id("home-task").count() == 1

    tasks.get_by_test_id("home-task-done").click()
    page.get_by_test_id("home-tasks-empty").wait_for()
    overdue.refresh_from_db()
    assert overdue.done is True

    notifications = page.get_by_test_id("home-notifications")
    assert notifications.locator('[data-unread="1"]').count() == 2
    notifications.get_by_test_id("home-notification-read").first.click()
    page.wait_for_function("() => document.querySelectorAll('[data-unread=\"1\"]').length === 1")
    page.get_by_test_id("home-read-all").click()
    page.wait_for_function("() => document.querySelectorAll('[data-unread=\"1\"]').length === 0")
    assert Notification.objects.filter(user=org.alice, read_at__isnull=True).count() == 0
