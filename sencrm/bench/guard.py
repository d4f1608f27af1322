"""The CI regression guard: every scenario answers as expected, with no more SQL queries than budgeted.

Timings are noisy on shared machines; query counts are not. On a fresh copy of the quick data set,
a child process (the copy's settings) replays the first requests of each scenario with Django's
test client and ``CaptureQueriesContext``, and reports the status codes and the largest query
count per scenario. The parent compares the counts with ``budgets.json`` (per engine) and fails
on any unexpected status or any count above its budget. ``--update`` writes the counts as the new
budgets (commit the file with the change that justifies it).
"""

import json
import subprocess
import sys
from pathlib import Path

from sencrm.bench.dataset import DataSets, bench_dir, pg_prefix
from sencrm.bench.generate import BENCH_TOKEN, bench_counts, parse_size
from sencrm.bench.scenarios import build_scenarios, fill_body

BUDGETS = Path(__file__).with_name("budgets.json")
SAMPLES = 3


def scenario_context() -> dict:
    """Ids the scenarios need, read from the current database."""
    from sencrm.core.models import User
    from sencrm.crm.models import Stage
    from sencrm.crm.services.opportunities import default_pipeline

    pipeline = default_pipeline()
    open_stages = list(
        Stage.objects.filter(pipeline=pipeline, kind=Stage.Kind.OPEN)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    return {
        "admin_id": User.objects.get(username="admin").pk,
        "open_stages": open_stages[1:3] or open_stages,
        "province": 79,
    }


def check_scenarios(size: str) -> dict:
    """Replay each scenario in-process; {name: {"queries": max, "statuses": [...], "expected": [...]}}."""
    from django.conf import settings
    from django.test.utils import override_settings

    # Static files are not collected in the guard's copy: plain URLs (no manifest) change no query.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        return _replay(size)


def _replay(size: str) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sencrm.core.models import User

    _label, factor = parse_size(size)
    scenarios = build_scenarios(bench_counts(factor), scenario_context(), samples=SAMPLES + 1)
    session, rep = Client(), Client()
    session.force_login(User.objects.get(username="admin"))
    rep.force_login(User.objects.get(username="an.nguyen"))
    clients = {
        "none": Client(),
        "session": session,
        "rep": rep,
        "token": Client(headers={"Authorization": f"Bearer {BENCH_TOKEN}"}),
    }
    out = {}
    n = 9_000_000
    for scenario in scenarios:
        client = clients[scenario.auth]
        requests = (scenario.requests * (SAMPLES + 1))[: SAMPLES + 1]
        statuses, counts = [], []
        for index, request in enumerate(requests):
            n += 1
            body = fill_body(request.body, n) or ""
            with CaptureQueriesContext(connection) as queries:
                response = client.generic(
                    request.method,
                    request.path,
                    data=body.encode(),
                    content_type=scenario.content_type or "application/octet-stream",
                )
            statuses.append(response.status_code)
            if index:  # the first request warms per-process caches; count the others
                counts.append(len(queries))
        out[scenario.name] = {"queries": max(counts), "statuses": statuses, "expected": list(scenario.expect)}
    return out


def run_guard(*, size: str, engines: list[str], update: bool, log) -> int:
    label, _factor = parse_size(size)
    sets = DataSets(label, size, log=log)
    budgets = json.loads(BUDGETS.read_text()) if BUDGETS.exists() else {}
    failed = False
    for engine in engines:
        copy = sets.copy(engine, data_dir=bench_dir() / f"guard-{engine}", dbname=f"{pg_prefix()}_guard")
        done = subprocess.run(
            [sys.executable, "-m", "sencrm", "bench", "check", "--size", size],
            env=copy.env(),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            log(done.stderr[-4000:])
            log(f"guard: the check on {engine} failed to run")
            failed = True
            continue
        found = json.loads(done.stdout.strip().splitlines()[-1])
        budget = budgets.setdefault(engine, {})
        lines, engine_failed = compare(found, budget, update=update)
        for line in lines:
            log(f"guard {engine:<8} {line}")
        failed = failed or engine_failed
        if update:
            budget.update({name: figures["queries"] for name, figures in found.items()})
    if update and not failed:
        BUDGETS.write_text(json.dumps(budgets, indent=2, sort_keys=True) + "\n")
        log(f"guard: budgets written to {BUDGETS}")
    return 1 if failed else 0


def compare(found: dict, budget: dict, *, update: bool = False) -> tuple[list[str], bool]:
    """Lines to print and whether the guard fails: an unexpected status, or more queries than budgeted.

    With ``update`` a count above (or without) its budget is reported but does not fail: it becomes
    the new budget.
    """
    lines, failed = [], False
    for name, figures in found.items():
        allowed = budget.get(name)
        bad_status = [s for s in figures["statuses"] if s not in figures["expected"]]
        mark = "OK"
        if bad_status:
            mark, failed = f"HTTP {bad_status} (expected {figures['expected']})", True
        elif allowed is None:
            mark, failed = "NO BUDGET", failed or not update
        elif figures["queries"] > allowed:
            mark, failed = f"REGRESSION: budget {allowed}", failed or not update
        elif figures["queries"] < allowed:
            mark = f"OK (budget {allowed}: lower it with --update)"
        lines.append(f"{name:<26} {figures['queries']:>3} queries  {mark}")
    return lines, failed
