"""Quotes: create (from an opportunity or an account), edit (a sent quote becomes a new revision),
send by email with the PDF, accept (the opportunity is won), reject, and expire.

Every write goes through ``core.services.records`` (validation, audit, version, search index) in
one transaction with the lines; figures come from ``sales.money`` only.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.models import AuditEntry
from sencrm.core.services.audit import audit_record
from sencrm.core.services.records import record_create, record_update
from sencrm.crm.models import Activity
from sencrm.sales.models import PriceList, Product, Quote, QuoteCounter, QuoteLine, QuoteRevision
from sencrm.sales.money import VAT_PERCENT, LineInput, MoneyError, Totals, quote_totals
from sencrm.sales.services.pricing import (
    PricingError,
    currency_decimals,
    price_list_for,
    unit_price_for,
)

#: How long a new quote is valid when no date is given.
DEFAULT_VALIDITY = datetime.timedelta(days=30)
#: Largest quantity and money value a line may hold (the columns' precision).
MAX_QUANTITY = Decimal("99999999999")
MAX_MONEY = Decimal("9999999999999999")

LINE_FIELDS = (
    "product",
    "description",
    "unit",
    "quantity",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "vat_rate",
)


def money_message(code: str) -> str:
    """The message shown for a ``sales.money.MoneyError`` code."""
    return {
        "quantity_positive": _("The quantity must be greater than zero."),
        "price_negative": _("The unit price cannot be negative."),
        "discount_percent_range": _("The discount must be between 0 and 100%."),
        "discount_amount_negative": _("The discount cannot be negative."),
        "discount_both": _("Give the discount as a percentage or as an amount, not both."),
        "discount_over_gross": _("The discount cannot be more than the line's amount."),
        "vat_rate_unknown": _("Choose a VAT rate from the list."),
    }[code]


# ---------------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------------


def quote_number_next(*, branch, year: int) -> str:
    """The next number of ``branch`` in ``year``, e.g. ``BG-HN-2026-0001``. Call inside the
    transaction that saves the quote: the counter row stays locked until it commits, so numbers
    are never given twice, and a rolled-back quote gives its number back (no gaps)."""
    assert transaction.get_connection().in_atomic_block, "quote numbers need the caller's transaction"
    counter = QuoteCounter.objects.select_for_update().filter(branch=branch, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # a savepoint: another transaction may create it first
                QuoteCounter.objects.create(branch=branch, year=year, last=0)
        except IntegrityError:
            pass
        counter = QuoteCounter.objects.select_for_update().get(branch=branch, year=year)
    QuoteCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    code = (branch.code or str(branch.pk)).upper()
    return f"BG-{code}-{year}-{counter.last:04d}"


# ---------------------------------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------------------------------


def _decimal(value, default: Decimal | None = Decimal(0)) -> Decimal | None:
    if value in (None, ""):
        return default
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not number.is_finite():
        raise ValueError
    return number


@dataclass
class PricedLines:
    lines: list[QuoteLine]
    totals: Totals


def fill_buyer(data: dict, account) -> dict:
    """The buyer fields of a quote, order or invoice that ``data`` leaves blank, from ``account``
    (what an e-invoice will print: legal name, tax code, address, email)."""
    for name, value in (
        ("buyer_name", account.name),
        ("buyer_tax_code", account.tax_code),
        ("buyer_address", account.address),
        ("buyer_email", account.email),
    ):
        if not data.get(name):
            data[name] = value
    return data


def price_lines(
    *,
    lines: list[dict],
    currency: str,
    price_list: PriceList | None,
    on: datetime.date,
    allowed_inactive: set[int] = frozenset(),
) -> PricedLines:
    """Turn line dicts into unsaved ``QuoteLine``s with their amounts, and the quote's totals.

    A line's unit price, unit, description and VAT rate default to the product's (the unit price
    from ``price_list`` when it lists the product). Raises one ValidationError naming every field
    at fault as ``lines.<n>.<field>``. Inactive products are refused, except those in
    ``allowed_inactive`` (already on the quote being edited).
    """
    errors: dict[str, list[str]] = {}
    rows: list[QuoteLine] = []
    inputs: list[LineInput] = []
    decimals = currency_decimals(currency)
    if not lines:
        raise ValidationError({"lines": [_("Add at least one line.")]})
    # Whether a product may be quoted is read from the table, not from the objects handed in
    # (which may have been loaded before someone deactivated or deleted the product).
    ids = {raw["product"].pk for raw in lines if isinstance(raw.get("product"), Product)}
    quotable = set(Product.objects.alive().filter(pk__in=ids, active=True).values_list("pk", flat=True))
    for index, raw in enumerate(lines):
        unknown = set(raw) - set(LINE_FIELDS)
        if unknown:
            raise ValueError(f"unknown line fields {sorted(unknown)}")  # a programming error
        key = f"lines.{index}."
        product = raw.get("product")
        if product is not None and not isinstance(product, Product):
            errors[key + "product"] = [_("Choose a product.")]
            continue
        if product is not None and product.pk not in quotable and product.pk not in allowed_inactive:
            errors[key + "product"] = [_("This product is inactive and cannot be quoted.")]
            continue
        values: dict[str, Decimal | None] = {}
        for name, default in (
            ("quantity", None),
            ("unit_price", None),
            ("discount_percent", Decimal(0)),
            ("discount_amount", Decimal(0)),
        ):
            try:
                values[name] = _decimal(raw.get(name), default)
            except ValueError:
                errors[key + name] = [_("Enter a number.")]
        if values.get("quantity") is None and key + "quantity" not in errors:
            errors[key + "quantity"] = [_("This field is required.")]
        if any(k.startswith(key) for k in errors):
            continue
        if values["quantity"] > MAX_QUANTITY:
            errors[key + "quantity"] = [_("This number is too large.")]
            continue
        unit_price = values["unit_price"]
        if unit_price is None:
            if product is None:
                errors[key + "unit_price"] = [_("Give a unit price for a line without a product.")]
                continue
            try:
                unit_price = unit_price_for(product=product, price_list=price_list, currency=currency, on=on)
            except PricingError as exc:
                errors[key + "unit_price"] = [exc.message]
                continue
        if unit_price > MAX_MONEY or values["discount_amount"] > MAX_MONEY:
            errors[key + "unit_price"] = [_("This number is too large.")]
            continue
        vat_rate = raw.get("vat_rate") or (product.vat_rate if product else "10")
        description = (raw.get("description") or "").strip() or (product.name if product else "")
        if not description:
            errors[key + "description"] = [_("Describe a line without a product.")]
            continue
        line_input = LineInput(
            quantity=values["quantity"],
            unit_price=unit_price,
            vat_rate=vat_rate,
            discount_percent=values["discount_percent"],
            discount_amount=values["discount_amount"],
        )
        try:
            figures = quote_totals([line_input], decimals).lines[0]
        except MoneyError as exc:
            errors[key + exc.field] = [money_message(exc.code)]
            continue
        inputs.append(line_input)
        rows.append(
            QuoteLine(
                position=index,
                product=product,
                description=description[:500],
                unit=((raw.get("unit") or "").strip() or (product.unit if product else ""))[:30],
                quantity=line_input.quantity,
                unit_price=unit_price,
                discount_percent=line_input.discount_percent,
                discount_amount=line_input.discount_amount,
                vat_rate=vat_rate,
                amount=figures.amount,
            )
        )
    if errors:
        raise ValidationError(errors)
    return PricedLines(lines=rows, totals=quote_totals(inputs, decimals))


def line_inputs(lines) -> list[LineInput]:
    return [
        LineInput(
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
        )
        for line in lines
    ]


def quote_figures(quote: Quote, lines=None) -> Totals:
    """The figures of a saved quote (per line, per VAT rate, totals) from its lines."""
    lines = list(quote.lines.all()) if lines is None else lines
    return quote_totals(line_inputs(lines), currency_decimals(quote.currency))


def _cents(value: Decimal) -> str:
    """A money value as stored (two decimals), so computed and read-back figures compare equal."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def _lines_summary(lines) -> str:
    return "; ".join(
        f"{line.description} × {line.quantity.normalize():f} @ {_cents(line.unit_price)}"
        f" = {_cents(line.amount)}"
        for line in lines
    )


