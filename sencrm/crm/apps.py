from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "sencrm.crm"
    label = "crm"
    verbose_name = "crm"

    def ready(self):
        from sencrm.crm.search import register_crm

        register_crm()
