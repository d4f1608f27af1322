"""The record kinds global search knows, and how each shows up in the results.

A module adds its records once, at start-up (``AppConfig.ready``), e.g. in ``crm/search.py``::

    register(Contact, title="full_name", subtitle=contact_subtitle, icon="user")

The index stores folded words only; titles, subtitles and URLs are read from the records themselves
when results are shown, so they are always current and go through ``visible_to``.
"""

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.text import capfirst

#: Bits of an index row id that hold the record's primary key; the kind's code sits above them.
ID_BITS = 40
ID_MASK = (1 << ID_BITS) - 1
_CODE_BITS = 22


@dataclass(frozen=True)
class SearchKind:
    """One searchable record kind: what its result looks like and where it links to."""

    type: str  # public name in the API and ``?type=``: "contact"
    entity: str  # "crm.contact", as in rights and the audit trail
    model: Any
    title: Callable[[Any], str]
    subtitle: Callable[[Any], str]
    url: Callable[[Any], str]
    icon: str
    select_related: tuple[str, ...]
    code: int  # stable number of the kind inside index row ids
    index_fields: tuple[str, ...] | None = None  # what the title reads; None: every field
    shared: bool = False  # visible to every data scope (a catalogue): found by everyone

    @property
    def label(self) -> str:
        return capfirst(self.model._meta.verbose_name_plural)

    @property
    def icon_svg(self):
        from sencrm.core.search.icons import icon_html

        return icon_html(self.icon, "text-secondary")

    def key(self, pk: int) -> int:
        """The index row id of record ``pk`` of this kind."""
        return (self.code << ID_BITS) | int(pk)

    def key_range(self) -> tuple[int, int]:
        return self.code << ID_BITS, (self.code << ID_BITS) | ID_MASK


_KINDS: dict[str, SearchKind] = {}


def _getter(spec: str | Callable[[Any], str] | None) -> Callable[[Any], str]:
    if spec is None:
        return lambda obj: ""
    if callable(spec):
        return spec
    return lambda obj: str(getattr(obj, spec) or "")


def register(
    model,
    *,
    title: str | Callable[[Any], str],
    subtitle: str | Callable[[Any], str] | None = None,
    url: Callable[[Any], str] | None = None,
    icon: str = "dot",
    select_related: Sequence[str] = (),
    type: str | None = None,  # noqa: A002 - the public word is "type"
    index_fields: Sequence[str] | None = None,
    shared: bool = False,
) -> SearchKind:
    """Make ``model`` (an ``OwnedModel``) findable by global search; safe to call twice.

    ``title`` and ``subtitle`` are field names or functions of the record; ``url`` defaults to
    ``get_absolute_url``; ``icon`` is one of ``core.search.icons.ICONS``. ``index_fields``: the
    fields a ``title`` function reads, so that a rebuild of the index loads only those (a title
    given as a field name needs none). ``shared``: the kind's ``visible_to`` ignores data scopes
    (products: the company's catalogue), so its records are found whatever the searcher's scope.
    """
    if index_fields is None and isinstance(title, str):
        index_fields = [title]
    entity = model._meta.label_lower
    name = type or model._meta.model_name
    # A stable code from the entity name (not the registration order, which changes as modules come).
    code = zlib.crc32(entity.encode()) & ((1 << _CODE_BITS) - 1)
    for other in _KINDS.values():
        if other.entity != entity and (other.code == code or other.type == name):
            raise ValueError(f"search kind {entity} clashes with {other.entity}")
    kind = SearchKind(
        type=name,
        entity=entity,
        model=model,
        title=_getter(title),
        subtitle=_getter(subtitle),
        url=url or (lambda obj: obj.get_absolute_url()),
        icon=icon,
        select_related=tuple(select_related),
        code=code,
        index_fields=None if index_fields is None else tuple(index_fields),
        shared=shared,
    )
    _KINDS[name] = kind
    return kind


def search_kinds() -> list[SearchKind]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


def kind_for_type(name: str) -> SearchKind | None:
    return _KINDS.get(name)


def kind_for_entity(entity: str) -> SearchKind | None:
    return next((k for k in _KINDS.values() if k.entity == entity), None)


def kind_for_key(key: int) -> tuple[SearchKind | None, int]:
    """(kind, primary key) of an index row id."""
    code, pk = key >> ID_BITS, key & ID_MASK
    return next((k for k in _KINDS.values() if k.code == code), None), pk
