"""The currencies a new company starts with: VND (the base, no minor unit), USD, EUR, JPY, CNY."""

from django.db import migrations

CURRENCIES = [
    ("VND", "Đồng Việt Nam", 0),
    ("USD", "Đô la Mỹ", 2),
    ("EUR", "Euro", 2),
    ("JPY", "Yên Nhật", 0),
    ("CNY", "Nhân dân tệ", 2),
]


def seed(apps, schema_editor):
    Currency = apps.get_model("sales", "Currency")
    for code, name, decimals in CURRENCIES:
        Currency.objects.get_or_create(code=code, defaults={"name": name, "decimals": decimals})


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
