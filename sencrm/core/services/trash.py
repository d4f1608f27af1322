"""The Trash: deleted records of every kind, restorable until they are purged for good.

Core may not import the CRM (or later modules), so record kinds are found by name through
``core.models.MODULES`` and ``django.apps.apps``; a kind whose app is not installed is skipped.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from heapq import merge
from itertools import islice

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils import timezone

from sencrm.common.models import Action
from sencrm.core.models import MODULES
from sencrm.core.services.records import record_restore

log = logging.getLogger(__name__)

#: Rows deleted per statement when purging (keeps each statement's parameter list small).
PURGE_BATCH = 500


@dataclass(frozen=True)
class TrashKind:
    """One kind of record that can be in the Trash."""

    entity: str
    label: str
    model: type


def trash_kinds() -> list[TrashKind]:
    """The record kinds of ``MODULES`` whose models are installed, in menu order."""
    kinds = []
    for entity, label in MODULES.items():
        try:
            model = apps.get_model(entity)
        except (LookupError, ValueError):
            continue
        kinds.append(TrashKind(entity=entity, label=str(label), model=model))
    return kinds


def trash_queryset(user, kind: TrashKind):
    """Deleted records of ``kind`` that ``user`` may restore (the delete right and their scope)."""
    return (
        kind.model.objects.visible_to(user, Action.DELETE, trash=True)
        .select_related("owner", "updated_by")
        .order_by("-deleted_at", "-pk")
    )


@dataclass
class TrashItem:
    kind: TrashKind
    record: object

    @property
    def url(self) -> str:
        """The record's page once restored ('' while it has none)."""
        try:
            return self.record.get_absolute_url()
        except NoReverseMatch:  # a module without detail pages yet
            return ""


class TrashList:
    """Deleted records of several kinds, newest first, sliceable for Django's ``Paginator``.

    A page of the merged list needs at most ``offset + size`` keys from each kind (ids and dates
    only), then loads the page's records by kind: a handful of queries whatever the page.
    """

    def __init__(self, user, kinds: list[TrashKind]):
        self.querysets = [(kind, trash_queryset(user, kind)) for kind in kinds]

    def count(self) -> int:
        return sum(qs.count() for _kind, qs in self.querysets)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        streams = [
            [(deleted_at, pk, n) for pk, deleted_at in qs.values_list("pk", "deleted_at")[:stop]]
            for n, (_kind, qs) in enumerate(self.querysets)
        ]
        keys = list(islice(merge(*streams, key=lambda k: (k[0], k[1]), reverse=True), start, stop))
        by_kind: dict[int, list[int]] = {}
        for _at, pk, n in keys:
            by_kind.setdefault(n, []).append(pk)
        loaded = {}
        for n, pks in by_kind.items():
            kind, qs = self.querysets[n]
            loaded.update({(n, r.pk): TrashItem(kind, r) for r in qs.filter(pk__in=pks)})
        return [loaded[(n, pk)] for _at, pk, n in keys if (n, pk) in loaded]


def trash_list(user, entity: str | None = None) -> TrashList:
    """What ``user`` sees in the Trash: every kind, or only ``entity``."""
    kinds = [k for k in trash_kinds() if entity in (None, "", k.entity)]
    return TrashList(user, kinds)


def trash_counts(user) -> list[tuple[TrashKind, int]]:
    """How many deleted records of each kind ``user`` may restore (the filter tabs)."""
    return [(kind, trash_queryset(user, kind).count()) for kind in trash_kinds()]


def trash_restore(*, user, entity: str, pk) -> object:
    """Bring one record back from the Trash for ``user``; 404 when it is not theirs to restore.

    The same answer for "missing" and "not allowed" as ``get_object_for_user``, among deleted rows.
    """
    kind = next((k for k in trash_kinds() if k.entity == entity), None)
    if kind is None:
        raise Http404
    try:
        record = kind.model.objects.visible_to(user, Action.DELETE, trash=True).get(pk=pk)
    except (kind.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    record_restore(record, by=user)
    record.deleted_at = None
    return record


def trash_purge(*, days: int | None = None) -> dict[str, int]:
    """Delete for good the records that have been in the Trash longer than ``days``.

    ``days`` defaults to ``settings.SENCRM_TRASH_DAYS``. A record another row still points at with
    ``on_delete=PROTECT`` (a trashed account whose live opportunity still names it) is kept and
    logged, never a crash; it goes on a later run once nothing refers to it. Safe to run twice.
    Returns the number purged per record kind.
    """
    days = settings.SENCRM_TRASH_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    purged: dict[str, int] = {}
    kept: dict[str, set] = {}
    # Kinds point at each other (opportunity → account); purging one may free another, so go round
    # until a pass deletes nothing.
    progress = True
    while progress:
        progress = False
        for kind in trash_kinds():
            ids = list(
                kind.model._base_manager.filter(deleted_at__lt=cutoff)
                .exclude(pk__in=kept.get(kind.entity, ()))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for start in range(0, len(ids), PURGE_BATCH):
                done, blocked = _purge_batch(kind.model, ids[start : start + PURGE_BATCH])
                if done:
                    purged[kind.entity] = purged.get(kind.entity, 0) + done
                    progress = True
                kept.setdefault(kind.entity, set()).update(blocked)
        if progress:
            kept.clear()  # what blocked a record may be gone now: try the kept ones again
    for entity, pks in kept.items():
        if pks:
            log.warning(
                "trash purge kept %d %s record(s) still referenced by other rows: %s",
                len(pks),
                entity,
                sorted(pks)[:20],
            )
    if purged:
        log.info("trash purge deleted %s", purged)
    return purged


def _purge_batch(model, pks: list[int]) -> tuple[int, set[int]]:
    """Delete ``pks`` in one go, or one by one when some are protected; return (deleted, kept)."""
    try:
        with transaction.atomic():
            model._base_manager.filter(pk__in=pks).delete()
        return len(pks), set()
    except (ProtectedError, RestrictedError):
        pass
    done, blocked = 0, set()
    for pk in pks:
        try:
            with transaction.atomic():
                model._base_manager.filter(pk=pk).delete()
            done += 1
        except (ProtectedError, RestrictedError) as exc:
            blocked.add(pk)
            others = sorted({o._meta.label_lower for o in exc.protected_objects if hasattr(o, "_meta")})
            log.info("trash purge keeps %s#%s: referenced by %s", model._meta.label_lower, pk, others)
    return done, blocked
