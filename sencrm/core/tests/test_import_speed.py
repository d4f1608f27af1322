"""The fast paths of the import give what the slow ones gave: phones, new instances, multi-row INSERTs."""

import random

import phonenumbers
import pytest

from sencrm.common.phones import normalize_phone
from sencrm.core.imports.bulk import insert, insert_values
from sencrm.core.imports.service import _new_instance
from sencrm.core.models import AuditEntry
from sencrm.crm.models import Account, Contact, Lead


def _parser(raw: str) -> str | None:
    """What ``normalize_phone`` answered before its fast path (the full parser)."""
    from sencrm.common.phones import parse_phone

    number = parse_phone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


def test_the_mobile_fast_path_agrees_with_the_parser_for_every_prefix():
    rnd = random.Random(3)
    for prefix in range(300, 1000):
        rest = f"{prefix}{rnd.randrange(10**6):06d}"
        forms = (f"0{rest}", f"+84{rest}", f"84{rest}", f"0{rest[:3]} {rest[3:6]} {rest[6:]}", f"+84 {rest}")
        for raw in forms:
            if rest[0] in "35789":
                assert normalize_phone(raw) == _parser(raw) == f"+84{rest}", raw
    # Not a mobile number as usually typed: the parser decides, as before.
    for raw in ("024 3825 1234", "+1 650 253 0000", "0163 123 4567", "(091) 234-5678", "0912 345 67"):
        try:
            expected = _parser(raw)
        except Exception:  # noqa: BLE001 - compared below
            expected = None
        if expected is None:
            with pytest.raises(Exception):  # noqa: B017, PT011 - ValidationError
                normalize_phone(raw)
        else:
            assert normalize_phone(raw) == expected


@pytest.mark.parametrize("model", [Contact, Lead, Account])
def test_new_instances_are_what_the_constructor_makes(db, model):
    data = {"description": "Ghi chú", "province_id": 1, "street": "12 Lê Lợi"}
    fast, slow = _new_instance(model, data), model(**data)
    skip = {"_state", "created_at", "updated_at"}
    assert {k: v for k, v in fast.__dict__.items() if k not in skip} == {
        k: v for k, v in slow.__dict__.items() if k not in skip
    }
    assert fast._state.adding and fast.custom is not _new_instance(model, data).custom
    assert type(_new_instance(Contact, {"account": None})) is Contact  # other keys: the constructor


def test_multi_row_insert_sets_each_record_its_own_id(org):
    people = [
        Contact(full_name=f"Người {i}", owner=org.alice, branch=org.hn, custom={"i": i}) for i in range(2500)
    ]
    insert(Contact, people)
    stored = dict(Contact.objects.values_list("pk", "full_name"))
    assert len(stored) == 2500 and all(stored[p.pk] == p.full_name for p in people)
    assert Contact.objects.get(pk=people[1234].pk).custom == {"i": 1234}
    assert all(not p._state.adding for p in people)
    insert_values(
        AuditEntry, {"entity": "crm.contact", "kind": "create", "user": org.alice.pk}, "object_id", [1, 2]
    )
    assert list(AuditEntry.objects.filter(object_id__in=[1, 2]).values_list("changes", "message")) == [
        ({}, ""),
        ({}, ""),
    ]


def test_sqlite_maps_no_file_pages_during_an_import(org, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from sencrm.core.imports import service

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's mmap_size")

    def mmap_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA mmap_size")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size=1048576")
    seen, real = [], service._run_rows
    monkeypatch.setattr(service, "_run_rows", lambda job: seen.append(mmap_size()) or real(job))
    job, _t = service.import_create(
        user=org.alice,
        entity="crm.contact",
        upload=SimpleUploadedFile("a.csv", "Họ tên\nAn Nguyễn\n".encode()),
    )
    assert service.import_run(job.pk).counts["created"] == 1
    assert seen == [0] and mmap_size() == 1048576


def test_inserts_use_a_few_statement_sizes_whatever_the_batch():
    from sencrm.core.imports.bulk import _chunks

    sizes = set()
    for count in range(1, 3000):
        pieces = list(_chunks(count, 728))
        assert sum(size for _s, size in pieces) == count and [s for s, _n in pieces][0] == 0
        sizes |= {size for _s, size in pieces}
    assert sizes == {1, 2, 4, 8, 16, 32, 64, 128, 256, 512}  # not one prepared statement per size
