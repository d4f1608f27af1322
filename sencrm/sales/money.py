"""Money arithmetic of quotes (and later orders and invoices): pure functions, Decimal only.

The Vietnamese invoice way (VIETNAM.md §6):

1. each line: ``gross = quantity × unit price``, rounded to the currency's unit; the discount is a
   percentage of the gross (rounded) or an amount (at most the gross); ``amount = gross − discount``;
2. lines are grouped by VAT rate; VAT is computed once per rate on that rate's subtotal and
   rounded (not per line, which would drift by a đồng per line);
3. the grand total is the sum of the subtotals plus the sum of the VAT amounts.

Rounding is ROUND_HALF_UP to the currency's minor unit: whole đồng for VND (no minor unit), cents
for USD. ``amount_in_words`` spells a total the way a Vietnamese quote or invoice does.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

#: VAT percentage of each rate code; "kct" (không chịu thuế, not subject) carries no VAT and is
#: a group of its own, apart from 0 %.
VAT_PERCENT: dict[str, Decimal] = {
    "10": Decimal(10),
    "8": Decimal(8),
    "5": Decimal(5),
    "0": Decimal(0),
    "kct": Decimal(0),
}
#: The order rates are listed in on a quote: highest first, "not subject" last.
VAT_ORDER = ["10", "8", "5", "0", "kct"]
#: Minor-unit digits of currencies when the currency table is not at hand.
DEFAULT_DECIMALS = {"VND": 0, "JPY": 0, "KRW": 0}
HUNDRED = Decimal(100)


class MoneyError(ValueError):
    """Input the arithmetic cannot accept; ``field`` names the line field at fault."""

    def __init__(self, field: str, code: str):
        self.field = field
        self.code = code
        super().__init__(f"{field}: {code}")


def decimals_of(currency: str) -> int:
    return DEFAULT_DECIMALS.get(currency.upper(), 2)


def round_money(value: Decimal, decimals: int) -> Decimal:
    """``value`` rounded half up to ``decimals`` digits (0 for VND: whole đồng)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    vat_rate: str = "10"
    discount_percent: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price, rounded
    discount: Decimal  # rounded
    amount: Decimal  # gross − discount: the line's value before VAT


def check_line(line: LineInput) -> None:
    """Raise MoneyError for a line that cannot be priced (the services turn it into field errors)."""
    if line.quantity <= 0:
        raise MoneyError("quantity", "quantity_positive")
    if line.unit_price < 0:
        raise MoneyError("unit_price", "price_negative")
    if not 0 <= line.discount_percent <= 100:
        raise MoneyError("discount_percent", "discount_percent_range")
    if line.discount_amount < 0:
        raise MoneyError("discount_amount", "discount_amount_negative")
    if line.discount_percent and line.discount_amount:
        raise MoneyError("discount_amount", "discount_both")
    if line.vat_rate not in VAT_PERCENT:
        raise MoneyError("vat_rate", "vat_rate_unknown")


def line_amounts(line: LineInput, decimals: int) -> LineAmounts:
    """Gross, discount and amount of one line, each rounded to the currency's unit."""
    check_line(line)
    gross = round_money(line.quantity * line.unit_price, decimals)
    if line.discount_percent:
        discount = round_money(gross * line.discount_percent / HUNDRED, decimals)
    else:
        discount = round_money(line.discount_amount, decimals)
        if discount > gross:
            raise MoneyError("discount_amount", "discount_over_gross")
    return LineAmounts(gross=gross, discount=discount, amount=gross - discount)


@dataclass(frozen=True)
class VatGroup:
    rate: str  # a VAT_PERCENT key
    subtotal: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.vat


@dataclass(frozen=True)
class Totals:
    lines: list[LineAmounts] = field(default_factory=list)
    groups: list[VatGroup] = field(default_factory=list)  # in VAT_ORDER, only rates used
    subtotal: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


