"""Settings for every process, driven by environment variables.

With no variables set this is the embedded default: SQLite (WAL), local files, a file cache
and a file-system Celery broker, all under DATA_DIR, so `make run`'s web server, worker and
beat share them without any server (eager tasks are for the test suite only). DATABASE_URL, REDIS_URL and
AWS_STORAGE_BUCKET_NAME each switch one piece to its full-stack service.
Every variable is listed in .env.example and the README.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.logging import build_logging

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))

# --- Core ---------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off (set DJANGO_DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL").rstrip("/")

INSTALLED_APPS = [
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Third party
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files: the docs work offline
    "django_celery_beat",
    # Local
    "core",
    "chants",
    "tracks",
    "learning",
    "mastering",
    "downloads",
    "wrapped",
]

MIDDLEWARE = [
    "core.middleware.RequestLogMiddleware",
    "core.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "core.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Database -----------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            # The web server, the worker and beat write at once: write-ahead log (readers do not
            # block the writer), and a writer waits up to 20 s for the lock instead of failing.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# --- Cache and broker ---------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.cache.FastRedisCache", "LOCATION": REDIS_URL}}
else:
    # One cache for the web server, the worker and beat (a per-process one would miss the worker's writes).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": DATA_DIR / "cache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# Without Redis, kombu's file-system transport over DATA_DIR/broker: a broker that needs no server.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
CELERY_BROKER_FOLDER = DATA_DIR / "broker"
if not REDIS_URL:
    CELERY_BROKER_FOLDER.mkdir(parents=True, exist_ok=True)
# Tasks run in-process only where a test asks for it (tests/settings.py); everywhere else a worker runs them.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "core.tasks.*": {"queue": "default"},
    "tracks.tasks.*": {"queue": "audio"},
    "mastering.tasks.*": {"queue": "audio"},
    "downloads.tasks.*": {"queue": "network"},
    # Spotify's jobs may have workers of their own (the tests' workers talk to a fake Spotify).
    "wrapped.tasks.*": {"queue": env_str("SPOTIFY_QUEUE", "network")},
}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Running jobs stamp their row this often; a row whose stamp is older than JOB_STALLED_AFTER_SECONDS
# (its worker died as a whole) goes back to its task within a minute (core.jobs).
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 30)
JOB_STALLED_AFTER_SECONDS = env_int("JOB_STALLED_AFTER_SECONDS", 120)
# A job whose worker was lost this many times (a file that crashes it) is failed, never re-queued again.
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# `manage.py serve` (make run): the worker beside the server, and how long it may finish a task on Ctrl-C.
WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 2)
SERVE_WORKER_STOP_SECONDS = env_int("SERVE_WORKER_STOP_SECONDS", 10)
# A dead worker is replaced this many times within the window before `serve` gives up.
SERVE_WORKER_RESTARTS = env_int("SERVE_WORKER_RESTARTS", 5)
SERVE_WORKER_RESTART_WINDOW_SECONDS = env_int("SERVE_WORKER_RESTART_WINDOW_SECONDS", 60)
# Management commands `manage.py serve` runs once beside the server at each start (idempotent).
SERVE_SETUP_COMMANDS = [("built-in mastering references", ["populate_references"])]
CELERY_TIMEZONE = TIME_ZONE

# --- Storage ------------------------------------------------------------------

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
STORAGE_USES_S3 = bool(AWS_STORAGE_BUCKET_NAME)
if STORAGE_USES_S3:
    DEFAULT_STORAGE = {
        "BACKEND": "core.storage_s3.SignedS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            "signature_version": "s3v4",
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "path"),
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "core.storage_backends.SignedFileSystemStorage",
        "OPTIONS": {"allow_overwrite": True},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Where clients reach S3 when it differs from AWS_S3_ENDPOINT_URL (e.g. MinIO in docker-compose).
AWS_S3_PUBLIC_ENDPOINT_URL = env_str("AWS_S3_PUBLIC_ENDPOINT_URL")
PRESIGNED_URL_EXPIRES = env_int("PRESIGNED_URL_EXPIRES", 900)
# Largest body the local signed-URL endpoint accepts when a URL sets no limit.
STORAGE_LOCAL_MAX_UPLOAD_MB = env_int("STORAGE_LOCAL_MAX_UPLOAD_MB", 1024)
# Bytes PUT to an upload URL are deleted this long after the URL expired (core.staging).
STORAGE_STAGING_RETENTION_HOURS = env_int("STORAGE_STAGING_RETENTION_HOURS", 24)

# --- API ----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    # Proxies in front of the app that each append the address they saw to X-Forwarded-For. With 0
    # the header is ignored: a client can write anything in it, so it cannot name who is calling.
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    # DRF's three, with JSON nested over 64 levels refused before it is parsed (core.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.JSONFirstNegotiation",
    # `?format=` is a filter of the track library (mp3, flac, ...); renderers are chosen with this.
    "URL_FORMAT_OVERRIDE": "output_format",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Read by core.throttling for every request, like the rates below (tests change it).
TRUSTED_PROXY_COUNT = REST_FRAMEWORK["NUM_PROXIES"]
# "off" disables a throttle; otherwise DRF's "<count>/<second|minute|hour|day>".
THROTTLE_ANON_RATE = env_str("THROTTLE_ANON_RATE", "120/min")
THROTTLE_USER_RATE = env_str("THROTTLE_USER_RATE", "1200/min")
# Stricter limits of the token endpoints, per client address (IPv6: per /64). Login has a second
# one per account (the case-folded username), which wrong old passwords at /api/auth/password/ share.
THROTTLE_LOGIN_RATE = env_str("THROTTLE_LOGIN_RATE", "10/min")
THROTTLE_LOGIN_USERNAME_RATE = env_str("THROTTLE_LOGIN_USERNAME_RATE", "5/min")
THROTTLE_REGISTER_RATE = env_str("THROTTLE_REGISTER_RATE", "10/hour")
THROTTLE_REFRESH_RATE = env_str("THROTTLE_REFRESH_RATE", "30/min")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": True,
    # A refresh token works once: each refresh answers a new pair and blacklists the token it was given.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Tokens carry a digest of the password hash, checked on every request: whatever changes the
    # password (the API, the admin, changepassword) refuses every token issued before.
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Music platform API",
    # Markdown: Swagger UI and ReDoc both show it above the operations.
    "DESCRIPTION": "One backend for the track library, Guess The Track, the SoundCloud "
    "downloader, Spotify Wrapped, audio mastering analysis and the song catalogue.\n\n"
    "Start at the [API root](/api/), which links every endpoint. This schema as "
    "[YAML](/api/schema/) or [JSON](/api/schema/?format=json); the same docs as "
    "[Swagger UI](/api/docs/) or [ReDoc](/api/redoc/); curators use [the admin](/admin/).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would load it from validator.swagger.io (the docs load nothing from outside).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AssetUploadStatusEnum": "chants.models.AssetUpload.status_choices",
        "TrackStatusEnum": "tracks.models.Track.status_choices",
        # pending -> running -> done | failed: mastering's analyses and references, wrapped's runs.
        "JobRunStatusEnum": "mastering.models.Analysis.status_choices",
        "RecommendationLevelEnum": "mastering.models.RecommendationLevel",
        "DownloadStatusEnum": "downloads.models.Download.status_choices",
        "DownloadTrackStateEnum": "downloads.models.TrackState",
        "HealthStatusEnum": ["ok", "unavailable"],
        "SpotifyUnavailableCodeEnum": ["spotify_not_configured"],
    },
}

# --- Products -----------------------------------------------------------------

CHANTS_MAX_AUDIO_MB = env_int("CHANTS_MAX_AUDIO_MB", 200)
CHANTS_MAX_ARTWORK_MB = env_int("CHANTS_MAX_ARTWORK_MB", 10)
TRACKS_MAX_UPLOAD_MB = env_int("TRACKS_MAX_UPLOAD_MB", 500)
TRACKS_TRANSCODE_TIMEOUT_SECONDS = env_int("TRACKS_TRANSCODE_TIMEOUT_SECONDS", 900)
MASTERING_MAX_UPLOAD_MB = env_int("MASTERING_MAX_UPLOAD_MB", 500)
MASTERING_MAX_SECONDS = env_int("MASTERING_MAX_SECONDS", 4 * 3600)
MASTERING_TASK_TIME_LIMIT_SECONDS = env_int("MASTERING_TASK_TIME_LIMIT_SECONDS", 1800)
# SoundCloud downloads (downloads app): see the README's "Downloads" section.
DOWNLOADS_MAX_TRACKS = env_int("DOWNLOADS_MAX_TRACKS", 50)
DOWNLOADS_CONCURRENCY = env_int("DOWNLOADS_CONCURRENCY", 4)
DOWNLOADS_MAX_ACTIVE_PER_USER = env_int("DOWNLOADS_MAX_ACTIVE_PER_USER", 3)  # pending or running at once
DOWNLOADS_URL_TTL = env_int("DOWNLOADS_URL_TTL", 3600)
DOWNLOADS_RETENTION_HOURS = env_int("DOWNLOADS_RETENTION_HOURS", 24)
# Hosts a track URL may name: "example.com" exactly that host, ".example.com" it and its subdomains.
# Only an exact entry may resolve to a private, loopback or link-local address.
DOWNLOADS_ALLOWED_HOSTS = env_list("DOWNLOADS_ALLOWED_HOSTS", [".soundcloud.com"])
# SoundCloud's media CDNs: reached only while the SoundCloud extractor fetches a soundcloud.com track.
DOWNLOADS_SOUNDCLOUD_MEDIA_HOSTS = env_list("DOWNLOADS_SOUNDCLOUD_MEDIA_HOSTS", [".sndcdn.com", ".soundcloud.cloud"])
DOWNLOADS_TRACK_TIMEOUT_SECONDS = env_int("DOWNLOADS_TRACK_TIMEOUT_SECONDS", 300)  # fetching; converting again
DOWNLOADS_MAX_TRACK_MB = env_int("DOWNLOADS_MAX_TRACK_MB", 500)
# Below SoundCloud's limit of about 600 requests per 10 minutes, shared by every worker (core.pacing).
SOUNDCLOUD_REQUESTS_PER_10_MINUTES = env_int("SOUNDCLOUD_REQUESTS_PER_10_MINUTES", 500)
SOUNDCLOUD_CLIENT_ID = env_str("SOUNDCLOUD_CLIENT_ID")
SOUNDCLOUD_CLIENT_SECRET = env_str("SOUNDCLOUD_CLIENT_SECRET")
SOUNDCLOUD_AUTH_TOKEN = env_str("SOUNDCLOUD_AUTH_TOKEN")
# Spotify (wrapped app): see the README's "Spotify Wrapped" section.
SPOTIFY_CLIENT_ID = env_str("SPOTIFY_CLIENT_ID")
SPOTIFY_CLIENT_SECRET = env_str("SPOTIFY_CLIENT_SECRET")
SPOTIFY_REDIRECT_URI = env_str("SPOTIFY_REDIRECT_URI")
SPOTIFY_API_BASE_URL = env_str("SPOTIFY_API_BASE_URL", "https://api.spotify.com/v1/")
SPOTIFY_ACCOUNTS_BASE_URL = env_str("SPOTIFY_ACCOUNTS_BASE_URL", "https://accounts.spotify.com/")
# Fernet keys for the stored refresh tokens, newest first (wrapped.crypto); one derived from
# DJANGO_SECRET_KEY is always tried last.
SPOTIFY_TOKEN_KEYS = env_list("SPOTIFY_TOKEN_KEYS", [])
# `development` (every app without extended quota) or `extended`: which requests the jobs make.
SPOTIFY_QUOTA_MODE = env_str("SPOTIFY_QUOTA_MODE", "development")
if SPOTIFY_QUOTA_MODE not in ("development", "extended"):
    raise ImproperlyConfigured('SPOTIFY_QUOTA_MODE is "development" or "extended".')
# The app's requests per rolling 30 s, shared by every worker; a 429's Retry-After over the wait
# limit reschedules the user's task instead of holding a worker.
SPOTIFY_REQUESTS_PER_30_SECONDS = env_int("SPOTIFY_REQUESTS_PER_30_SECONDS", 150)
SPOTIFY_MAX_WAIT_SECONDS = env_int("SPOTIFY_MAX_WAIT_SECONDS", 60)

# A whole batch: every track's fetch and conversion at the configured concurrency, and the zip.
DOWNLOADS_TASK_TIME_LIMIT_SECONDS = (
    -(-DOWNLOADS_MAX_TRACKS // DOWNLOADS_CONCURRENCY) * 2 * DOWNLOADS_TRACK_TIMEOUT_SECONDS + 600
)

# The longest hard time limit of any task (the transcode's: its ffmpeg timeout, then the worker's
# soft and hard limits). Redis hands an unacknowledged task to another worker after the visibility
# timeout: above that limit, so a task still running is never delivered twice by the broker.
JOB_LONGEST_TIME_LIMIT_SECONDS = max(
    TRACKS_TRANSCODE_TIMEOUT_SECONDS + 90,
    MASTERING_TASK_TIME_LIMIT_SECONDS + 30,
    DOWNLOADS_TASK_TIME_LIMIT_SECONDS + 60,
)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": JOB_LONGEST_TIME_LIMIT_SECONDS + 300}
else:  # one folder both ways: every process of this machine sends to and takes from it
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),  # its exchange tables (default: the cwd)
        "store_processed": False,
    }

# --- Security (production) ----------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# The health endpoint is probed over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]

# --- Logging ------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FILE = env_str("LOG_FILE")
LOGGING = build_logging(level=LOG_LEVEL, log_file=LOG_FILE)
