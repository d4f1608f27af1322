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
    """Mapped file pages and a large page cache count in the worker's memory: an import runs with
    mapping off and a bounded cache, and gives the connection its settings back."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from sencrm.core.imports import service

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's mmap_size")

    def pragmas() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA mmap_size")
            mmap = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size")
            return mmap, cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size=1048576")
        cursor.execute("PRAGMA cache_size=-65536")
    seen, real = [], service._run_rows
    monkeypatch.setattr(service, "_run_rows", lambda job: seen.append(pragmas()) or real(job))
    job, _t = service.import_create(
        user=org.alice,
        entity="crm.contact",
        upload=SimpleUploadedFile("a.csv", "Họ tên\nAn Nguyễn\n".encode()),
    )
    assert service.import_run(job.pk).counts["created"] == 1
    assert seen == [(0, -service.IMPORT_CACHE_KIB)] and pragmas() == (1048576, -65536)


def test_inserts_use_a_few_statement_sizes_whatever_the_batch():
    from sencrm.core.imports.bulk import _chunks

    sizes = set()
    for count in range(1, 3000):
        pieces = list(_chunks(count, 728))
        assert sum(size for _s, size in pieces) == count and [s for s, _n in pieces][0] == 0
        sizes |= {size for _s, size in pieces}
    assert sizes == {1, 2, 4, 8, 16, 32, 64, 128, 256, 512}  # not one prepared statement per size


# --- the per-row fast paths agree with the general code ---------------------------------------------


def _fold_reference(value: str) -> str:
    """``fold`` as Unicode defines it: decompose, drop every combining mark, đ → d, case-fold."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def test_fold_by_table_is_folding_by_decomposition():
    from sencrm.common.text import fold

    singles = [chr(code) for code in range(0x3100)] + ["\uac00", "\U0001d15e", "ﬁ"]
    assert [fold(c) for c in singles] == [_fold_reference(c) for c in singles]
    rnd = random.Random(7)
    alphabet = [*singles[:0x250], *"Đặng Thuỳ Dương Nguyễn Ánh ƯỚC", "e\u0301", "o\u0302\u0303", "\uac00"]
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        assert fold(text) == _fold_reference(text), repr(text)
    assert fold("Đặng Thuỳ Dương") == "dang thuy duong" and fold(None) == fold("") == ""


def test_sort_keys_from_the_letter_cache_are_the_computed_ones():
    from sencrm.common import text

    rnd = random.Random(8)
    letters = [chr(c) for c in range(0x20, 0x250)] + list("ĐặngThuỳDươngNguyễnĂÂÊÔƠƯạảãáàờởỡớợ") * 5
    names = [
        ["".join(rnd.choice(letters) for _ in range(rnd.randint(0, 8))) for _ in range(3)]
        for _ in range(3000)
    ]
    text._CODES.clear()
    first = [text.sort_key(*n) for n in names]  # filling the cache
    assert [text.sort_key(*n) for n in names] == first  # read from it
    assert text.name_sort_key("Nguyễn", "Văn", "An") < text.name_sort_key("Nguyễn", "Văn", "Ân")
    assert text.sort_key("ma") < text.sort_key("mà") < text.sort_key("má") < text.sort_key("mạ")


def test_the_quick_email_check_accepts_only_what_django_accepts():
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email as django_validate_email

    from sencrm.common.validators import PLAIN_EMAIL, validate_email

    rnd = random.Random(9)
    chars = "abcxyz09._%+-"
    accepted = 0
    for _ in range(30_000):
        local = "".join(rnd.choice(chars) for _ in range(rnd.randint(1, 8)))
        labels = [
            "".join(rnd.choice(chars.replace(".", "")) for _ in range(rnd.randint(1, 6))) for _ in range(3)
        ]
        address = f"{local}@{'.'.join(labels[: rnd.randint(1, 3)])}"
        if PLAIN_EMAIL.match(address):
            accepted += 1
            django_validate_email(address)  # raises if the quick check let a bad one through
    assert accepted > 200  # the check was exercised
    for bad in ("an..b@x.vn", ".an@x.vn", "an@-x.vn", "an@x", "an@x.v", "a b@x.vn", "an@x.vn."):
        with pytest.raises(ValidationError):
            validate_email(bad)
    validate_email("Nguyen.An@Example.VN")  # not the quick shape: Django decides (valid)


@pytest.mark.parametrize("model", [Contact, Lead, Account])
def test_quick_field_checks_pass_only_values_clean_keeps(db, model):
    """A value the quick check passes must be one ``Field.clean`` returns unchanged, without error."""
    from django.core.exceptions import ValidationError

    from sencrm.core.imports.service import _quick_checks

    checks = _quick_checks(model)
    assert checks, "no quick checks: the import would clean every field the slow way"
    import datetime

    samples = ["", "Nguyễn Văn Ánh", "x" * 300, "a\x00b", "an@example.vn", "AN@example.vn", "an@@x", "vip"]
    samples += [datetime.date(1990, 4, 30), 5, None]
    for name, check in checks.items():
        field = model._meta.get_field(name)
        samples_here = samples + [c for c, _l in field.flatchoices][:3]
        for value in samples_here:
            if not check(value):
                continue
            instance = model()
            try:
                assert field.clean(value, instance) == value, (name, value)
            except ValidationError as exc:
                raise AssertionError(
                    f"{name}: quick check passed {value!r}, clean says {exc.messages}"
                ) from exc


