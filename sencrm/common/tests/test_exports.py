"""Writers of ``common.exports``: formula neutralising, vCard escaping and folding, CSV text."""

import datetime

from sencrm.common.exports import _vcard_fold, safe_text, text_value


def test_formulas_get_a_leading_quote():
    for risky in ["=1+1", "+84 912", "-2", "@SUM(A1)", "\tx", "\rx"]:
        assert safe_text(risky) == "'" + risky
    for fine in ["Nguyễn", "0912 345 678", "", "a=b"]:
        assert safe_text(fine) == fine


def test_text_values_are_for_people():
    assert text_value(datetime.date(2026, 3, 5)) == "05/03/2026"
    assert text_value(datetime.datetime(2026, 3, 5, 9, 7, tzinfo=datetime.UTC)) == "05/03/2026 09:07"
    assert text_value(1_250_000) == "1250000"
    assert text_value(None) == ""
    assert text_value("=cmd") == "'=cmd"


def test_vcard_lines_fold_without_splitting_characters():
    line = "NOTE:" + "Đặng Văn Đức " * 20
    folded = _vcard_fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert folded.replace("\r\n ", "").rstrip("\r\n") == line
