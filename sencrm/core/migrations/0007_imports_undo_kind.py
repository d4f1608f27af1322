# The undo of an import runs as a job of its own (issue 3): Job.Kind gains "undo"; no schema change.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_saved_views_segments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="job",
            name="kind",
            field=models.CharField(
                choices=[
                    ("import", "Import"),
                    ("export", "Export"),
                    ("bulk", "Bulk action"),
                    ("undo", "Undo of an import"),
                ],
                max_length=10,
                verbose_name="kind",
            ),
        ),
    ]
