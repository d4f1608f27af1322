"""Blocks that apps above crm add to crm's pages: home page widgets and record page panels.

Lower apps never import higher ones (docs/ARCHITECTURE.md), so crm's home view and detail pages
cannot name sales' targets or playbooks. Instead an app registers a block here from its
``AppConfig.ready``: a template and a function giving that template's context (``None`` hides the
block for this user or record). crm renders whatever is registered.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """One registered block: ``context(request)`` (home) or ``context(request, obj)`` (a record)."""

    key: str
    template: str
    context: Callable[..., dict | None]
    order: int = 100


#: Home page widgets, shown in the main column under the user's deals.
HOME_WIDGETS: list[Block] = []
#: Panels of a record's detail page, by record kind ("crm.opportunity").
RECORD_PANELS: dict[str, list[Block]] = {}


def home_widget_register(block: Block) -> None:
    """Add a home page widget once (``ready()`` may run twice in tests)."""
    if block.key not in {b.key for b in HOME_WIDGETS}:
        HOME_WIDGETS.append(block)
        HOME_WIDGETS.sort(key=lambda b: b.order)


def record_panel_register(entity: str, block: Block) -> None:
    """Add a panel to the detail page of ``entity`` once."""
    panels = RECORD_PANELS.setdefault(entity, [])
    if block.key not in {b.key for b in panels}:
        panels.append(block)
        panels.sort(key=lambda b: b.order)


def _render(blocks: list[Block], *args) -> list[dict]:
    shown = []
    for block in blocks:
        context = block.context(*args)
        if context is not None:
            shown.append({"key": block.key, "template": block.template, "context": context})
    return shown


def home_widgets(request) -> list[dict]:
    """The widgets this user gets: ``[{"key", "template", "context"}]`` in order."""
    return _render(HOME_WIDGETS, request)


def record_panels(request, obj) -> list[dict]:
    """The panels of ``obj``'s detail page for this user."""
    return _render(RECORD_PANELS.get(obj._meta.label_lower, []), request, obj)
