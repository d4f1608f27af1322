"""A tolerant vCard 2.1/3.0/4.0 reader for contact imports.

Written here rather than using ``vobject`` because vobject 0.9.9 fails on three kinds of files real
clients write (../shared/testdata/README.md §1a): Android's quoted-printable soft line breaks,
iPhone's CR CR LF line ends, and the RFC 2426 ``PROFILE:VCard`` line of Lotus Notes. We only need
names, emails, phones, organisation, title, note, address and birthday, which keeps this small.

A card with a line that is no property (no ``NAME:value``) is reported as an error and skipped;
the other cards are read.
"""

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_PROP = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$", re.DOTALL)
_BASE64_LINE = re.compile(r"^[A-Za-z0-9+/=\s]+$")


@dataclass
class Card:
    """One vCard's data; ``error`` is set when the card could not be read."""

    number: int
    props: list[tuple[str, dict, str]] = field(default_factory=list)
    error: str = ""
    bad_line: str = ""


def _split(value: str, sep: str) -> list[str]:
    """Split on unescaped ``sep`` (vCard 3.0/4.0 escape with backslash)."""
    parts, cur, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            cur.append(value[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _params(raw: str) -> dict:
    params: dict[str, list[str]] = {}
    for item in _split(raw, ";")[1:] if raw else []:
        if not item:
            continue
        if "=" in item:
            key, _, value = item.partition("=")
            params.setdefault(key.upper(), []).extend(v.strip('"').upper() for v in value.split(","))
        else:  # vCard 2.1 bare types: TEL;WORK;VOICE
            params.setdefault("TYPE", []).append(item.upper())
    return params


def _decode_qp(value: str, charset: str) -> str:
    data = quopri.decodestring(value.encode("latin-1", "replace"))
    for enc in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _logical_lines(text: str) -> Iterator[str]:
    """Unfold lines: a leading space/tab continues the previous line; so does the next line after a
    quoted-printable line ending in '=' (vCard 2.1 soft break, Android)."""
    text = text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    current: str | None = None
    qp_soft = False
    for line in text.split("\n"):
        if current is not None and qp_soft:
            current = current[:-1] + line
            qp_soft = current.endswith("=") and "QUOTED-PRINTABLE" in current.split(":", 1)[0].upper()
            continue
        if current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
            continue
        if current is not None:
            yield current
        current = line
        head = line.split(":", 1)[0].upper()
        qp_soft = line.endswith("=") and "QUOTED-PRINTABLE" in head
    if current is not None:
        yield current


def read_cards(text: str) -> Iterator[Card]:
    """Cards of a vCard file, in order, numbered from 1."""
    card: Card | None = None
    number = 0
    in_base64 = False
    for line in _logical_lines(text):
        stripped = line.strip()
        upper = stripped.upper()
        if upper == "BEGIN:VCARD":
            number += 1
            card = Card(number=number)
            in_base64 = False
            continue
        if upper == "END:VCARD":
            if card is not None:
                yield card
            card = None
            continue
        if card is None or not stripped:
            in_base64 = False
            continue
        m = _PROP.match(line)
        if not m:
            if in_base64 and _BASE64_LINE.match(stripped):
                continue  # vCard 2.1 base64 data running on without indentation
            if not card.error:
                card.error, card.bad_line = "bad line", stripped[:200]
            continue
        name, raw_params, value = m.group(1).upper(), m.group(2), m.group(3)
        params = _params(raw_params)
        encoding = [e.upper() for e in params.get("ENCODING", [])]
        in_base64 = any(e in ("BASE64", "B") for e in encoding)
        if "QUOTED-PRINTABLE" in encoding:
            value = _decode_qp(value, (params.get("CHARSET") or ["utf-8"])[0])
        card.props.append((name, params, value))
    if card is not None:  # file ended inside a card
        card.error = card.error or "missing END:VCARD"
        yield card


def card_values(card: Card) -> dict[str, str]:
    """The card as import columns (the names the header mapping knows)."""
    out: dict[str, str] = {}
    emails: list[str] = []
    mobiles: list[str] = []
    phones: list[str] = []
    notes: list[str] = []
    for name, params, value in card.props:
        types = set(params.get("TYPE", []))
        if name == "FN":
            out["Full name"] = _unescape(value).strip()
        elif name == "N":
            parts = [_unescape(p).strip() for p in _split(value, ";")] + [""] * 5
            out["Last name"], out["First name"] = parts[0], parts[1]
            out["Middle name"] = parts[2]
        elif name == "EMAIL":
            v = _unescape(value).strip()
            if v:
                (emails.insert(0, v) if "PREF" in types else emails.append(v))
        elif name == "TEL":
            v = _unescape(value).strip()
            if v.lower().startswith("tel:"):
                v = v[4:]
            if v:
                (mobiles if "CELL" in types else phones).append(v)
        elif name == "ORG" and "Company" not in out:
            out["Company"] = _unescape(_split(value, ";")[0]).strip()
        elif name == "TITLE" and "Job title" not in out:
            out["Job title"] = _unescape(value).strip()
        elif name == "NOTE":
            notes.append(_unescape(value).strip())
        elif name == "BDAY" and "Birthday" not in out and not value.startswith("--"):
            out["Birthday"] = value.strip()[:10]  # "--0203" (no year) has no place in a date field
        elif name == "ADR" and "Street" not in out:
            parts = [_unescape(p).strip() for p in _split(value, ";")] + [""] * 7
            out["Street"] = ", ".join(p for p in (parts[1], parts[2]) if p)
            out["City"] = parts[3]
            out["Country"] = parts[6]
    if emails:
        out["Email"] = emails[0]
    if len(emails) > 1:
        out["Other email"] = emails[1]
    all_phones = mobiles + phones
    if mobiles:
        out["Mobile"] = mobiles[0]
    if phones:
        out["Phone"] = phones[0]
    extra = [p for p in all_phones if p not in (out.get("Mobile"), out.get("Phone"))]
    extra_emails = emails[2:]
    if extra or extra_emails:
        notes.append("; ".join(extra + extra_emails))
    if not (out.get("Full name") or out.get("Last name") or out.get("First name")):
        # Phones often hold cards with only an address (Android cards 1–2): name them by it.
        out["Full name"] = (emails or all_phones or [out.get("Company", "")])[0]
    if notes:
        out["Note"] = "\n".join(n for n in notes if n)
    return out


VCARD_COLUMNS = [
    "Full name", "Last name", "First name", "Middle name", "Email", "Other email", "Mobile",
    "Phone", "Company", "Job title", "Street", "City", "Country", "Birthday", "Note",
]  # fmt: skip
