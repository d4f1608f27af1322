"""Importing records from CSV, Excel and vCard files (issue 3, item 2).

``readers`` turns a file into a table, ``mapping`` suggests which column goes to which field,
``service`` validates and stores the rows as a background job and undoes an import. What a record
kind accepts is described by an ``ImportAdapter`` that its app registers in ``<app>/imports.py``
(found by autodiscovery, like Django's admin): ``sencrm.crm.imports`` registers accounts, contacts
and leads; later modules add theirs the same way.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class ImportField:
    """A target a column can map to. ``kind`` says how a cell is converted:
    text, email, phone, date, int, choice, owner, or a name the adapter's ``prepare`` resolves."""

    key: str
    label: str
    kind: str = "text"
    synonyms: tuple[str, ...] = ()
    choices: dict[str, str] = field(default_factory=dict)


CUSTOM_PREFIX = "custom."
TAG_SYNONYMS = ("tags", "tag", "the", "nhan", "labels", "label", "thetag", "phanloai")


@dataclass
class ImportAdapter:
    """How one record kind is imported.

    ``fields``: mappable targets (``key`` is the model field unless ``prepare`` handles it);
    ``match``: model fields compared for "already exists" (exact, after normalisation);
    ``prepare(data, values, ctx)``: fills model fields from special targets (company names,
    provinces…) and may add messages to ``ctx.errors``/``ctx.warnings``.
    """

    entity: str
    model: type
    fields: list[ImportField]
    match: tuple[str, ...] = ()
    prepare: Callable | None = None
    fallbacks: dict[str, str] = field(default_factory=dict)
    #: The columns of ``match`` that carry a database index: only these are looked up (an OR over
    #: unindexed columns scans the table once per batch). A row's values of the whole group are
    #: compared with them, e.g. a row's ``phone`` with the records' ``mobile``.
    match_indexed: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def field(self, key: str) -> ImportField | None:
        return next((f for f in self.all_fields() if f.key == key), None)

    def all_fields(self) -> list[ImportField]:
        """``fields``, then Tags (when the records carry tags) and each active custom field of the
        kind (key ``custom.<key>``, suggested from its label). Reads the custom fields: call once per
        request or run, not per cell."""
        from django.utils.translation import gettext

        from sencrm.core.services.custom_fields import custom_fields_for

        extra = []
        if any(f.name == "tags" for f in self.model._meta.many_to_many):
            extra.append(ImportField("tags", gettext("Tags"), "tags", synonyms=TAG_SYNONYMS))
        for definition in custom_fields_for(self.model._meta.label_lower):
            extra.append(ImportField(f"{CUSTOM_PREFIX}{definition.key}", definition.label, "custom"))
        return [*self.fields, *extra]


_REGISTRY: dict[str, ImportAdapter] = {}
_discovered = False


def register(adapter: ImportAdapter) -> None:
    _REGISTRY[adapter.entity] = adapter


def adapters() -> dict[str, ImportAdapter]:
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("imports")
    return _REGISTRY


def get_adapter(entity: str) -> ImportAdapter | None:
    return adapters().get(entity)
