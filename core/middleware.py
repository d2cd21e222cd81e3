import logging
import time

from django.core.exceptions import DisallowedHost

from core.parsers import canonical_content_type
from core.request_context import reset_base_url, set_base_url

logger = logging.getLogger("core.requests")


class RequestLogMiddleware:
    """One line per request: method, path (never the query string), status, duration, user.

    As the first middleware it also prepares the request for the rest: the base URL of signed
    URLs, and a canonical Content-Type for every body parser after it (core.parsers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        content_type = request.META.get("CONTENT_TYPE")
        if content_type:
            request.META["CONTENT_TYPE"] = canonical_content_type(content_type)
        try:
            token = set_base_url(f"{request.scheme}://{request.get_host()}")
        except DisallowedHost:
            token = set_base_url("")
        try:
            response = self.get_response(request)
        finally:
            reset_base_url(token)
        duration_ms = (time.perf_counter() - started) * 1000
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        logger.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            user_id,
        )
        return response
