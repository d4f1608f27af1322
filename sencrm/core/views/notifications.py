"""The user's notifications: newest first, unread highlighted, marked read one by one or all at once."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sencrm.core.models import Notification
from sencrm.core.services.notifications import notifications_mark_read

PAGE_SIZE = 50


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    qs = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/notification_list.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    if request.htmx:
        notification.refresh_from_db()
        unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
        return render(
            request,
            "core/partials/notification_row.html",
            {"n": notification, "unread_count": unread, "oob": True},
        )
    return redirect(request.POST.get("next") or "notification_list")


@login_required
@require_POST
def notification_read_all(request):
    notifications_mark_read(user=request.user)
    return redirect("notification_list")


@login_required
def notification_open(request, pk: int):
    """Follow a notification's link, marking it read on the way (a link, so it works in a new tab)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notification_list")
