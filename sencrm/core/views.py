from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def profile(request):
    return render(request, "core/home.html")


@login_required
def notification_list(request):
    return render(request, "core/home.html")


@login_required
def trash(request):
    return render(request, "core/home.html")


@login_required
def settings_index(request):
    return render(request, "core/home.html")
