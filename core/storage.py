"""Object storage for every app: keys, presigned URLs, existence, deletion.

With S3 (or MinIO) presigned URLs come from boto3. With the local filesystem
they point at this app's own signed-URL endpoint (core.storage_views), signed
with django.core.signing and carrying their expiry, so clients do the same
thing in both modes: PUT the bytes to the upload URL, GET the download URL.

Upload URLs only ever target staging keys (`staging/<user id>/<random>`): a
presigned PUT cannot be made single-use, so the bytes a client sends are
checked and then copied to a final key that no upload URL can name
(core.staging). Download URLs carry the type and disposition the project
chose from the key's extension (core.media.served_type), never the client's.
"""

from __future__ import annotations

import contextlib
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse

from core import media
from core.request_context import public_base_url

STAGING_PREFIX = "staging/"
SIGNING_SALT = "core.storage.signed-url"
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._ ()+-]+")
MAX_FILE_NAME_LENGTH = 120


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    method: str
    headers: dict[str, str]
    expires_in: int


def uses_s3() -> bool:
    return settings.STORAGE_USES_S3


def safe_file_name(file_name: str) -> str:
    """The last path component of a client's file name, reduced to characters safe in a key."""
    name = file_name.replace("\\", "/").split("/")[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    name = _UNSAFE_CHARS.sub("_", name).strip(" .")
    if len(name) > MAX_FILE_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = stem[: MAX_FILE_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILE_NAME_LENGTH]
    return name or "file"


def user_key(user_id, *parts: str) -> str:
    """A key under the user's own prefix: users/<user id>/<parts...>."""
    return "/".join(["users", str(user_id), *parts])


def new_object_key(user_id, *parts: str, extension: str) -> str:
    """A fresh final key, users/<user id>/<parts...>/<random><extension>, so nothing is ever overwritten.

    `extension` comes from the checked content type (core.media.extension_for), never a file name.
    """
    return user_key(user_id, *parts, f"{uuid.uuid4().hex}{extension}")


def new_staging_key(user_id) -> str:
    """Where an upload URL lets a client put bytes before they are checked: staging/<user id>/<random>."""
    return f"{STAGING_PREFIX}{user_id}/{uuid.uuid4().hex}"


def is_staging_key(key: str) -> bool:
    return key.startswith(STAGING_PREFIX) and ".." not in key


def _expires(expires: int | None) -> int:
    return int(expires or settings.PRESIGNED_URL_EXPIRES)


def content_disposition(filename: str) -> str:
    fallback = safe_file_name(filename).replace('"', "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def served_headers(key: str, filename: str | None = None) -> tuple[str, str]:
    """(Content-Type, Content-Disposition) an object is served with, decided from its key.

    Allow-listed audio and images are inline unless a file name asks for a download; anything
    else is an attachment, so a browser never renders it on the site's (or the bucket's) origin.
    """
    served = media.served_type(key)
    if filename:
        return served.content_type, content_disposition(filename)
    if served.inline:
        return served.content_type, "inline"
    return served.content_type, content_disposition(key.rsplit("/", 1)[-1])


@lru_cache(maxsize=4)
def _presigning_client(endpoint_url: str):
    import boto3
    from botocore.config import Config

    options = default_storage
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=options.region_name,
        aws_access_key_id=options.access_key,
        aws_secret_access_key=options.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": options.addressing_style}),
    )


def _s3_client():
    """The client that signs URLs: for the public endpoint when clients reach S3 by another name.

    In docker-compose the app talks to http://minio:9000, a name browsers cannot resolve,
    and a presigned URL's signature covers the host, so it must be signed for the public one.
    """
    if settings.AWS_S3_PUBLIC_ENDPOINT_URL:
        return _presigning_client(settings.AWS_S3_PUBLIC_ENDPOINT_URL)
    return default_storage.connection.meta.client


def presigned_upload(
    key: str, content_type: str, expires: int | None = None, max_bytes: int | None = None
) -> PresignedUpload:
    """A URL the client PUTs the object's bytes to, with the headers it must send.

    Only staging keys can be targeted (see the module docstring). The content type is signed in
    its normal form, which is also the header the client is told to send.
    """
    if not is_staging_key(key):
        raise ValueError(f"upload URLs only target staging keys, not {key!r}")
    content_type = media.normalize_content_type(content_type) or media.GENERIC_BINARY
    expires_in = _expires(expires)
    headers = {"Content-Type": content_type}
    if uses_s3():
        url = _s3_client().generate_presigned_url(
            "put_object",
            Params={"Bucket": default_storage.bucket_name, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
    else:
        url = _local_url({"k": key, "m": "PUT", "ct": content_type, "max": max_bytes}, expires_in)
    return PresignedUpload(url=url, method="PUT", headers=headers, expires_in=expires_in)


def presigned_download(key: str, expires: int | None = None, filename: str | None = None) -> str:
    """A URL that GETs the object until it expires; `filename` makes browsers save it as such.

    The type and disposition are the project's (served_headers), on S3 through the response
    overrides that the signature covers, so a client cannot change them.
    """
    expires_in = _expires(expires)
    if uses_s3():
        content_type, disposition = served_headers(key, filename)
        params = {
            "Bucket": default_storage.bucket_name,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
        }
        return _s3_client().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in, HttpMethod="GET")
    return _local_url({"k": key, "m": "GET", "fn": filename}, expires_in)


def shared_download_url(key: str, filename: str | None = None) -> str:
    """A download URL that is the same for every caller within half the URL lifetime.

    For representations that embed URLs and are read far more often than written (a
    public song's detail): signing is done once per window per process instead of once
    per request, and the URL still has at least half its lifetime left when handed out.
    The window is the one core.conditional puts in ETags, so a 304 never keeps a URL
    that is about to expire.
    """
    from core.conditional import url_window

    return _memoised_download_url(
        uses_s3(),
        public_base_url(),
        settings.AWS_S3_PUBLIC_ENDPOINT_URL,
        settings.PRESIGNED_URL_EXPIRES,
        key,
        filename,
        url_window(),
    )


@lru_cache(maxsize=4096)
def _memoised_download_url(s3, base_url, public_endpoint, expires, key, filename, window) -> str:
    # Every argument that changes the URL is part of the memo key.
    return presigned_download(key, expires=expires, filename=filename)


def _local_url(payload: dict, expires_in: int) -> str:
    payload = {name: value for name, value in payload.items() if value is not None}
    payload["exp"] = int(time.time()) + expires_in
    token = signing.dumps(payload, salt=SIGNING_SALT)
    return f"{public_base_url()}{_signed_url_prefix()}{token}/"


@lru_cache(maxsize=1)
def _signed_url_prefix() -> str:
    return reverse("signed-object", kwargs={"token": "x"})[:-2]


class SignedUrlError(Exception):
    """The token of a local signed URL is tampered with, expired or for another method."""


def read_signed_token(token: str, method: str) -> dict:
    try:
        payload = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature as exc:
        raise SignedUrlError("The signature of this URL is not valid.") from exc
    if not _well_formed(payload):  # only this module signs payloads; a bad one is a bug, not a 500
        raise SignedUrlError("This URL is malformed.")
    if payload["m"] != method:
        raise SignedUrlError(f"This URL is not valid for {method}.")
    if payload["exp"] < time.time():
        raise SignedUrlError("This URL has expired.")
    return payload


# What _local_url signs: the key, the method and the expiry always; a type, a size limit and a file name maybe.
_PAYLOAD_TYPES = {"k": str, "m": str, "exp": int, "ct": str, "max": int, "fn": str}


def _well_formed(payload) -> bool:
    if not isinstance(payload, dict) or not {"k", "m", "exp"} <= payload.keys():
        return False
    return all(
        name in _PAYLOAD_TYPES
        and isinstance(value, _PAYLOAD_TYPES[name])
        and not isinstance(value, bool)
        and (name != "max" or value > 0)
        for name, value in payload.items()
    )


def save_file(key: str, local_path) -> None:
    """Store a local file's bytes under `key` (checked bytes reaching their final key)."""
    from django.core.files import File

    with open(local_path, "rb") as handle:
        save_exactly(key, File(handle))


def save_bytes(key: str, data: bytes) -> None:
    from django.core.files.base import ContentFile

    save_exactly(key, ContentFile(data))


def save_exactly(key: str, content) -> None:
    """Save `content` under exactly `key`; a storage that renames it is an error, not a silent twin."""
    stored_as = default_storage.save(key, content)
    if stored_as != key:
        default_storage.delete(stored_as)
        raise OSError(f"storage stored {key!r} as {stored_as!r}")


def copy_object(source: str, target: str) -> None:
    """Store a copy of the object at `source` under `target` (S3 copies it server side)."""
    if uses_s3():
        bucket = default_storage.bucket_name
        default_storage.connection.meta.client.copy_object(
            Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": source}
        )
        return
    with default_storage.open(source, "rb") as handle:
        save_exactly(target, handle)


def object_exists(key: str) -> bool:
    return bool(key) and default_storage.exists(key)


def object_size(key: str) -> int:
    return default_storage.size(key)


def object_sizes(keys) -> dict[str, int]:
    """The sizes of the objects at `keys`, read without their bytes; a key with no object is left out.

    On S3, one listing per folder (1,000 keys a request) rather than a HEAD per key: a confirm of
    500 uploads, all under one user's staging folder, asks S3 once instead of 500 times in a row.
    """
    keys = [key for key in dict.fromkeys(keys) if key]
    if not uses_s3():
        sizes = {}
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                sizes[key] = default_storage.size(key)
        return sizes
    wanted = set(keys)
    folders = sorted({key.rsplit("/", 1)[0] + "/" for key in keys})
    pages = default_storage.connection.meta.client.get_paginator("list_objects_v2")
    sizes = {}
    for folder in folders:
        for page in pages.paginate(Bucket=default_storage.bucket_name, Prefix=folder):
            for item in page.get("Contents", ()):
                if item["Key"] in wanted:
                    sizes[item["Key"]] = item["Size"]
    return sizes


def delete_objects(keys) -> None:
    """Delete the objects at these keys; missing ones are skipped (deletion is idempotent)."""
    for key in keys:
        if key:
            default_storage.delete(key)
