"""Vietnamese text helpers: NFC normalisation, diacritic folding, name splitting and sort keys.

See ../shared/VIETNAM.md §3–4. Folding is what search matches on (``nguyen`` finds ``Nguyễn``,
``dang`` finds ``Đặng``); the sort key orders names as Vietnamese users expect, by given name,
then middle name, then family name, with Vietnamese letter order (a < ă < â, d < đ) and tones as
a secondary difference. The key is made of digits only, so it sorts the same under any database
collation and can carry a plain B-tree index on SQLite and PostgreSQL alike.
"""

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)


def nfc(value: str | None) -> str:
    """Return ``value`` stripped and in Unicode NFC (Windows' keyboard emits combining tones)."""
    return unicodedata.normalize("NFC", value or "").strip()


def _fold_slow(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


# Characters below U+3000 whose folded form differs from themselves, before case folding: letters
# with diacritics → their base letters, combining marks → nothing, đ/Đ → d/D. Removing every mark
# makes the per-character mapping equal to folding the whole string (NFD only reorders marks).
_FOLD_LIMIT = "　"
_FOLD_TABLE = {
    code: mapped
    for code in range(0x80, ord(_FOLD_LIMIT))
    if (mapped := _fold_slow(chr(code)) if unicodedata.combining(chr(code)) == 0 else "")
    != chr(code).casefold()
    or unicodedata.combining(chr(code))
}
_BEYOND_TABLE = re.compile(f"[^\x00-{chr(ord(_FOLD_LIMIT) - 1)}]")


def fold(value: str | None) -> str:
    """Lower-case ``value`` and remove Vietnamese diacritics: 'Đặng Thuỳ Dương' → 'dang thuy duong'.

    One ``str.translate`` over a table built at start-up (the hot path of imports, search and sort
    keys); text with characters beyond the table's range takes Unicode's own decomposition.
    """
    if not value:
        return ""
    if value.isascii():
        return value.casefold()
    if _BEYOND_TABLE.search(value):
        return _fold_slow(value)
    return value.translate(_FOLD_TABLE).casefold()


def search_words(value: str | None) -> list[str]:
    """The folded words of a search query, in order."""
    return _WORD.findall(fold(value))


def search_text(*parts: str | None) -> str:
    """Folded, space-joined text stored beside a record for diacritic-insensitive search.

    Each part is added folded; phone numbers are added in E.164 and national digit forms so that
    '0912 345 678', '+84912345678' and '912345678' all match.
    """
    words: list[str] = []
    for part in parts:
        if not part:
            continue
        words.extend(_WORD.findall(fold(part)))
        if part.startswith("+84"):
            words.append("0" + part[3:])
    return " " + " ".join(words) + " "


# --- names ----------------------------------------------------------------------------------------
COMPOUND_FAMILY_NAMES = {"tôn thất", "tôn nữ", "nguyễn phúc", "âu dương", "công tằng tôn nữ"}


def split_name(full_name: str) -> tuple[str, str, str]:
    """Split a Vietnamese full name into (họ, tên đệm, tên). A heuristic: the parts stay editable."""
    parts = nfc(full_name).split()
    if not parts:
        return "", "", ""
    if len(parts) == 1:
        return "", "", parts[0]
    n = 2 if len(parts) > 2 and " ".join(parts[:2]).lower() in COMPOUND_FAMILY_NAMES else 1
    return " ".join(parts[:n]), " ".join(parts[n:-1]), parts[-1]


def join_name(family: str, middle: str, given: str) -> str:
    """Full name in Vietnamese order (họ tên đệm tên), whatever the UI language."""
    return " ".join(p for p in (nfc(family), nfc(middle), nfc(given)) if p)


# Vietnamese alphabet order; each letter gets a two-digit primary code after the digits 0–9.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_PRIMARY = {ch: f"{11 + i:02d}" for i, ch in enumerate(_ALPHABET)}
_PRIMARY.update({str(d): f"{1 + d:02d}" for d in range(10)})
_TONE = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}  # huyền hỏi ngã sắc nặng
_LETTER_MARK = {"\u0306": "ă", "\u0302": None, "\u031b": None}


def _base_letter(decomposed: str) -> tuple[str, str]:
    """Return (Vietnamese base letter, tone digit) of one decomposed, lower-case character."""
    base, tone = decomposed[0], "0"
    for mark in decomposed[1:]:
        if mark in _TONE:
            tone = _TONE[mark]
        elif mark == "\u0306" and base == "a":
            base = "ă"
        elif mark == "\u0302" and base in "aeo":
            base = {"a": "â", "e": "ê", "o": "ô"}[base]
        elif mark == "\u031b" and base in "ou":
            base = {"o": "ơ", "u": "ư"}[base]
    return base, tone


def sort_key(*parts: str | None) -> str:
    """A digits-only key ordering names the Vietnamese way; ``parts`` are compared in order.

    Layout: two-digit primary codes of every part, each part ended by "00" (lower than any letter, so
    "An" < "Anh"), then one tone digit per letter. Names with equal letters therefore compare by
    tone (ma < mà < mả < mã < má < mạ). Keys compare correctly when built from the same number of parts.
    """
    primary: list[str] = []
    tones: list[str] = []
    for part in parts:
        for ch in nfc(part).lower():
            codes = _CODES.get(ch) or _codes(ch)
            if codes is _NO_CODE:
                continue  # spaces and punctuation do not take part in the order
            primary.append(codes[0])
            tones.append(codes[1])
        primary.append("00")
    return ("".join(primary) + "".join(tones))[:250]


_NO_CODE = ("", "")
_CODES: dict[str, tuple[str, str]] = {}  # character → (primary code, tone digit), filled as met


def _codes(ch: str) -> tuple[str, str]:
    if ch == "đ":
        codes = (_PRIMARY["đ"], "0")
    else:
        base, tone = _base_letter(unicodedata.normalize("NFD", ch))
        code = _PRIMARY.get(base)
        codes = _NO_CODE if code is None else (code, tone)
    if len(_CODES) < 10_000:  # the letters and digits of names: a few hundred
        _CODES[ch] = codes
    return codes


def name_sort_key(family: str, middle: str, given: str) -> str:
    """Sort key for a person: given name, then middle name, then family name."""
    return sort_key(given, middle, family)
