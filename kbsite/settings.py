"""Settings, read from the environment so one codebase serves dev, test and production.

KB_DATA_DIR holds the SQLite file, the search index and exports. DATABASE_URL
switches to PostgreSQL. Production (DJANGO_DEBUG unset or 0) refuses to start
without a secret key.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (or DJANGO_DEBUG=1 for development)."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

KB_DATA_DIR = Path(os.environ.get("KB_DATA_DIR", BASE_DIR / "var")).resolve()
KB_DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "axes",
    "csp",
    "kbsite",
    "manuals",
    "manuals.people",
    "manuals.notifications",
    "manuals.training",
    "faq",
    "feedback",
]

MIDDLEWARE = [
    # Behind a proxy, REMOTE_ADDR is made the client's (DJANGO_BEHIND_PROXY).
    "kbsite.net.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every page, error pages too (CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Internal content needs a login: every view does unless marked otherwise
    # (login page, language switch, and later the public help portal).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A full disk answers 503 with the user's text instead of a bare 500.
    "kbsite.middleware.StorageFullMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kbsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kbsite.context_processors.site",
                "manuals.notifications.context_processors.bell",
            ],
        },
    },
]

WSGI_APPLICATION = "kbsite.wsgi.application"

# SQLite is the embedded default. WAL lets readers run beside the one writer, the busy
# timeout makes a writer wait instead of failing, and IMMEDIATE transactions take the
# write lock up front so two writers never deadlock on a lock upgrade.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{KB_DATA_DIR / 'kb.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out login before any password is checked.
# Then ModelBackend with fewer queries per page (see kbsite/auth.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kbsite.auth.KBModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Chinese is the default language; English is the second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = KB_DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("KB_MEDIA_ROOT", KB_DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # whitenoise's compressed manifest storage; a file missing from the
            # manifest is linked unhashed instead of failing the page
            # (kbsite/staticfiles.py)
            else "kbsite.staticfiles.StaticFilesStorage"
        )
    },
}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["KB_CACHE_URL"],
        }
        if os.environ.get("KB_CACHE_URL")
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "kb",
            # Pages keep a handful of entries each (navigation, section, text, FAQ).
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}

# Sessions are read on every page. With a shared cache (KB_CACHE_URL) they are kept
# there, backed by the database. A per-process cache would let one web worker go on
# serving a session another worker ended (logout) or changed (an import waiting for
# confirmation), so without a shared cache they are read from the database (Django's
# database sessions).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if os.environ.get("KB_CACHE_URL")
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a reverse proxy (DJANGO_BEHIND_PROXY=1) the client's address is the one the
# last DJANGO_PROXY_COUNT proxies appended to X-Forwarded-For (kbsite/net.py); without
# one that header is the client's to forge, and REMOTE_ADDR is the address.
KB_BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
KB_PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "1"))
if not DEBUG:
    # Production behind TLS. A deployment on plain HTTP inside an intranet can turn
    # these off explicitly with DJANGO_SECURE_SSL=0.
    _ssl = env_bool("DJANGO_SECURE_SSL", True)
    SECURE_SSL_REDIRECT = _ssl
    SESSION_COOKIE_SECURE = _ssl
    CSRF_COOKIE_SECURE = _ssl
    SECURE_HSTS_SECONDS = (
        int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if _ssl else 0
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _ssl
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    if KB_BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp; Django 6.0 builds the same in as SECURE_CSP).
# No inline script and no event-handler attribute anywhere: the templates keep to that
# (tests/kbsite/test_csp.py reads them all). Inline styles stay allowed: Markdown
# tables align cells with style="text-align: ..." (the only style the sanitizer lets
# through) and the portal's colour, set in the admin, is a <style> in its pages; a
# style cannot run code. Images may come from any HTTPS address: the portal logo URL
# and images in Markdown may be elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "https:", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (django-axes, with the caps of kbsite/lockout.py). Five wrong
# passwords for one account from one address lock that pair out for
# KB_LOGIN_LOCKOUT_MINUTES; so do KB_LOGIN_ADDRESS_FAILURE_LIMIT failures from one
# address whatever the account (trying many accounts) and
# KB_LOGIN_ACCOUNT_FAILURE_LIMIT failures for one account whatever the address (trying
# from many addresses). Those caps are higher than five so that one person's typos do
# not lock out a whole office behind one address, nor the account everywhere. Admins
# unlock in the admin (Axes > Access attempts) or with `manage.py axes_reset_username`.
AXES_FAILURE_LIMIT = int(os.environ.get("KB_LOGIN_FAILURE_LIMIT", "5"))
KB_LOGIN_ADDRESS_FAILURE_LIMIT = int(
    os.environ.get("KB_LOGIN_ADDRESS_FAILURE_LIMIT", "20")
)
KB_LOGIN_ACCOUNT_FAILURE_LIMIT = int(
    os.environ.get("KB_LOGIN_ACCOUNT_FAILURE_LIMIT", "20")
)
AXES_COOLOFF_TIME = timedelta(
    minutes=int(os.environ.get("KB_LOGIN_LOCKOUT_MINUTES", "30"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "kbsite.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "kbsite.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "kbsite.net.client_ip"
# A successful login forgets that account's failures from that address (only those).
AXES_RESET_ON_SUCCESS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("KB_LOG_LEVEL", "WARNING"),
    },
}

# The knowledge base's own settings.
KB_SITE_NAME = os.environ.get("KB_SITE_NAME", "客服培训手册")
KB_RENDER_CACHE_SECONDS = int(os.environ.get("KB_RENDER_CACHE_SECONDS", "86400"))
# The worker sends the daily e-mail digests and review reminders after this hour
# (local time, TIME_ZONE).
KB_DIGEST_HOUR = int(os.environ.get("KB_DIGEST_HOUR", "8"))
# The site's own address, for links in e-mails and chat posts.
KB_SITE_URL = os.environ.get("KB_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# E-mail: printed to the console in development; SMTP from the environment in
# production (DJANGO_EMAIL_HOST, _PORT, _HOST_USER, _HOST_PASSWORD, _USE_TLS/_USE_SSL).
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("DJANGO_EMAIL_USE_TLS", "1") == "1"
    EMAIL_USE_SSL = os.environ.get("DJANGO_EMAIL_USE_SSL", "0") == "1"
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "kb@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Feedback and analytics (feedback/). Anonymous visitors are named by a salted hash,
# never by their address; the salt defaults to one derived from the secret key.
KB_ANALYTICS_SALT = os.environ.get("KB_ANALYTICS_SALT", "kb-analytics:" + SECRET_KEY)
KB_ANALYTICS_ENABLED = env_bool("KB_ANALYTICS_ENABLED", True)
# Page views and searches are written in batches of this size or this age.
KB_ANALYTICS_BATCH_SIZE = int(os.environ.get("KB_ANALYTICS_BATCH_SIZE", "200"))
KB_ANALYTICS_FLUSH_SECONDS = float(os.environ.get("KB_ANALYTICS_FLUSH_SECONDS", "5"))
KB_ANALYTICS_RETENTION_DAYS = int(os.environ.get("KB_ANALYTICS_RETENTION_DAYS", "180"))
# Survey answers one anonymous visitor may send per hour.
KB_FEEDBACK_RATE_LIMIT = int(os.environ.get("KB_FEEDBACK_RATE_LIMIT", "10"))

# Search (manuals/search). KB_SEARCH_BACKEND takes a dotted path or a dict with
# BACKEND and OPTIONS, like CACHES. KB_SEARCH_INLINE applies index updates right after
# each commit; set it to 0 when `manage.py search_worker` runs beside several web
# processes.
KB_SEARCH_BACKEND = {
    "BACKEND": os.environ.get(
        "KB_SEARCH_BACKEND", "manuals.search.backends.whoosh.WhooshSearchBackend"
    ),
    "OPTIONS": {
        "PATH": os.environ.get("KB_SEARCH_PATH", str(KB_DATA_DIR / "search")),
        "LOCK_TIMEOUT": float(os.environ.get("KB_SEARCH_LOCK_TIMEOUT", "10")),
    },
}
KB_SEARCH_INLINE = env_bool("KB_SEARCH_INLINE", True)
KB_SEARCH_INLINE_LOCK_TIMEOUT = float(
    os.environ.get("KB_SEARCH_INLINE_LOCK_TIMEOUT", "3")
)

# Public help portal, static export and import (manuals/portal, manuals/transfer).
INSTALLED_APPS += ["django.contrib.sitemaps"]
# The live site's address (https://kb.example.com) for the static export: its survey
# posts back there. Empty: the exported pages show no survey.
KB_PORTAL_LIVE_URL = os.environ.get("KB_PORTAL_LIVE_URL", "").rstrip("/")
# Largest upload the import page accepts (a .docx or a zip of Markdown), and the most
# a zip may unpack to.
KB_IMPORT_MAX_UPLOAD_BYTES = int(
    os.environ.get("KB_IMPORT_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))
)
KB_IMPORT_MAX_UNPACKED_BYTES = int(
    os.environ.get("KB_IMPORT_MAX_UNPACKED_BYTES", str(200 * 1024 * 1024))
)
# Largest CSV of people the import page accepts (managers' bulk import).
KB_PEOPLE_CSV_MAX_BYTES = int(
    os.environ.get("KB_PEOPLE_CSV_MAX_BYTES", str(1024 * 1024))
)
# Longest Markdown body (characters) any way in accepts: section, block and FAQ forms,
# preview, autosave, Markdown and Word import (manuals.rendering.validate_body_size).
KB_MAX_BODY_CHARS = int(os.environ.get("KB_MAX_BODY_CHARS", "200000"))
# Largest image accepted as media (Word import, and the editor's uploads).
KB_MEDIA_MAX_BYTES = int(os.environ.get("KB_MEDIA_MAX_BYTES", str(10 * 1024 * 1024)))
