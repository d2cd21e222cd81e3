"""Settings for the test suite: the project's own settings with test-friendly defaults.

The services (DATABASE_URL, REDIS_URL, AWS_*) come from the environment that
`make test` (tests/stack.py) sets up; without them this is the embedded default.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-secret-key-not-used-anywhere-else")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
# Tests that want a worker start one; everything else runs tasks in-process.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("THROTTLE_ANON_RATE", "off")
os.environ.setdefault("THROTTLE_USER_RATE", "off")
os.environ.setdefault("THROTTLE_LOGIN_RATE", "off")
os.environ.setdefault("THROTTLE_LOGIN_USERNAME_RATE", "off")
os.environ.setdefault("THROTTLE_REGISTER_RATE", "off")
os.environ.setdefault("THROTTLE_REFRESH_RATE", "off")
# The embedded pass's files, cache and broker folder: one directory per test run, so two runs on
# one machine (a CI job beside `make mutate`) never clear each other's cache. Processes the run
# starts (a worker, `manage.py serve`) inherit it; the run that made it removes it at exit.
if "DATA_DIR" not in os.environ:
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="music-test-data-")
    atexit.register(shutil.rmtree, os.environ["DATA_DIR"], ignore_errors=True)
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# collectstatic does not run for tests: no manifest to look hashed names up in.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

# Downloads: the fake source (tests.fakes.source.py) listens on 127.0.0.1, allow-listed exactly
# (an exact entry is the only way a loopback address is fetched); a hung source is cut after a few seconds.
DOWNLOADS_ALLOWED_HOSTS = [".soundcloud.com", "127.0.0.1"]
DOWNLOADS_TRACK_TIMEOUT_SECONDS = 6

# The embedded pass's test database is a file, not SQLite's shared in-memory database: threads (a
# download's tracks) then each get a connection that waits for the write lock (WAL, busy timeout)
# as `make run`'s processes do, where the in-memory one fails with "database table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
