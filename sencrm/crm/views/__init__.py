"""HTML views of the CRM records, one module per record kind (STYLE.md §2).

The home page, the kanban board and the timeline live in ``home.py``, ``board.py`` and
``timeline.py`` (``crm/urls_pages.py``); the record pages here (``crm/urls_records.py``).
"""
