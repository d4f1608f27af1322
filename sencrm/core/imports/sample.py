"""Real-looking Vietnamese contact spreadsheets for import trials and benchmarks.

``sample_rows(n, seed)`` yields rows (Vietnamese headers, see ``HEADERS``) with names made of common
family, middle and given names, phones typed the ways people type them (``0912 345 678``,
``+84 912345678``, ``84-912-345-678``, old 11-digit prefixes), emails, companies, provinces and
tags. ``duplicate_every`` repeats an earlier person in another form (the phone typed differently,
the email in other case) so a trial can check that duplicates are caught. Deterministic per seed.

    python -m sencrm.core.imports.sample 1000000 /tmp/contacts-1m.csv   # or .xlsx
"""
# ruff: noqa: E501 - word lists read best one per line

import csv
import random
import sys
from collections.abc import Iterator

HEADERS = [
    "Họ và tên",
    "Email",
    "Số điện thoại",
    "Công ty",
    "Chức vụ",
    "Tỉnh/Thành phố",
    "Địa chỉ",
    "Ngày sinh",
    "Thẻ",
]

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = [
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Minh",
    "Ngọc",
    "Thanh",
    "Quốc",
    "Thu",
    "Hoài",
    "Gia",
    "Bảo",
    "Xuân",
    "",
]
GIVEN = [
    "Anh", "Ánh", "Bình", "Châu", "Cường", "Dũng", "Duy", "Đạt", "Giang", "Hà", "Hải", "Hạnh", "Hiếu",
    "Hoa", "Hùng", "Hương", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Ngọc",
    "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung",
    "Tú", "Tuấn", "Uyên", "Việt", "Vy", "Yến",
]  # fmt: skip
COMPANIES = [
    "Công ty TNHH Minh Anh", "Công ty CP Thương mại Sông Hồng", "Công ty TNHH Sen Vàng",
    "Tập đoàn Hòa Phát", "Công ty CP Dịch vụ Biển Đông", "Công ty TNHH MTV Ánh Dương", "",
]  # fmt: skip
PROVINCES = [
    "Hà Nội",
    "Thành phố Hồ Chí Minh",
    "TP. Hồ Chí Minh",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Huế",
    "Khánh Hòa",
    "Lâm Đồng",
    "",
]
TITLES = ["Giám đốc", "Kế toán", "Trưởng phòng kinh doanh", "Nhân viên", "Chủ cửa hàng", ""]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Phố Huế", "Lý Thường Kiệt"]
TAGS = ["Khách VIP", "khách lẻ", "Đại lý", "Hội chợ 2026", ""]
PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "032", "035", "070", "077", "083", "086"]


def _phone_forms(national: str, rnd: random.Random) -> str:
    """One way of typing the national number ``0912345678``."""
    rest = national[1:]
    form = rnd.randrange(5)
    if form == 0:
        return national
    if form == 1:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if form == 2:
        return f"+84 {rest}"
    if form == 3:
        return f"84-{rest[:3]}-{rest[3:6]}-{rest[6:]}"
    return f"{national[:4]}.{national[4:7]}.{national[7:]}"


def _plain(text: str) -> str:
    from sencrm.common.text import fold

    return fold(text).replace(" ", "")


def sample_rows(n: int, *, seed: int = 2026, duplicate_every: int = 0) -> Iterator[list[str]]:
    """``n`` rows (not counting the header). Row ``i`` (1-based) is a repeat of an earlier person,
    phone typed another way and email upper-cased, when ``duplicate_every`` divides ``i``."""
    rnd = random.Random(seed)
    recent: list[tuple[str, str, str]] = []
    for i in range(1, n + 1):
        if duplicate_every and i % duplicate_every == 0 and recent:
            name, email, national = recent[rnd.randrange(len(recent))]
            phone = _phone_forms(national, rnd) if i % (2 * duplicate_every) else ""
            yield [name, email.upper() if phone == "" else "", phone, "", "", "", "", "", ""]
            continue
        family, middle, given = rnd.choice(FAMILY), rnd.choice(MIDDLE), rnd.choice(GIVEN)
        name = " ".join(p for p in (family, middle, given) if p)
        national = f"{rnd.choice(PREFIXES)}{i % 10_000_000:07d}"
        email = f"{_plain(given)}.{_plain(family)}{i}@example.vn"
        if len(recent) < 1000:
            recent.append((name, email, national))
        else:
            recent[rnd.randrange(1000)] = (name, email, national)
        yield [
            name,
            email if rnd.random() > 0.05 else "",
            _phone_forms(national, rnd),
            rnd.choice(COMPANIES) if rnd.random() < 0.1 else "",
            rnd.choice(TITLES),
            rnd.choice(PROVINCES),
            f"{rnd.randrange(1, 300)} {rnd.choice(STREETS)}",
            f"{rnd.randrange(1, 29):02d}/{rnd.randrange(1, 13):02d}/{rnd.randrange(1960, 2004)}",
            rnd.choice(TAGS),
        ]


def write_csv(path: str, n: int, **kwargs) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(sample_rows(n, **kwargs))


def write_xlsx(path: str, n: int, **kwargs) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Khách hàng")
    sheet.append(HEADERS)
    for row in sample_rows(n, **kwargs):
        sheet.append(row)
    book.save(path)


if __name__ == "__main__":
    count, target = int(sys.argv[1]), sys.argv[2]
    every = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    (write_xlsx if target.endswith(".xlsx") else write_csv)(target, count, duplicate_every=every)
