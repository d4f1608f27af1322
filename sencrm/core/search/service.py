"""Global search: find records by typing, and keep the index in step with every write.

Reading: ``search(user, q, types=None, limit=10)`` and ``search_counts(user, q)``. Writing, called by
``core.services.records`` and by any code that writes records in bulk (import, merge, demo):
``search_index_update(instance)``, ``search_index_remove(entity, ids)``,
``search_reindex(entity=None, ids=None)``.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from sencrm.common.models import Action
from sencrm.core.search.engines import get_engine
from sencrm.core.search.query import document, parse_query, scope_tokens, tokens
from sencrm.core.search.registry import SearchKind, kind_for_entity, kind_for_key, search_kinds

#: Counts per kind stop here ("1000+"): counting every match of "ng" would scan the index.
COUNT_CAP = 1000
REINDEX_CHUNK = 5000
#: What ``query.document`` reads of every record, besides the kind's ``index_fields``.
INDEX_FIELDS = ("search_text", "owner", "branch", "team")
#: A rebuild of this many records loads the index in bulk (see ``search_reindex``).
REBUILD_LARGE = 50_000


@dataclass
class SearchHit:
    """One result: what the API answers plus what the UI shows (kind, icon, rank)."""

    kind: SearchKind
    id: int
    title: str
    subtitle: str
    url: str
    rank: int

    @property
    def type(self) -> str:
        return self.kind.type

    def as_dict(self) -> dict:
        return {
            "type": self.type,
            "id": self.id,
            "title": self.title,
            "subtitle": self.subtitle,
            "url": self.url,
        }


def kinds_for(user, types: Iterable[str] | None = None) -> list[SearchKind]:
    """Registered kinds ``user`` may view (the role's module right), narrowed to ``types``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    wanted = set(types) if types else None
    return [
        k
        for k in search_kinds()
        if (wanted is None or k.type in wanted) and user.has_right(k.model, Action.VIEW)
    ]


def _rank(title: str, words: list[str]) -> int:
    """0 exact title, 1 title starts with the query, 2 every word starts a title word, 3 other fields."""
    title_words = tokens(title)
    if not words:
        return 3
    if title_words == words:
        return 0
    head, last = words[:-1], words[-1]
    starts = title_words[: len(head)] == head and len(title_words) > len(head)
    if starts and title_words[len(head)].startswith(last):
        return 1
    if all(any(t.startswith(w) for t in title_words) for w in words):
        return 2
    return 3


def search(user, q: str, types: Iterable[str] | None = None, limit: int = 10) -> list[SearchHit]:
    """Records ``user`` may see that match ``q``, best first, at most ``limit``.

    Matching ignores case and diacritics (đ = d), takes each word as the start of a word, and reads
    phone numbers typed any way. Ranking: exact title, title starting with the query, all words in
    the title, then matches in other fields (emails, phones, tax code…). The index answers with
    candidate ids (kind and scope filtered inside it), which are then loaded through
    ``visible_to`` — one query per kind found, whatever ``limit`` is.
    """
    query = parse_query(q)
    kinds = kinds_for(user, types)
    if not query or not kinds:
        return []
    scope = scope_tokens(user)
    if scope == []:
        return []
    engine = get_engine()
    codes = [k.code for k in kinds] if len(kinds) < len(search_kinds()) else None
    wanted = limit * 2 + 10
    keys: dict[int, None] = {}
    # Names have letters: a query of numbers only (phone, tax code) is not asked of titles.
    named = any(not w.isdigit() for w in query.words)
    tiers = ["exact", "title", "any"] if named else ["any"]
    # Index order is key order, i.e. kind by kind: without a kind filter, the first ``wanted`` hits
    # of a common prefix would all be of one kind (the lowest code), hiding better-ranked records of
    # the others. So each kind is asked for its own first hits, within its range of keys.
    # (SQLite; on PostgreSQL, hits come in storage order, which mixes kinds as they were written.)
    per_kind = codes is None and len(kinds) > 1 and engine.seeks_key_ranges
    ranges = [k.key_range() for k in kinds] if per_kind else None
    for match in tiers:
        if len(keys) >= wanted:
            break  # enough title hits: matches in other fields would rank below them anyway
        keys.update(dict.fromkeys(engine.ids(query, match, codes, scope, wanted, ranges)))
    by_kind: dict[SearchKind, list[int]] = defaultdict(list)
    for key in keys:
        kind, pk = kind_for_key(key)
        if kind is not None:
            by_kind[kind].append(pk)
    found = []  # (sort key, kind, record, title): rank on titles first, format only what is shown
    order = {k.type: i for i, k in enumerate(kinds)}
    for kind, ids in by_kind.items():
        # Read by primary key, with ``visible_to`` as a per-row check: written as one filter, SQLite
        # without statistics would rather walk the owner's or branch's index (100,000 rows) than
        # look up the 26 ids it was given.
        visible = kind.model.objects.visible_to(user).filter(pk=OuterRef("pk"))
        qs = kind.model.objects.filter(pk__in=ids).filter(Exists(visible))
        if kind.select_related:
            qs = qs.select_related(*kind.select_related)
        for obj in qs:
            title = kind.title(obj)
            rank = _rank(title, query.words)
            found.append(((rank, len(title), tokens(title), order[kind.type], obj.pk), kind, obj, title))
    found.sort(key=lambda item: item[0])
    return [
        SearchHit(
            kind=kind,
            id=obj.pk,
            title=title,
            subtitle=kind.subtitle(obj),
            url=kind.url(obj),
            rank=key[0],
        )
        for key, kind, obj, title in found[:limit]
    ]


def search_counts(user, q: str) -> dict[str, int]:
    """Matches of ``q`` per kind ``user`` may see (type → count, capped at ``COUNT_CAP``)."""
    query = parse_query(q)
    kinds = kinds_for(user)
    scope = scope_tokens(user) if kinds else []
    if not query or scope == []:
        return {k.type: 0 for k in kinds}
    engine = get_engine()
    return {k.type: engine.count(query, [k.code], scope, COUNT_CAP) for k in kinds}


# ---------------------------------------------------------------------------------------------------
# Keeping the index in step
# ---------------------------------------------------------------------------------------------------


def search_index_update(instance) -> None:
    """Write ``instance`` into the index (or take it out when it is deleted or merged away).

    Call it inside the transaction that saved the record, after the save, so the index commits or
    rolls back with the row. Kinds not registered for search are ignored.
    """
    kind = kind_for_entity(instance._meta.label_lower)
    if kind is None:
        return
    if instance.deleted_at is not None:
        get_engine().remove([kind.key(instance.pk)])
    else:
        get_engine().write([document(kind, instance)])


def search_index_new(entity: str, instances: list) -> None:
    """Index records of ``entity`` just written with bulk inserts (not in the index yet), from the
    instances in memory: an import does not read back what it wrote. Their ``search_text`` must be
    up to date (``refresh_search``)."""
    kind = kind_for_entity(entity)
    if kind is not None and instances:
        get_engine().write([document(kind, obj) for obj in instances], new=True)


def search_index_remove(entity: str, ids: Iterable[int]) -> None:
    """Take records ``ids`` of ``entity`` ("crm.contact") out of the index (deleted, merged away)."""
    kind = kind_for_entity(entity)
    if kind is not None:
        get_engine().remove([kind.key(pk) for pk in ids])


def search_reindex(entity: str | None = None, ids: Iterable[int] | None = None) -> int:
    """Rebuild the index of ``entity`` (all kinds when None), or only of records ``ids``.

    For code that writes with ``bulk_create``/``update()`` (import, bulk actions, the demo, the
    benchmark data). Reads the rows in chunks of ``REINDEX_CHUNK``, each written in one transaction
    (memory stays bounded whatever the table size); deleted rows leave the index. A rebuild of every
    kind starts from an empty index (on PostgreSQL with ``REBUILD_LARGE`` records or more, the GIN
    index is built once at the end: search finds nothing until it is done).
    Returns the number of rows indexed (0 for a kind not registered).
    """
    engine = get_engine()
    if entity is None and ids is None:
        kinds = search_kinds()
        large = sum(k.model.objects.alive().count() for k in kinds) >= REBUILD_LARGE
        with engine.rebuild(large):
            # Chunks of each kind in turn, not kind after kind: a search that reads the table in
            # order and stops at the LIMIT (PostgreSQL's plan for common words) meets every kind
            # early, instead of crossing 200,000 accounts before the first contact.
            chunks = [_chunks(kind, kind.model.objects.alive()) for kind in kinds]
            written = 0
            while chunks:
                for chunk in list(chunks):
                    docs = next(chunk, None)
                    if docs is None:
                        chunks.remove(chunk)
                        continue
                    with transaction.atomic():
                        engine.write(docs, new=True)
                    written += len(docs)
            return written
    kinds = [k for k in [kind_for_entity(entity)] if k] if entity else search_kinds()
    written = 0
    for kind in kinds:
        qs = kind.model.objects.alive()
        if ids is not None:
            id_list = list(ids)
            with transaction.atomic():
                engine.remove([kind.key(pk) for pk in id_list])
            written += _index_rows(engine, kind, qs.filter(pk__in=id_list))
        else:
            with transaction.atomic():
                engine.remove_range(*kind.key_range())
            written += _index_rows(engine, kind, qs)
    return written


def _chunks(kind: SearchKind, qs):
    """Index entries of ``qs``'s records, ``REINDEX_CHUNK`` at a time in key order."""
    if kind.index_fields is not None:
        qs = qs.only(*INDEX_FIELDS, *kind.index_fields)
    last = 0
    while chunk := list(qs.filter(pk__gt=last).order_by("pk")[:REINDEX_CHUNK]):
        yield [document(kind, obj) for obj in chunk]
        last = chunk[-1].pk


def _index_rows(engine, kind: SearchKind, qs) -> int:
    """Write the index rows of ``qs``'s records (not in the index yet)."""
    written = 0
    for docs in _chunks(kind, qs):
        # One transaction per chunk: in autocommit every row would be its own commit (and, on
        # SQLite, its own FTS5 segment), ten times slower.
        with transaction.atomic():
            engine.write(docs, new=True)
        written += len(docs)
    return written
