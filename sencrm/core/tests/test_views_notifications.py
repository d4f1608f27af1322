"""The notifications page: newest first, unread highlighted, mark one or all as read."""

import datetime

from django.urls import reverse
from django.utils import timezone

from sencrm.core.models import Notification
from sencrm.core.services.notifications import notification_send


def make(user, text, minutes_ago, url=""):
    n = notification_send(user=user, text=text, url=url)
    Notification.objects.filter(pk=n.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return n


def test_list_shows_own_notifications_newest_first(client, org):
    old = make(org.alice, "Cũ", 60)
    new = make(org.alice, "Mới", 1, url="/trash/")
    make(org.bob, "Của Bình", 0)
    client.force_login(org.alice)
    response = client.get(reverse("notification_list"))
    assert response.status_code == 200
    assert [n.pk for n in response.context["page"]] == [new.pk, old.pk]
    content = response.content.decode()
    assert "Của Bình" not in content
    assert content.count("sen-unread") == 3  # the style rule and both rows
    assert reverse("notification_open", args=[new.pk]) in content


def test_mark_one_read_with_htmx_returns_the_row_and_the_bell(client, org):
    n = make(org.alice, "Nhắc việc", 5)
    other = make(org.alice, "Khác", 6)
    client.force_login(org.alice)
    response = client.post(reverse("notification_read", args=[n.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="notification-{n.pk}"' in content
    assert 'data-unread="0"' in content
    assert "hx-swap-oob" in content
    n.refresh_from_db()
    other.refresh_from_db()
    assert n.read_at is not None
    assert other.read_at is None


def test_mark_someone_elses_notification_is_404(client, org):
    n = make(org.bob, "Của Bình", 5)
    client.force_login(org.alice)
    assert client.post(reverse("notification_read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read(client, org):
    mine = [make(org.alice, f"Việc {i}", i) for i in range(3)]
    bobs = make(org.bob, "Của Bình", 1)
    client.force_login(org.alice)
    response = client.post(reverse("notification_read_all"))
    assert response.status_code == 302
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    bobs.refresh_from_db()
    assert bobs.read_at is None
    assert client.get(reverse("notification_list")).context["unread_notifications"] == 0


def test_mark_read_needs_post(client, org):
    n = make(org.alice, "Nhắc việc", 5)
    client.force_login(org.alice)
    assert client.get(reverse("notification_read", args=[n.pk])).status_code == 405
    assert client.get(reverse("notification_read_all")).status_code == 405


def test_open_marks_read_and_follows_only_local_links(client, org):
    local = make(org.alice, "Cơ hội mới", 1, url="/trash/")
    foreign = make(org.alice, "Lừa đảo", 1, url="https://evil.example/phish")
    client.force_login(org.alice)
    response = client.get(reverse("notification_open", args=[local.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/trash/"
    local.refresh_from_db()
    assert local.read_at is not None
    response = client.get(reverse("notification_open", args=[foreign.pk]))
    assert response["Location"] == reverse("notification_list")


def test_unread_filter(client, org):
    read = make(org.alice, "Đã đọc", 2)
    unread = make(org.alice, "Chưa đọc", 1)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    client.force_login(org.alice)
    response = client.get(reverse("notification_list"), {"unread": "1"})
    assert [n.pk for n in response.context["page"]] == [unread.pk]
