"""Rebuild ``admin_units.json`` from a release of the ``vietnam-provinces`` package.

Not imported by Sen CRM. ``vietnam-provinces`` needs Python >= 3.12, and our runtime is 3.11, so
the wheel is downloaded (not installed), unpacked, and read by this script under Python 3.12::

    pip download --no-deps --python-version 3.12 --only-binary=:all: vietnam-provinces==2026.9.0 -d /tmp/vp
    unzip -q /tmp/vp/vietnam_provinces-*.whl -d /tmp/vp/x
    python3.12 sencrm/core/data/build_admin_units.py /tmp/vp/x > sencrm/core/data/admin_units.json
    sencrm load_admin_units          # apply it to a running database

The package's Python tables (``PROVINCE_MAPPING``/``WARD_MAPPING``) are read rather than its
bundled JSON files: in 2026.9.0 the JSON still has the 2025 names of the three provinces that
became centrally-run cities in 2026 (Quảng Ninh, Bắc Ninh, Đồng Nai), while the Python tables
have the new ones. Update ``NOTICE.md`` with the version and data date printed on stderr.
"""

import json
import sys


def build(package_dir: str) -> dict:
    sys.path.insert(0, package_dir)
    from importlib.metadata import PackageNotFoundError, version

    import vietnam_provinces
    from vietnam_provinces._lookup import PROVINCE_MAPPING, WARD_MAPPING

    try:
        package_version = version("vietnam-provinces")
    except PackageNotFoundError:  # an unpacked wheel: read the version from its dist-info folder
        import glob
        import os

        info = glob.glob(os.path.join(package_dir, "vietnam_provinces-*.dist-info"))
        package_version = os.path.basename(info[0]).split("-")[1].removesuffix(".dist") if info else "?"

    provinces = sorted(PROVINCE_MAPPING.values(), key=lambda p: int(p.code))
    wards = sorted(WARD_MAPPING.values(), key=lambda w: int(w.code))
    return {
        "source": "vietnam-provinces",
        "version": package_version,
        "data_version": vietnam_provinces.__data_version__,
        "licence": "GPL-3.0-or-later",
        "url": "https://github.com/sunshine-tech/VietnamProvinces",
        "provinces": [[int(p.code), p.name, p.division_type.value] for p in provinces],
        "wards": [[int(w.code), w.name, w.division_type.value, int(w.province_code)] for w in wards],
    }


def dump(data: dict) -> str:
    """JSON with one province or ward per line, so that a refresh reads well as a diff."""
    head = {k: v for k, v in data.items() if k not in {"provinces", "wards"}}
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    for key in ("provinces", "wards"):
        rows = [json.dumps(row, ensure_ascii=False) for row in data[key]]
        lines.append(f'  "{key}": [')
        lines.append(",\n".join("    " + r for r in rows))
        lines.append("  ]," if key == "provinces" else "  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    result = build(sys.argv[1])
    sys.stdout.write(dump(result))
    print(
        f"vietnam-provinces {result['version']}, data of {result['data_version']}: "
        f"{len(result['provinces'])} provinces, {len(result['wards'])} wards",
        file=sys.stderr,
    )
