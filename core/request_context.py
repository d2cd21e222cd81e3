"""The public base URL of the request being served, for building absolute URLs deep in services."""

from contextvars import ContextVar

from django.conf import settings

_base_url: ContextVar[str] = ContextVar("base_url", default="")

FALLBACK_BASE_URL = "http://127.0.0.1:8000"


def set_base_url(value: str):
    return _base_url.set(value.rstrip("/"))


def reset_base_url(token) -> None:
    _base_url.reset(token)


def public_base_url() -> str:
    """PUBLIC_BASE_URL when configured, else the current request's scheme and host."""
    return settings.PUBLIC_BASE_URL or _base_url.get() or FALLBACK_BASE_URL
