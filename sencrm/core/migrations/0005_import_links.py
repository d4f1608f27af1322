# Imports: ImportRow (what an import created or changed, for undo).
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0004_search_index")]
    operations: list = [
        migrations.CreateModel(
            name="ImportRow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("row", models.PositiveIntegerField(verbose_name="row")),
                ("entity", models.CharField(max_length=50)),
                ("object_id", models.BigIntegerField()),
                (
                    "action",
                    models.CharField(choices=[("created", "Created"), ("updated", "Updated")], max_length=10),
                ),
                ("before", models.JSONField(blank=True, default=dict)),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="import_rows", to="core.job"
                    ),
                ),
            ],
            options={
                "verbose_name": "imported row",
                "verbose_name_plural": "imported rows",
                "indexes": [models.Index(fields=["job", "entity", "action"], name="importrow_job_idx")],
            },
        ),
    ]
