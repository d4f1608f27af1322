"""Orders (Đơn hàng): list, detail with totals per VAT rate and the status actions, the form with
the quotes' htmx line editor (entering an order by hand), and the tracking link."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
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
from sencrm.common.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    requires_right,
)
from sencrm.core.services.records import ConflictError
from sencrm.crm.models import Account
from sencrm.sales.forms import lines_from_post, parse_lines
from sencrm.sales.forms_orders import OrderForm, OrderStatusForm
from sencrm.sales.models import Invoice, Order, Product
from sencrm.sales.money import amount_in_words
from sencrm.sales.services.invoices import INVOICEABLE
from sencrm.sales.services.orders import TRANSITIONS, order_create, order_set_status, order_update
from sencrm.sales.services.pricing import price_list_for
from sencrm.sales.services.quotes import quote_figures
from sencrm.sales.templatetags.sales import format_amount
from sencrm.sales.views.quotes import BLANK_ROW, _editor_context, _rows_from_quote, parse_date

STATUS_COLORS = {
    "new": "secondary",
    "confirmed": "blue",
    "shipped": "azure",
    "delivered": "green",
    "cancelled": "red",
}
#: The button that moves an order to each status.
STATUS_ACTIONS = {
    "confirmed": gettext_lazy("Confirm"),
    "shipped": gettext_lazy("Shipped"),
    "delivered": gettext_lazy("Delivered"),
    "cancelled": gettext_lazy("Cancel order"),
}


def status_badge(obj):
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>',
        STATUS_COLORS.get(obj.status, "secondary"),
        choice_label(obj, "status"),
    )


def total(obj):
    return format_html("{}", format_amount(obj.total, obj.currency))


class OrderListView(ObjectListView):
    model = Order
    columns = [
        Column("number", link=True, sort="number"),
        Column("title", sort=None),
        Column("account"),
        Column("status", render=status_badge),
        Column("total", render=total, sort="total", css="text-end"),
        Column("order_date", sort="order_date"),
        Column("source", default=False),
        Column("contact", default=False),
        Column("owner"),
        Column("created_at", default=False),
    ]
    filters = [
        ChoiceFilter("status"),
        ChoiceFilter("source"),
        RelatedFilter("account"),
        RelatedFilter("contact"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
    ]
    default_sort = ["-created_at"]

    def picker_detail(self, obj) -> str:
        return format_amount(obj.total, obj.currency)


class OrderDetailView(ObjectDetailView):
    model = Order
    queryset = Order.objects.select_related("account", "contact", "quote")
    fieldsets = [
        (
            gettext_lazy("Order"),
            ["account", "contact", "quote", "order_date", "source", "external_ref"],
        ),
        (gettext_lazy("Delivery"), ["carrier", "tracking_number", "shipping_address:multiline"]),
        (gettext_lazy("Buyer"), ["buyer_name", "buyer_tax_code", "buyer_address", "buyer_email"]),
        (gettext_lazy("Notes"), ["notes:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        lines = list(obj.lines.select_related("product"))
        figures = quote_figures(obj, lines)
        can_change = request.user.has_right(Order, Action.CHANGE)
        return {
            "status_badge": status_badge(obj),
            "lines": lines,
            "figures": figures,
            "in_words": amount_in_words(figures.total, obj.currency),
            "can_edit_order": can_change
            and obj.status not in (Order.Status.DELIVERED, Order.Status.CANCELLED),
            "status_actions": [(status, STATUS_ACTIONS[status]) for status in TRANSITIONS[obj.status]]
            if can_change
            else [],
            "invoices": list(obj.invoices.alive().order_by("pk")),
            "can_invoice": obj.status in INVOICEABLE and request.user.has_right(Invoice, Action.CREATE),
            "status_form": OrderStatusForm(
                initial={
                    "carrier": obj.carrier,
                    "tracking_number": obj.tracking_number,
                    "version": obj.version,
                }
            ),
        }


def _header_from_post(request, instance: Order | None):
    """Currency, the account's price list and the date as the form currently says."""
    post = request.POST
    currency = (post.get("currency") or (instance.currency if instance else "") or "VND").upper()
    account = None
    if post.get("account", "").isdigit():
        account = Account.objects.visible_to(request.user).filter(pk=int(post["account"])).first()
    elif instance is not None and instance.pk:
        account = instance.account
    order_date = parse_date(post.get("order_date", ""))
    if order_date is None:
        order_date = instance.order_date if instance and instance.pk else timezone.localdate()
    price_list = price_list_for(account=account, currency=currency, on=order_date) if account else None
    return currency, price_list, account, order_date


