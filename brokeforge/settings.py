"""Django settings. Everything comes from environment variables with safe defaults.

BROKEFORGE_HOME       data directory (SQLite database, secret key, encryption keys)
BROKEFORGE_DATABASE_URL  postgresql://user:pass@host:port/name for the scale-out mode
                         (or sqlite:////absolute/path for another SQLite file)
BROKEFORGE_DEBUG      "1" for development only
BROKEFORGE_ALLOWED_HOSTS  comma-separated host names the panel answers to
BROKEFORGE_PUBLIC_URL     https://panel.example.com when a TLS reverse proxy serves the panel
BROKEFORGE_TRUSTED_PROXIES  addresses/networks of the proxies whose X-Forwarded-For is believed
BROKEFORGE_HSTS_SECONDS   how long browsers must use https only (behind an https public URL)
BROKEFORGE_SESSION_IDLE_MINUTES  sign-in ends after this long without a page view or form post
BROKEFORGE_ACME_DIRECTORY  the ACME server sites' certificates come from (Let's Encrypt by default)
BROKEFORGE_ACME_CA_BUNDLE  a PEM file of the CAs that sign that ACME server's HTTPS (private ACME)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from brokeforge import home
from brokeforge.lib import client_address, public_url

BASE_DIR = Path(__file__).resolve().parent
HOME = home.home()

SECRET_KEY = home.secret_key()
DEBUG = os.environ.get("BROKEFORGE_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("BROKEFORGE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # The API docs page (/api/docs) from django-ninja's own static files and script, which the
    # Content Security Policy allows; without the app it loads Swagger UI from a CDN and runs an
    # inline script, both blocked.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "brokeforge.servers",
    "brokeforge.sites",
    "brokeforge.databases",
    "brokeforge.jobs",
    "brokeforge.web",
]

MIDDLEWARE = [
    # First: everything after it sees the real client address, and no forwarded header from
    # anyone but a trusted proxy.
    "brokeforge.web.middleware.ProxyHeadersMiddleware",
    # Before whitenoise and the HTTPS redirect, which answer without calling what follows them.
    "brokeforge.web.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "brokeforge.web.middleware.IdleSessionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "brokeforge.web.middleware.PanelLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "brokeforge.urls"
ASGI_APPLICATION = "brokeforge.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# How long a database write waits for a lock another process holds before it fails.
DATABASE_LOCK_TIMEOUT_SECONDS = float(os.environ.get("BROKEFORGE_DATABASE_LOCK_TIMEOUT", "20"))


def _database(url: str | None) -> dict[str, Any]:
    if not url or url.startswith("sqlite:///"):
        name = Path(url.removeprefix("sqlite://")) if url else HOME / "brokeforge.sqlite3"
        if name.parent.is_dir():
            home.private_file(name)  # the database holds every encrypted secret: owner-only
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # Tests share their database with worker processes, so it must be a file; one per
            # test run, so two runs never delete each other's.
            "TEST": {"NAME": name.with_name(f"test-{os.getpid()}-{name.name}")},
            # WAL lets the web process read while workers write; IMMEDIATE transactions take the
            # write lock up front, so two workers never deadlock upgrading a read lock.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": DATABASE_LOCK_TIMEOUT_SECONDS,
            },
        }
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"BROKEFORGE_DATABASE_URL: unsupported scheme {parsed.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        # A statement waiting on a lock gives up in the same time as on SQLite.
        "OPTIONS": {"options": f"-c lock_timeout={round(DATABASE_LOCK_TIMEOUT_SECONDS * 1000)}"},
    }


DATABASES = {"default": _database(os.environ.get("BROKEFORGE_DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "servers"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request until collectstatic has run

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "brokeforge.lib.redact.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"asyncssh": {"level": "WARNING"}},
}

# --- Running behind HTTPS: public URL, proxies, idle sessions --------------------------------------
# Without BROKEFORGE_PUBLIC_URL the panel is for this machine only: plain HTTP on loopback, and
# `brokeforge serve` refuses to listen elsewhere. Exposing it means a TLS proxy in front and
# BROKEFORGE_PUBLIC_URL=https://..., which turns on secure cookies, HSTS, the redirect to https and
# the proxy's X-Forwarded-Proto (README, "Running behind HTTPS").
PUBLIC_URL = public_url.parse_public_url(os.environ.get("BROKEFORGE_PUBLIC_URL"))
# Only these peers' X-Forwarded-For/-Proto are believed (brokeforge.web.middleware); from anyone
# else the headers are dropped, so a client cannot choose its own address to dodge the login limit.
TRUSTED_PROXIES = client_address.parse_networks(
    os.environ.get("BROKEFORGE_TRUSTED_PROXIES", "127.0.0.0/8,::1")
)


def _whole_number(name: str, default: int, minimum: int) -> int:
    value = os.environ.get(name, str(default)).strip()
    if not (value.isascii() and value.isdigit()) or int(value) < minimum:
        raise ValueError(f"{name} must be a whole number, {minimum} or more (got {value!r})")
    return int(value)


# One year, the usual recommendation; 0 turns HSTS off. Subdomains are not included: the
# panel's host name does not speak for other sites under the same domain.
HSTS_SECONDS = _whole_number("BROKEFORGE_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
# Sets ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE,
# SECURE_HSTS_SECONDS, SECURE_PROXY_SSL_HEADER, SECURE_SSL_REDIRECT and SECURE_SSL_HOST; one function
# computes them so the tests apply exactly what production gets.
globals().update(public_url.security_settings(PUBLIC_URL, ALLOWED_HOSTS, HSTS_SECONDS))

# A session ends this long after the user last opened a page or sent a form. Automatic requests
# (htmx polling, the live output stream) do not extend it: see IdleSessionMiddleware.
SESSION_IDLE_MINUTES = _whole_number("BROKEFORGE_SESSION_IDLE_MINUTES", 60, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False  # IdleSessionMiddleware decides which requests extend a session
# --- end of running behind HTTPS --------------------------------------------------------------------

# Where sites' certificates are issued: Let's Encrypt, or a private ACME server whose HTTPS is
# signed by the CAs of ACME_CA_BUNDLE (a file on this machine; its content is put on each server).
ACME_DIRECTORY = os.environ.get("BROKEFORGE_ACME_DIRECTORY", "https://acme-v02.api.letsencrypt.org/directory")
ACME_CA_BUNDLE = os.environ.get("BROKEFORGE_ACME_CA_BUNDLE", "")

# Loopback, link-local and cloud metadata addresses are refused as server addresses unless allowed.
ALLOW_LOCAL_ADDRESSES = os.environ.get("BROKEFORGE_ALLOW_LOCAL_ADDRESSES") == "1"

# How long to wait for a TCP connection and SSH handshake, and for any one command.
SSH_CONNECT_TIMEOUT = float(os.environ.get("BROKEFORGE_SSH_CONNECT_TIMEOUT", "10"))
SSH_COMMAND_TIMEOUT = float(os.environ.get("BROKEFORGE_SSH_COMMAND_TIMEOUT", "900"))
# A running job writes a heartbeat this often; one silent for STALL_AFTER seconds is stalled, and
# its server's lock freed. A job whose heartbeat cannot be written stops itself before that.
JOB_HEARTBEAT_SECONDS = float(os.environ.get("BROKEFORGE_JOB_HEARTBEAT", "5"))
JOB_STALL_AFTER_SECONDS = float(os.environ.get("BROKEFORGE_JOB_STALL_AFTER", "60"))
# A heartbeat delayed by a slow database must not pass for a dead worker: the stall limit leaves
# room for a few heartbeats and for a write that waits out the whole lock timeout.
if JOB_STALL_AFTER_SECONDS < 3 * JOB_HEARTBEAT_SECONDS + DATABASE_LOCK_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        f"BROKEFORGE_JOB_STALL_AFTER ({JOB_STALL_AFTER_SECONDS:g}s) must be at least three heartbeats "
        f"(BROKEFORGE_JOB_HEARTBEAT, {JOB_HEARTBEAT_SECONDS:g}s) plus the database lock timeout "
        f"(BROKEFORGE_DATABASE_LOCK_TIMEOUT, {DATABASE_LOCK_TIMEOUT_SECONDS:g}s)."
    )
