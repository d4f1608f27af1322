"""Provinces and wards: what migration core.0002 loads, and refreshing them later."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from sencrm.core.data.admin_units import ADMIN_UNITS_FILE, load_admin_units, read_admin_units
from sencrm.core.models import Province, Ward

pytestmark = pytest.mark.django_db


def test_migration_loaded_the_units_in_force_since_july_2025():
    assert Province.objects.count() == 34
    assert Ward.objects.count() == 3321
    assert Counter(Ward.objects.values_list("kind", flat=True)) == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_hcmc_is_79_and_named_as_in_the_data():
    hcmc = Province.objects.get(code=79)
    assert (hcmc.name, hcmc.kind, hcmc.search_name) == (
        "Thành phố Hồ Chí Minh",
        "thành phố trung ương",
        "thanh pho ho chi minh",
    )


def test_2026_changes_are_in():
    # Đồng Nai, Quảng Ninh and Bắc Ninh became centrally-run cities in 2026 (VIETNAM.md §1).
    names = dict(Province.objects.filter(code__in=[22, 24, 75]).values_list("code", "name"))
    assert names == {22: "Thành phố Quảng Ninh", 24: "Thành phố Bắc Ninh", 75: "Thành phố Đồng Nai"}
    assert Province.objects.filter(kind="thành phố trung ương").count() == 9


def test_known_wards_belong_to_their_province():
    ben_thanh = Ward.objects.get(code=26743)
    assert (ben_thanh.name, ben_thanh.province_id, ben_thanh.search_name) == (
        "Phường Bến Thành",
        79,
        "phuong ben thanh",
    )
    assert Ward.objects.get(code=4).province.name == "Thành phố Hà Nội"  # Phường Ba Đình
    assert Ward.objects.get(code=166).name == "Phường Cầu Giấy"


def test_loading_again_changes_nothing():
    result = load_admin_units(Province, Ward)
    assert (
        result.provinces_created,
        result.provinces_updated,
        result.wards_created,
        result.wards_updated,
    ) == (
        0,
        0,
        0,
        0,
    )
    assert (result.stale_provinces, result.stale_wards) == ([], [])
    assert (Province.objects.count(), Ward.objects.count()) == (34, 3321)


def test_refresh_renames_by_code_adds_new_units_and_keeps_missing_ones(tmp_path):
    data = json.loads(ADMIN_UNITS_FILE.read_text(encoding="utf-8"))
    data["provinces"] = [[79, "Thành phố Sài Gòn", "thành phố trung ương"]]
    data["wards"] = [[26743, "Phường Chợ Bến Thành", "phường", 79], [99990, "Phường Mới", "phường", 79]]
    path = tmp_path / "units.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = StringIO()

    call_command("load_admin_units", file=str(path), stdout=out)

    assert Province.objects.get(code=79).search_name == "thanh pho sai gon"
    assert Ward.objects.get(code=26743).name == "Phường Chợ Bến Thành"
    assert Ward.objects.get(code=99990).province_id == 79
    assert Ward.objects.count() == 3322  # nothing removed: addresses may still point at old codes
    text = out.getvalue()
    assert "provinces 0 added, 1 changed; wards 1 added, 1 changed." in text
    assert "33 provinces kept but no longer in the file" in text
    assert "3320 wards kept but no longer in the file" in text


def test_refresh_reads_the_nested_json_of_vietnam_provinces(tmp_path):
    nested = [
        {
            "code": 79,
            "name": "Thành phố Hồ Chí Minh",
            "division_type": "thành phố trung ương",
            "wards": [{"code": 26743, "name": "Phường Bến Thành", "division_type": "phường"}],
        }
    ]
    path = tmp_path / "nested-divisions.json"
    path.write_text(json.dumps(nested), encoding="utf-8")
    units = read_admin_units(path)
    assert units.provinces == [(79, "Thành phố Hồ Chí Minh", "thành phố trung ương")]
    assert units.wards == [(26743, "Phường Bến Thành", "phường", 79)]
    result = load_admin_units(Province, Ward, path)
    assert (result.provinces_updated, result.wards_updated, result.wards_created) == (0, 0, 0)


def test_the_shipped_file_names_its_source():
    units = read_admin_units()
    assert units.version == "vietnam-provinces 2026.9.0 (2026-09-20)"
    assert (len(units.provinces), len(units.wards)) == (34, 3321)
