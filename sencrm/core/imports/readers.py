"""Read an uploaded file as a table: headers plus rows of text cells, streamed.

Formats: CSV (encoding and delimiter detected), XLSX (openpyxl, read-only, streaming) and vCard
(contacts). Text typed in the legacy TCVN3/VNI fonts is detected on a sample and converted cell by
cell. Anything that cannot be read raises ``ImportFileError`` with a message for the user.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sencrm.common.text import nfc
from sencrm.core.imports import legacy
from sencrm.core.imports.vcard import VCARD_COLUMNS, card_values, read_cards

SAMPLE_BYTES = 256 * 1024
csv.field_size_limit(64 * 1024 * 1024)  # a 10 MB cell becomes an error row, not a csv.Error


class ImportFileError(Exception):
    """The file cannot be imported at all (wrong kind, unreadable, empty): nothing is stored."""


@dataclass
class Table:
    """A readable table. ``rows()`` yields ``(row_number, cells)`` as the user numbers them (the
    header is row 1 of a spreadsheet; cards count from 1); ``errors`` gets per-row read problems."""

    format: str
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    legacy: str | None = None
    estimated_rows: int = 0
    _rows: Callable[[], Iterator[tuple[int, list[str] | str]]] | None = None
    samples: list[list[str]] = field(default_factory=list)
    raw_samples: list[list[str]] = field(default_factory=list)  # before the legacy-font conversion

    def rows(self) -> Iterator[tuple[int, list[str] | str]]:
        """Rows as lists of cells; a string instead of a list is an error message for that row."""
        assert self._rows is not None
        convert = legacy.DECODERS.get(self.legacy or "")
        for number, cells in self._rows():
            if convert is not None and not isinstance(cells, str):
                cells = [convert(c) if c and not c.isascii() else c for c in cells]
            yield number, cells


def sniff_format(head: bytes, filename: str) -> str:
    name = (filename or "").lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError(
            _("This file is not a valid Excel workbook (.xlsx). Open it in Excel and save it again.")
        )
    if name.endswith(".xls") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV UTF-8.")
        )
    text_head = head.lstrip(b"\xef\xbb\xbf\xff\xfe").replace(b"\x00", b"").lstrip()
    if text_head[:11].upper() == b"BEGIN:VCARD" or name.endswith((".vcf", ".vcard")):
        return "vcard"
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """The text encoding of ``sample``: a BOM, else UTF-8, else Windows-1258; binary is refused."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: every other byte is zero for Latin text.
        even, odd = sample[0::2].count(b"\x00"), sample[1::2].count(b"\x00")
        if odd > len(sample) // 3:
            return "utf-16-le"
        if even > len(sample) // 3:
            return "utf-16-be"
    if b"\x00" in sample:
        raise ImportFileError(
            _("This file is not a text file (CSV). Choose a CSV, Excel (.xlsx) or vCard file.")
        )
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if controls > len(sample) // 100 + 1:
        raise ImportFileError(
            _("This file is not a text file (CSV). Choose a CSV, Excel (.xlsx) or vCard file.")
        )
    for cut in range(4):  # the sample may end inside a UTF-8 sequence
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:
                break
    try:
        sample.decode("cp1258")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The text encoding of this file is unknown. Save it as “CSV UTF-8” and upload it again.")
        ) from None
    # Windows-1258, or Windows-1252 bytes of a legacy font (TCVN3/VNI): the caller decides.
    return "cp1258"


def _legacy_for(sample_text: str, choice: str) -> str | None:
    if choice in legacy.DECODERS:
        return choice
    if choice == "none":
        return None
    return legacy.detect_legacy(sample_text)