# ---------------------------------------------------------------------------------------------------
# Create and edit
# ---------------------------------------------------------------------------------------------------


def _defaults(data: dict) -> dict:
    """Account and contact from the opportunity; currency, dates and buyer fields."""
    data = dict(data)
    opportunity = data.get("opportunity")
    if opportunity is not None:
        if data.get("account") is None and opportunity.account_id:
            data["account"] = opportunity.account
        if data.get("contact") is None and opportunity.contact_id:
            data["contact"] = opportunity.contact
        data.setdefault("currency", opportunity.currency)
        if not data.get("title"):
            data["title"] = opportunity.name
    if not data.get("currency"):
        data["currency"] = "VND"
    data["currency"] = str(data["currency"]).upper()
    if not data.get("quote_date"):
        data["quote_date"] = timezone.localdate()
    if not data.get("valid_until"):
        data["valid_until"] = data["quote_date"] + DEFAULT_VALIDITY
    account = data.get("account")
    if account is None:
        raise ValidationError({"account": [_("Choose an account, or create the quote from an opportunity.")]})
    return fill_buyer(data, account)


def _price_list(data: dict) -> PriceList | None:
    """The chosen price list (its currency is checked by ``Quote.clean``), else the account's."""
    if data.get("price_list") is not None:
        price_list = data["price_list"]
        if price_list.currency != data["currency"]:
            raise ValidationError(
                {
                    "price_list": [
                        _("This price list is in %(list)s but the quote is in %(quote)s.")
                        % {"list": price_list.currency, "quote": data["currency"]}
                    ]
                }
            )
        return price_list
    return price_list_for(account=data["account"], currency=data["currency"], on=data["quote_date"])


