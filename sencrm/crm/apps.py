from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "sencrm.crm"
    label = "crm"
    verbose_name = "crm"