def read_csv(f, *, legacy_choice: str = "auto") -> Table:
    f.seek(0)
    sample = f.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if encoding == "cp1258":
        # Legacy-font text arrives as Windows-1252 bytes; real Windows-1258 text does not read as it.
        as_1252 = sample.decode("cp1252", "replace")
        if legacy.detect_legacy(as_1252[:65536]) or legacy_choice in legacy.DECODERS:
            encoding = "cp1252"
    text_sample = sample.decode(encoding, "replace")
    if encoding.startswith("utf-16") and text_sample.startswith("\ufeff"):
        text_sample = text_sample[1:]
    try:
        dialect = csv.Sniffer().sniff(text_sample[: 64 * 1024], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        first = text_sample.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count)
    legacy_name = _legacy_for(text_sample[:65536], legacy_choice)

    def text_stream():
        f.seek(0)
        return io.TextIOWrapper(f, encoding=encoding, errors="replace", newline="")

    def raw_rows() -> Iterator[tuple[int, list[str] | str]]:
        stream = text_stream()
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            next(reader, None)
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield reader.line_num, [_clean_cell(c, encoding) for c in cells]
        except csv.Error as exc:
            yield reader.line_num, _("The file could not be read from here on: %(error)s") % {"error": exc}
        finally:
            stream.detach()

    stream = text_stream()
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        headers = [_clean_cell(h, encoding).lstrip("\ufeff") for h in next(reader, [])]
        samples = []
        for cells in reader:
            if len(samples) >= 10:
                break
            if any(c.strip() for c in cells):
                samples.append([_clean_cell(c, encoding) for c in cells])
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file could not be read: %(error)s") % {"error": exc}) from None
    finally:
        stream.detach()
    if not any(h.strip() for h in headers):
        raise ImportFileError(_("The file is empty."))
    if not samples:
        raise ImportFileError(_("The file has a header row but no data rows."))
    f.seek(0, io.SEEK_END)
    size = f.tell()
    lines = sample.count(b"\n") or 1
    estimated = max(1, int(size * lines / max(len(sample), 1)) - 1)
    table = Table("csv", headers, encoding, delimiter, legacy_name, estimated, raw_rows)
    convert = legacy.DECODERS.get(legacy_name or "")
    table.headers = [convert(h) if convert else h for h in headers]
    table.samples = [[convert(c) if convert else c for c in s] for s in samples]
    table.raw_samples = samples
    return table


def _clean_cell(value: str, encoding: str) -> str:
    if encoding == "cp1258":
        return nfc(value)  # Windows-1258 writes tones as combining marks
    return value.strip()


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def read_xlsx(f, *, legacy_choice: str = "auto") -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    def open_sheet():
        f.seek(0)
        # data_only=False: a formula is imported as its text ("=HYPERLINK(…)"), never evaluated.
        wb = openpyxl.load_workbook(f, read_only=True, data_only=False)
        return wb, wb.worksheets[0]

    try:
        wb, ws = open_sheet()
        it = ws.iter_rows(values_only=True)
        headers = [_xlsx_cell(v) for v in next(it, ())]
        samples = []
        for values in it:
            cells = [_xlsx_cell(v) for v in values]
            if any(cells):
                samples.append(cells)
            if len(samples) >= 10:
                break
        estimated = max((ws.max_row or 1) - 1, len(samples))
        wb.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, IndexError):
        raise ImportFileError(
            _("This file is not a valid Excel workbook (.xlsx). Open it in Excel and save it again.")
        ) from None
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError(_("The file is empty."))
    if not samples:
        raise ImportFileError(_("The file has a header row but no data rows."))
    sample_text = " ".join(" ".join(s) for s in samples[:10])
    legacy_name = _legacy_for(" ".join(headers) + " " + sample_text, legacy_choice)

    def rows() -> Iterator[tuple[int, list[str] | str]]:
        wb, ws = open_sheet()
        try:
            for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
                cells = [_xlsx_cell(v) for v in values]
                if any(cells):
                    yield number, cells
        finally:
            wb.close()

    convert = legacy.DECODERS.get(legacy_name or "")
    table = Table(
        "xlsx", [convert(h) if convert else h for h in headers], "", "", legacy_name, estimated, rows
    )
    table.samples = [[convert(c) if convert else c for c in s] for s in samples]
    table.raw_samples = samples
    return table


def read_vcard(f) -> Table:
    f.seek(0)
    raw = f.read()
    for enc in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    headers = list(VCARD_COLUMNS)

    def rows() -> Iterator[tuple[int, list[str] | str]]:
        for card in read_cards(text):
            if card.error:
                yield (
                    card.number,
                    _("This card has a line that is not a vCard property (%(line)s); the card was skipped.")
                    % {"line": card.bad_line or card.error},
                )
                continue
            values = card_values(card)
            yield card.number, [values.get(h, "") for h in headers]

    samples = []
    count = 0
    for _number, cells in rows():
        count += 1
        if len(samples) < 10 and not isinstance(cells, str):
            samples.append(cells)
    if not count:
        raise ImportFileError(_("No contact card (BEGIN:VCARD … END:VCARD) was found in this file."))
    table = Table("vcard", headers, enc, "", None, count, rows)
    table.samples = samples
    return table


def open_table(f, filename: str, *, legacy_choice: str = "auto") -> Table:
    """Read ``f`` (a binary file object) as a table; raise ImportFileError when it cannot be."""
    f.seek(0)
    head = f.read(16)
    if not head:
        raise ImportFileError(_("The file is empty."))
    kind = sniff_format(head, filename)
    if kind == "xlsx":
        return read_xlsx(f, legacy_choice=legacy_choice)
    if kind == "vcard":
        return read_vcard(f)
    return read_csv(f, legacy_choice=legacy_choice)
