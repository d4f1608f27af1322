"""Load Vietnam's provinces and wards into ``core.Province`` / ``core.Ward`` (VIETNAM.md §1).

Used by the data migration ``core.0002_administrative_units`` (with the migration's historical
models) and by ``sencrm load_admin_units`` when the government renames units again. Loading is
keyed by the official NSO code, so it is safe to repeat: new codes are added, changed names and
kinds are updated, and codes missing from the file are reported but kept, because addresses may
still point at them (``Ward`` is referenced with ``PROTECT``).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from sencrm.common.text import fold, nfc

#: The file shipped with Sen CRM, derived from the ``vietnam-provinces`` package (NOTICE.md).
ADMIN_UNITS_FILE = Path(__file__).with_name("admin_units.json")


@dataclass
class AdminUnits:
    """The content of a data file: (code, name, kind) per province, plus the province per ward."""

    provinces: list[tuple[int, str, str]]
    wards: list[tuple[int, str, str, int]]
    version: str = ""


@dataclass
class LoadResult:
    provinces_created: int = 0
    provinces_updated: int = 0
    wards_created: int = 0
    wards_updated: int = 0
    #: Codes in the database that the file no longer lists (kept; see the module docstring).
    stale_provinces: list[int] = field(default_factory=list)
    stale_wards: list[int] = field(default_factory=list)


def read_admin_units(path: str | Path | None = None) -> AdminUnits:
    """Read our compact file, or the ``nested-divisions.json`` of ``vietnam-provinces`` itself."""
    raw = json.loads(Path(path or ADMIN_UNITS_FILE).read_text(encoding="utf-8"))
    if isinstance(raw, dict):
        return AdminUnits(
            provinces=[(int(c), nfc(n), nfc(k)) for c, n, k in raw["provinces"]],
            wards=[(int(c), nfc(n), nfc(k), int(p)) for c, n, k, p in raw["wards"]],
            version=f"{raw.get('source', '')} {raw.get('version', '')} ({raw.get('data_version', '')})",
        )
    # vietnam-provinces' nested JSON: [{"code", "name", "division_type", "wards": [...]}, ...]
    provinces, wards = [], []
    for p in raw:
        provinces.append((int(p["code"]), nfc(p["name"]), nfc(p.get("division_type", ""))))
        for w in p["wards"]:
            wards.append((int(w["code"]), nfc(w["name"]), nfc(w.get("division_type", "")), int(p["code"])))
    return AdminUnits(provinces=provinces, wards=wards, version=str(path))


def load_admin_units(province_model, ward_model, path: str | Path | None = None, using: str = "default"):
    """Create or update every province and ward of the file (update-or-create by code)."""
    data = read_admin_units(path)
    result = LoadResult()

    provinces = province_model.objects.using(using)
    existing = {p.code: p for p in provinces.all()}
    new, changed = [], []
    for code, name, kind in data.provinces:
        row = existing.pop(code, None)
        if row is None:
            new.append(province_model(code=code, name=name, kind=kind, search_name=fold(name)))
        elif (row.name, row.kind, row.search_name) != (name, kind, fold(name)):
            row.name, row.kind, row.search_name = name, kind, fold(name)
            changed.append(row)
    provinces.bulk_create(new)
    provinces.bulk_update(changed, ["name", "kind", "search_name"])
    result.provinces_created, result.provinces_updated = len(new), len(changed)
    result.stale_provinces = sorted(existing)

    wards = ward_model.objects.using(using)
    existing = {w.code: w for w in wards.all()}
    new, changed = [], []
    for code, name, kind, province_code in data.wards:
        row = existing.pop(code, None)
        values = (name, kind, fold(name), province_code)
        if row is None:
            new.append(
                ward_model(code=code, name=name, kind=kind, search_name=fold(name), province_id=province_code)
            )
        elif (row.name, row.kind, row.search_name, row.province_id) != values:
            row.name, row.kind, row.search_name, row.province_id = values
            changed.append(row)
    wards.bulk_create(new, batch_size=1000)
    wards.bulk_update(changed, ["name", "kind", "search_name", "province"], batch_size=500)
    result.wards_created, result.wards_updated = len(new), len(changed)
    result.stale_wards = sorted(existing)
    return result
