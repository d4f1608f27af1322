"""The quote as an A4 PDF (fpdf2, with the vendored Be Vietnam Pro font for Vietnamese diacritics).

The document is Vietnamese with English subtitles ("Đơn giá / Unit price"), whatever the UI
language of the person printing it: commercial papers in Vietnam are in Vietnamese (VIETNAM.md §6),
and the subtitles serve foreign buyers. It carries what an e-invoice will need later: seller and
buyer legal names, tax codes and addresses, unit (ĐVT) and VAT rate per line, VAT per rate.
"""

import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from fpdf import FPDF
from fpdf.fonts import FontFace

from sencrm.sales.models import Quote, SellerProfile
from sencrm.sales.money import amount_in_words
from sencrm.sales.services.pricing import currency_decimals
from sencrm.sales.services.quotes import quote_figures, vat_label

FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "be-vietnam-pro"
FONT = "BeVietnamPro"


def format_amount(value: Decimal, decimals: int) -> str:
    """1250000 → "1.250.000"; 1234.5 (USD) → "1.234,50" (Vietnamese separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_quantity(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    whole, _dot, frac = text.partition(".")
    return format_amount(Decimal(whole), 0) + ("," + frac if frac else "")


def letterhead(quote: Quote) -> dict:
    """Seller name, tax code, address, contacts and logo path: the seller profile, else the top
    branch of the quote's branch."""
    profile = SellerProfile.objects.order_by("pk").first()
    if profile is not None:
        logo = ""
        if profile.logo:
            try:
                logo = profile.logo.path
            except NotImplementedError:  # remote storage: read the bytes instead
                logo = io.BytesIO(profile.logo.read())
        return {
            "name": profile.legal_name,
            "tax_code": profile.tax_code,
            "address": profile.address,
            "contact": " · ".join(p for p in (profile.phone, profile.email, profile.website) if p),
            "bank": profile.bank_account,
            "logo": logo,
        }
    from sencrm.core.models import Branch

    branch = quote.branch
    top_id = int(branch.path.strip("/").split("/")[0]) if branch.path.strip("/") else branch.pk
    top = Branch.objects.filter(pk=top_id).first() or branch
    return {"name": top.name, "tax_code": "", "address": top.address, "contact": "", "bank": "", "logo": ""}


class QuotePDF(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", str(FONT_DIR / "BeVietnamPro-Regular.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "BeVietnamPro-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.footer_text} · Trang {self.page_no()}/{{nb}}", align="C")


