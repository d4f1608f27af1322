from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sencrm.core"
    label = "core"
    verbose_name = "core"