def _totals_data(priced: PricedLines) -> dict:
    return {"subtotal": priced.totals.subtotal, "vat_total": priced.totals.vat, "total": priced.totals.total}


def quote_create(*, by, data: dict, lines: list[dict], custom=None, tags=None) -> Quote:
    """A draft quote with its lines, numbered in its branch's series for the quote date's year.

    ``data["opportunity"]`` fills account, contact, currency and title when they are not given.
    Unit prices left empty come from the price list (given, else the account's for the date),
    else the product's list price.
    """
    data = _defaults(data)
    price_list = _price_list(data)
    data["price_list"] = price_list
    priced = price_lines(lines=lines, currency=data["currency"], price_list=price_list, on=data["quote_date"])
    owner = data.get("owner") or by
    branch = data.get("branch") or owner.branch or by.branch
    if branch is None:
        raise ValidationError({"branch": [_("The quote's owner belongs to no branch.")]})
    with transaction.atomic():
        data["number"] = quote_number_next(branch=branch, year=data["quote_date"].year)
        if "branch" not in data:
            data["branch"] = branch
        quote = record_create(Quote, by=by, data={**data, **_totals_data(priced)}, custom=custom, tags=tags)
        for line in priced.lines:
            line.quote = quote
        QuoteLine.objects.bulk_create(priced.lines)
    return quote