def quote_pdf(quote: Quote, snapshot: dict | None = None) -> bytes:
    """The PDF of ``quote`` (or of an earlier revision's ``snapshot``, ``QuoteRevision.data``)."""
    seller = letterhead(quote)
    decimals = currency_decimals(quote.currency)
    if snapshot is None:
        lines = list(quote.lines.select_related("product"))
        figures = quote_figures(quote, lines)
        data = {
            "number": quote.number,
            "revision": quote.revision,
            "title": quote.title,
            "quote_date": quote.quote_date,
            "valid_until": quote.valid_until,
            "buyer_name": quote.buyer_name,
            "buyer_tax_code": quote.buyer_tax_code,
            "buyer_address": quote.buyer_address,
            "buyer_email": quote.buyer_email,
            "terms": quote.terms,
            "notes": quote.notes,
            "rows": [
                (
                    line.product.code if line.product_id else "",
                    line.description,
                    line.unit,
                    line.quantity,
                    line.unit_price,
                    line.discount_percent,
                    line.discount_amount,
                    line.vat_rate,
                    line.amount,
                )
                for line in lines
            ],
            "groups": [(g.rate, g.subtotal, g.vat) for g in figures.groups],
            "subtotal": figures.subtotal,
            "vat": figures.vat,
            "total": figures.total,
        }
    else:
        import datetime

        data = {
            **snapshot,
            "quote_date": datetime.date.fromisoformat(snapshot["quote_date"]),
            "valid_until": datetime.date.fromisoformat(snapshot["valid_until"]),
            "rows": [
                (
                    r["product_code"],
                    r["description"],
                    r["unit"],
                    Decimal(r["quantity"]),
                    Decimal(r["unit_price"]),
                    Decimal(r["discount_percent"]),
                    Decimal(r["discount_amount"]),
                    r["vat_rate"],
                    Decimal(r["amount"]),
                )
                for r in snapshot["lines"]
            ],
            "groups": [(g["rate"], Decimal(g["subtotal"]), Decimal(g["vat"])) for g in snapshot["groups"]],
            "subtotal": Decimal(snapshot["subtotal"]),
            "vat": Decimal(snapshot["vat_total"]),
            "total": Decimal(snapshot["total"]),
        }

    def money(value: Decimal) -> str:
        return format_amount(value, decimals)

    pdf = QuotePDF(footer_text=f"{data['number']} (lần {data['revision']})")
    pdf.alias_nb_pages()
    pdf.add_page()
    # --- letterhead --------------------------------------------------------------------------
    text_x = 15
    if seller["logo"]:
        try:
            pdf.image(seller["logo"], x=15, y=12, h=18)
            text_x = 50
        except Exception:  # a broken logo file must not stop the quote  # noqa: BLE001
            text_x = 15
    pdf.set_xy(text_x, 12)
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(195 - text_x, 6, seller["name"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8.5)
    for label, value in (
        ("Mã số thuế / Tax code", seller["tax_code"]),
        ("Địa chỉ / Address", seller["address"]),
        ("Liên hệ / Contact", seller["contact"]),
        ("Tài khoản / Bank account", seller["bank"]),
    ):
        if value:
            pdf.set_x(text_x)
            pdf.multi_cell(195 - text_x, 4.5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(180)
    pdf.line(15, max(pdf.get_y(), 32) + 2, 195, max(pdf.get_y(), 32) + 2)
    pdf.set_y(max(pdf.get_y(), 32) + 6)
    # --- title -------------------------------------------------------------------------------
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 8, "BÁO GIÁ", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 5, "QUOTATION", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        5,
        f"Số / No.: {data['number']} · Lần sửa / Revision: {data['revision']} · "
        f"Ngày / Date: {data['quote_date']:%d/%m/%Y}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    # --- buyer -------------------------------------------------------------------------------
    pdf.set_font(FONT, "", 9.5)
    for label, value in (
        ("Kính gửi / To", data["buyer_name"]),
        ("Mã số thuế / Tax code", data["buyer_tax_code"]),
        ("Địa chỉ / Address", data["buyer_address"]),
        ("Email", data["buyer_email"]),
        ("Về việc / Subject", data["title"]),
    ):
        if value:
            pdf.multi_cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    # --- lines -------------------------------------------------------------------------------
    headings = (
        "STT",
        "Mã hàng",
        "Tên hàng hóa, dịch vụ",
        "ĐVT",
        "Số lượng",
        "Đơn giá",
        "CK",
        "Thuế",
        "Thành tiền",
    )
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=(8, 18, 49, 15, 16, 24, 16, 11, 27),
        text_align=("CENTER", "LEFT", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT", "CENTER", "RIGHT"),
        headings_style=FontFace(family=FONT, emphasis="BOLD", fill_color=(235, 240, 245)),
        line_height=4.5,
        first_row_as_headings=True,
    ) as table:
        table.row(headings)
        for index, (code, description, unit, qty, price, pct, disc, rate, amount) in enumerate(
            data["rows"], 1
        ):
            if pct:
                discount = f"{pct.normalize():f}%".replace(".", ",")
            elif disc:
                discount = money(disc)
            else:
                discount = ""
            table.row(
                (
                    str(index),
                    code,
                    description,
                    unit,
                    format_quantity(qty),
                    money(price),
                    discount,
                    vat_label(rate),
                    money(amount),
                )
            )
    pdf.ln(2)
    # --- totals ------------------------------------------------------------------------------
    pdf.set_font(FONT, "", 9)

    def total_row(label: str, value: str, bold: bool = False) -> None:
        pdf.set_font(FONT, "B" if bold else "", 9.5 if bold else 9)
        pdf.cell(140, 5.5, label, align="R")
        pdf.cell(40, 5.5, value, align="R", new_x="LMARGIN", new_y="NEXT")

    for rate, subtotal, vat in data["groups"]:
        label = "không chịu thuế" if rate == "kct" else f"thuế suất {vat_label(rate)}"
        total_row(f"Cộng tiền hàng {label} / Subtotal at {vat_label(rate)}:", money(subtotal))
        if rate != "kct":
            total_row(f"Tiền thuế GTGT {vat_label(rate)} / VAT {vat_label(rate)}:", money(vat))
    total_row("Cộng tiền hàng / Subtotal:", money(data["subtotal"]))
    total_row("Tổng tiền thuế GTGT / Total VAT:", money(data["vat"]))
    total_row(f"Tổng cộng thanh toán / Total ({quote.currency}):", money(data["total"]), bold=True)
    pdf.ln(1)
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(
        0,
        5,
        f"Số tiền viết bằng chữ: {amount_in_words(data['total'], quote.currency)}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    # --- validity, terms, notes --------------------------------------------------------------
    pdf.multi_cell(
        0,
        5,
        f"Báo giá có hiệu lực đến ngày / Valid until: {data['valid_until']:%d/%m/%Y}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for label, value in (("Điều khoản / Terms", data["terms"]), ("Ghi chú / Notes", data["notes"])):
        if value:
            pdf.ln(1)
            pdf.set_font(FONT, "B", 9.5)
            pdf.cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, "", 9)
            pdf.multi_cell(0, 4.8, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(FONT, "B", 9.5)
    pdf.cell(100, 5, "")
    pdf.cell(80, 5, "ĐẠI DIỆN BÊN BÁN / FOR THE SELLER", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.cell(100, 5, "")
    pdf.cell(80, 5, "(Ký, ghi rõ họ tên / Signature, full name)", align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
