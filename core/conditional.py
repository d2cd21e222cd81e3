"""ETags and the If-Match / If-None-Match checks that go with them.

An ETag here is `"<version>"`, or `"<version>.<url window>"` for representations that
embed presigned URLs. The window part changes every half URL lifetime, so a client
revalidating a cached copy (If-None-Match → 304) never keeps URLs that are about to
expire. If-Match compares only the version: an editor is refused (412) when the data
changed, not because time passed.
"""

import hashlib
import time

from django.conf import settings


def _version(*parts) -> str:
    digest = hashlib.sha1(":".join(str(part) for part in parts).encode(), usedforsecurity=False)
    return digest.hexdigest()[:32]


def url_window() -> int:
    """The current half-lifetime window of presigned URLs."""
    return int(time.time() // max(1, settings.PRESIGNED_URL_EXPIRES // 2))


def make_etag(*parts, with_urls: bool = False) -> str:
    version = _version(*parts)
    return f'"{version}.{url_window()}"' if with_urls else f'"{version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def _version_of(tag: str) -> str:
    return tag.strip('"').split(".", 1)[0]


def none_match(header: str | None, etag: str) -> bool:
    """True when If-None-Match names this representation (weak comparison): answer 304."""
    if not header:
        return False
    tags = _tags(header)
    return "*" in tags or etag in tags


def if_match_fails(header: str | None, etag: str) -> bool:
    """True when an If-Match header is present and names no version of this resource."""
    if header is None:
        return False
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in tags:
        return False
    current = _version_of(etag)
    return all(tag.startswith("W/") or _version_of(tag) != current for tag in tags)
