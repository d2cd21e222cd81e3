import logging
import time

from django.core.exceptions import DisallowedHost
from django.utils.log import log_response
from rest_framework.response import Response

from core import errors
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


class ApiJsonErrorsMiddleware:
    """Under /api/, every error is JSON with a `detail`, whatever DJANGO_DEBUG says.

    The handlers of config/urls.py (core.errors) answer JSON under /api/, but Django calls them
    only with DEBUG off: with DEBUG on it shows its technical 404 page (an unknown path, an id its
    pattern refuses) and its technical 500 page (an unhandled exception, and with status 400 a
    bad Host), whatever the handlers say. And views outside DRF answer a refused method with
    `require_http_methods`' empty HTML 405, DEBUG or not. So, under /api/ only:
    - the Host header is checked here, before CommonMiddleware's request.get_host() raises
      DisallowedHost, and refused with the 400 of core.errors.bad_request (logged as Django does);
    - an error answered by a page of Django's (not JSON, not a DRF Response, whose renderer the
      client chose) is replaced by core.errors' JSON for its status, keeping its Allow header.
      The exception behind a 500 has already been logged by Django, and its text stays out of the body.
    Outside /api/ (the admin, the browsable API's login) Django's own pages are kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not errors.wants_json(request):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost as exc:
            response = errors.bad_request(request, exc)
            security_logger = logging.getLogger("django.security.DisallowedHost")
            log_response(
                str(exc), exception=exc, request=request, response=response, level="error", logger=security_logger
            )
            return response
        response = self.get_response(request)
        if response.status_code < 400 or isinstance(response, Response) or _is_json(response):
            return response
        replacement = errors.error_response(request, response.status_code)
        if response.has_header("Allow"):
            replacement["Allow"] = response["Allow"]
        # Django logs an error once (the 500's traceback when it happened); the JSON is the same answer.
        replacement._has_been_logged = getattr(response, "_has_been_logged", False)
        return replacement


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"
