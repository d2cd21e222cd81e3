"""API error conventions: every error body has a `detail` that says what is wrong."""

import logging
import math
from http.client import responses as reason_phrases

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    ObjectDoesNotExist,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class NotFound(Exception):
    """A service's refusal: what the caller named does not exist, or is not theirs (404)."""

    def __init__(self, detail: str = "Not found."):
        super().__init__(detail)
        self.detail = detail


class Invalid(Exception):
    """A service's refusal of its input (400): a message, or messages per field like a serializer's."""

    def __init__(self, errors: str | dict):
        super().__init__(errors)
        self.errors = errors


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you read it (If-Match does not match)."
    default_code = "precondition_failed"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class UpstreamUnavailable(exceptions.APIException):
    """An outside service the request needs (Spotify) could not be reached or failed: try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "An outside service this needs is unavailable; try again later."
    default_code = "upstream_unavailable"


class LimitReached(exceptions.APIException):
    """A service's refusal because the caller has as many of something at once as allowed (429).

    `retry_after` (whole seconds, at least 1) is sent as the `Retry-After` header: when asking
    again has a fair chance, which only the service knows (how long what it counts lasts).
    """

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "You have as many of these at once as allowed; try again later."
    default_code = "limit_reached"

    def __init__(self, detail: str | None = None, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = max(math.ceil(retry_after), 1)


class UnsupportedMediaType(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "Unsupported media type."
    default_code = "unsupported_media_type"


def body_error(exc) -> exceptions.APIException | None:
    """The API error for Django's refusal of a request body (over its limits, malformed), else None.

    Django raises these while reading the body (request.body, request.POST, its multipart
    parser). Raised in a view they reach exception_handler; raised before one (by middleware),
    bad_request. Either way the answer is JSON, not Django's HTML 400 page.
    """
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return PayloadTooLarge(
            f"The request body is larger than the {limit} bytes the API accepts "
            "(files in a multipart upload do not count)."
        )
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError(f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields.")
    if isinstance(exc, TooManyFilesSent):
        return exceptions.ParseError(f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files.")
    if isinstance(exc, MultiPartParserError):
        # DRF's parser words its own like this; Django's request.POST (read by a session's CSRF check) raises them raw.
        return exceptions.ParseError(f"Multipart form parse error - {exc}")
    return None


def exception_handler(exc, context):
    """DRF's handler, plus the services' errors and Django's lookup, validation and body errors."""
    if isinstance(exc, NotFound):
        exc = exceptions.NotFound(exc.detail)
    elif isinstance(exc, Invalid):
        exc = exceptions.ValidationError(exc.errors)
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    else:
        exc = body_error(exc) or exc
    response = drf_exception_handler(exc, context)
    if isinstance(exc, LimitReached) and response is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def wants_json(request) -> bool:
    """Whether an error answer to this request is JSON: everything under /api/ (admin and login pages keep HTML)."""
    return request.path.startswith("/api/")


# The words of DRF's own answers for the same statuses, so an error reads the same wherever it is raised.
_DETAILS = {
    400: "Bad request.",
    403: str(exceptions.PermissionDenied.default_detail),
    404: str(exceptions.NotFound.default_detail),
    500: "Internal server error.",
}


def error_response(request, status_code: int) -> JsonResponse:
    """The JSON error for a status Django answered with a page of its own: `{"detail": ...}`."""
    if status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        detail = str(exceptions.MethodNotAllowed(request.method).detail)
    else:
        detail = _DETAILS.get(status_code) or f"{reason_phrases.get(status_code, 'Error')}."
    return JsonResponse({"detail": detail}, status=status_code)


def bad_request(request, exception=None):
    """handler400: what Django refuses outside a view (a bad Host, a body read by middleware)."""
    if not wants_json(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        # Django's own message suggests settings to change: for the operator's log, not the client.
        error = exceptions.ParseError("The Host header names a host this server does not serve.")
    else:
        error = body_error(exception) or exceptions.ParseError(_DETAILS[400])
    return JsonResponse({"detail": str(error.detail)}, status=error.status_code)


def permission_denied(request, exception=None):
    """handler403: a PermissionDenied raised outside DRF (DRF answers its own)."""
    if wants_json(request):
        return error_response(request, 403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    if wants_json(request):
        return error_response(request, 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if wants_json(request):
        return error_response(request, 500)
    return defaults.server_error(request)
