"""A logging filter that keeps credentials out of every log line.

It runs on every handler (config.logging) and rewrites the record itself, before any
formatter sees it: the message with its arguments already substituted, the traceback text
of `exc_info` and the stack of `stack_info`. So a token cannot come back through a
formatter that expands the arguments again or prints the exception.
"""

import logging
import re

# Query parameters and JSON/form fields whose values are credentials: every name with one of these
# words in it (access_token, X-Amz-Security-Token, old_password, client_secret, csrfmiddlewaretoken),
# and these names exactly (an OAuth callback's code and its signed state).
_SECRET_WORDS = r"token|password|passwd|secret|signature|credential|api_?key|authorization"
_SECRET_EXACT = r"code|state|access|refresh|client_id|sessionid|jwt"
_SECRET_NAMES = rf"[\w.-]*(?:{_SECRET_WORDS})[\w.-]*|(?:{_SECRET_EXACT})"
# A query parameter, its URL as it was sent or URL-encoded once or more inside another URL (a
# redirect's `next=`, an access line quoting it): `?`, `&` (or an HTML page's `&amp;`) and `=`
# written as they are, or as %3F, %26 and %3D, or %253F... when encoded twice. The value runs to
# the next `&` of its own level: a parameter of the inner URL ends at its %26.
_QUERY_SECRET = re.compile(
    rf"(?i)(?P<prefix>(?:[?&]|&amp;|%(?P<level>(?:25)*)(?:3f|26))(?:{_SECRET_NAMES})(?:=|%(?:25)*3d))"
    r"(?:(?!%(?P=level)26)[^&\s\"'<>])+"
)
# A bare query string (gunicorn's %(q)s, a logged form body): its first parameter has no `?` or `&`
# before it. Only when an `&` follows, so that words like `state=running` in a message are kept.
_BARE_QUERY_SECRET = re.compile(rf"(?i)(?P<prefix>(?:^|(?<=[\s\"'(\[,]))(?:{_SECRET_NAMES})=)[^&\s\"'<>]+(?=&)")
# "name": "value" and 'name': ['value'] (a dict's or a QueryDict's repr).
_JSON_SECRET = re.compile(rf"(?i)([\"'](?:{_SECRET_NAMES})[\"']\s*:\s*\[?\s*[\"'])[^\"']+")
# "Bearer <token>", and SoundCloud's "OAuth <token>" (a word of 16 characters or more after it).
_BEARER = re.compile(r"(?i)(bearer\s+|oauth\s+(?=[A-Za-z0-9._~+/=-]{16}))[A-Za-z0-9._~+/=-]+")
# The local storage endpoint carries its signed token in the path. Without the leading slash
# too: the URL resolver's errors name the path as 'api/storage/<token>/'.
_STORAGE_PATH = re.compile(r"(api/storage/)[^/\s?#\"'<>]+")
# Signed tokens wherever they appear (an exception's message, a repr, a URL): a JWT (two base64
# JSON parts, "eyJ..." each, and a signature) or a django.core.signing value (value:signature or
# value:timestamp:signature, the signature 43 characters of base64, HMAC-SHA256 without padding),
# its colons also URL-encoded once or more (%3A, %253A). It starts after a character that cannot
# be part of it, or right after a %XX escape (`state%3D.eJy...`), never inside one.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_COLON = r"(?::|%(?:25)*3[aA])"
_SIGNED_VALUE = re.compile(
    rf"(?:(?<=%[0-9A-Fa-f]{{2}})|(?<![A-Za-z0-9_.%-]))"
    rf"[A-Za-z0-9_.-]+(?:{_COLON}[A-Za-z0-9_-]+)?{_COLON}[A-Za-z0-9_-]{{43}}(?![A-Za-z0-9_-])"
)

REDACTED = "[redacted]"

# Formats tracebacks the way logging.Formatter does by default, so the redacted text reads the same.
_TRACEBACKS = logging.Formatter()


def redact(text: str) -> str:
    text = _QUERY_SECRET.sub(rf"\g<prefix>{REDACTED}", text)
    text = _BARE_QUERY_SECRET.sub(rf"\g<prefix>{REDACTED}", text)
    text = _JSON_SECRET.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    text = _STORAGE_PATH.sub(rf"\1{REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    return _SIGNED_VALUE.sub(REDACTED, text)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001
        # A log call whose arguments do not fit its format: logging would print msg and args
        # raw in its "--- Logging error ---" report, so they are printed here instead, redacted.
        return f"{record.msg} (arguments that do not fit the message: {record.args!r})"


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # The arguments are folded into the message so no formatter or later handler can expand
        # them unredacted (records are shared by every handler they reach).
        record.msg = redact(_message(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set instead of formatting exc_info again.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
