"""Forms of the sales pages. Like every record form they only parse; the services validate."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from sencrm.common.forms import RecordForm, RecordMeta
from sencrm.crm.models import Account
from sencrm.sales.models import Currency, PriceList, Product, Quote, VatRate


def currency_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} · {c.name}") for c in Currency.objects.filter(active=True).order_by("code")]


class DecimalInput(forms.Field):
    """A number typed the Vietnamese way ("1.250.000", "1,5") or the English way ("1,250,000.50")."""

    widget = forms.TextInput

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "class": "form-control text-end", "autocomplete": "off"})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format_decimal(value)
        return value

    def to_python(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        number = parse_decimal(text[:40])
        if number is None:
            raise forms.ValidationError(_("Enter a number."))
        return number


def parse_decimal(text: str) -> Decimal | None:
    """A number as people type it; None if it is not one.

    Vietnamese: "1.250.000" → 1250000, "1,5" → 1.5, "12.5" → 12.5 (a dot is a thousands separator
    only between groups of three digits). English: "1,250,000.50" → 1250000.50, "1.5" → 1.5.
    With both separators, the last one is the decimal point.
    """
    text = re.sub(r"[\s\u00a0₫%]|vnd|usd|đ", "", str(text), flags=re.IGNORECASE)
    if not text:
        return None
    vietnamese = (get_language() or "vi").startswith("vi")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        thousands = not vietnamese and re.fullmatch(r"-?\d{1,3}(,\d{3})+", text)
        text = text.replace(",", "") if thousands else text.replace(",", ".")
    elif vietnamese and re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_decimal(value: Decimal | None) -> str:
    """What an input shows for a stored number, without grouping (easy to edit): "1250000", "1,5"
    in Vietnamese, "1.5" in English; ``parse_decimal`` reads it back."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",") if (get_language() or "vi").startswith("vi") else text


