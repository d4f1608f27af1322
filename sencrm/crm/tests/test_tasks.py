"""Reminders: the periodic Huey task and the ``reminders_send`` service it calls."""

import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext

from sencrm.core.models import Notification
from sencrm.core.services.records import record_create, record_delete, record_update
from sencrm.crm.models import Activity
from sencrm.crm.services.activities import activity_complete, reminders_send
from sencrm.crm.tasks import send_due_reminders

NOW = datetime.datetime(2026, 3, 5, 2, 0, tzinfo=datetime.UTC)  # 09:00 in Hà Nội


def reminder(user, subject="Gọi lại anh Hùng", remind_at=NOW - datetime.timedelta(minutes=1), **extra):
    return record_create(
        Activity,
        by=user,
        data={
            "subject": subject,
            "due_at": NOW + datetime.timedelta(hours=1),
            "remind_at": remind_at,
            **extra,
        },
    )


def expected_text(language: str, subject: str) -> str:
    with translation.override(language):
        return gettext("Reminder: %(subject)s") % {"subject": subject}


def test_a_due_reminder_notifies_the_owner_once_in_their_language(org):
    # given
    org.bob.language = "en"
    org.bob.save()
    alices = reminder(org.alice)
    bobs = reminder(org.bob, "Call Mr Hùng back", owner=org.bob)

    # when
    sent = reminders_send(now=NOW)

    # then
    assert sent == 2
    [to_alice] = Notification.objects.filter(user=org.alice)
    assert to_alice.text == expected_text("vi", "Gọi lại anh Hùng")
    assert to_alice.url == alices.get_absolute_url()
    assert to_alice.read_at is None
    [to_bob] = Notification.objects.filter(user=org.bob)
    assert to_bob.text == expected_text("en", "Call Mr Hùng back") == "Reminder: Call Mr Hùng back"
    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert alices.reminded_at == NOW and bobs.reminded_at == NOW


def test_a_second_run_sends_nothing(org):
    reminder(org.alice)

    assert reminders_send(now=NOW) == 1
    assert reminders_send(now=NOW) == 0
    assert reminders_send(now=NOW + datetime.timedelta(minutes=5)) == 0
    assert Notification.objects.count() == 1


def test_a_reminder_not_yet_due_waits(org):
    activity = reminder(org.alice, remind_at=NOW + datetime.timedelta(minutes=10))

    assert reminders_send(now=NOW) == 0
    assert reminders_send(now=NOW + datetime.timedelta(minutes=10)) == 1
    activity.refresh_from_db()
    assert activity.reminded_at == NOW + datetime.timedelta(minutes=10)


def test_done_and_deleted_activities_are_skipped(org):
    done = reminder(org.alice, "Đã xong")
    activity_complete(activity=done, by=org.alice)
    deleted = reminder(org.alice, "Đã xóa")
    record_delete(deleted, by=org.alice)
    without = record_create(Activity, by=org.alice, data={"subject": "Không nhắc"})

    assert reminders_send(now=NOW) == 0
    assert Notification.objects.count() == 0
    for activity in (done, deleted, without):
        activity.refresh_from_db()
        assert activity.reminded_at is None


def test_a_moved_reminder_fires_again(org):
    activity = reminder(org.alice)
    assert reminders_send(now=NOW) == 1

    # when: the owner moves the reminder to later that day
    later = NOW + datetime.timedelta(hours=3)
    activity = record_update(activity, by=org.alice, data={"remind_at": later})

    # then: it waits for the new time, and fires once more
    assert activity.reminded_at is None
    assert reminders_send(now=NOW + datetime.timedelta(hours=1)) == 0
    assert reminders_send(now=later) == 1
    assert reminders_send(now=later) == 0
    assert Notification.objects.filter(user=org.alice).count() == 2


def test_a_reminder_moved_earlier_does_not_fire_twice(org):
    activity = reminder(org.alice)
    assert reminders_send(now=NOW) == 1

    record_update(activity, by=org.alice, data={"remind_at": NOW - datetime.timedelta(hours=1)})

    assert reminders_send(now=NOW + datetime.timedelta(minutes=1)) == 0


def test_the_periodic_task_sends_due_reminders(org):
    reminder(org.alice, remind_at=timezone.now() - datetime.timedelta(minutes=1))
    reminder(org.alice, "Later", remind_at=timezone.now() + datetime.timedelta(hours=1))

    assert send_due_reminders.call_local() == 1
    assert send_due_reminders.call_local() == 0
    assert Notification.objects.filter(user=org.alice).count() == 1


def test_the_task_is_scheduled_every_minute():
    # Huey's scheduler hands its crontab naive datetimes.
    for hour, minute in ((9, 17), (23, 59), (0, 0)):
        assert send_due_reminders.s().validate_datetime(datetime.datetime(2026, 3, 5, hour, minute))  # noqa: DTZ001


def test_due_reminders_are_found_by_their_own_index(org):
    """Every minute: the query must not depend on planner statistics (a new SQLite database has
    none, and walking every live activity took 28 s at five million)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sencrm.crm.models import Activity

    reminder(org.alice, "Gọi lại")
    with CaptureQueriesContext(connection) as queries:
        assert [a.subject for a in Activity.objects.reminders_due()] == ["Gọi lại"]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + queries.captured_queries[0]["sql"])
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "activity_remind_due_idx" in plan, plan
