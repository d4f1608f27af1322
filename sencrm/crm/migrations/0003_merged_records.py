# Issue 3, duplicates and merge: ``merged_into`` (merged-away records redirect to the survivor),
# ``match_key`` (the duplicate finder's blocking key, backfilled here) and indexes on the exact keys
# the finder looks up (phones, emails, tax codes) that had none.
import django.db.models.deletion
from django.db import migrations, models


def backfill_match_keys(apps, schema_editor):
    from sencrm.crm.models.matching import company_match_key, person_match_key

    def person_or_company(row):
        if row.given_name:
            return person_match_key(row.family_name, row.given_name)
        return company_match_key(getattr(row, "company", ""))

    keys = {
        "Account": lambda row: company_match_key(row.name),
        "Contact": person_or_company,
        "Lead": person_or_company,
    }
    for name, key in keys.items():
        model = apps.get_model("crm", name)
        batch = []
        for row in model._base_manager.order_by("pk").iterator(chunk_size=2000):
            row.match_key = key(row)
            batch.append(row)
            if len(batch) >= 2000:
                model._base_manager.bulk_update(batch, ["match_key"])
                batch = []
        if batch:
            model._base_manager.bulk_update(batch, ["match_key"])


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_search_trigram_indexes")]

    operations = [
        migrations.AddField(
            model_name='account',
            name='match_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name='account',
            name='merged_into',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.account', verbose_name='merged into'),
        ),
        migrations.AddField(
            model_name='contact',
            name='match_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name='contact',
            name='merged_into',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.contact', verbose_name='merged into'),
        ),
        migrations.AddField(
            model_name='lead',
            name='match_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name='lead',
            name='merged_into',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.lead', verbose_name='merged into'),
        ),
        migrations.AddField(
            model_name='opportunity',
            name='merged_into',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.opportunity', verbose_name='merged into'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['phone2'], name='account_phone2_idx'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['email2'], name='account_email2_idx'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['match_key', 'deleted_at'], name='account_match_idx'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['phone'], name='contact_phone_idx'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['email2'], name='contact_email2_idx'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['match_key', 'deleted_at'], name='contact_match_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['phone'], name='lead_phone_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['tax_code'], name='lead_tax_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['match_key', 'deleted_at'], name='lead_match_idx'),
        ),
        migrations.RunPython(backfill_match_keys, migrations.RunPython.noop, elidable=True),
    ]
