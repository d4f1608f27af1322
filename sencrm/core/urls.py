"""URLs of the core pages. Names are global (no namespace): Django's auth views and settings such as
LOGIN_URL expect ``login``, ``password_reset_confirm`` and friends."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from sencrm.core.views import auth, imports, notifications, profile, search, settings, trash

urlpatterns = [
    # Sign-in and passwords
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", set_language, name="set_language"),
    path("password/change/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    # The user's own pages
    path("profile/", profile.profile, name="profile"),
    path("profile/tokens/", profile.token_create, name="profile_token_create"),
    path("profile/tokens/<int:pk>/revoke/", profile.token_revoke, name="profile_token_revoke"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/read/", notifications.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("search/", search.search_page, name="search"),
    path("search/suggest/", search.search_suggest, name="search_suggest"),
    path("trash/", trash.trash, name="trash"),
    path("trash/<str:entity>/<int:pk>/restore/", trash.trash_restore_view, name="trash_restore"),
    # Imports and background jobs (issue 3)
    path("imports/new/", imports.import_new, name="import_new"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/preview/", imports.import_preview, name="import_preview"),
    path("imports/<int:pk>/undo/", imports.import_undo_view, name="import_undo"),
    path("jobs/<int:pk>/progress/", imports.job_progress, name="job_progress"),
    path("jobs/<int:pk>/result/", imports.job_result, name="job_result"),
    # Settings (administrators); pipelines live in sencrm.crm.urls_settings
    path("settings/", settings.settings_index, name="settings_index"),
    path("settings/users/", settings.user_list, name="settings_users"),
    path("settings/users/new/", settings.user_create_view, name="settings_user_create"),
    path("settings/users/<int:pk>/", settings.user_edit, name="settings_user_edit"),
    path(
        "settings/users/<int:pk>/deactivate/", settings.user_deactivate_view, name="settings_user_deactivate"
    ),
    path("settings/users/<int:pk>/activate/", settings.user_activate_view, name="settings_user_activate"),
    path("settings/users/<int:pk>/send-link/", settings.user_send_link_view, name="settings_user_send_link"),
    path("settings/teams/", settings.team_list, name="settings_teams"),
    path("settings/teams/new/", settings.team_form, name="settings_team_create"),
    path("settings/teams/<int:pk>/", settings.team_form, name="settings_team_edit"),
    path("settings/branches/", settings.branch_list, name="settings_branches"),
    path("settings/branches/new/", settings.branch_form, name="settings_branch_create"),
    path("settings/branches/<int:pk>/", settings.branch_form, name="settings_branch_edit"),
    path("settings/roles/", settings.role_list, name="settings_roles"),
    path("settings/roles/new/", settings.role_form, name="settings_role_create"),
    path("settings/roles/<int:pk>/", settings.role_form, name="settings_role_edit"),
    path("settings/roles/<int:pk>/delete/", settings.role_delete_view, name="settings_role_delete"),
    path("settings/fields/", settings.custom_field_list, name="settings_custom_fields"),
    path("settings/fields/new/", settings.custom_field_form, name="settings_custom_field_create"),
    path("settings/fields/<int:pk>/", settings.custom_field_form, name="settings_custom_field_edit"),
]

# Saved views, advanced filters and segments (issue 3)
from sencrm.core.views import segments as segment_views  # noqa: E402

urlpatterns += [
    path("lists/<str:entity>/filter-fields/", segment_views.filter_fields, name="filter_fields"),
    path("lists/<str:entity>/filter-check/", segment_views.filter_check, name="filter_check"),
    path("lists/<str:entity>/views/", segment_views.saved_view_menu, name="saved_view_menu"),
    path("lists/<str:entity>/views/save/", segment_views.saved_view_save, name="saved_view_save"),
    path("saved-views/<int:pk>/delete/", segment_views.saved_view_delete, name="saved_view_delete"),
    path("segments/", segment_views.segment_list, name="segment_list"),
    path("segments/new/", segment_views.segment_edit, name="segment_create"),
    path("segments/<int:pk>/", segment_views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", segment_views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", segment_views.segment_delete_view, name="segment_delete"),
    path(
        "segments/<int:pk>/members/<str:action>/",
        segment_views.segment_members_change,
        name="segment_members_change",
    ),
]
