# Saved views and segments (issue 3): SavedView, Segment, SegmentMember.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import sencrm.core.models


class Migration(migrations.Migration):
    dependencies = [("core", "0005_import_links"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="Segment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created at"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "entity",
                    models.CharField(
                        choices=[
                            ("crm.contact", "Contacts"),
                            ("crm.account", "Accounts"),
                            ("crm.lead", "Leads"),
                        ],
                        max_length=50,
                        verbose_name="record kind",
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                ("description", models.TextField(blank=True, max_length=2000, verbose_name="description")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("dynamic", "Dynamic (a saved filter)"),
                            ("static", "Static (a fixed list)"),
                        ],
                        default="dynamic",
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                (
                    "filters",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        validators=[sencrm.core.models._valid_filter_tree],
                        verbose_name="filters",
                    ),
                ),
                (
                    "shared",
                    models.BooleanField(
                        default=True,
                        help_text="Everyone can see and use a shared segment.",
                        verbose_name="shared",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="segments",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "segment",
                "verbose_name_plural": "segments",
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="SegmentMember",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("object_id", models.BigIntegerField()),
                ("added_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "added_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "segment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="members", to="core.segment"
                    ),
                ),
            ],
            options={
                "verbose_name": "segment member",
                "verbose_name_plural": "segment members",
            },
        ),
        migrations.CreateModel(
            name="SavedView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created at"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "entity",
                    models.CharField(
                        choices=[
                            ("crm.account", "Accounts"),
                            ("crm.contact", "Contacts"),
                            ("crm.lead", "Leads"),
                            ("crm.opportunity", "Opportunities"),
                            ("crm.activity", "Activities"),
                        ],
                        max_length=50,
                        verbose_name="record kind",
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "filters",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        validators=[sencrm.core.models._valid_filter_tree],
                        verbose_name="filters",
                    ),
                ),
                ("params", models.JSONField(blank=True, default=dict)),
                ("columns", models.JSONField(blank=True, default=list)),
                ("sort", models.CharField(blank=True, max_length=60, verbose_name="sort")),
                (
                    "shared",
                    models.BooleanField(
                        default=False,
                        help_text="Everyone sees a shared view; only you can change it.",
                        verbose_name="shared",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_views",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "saved view",
                "verbose_name_plural": "saved views",
                "ordering": ["name", "id"],
                "indexes": [models.Index(fields=["entity", "owner"], name="savedview_entity_idx")],
            },
        ),
        migrations.AddIndex(
            model_name="segment",
            index=models.Index(fields=["entity", "name"], name="segment_entity_idx"),
        ),
        migrations.AddConstraint(
            model_name="segmentmember",
            constraint=models.UniqueConstraint(fields=("segment", "object_id"), name="segmentmember_uniq"),
        ),
    ]
