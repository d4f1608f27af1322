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


def test_every_message_in_the_code_is_in_the_catalogue(tmp_path):
    """Extract the messages afresh (as `make messages` does) and compare with the committed catalogue."""
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None:
        raise AssertionError("gettext is needed to check the catalogue: apt-get install gettext")
    package = Path(__file__).resolve().parents[2]
    copy = tmp_path / "sencrm"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "data"))
    # Settings whose LOCALE_PATHS is the copy's, so makemessages writes there, not into the repository.
    (tmp_path / "i18n_check_settings.py").write_text(
        f"from sencrm.settings import *  # noqa\nLOCALE_PATHS = [{str(copy / 'locale')!r}]\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "SENCRM_DATA_DIR": str(tmp_path)}
    flags = ["-l", "vi", "--no-location", "--no-obsolete", "-i", "tests_browser/*", "-i", "*/tests/*"]
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", *flags, "--settings", "i18n_check_settings"],
        cwd=copy,
        check=True,
        capture_output=True,
        env=env,
    )
    fresh = polib.pofile(str(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(LOCALE / "vi" / "LC_MESSAGES" / "django.po"))
    key = lambda e: (e.msgctxt, e.msgid)  # noqa: E731
    new = sorted({key(e) for e in fresh} - {key(e) for e in committed}, key=str)
    assert new == [], f"run `make messages` and translate: {new[:20]}"
