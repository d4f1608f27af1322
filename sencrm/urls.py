from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from sencrm.api import api


def healthz(request):
    """Liveness probe, and the benchmark's ceiling: no database, no session, no template."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("sencrm.core.urls")),
    path("", include("sencrm.crm.urls")),
    path("", include("sencrm.sales.urls")),
    path("settings/", include("sencrm.crm.urls_settings")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
