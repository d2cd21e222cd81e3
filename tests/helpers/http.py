"""Send the bytes of a presigned request the way a client would, in either storage mode."""

from urllib.parse import urlsplit

import requests

TEST_SERVER = "testserver"


def put_bytes(client, url: str, data: bytes, headers: dict[str, str]) -> int:
    """PUT to a presigned URL: through the Django test client for local URLs, HTTP for S3."""
    parts = urlsplit(url)
    if parts.hostname == TEST_SERVER:
        content_type = headers.get("Content-Type", "application/octet-stream")
        # As HTTP clients do, even for an empty body (Django's test client leaves it out then).
        length = {"CONTENT_LENGTH": str(len(data))}
        return client.generic("PUT", parts.path, data, content_type=content_type, **length).status_code
    return requests.put(url, data=data, headers=headers, timeout=30).status_code


def get_bytes(client, url: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    if parts.hostname == TEST_SERVER:
        response = client.get(parts.path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, body
    response = requests.get(url, timeout=30)
    return response.status_code, response.content


def fetch(client, url: str) -> tuple[int, dict[str, str], bytes]:
    """GET a presigned URL in either mode: (status, headers with lower-case names, body)."""
    parts = urlsplit(url)
    if parts.hostname == TEST_SERVER:
        response = client.get(parts.path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, {name.lower(): value for name, value in response.items()}, body
    response = requests.get(url, timeout=30)
    return response.status_code, {name.lower(): value for name, value in response.headers.items()}, response.content
