"""OrderCRM settings: every setting lives here and reads the environment through ``conf.Env``.

Environment variables (all optional in development):

- ``ORDERCRM_PRODUCTION``: turns on the secure defaults (HTTPS cookies, HSTS, no DEBUG) and
  requires ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
- ``DATABASE_URL``: ``sqlite:///path`` or ``postgres://user@host:5432/name``; default an SQLite
  file in ``ORDERCRM_DATA_DIR`` (``./var`` by default) in WAL mode.
- ``DATABASE_REPLICA_URL``: a read replica of ``DATABASE_URL`` (PostgreSQL streaming replica);
  reports, lists and exports read it, with read-your-writes for
  ``ORDERCRM_READ_YOUR_WRITES_S`` seconds (default 5) after a user's own change
  (``core.db.ReplicaRouter``; docs/scaling.md).
- ``CONN_MAX_AGE`` (seconds a process keeps its database connection; default 60 on
  PostgreSQL, 0 on SQLite), ``CONN_HEALTH_CHECKS`` (default on for PostgreSQL),
  ``ORDERCRM_PGBOUNCER`` (the database is reached through PgBouncer in transaction pooling:
  no server-side cursors).
- ``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS`` (comma separated), ``CSRF_TRUSTED_ORIGINS``.
- ``ORDERCRM_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``): Django's cache in Redis; without
  it the cache is a database table (``ordercrm_cache``, made by ``migrate``). The cache counts
  the API rate limit, so every web process shares it. ``ORDERCRM_CACHE_PREFIX`` prefixes keys.
- Limits: ``ORDERCRM_API_RATE_LIMIT`` (requests per token per minute, default 1200),
  ``ORDERCRM_MAX_ORDER_LINES`` (default 2000), ``ORDERCRM_IDEMPOTENCY_LEASE_S`` (default 60).
- Email with Django's own names: ``EMAIL_BACKEND``, ``EMAIL_HOST``, ``EMAIL_PORT``,
  ``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``, ``EMAIL_USE_SSL``,
  ``DEFAULT_FROM_EMAIL``, ``EMAIL_FILE_PATH``. Without ``ORDERCRM_PRODUCTION`` mail is written
  to the local outbox ``var/mail`` (shown on /deliveries/); in production it goes over SMTP.
- ``ORDERCRM_WEBHOOKS_ALLOW_PRIVATE``: let webhooks reach loopback, link-local and private
  addresses (off by default, also for ``make run``: set it for a receiver on your machine).
"""

from pathlib import Path

import dj_database_url

from ordercrm.conf import Env

env = Env()

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
DATA_DIR = env.path("ORDERCRM_DATA_DIR", PROJECT_DIR / "var")

PRODUCTION = env.bool("ORDERCRM_PRODUCTION", False)
# Off unless asked for (DEBUG=1): a newcomer on `make run` gets OrderCRM's own translated
# 404 and 500 pages, not Django's debug pages with settings and tracebacks.
DEBUG = env.bool("DEBUG", False)
SECRET_KEY = env.secret_key(production=PRODUCTION, data_dir=DATA_DIR)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs page with its bundled assets (no CDN)
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ordercrm.core",
    "ordercrm.accounts",
    "ordercrm.catalog",
    "ordercrm.customers",
    "ordercrm.inventory",
    "ordercrm.sales",
    "ordercrm.fulfilment",
    "ordercrm.billing",
    "ordercrm.service",
    "ordercrm.returns",
    "ordercrm.notifications",
    "ordercrm.analytics",
    "ordercrm.imports",
    "ordercrm.web",
    "ordercrm.api",
    "ordercrm.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ordercrm.core.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # without DATABASE_REPLICA_URL it takes itself out (MiddlewareNotUsed)
    "ordercrm.core.db.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ordercrm.accounts.middleware.ActiveCompanyMiddleware",
    "ordercrm.api.middleware.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ordercrm.urls"
WSGI_APPLICATION = "ordercrm.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ordercrm.web.context_processors.workspace",
            ],
        },
    },
]


PGBOUNCER = env.bool("ORDERCRM_PGBOUNCER", False)


