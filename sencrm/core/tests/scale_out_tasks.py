"""Probe tasks of ``test_scale_out.py``, run by real consumers (never by the application).

``sencrm/core/tasks.py`` registers them only when ``SENCRM_SCALE_OUT_PROBES=1``, which the test sets
for the consumers it starts. Each run writes rows to the table ``scale_out_run`` (the test creates
it in its own database): one when the task starts and one when it ends, with the consumer's pid and
the delivery count, so the test sees which consumer ran what, how often, and whether it finished.
"""

import os
import time

from django.db import connection

TABLE_SQL = (
    "CREATE TABLE scale_out_run (id serial PRIMARY KEY, number integer NOT NULL, pid integer NOT NULL, "
    "phase varchar(5) NOT NULL, delivery integer NOT NULL, at timestamptz NOT NULL DEFAULT now())"
)


def _record(number: int, phase: str) -> None:
    from sencrm.core.queue import delivery_count

    with connection.cursor() as cursor:  # autocommit: the row is visible at once
        cursor.execute(
            "INSERT INTO scale_out_run (number, pid, phase, delivery) VALUES (%s, %s, %s, %s)",
            [number, os.getpid(), phase, delivery_count()],
        )


def probe(number: int, seconds: float = 0.0) -> int:
    _record(number, "start")
    time.sleep(seconds)
    _record(number, "done")
    return number


def register(huey):
    """Register the probe on ``huey`` (the consumers' and the test's own) under the same name."""
    from huey.contrib.djhuey import close_db

    wrapped = close_db(probe)
    return huey.task(name="scale_out_probe")(wrapped)
