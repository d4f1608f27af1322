from django.contrib.auth import views as auth_views
from django.urls import path

from sencrm.core import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("trash/", views.trash, name="trash"),
    path("settings/", views.settings_index, name="settings_index"),
]
