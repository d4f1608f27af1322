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


def test_fast_phone_format_matches_phonenumbers():
    import random

    from sencrm.common.exports import _PHONE_TEMPLATES, fast_format_phone
    from sencrm.common.phones import format_phone, normalize_phone

    rng = random.Random(7)
    typed = [
        "0912345678", "0332136990", "024 3826 4567", "028 3822 1234", "0236 3821 234", "1900 1234",
        "1800 1234", "1900123456", "+1 650 253 0000", "+44 20 7946 0958", "+33 1 42 68 53 00",
        "+81 3-1234-5678", "+84 69 123 4567", "+84 199 123 4567",
    ]  # fmt: skip
    numbers = [normalize_phone(t) for t in typed]
    for prefix in ["+8491", "+8432", "+8470", "+8424", "+8428", "+84236", "+841", "+86"]:
        numbers += [prefix + str(rng.randrange(10**6, 10**8)) for _ in range(30)]
    numbers += ["", "0912345678", "+84", "+84abc", "12345"]  # not stored E.164: left to phonenumbers
    _PHONE_TEMPLATES.clear()
    for number in numbers * 2:  # the second pass uses the templates
        assert fast_format_phone(number) == format_phone(number), number
    assert fast_format_phone("+84912345678") == "0912 345 678"
    assert len(_PHONE_TEMPLATES) < len(set(numbers))


def test_xlsx_cells_are_escaped_and_typed():
    from sencrm.common.exports import _xlsx_column

    cells = _xlsx_column(["a<b & c>", "bell\x07 ok", "=1+1", None, 5, 1.5, True, datetime.date(2026, 3, 5)])
    assert cells == [
        '<c t="inlineStr"><is><t xml:space="preserve">a&lt;b &amp; c&gt;</t></is></c>',
        '<c t="inlineStr"><is><t xml:space="preserve">bell ok</t></is></c>',  # no XML 1.0 control chars
        '<c t="inlineStr"><is><t xml:space="preserve">\'=1+1</t></is></c>',
        "<c/>",
        "<c><v>5</v></c>",
        "<c><v>1.5</v></c>",
        '<c t="b"><v>1</v></c>',
        '<c s="1"><v>46086.0</v></c>',
    ]
