# Reserved for the work of issue 3; operations are filled in by the part that needs them.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_search_trigram_indexes")]
    operations: list = []
