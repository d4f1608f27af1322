"""Invoices (Hóa đơn) and payments: list, detail with payments, invoicing an order (choose the
lines and quantities), recording a payment, cancelling, and the receivables per account.

The pages say plainly that these are not legal e-invoices (VIETNAM.md §6)."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sencrm.common.access import get_object_for_user
from sencrm.common.display import choice_label
from sencrm.common.lists import BranchFilter, ChoiceFilter, Column, RelatedFilter, TeamFilter, UserFilter
from sencrm.common.models import Action
from sencrm.common.views import ObjectDetailView, ObjectListView, requires_right
from sencrm.core.services.records import ConflictError
from sencrm.crm.models import Account
from sencrm.sales.forms import parse_decimal
from sencrm.sales.models import Invoice, Order, PaymentMethod
from sencrm.sales.money import amount_in_words
from sencrm.sales.services.invoices import (
    account_balances,
    invoice_cancel,
    invoice_create,
    invoice_figures,
    invoiced_quantities,
    payment_record,
)
from sencrm.sales.templatetags.sales import format_amount
from sencrm.sales.views.quotes import parse_date

STATUS_COLORS = {"issued": "blue", "paid": "green", "cancelled": "secondary"}


def status_badge(obj):
    if obj.is_overdue():
        return format_html('<span class="badge bg-red-lt">{}</span>', _("Overdue"))
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>',
        STATUS_COLORS.get(obj.status, "secondary"),
        choice_label(obj, "status"),
    )


def total(obj):
    return format_html("{}", format_amount(obj.total, obj.currency))


def outstanding(obj):
    return format_html("{}", format_amount(obj.outstanding, obj.currency))


class InvoiceListView(ObjectListView):
    model = Invoice
    columns = [
        Column("number", link=True, sort="number"),
        Column("account"),
        Column("status", render=status_badge),
        Column("total", render=total, sort="total", css="text-end"),
        Column("paid", render=outstanding, label=gettext_lazy("Outstanding"), sort=None, css="text-end"),
        Column("due_date", sort="due_date"),
        Column("order", default=False),
        Column("owner"),
        Column("created_at", default=False),
    ]
    filters = [
        ChoiceFilter("status"),
        RelatedFilter("account"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
    ]
    default_sort = ["-created_at"]


class InvoiceDetailView(ObjectDetailView):
    model = Invoice
    queryset = Invoice.objects.select_related("account", "order")
    fieldsets = [
        (gettext_lazy("Invoice"), ["account", "order", "invoice_date", "due_date", "payment_method"]),
        (gettext_lazy("Seller"), ["seller_name", "seller_tax_code", "seller_address"]),
        (gettext_lazy("Buyer"), ["buyer_name", "buyer_tax_code", "buyer_address", "buyer_email"]),
        (gettext_lazy("Notes"), ["notes:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        lines = list(obj.lines.select_related("product"))
        figures = invoice_figures(obj, lines)
        can_change = request.user.has_right(Invoice, Action.CHANGE)
        return {
            "status_badge": status_badge(obj),
            "lines": lines,
            "figures": figures,
            "in_words": amount_in_words(figures.total, obj.currency),
            "payments": list(obj.payments.all()),
            "can_pay": can_change and obj.status == Invoice.Status.ISSUED,
            "can_cancel": can_change and obj.status == Invoice.Status.ISSUED and not obj.paid,
            "methods": PaymentMethod.choices,
            "today": timezone.localdate(),
        }


def _remaining_rows(order: Order) -> list[dict]:
    done = invoiced_quantities(order)
    rows = []
    for line in order.lines.order_by("position", "pk"):
        invoiced = done.get(line.pk, (Decimal(0), Decimal(0)))[0]
        rows.append({"line": line, "invoiced": invoiced, "left": line.quantity - invoiced})
    return rows


@requires_right(Invoice, Action.CREATE)
def invoice_create_view(request, order_pk):
    """Invoice an order: every line with what is left to invoice, the quantity to invoice now."""
    order = get_object_for_user(Order.objects.select_related("account"), request.user, order_pk)
    rows = _remaining_rows(order)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        lines = []
        for row in rows:
            raw = request.POST.get(f"qty_{row['line'].pk}", "").strip()
            if not raw:
                continue
            quantity = parse_decimal(raw)
            lines.append(
                {"order_line": row["line"].pk, "quantity": quantity if quantity is not None else raw}
            )
            row["typed"] = raw
        data = {"payment_method": request.POST.get("payment_method") or PaymentMethod.TRANSFER}
        for name in ("invoice_date", "due_date"):
            if request.POST.get(name):
                value = parse_date(request.POST[name])
                if value is None:
                    errors[name] = [_("Enter a date as dd/mm/yyyy.")]
                data[name] = value
        if not errors:
            try:
                invoice = invoice_create(order=order, by=request.user, data=data, lines=lines)
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            else:
                messages.success(request, _("Invoice %(number)s was created.") % {"number": invoice.number})
                return redirect(invoice.get_absolute_url())
        typed_lines = [row for row in rows if row.get("typed")]
        for index, row in enumerate(typed_lines):
            row["errors"] = [m for k, v in errors.items() if k.startswith(f"lines.{index}.") for m in v]
    else:
        for row in rows:
            row["typed"] = f"{row['left'].normalize():f}" if row["left"] > 0 else ""
    context = {
        "order": order,
        "rows": rows,
        "errors": {k: v for k, v in errors.items() if not k.startswith("lines.")},
        "methods": PaymentMethod.choices,
        "post": request.POST,
    }
    return render(request, "sales/invoice_create.html", context, status=422 if errors else 200)


def _invoice_action(request, pk, action, success: str):
    invoice = get_object_for_user(Invoice.objects.all(), request.user, pk, Action.CHANGE)
    version = request.POST.get("version", "")
    try:
        action(invoice, int(version) if version.isdigit() else None)
    except ConflictError:
        messages.error(
            request, _("Someone else changed this invoice meanwhile; here is what is current. Try again.")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(invoice.get_absolute_url())


@require_POST
@requires_right(Invoice, Action.CHANGE)
def payment_create_view(request, pk):
    """Record a payment against the invoice (from the form on its page)."""
    raw = request.POST.get("amount", "").strip()
    amount = parse_decimal(raw)
    paid_on = parse_date(request.POST.get("paid_on", "")) or timezone.localdate()
    return _invoice_action(
        request,
        pk,
        lambda invoice, version: payment_record(
            invoice=invoice,
            by=request.user,
            amount=amount if amount is not None else raw,
            paid_on=paid_on,
            method=request.POST.get("method") or PaymentMethod.TRANSFER,
            reference=request.POST.get("reference", ""),
            expected_version=version,
        ),
        _("The payment was recorded."),
    )


@require_POST
@requires_right(Invoice, Action.CHANGE)
def invoice_cancel_view(request, pk):
    return _invoice_action(
        request,
        pk,
        lambda invoice, version: invoice_cancel(invoice=invoice, by=request.user, expected_version=version),
        _("The invoice was cancelled."),
    )


@requires_right(Invoice, Action.VIEW)
def receivables_view(request):
    """Outstanding and overdue amounts per account (Công nợ), over the invoices the user may see."""
    balances = account_balances(user=request.user)
    accounts = Account.objects.in_bulk(list(balances))
    rows = [
        {"account": accounts[account_id], "currency": currency, **figures}
        for account_id, by_currency in balances.items()
        if account_id in accounts
        for currency, figures in by_currency.items()
    ]
    rows.sort(key=lambda row: (-row["overdue"], -row["outstanding"], row["account"].name))
    return render(request, "sales/invoice_receivables.html", {"rows": rows})
