from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def _home(request):
    return render(request, "core/home.html")


urlpatterns = [path("", _home, name="home")]
