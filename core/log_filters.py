"""A logging filter that keeps credentials out of every log line."""

import logging
import re

# Query parameters and JSON/form fields whose values are credentials.
_SECRET_NAMES = (
    r"token|access|refresh|password|secret|signature|x-amz-signature|x-amz-credential"
    r"|x-amz-security-token|authorization|api_key|apikey|code"
)
_QUERY_SECRET = re.compile(rf"(?i)([?&](?:{_SECRET_NAMES})=)[^&\s\"']+")
_JSON_SECRET = re.compile(rf"(?i)([\"'](?:{_SECRET_NAMES})[\"']\s*:\s*[\"'])[^\"']+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
# The local storage endpoint carries its signed token in the path.
_STORAGE_PATH = re.compile(r"(/api/storage/)[^/\s?]+")

REDACTED = "[redacted]"


def redact(text: str) -> str:
    text = _QUERY_SECRET.sub(rf"\1{REDACTED}", text)
    text = _JSON_SECRET.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _STORAGE_PATH.sub(rf"\1{REDACTED}", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
