"""The two search engines behind one interface: SQLite FTS5 and PostgreSQL full text (GIN).

Both hold one row per record in the table ``core_search``, keyed by ``SearchKind.key(pk)`` (kind
code in the high bits, primary key in the low ones: updates and deletes are primary-key writes), and
answer the same three questions with ``LIMIT`` and no ``ORDER BY``, so they stop at the first hits:

- ``exact``: the whole title equals the query (one ``x<hash>`` token: one posting list);
- ``title``: every query word starts a word of the title;
- ``any``:   every query word starts a word of the record (name, email, phone, tax code…),
  or, for a phone number, one of its digit forms starts a word.

Kind and visibility are index tokens too (``query.document``), so the engine intersects posting
lists instead of reading rows and checking them: an *own*-scope rep finds his 20 Nguyễns among a
million contacts as fast as a director finds the first 20 of 380,000.

SQLite: an FTS5 table (columns ``title``, ``body``, ``meta``, ``detail=column`` to keep it small,
prefix indexes of 1 to 6 characters for as-you-type: a longer prefix query makes FTS5 merge the
posting lists of every matching word first, while an indexed prefix is one list read up to the
``LIMIT``). PostgreSQL: ``id bigint`` + ``doc tsvector``
with a GIN index; title words carry weight A, body words C and meta tokens B, so ``'ngu':*AC``
matches a word start in the title or body and never a meta token.
"""

from abc import ABC, abstractmethod
from contextlib import contextmanager

from django.db import connection, transaction

from sencrm.core.search.query import Document, Query, kind_token, star

TABLE = "core_search"


