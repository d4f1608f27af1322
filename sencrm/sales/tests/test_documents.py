"""The quote's PDF (text extracted with pypdf) and sending it by email through a real SMTP server
(aiosmtpd on 127.0.0.1), logged on the timeline."""

import datetime
import email
import io
import socket
import unicodedata
from decimal import Decimal as D

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError
from django.utils import translation
from pypdf import PdfReader

from sencrm.crm.models import Activity
from sencrm.sales.models import Quote, SellerProfile
from sencrm.sales.services.documents import quote_pdf
from sencrm.sales.services.quotes import quote_send
from sencrm.sales.tests import factories as f


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def _quote(org):
    SellerProfile.objects.create(
        legal_name="Công ty TNHH Sen Việt",
        tax_code="0101248141",
        address="Số 18 Láng Hạ, Phường Giảng Võ, TP. Hà Nội",
    )
    nen = f.product(org.admin)
    oil = f.product(org.admin, "TD-001", "Tinh dầu sả chanh", 150000, vat_rate="5", unit="chai")
    lines = [
        {"product": nen, "quantity": D(5)},  # 925 000, VAT 8 % 74 000
        {
            "product": oil,
            "quantity": D(2),
            "discount_amount": D(50000),
        },  # 300 000 − 50 000 = 250 000, VAT 5 % 12 500
        {
            "description": "Phí giao hàng nội thành",
            "unit": "chuyến",
            "quantity": D(1),
            "unit_price": D(25000),
            "vat_rate": "kct",
        },
    ]
    return f.quote(
        org.alice,
        lines=lines,
        quote_date=datetime.date(2026, 11, 20),
        valid_until=datetime.date(2026, 12, 5),
        terms="Thanh toán chuyển khoản trong 15 ngày.",
    )


def test_the_pdf_is_a4_with_letterhead_lines_totals_and_words(org):
    quote = _quote(org)
    # 925 000 + 250 000 + 25 000 = 1 200 000; VAT 74 000 + 12 500 = 86 500; total 1 286 500.
    assert quote.total == D(1286500)
    data = quote_pdf(quote)
    assert data.startswith(b"%PDF")
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
        595,
        842,
    )  # A4 in points
    text = pdf_text(data)
    for expected in (
        "Công ty TNHH Sen Việt",
        "Mã số thuế / Tax code: 0101248141",
        "BÁO GIÁ",
        "BG-HN-2026-0001",
        "Kính gửi / To: Công ty TNHH Quà Tặng Việt",
        "Nến thơm hoa sen",
        "Tinh dầu sả chanh",
        "Phí giao hàng nội thành",
        "925.000",
        "74.000",
        "12.500",
        "1.286.500",
        "Một triệu hai trăm tám mươi sáu nghìn năm trăm đồng",
        "Valid until: 05/12/2026",
        "Thanh toán chuyển khoản trong 15 ngày.",
        "KCT",
    ):
        assert expected in text, expected


def test_without_a_seller_profile_the_top_branch_heads_the_pdf(org):
    quote = f.quote(org.alice)
    assert "Trụ sở chính" in pdf_text(quote_pdf(quote))


class Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_TIMEOUT = 10
    yield sink
    controller.stop()


def test_sending_mails_the_pdf_and_logs_an_email_activity(org, smtp):
    quote = _quote(org)
    sent = quote_send(
        quote=quote,
        by=org.alice,
        to=["hoa@quatang.vn"],
        subject="Báo giá quà Tết",
        message="Kính gửi chị Hoa, em gửi báo giá.",
        expected_version=quote.version,
    )
    assert (sent.status, sent.sent_at is not None) == ("sent", True)
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.rcpt_tos == ["hoa@quatang.vn"]
    message = email.message_from_bytes(envelope.original_content)
    assert str(email.header.make_header(email.header.decode_header(message["Subject"]))) == "Báo giá quà Tết"
    parts = {part.get_filename(): part for part in message.walk() if part.get_filename()}
    assert list(parts) == ["BG-HN-2026-0001.pdf"]
    attached = parts["BG-HN-2026-0001.pdf"].get_payload(decode=True)
    assert "Một triệu hai trăm tám mươi sáu nghìn năm trăm đồng" in pdf_text(attached)
    activity = Activity.objects.get()
    assert (activity.kind, activity.subject, activity.done) == ("email", "Báo giá quà Tết", True)
    assert (activity.opportunity_id, activity.account_id) == (quote.opportunity_id, quote.account_id)
    assert "hoa@quatang.vn" in activity.description


def test_a_refused_mail_changes_nothing(org, settings):
    quote = _quote(org)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens there
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        quote_send(quote=quote, by=org.alice, to=["hoa@quatang.vn"])
    assert exc.value.messages[0].startswith("The mail server did not take the email:")
    assert (Quote.objects.get().status, Activity.objects.count()) == ("draft", 0)


def test_sending_needs_valid_addresses(org, smtp):
    quote = _quote(org)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        quote_send(quote=quote, by=org.alice, to=["not-an-address"])
    assert exc.value.message_dict == {"to": ["Not a valid email address: not-an-address"]}
    assert (smtp.envelopes, Quote.objects.get().status) == ([], "draft")


def test_the_seller_logo_is_printed(org, settings, tmp_path):
    from django.core.files.base import ContentFile
    from PIL import Image

    settings.MEDIA_ROOT = str(tmp_path)
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), (200, 30, 60)).save(buffer, "PNG")
    quote = _quote(org)
    profile = SellerProfile.objects.get()
    profile.logo.save("logo.png", ContentFile(buffer.getvalue()))
    reader = PdfReader(io.BytesIO(quote_pdf(quote)))
    assert len(reader.pages[0].images) == 1
    assert len(PdfReader(io.BytesIO(quote_pdf(f.quote(org.alice)))).pages[0].images) == 1
    profile.logo.delete()
    assert len(PdfReader(io.BytesIO(quote_pdf(quote))).pages[0].images) == 0
