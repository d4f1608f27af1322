"""Global search (issue 3): one interface, two engines (SQLite FTS5, PostgreSQL full text).

- ``register(model, title=…, subtitle=…, icon=…)``: make a record kind findable (``registry``).
- ``search(user, q, types=None, limit=10)`` / ``search_counts(user, q)``: what a user may find.
- ``search_index_update(instance)``, ``search_index_remove(entity, ids)``,
  ``search_reindex(entity=None, ids=None)``: keep the index in step with writes (``service``).
"""

from sencrm.core.search.registry import SearchKind, kind_for_entity, kind_for_type, register, search_kinds
from sencrm.core.search.service import (
    COUNT_CAP,
    SearchHit,
    kinds_for,
    search,
    search_counts,
    search_index_remove,
    search_index_update,
    search_reindex,
)

__all__ = [
    "COUNT_CAP",
    "SearchHit",
    "SearchKind",
    "kind_for_entity",
    "kind_for_type",
    "kinds_for",
    "register",
    "search",
    "search_counts",
    "search_index_remove",
    "search_index_update",
    "search_reindex",
    "search_kinds",
]
