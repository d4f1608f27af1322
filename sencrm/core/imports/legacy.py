"""Legacy Vietnamese font encodings: TCVN3 (ABC, the .VnTime fonts) and VNI (VNI-Windows fonts).

Before Unicode, Vietnamese offices typed with fonts that drew Vietnamese letters in place of
Latin-1 characters. A cell typed "Nguyễn Văn Đức" in .VnTime is stored as "NguyÔn V¨n §øc"; in
VNI-Times as "Nguyeãn Vaên Ñöùc". Excel files from those years still circulate, and their CSV
exports carry the same characters (as Windows-1252 bytes).

No maintained PyPI package does this conversion (we looked: none for TCVN3/VNI), so the tables
below are ours; ``test_import_legacy.py`` round-trips every Vietnamese letter through each.

TCVN3 has one code per lower-case letter; upper-case toned letters used a separate font
(.VnTimeH) with the same codes, so they come back lower-case (only Ă Â Ê Ô Ơ Ư Đ have their own
codes). VNI writes a base letter followed by one or two mark characters.
"""
# ruff: noqa: E501 - code tables read best one row per line

import re
import unicodedata

# --- TCVN3 ---------------------------------------------------------------------------------------
_TCVN3_CODES = {
    "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7,
    "ă": 0xA8, "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE,
    "à": 0xB5, "ả": 0xB6, "ã": 0xB7, "á": 0xB8, "ạ": 0xB9,
    "ằ": 0xBB, "ẳ": 0xBC, "ẵ": 0xBD, "ắ": 0xBE, "ặ": 0xC6,
    "ầ": 0xC7, "ẩ": 0xC8, "ẫ": 0xC9, "ấ": 0xCA, "ậ": 0xCB,
    "è": 0xCC, "ẻ": 0xCE, "ẽ": 0xCF, "é": 0xD0, "ẹ": 0xD1,
    "ề": 0xD2, "ể": 0xD3, "ễ": 0xD4, "ế": 0xD5, "ệ": 0xD6,
    "ì": 0xD7, "ỉ": 0xD8, "ĩ": 0xDC, "í": 0xDD, "ị": 0xDE,
    "ò": 0xDF, "ỏ": 0xE1, "õ": 0xE2, "ó": 0xE3, "ọ": 0xE4,
    "ồ": 0xE5, "ổ": 0xE6, "ỗ": 0xE7, "ố": 0xE8, "ộ": 0xE9,
    "ờ": 0xEA, "ở": 0xEB, "ỡ": 0xEC, "ớ": 0xED, "ợ": 0xEE,
    "ù": 0xEF, "ủ": 0xF1, "ũ": 0xF2, "ú": 0xF3, "ụ": 0xF4,
    "ừ": 0xF5, "ử": 0xF6, "ữ": 0xF7, "ứ": 0xF8, "ự": 0xF9,
    "ỳ": 0xFA, "ỷ": 0xFB, "ỹ": 0xFC, "ý": 0xFD, "ỵ": 0xFE,
}  # fmt: skip
_TCVN3_DECODE = {chr(code): letter for letter, code in _TCVN3_CODES.items()}
_TCVN3_TRANS = str.maketrans(_TCVN3_DECODE)

# --- VNI -----------------------------------------------------------------------------------------
# Marks after the base letter (lower-case form; upper-case letters take the upper-case mark).
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_HAT_TONE = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}  # â ê ô
_VNI_BREVE_TONE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}  # ă
# Letters VNI writes as one character.
_VNI_SINGLE = {
    "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î", "đ": "ñ", "ơ": "ô", "ư": "ö",
    "Í": "Í", "Ì": "Ì", "Ỉ": "Æ", "Ĩ": "Ó", "Ị": "Ò", "Ỵ": "Î", "Đ": "Ñ", "Ơ": "Ô", "Ư": "Ö",
}  # fmt: skip

VIETNAMESE_LETTERS = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵđ"
VIETNAMESE_LETTERS = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
_VI_SET = frozenset(VIETNAMESE_LETTERS)


