"""ETags and the If-Match / If-None-Match checks that go with them."""

import hashlib


def make_etag(*parts) -> str:
    digest = hashlib.sha1(":".join(str(part) for part in parts).encode(), usedforsecurity=False)
    return f'"{digest.hexdigest()[:32]}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def none_match(header: str | None, etag: str) -> bool:
    """True when If-None-Match names this representation (weak comparison): answer 304."""
    if not header:
        return False
    tags = _tags(header)
    return "*" in tags or etag in tags


def if_match_fails(header: str | None, etag: str) -> bool:
    """True when an If-Match header is present and names none of this resource's tags."""
    if header is None:
        return False
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    return "*" not in tags and etag not in tags