class Engine(ABC):
    """Interface of an engine; ``kinds`` are kind codes, ``scope`` meta tokens (None: all of them).

    ``kinds=None`` means every kind in the index: no kind token to intersect with (a million-long
    posting list saved on the commonest search, everything a director may see).
    """

    def ids(
        self,
        query: Query,
        match: str,
        kinds: list[int] | None,
        scope: list[str] | None,
        limit: int,
        key_ranges: list[tuple[int, int]] | None = None,
    ):
        """Up to ``limit`` matching row ids — or up to ``limit`` within each of ``key_ranges`` (one
        kind's keys each), in one statement (engines that ``seeks_key_ranges``)."""
        sql, params = self.limited(
            self.select_sql(), [self.expression(query, match, kinds, scope)], limit, key_ranges
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

    def limited(self, sql: str, params: list, limit: int, key_ranges) -> tuple[str, list]:
        """``sql … LIMIT limit``, or the UNION ALL of it within each key range."""
        if not key_ranges:
            return f"{sql} LIMIT %s", [*params, limit]
        parts, values = [], []
        for i, (low, high) in enumerate(key_ranges):
            parts.append(f"SELECT * FROM ({sql} AND {self.key_column} BETWEEN %s AND %s LIMIT %s) AS r{i}")
            values += [*params, low, high, limit]
        return " UNION ALL ".join(parts), values

    def count(self, query: Query, kinds: list[int] | None, scope: list[str] | None, cap: int) -> int:
        """Matches of ``query`` anywhere, counted up to ``cap`` (a count must not cost a scan)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM ({self.select_sql()} LIMIT %s) AS hits",
                [self.expression(query, "any", kinds, scope), cap],
            )
            return cursor.fetchone()[0]

    def remove(self, keys: list[int]) -> None:
        if not keys:
            return
        with connection.cursor() as cursor:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {TABLE} WHERE {self.key_column} IN ({marks})", chunk)

    def remove_range(self, low: int, high: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE {self.key_column} BETWEEN %s AND %s", [low, high])

    @contextmanager
    def rebuild(self, large: bool):
        """Empty the whole index for a rebuild from the records, written inside the ``with``.

        ``large``: many rows follow, so the engine may trade the time the index is unusable for a
        much faster load (PostgreSQL builds its GIN index once at the end instead of row by row).
        """
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.empty_sql)
        yield

    # Engine-specific parts
    key_column = "id"
    # Whether asking for hits within one kind's key range is cheap: FTS5 seeks its posting lists
    # to a rowid range; PostgreSQL would test the range on every row its GIN index found (seconds
    # for "cong ty" among a million contacts), so it is asked once for all kinds.
    seeks_key_ranges = False
    empty_sql = f"DELETE FROM {TABLE}"

    @abstractmethod
    def select_sql(self) -> str:
        """The SELECT returning record keys for a MATCH expression."""

    @abstractmethod
    def expression(self, query: Query, match: str, kinds: list[int] | None, scope: list[str] | None) -> str:
        """The engine's match expression for one ranking tier."""

    @abstractmethod
    def write(self, docs: list[Document], new: bool = False) -> None:
        """Insert or replace the index rows of ``docs`` (``new``: they are known not to be there)."""


class SqliteEngine(Engine):
    """FTS5 over the folded tokens; the query is an FTS5 expression, every token quoted."""

    key_column = "rowid"
    seeks_key_ranges = True

    def select_sql(self) -> str:
        return f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s"

    @staticmethod
    def _any(tokens: list[str], prefix: str = "") -> str:
        return "(" + " OR ".join(f'"{t}"{prefix}' for t in tokens) + ")"

    @staticmethod
    def _word(word: str, tail: str | None) -> str:
        """A word start in the title or body — or, for digits, the end of a number."""
        text = f'{{title body}} : "{word}"' + (" *" if star(word) else "")
        return f'({text} OR meta : "{tail}" *)' if tail else text

    def expression(self, query, match, kinds, scope):
        if match == "exact":
            text = f'meta : "{query.exact}"'
        elif match == "title":
            text = "title : (" + " AND ".join(f'"{w}"' + (" *" if star(w) else "") for w in query.words) + ")"
        else:
            words = " AND ".join(self._word(w, query.tails.get(w)) for w in query.words)
            alternatives = [f'{{title body}} : "{n}" *' for n in query.numbers]
            if query.number_tail:
                alternatives.append(f'meta : "{query.number_tail}" *')
            if alternatives:
                text = "(" + " OR ".join(alternatives + ([f"({words})"] if words else [])) + ")"
            else:
                text = f"({words})"
        parts = [text]
        if kinds is not None:
            parts.append("meta : " + self._any([kind_token(c) for c in kinds]))
        if scope is not None:
            parts.append("meta : " + self._any(scope))
        return " AND ".join(parts)

    # Dropping the FTS5 table is instant; ``DELETE`` would read back every row to unindex it.
    empty_sql = f"DROP TABLE IF EXISTS {TABLE}"
    create_sql = (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(title, body, meta, "
        "tokenize = 'unicode61 remove_diacritics 0', prefix = '1 2 3 4 5 6', detail = column)"
    )  # as migrations core.0004_search_index and 0008_search_prefixes leave it

    @contextmanager
    def rebuild(self, large):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.empty_sql)
            cursor.execute(self.create_sql)
        yield

    def write(self, docs, new=False):
        if not docs:
            return
        if not new:
            self.remove([d.key for d in docs])
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (rowid, title, body, meta) VALUES (%s, %s, %s, %s)",
                [(d.key, " ".join(d.title), " ".join(d.body), " ".join(d.meta)) for d in docs],
            )


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresEngine(Engine):
    """A tsvector built from the folded tokens (no parser, no dictionary: they are final).

    GIN reads a prefix (``'h':*``) by collecting every posting of every matching word into a
    bitmap before anything else: for "tran thi thu h" over a million names that is most of the
    index (300 ms). So several words are first asked for as typed — the words before the last
    whole (``'tran':A``, posting lists GIN intersects by skipping), the last one a prefix checked
    on the rows found, outside the index — and only if that finds nothing, every word as a prefix
    ("ngu va an").
    """

    def select_sql(self) -> str:
        return f"SELECT id FROM {TABLE} WHERE doc @@ %s::tsquery"

    @staticmethod
    def _from_the_start(cursor) -> None:
        """A sequential scan with a LIMIT (the plan for common words) must start at the table's
        first page, not where the last scan of the table happened to be (PostgreSQL's
        synchronized scans): from there, the next hit may be 500,000 rows away."""
        if getattr(connection, "_sen_search_unsynced", None) is not connection.connection:
            cursor.execute("SET synchronize_seqscans = off")
            connection._sen_search_unsynced = connection.connection

    def ids(self, query, match, kinds, scope, limit, key_ranges=None):
        with connection.cursor() as cursor:
            self._from_the_start(cursor)
        words = query.words
        if match != "exact" and len(words) > 1 and not (query.numbers or query.number_tail):
            weight, tails = ("A", {}) if match == "title" else ("AC", query.tails)
            last = words[-1] if not words[-1].isdigit() else ""  # digits: few words start so, index them
            indexed = [
                self._word(w, weight, tails.get(w)) if w.isdigit() else f"{_lexeme(w)}:{weight}"
                for w in (words[:-1] if last else words)
            ]
            sql, params = (
                f"SELECT id FROM {TABLE} WHERE doc @@ %s::tsquery",
                [self._and(["(" + " & ".join(indexed) + ")"], kinds, scope)],
            )
            if last:
                sql += " AND ts_match_vq(doc, %s::tsquery)"
                params.append(self._word(last, weight, None))
            with connection.cursor() as cursor:
                cursor.execute(sql + " LIMIT %s", [*params, limit])
                found = [row[0] for row in cursor.fetchall()]
            if found:
                return found
        return super().ids(query, match, kinds, scope, limit, key_ranges)

    def _and(self, parts: list[str], kinds, scope) -> str:
        if kinds is not None:
            parts.append(self._any([kind_token(c) for c in kinds], ":B"))
        if scope is not None:
            parts.append(self._any(scope, ":B"))
        return " & ".join(parts)

    @staticmethod
    def _any(tokens: list[str], suffix: str) -> str:
        return "(" + " | ".join(_lexeme(t) + suffix for t in tokens) + ")"

    @staticmethod
    def _word(word: str, weight: str, tail: str | None) -> str:
        text = f"{_lexeme(word)}:{'*' if star(word) else ''}{weight}"
        return f"({text} | {_lexeme(tail)}:*B)" if tail else text

    def expression(self, query, match, kinds, scope):
        if match == "exact":
            text = _lexeme(query.exact) + ":B"
        elif match == "title":
            text = "(" + " & ".join(self._word(w, "A", None) for w in query.words) + ")"
        else:
            words = " & ".join(self._word(w, "AC", query.tails.get(w)) for w in query.words)
            alternatives = [f"{_lexeme(n)}:*AC" for n in query.numbers]
            if query.number_tail:
                alternatives.append(f"{_lexeme(query.number_tail)}:*B")
            text = "(" + " | ".join(alternatives + ([f"({words})"] if words else [])) + ")"
        return self._and([text], kinds, scope)

    @staticmethod
    def _vector(doc: Document) -> str:
        lexemes, position = [], 0
        for tokens, weight in ((doc.title, "A"), (doc.body, "C"), (doc.meta, "B")):
            for token in tokens:
                position = min(position + 1, 16383)
                lexemes.append(f"{_lexeme(token)}:{position}{weight}")
        return " ".join(lexemes)

    empty_sql = f"TRUNCATE {TABLE}"
    index_sql = f"CREATE INDEX IF NOT EXISTS {TABLE}_doc ON {TABLE} USING gin (doc)"

    @contextmanager
    def rebuild(self, large):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.empty_sql)
            if large:
                cursor.execute(f"DROP INDEX IF EXISTS {TABLE}_doc")
        yield
        if large:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                cursor.execute(self.index_sql)
                cursor.execute(f"ANALYZE {TABLE}")

    def write(self, docs, new=False):
        if not docs:
            return
        conflict = "" if new else " ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc"
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (id, doc) VALUES (%s, %s::tsvector){conflict}",
                [(d.key, self._vector(d)) for d in docs],
            )


def get_engine() -> Engine:
    """The engine of the default database."""
    return PostgresEngine() if connection.vendor == "postgresql" else SqliteEngine()