def _snapshot(quote: Quote, lines: list[QuoteLine]) -> dict:
    figures = quote_figures(quote, lines)
    return {
        "number": quote.number,
        "revision": quote.revision,
        "title": quote.title,
        "quote_date": quote.quote_date.isoformat(),
        "valid_until": quote.valid_until.isoformat(),
        "currency": quote.currency,
        "buyer_name": quote.buyer_name,
        "buyer_tax_code": quote.buyer_tax_code,
        "buyer_address": quote.buyer_address,
        "buyer_email": quote.buyer_email,
        "terms": quote.terms,
        "notes": quote.notes,
        "lines": [
            {
                "product_code": line.product.code if line.product_id else "",
                "description": line.description,
                "unit": line.unit,
                "quantity": str(line.quantity),
                "unit_price": _cents(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "discount_amount": _cents(line.discount_amount),
                "vat_rate": line.vat_rate,
                "amount": _cents(line.amount),
            }
            for line in lines
        ],
        "groups": [
            {"rate": g.rate, "subtotal": _cents(g.subtotal), "vat": _cents(g.vat)} for g in figures.groups
        ],
        "subtotal": _cents(quote.subtotal),
        "vat_total": _cents(quote.vat_total),
        "total": _cents(quote.total),
    }


def quote_update(
    *,
    quote: Quote,
    by,
    data: dict,
    lines: list[dict] | None = None,
    custom=None,
    tags=None,
    expected_version: int | None = None,
) -> Quote:
    """Change a draft or sent quote; ``lines`` (when given) replaces its lines.

    A sent quote is not changed in place: the sent version is kept as a ``QuoteRevision``, the
    quote's ``revision`` goes up by one and it is a draft again, to be sent anew. Accepted,
    rejected and expired quotes cannot be changed.
    """
    for name in ("number", "revision", "status", "subtotal", "vat_total", "total", "sent_at", "closed_at"):
        if name in data:
            raise ValidationError({name: [_("This field cannot be set.")]})
    # Left empty, these keep their value (they have defaults only when the quote is created).
    data = {k: v for k, v in data.items() if not (k in ("quote_date", "valid_until", "currency") and not v)}
    with transaction.atomic():
        current = Quote._base_manager.select_for_update().get(pk=quote.pk)
        if not current.editable:
            raise ValidationError(
                _("A quote that is %(status)s can no longer be changed.")
                % {"status": current.get_status_display().lower()}
            )
        old_lines = list(current.lines.select_related("product"))
        merged = {
            "account": current.account,
            "currency": current.currency,
            "quote_date": current.quote_date,
            "price_list": current.price_list,
            **data,
        }
        stale = merged["price_list"] is not None and merged["price_list"].currency != merged["currency"]
        if "price_list" not in data and stale:
            merged["price_list"] = None  # the currency changed: the account's list for it
        if merged["price_list"] is None and "price_list" not in data:
            merged["price_list"] = price_list_for(
                account=merged["account"], currency=merged["currency"], on=merged["quote_date"]
            )
        elif merged["price_list"] is not None:
            _price_list(merged)
        data = {**data, "price_list": merged["price_list"]}
        if lines is None:
            # Keep the lines as they are (their prices too); the totals follow a new currency.
            lines = [{name: getattr(line, name) for name in LINE_FIELDS} for line in old_lines]
        priced = price_lines(
            lines=lines,
            currency=merged["currency"],
            price_list=merged["price_list"],
            on=merged["quote_date"],
            allowed_inactive={line.product_id for line in old_lines if line.product_id},
        )
        if current.status == Quote.Status.SENT:
            QuoteRevision.objects.create(
                quote=current,
                revision=current.revision,
                data=_snapshot(current, old_lines),
                total=current.total,
                sent_at=current.sent_at,
                created_by=by,
            )
            data = {**data, "revision": current.revision + 1, "status": Quote.Status.DRAFT, "sent_at": None}
        if "account" in data and data["account"] != current.account:
            account = data["account"]
            data.update(
                buyer_name=account.name,
                buyer_tax_code=account.tax_code,
                buyer_address=account.address,
                buyer_email=account.email,
            )
        updated = record_update(
            current,
            by=by,
            data={**data, **_totals_data(priced)},
            custom=custom,
            tags=tags,
            expected_version=expected_version,
        )
        before, after = _lines_summary(old_lines), _lines_summary(priced.lines)
        if before != after:
            current.lines.all().delete()
            for line in priced.lines:
                line.quote = updated
            QuoteLine.objects.bulk_create(priced.lines)
            audit_record(
                instance=updated, kind=AuditEntry.Kind.UPDATE, by=by, changes={"lines": [before, after]}
            )
    return updated


# ---------------------------------------------------------------------------------------------------
# Status: send, accept, reject, expire
# ---------------------------------------------------------------------------------------------------


def _set_status(quote: Quote, *, by, status: str, expected_version=None, **extra) -> Quote:
    return record_update(quote, by=by, data={"status": status, **extra}, expected_version=expected_version)


def quote_send(
    *,
    quote: Quote,
    by,
    to: list[str],
    subject: str = "",
    message: str = "",
    expected_version: int | None = None,
) -> Quote:
    """Email the quote's PDF to ``to``, mark it sent and log the email on the timeline.

    The mail goes out before anything is written: if the mail server refuses it, the quote stays
    as it was and the user sees why (recording a send that did not happen would mislead).
    """
    from sencrm.sales.services.documents import quote_pdf

    errors: dict[str, list[str]] = {}
    recipients = [address.strip() for address in to if address and address.strip()]
    if not recipients:
        errors["to"] = [_("Give at least one email address.")]
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            errors.setdefault("to", []).append(
                _("Not a valid email address: %(address)s") % {"address": address}
            )
    if not quote.editable:
        errors["status"] = [_("Only draft and sent quotes can be sent.")]
    if not quote.lines.exists():
        errors["lines"] = [_("Add at least one line.")]
    if errors:
        raise ValidationError(errors)
    if expected_version is not None and expected_version != quote.version:
        from sencrm.core.services.records import ConflictError

        raise ConflictError(Quote._base_manager.get(pk=quote.pk))
    subject = subject.strip() or _("Quote %(number)s") % {"number": quote.number}
    pdf = quote_pdf(quote)
    email = EmailMessage(
        subject=subject,
        body=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[by.email] if by.email else None,
    )
    email.attach(f"{quote.number}.pdf", pdf, "application/pdf")
    try:
        email.send()
    except OSError as exc:  # smtplib errors are OSErrors: refused, unreachable, timed out
        raise ValidationError(
            _("The mail server did not take the email: %(error)s") % {"error": exc}
        ) from None
    now = timezone.now()
    with transaction.atomic():
        sent = _set_status(quote, by=by, status=Quote.Status.SENT, sent_at=now)
        record_create(
            Activity,
            by=by,
            data={
                "kind": Activity.Kind.EMAIL,
                "direction": Activity.Direction.OUTBOUND,
                "subject": subject[:255],
                "description": "\n".join(
                    [
                        _("To: %(to)s") % {"to": ", ".join(recipients)},
                        _("Attachment: %(file)s") % {"file": f"{quote.number}.pdf"},
                        "",
                        message,
                    ]
                ).strip(),
                "account": quote.account,
                "contact": quote.contact,
                "opportunity": quote.opportunity,
                "done": True,
                "owner": by,
            },
        )
    return sent


def quote_accept(*, quote: Quote, by, expected_version: int | None = None) -> Quote:
    """The customer accepted: the quote is closed as accepted, its opportunity, if still open,
    moves to its pipeline's won stage (when the pipeline has one), and an order is made from it."""
    from sencrm.crm.models import Opportunity, Stage
    from sencrm.crm.services.opportunities import opportunity_move
    from sencrm.sales.services.orders import order_from_quote

    if quote.status != Quote.Status.SENT:
        raise ValidationError({"status": [_("Only a sent quote can be accepted.")]})
    with transaction.atomic():
        accepted = _set_status(
            quote,
            by=by,
            status=Quote.Status.ACCEPTED,
            closed_at=timezone.now(),
            expected_version=expected_version,
        )
        opportunity = (
            Opportunity.objects.alive().filter(pk=quote.opportunity_id).select_related("pipeline").first()
        )
        if opportunity is not None and opportunity.status == Opportunity.Status.OPEN:
            won = opportunity.pipeline.stages.filter(kind=Stage.Kind.WON).order_by("position", "id").first()
            if won is not None:
                opportunity_move(opportunity=opportunity, stage=won, by=by)
        order_from_quote(quote=accepted, by=by)
    return accepted


def quote_reject(*, quote: Quote, by, reason: str = "", expected_version: int | None = None) -> Quote:
    """The customer declined the quote (the opportunity is left as it is: another quote may follow)."""
    if quote.status != Quote.Status.SENT:
        raise ValidationError({"status": [_("Only a sent quote can be rejected.")]})
    return _set_status(
        quote,
        by=by,
        status=Quote.Status.REJECTED,
        closed_at=timezone.now(),
        reject_reason=reason[:255],
        expected_version=expected_version,
    )


def quotes_expire(today: datetime.date | None = None) -> int:
    """Mark sent quotes whose validity has ended as expired; safe to run twice or on two workers.

    Each quote is claimed with a conditional UPDATE (still sent → expired), then audited.
    """
    today = today or timezone.localdate()
    expired = 0
    for quote in Quote.objects.expired_by(today).order_by("valid_until", "pk")[:1000]:
        with transaction.atomic():
            claimed = Quote.objects.filter(pk=quote.pk, status=Quote.Status.SENT).update(
                status=Quote.Status.EXPIRED, closed_at=timezone.now(), version=F("version") + 1
            )
            if not claimed:
                continue
            audit_record(
                instance=quote,
                kind=AuditEntry.Kind.UPDATE,
                by=None,
                changes={"status": [Quote.Status.SENT.value, Quote.Status.EXPIRED.value]},
                message=_("Validity ended on %(date)s") % {"date": quote.valid_until.strftime("%d/%m/%Y")},
            )
            expired += 1
    return expired


def vat_label(rate: str) -> str:
    """How a VAT rate is written on a quote: "10%", or "KCT" for not subject."""
    return "KCT" if rate == "kct" else f"{VAT_PERCENT[rate]:g}%"
