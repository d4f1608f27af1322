"""Django settings for Sen CRM.

Everything a deployment changes comes from the environment: ``DATABASE_URL`` (SQLite file in
``SENCRM_DATA_DIR`` by default), ``REDIS_URL`` (Huey, cache and sessions on Redis when set),
``SENCRM_DATA_DIR`` (SQLite file, task-queue file, uploads, collected static files and the
generated secret key; default ``./var``), ``PORT`` (read by ``sencrm up``), ``SECRET_KEY``,
``ALLOWED_HOSTS``, ``DEBUG`` and the ``EMAIL_*`` settings. README.md lists them all.

Under pytest (``TESTING``) a few things change so tests are fast and self-contained: Huey runs
tasks immediately in memory and static files need no collectstatic. pytest-django itself switches
e-mail to the in-memory ``locmem`` backend (``mail.outbox``), and ``sencrm/conftest.py`` swaps
Argon2 for a fast hasher in every test.
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SENCRM_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
# pytest is imported before pytest-django loads these settings; servers and workers never import it.
TESTING = "pytest" in sys.modules


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Read SECRET_KEY from the environment, else keep a random one in the data dir (never in git)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Several processes may start at once on a fresh data dir (web workers, task consumer):
        # write a temporary file and link it into place, so every process reads the same key.
        tmp = DATA_DIR / f".secret_key.{os.getpid()}"
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    # Only for its templates and static files: with "ninja" installed, /api/v1/docs serves the
    # Swagger UI bundled in the package instead of loading it from a CDN.
    "ninja",
    "axes",
    "sencrm.common",
    "sencrm.core",
    "sencrm.crm",
    "sencrm.sales",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sencrm.core.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sencrm.core.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sencrm.urls"
WSGI_APPLICATION = "sencrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sencrm.core.context_processors.navigation",
            ],
            "builtins": ["sencrm.common.templatetags.sencrm"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'sencrm.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the one writer work at once; IMMEDIATE avoids "database is locked"
    # upgrades inside transactions (Django 5.1+ option). Connections are kept (CONN_MAX_AGE, like
    # PostgreSQL's): opening one and running the pragmas below cost about a millisecond a request,
    # and a kept connection keeps its page cache warm.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, tasks -----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    # Any number of consumers on any number of machines: each task is acknowledged after it ran, a
    # dead consumer's tasks are re-queued once its heartbeat expires, and one consumer per minute
    # enqueues the periodic tasks (sencrm/core/queue.py, docs/SCALING.md).
    HUEY = {
        "huey_class": "sencrm.core.queue.ReliableRedisHuey",
        "name": os.environ.get("HUEY_NAME", "sencrm"),
        "url": REDIS_URL,
        "heartbeat_seconds": int(os.environ.get("HUEY_HEARTBEAT_SECONDS", "30")),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "sencrm",
        "filename": str(DATA_DIR / "tasks.sqlite3"),
        "immediate": _env_bool("HUEY_IMMEDIATE"),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
if TESTING and "HUEY_IMMEDIATE" not in os.environ:
    # Tests run enqueued tasks at once, in memory (no consumer, no queue file). Periodic tasks do not
    # run by themselves; call them as functions. HUEY_IMMEDIATE=0 keeps a real queue.
    HUEY["immediate"] = True

# --- Auth and security ----------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:home"
LOGOUT_REDIRECT_URL = "login"

# Rate-limited login (django-axes): 5 failures per username+IP lock for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Cookies are Secure unless the operator runs plain HTTP on loopback (make up); set SECURE_COOKIES=1
# behind TLS.
SECURE_COOKIES = _env_bool("SECURE_COOKIES", not DEBUG and bool(os.environ.get("SENCRM_HTTPS")))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["sencrm.formats"]
LANGUAGE_COOKIE_NAME = "sencrm_language"

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "uploads"
# Production and `make up`: `sencrm up` runs collectstatic, whitenoise serves the hashed, compressed
# copies with far-future cache headers. DEBUG=1 and tests serve the source folders (finders)
# instead, so no collectstatic is needed there.
_COLLECTED = not (DEBUG or TESTING)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not _COLLECTED
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing folder before the first collectstatic
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sen CRM <no-reply@localhost>")
if EMAIL_BACKEND.endswith("smtp.EmailBackend") and not os.environ.get("EMAIL_HOST"):
    # No mail server configured (make up on a laptop): write mails to the data dir instead of failing.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")

# --- Application ----------------------------------------------------------------------------------
PORT = int(os.environ.get("PORT", "8000"))  # `sencrm up` serves on 127.0.0.1:PORT
# What `sencrm up` (in core) needs from the apps above core, which core must not import: callables
# run on every start (idempotent), and the function listing the demo logins to print.
SENCRM_UP = {
    "on_start": ["sencrm.crm.services.opportunities.pipeline_create_default"],
    "demo_logins": "sencrm.crm.demo.demo_logins",
}
SENCRM_PAGE_SIZE = 50
SENCRM_API_MAX_PAGE_SIZE = 200
SENCRM_TRASH_DAYS = int(os.environ.get("SENCRM_TRASH_DAYS", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