def _vni_encode_letter(letter: str) -> str:
    if letter in _VNI_SINGLE:
        return _VNI_SINGLE[letter]
    upper = letter.isupper()
    d = unicodedata.normalize("NFD", letter.lower())
    base, marks = d[0], d[1:]
    tone = next((m for m in marks if m in _VNI_TONE), "")
    if "\u031b" in marks:  # horn: ơ ư
        seq = _VNI_SINGLE["ơ" if base == "o" else "ư"] + (_VNI_TONE[tone] if tone else "")
    elif "\u0302" in marks:
        seq = base + _VNI_HAT_TONE[tone]
    elif "\u0306" in marks:
        seq = base + _VNI_BREVE_TONE[tone]
    else:
        seq = base + (_VNI_TONE[tone] if tone else "")
    if base == "i" and tone:
        seq = _VNI_SINGLE[letter.lower()]
    if base == "y" and tone == "\u0323":
        seq = _VNI_SINGLE["ỵ"]
    return seq.upper() if upper else seq


_VNI_ENCODE = {letter: _vni_encode_letter(letter) for letter in VIETNAMESE_LETTERS}
_VNI_DECODE: dict[str, str] = {}
for _letter, _seq in _VNI_ENCODE.items():
    if _seq != _letter:
        _VNI_DECODE.setdefault(_seq, _letter)


def tcvn3_encode(text: str) -> str:
    """Unicode → TCVN3 as Latin-1 characters (for tests and fixtures); upper-case toned letters lose case."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        code = _TCVN3_CODES.get(ch) or _TCVN3_CODES.get(ch.lower())
        out.append(chr(code) if code and ch in _TCVN3_CODES or (code and ch not in "ĂÂÊÔƠƯĐ") else ch)
    return "".join(out)


def tcvn3_decode(text: str) -> str:
    """TCVN3 (as Latin-1 characters) → Unicode NFC."""
    return text.translate(_TCVN3_TRANS)


def vni_encode(text: str) -> str:
    """Unicode → VNI as Latin-1 characters (for tests and fixtures)."""
    return "".join(_VNI_ENCODE.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def vni_decode(text: str) -> str:
    """VNI (as Latin-1 characters) → Unicode NFC: longest sequence first."""
    out, i, n = [], 0, len(text)
    while i < n:
        pair = text[i : i + 2]
        if len(pair) == 2 and pair in _VNI_DECODE:
            out.append(_VNI_DECODE[pair])
            i += 2
            continue
        out.append(_VNI_DECODE.get(text[i], text[i]))
        i += 1
    return "".join(out)


DECODERS = {"tcvn3": tcvn3_decode, "vni": vni_decode}
LABELS = {"tcvn3": "TCVN3 (ABC, .VnTime)", "vni": "VNI (VNI-Times)"}


_VOWELS = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵ"
_SYLLABLE = re.compile(
    rf"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?([{_VOWELS}]{{1,3}})(ng|nh|ch|[cmnpt])?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# Vowel nuclei of Vietnamese syllables, tones removed.
_NUCLEI = frozenset(
    [
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "y",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iê",
        "iu",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "oo",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uô",
        "uơ",
        "ưa",
        "ưi",
        "ưu",
        "ươ",
        "uy",
        "yê",
        "iêu",
        "yêu",
        "oai",
        "oay",
        "oao",
        "oeo",
        "uôi",
        "ươi",
        "ươu",
        "uây",
        "uya",
        "uyê",
        "uyu",
    ]
)


def _is_syllable(word: str) -> bool:
    m = _SYLLABLE.fullmatch(word)
    if not m:
        return False
    decomposed = unicodedata.normalize("NFD", m.group(2).lower())
    if sum(1 for c in decomposed if c in _TONES) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return bare in _NUCLEI


def vietnamese_score(text: str) -> int:
    """How much ``text`` reads as Unicode Vietnamese: each word with accented letters scores +3 when
    it is a possible Vietnamese syllable and −3 when not ("NguyÔn", "Vaên" are not); each
    non-ASCII character that is no Vietnamese letter (µ, §, ö…) scores −3."""
    score = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        score += 3 if _is_syllable(word) else -3
    score -= 3 * sum(1 for ch in text if ch >= "\x80" and ch not in _VI_SET and not ch.isspace())
    return score


def detect_legacy(sample: str) -> str | None:
    """'tcvn3' or 'vni' when ``sample`` reads clearly better converted than as it is, else None."""
    if not any(ch >= "\x80" for ch in sample):
        return None
    as_is = vietnamese_score(sample)
    scores = {name: vietnamese_score(decode(sample)) for name, decode in DECODERS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] > max(as_is + 2, 0) else None
