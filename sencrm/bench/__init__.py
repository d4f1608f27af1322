"""The benchmark suite (issue 4): ``sencrm bench build|run|guard`` and ``make bench``.

- ``generate``: a deterministic large data set written with bulk inserts (executemany on SQLite,
  COPY on PostgreSQL), every derived column computed by the same functions the models use.
- ``dataset``: the cache of built data sets (a SQLite file, a PostgreSQL template database) and
  the copy each run works on.
- ``server``, ``load``, ``scenarios``, ``report``: start the application the way ``make up`` does,
  drive HTTP load with ``wrk`` from another process, write the JSON result and docs/BENCHMARKS.md.
- ``guard``: the CI regression guard (HTTP errors and SQL query counts against ``budgets.json``).
"""
