"""``sencrm bench``: the benchmark suite of issue 4 (docs/BENCHMARKS.md).

- ``sencrm bench build --size full|quick|<factor> [--engine sqlite|postgres|both]``: build and cache
  the data set (reused while the generator is unchanged).
- ``sencrm bench prepare …``: a fresh, migrated working copy of it; prints the environment to use it.
- ``sencrm bench run [--quick] [--engine …]``: serve the copy like ``make up`` and measure it.
- ``sencrm bench guard``: the CI regression guard (HTTP errors, SQL query counts).
- ``sencrm bench load --size …``: internal; writes the data set into the current, empty database.
"""

import json
import sys
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sencrm.bench.dataset import ENGINES, DataSets
from sencrm.bench.generate import BENCH_PASSWORD, BENCH_TOKEN, build_dataset, parse_size


def _engines(value: str) -> list[str]:
    return list(ENGINES) if value == "both" else [value]


class Command(BaseCommand):
    help = "Build the benchmark data set, run the benchmark, or run the CI regression guard."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        build = actions.add_parser("build", help="Build and cache the data set.")
        prepare = actions.add_parser("prepare", help="A fresh, migrated copy of the data set to work on.")
        load = actions.add_parser("load", help="(internal) Write the data set into the current database.")
        for sub in (build, prepare, load):
            sub.add_argument("--size", default="full", help="full, quick, or a factor of full (0.1).")
        for sub in (build, prepare):
            sub.add_argument("--engine", choices=[*ENGINES, "both"], default="sqlite")
        build.add_argument("--force", action="store_true", help="Rebuild even when the cache has it.")
        load.add_argument(
            "--from-sqlite", help="Copy the rows of this SQLite data set instead of generating."
        )
        prepare.add_argument("--dir", help="Data dir of the copy (SQLite file and server files).")
        prepare.add_argument("--db", help="PostgreSQL database name of the copy.")
        run = actions.add_parser("run", help="Serve a copy like `make up` and measure it with wrk.")
        run.add_argument("--size", default="full")
        run.add_argument("--quick", action="store_true", help="Quick size, short runs (smoke test).")
        run.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
        run.add_argument("--duration", type=float, help="Seconds per scenario and concurrency.")
        run.add_argument("--port", type=int, default=18100, help="First port to use.")
        run.add_argument("--only", action="append", help="Only these scenarios (repeatable).")
        run.add_argument("--output", help="JSON result file (default: <bench dir>/results/…).")
        run.add_argument("--no-docs", action="store_true", help="Do not update docs/BENCHMARKS.md.")
        run.add_argument("--note", default="", help="Free text stored with the result (the machine's load).")
        guard = actions.add_parser(
            "guard", help="CI: every scenario answers, SQL query counts within budget."
        )
        guard.add_argument("--size", default="quick")
        guard.add_argument("--engine", choices=[*ENGINES, "both"], default="sqlite")
        guard.add_argument("--update", action="store_true", help="Write the counts as the new budgets.")
        check = actions.add_parser("check", help="(internal) The guard's in-process replay on this database.")
        check.add_argument("--size", default="quick")
        actions.add_parser("context", help="(internal) Ids the scenarios need, from this database.")
        refresh = actions.add_parser(
            "refresh", help="(internal) Migrate this database; --reindex: search too."
        )
        refresh.add_argument("--reindex", action="store_true")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def log(self, message: str) -> None:
        self.stderr.write(message)
        self.stderr.flush()

    # --- data -----------------------------------------------------------------------------------------
    def do_load(self, *, size: str, from_sqlite: str | None = None, verbosity: int = 1, **options) -> None:
        _label, factor = parse_size(size)
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        self.log(f"migrate: {time.monotonic() - started:.1f} s")
        summary = None
        if from_sqlite:
            from django.db import transaction

            from sencrm.bench.transfer import OrganisationMismatch, transfer_from_sqlite

            try:
                with transaction.atomic():  # a mismatch leaves the database empty for the generator
                    summary = transfer_from_sqlite(from_sqlite, factor, log=self.log, analyze=False)
            except OrganisationMismatch as exc:
                self.log(f"not copying from SQLite ({exc}): generating")
            else:
                from sencrm.bench.transfer import vacuum_analyze

                summary["timings"]["vacuum analyze"] = vacuum_analyze()
        if summary is None:
            summary = build_dataset(factor, log=self.log)
        summary["factor"] = factor
        self.stdout.write(json.dumps(summary))

    def do_refresh(self, *, reindex: bool, **options) -> None:
        from django.db import connection

        from sencrm.core.search import search_reindex

        call_command("migrate", interactive=False, verbosity=0)
        self.mark_old_reminders_sent()
        started = time.monotonic()
        count = search_reindex() if reindex else 0
        seconds = round(time.monotonic() - started, 1)
        if reindex:
            self.log(f"search_reindex: {count:,} records in {seconds} s")
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.stdout.write(json.dumps({"indexed": count, "seconds": seconds}))

    @staticmethod
    def mark_old_reminders_sent() -> int:
        """Reminders due between the data set's fixed "now" and today count as sent, as the demo does
        on its first start: otherwise the task consumer spends the run sending weeks of them."""
        from django.db.models import F
        from django.utils import timezone

        from sencrm.crm.models import Activity

        return Activity.objects.filter(reminded_at__isnull=True, remind_at__lte=timezone.now()).update(
            reminded_at=F("remind_at")
        )

    def do_build(self, *, size: str, engine: str, force: bool, **options) -> None:
        label, _factor = parse_size(size)
        sets = DataSets(label, size, log=self.log)
        for name in _engines(engine):
            summary = sets.build(name, force=force)
            self.stdout.write(json.dumps(summary))

    def do_prepare(self, *, size: str, engine: str, dir: str | None, db: str | None, **options) -> None:
        label, _factor = parse_size(size)
        sets = DataSets(label, size, log=self.log)
        for name in _engines(engine):
            copy = sets.copy(
                name, data_dir=Path(dir) / name if dir and engine == "both" else dir, dbname=db, refresh=False
            )
            self.stdout.write(f"# {name}: data set {label}; log in as admin / {BENCH_PASSWORD}")
            self.stdout.write(f"# API: Authorization: Bearer {BENCH_TOKEN}")
            self.stdout.write(f"export SENCRM_DATA_DIR={copy.data_dir}")
            self.stdout.write(f"export DATABASE_URL={copy.database_url}")

    # --- measuring ------------------------------------------------------------------------------------
    def do_run(self, **options) -> None:
        from sencrm.bench.runner import run_benchmark

        code = run_benchmark(options, log=self.log)
        if code:
            sys.exit(code)

    def do_check(self, *, size: str, **options) -> None:
        from sencrm.bench.guard import check_scenarios

        self.stdout.write(json.dumps(check_scenarios(size)))

    def do_context(self, **options) -> None:
        from sencrm.bench.guard import scenario_context

        self.stdout.write(json.dumps(scenario_context()))

    def do_guard(self, *, size: str, engine: str, update: bool, **options) -> None:
        from sencrm.bench.guard import run_guard

        code = run_guard(size=size, engines=_engines(engine), update=update, log=self.log)
        if code:
            sys.exit(code)