class ProductForm(RecordForm):
    widths = {"code": 4, "name": 8, "list_price": 4, "currency": 4, "vat_rate": 4, "unit": 4, "group": 4}

    class Meta(RecordMeta):
        model = Product
        fields = [
            "code",
            "name",
            "group",
            "unit",
            "list_price",
            "currency",
            "vat_rate",
            "active",
            "description",
            "owner",
        ]

    fieldsets = [
        (gettext_lazy("Product"), ["code", "name", "group", "unit", "active"]),
        (gettext_lazy("Price"), ["list_price", "currency", "vat_rate"]),
        (None, ["description"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list_price"] = DecimalInput(label=self.fields["list_price"].label, required=False)
        self.fields["currency"] = forms.ChoiceField(
            label=self.fields["currency"].label, choices=currency_choices(), initial="VND"
        )
        for name in ("currency",):
            self.fields[name].widget.attrs["class"] = "form-select"

    def service_data(self) -> dict:
        data = super().service_data()
        if data.get("list_price") is None:
            data["list_price"] = Decimal(0)
        return data


class PriceListForm(RecordForm):
    widths = {"currency": 4, "valid_from": 4, "valid_to": 4, "account_type": 6, "customer_group": 6}

    class Meta(RecordMeta):
        model = PriceList
        fields = [
            "name",
            "currency",
            "valid_from",
            "valid_to",
            "account_type",
            "customer_group",
            "active",
            "description",
            "owner",
        ]

    fieldsets = [
        (gettext_lazy("Price list"), ["name", "currency", "valid_from", "valid_to", "active"]),
        (gettext_lazy("Applies to"), ["account_type", "customer_group"]),
        (None, ["description"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"] = forms.ChoiceField(
            label=self.fields["currency"].label, choices=currency_choices(), initial="VND"
        )
        self.fields["account_type"] = forms.ChoiceField(
            label=self.fields["account_type"].label,
            choices=[("", _("All account types"))] + list(Account.Type.choices),
            required=False,
            help_text=self.fields["account_type"].help_text,
        )
        for name in ("currency", "account_type"):
            self.fields[name].widget.attrs["class"] = "form-select"


class QuoteForm(RecordForm):
    """The quote's header; the lines come from the line editor (``parse_lines``)."""

    pickers = {
        "account": "crm:account_list",
        "contact": "crm:contact_list",
        "opportunity": "crm:opportunity_list",
    }
    widths = {"currency": 4, "quote_date": 4, "valid_until": 4}
    wide = ("terms", "notes")

    class Meta(RecordMeta):
        model = Quote
        fields = [
            "title",
            "opportunity",
            "account",
            "contact",
            "price_list",
            "currency",
            "quote_date",
            "valid_until",
            "terms",
            "notes",
            "owner",
        ]

    fieldsets = [
        (gettext_lazy("Quote"), ["title", "opportunity", "account", "contact"]),
        (gettext_lazy("Prices and validity"), ["price_list", "currency", "quote_date", "valid_until"]),
        (gettext_lazy("Terms and notes"), ["terms", "notes"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"] = forms.ChoiceField(
            label=self.fields["currency"].label, choices=currency_choices(), required=False
        )
        self.fields["currency"].widget.attrs["class"] = "form-select"
        self.fields["price_list"].queryset = PriceList.objects.visible_to(self.user).filter(active=True)
        self.fields["account"].required = False
        self.fields["account"].help_text = _("Empty: the opportunity's account.")
        self.fields["valid_until"].required = False
        self.fields["valid_until"].help_text = _("Empty: 30 days after the quote date.")
        self.fields["quote_date"].required = False
        if self.instance.pk:
            # Moving a quote to another deal or customer would break its number's story.
            for name in ("opportunity",):
                self.fields[name].disabled = True


#: Inputs of one line in the line editor, in column order.
LINE_INPUTS = (
    "product",
    "description",
    "unit",
    "quantity",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "vat_rate",
)


def row_filled(row: dict[str, str]) -> bool:
    """A row of the line editor with something in it (blank rows are ignored, not errors)."""
    return any(row[name] for name in ("product", "description", "quantity", "unit_price"))


def lines_from_post(post, *, keep_blank: bool = False) -> list[dict[str, str]]:
    """The line editor's rows as typed: each input is posted once per row (``line_<name>``)."""
    columns = {name: post.getlist(f"line_{name}") for name in LINE_INPUTS}
    count = max((len(v) for v in columns.values()), default=0)
    rows = []
    for index in range(count):
        row = {
            name: (values[index] if index < len(values) else "").strip() for name, values in columns.items()
        }
        if keep_blank or row_filled(row):
            rows.append(row)
    return rows


def parse_lines(
    rows: list[dict[str, str]], products: dict[int, Product]
) -> tuple[list[dict], dict[str, list[str]]]:
    """Typed rows → line dicts for the quote service, and parse errors keyed ``lines.<n>.<field>``."""
    lines, errors = [], {}
    for index, row in enumerate(rows):
        line: dict = {
            "description": row["description"],
            "unit": row["unit"],
            "vat_rate": row["vat_rate"] or None,
        }
        product_id = row["product"]
        if product_id:
            product = products.get(int(product_id)) if product_id.isdigit() else None
            if product is None:
                errors[f"lines.{index}.product"] = [_("No such choice, or you may not see it.")]
            line["product"] = product
        else:
            line["product"] = None
        for name in ("quantity", "unit_price", "discount_percent", "discount_amount"):
            if row[name]:
                number = parse_decimal(row[name])
                if number is None:
                    errors[f"lines.{index}.{name}"] = [_("Enter a number.")]
                line[name] = number
            else:
                line[name] = None
        if line["vat_rate"] and line["vat_rate"] not in VatRate.values:
            errors[f"lines.{index}.vat_rate"] = [_("Choose a VAT rate from the list.")]
        lines.append(line)
    return lines, errors


class QuoteSendForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("To"),
        max_length=1000,
        help_text=gettext_lazy("Email addresses, separated by commas."),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255, required=False)
    message = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10000,
    )

    def recipients(self) -> list[str]:
        return [a.strip() for a in re.split(r"[,;\s]+", self.cleaned_data["to"]) if a.strip()]
