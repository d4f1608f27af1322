"""The money arithmetic (``sales.money``) against figures computed by hand."""

from decimal import Decimal as D

import pytest

from sencrm.sales.money import (
    LineInput,
    MoneyError,
    amount_in_words,
    line_amounts,
    number_in_words,
    quote_totals,
    round_money,
)


def test_rounding_is_half_up_to_the_currency_unit():
    assert round_money(D("2.5"), 0) == D(3)
    assert round_money(D("3.5"), 0) == D(4)  # not banker's rounding
    assert round_money(D("-2.5"), 0) == D(-3)
    assert round_money(D("0.125"), 2) == D("0.13")
    assert round_money(D("0.124"), 2) == D("0.12")


def test_vnd_quote_rounds_each_line_and_each_vat_rate():
    lines = [
        LineInput(quantity=D(3), unit_price=D(33333), vat_rate="10"),  # 99 999
        LineInput(
            quantity=D(1), unit_price=D(50001), vat_rate="10", discount_percent=D(10)
        ),  # −5 000,1 → −5 000
        LineInput(
            quantity=D("2.5"), unit_price=D(10001), vat_rate="8", discount_amount=D(3)
        ),  # 25 002,5 → 25 003 − 3
        LineInput(quantity=D(1), unit_price=D(100000), vat_rate="0"),
        LineInput(quantity=D(1), unit_price=D(500000), vat_rate="kct"),
    ]
    totals = quote_totals(lines, 0)
    assert [(a.gross, a.discount, a.amount) for a in totals.lines] == [
        (D(99999), D(0), D(99999)),
        (D(50001), D(5000), D(45001)),
        (D(25003), D(3), D(25000)),
        (D(100000), D(0), D(100000)),
        (D(500000), D(0), D(500000)),
    ]
    assert [(g.rate, g.subtotal, g.vat) for g in totals.groups] == [
        ("10", D(145000), D(14500)),
        ("8", D(25000), D(2000)),
        ("0", D(100000), D(0)),
        ("kct", D(500000), D(0)),  # not subject: its own group, apart from 0 %
    ]
    assert (totals.subtotal, totals.discount, totals.vat, totals.total) == (
        D(770000),
        D(5003),
        D(16500),
        D(786500),
    )


def test_vat_is_computed_on_the_rate_subtotal_not_per_line():
    # Per line, 10 % of 15 đồng rounds to 2 đồng, three times: 6. On the subtotal: 4,5 → 5.
    lines = [LineInput(quantity=D(1), unit_price=D(15), vat_rate="10")] * 3
    totals = quote_totals(lines, 0)
    assert totals.groups[0].vat == D(5)
    assert totals.total == D(50)


def test_usd_quote_keeps_cents():
    lines = [
        LineInput(quantity=D(3), unit_price=D("19.99"), vat_rate="10", discount_percent=D(15)),
        LineInput(quantity=D(1), unit_price=D("0.05"), vat_rate="10"),
        LineInput(quantity=D("0.5"), unit_price=D("0.25"), vat_rate="5"),  # 0,125 → 0,13
    ]
    totals = quote_totals(lines, 2)
    assert [(a.gross, a.discount, a.amount) for a in totals.lines] == [
        (D("59.97"), D("9.00"), D("50.97")),  # 8,9955 → 9,00
        (D("0.05"), D("0.00"), D("0.05")),
        (D("0.13"), D("0.00"), D("0.13")),
    ]
    assert [(g.rate, g.subtotal, g.vat) for g in totals.groups] == [
        ("10", D("51.02"), D("5.10")),  # 5,102
        ("5", D("0.13"), D("0.01")),  # 0,0065
    ]
    assert (totals.subtotal, totals.vat, totals.total) == (D("51.15"), D("5.11"), D("56.26"))


def test_a_discount_amount_may_equal_but_not_exceed_the_line():
    line = LineInput(quantity=D(2), unit_price=D(1000), discount_amount=D(2000))
    assert line_amounts(line, 0).amount == D(0)
    with pytest.raises(MoneyError) as exc:
        line_amounts(LineInput(quantity=D(2), unit_price=D(1000), discount_amount=D(2001)), 0)
    assert (exc.value.field, exc.value.code) == ("discount_amount", "discount_over_gross")


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        (LineInput(quantity=D(0), unit_price=D(1)), "quantity", "quantity_positive"),
        (LineInput(quantity=D(-1), unit_price=D(1)), "quantity", "quantity_positive"),
        (LineInput(quantity=D(1), unit_price=D(-1)), "unit_price", "price_negative"),
        (
            LineInput(quantity=D(1), unit_price=D(1), discount_percent=D("100.01")),
            "discount_percent",
            "discount_percent_range",
        ),
        (
            LineInput(quantity=D(1), unit_price=D(1), discount_percent=D(-1)),
            "discount_percent",
            "discount_percent_range",
        ),
        (
            LineInput(quantity=D(1), unit_price=D(1), discount_amount=D(-1)),
            "discount_amount",
            "discount_amount_negative",
        ),
        (
            LineInput(quantity=D(1), unit_price=D(1), discount_percent=D(5), discount_amount=D(1)),
            "discount_amount",
            "discount_both",
        ),
        (LineInput(quantity=D(1), unit_price=D(1), vat_rate="7"), "vat_rate", "vat_rate_unknown"),
    ],
)
def test_bad_lines_are_refused_naming_the_field(line, field, code):
    with pytest.raises(MoneyError) as exc:
        quote_totals([line], 0)
    assert (exc.value.field, exc.value.code) == (field, code)


def test_a_full_discount_is_allowed():
    assert line_amounts(LineInput(quantity=D(1), unit_price=D(99), discount_percent=D(100)), 0).amount == D(0)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),
        (14, "Mười bốn đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (25, "Hai mươi lăm đồng"),
        (101, "Một trăm linh một đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (115, "Một trăm mười lăm đồng"),
        (1005, "Một nghìn không trăm linh năm đồng"),
        (1015, "Một nghìn không trăm mười lăm đồng"),
        (20_000, "Hai mươi nghìn đồng"),
        (1_000_005, "Một triệu không trăm linh năm đồng"),
        (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (2_015_000_000, "Hai tỷ không trăm mười lăm triệu đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
        (786_500, "Bảy trăm tám mươi sáu nghìn năm trăm đồng"),
    ],
)
def test_amount_in_vietnamese_words(amount, words):
    assert amount_in_words(D(amount)) == words


def test_amount_in_words_of_a_foreign_currency_spells_the_cents():
    assert amount_in_words(D("1234.50"), "USD") == "Một nghìn hai trăm ba mươi tư đô la Mỹ và năm mươi xu"
    assert amount_in_words(D("21.05"), "USD") == "Hai mươi mốt đô la Mỹ và năm xu"


def test_number_in_words_is_lower_case_and_reads_every_group():
    assert number_in_words(3_000_021) == "ba triệu không trăm hai mươi mốt"
