"""What goes into the index for a record, and what a typed query asks of it — shared by both engines.

A record becomes three lists of already-folded tokens (VIETNAM.md §4: the engines' own diacritic
removal misses đ and double marks, so they only ever see folded text):

- ``title``: the words of the title (the name), for "title matches rank first";
- ``body``:  the words of ``search_text`` (names, emails, phones in E.164 and national form, tax code);
- ``meta``:  tokens the search filters on, never matched by typed words: the kind (``k<code>``),
  owner (``o<id>``), team (``t<id>``), branch (``b<id>``) — the columns ``visible_to`` filters
  on —, ``x<hash>``, the whole folded title, for an exact-title lookup, and ``r<digits reversed>``
  for every long number (phones, tax codes), so that its *last* digits are a token prefix.

Phone numbers by their tail: people remember the end of a number. Digits typed alone find the
numbers ending with them from ``TAIL_ALONE`` digits on (``345678``); next to other words (a name)
from ``TAIL_WITH_WORDS`` on (``lan 5678``). Fewer digits would match too many numbers to be useful.
"""

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError

from sencrm.common.phones import normalize_phone
from sencrm.common.text import fold

_TOKEN = re.compile(r"[^\W_]+")
_PHONE_LIKE = re.compile(r"^[\s\d+().\-]{7,}$")
MAX_WORDS = 8
MAX_BODY_TOKENS = 500
#: Digits typed alone / next to a name that may match the end of a number; numbers shorter than
#: ``TAIL_INDEXED`` digits (house numbers, years) get no tail token.
TAIL_ALONE = 6
TAIL_WITH_WORDS = 4
TAIL_INDEXED = 7
#: Shorter digit words match whole words only: '09' starts every mobile number in the country.
PREFIX_DIGITS = 4


@lru_cache(maxsize=65536)
def _folded(part: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(part)))


def tokens(value: str | None) -> list[str]:
    """Folded words of ``value``: 'Đặng Thuỳ-Dương' → ['dang', 'thuy', 'duong'].

    Folded space-separated part by part through a cache: names are made of few distinct words, and
    a rebuild folds millions of them.
    """
    words: list[str] = []
    for part in (value or "").split():
        words.extend(_folded(part))
    return words


def exact_token(words: list[str]) -> str:
    """One token standing for a whole folded title (exact-title hits come first)."""
    return "x" + hashlib.blake2b(" ".join(words).encode(), digest_size=8).hexdigest()


@dataclass
class Document:
    """The index entry of one record."""

    key: int
    title: list[str]
    body: list[str]
    meta: list[str]


@dataclass
class Query:
    """A typed query: folded words (each matches a word start) and, for phone numbers, digit forms."""

    words: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # any of these, instead of all the words
    tails: dict[str, str] = field(default_factory=dict)  # digit word → tail token it may also match
    number_tail: str = ""  # tail token of a whole phone-like query, an alternative to ``numbers``

    def __bool__(self) -> bool:
        return bool(self.words or self.numbers)

    @property
    def exact(self) -> str:
        return exact_token(self.words)


def star(word: str) -> bool:
    """Whether ``word`` may match as the start of a word (all but short numbers)."""
    return not (len(word) < PREFIX_DIGITS and word.isdigit())


def tail_token(digits: str) -> str:
    """The meta token whose prefixes are the endings of ``digits``: '0912345678' → 'r8765432190'."""
    return "r" + digits[::-1]


def parse_query(raw: str | None) -> Query:
    """Folded words of ``raw``; a phone number typed any way also gives its stored digit forms.

    '0912 345 678', '+84 912345678' and '912345678' all give '0912345678' (how ``search_text``
    keeps a Vietnamese number), plus the digits as typed (tax codes, foreign numbers). Digits may
    also be the end of a number: '345678', '345 678', 'lan 5678' (see ``TAIL_ALONE``).
    """
    raw = (raw or "").strip()[:200]
    query = Query(words=tokens(raw)[:MAX_WORDS])
    if _PHONE_LIKE.match(raw):
        digits = re.sub(r"\D", "", raw)
        try:
            e164 = normalize_phone(raw)
        except ValidationError:
            e164 = ""
        forms = ["0" + e164[3:] if e164.startswith("+84") else e164[1:], digits]
        query.numbers = list(dict.fromkeys(f for f in forms if f))
        if len(digits) >= TAIL_ALONE:
            query.number_tail = tail_token(digits)
    named = any(not w.isdigit() for w in query.words)
    shortest = TAIL_WITH_WORDS if named else TAIL_ALONE
    query.tails = {
        w: tail_token(w) for w in query.words if w.isascii() and w.isdigit() and len(w) >= shortest
    }
    return query


#: Meta token of the records of shared kinds (``register(..., shared=True)``): every scope has it.
SHARED_TOKEN = "pub"


def kind_token(code: int) -> str:
    return f"k{code}"


def scope_tokens(user) -> list[str] | None:
    """Meta tokens of the records ``user``'s data scope reaches; None means every record.

    Mirrors ``VisibleQuerySet.visible_to`` line by line; results are confirmed through
    ``visible_to`` afterwards, so a difference could only hide a hit, never show a foreign one.
    """
    from sencrm.common.models import DataScope

    scope = user.data_scope
    if scope == DataScope.ALL:
        return None
    if scope == DataScope.BRANCH:
        return [f"b{pk}" for pk in user.branch_ids_below()] + [SHARED_TOKEN]
    if scope == DataScope.TEAM and user.team_id:
        return [f"t{user.team_id}", f"o{user.pk}", SHARED_TOKEN]
    return [f"o{user.pk}", SHARED_TOKEN]


def number_tails(body: list[str]) -> list[str]:
    """Tail tokens of the long numbers among ``body``'s words, one per number.

    A Vietnamese phone is in ``search_text`` twice ('84912345678' and '0912345678', same ending):
    only the national form gets a tail token.
    """
    numbers = {w for w in body if len(w) >= TAIL_INDEXED and w.isdigit() and w.isascii()}
    return [tail_token(n) for n in sorted(numbers) if not (n.startswith("84") and "0" + n[2:] in numbers)]


def document(kind, obj) -> Document:
    """The index entry of record ``obj`` of ``kind`` (a ``registry.SearchKind``)."""
    title = tokens(kind.title(obj))
    body = _TOKEN.findall(obj.search_text or "")[:MAX_BODY_TOKENS]
    meta = [kind_token(kind.code), f"o{obj.owner_id}", f"b{obj.branch_id}", exact_token(title)]
    if obj.team_id:
        meta.append(f"t{obj.team_id}")
    if kind.shared:
        meta.append(SHARED_TOKEN)
    meta.extend(number_tails(body))
    return Document(key=kind.key(obj.pk), title=title, body=body, meta=meta)
