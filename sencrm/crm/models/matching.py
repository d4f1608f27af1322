"""Blocking keys of the duplicate finder, computed from a record's own fields (issue 3).

Fuzzy matching (``crm.services.duplicates``) only compares records that share a key, so finding the
duplicates of one record reads one indexed block instead of the whole table. Keys are folded
(VIETNAM.md §4: 'Đức' and 'Duc' share a block) and merge the northern and southern forms of one
family name (§3: Hoàng/Huỳnh, Vũ/Võ), so those variants meet and get scored.
"""

import re

from sencrm.common.text import fold

# Northern/southern spellings of one family name (VIETNAM.md §3), folded → canonical folded form.
FAMILY_VARIANTS = {"huynh": "hoang", "vo": "vu"}

# Phrases and words of Vietnamese company names that say the legal form or trade, not who the
# company is ('Công ty TNHH Thương mại Minh Anh' is 'Minh Anh'). Whole phrases, so that names such
# as 'Mai Linh' keep their words.
COMPANY_NOISE_PHRASES = (
    "cong ty", "co phan", "trach nhiem huu han", "mot thanh vien", "thuong mai", "dich vu",
    "san xuat", "xuat nhap khau", "dau tu", "xay dung", "ky thuat", "cong nghe", "giai phap",
    "tap doan", "tong cong ty", "chi nhanh", "van phong dai dien", "doanh nghiep tu nhan",
    "ho kinh doanh",
)  # fmt: skip
COMPANY_NOISE_WORDS = frozenset(
    ["cty", "tnhh", "mtv", "cp", "tm", "dv", "sx", "xnk", "hkd", "dntn", "jsc", "llc", "ltd", "co",
     "corp", "corporation", "company", "inc", "group"]
)  # fmt: skip
_NOISE = re.compile(r"\b(?:" + "|".join(COMPANY_NOISE_PHRASES) + r")\b")
_WORD = re.compile(r"\w+")


def canonical_family(family: str) -> str:
    folded = fold(family).strip()
    return FAMILY_VARIANTS.get(folded, folded)


def person_match_key(family: str, given: str) -> str:
    """'Huỳnh Văn Đức' → 'hoang|duc': canonical family name and folded given name."""
    given_words = _WORD.findall(fold(given))
    if not given_words:
        return ""
    family_words = _WORD.findall(fold(family))
    family_key = " ".join(FAMILY_VARIANTS.get(w, w) for w in family_words[:1])
    return f"{family_key}|{given_words[-1]}"[:100]


def company_words(name: str) -> list[str]:
    """The folded words that name the company itself ('Công ty TNHH Minh Anh' → ['minh', 'anh'])."""
    folded = fold(name)
    words = _WORD.findall(folded)
    core = [w for w in _WORD.findall(_NOISE.sub(" ", folded)) if w not in COMPANY_NOISE_WORDS]
    return core or words


def company_match_key(name: str) -> str:
    """'Công ty TNHH Thương mại Minh Anh' → 'co:minh anh': the first two words that are its own."""
    words = company_words(name)
    return f"co:{' '.join(words[:2])}"[:100] if words else ""
