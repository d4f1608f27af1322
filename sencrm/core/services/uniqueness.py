"""Name clashes regardless of case, for the small settings tables (roles, teams, pipelines, stages).

SQLite's ``iexact`` folds ASCII letters only ("ĐÀ NẴNG" ≠ "Đà Nẵng"), so the comparison is done in
Python with ``casefold`` on NFC text: the same answer on SQLite and PostgreSQL.
"""

from sencrm.common.text import nfc


def name_taken(queryset, value: str, field: str = "name") -> bool:
    """True when a row of ``queryset`` already has ``value`` in ``field``, ignoring case."""
    wanted = nfc(value).strip().casefold()
    return bool(wanted) and any(
        nfc(v).strip().casefold() == wanted for v in queryset.values_list(field, flat=True)
    )
