"""The local filesystem's stand-in for S3 presigned URLs: PUT and GET with a signed token.

Objects are served on the site's own origin, so every answer is locked down: the type and
disposition the project chose for the key (core.storage.served_headers), `nosniff`, and a
sandboxing Content-Security-Policy, so even a file that slipped through as HTML could run
no script here. PUTs only land on staging keys, and only with a Content-Length.
"""

import logging
import os
import tempfile

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.storage import SignedUrlError, is_staging_key, read_signed_token, served_headers, uses_s3

logger = logging.getLogger(__name__)
CHUNK_SIZE = 1024 * 1024
LOCKED_DOWN = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"}


def _locked_down(response):
    for name, value in LOCKED_DOWN.items():
        response[name] = value
    return response


def _error(status: int, detail: str) -> JsonResponse:
    return _locked_down(JsonResponse({"detail": detail}, status=status))


@csrf_exempt
@require_http_methods(["GET", "HEAD", "PUT"])
def signed_object(request, token: str):
    if uses_s3():
        return _error(404, "Signed URLs are served by the object store in this deployment.")
    method = "GET" if request.method == "HEAD" else request.method
    try:
        payload = read_signed_token(token, method)
        path = default_storage.path(payload["k"])
    except SignedUrlError as exc:
        return _error(403, str(exc))
    except SuspiciousFileOperation:
        return _error(403, "This URL names an object outside the storage area.")
    if method == "PUT":
        return _put(request, payload, path)
    return _get(request, payload, path)


def _get(request, payload: dict, path: str):
    if not os.path.isfile(path):
        return _error(404, "The object does not exist.")
    content_type, disposition = served_headers(payload["k"], payload.get("fn"))
    response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 - FileResponse closes it
    response["Content-Disposition"] = disposition
    return _locked_down(response)


def _put(request, payload: dict, path: str):
    if not is_staging_key(payload["k"]):  # only core.storage signs PUTs, and only for staging keys
        return _error(403, "This URL cannot be used to upload.")
    expected_type = payload.get("ct")
    if expected_type and request.content_type != expected_type:
        return _error(403, f"This URL requires Content-Type: {expected_type}.")
    limit = payload.get("max") or settings.STORAGE_LOCAL_MAX_UPLOAD_MB * 1024 * 1024
    declared = request.META.get("CONTENT_LENGTH", "")
    # Without a length (a chunked body) the WSGI server hands Django an empty stream: storing
    # that and answering 200 would report success for bytes never stored. S3 answers 411 too.
    if not declared.isdigit() or "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return _error(411, "Send the body with a Content-Length header (chunked uploads are not accepted).")
    if int(declared) > limit:
        return _error(413, f"The body is larger than the {limit} bytes this URL accepts.")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Write beside the target and rename, so readers never see a half-written object.
    handle, temp_path = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
    written = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := request.read(CHUNK_SIZE):
                written += len(chunk)
                if written > limit:
                    raise _TooLarge(limit)
                out.write(chunk)
        if written != int(declared):  # the client hung up early: keep nothing
            os.unlink(temp_path)
            return _error(400, f"The body ended after {written} of the {declared} bytes announced.")
        os.replace(temp_path, path)
    except _TooLarge:
        os.unlink(temp_path)
        return _error(413, f"The body is larger than the {limit} bytes this URL accepts.")
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    logger.info("stored object of %s bytes through a signed URL", written)
    return _locked_down(HttpResponse(status=200))


class _TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit
