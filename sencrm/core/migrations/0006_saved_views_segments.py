# Reserved for the work of issue 3; operations are filled in by the part that needs them.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0005_import_links")]
    operations: list = []
