from django.contrib import admin
from django.urls import include, path

from sencrm.api import api

urlpatterns = [
    path("", include("sencrm.core.urls")),
    path("", include("sencrm.crm.urls")),
    path("settings/", include("sencrm.crm.urls_settings")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
