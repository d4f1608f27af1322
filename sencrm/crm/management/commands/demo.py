"""``sencrm demo [--seed N] [--size X] [--force]``: load the demo company Công ty TNHH Sen Việt."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from sencrm.core.models import User
from sencrm.core.search import search_reindex
from sencrm.core.services.statistics import statistics_refresh
from sencrm.crm.demo import BASE_COUNTS, DEFAULT_SEED, DEMO_PASSWORD, build_demo
from sencrm.crm.models import Account


def _size(value: str) -> float:
    size = float(value)
    if not 0 < size <= 1000:
        raise ValueError(value)
    return size


class Command(BaseCommand):
    help = (
        "Load a believable Vietnamese company: branches, teams, roles, users and, at --size 1, "
        + ", ".join(f"{n:,} {kind}" for kind, n in BASE_COUNTS.items())
        + ". The same --seed gives the same data. Refuses a database that has users or accounts "
        "unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED})."
        )
        parser.add_argument(
            "--size",
            type=_size,
            default=1.0,
            help="Multiplier of every record count (default 1; 10 for benchmarks, 0.02 for tests).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load into a database that already has data (demo users and branches are reused).",
        )

    def handle(self, *args, seed: int, size: float, force: bool, verbosity: int = 1, **options):
        if not force and (User.objects.exists() or Account.objects.exists()):
            raise CommandError(
                "The database already has users or accounts; use --force to add the demo anyway."
            )
        log = self.stdout.write if verbosity >= 2 else None
        result = build_demo(seed=seed, size=size, log=log)
        # Apps above crm (sales…) add their demo records through their AppConfig, found by name:
        # crm never imports them (docs/ARCHITECTURE.md).
        for config in apps.get_app_configs():
            extend = getattr(config, "demo_extend", None)
            if extend is not None:
                result.counts.update(extend(seed=seed, size=size, log=log))
        search_reindex()  # the demo is written with bulk_create, which the search index does not see
        statistics_refresh()  # the planner's statistics were gathered on empty tables by the migrations
        if verbosity:
            counts = ", ".join(f"{n:,} {kind}" for kind, n in result.counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo company loaded in {result.seconds:.1f} s (seed {seed}, size {size:g}): "
                )
                + counts
            )
            self.stdout.write(f"Every demo user's password is {DEMO_PASSWORD}")
