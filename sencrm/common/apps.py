from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "sencrm.common"
    label = "common"
    verbose_name = "common"
