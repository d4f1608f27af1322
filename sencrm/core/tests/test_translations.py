"""Vietnamese and English are complete: every message extracted from the code is translated."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def test_vietnamese_catalogue_is_complete_and_compiled():
    """English is the source language (msgids); Vietnamese must cover every message."""
    language = "vi"
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po.untranslated_entries()]
    assert missing == [], f"untranslated: {missing[:20]}"
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert fuzzy == [], f"fuzzy: {fuzzy[:20]}"
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in mo}
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in po.translated_entries()}
    assert compiled == source, "django.mo is out of date: run `make messages`"


def test_placeholders_survive_translation():
    po = polib.pofile(str(LOCALE / "vi" / "LC_MESSAGES" / "django.po"))
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    broken = []
    for e in po.translated_entries():
        # Plural entries: Vietnamese has one form (nplurals=1) translating the plural msgid.
        source, target = (e.msgid_plural, e.msgstr_plural[0]) if e.msgid_plural else (e.msgid, e.msgstr)
        if sorted(pattern.findall(source)) != sorted(pattern.findall(target)):
            broken.append(e.msgid)
    assert broken == []
