"""PostgreSQL: the list orders over live rows as partial indexes (``WHERE deleted_at IS NULL``).

PostgreSQL does not treat ``deleted_at IS NULL`` as an equality, so an index starting with
``deleted_at`` (what SQLite needs, see 0004) cannot give a list its order there: it read every live
row and sorted them. These partial indexes start with the scope column (owner, team, branch) or
the sort itself, and end with the id tiebreak, so a page is read in order and stops after a page.
Nothing runs on SQLite (it prefers the deleted_at index over any partial one without statistics).
"""

from django.db import migrations

LIVE = "WHERE deleted_at IS NULL"

# (table, index name, columns): default orders per data scope, the benchmark's filter + sort, the
# kanban board's columns and totals.
INDEXES = [
    *(
        (f"crm_{table}", f"{short}_live_{scope or 'all'}_idx", f"{scope + '_id, ' if scope else ''}{order}")
        for table, short, order in [
            ("contact", "contact", "sort_name, id"),
            ("account", "account", "sort_name, id"),
            ("lead", "lead", "created_at DESC, id DESC"),
            ("opportunity", "opp", "created_at DESC, id DESC"),
            ("activity", "activity", "occurred_at DESC, id DESC"),
        ]
        for scope in ("", "owner", "team", "branch")
    ),
    ("crm_contact", "contact_live_created_idx", "created_at DESC, id DESC"),
    ("crm_contact", "contact_live_prov_created_idx", "province_id, created_at DESC, id DESC"),
    ("crm_contact", "contact_live_prov_sort_idx", "province_id, sort_name, id"),
    ("crm_account", "account_live_created_idx", "created_at DESC, id DESC"),
    ("crm_lead", "lead_live_sort_idx", "sort_name, id"),
    ("crm_opportunity", "opp_live_sort_idx", "sort_name, id"),
    ("crm_opportunity", "opp_live_board_idx", "stage_id, amount DESC, id DESC"),
    ("crm_opportunity", "opp_live_totals_idx", "pipeline_id, stage_id, currency, amount"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, columns in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}) {LIVE}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _columns in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_list_indexes")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