def _import(user, content: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sencrm.core.imports import service

    job, _t = service.import_create(
        user=user, entity="crm.contact", upload=SimpleUploadedFile("a.csv", content.encode())
    )
    return service.import_run(job.pk)


def test_matching_reads_the_columns_own_index_even_without_statistics(org):
    """A new database has no planner statistics: asked in one query with "not deleted", SQLite
    walked the deleted_at index, reading the whole table for every batch of an import."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sencrm.core.imports import get_adapter
    from sencrm.core.imports.service import _match_index

    insert(
        Contact,
        [
            Contact(full_name=f"Người {i}", email=f"n{i}@x.vn", owner=org.alice, branch=org.hn)
            for i in range(300)
        ],
    )
    with CaptureQueriesContext(connection) as queries:
        index = _match_index(
            get_adapter("crm.contact"), org.alice, [{"email": "n7@x.vn"}, {"email": "n9@x.vn"}]
        )
    assert sorted(index) == [(0, "n7@x.vn"), (0, "n9@x.vn")]
    if connection.vendor != "sqlite":
        return
    first = queries.captured_queries[0]["sql"]
    assert '"email" IN' in first and "deleted_at" not in first
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + first)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "email" in plan and "deleted_at" not in plan, plan


def test_matching_only_sees_what_the_importer_may_see(org):
    """The column lookup reads every row; visibility still decides what counts as a match."""
    Contact.objects.create(full_name="Của Bob", email="bob.khach@x.vn", owner=org.mallory, branch=org.hcm)
    job = _import(org.alice, "Họ tên,Email\nKhách Mới,bob.khach@x.vn\n")
    assert job.counts["created"] == 1 and job.counts["skipped"] == 0  # mallory's contact is not hers
    job = _import(org.alice, "Họ tên,Email\nKhách Lại,bob.khach@x.vn\n")
    assert job.counts["created"] == 0 and job.counts["skipped"] == 1  # now her own one matches


def test_a_large_import_refreshes_the_planner_statistics(org, monkeypatch):
    from django.db import connection

    from sencrm.core.imports import service

    def contact_statistics() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'crm_contact'")
            return cursor.fetchone()[0]

    calls, real = [], service.statistics_refresh
    monkeypatch.setattr(service, "statistics_refresh", lambda: calls.append(1) or real())
    monkeypatch.setattr(service, "STATISTICS_AFTER", 3)
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # creates sqlite_stat1
            cursor.execute("DELETE FROM sqlite_stat1")
    _import(org.alice, "Họ tên\nAn\nBình\n")
    assert calls == [] and (not sqlite or contact_statistics() == 0)
    _import(org.alice, "Họ tên\nChi\nDũng\nHà\n")
    assert calls == [1] and (not sqlite or contact_statistics() > 0)


# --- batches written by a second thread -------------------------------------------------------------


def _threaded_import(user, content: str, monkeypatch, *, batch: int = 4):
    from sencrm.core.imports import service

    monkeypatch.setattr(service, "BATCH", batch)
    used = []
    real = service._BatchWriter.__init__

    def spy(self, *args, threaded, **kwargs):
        used.append(threaded)
        real(self, *args, threaded=threaded, **kwargs)

    monkeypatch.setattr(service._BatchWriter, "__init__", spy)
    job = _import(user, content)
    return job, used


_ROWS = "Họ tên,Email\n" + "".join(
    f"{name},{email}\n"
    for name, email in [
        ("An", "an@x.vn"),
        ("Bình", "binh@x.vn"),
        ("Chi", "khong-phai-email"),  # kept, with a warning
        ("", "ten.trong@x.vn"),  # no name: an error
        ("Dũng", "dung@x.vn"),
        ("Bình Lại", "binh@x.vn"),  # the address of row 3, written in the batch before
        ("Hà", "ha@x.vn"),
        ("Hà Lại", "ha@x.vn"),  # row 8's address, same batch
        ("Khánh", "khanh@x.vn"),
        ("Lan", "lan@x.vn"),
    ]
)


@pytest.mark.django_db(transaction=True)
def test_a_second_thread_writes_the_batches_with_the_same_outcome(monkeypatch):
    from sencrm.common.testing import make_org
    from sencrm.core.imports.service import import_errors

    org = make_org()
    job, used = _threaded_import(org.alice, _ROWS, monkeypatch)
    assert used == [True]
    assert job.status == "done", job.message
    assert {k: job.counts[k] for k in ("rows", "created", "skipped", "errors", "warnings")} == {
        "rows": 10,
        "created": 7,
        "skipped": 2,
        "errors": 1,
        "warnings": 1,
    }
    lines = [(e["row"], e["column"]) for e in import_errors(job)]
    assert [row for row, _c in lines] == [4, 5, 7, 9]  # in row order, as one thread writes them
    assert sorted(Contact.objects.values_list("email", flat=True)) == sorted(
        ["an@x.vn", "binh@x.vn", "", "dung@x.vn", "ha@x.vn", "khanh@x.vn", "lan@x.vn"]
    )
    assert job.import_rows.count() == 7 and job.done == 10


@pytest.mark.django_db(transaction=True)
def test_a_failure_in_the_writing_thread_leaves_nothing(monkeypatch):
    from sencrm.common.testing import make_org
    from sencrm.core.imports import service

    org = make_org()
    real, calls = service._flush, []

    def failing(ctx, batch, *args):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(ctx, batch, *args)

    monkeypatch.setattr(service, "_flush", failing)
    job, used = _threaded_import(org.alice, _ROWS, monkeypatch)
    assert used == [True] and job.status == "failed"
    assert len(calls) == 2  # it stopped at the failure
    assert not Contact.objects.exists() and not job.import_rows.exists()


def test_inside_a_transaction_the_batches_are_written_in_the_callers_thread(org, monkeypatch):
    job, used = _threaded_import(org.alice, _ROWS, monkeypatch)
    assert used == [False] and job.counts["created"] == 7
