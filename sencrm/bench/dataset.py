"""The cache of built data sets and the working copies the benchmark (or a developer) runs on.

A data set is built once per size and generator version (``cache_key``, a hash of the code that
decides the rows): on SQLite into a file ``<bench dir>/cache/<size>-<key>.sqlite3``, on PostgreSQL
into a template database ``<prefix>_tpl_<size>_<key>``. Before each copy the cache is brought up
to date the way a customer's database would be: ``migrate`` (an index added since the build), and
``search_reindex()`` when the search code changed since the index was built (``search_key``).
Each run then works on a fresh copy (a file copy; ``CREATE DATABASE … TEMPLATE …``).

Builds run in a child process (``sencrm bench load``) with the target database in its
environment: Django reads ``DATABASE_URL`` once, at start-up.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

import sencrm

#: Sources whose change changes the rows: a new version rebuilds the cache.
KEY_SOURCES = [
    "bench/generate.py",
    "common/text.py",
    "crm/models/matching.py",
    "crm/demo/builder.py",
    "crm/demo/names.py",
]
#: Sources whose change changes the search index: a new version reindexes the cache.
SEARCH_SOURCES = ["core/search/*.py", "crm/search.py", "*/migrations/0*.py"]
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgres")


def bench_dir() -> Path:
    """Where caches, working copies and results live ($SENCRM_BENCH_DIR, else <data dir>/bench)."""
    path = Path(os.environ.get("SENCRM_BENCH_DIR") or settings.DATA_DIR / "bench").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _digest(patterns: list[str], *, only_search: bool = False) -> str:
    root = Path(sencrm.__file__).parent
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            content = path.read_bytes()
            if only_search and "migrations" in path.parts and not _touches_search(content):
                continue  # a migration that does not touch the search tables
            digest.update(str(path.relative_to(root)).encode())
            digest.update(content)
    return digest.hexdigest()[:10]


def _touches_search(migration: bytes) -> bool:
    """Whether a migration's operations mention the search index (its dependencies do not count:
    many migrations follow ``core.0008_search_prefixes`` without touching search)."""
    text = migration.lower()
    start = text.find(b"dependencies")
    if start != -1:
        end = text.find(b"]", start)
        text = text[:start] + text[end + 1 :]
    return b"search" in text


def cache_key() -> str:
    return _digest(KEY_SOURCES)


def search_key() -> str:
    return _digest(SEARCH_SOURCES, only_search=True)


def pg_base_url() -> str:
    """A URL of the PostgreSQL server to use ($BENCH_POSTGRES_URL; the database part is ignored)."""
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_URL)


def pg_url(dbname: str) -> str:
    parts = urlsplit(pg_base_url())
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def pg_prefix() -> str:
    return os.environ.get("BENCH_POSTGRES_PREFIX", "sen_bench")


def _pg_admin():
    import psycopg

    parts = urlsplit(pg_base_url())
    return psycopg.connect(
        urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, "")), autocommit=True
    )


def pg_exists(name: str) -> bool:
    with _pg_admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def pg_drop(name: str) -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_clone(template: str, name: str) -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


@dataclass
class Copy:
    """A working copy of a data set: the environment a server or a shell needs to use it."""

    engine: str
    data_dir: Path
    database_url: str

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["SENCRM_DATA_DIR"] = str(self.data_dir)
        env["DATABASE_URL"] = self.database_url
        env["DJANGO_SETTINGS_MODULE"] = "sencrm.settings"
        env.pop("REDIS_URL", None)
        return env


class DataSets:
    """Build, cache and copy the benchmark data sets of one size."""

    def __init__(self, label: str, size_arg: str, *, log=print):
        self.label, self.size_arg, self.log = label, size_arg, log
        self.root = bench_dir()
        self.key = cache_key()
        (self.root / "cache").mkdir(exist_ok=True)

    # --- names --------------------------------------------------------------------------------------
    @property
    def sqlite_cache(self) -> Path:
        return self.root / "cache" / f"{self.label}-{self.key}.sqlite3"

    @property
    def pg_template(self) -> str:
        return f"{pg_prefix()}_tpl_{self.label}_{self.key}"

    def info_path(self, engine: str) -> Path:
        return self.root / "cache" / f"{self.label}-{self.key}-{engine}.json"

    def build_info(self, engine: str) -> dict:
        path = self.info_path(engine)
        return json.loads(path.read_text()) if path.exists() else {}

    # --- building -----------------------------------------------------------------------------------
    def build(self, engine: str, *, force: bool = False) -> dict:
        """Build the data set on ``engine`` unless the cache has it; return the build summary."""
        if engine == "sqlite":
            cached = self.sqlite_cache.exists()
        else:
            cached = pg_exists(self.pg_template)
        if cached and not force and self.info_path(engine).exists():
            self.log(f"{engine}: cached data set {self.label} ({self.key}) reused")
            return self.build_info(engine)
        self.log(f"{engine}: building data set {self.label} ({self.key})…")
        started = time.monotonic()
        build_dir = self.root / f"build-{engine}-{self.label}"
        shutil.rmtree(build_dir, ignore_errors=True)
        build_dir.mkdir()
        if engine == "sqlite":
            target = build_dir / "sencrm.sqlite3"
            url = f"sqlite:///{target}"
        else:
            build_db = f"{pg_prefix()}_build_{self.label}"
            pg_drop(build_db)
            with _pg_admin() as conn:
                conn.execute(f'CREATE DATABASE "{build_db}"')
            url = pg_url(build_db)
        copy = Copy(engine, build_dir, url)
        command = [sys.executable, "-m", "sencrm", "bench", "load", "--size", self.size_arg]
        if engine == "postgres" and self.sqlite_cache.exists() and self.info_path("sqlite").exists():
            # The same rows as the SQLite data set, copied: faster than generating them again.
            self.refresh("sqlite")
            command += ["--from-sqlite", str(self.sqlite_cache)]
        result = subprocess.run(
            command,
            env=copy.env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"building the {engine} data set failed (exit {result.returncode})")
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        summary["engine"] = engine
        summary["key"] = self.key
        summary["search_key"] = search_key()
        summary["total_seconds"] = round(time.monotonic() - started, 1)
        if engine == "sqlite":
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(target, self.sqlite_cache)
            summary["bytes"] = self.sqlite_cache.stat().st_size
            for old in (self.root / "cache").glob(f"{self.label}-*.sqlite3"):
                if old != self.sqlite_cache:
                    old.unlink()
        else:
            pg_drop(self.pg_template)
            with _pg_admin() as conn:
                conn.execute(f'ALTER DATABASE "{build_db}" RENAME TO "{self.pg_template}"')
                size = conn.execute("SELECT pg_database_size(%s)", [self.pg_template]).fetchone()
                summary["bytes"] = size[0]
                old = conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                    [f"{pg_prefix()}_tpl_{self.label}_%", self.pg_template],
                ).fetchall()
            for (name,) in old:
                pg_drop(name)
        shutil.rmtree(build_dir, ignore_errors=True)
        self.info_path(engine).write_text(json.dumps(summary, indent=2))
        self.log(f"{engine}: built in {summary['total_seconds']} s: {summary['counts']}")
        return summary

    def cache_copy(self, engine: str) -> Copy:
        """The cache itself as a database to connect to (for ``refresh``)."""
        data_dir = self.root / f"refresh-{engine}"
        data_dir.mkdir(exist_ok=True)
        url = f"sqlite:///{self.sqlite_cache}" if engine == "sqlite" else pg_url(self.pg_template)
        return Copy(engine, data_dir, url)

    def refresh(self, engine: str) -> dict:
        """Migrate the cached data set, and rebuild its search index if the search code changed."""
        info = self.build_info(engine)
        wanted = search_key()
        reindex = info.get("search_key") != wanted
        command = [sys.executable, "-m", "sencrm", "bench", "refresh"] + (["--reindex"] if reindex else [])
        if reindex:
            self.log(f"{engine}: search code changed since the build: reindexing the cached data set…")
        done = subprocess.run(command, env=self.cache_copy(engine).env(), stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"refreshing the cached {engine} data set failed (exit {done.returncode})")
        if engine == "sqlite":
            for suffix in ("-wal", "-shm"):
                Path(f"{self.sqlite_cache}{suffix}").unlink(missing_ok=True)
        if reindex:
            info["search_key"] = wanted
            info.setdefault("timings", {})["search_reindex"] = json.loads(
                done.stdout.strip().splitlines()[-1]
            )["seconds"]
            self.info_path(engine).write_text(json.dumps(info, indent=2))
        return info

    # --- copies -------------------------------------------------------------------------------------
    def copy(
        self, engine: str, *, data_dir: Path | None = None, dbname: str | None = None, refresh: bool = True
    ) -> Copy:
        """A fresh, migrated working copy of the cached data set (built first if needed).

        ``refresh``: bring the cache itself up to date first (what ``run`` does). Without it the
        cache is copied as it is and only the copy is migrated (what ``prepare`` does, so people
        working on a copy never touch the shared cache).
        """
        self.build(engine)
        if refresh:
            self.refresh(engine)
        data_dir = Path(data_dir or self.root / f"run-{engine}")
        data_dir.mkdir(parents=True, exist_ok=True)
        if engine == "sqlite":
            target = data_dir / "sencrm.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.sqlite_cache, target)
            url = f"sqlite:///{target}"
        else:
            dbname = dbname or f"{pg_prefix()}_run_{self.label}"
            pg_clone(self.pg_template, dbname)
            url = pg_url(dbname)
        copy = Copy(engine, data_dir, url)
        if not refresh:  # migrate the copy (and mark old reminders sent), never the cache
            subprocess.run(
                [sys.executable, "-m", "sencrm", "bench", "refresh"],
                env=copy.env(),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        return copy