def quote_totals(lines: Iterable[LineInput], decimals: int) -> Totals:
    """Every figure of a quote: per line, per VAT rate, and the grand totals."""
    amounts: list[LineAmounts] = []
    by_rate: dict[str, Decimal] = {}
    for line in lines:
        figures = line_amounts(line, decimals)
        amounts.append(figures)
        by_rate[line.vat_rate] = by_rate.get(line.vat_rate, Decimal(0)) + figures.amount
    groups = [
        VatGroup(
            rate=rate,
            subtotal=by_rate[rate],
            vat=round_money(by_rate[rate] * VAT_PERCENT[rate] / HUNDRED, decimals),
        )
        for rate in VAT_ORDER
        if rate in by_rate
    ]
    subtotal = sum((g.subtotal for g in groups), Decimal(0))
    vat = sum((g.vat for g in groups), Decimal(0))
    unit = Decimal(1).scaleb(-decimals)
    return Totals(
        lines=amounts,
        groups=groups,
        subtotal=subtotal.quantize(unit),
        discount=sum((a.discount for a in amounts), Decimal(0)).quantize(unit),
        vat=vat.quantize(unit),
        total=(subtotal + vat).quantize(unit),
    )


def convert(amount: Decimal, *, rate_from: Decimal, rate_to: Decimal, decimals: int) -> Decimal:
    """``amount`` of a currency worth ``rate_from`` VND a unit, in one worth ``rate_to`` VND."""
    return round_money(amount * rate_from / rate_to, decimals)


# ---------------------------------------------------------------------------------------------------
# Amounts in Vietnamese words ("Bằng chữ")
# ---------------------------------------------------------------------------------------------------

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_GROUPS = ["", "nghìn", "triệu"]
#: What the whole and the minor units of a currency are called in words.
CURRENCY_WORDS = {
    "VND": ("đồng", ""),
    "USD": ("đô la Mỹ", "xu"),
    "EUR": ("euro", "xu"),
}


def _three(n: int, full: bool) -> list[str]:
    """Words of 0 ≤ n < 1000. ``full``: a group after a higher one, so "không trăm", "linh" show."""
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if ones and words:
            words.append("linh")  # 105: một trăm linh năm (the South says "lẻ")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if ones == 0:
        return words
    if ones == 1 and tens > 1:
        words.append("mốt")  # 21: hai mươi mốt
    elif ones == 5 and tens > 0:
        words.append("lăm")  # 15: mười lăm, 25: hai mươi lăm (but 105: linh năm)
    elif ones == 4 and tens > 1:
        words.append("tư")  # 24: hai mươi tư
    else:
        words.append(_DIGITS[ones])
    return words


def number_in_words(n: int, *, full: bool = False) -> str:
    """A whole number ≥ 0 in Vietnamese words, lower case: 1005 → "một nghìn không trăm linh năm"."""
    if n < 0:
        return "âm " + number_in_words(-n)
    if n == 0:
        return "không"
    words: list[str] = []
    billions, rest = divmod(n, 10**9)
    if billions:
        words += [number_in_words(billions, full=full), "tỷ"]
        full = True
    groups = [rest // 10**6, rest // 1000 % 1000, rest % 1000]
    for index, value in enumerate(groups):
        if value == 0:
            continue
        words += _three(value, full)
        if _GROUPS[2 - index]:
            words.append(_GROUPS[2 - index])
        full = True
    return " ".join(w for w in words if w)


def amount_in_words(amount: Decimal | int, currency: str = "VND") -> str:
    """The amount as written under a total: 1250000 → "Một triệu hai trăm năm mươi nghìn đồng".

    Minor units are spelled after the whole ones ("… đô la Mỹ và năm mươi xu").
    """
    code = currency.upper()
    decimals = decimals_of(code)
    value = round_money(Decimal(amount), decimals)
    whole = int(value)
    minor = int((value - whole).scaleb(decimals)) if decimals else 0
    major_name, minor_name = CURRENCY_WORDS.get(code, (code, ""))
    text = f"{number_in_words(whole)} {major_name}"
    if minor:
        text += f" và {number_in_words(minor)} {minor_name or code}".rstrip()
    return text[0].upper() + text[1:]
