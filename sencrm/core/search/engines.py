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
prefix indexes of 1, 2 and 3 characters for as-you-type). PostgreSQL: ``id bigint`` + ``doc tsvector``
with a GIN index; title words carry weight A, body words C and meta tokens B, so ``'ngu':*AC``
matches a word start in the title or body and never a meta token.
"""

from abc import ABC, abstractmethod

from django.db import connection

from sencrm.core.search.query import Document, Query, kind_token

TABLE = "core_search"


class Engine(ABC):
    """Interface of an engine; ``kinds`` are kind codes, ``scope`` meta tokens (None: all)."""

    def ids(self, query: Query, match: str, kinds: list[int], scope: list[str] | None, limit: int):
        with connection.cursor() as cursor:
            cursor.execute(self.select_sql(), [self.expression(query, match, kinds, scope), limit])
            return [row[0] for row in cursor.fetchall()]

    def count(self, query: Query, kinds: list[int], scope: list[str] | None, cap: int) -> int:
        """Matches of ``query`` anywhere, counted up to ``cap`` (a count must not cost a scan)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM ({self.select_sql()}) AS hits",
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

    # Engine-specific parts
    key_column = "id"

    @abstractmethod
    def select_sql(self) -> str:
        """The SELECT returning record keys for a MATCH expression."""

    @abstractmethod
    def expression(self, query: Query, match: str, kinds: list[int], scope: list[str] | None) -> str:
        """The engine's match expression for one ranking tier."""

    @abstractmethod
    def write(self, docs: list[Document]) -> None:
        """Insert or replace the index rows of ``docs``."""


class SqliteEngine(Engine):
    """FTS5 over the folded tokens; the query is an FTS5 expression, every token quoted."""

    key_column = "rowid"

    def select_sql(self) -> str:
        return f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT %s"

    @staticmethod
    def _any(tokens: list[str], prefix: str = "") -> str:
        return "(" + " OR ".join(f'"{t}"{prefix}' for t in tokens) + ")"

    def expression(self, query, match, kinds, scope):
        words = " AND ".join(f'"{w}" *' for w in query.words)
        if match == "exact":
            text = f'meta : "{query.exact}"'
        elif match == "title":
            text = f"title : ({words})"
        elif query.numbers:
            alternatives = [f'"{n}" *' for n in query.numbers] + ([f"({words})"] if words else [])
            text = "{title body} : (" + " OR ".join(alternatives) + ")"
        else:
            text = "{title body} : (" + words + ")"
        parts = [text, "meta : " + self._any([kind_token(c) for c in kinds])]
        if scope is not None:
            parts.append("meta : " + self._any(scope))
        return " AND ".join(parts)

    def write(self, docs):
        if not docs:
            return
        self.remove([d.key for d in docs])
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (rowid, title, body, meta) VALUES (%s, %s, %s, %s)",
                [(d.key, " ".join(d.title), " ".join(d.body), " ".join(d.meta)) for d in docs],
            )


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresEngine(Engine):
    """A tsvector built from the folded tokens (no parser, no dictionary: they are final)."""

    def select_sql(self) -> str:
        return f"SELECT id FROM {TABLE} WHERE doc @@ %s::tsquery LIMIT %s"

    @staticmethod
    def _any(tokens: list[str], suffix: str) -> str:
        return "(" + " | ".join(_lexeme(t) + suffix for t in tokens) + ")"

    def expression(self, query, match, kinds, scope):
        weight = "A" if match == "title" else "AC"
        words = " & ".join(f"{_lexeme(w)}:*{weight}" for w in query.words)
        if match == "exact":
            text = _lexeme(query.exact) + ":B"
        elif match == "any" and query.numbers:
            alternatives = [f"{_lexeme(n)}:*AC" for n in query.numbers] + ([f"({words})"] if words else [])
            text = "(" + " | ".join(alternatives) + ")"
        else:
            text = "(" + words + ")"
        parts = [text, self._any([kind_token(c) for c in kinds], ":B")]
        if scope is not None:
            parts.append(self._any(scope, ":B"))
        return " & ".join(parts)

    @staticmethod
    def _vector(doc: Document) -> str:
        lexemes, position = [], 0
        for tokens, weight in ((doc.title, "A"), (doc.body, "C"), (doc.meta, "B")):
            for token in tokens:
                position = min(position + 1, 16383)
                lexemes.append(f"{_lexeme(token)}:{position}{weight}")
        return " ".join(lexemes)

    def write(self, docs):
        if not docs:
            return
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (id, doc) VALUES (%s, %s::tsvector) "
                "ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc",
                [(d.key, self._vector(d)) for d in docs],
            )


def get_engine() -> Engine:
    """The engine of the default database."""
    return PostgresEngine() if connection.vendor == "postgresql" else SqliteEngine()
