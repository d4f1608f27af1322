"""The demo company loaded by ``sencrm demo`` and on the first ``sencrm up`` (issue 2, item 13)."""

from sencrm.crm.demo.builder import (
    ADMIN_USERNAME,
    BASE_COUNTS,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    SALES_USERNAME,
    DemoResult,
    build_demo,
    demo_counts,
    demo_logins,
)

__all__ = [
    "ADMIN_USERNAME",
    "BASE_COUNTS",
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "SALES_USERNAME",
    "DemoResult",
    "build_demo",
    "demo_counts",
    "demo_logins",
]
