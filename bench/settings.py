"""Product settings plus a URLconf that adds the benchmark's reference views.

The reference views must never reach the product's URLconf, so the benchmark's
gunicorn runs with DJANGO_SETTINGS_MODULE=bench.settings instead.
"""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.reference_views"
