"""Quotes (Báo giá): list, detail with totals per VAT rate, the form with its htmx line editor,
PDF, sending by email, accepting and rejecting, and earlier revisions."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
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
from sencrm.crm.models import Account, Opportunity
from sencrm.sales.forms import (
    LINE_INPUTS,
    QuoteForm,
    QuoteSendForm,
    format_decimal,
    lines_from_post,
    parse_lines,
    row_filled,
)
from sencrm.sales.models import PriceList, Product, Quote, VatRate
from sencrm.sales.money import amount_in_words
from sencrm.sales.services.pricing import price_list_for
from sencrm.sales.services.quotes import (
    price_lines,
    quote_accept,
    quote_create,
    quote_figures,
    quote_reject,
    quote_send,
    quote_update,
)
from sencrm.sales.templatetags.sales import format_amount

STATUS_COLORS = {
    "draft": "secondary",
    "sent": "blue",
    "accepted": "green",
    "rejected": "red",
    "expired": "orange",
}


def status_badge(obj):
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>',
        STATUS_COLORS.get(obj.status, "secondary"),
        choice_label(obj, "status"),
    )


def total(obj):
    return format_html("{}", format_amount(obj.total, obj.currency))


class QuoteListView(ObjectListView):
    model = Quote
    columns = [
        Column("number", link=True, sort="number"),
        Column("title", sort=None),
        Column("account"),
        Column("status", render=status_badge),
        Column("total", render=total, sort="total", css="text-end"),
        Column("valid_until"),
        Column("opportunity", default=False),
        Column("owner"),
        Column("created_at", default=False),
    ]
    filters = [
        ChoiceFilter("status"),
        RelatedFilter("account"),
        RelatedFilter("opportunity"),
        UserFilter("owner"),
        BranchFilter(),
        TeamFilter(),
    ]
    default_sort = ["-created_at"]

    def picker_detail(self, obj) -> str:
        return format_amount(obj.total, obj.currency)


class QuoteDetailView(ObjectDetailView):
    model = Quote
    queryset = Quote.objects.select_related("account", "contact", "opportunity", "price_list")
    fieldsets = [
        (
            gettext_lazy("Quote"),
            ["account", "contact", "opportunity", "quote_date", "valid_until", "price_list"],
        ),
        (
            gettext_lazy("Buyer"),
            ["buyer_name", "buyer_tax_code", "buyer_address", "buyer_email"],
        ),
        (gettext_lazy("Terms"), ["terms:multiline"]),
        (gettext_lazy("Notes"), ["notes:multiline"]),
    ]

    def get_extra_context(self, request, obj) -> dict:
        lines = list(obj.lines.select_related("product"))
        figures = quote_figures(obj, lines)
        user = request.user
        return {
            "status_badge": status_badge(obj),
            "lines": lines,
            "figures": figures,
            "in_words": amount_in_words(figures.total, obj.currency),
            "revisions": list(obj.revisions.select_related("created_by")),
            "can_edit_quote": obj.editable and user.has_right(Quote, Action.CHANGE),
            "send_form": QuoteSendForm(
                initial={
                    "to": obj.buyer_email or (obj.contact.email if obj.contact_id else ""),
                    "subject": _("Quote %(number)s") % {"number": obj.number},
                }
            ),
        }


def _editor_context(
    request, *, rows, currency, price_list, account, quote_date, line_errors=None, instance=None
):
    """What the line editor shows: the rows as typed, products to choose, and the totals.

    Blank rows are shown but not priced; errors and amounts of the others land on their own row.
    """
    products = list(Product.objects.visible_to(request.user).select_related("group").order_by("code"))
    allowed = (
        {line.product_id for line in instance.lines.all()} if instance is not None and instance.pk else set()
    )
    by_id = {p.pk: p for p in products}
    filled = [index for index, row in enumerate(rows) if row_filled(row)]
    errors = dict(line_errors or {})  # keyed by position among the filled rows, as the service says
    figures = None
    if not errors and filled:
        lines, parse_errors = parse_lines([rows[i] for i in filled], by_id)
        errors.update(parse_errors)
        if not parse_errors:
            try:
                priced = price_lines(
                    lines=lines,
                    currency=currency,
                    price_list=price_list,
                    on=quote_date,
                    allowed_inactive=allowed,
                )
            except ValidationError as exc:
                errors.update(exc.message_dict if hasattr(exc, "error_dict") else {"lines": exc.messages})
                # No totals while a line is wrong, but the good lines still show their amounts.
                for index, line in zip(filled, lines, strict=True):
                    try:
                        alone = price_lines(
                            lines=[line],
                            currency=currency,
                            price_list=price_list,
                            on=quote_date,
                            allowed_inactive=allowed,
                        )
                    except ValidationError:
                        continue
                    rows[index]["amount"] = alone.totals.lines[0].amount
            else:
                figures = priced.totals
                for index, line, amounts in zip(filled, priced.lines, priced.totals.lines, strict=True):
                    rows[index]["amount"] = amounts.amount
                    rows[index]["price_shown"] = rows[index]["unit_price"] or format_decimal(line.unit_price)
                    rows[index]["unit_shown"] = line.unit
    for row in rows:
        row["errors"] = {name: [] for name in LINE_INPUTS}
    for position, index in enumerate(filled):
        rows[index]["errors"] = {name: errors.get(f"lines.{position}.{name}", []) for name in LINE_INPUTS}
    for row in rows:
        row["has_errors"] = any(row["errors"].values())
    return {
        "rows": rows,
        "products": [p for p in products if p.active or p.pk in allowed],
        "vat_choices": VatRate.choices,
        "figures": figures,
        "currency": currency,
        "in_words": amount_in_words(figures.total, currency) if figures else "",
        "lines_error": errors.get("lines", []),
    }


def _rows_from_quote(quote: Quote) -> list[dict[str, str]]:
    return [
        {
            "product": str(line.product_id or ""),
            "description": line.description,
            "unit": line.unit,
            "quantity": format_decimal(line.quantity),
            "unit_price": format_decimal(line.unit_price),
            "discount_percent": format_decimal(line.discount_percent) if line.discount_percent else "",
            "discount_amount": format_decimal(line.discount_amount) if line.discount_amount else "",
            "vat_rate": line.vat_rate,
        }
        for line in quote.lines.all()
    ]


BLANK_ROW = dict.fromkeys(LINE_INPUTS, "")


def _header_from_post(request, instance: Quote | None):
    """Currency, price list, account and date as the form currently says (for the line editor)."""
    post = request.POST
    currency = (post.get("currency") or (instance.currency if instance else "") or "VND").upper()
    account = None
    if post.get("account", "").isdigit():
        account = Account.objects.visible_to(request.user).filter(pk=int(post["account"])).first()
    elif post.get("opportunity", "").isdigit():
        opportunity = Opportunity.objects.visible_to(request.user).filter(pk=int(post["opportunity"])).first()
        account = opportunity.account if opportunity else None
    elif instance is not None and instance.pk:
        account = instance.account
    quote_date = parse_date(post.get("quote_date", ""))
    if quote_date is None:
        quote_date = instance.quote_date if instance and instance.pk else timezone.localdate()
    price_list = None
    if post.get("price_list", "").isdigit():
        price_list = PriceList.objects.visible_to(request.user).filter(pk=int(post["price_list"])).first()
    elif account is not None:
        price_list = price_list_for(account=account, currency=currency, on=quote_date)
    if price_list is not None and price_list.currency != currency:
        price_list = None  # the form shows the mismatch when saved
    return currency, price_list, account, quote_date


def parse_date(text: str) -> datetime.date | None:
    """A date as the form takes it: dd/mm/yyyy (or dd-mm-yyyy, or ISO yyyy-mm-dd); None otherwise."""
    parts = (text or "").strip().replace("-", "/").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    day, month, year = (int(p) for p in parts)
    if len(parts[0]) == 4:
        year, day = day, year
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


class QuoteEditView(ObjectEditView):
    model = Quote
    form_class = QuoteForm
    queryset = Quote.objects.select_related("account", "contact", "opportunity", "price_list")

    def get_object(self, request, pk):
        obj = super().get_object(request, pk)
        if obj.pk and not obj.editable:
            raise Http404  # closed quotes have no edit page (the button is not shown either)
        return obj

    def get_initial(self, request) -> dict:
        initial = {}
        for name in ("account", "opportunity"):
            value = request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        if "opportunity" in initial:
            opportunity = (
                Opportunity.objects.visible_to(request.user).filter(pk=initial["opportunity"]).first()
            )
            if opportunity is not None:
                initial.setdefault("account", opportunity.account_id)
                if opportunity.contact_id:
                    initial["contact"] = opportunity.contact_id
                initial["currency"] = opportunity.currency
                initial["title"] = opportunity.name
        return initial

    def save(self, request, form, obj):
        products = {p.pk: p for p in Product.objects.visible_to(request.user)}
        lines, errors = parse_lines(lines_from_post(request.POST), products)
        try:
            if errors:
                raise ValidationError(errors)
            data = form.service_data()
            if obj.pk is None:
                return quote_create(
                    by=request.user,
                    data=data,
                    lines=lines,
                    custom=form.custom_values(),
                    tags=form.tag_names(),
                )
            data.pop("opportunity", None)
            return quote_update(
                quote=obj,
                by=request.user,
                data=data,
                lines=lines,
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
                rest.setdefault("__all__", []).append(_("Check the lines of the quote."))
            raise ValidationError(rest) from None

    def render_form(self, request, obj, form, *, conflict=None, status=200):
        if request.method == "POST":
            rows = lines_from_post(request.POST)
            currency, price_list, account, quote_date = _header_from_post(request, obj)
        else:
            rows = _rows_from_quote(obj) if obj.pk else []
            currency = obj.currency if obj.pk else (form.initial.get("currency") or "VND")
            account = obj.account if obj.pk else None
            if not obj.pk and form.initial.get("account"):
                account = Account.objects.visible_to(request.user).filter(pk=form.initial["account"]).first()
            quote_date = obj.quote_date if obj.pk else timezone.localdate()
            price_list = (
                obj.price_list
                if obj.pk
                else (price_list_for(account=account, currency=currency, on=quote_date) if account else None)
            )
        if not rows:
            rows = [dict(BLANK_ROW)]
        editor = _editor_context(
            request,
            rows=rows,
            currency=currency,
            price_list=price_list,
            account=account,
            quote_date=quote_date,
            line_errors=getattr(self, "line_errors", None),
            instance=obj,
        )
        self.editor = editor
        return super().render_form(request, obj, form, conflict=conflict, status=status)

    def base_context(self, request) -> dict:
        context = super().base_context(request)
        if hasattr(self, "editor"):
            context["editor"] = self.editor
        return context


@require_POST
@requires_right(Quote, Action.VIEW)
def quote_lines_view(request, pk=None):
    """The line editor again (htmx): a row added or removed, or the totals after a change.

    Nothing is saved; prices are looked up and totals computed as the quote would get them.
    """
    instance = None
    if pk is not None:
        instance = get_object_for_user(Quote.objects.all(), request.user, pk, Action.CHANGE)
    rows = lines_from_post(request.POST, keep_blank=True)
    op = request.POST.get("op", "")
    if op == "add":
        rows.append(dict(BLANK_ROW))
    elif op.startswith("remove-") and op[7:].isdigit():
        index = int(op[7:])
        if 0 <= index < len(rows):
            rows.pop(index)
    if not rows:
        rows = [dict(BLANK_ROW)]
    currency, price_list, account, quote_date = _header_from_post(request, instance)
    editor = _editor_context(
        request,
        rows=rows,
        currency=currency,
        price_list=price_list,
        account=account,
        quote_date=quote_date,
        instance=instance,
    )
    # After a change in an input, only the amounts, errors and totals are swapped (out of band):
    # re-rendering the inputs would throw away what the user is typing in the next one.
    template = "sales/partials/quote_lines_oob.html" if op == "recalc" else "sales/partials/quote_lines.html"
    return render(request, template, {"editor": editor, "lines_url": request.path})


class QuoteDeleteView(ObjectDeleteView):
    model = Quote


def _quote_action(request, pk, action):
    quote = get_object_for_user(Quote.objects.all(), request.user, pk, Action.CHANGE)
    version = request.POST.get("version", "")
    try:
        action(quote, int(version) if version.isdigit() else None)
    except ConflictError:
        messages.error(
            request, _("Someone else changed this quote meanwhile; here is what is current. Try again.")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return False, quote
    return True, quote


@require_POST
@requires_right(Quote, Action.CHANGE)
def quote_send_view(request, pk):
    form = QuoteSendForm(request.POST)
    quote = get_object_for_user(Quote.objects.all(), request.user, pk, Action.CHANGE)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(quote.get_absolute_url())
    ok, quote = _quote_action(
        request,
        pk,
        lambda q, v: quote_send(
            quote=q,
            by=request.user,
            to=form.recipients(),
            subject=form.cleaned_data["subject"],
            message=form.cleaned_data["message"],
            expected_version=v,
        ),
    )
    if ok:
        messages.success(request, _("The quote was sent to %(to)s.") % {"to": ", ".join(form.recipients())})
    return redirect(quote.get_absolute_url())


@require_POST
@requires_right(Quote, Action.CHANGE)
def quote_accept_view(request, pk):
    ok, quote = _quote_action(
        request, pk, lambda q, v: quote_accept(quote=q, by=request.user, expected_version=v)
    )
    if ok:
        messages.success(request, _("The quote was accepted."))
    return redirect(quote.get_absolute_url())


@require_POST
@requires_right(Quote, Action.CHANGE)
def quote_reject_view(request, pk):
    reason = request.POST.get("reason", "")
    ok, quote = _quote_action(
        request, pk, lambda q, v: quote_reject(quote=q, by=request.user, reason=reason, expected_version=v)
    )
    if ok:
        messages.success(request, _("The quote was marked as rejected."))
    return redirect(quote.get_absolute_url())


@requires_right(Quote, Action.VIEW)
def quote_pdf_view(request, pk, revision=None):
    """The quote's PDF (or an earlier revision's), shown in the browser."""
    quote = get_object_for_user(Quote.objects.select_related("branch"), request.user, pk)
    snapshot = None
    if revision is not None:
        kept = quote.revisions.filter(revision=revision).first()
        if kept is None:
            raise Http404
        snapshot = kept.data
    from sencrm.sales.services.documents import quote_pdf  # fpdf2 (35 MB) only in workers that print

    response = HttpResponse(quote_pdf(quote, snapshot), content_type="application/pdf")
    name = f"{quote.number}" + (f"-r{revision}" if revision else "")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@requires_right(Quote, Action.VIEW)
def quote_revision_view(request, pk, revision):
    """An earlier version of a quote, as it was sent (read-only)."""
    quote = get_object_for_user(Quote.objects.all(), request.user, pk)
    kept = quote.revisions.filter(revision=revision).first()
    if kept is None:
        raise Http404
    lines = [
        {
            **line,
            "quantity": Decimal(line["quantity"]),
            "unit_price": Decimal(line["unit_price"]),
            "amount": Decimal(line["amount"]),
        }
        for line in kept.data["lines"]
    ]
    context = {
        "quote": quote,
        "kept": kept,
        "data": kept.data,
        "lines": lines,
        "in_words": amount_in_words(Decimal(kept.data["total"]), quote.currency),
    }
    return render(request, "sales/quote_revision.html", context)
