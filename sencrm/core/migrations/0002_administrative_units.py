"""Load the 34 provinces and 3,321 wards in force since 1/7/2025 (with the 2026 renames).

The data comes from ``sencrm/core/data/admin_units.json`` (see NOTICE.md there). Loading is by
code and idempotent; ``sencrm load_admin_units`` refreshes a running database later.
"""

from django.db import migrations


def load(apps, schema_editor):
    from sencrm.core.data.admin_units import load_admin_units

    load_admin_units(
        apps.get_model("core", "Province"),
        apps.get_model("core", "Ward"),
        using=schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    # Reversing keeps the rows: addresses may point at them, and loading again is harmless.
    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
