"""The home page: my activities, my open deals by stage, recently viewed records, notifications."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from sencrm.core.models import Notification, RecentView
from sencrm.core.services.notifications import notification_send, recent_view_record
from sencrm.core.services.records import record_create, record_delete
from sencrm.crm.models import Account, Activity, Opportunity, Stage
from sencrm.crm.services.activities import activities_due_for
from sencrm.crm.services.opportunities import default_pipeline, opportunity_create, opportunity_move

BACKEND = "django.contrib.auth.backends.ModelBackend"
HTMX = {"HTTP_HX_REQUEST": "true"}
VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def login(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def task(user, subject, due_at, **extra):
    return record_create(Activity, by=user, data={"subject": subject, "due_at": due_at, **extra})


def later_today(now=None):
    """A moment between now and the end of today in Hà Nội."""
    now = now or timezone.now()
    local = timezone.localtime(now, VN)
    end = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), datetime.time(), VN)
    return now + (end - now) / 2


def stage(position):
    return Stage.objects.get(pipeline=default_pipeline(), position=position)


# --- activities -----------------------------------------------------------------------------------


def test_it_splits_overdue_and_today_in_the_users_time_zone(org):
    # given: 16:30 UTC on 5 March = 23:30 in Hà Nội; the user's day ends at 17:00 UTC.
    now = datetime.datetime(2026, 3, 5, 16, 30, tzinfo=datetime.UTC)
    overdue = task(org.alice, "Gọi lại anh Hùng", now - datetime.timedelta(days=2))
    earlier = task(org.alice, "Gửi báo giá", now - datetime.timedelta(hours=1))
    tonight = task(org.alice, "Nhắn Zalo", now + datetime.timedelta(minutes=20))
    task(org.alice, "Tomorrow in Hà Nội", now + datetime.timedelta(minutes=40))
    task(org.alice, "No due date", None)
    done = task(org.alice, "Đã xong", now - datetime.timedelta(hours=3))
    done.done = True
    done.save()
    task(org.bob, "Bob's task", now - datetime.timedelta(hours=1), owner=org.bob)

    # when
    got_overdue, got_today = activities_due_for(user=org.alice, now=now)

    # then
    assert got_overdue == [overdue, earlier]
    assert got_today == [tonight]


def test_it_uses_the_users_own_time_zone(org):
    # given: 16:30 UTC = 23:30 in Hà Nội but 16:30 in London; a task due 40 minutes later.
    now = datetime.datetime(2026, 3, 5, 16, 30, tzinfo=datetime.UTC)
    soon = task(org.alice, "Sáng sớm", now + datetime.timedelta(minutes=40))

    # then: tomorrow for a user in Hà Nội, today for one in London.
    assert activities_due_for(user=org.alice, now=now) == ([], [])
    org.alice.time_zone = "Europe/London"
    assert activities_due_for(user=org.alice, now=now) == ([], [soon])


def test_it_shows_my_overdue_and_todays_activities(client, org):
    now = timezone.now()
    task(org.alice, "Gọi lại anh Hùng", now - datetime.timedelta(days=1))
    task(org.alice, "Gửi báo giá Hoa Sen", later_today(now))
    task(org.alice, "Next week", now + datetime.timedelta(days=7))
    task(org.bob, "Bob's overdue", now - datetime.timedelta(days=1), owner=org.bob)

    response = login(client, org.alice).get(reverse("crm:home"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Gọi lại anh Hùng" in body
    assert "Gửi báo giá Hoa Sen" in body
    assert "Next week" not in body
    assert "Bob&#x27;s overdue" not in body and "Bob's overdue" not in body
    assert body.count('data-testid="home-task"') == 2


def test_it_marks_an_activity_done(client, org):
    activity = task(org.alice, "Gọi lại anh Hùng", timezone.now() - datetime.timedelta(hours=1))

    response = login(client, org.alice).post(
        reverse("crm:home_task_done", args=[activity.pk]), {"version": activity.version}, **HTMX
    )

    assert response.status_code == 200
    activity.refresh_from_db()
    assert activity.done is True
    assert activity.done_at is not None
    assert activity.version == 2
    assert 'data-testid="home-task"' not in response.content.decode()


def test_it_refuses_to_complete_a_stale_activity(client, org):
    activity = task(org.alice, "Gọi lại anh Hùng", timezone.now() - datetime.timedelta(hours=1))

    response = login(client, org.alice).post(
        reverse("crm:home_task_done", args=[activity.pk]), {"version": activity.version + 1}, **HTMX
    )

    assert response.status_code == 409
    assert response.context["task_error"]
    activity.refresh_from_db()
    assert activity.done is False
    assert activity.version == 1


def test_it_hides_others_activities_from_the_done_button(client, org):
    activity = task(org.alice, "Gọi lại anh Hùng", timezone.now() - datetime.timedelta(hours=1))

    for user in (org.mallory, org.viewer):
        response = login(client, user).post(
            reverse("crm:home_task_done", args=[activity.pk]), {"version": 1}, **HTMX
        )
        assert response.status_code == 404

    activity.refresh_from_db()
    assert (activity.done, activity.version) == (False, 1)


def test_it_redirects_a_plain_form_post_home(client, org):
    activity = task(org.alice, "Gọi lại anh Hùng", timezone.now() - datetime.timedelta(hours=1))

    response = login(client, org.alice).post(
        reverse("crm:home_task_done", args=[activity.pk]), {"version": 1}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("crm:home")
    activity.refresh_from_db()
    assert activity.done is True


# --- opportunities by stage -----------------------------------------------------------------------


def test_it_totals_my_open_opportunities_by_stage(client, org):
    pipeline = default_pipeline()
    first, third = stage(0), stage(2)
    opportunity_create(by=org.alice, data={"name": "Hoa Sen 1", "amount": 1_000_000, "stage": first})
    opportunity_create(by=org.alice, data={"name": "Hoa Sen 2", "amount": 250_000, "stage": first})
    opportunity_create(by=org.alice, data={"name": "Hoa Sen 3", "amount": 7_000_000, "stage": third})
    won = opportunity_create(by=org.alice, data={"name": "Won", "amount": 9_000_000, "stage": first})
    opportunity_move(opportunity=won, stage=stage(5), by=org.alice)
    opportunity_create(by=org.bob, data={"name": "Bob's", "amount": 5_000_000, "stage": first})
    assert pipeline.pk == first.pipeline_id

    response = login(client, org.alice).get(reverse("crm:home"))

    body = response.content.decode()
    rows = response.context["stages"]
    assert [(r.stage_name, r.totals.count, r.totals.amounts) for r in rows] == [
        ("Tìm kiếm khách hàng", 2, [("VND", 1_250_000)]),
        ("Đánh giá", 1, [("VND", 7_000_000)]),
    ]
    assert "1.250.000\xa0₫" in body
    assert "7.000.000\xa0₫" in body
    assert "9.000.000" not in body
    assert "5.000.000" not in body


def test_it_keeps_other_currencies_apart(client, org):
    first = stage(0)
    opportunity_create(by=org.alice, data={"name": "VND", "amount": 1_000_000, "stage": first})
    opportunity_create(by=org.alice, data={"name": "USD", "amount": 3_000, "currency": "USD", "stage": first})

    response = login(client, org.alice).get(reverse("crm:home"))

    [row] = response.context["stages"]
    assert (row.totals.count, row.totals.amounts) == (2, [("VND", 1_000_000), ("USD", 3_000)])
    assert "1.000.000\xa0₫ + 3.000 USD" in response.content.decode()


# --- recently viewed and notifications ------------------------------------------------------------


def test_it_lists_recently_viewed_records_i_may_still_see(client, org):
    mine = record_create(Account, by=org.alice, data={"name": "Công ty Hoa Sen"})
    gone = record_create(Account, by=org.alice, data={"name": "Công ty Đã Xóa"})
    deal = opportunity_create(by=org.alice, data={"name": "Cơ hội Sen Vàng"})
    theirs = record_create(Account, by=org.mallory, data={"name": "Công ty Sài Gòn"})
    for record in (mine, gone, deal, theirs):
        RecentView.objects.create(
            user=org.alice,
            entity=record._meta.label_lower,
            object_id=record.pk,
            title=str(record),
            url=f"/x/{record.pk}/",
        )
    record_delete(gone, by=org.alice)

    response = login(client, org.alice).get(reverse("crm:home"))

    titles = {v.title for v in response.context["recent"]}
    assert titles == {"Công ty Hoa Sen", "Cơ hội Sen Vàng"}


def test_it_lists_recent_views_newest_first(client, org):
    first = record_create(Account, by=org.alice, data={"name": "Công ty Một"})
    second = record_create(Account, by=org.alice, data={"name": "Công ty Hai"})
    try:
        recent_view_record(user=org.alice, instance=first)
        recent_view_record(user=org.alice, instance=second)
    except Exception:  # the detail pages' urls may not be there yet
        for i, record in enumerate((first, second)):
            RecentView.objects.create(
                user=org.alice,
                entity="crm.account",
                object_id=record.pk,
                title=str(record),
                url="/",
                viewed_at=timezone.now() + datetime.timedelta(seconds=i),
            )

    response = login(client, org.alice).get(reverse("crm:home"))

    assert [v.title for v in response.context["recent"]] == ["Công ty Hai", "Công ty Một"]


def test_it_shows_unread_notifications_first_and_marks_them_read(client, org):
    old_unread = notification_send(user=org.alice, text="Nhắc việc: gọi anh Hùng")
    read = notification_send(user=org.alice, text="Đã đọc")
    read.read_at = timezone.now()
    read.save()
    new_unread = notification_send(user=org.alice, text="Nhắc việc: gửi báo giá")
    notification_send(user=org.bob, text="Của Bình")
    Notification.objects.filter(pk=old_unread.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    Notification.objects.filter(pk=read.pk).update(created_at=timezone.now() + datetime.timedelta(hours=1))
    login(client, org.alice)

    response = client.get(reverse("crm:home"))
    assert [n.pk for n in response.context["notifications"]] == [new_unread.pk, old_unread.pk, read.pk]
    assert "Của Bình" not in response.content.decode()

    response = client.post(reverse("crm:home_notifications_read"), {"id": new_unread.pk}, **HTMX)
    assert response.status_code == 200
    assert Notification.objects.filter(user=org.alice, read_at__isnull=True).get() == old_unread
    assert response.content.decode().count('data-unread="1"') == 1

    response = client.post(reverse("crm:home_notifications_read"), **HTMX)
    assert Notification.objects.filter(user=org.alice, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=org.bob, read_at__isnull=True).count() == 1
    assert 'data-unread="1"' not in response.content.decode()


def test_it_cannot_mark_someone_elses_notification(client, org):
    theirs = notification_send(user=org.bob, text="Của Bình")

    login(client, org.alice).post(reverse("crm:home_notifications_read"), {"id": theirs.pk}, **HTMX)

    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_needs_a_login(client):
    response = client.get(reverse("crm:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- query budget ---------------------------------------------------------------------------------


def _fill(org, n: int) -> None:
    now = timezone.now()
    account = record_create(Account, by=org.alice, data={"name": f"Công ty {n}"})
    for i in range(n):
        task(org.alice, f"Quá hạn {i}", now - datetime.timedelta(hours=i + 1), account=account)
        task(org.alice, f"Hôm nay {i}", later_today(now))
        opportunity_create(
            by=org.alice, data={"name": f"Cơ hội {n}-{i}", "amount": 1_000_000, "stage": stage(i % 3)}
        )
        notification_send(user=org.alice, text=f"Thông báo {i}")
    RecentView.objects.create(
        user=org.alice, entity="crm.account", object_id=account.pk, title=str(account), url="/"
    )
    opp = Opportunity.objects.filter(owner=org.alice).first()
    RecentView.objects.create(user=org.alice, entity="crm.opportunity", object_id=opp.pk, title="o", url="/")


# Session, user, role; unread count (menu); overdue, today, deals by stage, recent views,
# their visibility (one UNION), notifications; issue 5: the user's running targets (none here).
HOME_QUERIES = 11


@pytest.mark.parametrize("n", [1, 8])
def test_the_home_page_query_count_does_not_grow_with_rows(client, org, django_assert_num_queries, n):
    _fill(org, n)
    login(client, org.alice)

    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("crm:home"))

    assert response.status_code == 200
    assert len(response.context["overdue"]) == n
    assert len(response.context["recent"]) == 2