class OrderEditView(ObjectEditView):
    model = Order
    form_class = OrderForm
    queryset = Order.objects.select_related("account", "contact")

    def get_object(self, request, pk):
        obj = super().get_object(request, pk)
        if obj.pk and obj.status in (Order.Status.DELIVERED, Order.Status.CANCELLED):
            raise Http404  # closed orders have no edit page (the button is not shown either)
        return obj

    def get_initial(self, request) -> dict:
        value = request.GET.get("account", "")
        return {"account": int(value)} if value.isdigit() else {}

    def save(self, request, form, obj):
        products = {p.pk: p for p in Product.objects.visible_to(request.user)}
        editable_lines = obj.pk is None or obj.status == Order.Status.NEW
        lines, errors = parse_lines(lines_from_post(request.POST), products) if editable_lines else ([], {})
        try:
            if errors:
                raise ValidationError(errors)
            data = form.service_data()
            if obj.pk is None:
                return order_create(
                    by=request.user,
                    data=data,
                    lines=lines,
                    custom=form.custom_values(),
                    tags=form.tag_names(),
                )
            if not editable_lines:
                for name in ("account", "contact", "currency", "order_date"):
                    data.pop(name, None)
            return order_update(
                order=obj,
                by=request.user,
                data=data,
                lines=lines if editable_lines else None,
                custom=form.custom_values(),
                tags=form.tag_names(),
                expected_version=form.expected_version(),
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            self.line_errors = {k: v for k, v in exc.message_dict.items() if k.startswith("lines")}
            rest = {k: v for k, v in exc.message_dict.items() if not k.startswith("lines")}
            if self.line_errors:
                rest.setdefault("__all__", []).append(_("Check the lines of the order."))
            raise ValidationError(rest) from None

    def render_form(self, request, obj, form, *, conflict=None, status=200):
        self.editor = None
        if obj.pk is None or obj.status == Order.Status.NEW:
            if request.method == "POST":
                rows = lines_from_post(request.POST)
                currency, price_list, account, order_date = _header_from_post(request, obj)
            else:
                rows = _rows_from_quote(obj) if obj.pk else []
                currency = obj.currency if obj.pk else "VND"
                account = obj.account if obj.pk else None
                if not obj.pk and form.initial.get("account"):
                    account = (
                        Account.objects.visible_to(request.user).filter(pk=form.initial["account"]).first()
                    )
                order_date = obj.order_date if obj.pk else timezone.localdate()
                price_list = (
                    price_list_for(account=account, currency=currency, on=order_date) if account else None
                )
            self.editor = _editor_context(
                request,
                rows=rows or [dict(BLANK_ROW)],
                currency=currency,
                price_list=price_list,
                account=account,
                quote_date=order_date,
                line_errors=getattr(self, "line_errors", None),
                instance=obj,
            )
        return super().render_form(request, obj, form, conflict=conflict, status=status)

    def base_context(self, request) -> dict:
        context = super().base_context(request)
        context["editor"] = getattr(self, "editor", None)
        return context


@require_POST
@requires_right(Order, Action.VIEW)
def order_lines_view(request, pk=None):
    """The line editor again (htmx), priced for an order; nothing is saved."""
    instance = None
    if pk is not None:
        instance = get_object_for_user(Order.objects.all(), request.user, pk, Action.CHANGE)
    rows = lines_from_post(request.POST, keep_blank=True)
    op = request.POST.get("op", "")
    if op == "add":
        rows.append(dict(BLANK_ROW))
    elif op.startswith("remove-") and op[7:].isdigit():
        index = int(op[7:])
        if 0 <= index < len(rows):
            rows.pop(index)
    currency, price_list, account, order_date = _header_from_post(request, instance)
    editor = _editor_context(
        request,
        rows=rows or [dict(BLANK_ROW)],
        currency=currency,
        price_list=price_list,
        account=account,
        quote_date=order_date,
        instance=instance,
    )
    template = "sales/partials/quote_lines_oob.html" if op == "recalc" else "sales/partials/quote_lines.html"
    return render(request, template, {"editor": editor, "lines_url": request.path})


class OrderDeleteView(ObjectDeleteView):
    model = Order


@require_POST
@requires_right(Order, Action.CHANGE)
def order_status_view(request, pk):
    """Move the order to the status of the button pressed (carrier and tracking number with it)."""
    order = get_object_for_user(Order.objects.all(), request.user, pk, Action.CHANGE)
    form = OrderStatusForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(order.get_absolute_url())
    data = form.cleaned_data
    shipping = data["status"] == Order.Status.SHIPPED
    try:
        order_set_status(
            order=order,
            by=request.user,
            status=data["status"],
            carrier=data["carrier"] if shipping else None,
            tracking_number=data["tracking_number"] if shipping else None,
            expected_version=data["version"],
        )
    except ConflictError:
        messages.error(
            request, _("Someone else changed this order meanwhile; here is what is current. Try again.")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The order is now %(status)s.") % {"status": Order.Status(data["status"]).label.lower()},
        )
    return redirect(order.get_absolute_url())


#: Orders shown on an account's or contact's page (the full history is the filtered order list).
PANEL_ORDERS = 10


def purchase_panel_context(request, obj) -> dict | None:
    """The purchase-history panel of an account or a contact: its latest orders (those the user
    may see) and, for an account, what it owes and what is overdue. Two or three queries."""
    from django.urls import reverse

    from sencrm.crm.models import Account
    from sencrm.sales.services.invoices import account_balances

    user = request.user
    if not user.has_right(Order, Action.VIEW):
        return None
    field = "account" if isinstance(obj, Account) else "contact"
    qs = Order.objects.visible_to(user).alive().filter(**{field: obj}).order_by("-order_date", "-pk")
    orders = list(qs[: PANEL_ORDERS + 1])
    balances = []
    if field == "account" and user.has_right(Invoice, Action.VIEW):
        by_currency = account_balances(user=user, account_ids=[obj.pk]).get(obj.pk, {})
        balances = [{"currency": c, **figures} for c, figures in sorted(by_currency.items())]
    return {
        "orders": orders[:PANEL_ORDERS],
        "more": len(orders) > PANEL_ORDERS,
        "all_url": f"{reverse('sales:order_list')}?{field}={obj.pk}",
        "new_url": f"{reverse('sales:order_create')}?account={obj.pk}" if field == "account" else "",
        "balances": balances,
    }
