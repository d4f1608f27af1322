"""Forms of the order pages. Like every record form they only parse; the services validate.
The lines come from the quotes' line editor (``sales.forms.parse_lines``)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from sencrm.common.forms import RecordForm, RecordMeta
from sencrm.sales.forms import DecimalInput, currency_choices
from sencrm.sales.models import Carrier, Contract, Order


class OrderForm(RecordForm):
    """An order's header, entered by hand (orders from quotes and shops are made for you)."""

    pickers = {"account": "crm:account_list", "contact": "crm:contact_list"}
    widths = {"currency": 4, "order_date": 4, "external_ref": 4}
    wide = ("notes", "shipping_address")

    class Meta(RecordMeta):
        model = Order
        fields = [
            "title",
            "account",
            "contact",
            "currency",
            "order_date",
            "external_ref",
            "shipping_address",
            "notes",
            "owner",
        ]

    fieldsets = [
        (gettext_lazy("Order"), ["title", "account", "contact"]),
        (gettext_lazy("Date and currency"), ["currency", "order_date", "external_ref"]),
        (gettext_lazy("Delivery and notes"), ["shipping_address", "notes"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"] = forms.ChoiceField(
            label=self.fields["currency"].label, choices=currency_choices(), required=False
        )
        self.fields["currency"].widget.attrs["class"] = "form-select"
        self.fields["order_date"].required = False
        if self.instance.pk and self.instance.status != Order.Status.NEW:
            # Once confirmed, the ERP works from the customer and the lines as they are.
            for name in ("account", "contact", "currency", "order_date"):
                self.fields[name].disabled = True


class OrderStatusForm(forms.Form):
    """Moving an order to another status; shipping may name the carrier and tracking number."""

    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Order.Status.choices)
    carrier = forms.ChoiceField(
        label=gettext_lazy("Carrier"), choices=[("", "—"), *Carrier.choices], required=False
    )
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), max_length=60, required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ContractForm(RecordForm):
    """A contract's fields; documents are attached on its page."""

    pickers = {"account": "crm:account_list", "contact": "crm:contact_list", "order": "sales:order_list"}
    widths = {"start_date": 4, "end_date": 4, "notice_days": 4, "value": 6, "type": 6, "status": 6}
    wide = ("renewal_terms", "notes")

    class Meta(RecordMeta):
        model = Contract
        fields = [
            "number",
            "title",
            "type",
            "status",
            "account",
            "contact",
            "order",
            "start_date",
            "end_date",
            "notice_days",
            "value",
            "auto_renew",
            "renewal_terms",
            "notes",
            "owner",
        ]

    fieldsets = [
        (gettext_lazy("Contract"), ["number", "title", "type", "status", "account", "contact", "order"]),
        (gettext_lazy("Term and value"), ["start_date", "end_date", "notice_days", "value", "auto_renew"]),
        (gettext_lazy("Renewal terms and notes"), ["renewal_terms", "notes"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "150.000.000" typed the Vietnamese way, as on product prices.
        self.fields["value"] = DecimalInput(label=self.fields["value"].label, required=False)

    def service_data(self) -> dict:
        data = super().service_data()
        if data.get("value") is None:
            data["value"] = Decimal(0)
        return data


class ContractDocumentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