def _database(url: str) -> dict:
    sqlite = url.startswith("sqlite")
    config = dj_database_url.parse(url, conn_max_age=env.int("CONN_MAX_AGE", 0 if sqlite else 60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "ordercrm.core.db_backends.sqlite3"
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue instead of failing half-way with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
        config["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    else:
        config["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", True)
        # Transaction pooling hands each transaction any server connection: a named cursor
        # (one that outlives its transaction in autocommit) would be lost between them.
        # OrderCRM sets no session state (no SET, advisory locks or prepared statements:
        # psycopg binds on the client under Django); the worker's LISTEN needs a direct one.
        config["DISABLE_SERVER_SIDE_CURSORS"] = PGBOUNCER
    return config


DATABASE_URL = env.str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'ordercrm.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", "")
DATABASE_ROUTERS = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    # tests have no replica of their test database: the alias reads the test database itself
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["ordercrm.core.db.ReplicaRouter"]
# After a user's own change, how long their reads stay on the primary: longer than the
# replica's lag (pg_stat_replication.replay_lag; docs/scaling.md).
REPLICA_READ_YOUR_WRITES_S = env.int("ORDERCRM_READ_YOUR_WRITES_S", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins are throttled per username and address: five failures lock that pair for
# fifteen minutes, and a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("zh-hant", "繁體中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploaded files (case attachments) through the default storage; never served as static
# files: the case page streams them to members who may see the case.
MEDIA_ROOT = env.path("ORDERCRM_MEDIA_ROOT", DATA_DIR / "media")
# The cut-down CJK faces of printable documents, made once per machine (core.document_fonts).
DOCUMENT_FONT_DIR = env.path("ORDERCRM_DOCUMENT_FONT_DIR", DATA_DIR / "fonts")
SERVICE_ATTACHMENT_MAX_BYTES = env.int("ORDERCRM_ATTACHMENT_MAX_BYTES", 2_000_000)

TASKS = {
    "default": {
        "BACKEND": env.str("ORDERCRM_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REDIS_URL = env.str("ORDERCRM_REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("ORDERCRM_CACHE_PREFIX", "ordercrm"),
        }
        if REDIS_URL
        else {
            # Django's database cache with an atomic incr; the table comes from a migration.
            "BACKEND": "ordercrm.core.cache.DatabaseCache",
            "LOCATION": "ordercrm_cache",
            "KEY_PREFIX": env.str("ORDERCRM_CACHE_PREFIX", "ordercrm"),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    )
}

# API requests per token per minute, counted in the shared cache (429 with Retry-After beyond
# it); 0 turns it off.
API_RATE_LIMIT = env.int("ORDERCRM_API_RATE_LIMIT", 1200)
# How long an API request holds its Idempotency-Key; a retry after a crash may run again once
# this has passed (only if the first attempt's effect did not commit). Longer than any request.
IDEMPOTENCY_LEASE_SECONDS = env.int("ORDERCRM_IDEMPOTENCY_LEASE_S", 60)
# The most lines one order may have (sales.too_many_lines beyond it), on every path.
MAX_ORDER_LINES = env.int("ORDERCRM_MAX_ORDER_LINES", 2000)

# How long a worker holds a delivery it is sending; after a crash another worker retries it
# once this has passed.
# The largest request body accepted (bytes); larger ones answer 413 before being read.
# 2.5 MB holds an order of several thousand lines.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("ORDERCRM_MAX_BODY_BYTES", 2_621_440)

DELIVERY_LEASE_SECONDS = env.int("ORDERCRM_DELIVERY_LEASE_S", 120)
# Sales facts: how far behind the newest applied event the analytics scan looks again, for
# transactions that commit later than their events were stamped.
ANALYTICS_GRACE_SECONDS = env.int("ORDERCRM_ANALYTICS_GRACE_S", 900)

# Webhooks go to public addresses only (no loopback, link-local, private or unspecified), at
# subscription and at every delivery; on lifts that for a receiver on this machine or network.
WEBHOOKS_ALLOW_PRIVATE = env.bool("ORDERCRM_WEBHOOKS_ALLOW_PRIVATE", False)
# How an idle worker learns of new work (core.wakeup): "notify" = LISTEN/NOTIFY on
# PostgreSQL with a 30 s poll behind it, a poll backing off 1 → 5 s on SQLite; "poll" = the
# old fixed poll every --interval (kept as the baseline bench/worker_idle.py measures).
WORKER_WAKEUP = env.str("ORDERCRM_WORKER_WAKEUP", "notify")

# Outside production, mail goes to a local outbox (one file per message in var/mail, listed
# for admins on /deliveries/), so a newcomer sees every email and nothing fails on a missing
# SMTP server; production sends over SMTP unless told otherwise.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", DATA_DIR / "mail")
EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "OrderCRM <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    # WeasyPrint logs seven INFO lines per PDF ("Step 1 - Fetching and parsing HTML"…), which
    # buried the server's own lines on `make run`; its warnings still show.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}
