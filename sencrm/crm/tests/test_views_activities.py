"""Activity pages: kind-specific form, prefilled links, "mark done", the when-filter."""

import datetime

from django.utils import timezone

from sencrm.crm.models import Activity
from sencrm.crm.tests.views_support import login, make, row_pks, url


def test_create_is_prefilled_from_the_record_it_was_started_on(client, org):
    account = make("account", org.alice, "Công ty A")
    login(client, org.alice)
    response = client.get(url("activity", "create"), {"account": account.pk, "kind": "call"})
    form = response.context["form"]
    assert form["account"].value() == account.pk and form["kind"].value() == "call"
    assert "x-data=\"{ kind: 'call' }\"" in response.content.decode()


def test_a_call_keeps_its_call_fields_and_a_task_drops_them(client, org):
    account = make("account", org.alice, "Công ty A")
    login(client, org.alice)
    call = {
        "kind": "call", "subject": "Gọi chào hàng", "priority": "normal", "direction": "out",
        "call_duration": "7", "call_result": "reached", "done": "on", "outcome": "Hẹn gặp",
        "account": account.pk,
    }  # fmt: skip
    assert client.post(url("activity", "create"), call).status_code == 302
    saved = Activity.objects.get()
    assert (saved.direction, saved.call_duration, saved.call_result, saved.done) == (
        "out",
        7,
        "reached",
        True,
    )
    assert saved.account == account

    task = {**call, "kind": "task", "subject": "Gửi báo giá"}
    assert client.post(url("activity", "create"), task).status_code == 302
    saved = Activity.objects.get(subject="Gửi báo giá")
    assert (saved.direction, saved.call_duration, saved.call_result, saved.outcome) == ("", None, "", "")


def test_mark_done_with_htmx_swaps_the_button(client, org):
    contact = make("contact", org.alice, "Lan")
    activity = make("activity", org.alice, "Gọi Lan", kind="call", contact=contact)
    login(client, org.alice)

    listed = client.get(url("activity", "list")).content.decode()
    response = client.post(url("activity", "complete", activity.pk), HTTP_HX_REQUEST="true")

    assert 'data-testid="mark-done"' in listed
    assert response.status_code == 200 and 'data-testid="done-badge"' in response.content.decode()
    activity.refresh_from_db()
    contact.refresh_from_db()
    assert activity.done and activity.done_at is not None
    assert contact.last_contacted_at == activity.done_at


def test_mark_done_without_htmx_redirects(client, org):
    activity = make("activity", org.alice, "Việc")
    login(client, org.alice)
    response = client.post(url("activity", "complete", activity.pk))
    assert response.status_code == 302 and response.url == activity.get_absolute_url()
    assert Activity.objects.get().done


def test_mark_done_needs_scope_and_right(client, org):
    activity = make("activity", org.alice, "Việc")
    login(client, org.mallory)
    assert client.post(url("activity", "complete", activity.pk)).status_code == 404
    login(client, org.viewer)
    assert client.post(url("activity", "complete", activity.pk)).status_code == 403
    assert client.get(url("activity", "complete", activity.pk)).status_code in (403, 405)
    assert not Activity.objects.get().done


def test_when_filter_overdue_today_upcoming_done(client, org):
    now = timezone.localtime()
    today_noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    overdue = make("activity", org.erin, "Quá hạn", due_at=now - datetime.timedelta(days=2))
    today = make("activity", org.erin, "Hôm nay", kind="meeting", start_at=today_noon)
    upcoming = make("activity", org.erin, "Sắp tới", due_at=now + datetime.timedelta(days=3))
    done = make("activity", org.erin, "Xong", due_at=now - datetime.timedelta(days=1), done=True)
    login(client, org.erin)
    get = lambda value: row_pks(client.get(url("activity", "list"), {"state": value}))  # noqa: E731
    assert get("overdue") == [overdue.pk]
    assert get("today") == [today.pk]
    assert get("upcoming") == [upcoming.pk]
    assert get("done") == [done.pk]
    assert sorted(get("")) == sorted([overdue.pk, today.pk, upcoming.pk, done.pk])


def test_detail_links_the_related_records(client, org):
    account = make("account", org.alice, "Công ty A")
    activity = make("activity", org.alice, "Họp", kind="meeting", account=account)
    login(client, org.alice)
    html = client.get(url("activity", "detail", activity.pk)).content.decode()
    assert f'href="{account.get_absolute_url()}"' in html and 'data-testid="mark-done"' in html
