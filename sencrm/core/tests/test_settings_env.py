"""Settings come from the environment (README "Configuration"); tests get fast, self-contained ones.

Each case imports ``sencrm.settings`` in a fresh interpreter with a chosen environment, as gunicorn,
the task consumer and ``sencrm`` commands do (without pytest, so ``TESTING`` is off there).
"""

import json
import os
import subprocess
import sys

from django.conf import settings

READ = """
import json, sencrm.settings as s
print(json.dumps({
    "data_dir": str(s.DATA_DIR), "testing": s.TESTING, "debug": s.DEBUG, "port": s.PORT,
    "secret_key": s.SECRET_KEY, "db": s.DATABASES["default"], "huey": s.HUEY,
    "cache": s.CACHES["default"]["BACKEND"], "session": s.SESSION_ENGINE,
    "static": s.STORAGES["staticfiles"]["BACKEND"], "finders": s.WHITENOISE_USE_FINDERS,
    "hasher": s.PASSWORD_HASHERS[0], "email": s.EMAIL_BACKEND, "apps": s.INSTALLED_APPS,
}, default=str))
"""
CLEARED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "PORT",
    "HUEY_IMMEDIATE",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
}


def read_settings(data_dir, **env) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment |= {"SENCRM_DATA_DIR": str(data_dir), **env}
    done = subprocess.run(
        [sys.executable, "-c", READ], env=environment, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout)


def test_defaults_keep_everything_in_the_data_dir(tmp_path):
    s = read_settings(tmp_path)
    assert s["data_dir"] == str(tmp_path)
    assert (s["testing"], s["debug"], s["port"]) == (False, False, 8000)
    assert s["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert s["db"]["NAME"] == str(tmp_path / "sencrm.sqlite3")
    assert (s["huey"]["huey_class"], s["huey"]["filename"], s["huey"]["immediate"]) == (
        "huey.SqliteHuey",
        str(tmp_path / "tasks.sqlite3"),
        False,
    )
    assert s["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert s["finders"] is False
    assert s["hasher"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert s["email"] == "django.core.mail.backends.filebased.EmailBackend"  # no EMAIL_HOST: files
    assert "ninja" in s["apps"]  # Swagger UI from the package, not a CDN


def test_the_generated_secret_key_is_kept_in_the_data_dir(tmp_path):
    first = read_settings(tmp_path)["secret_key"]
    assert len(first) >= 50
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert read_settings(tmp_path)["secret_key"] == first
    assert read_settings(tmp_path, SECRET_KEY="from-the-environment")["secret_key"] == "from-the-environment"


def test_database_redis_port_and_debug_from_the_environment(tmp_path):
    s = read_settings(
        tmp_path,
        DATABASE_URL="postgres://sen:pw@db.example:5432/sencrm",
        REDIS_URL="redis://127.0.0.1:6379/3",
        PORT="8765",
        DEBUG="1",
    )
    assert (s["db"]["ENGINE"], s["db"]["NAME"], s["db"]["HOST"]) == (
        "django.db.backends.postgresql",
        "sencrm",
        "db.example",
    )
    assert (s["huey"]["huey_class"], s["huey"]["url"], s["huey"]["heartbeat_seconds"]) == (
        "sencrm.core.queue.ReliableRedisHuey",  # acknowledges tasks: a dead consumer's are re-queued
        "redis://127.0.0.1:6379/3",
        30,
    )
    assert s["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert s["session"] == "django.contrib.sessions.backends.cache"
    assert s["port"] == 8765
    # DEBUG serves static files from the source folders: no collectstatic needed.
    assert (s["debug"], s["static"], s["finders"]) == (
        True,
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        True,
    )


def test_under_pytest_tasks_run_at_once_and_static_files_need_no_collectstatic():
    assert settings.TESTING is True
    assert settings.HUEY["immediate"] is True
    assert (
        settings.STORAGES["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    # pytest-django's test environment replaces the backend so tests read mail.outbox.
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
