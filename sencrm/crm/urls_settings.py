"""Pipeline and stage settings, mounted at /settings/ beside the core settings pages.

No namespace: the settings pages of every app share the ``settings_*`` names.
"""

from django.urls import path

from sencrm.crm.views import settings

urlpatterns = [
    path("pipelines/", settings.pipeline_list, name="settings_pipelines"),
    path("pipelines/new/", settings.pipeline_create_view, name="settings_pipeline_create"),
    path("pipelines/<int:pk>/", settings.pipeline_edit, name="settings_pipeline_edit"),
    path("pipelines/<int:pk>/delete/", settings.pipeline_delete_view, name="settings_pipeline_delete"),
    path("pipelines/<int:pk>/stages/", settings.stage_create_view, name="settings_stage_create"),
    path("pipelines/<int:pk>/stages/order/", settings.stage_reorder_view, name="settings_stage_reorder"),
    path("stages/<int:pk>/", settings.stage_edit_view, name="settings_stage_edit"),
    path("stages/<int:pk>/delete/", settings.stage_delete_view, name="settings_stage_delete"),
    path("stages/<int:pk>/move/", settings.stage_move_view, name="settings_stage_move"),
]
