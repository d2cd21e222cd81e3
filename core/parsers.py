"""The API's JSON parser: DRF's, refusing bodies nested deeper than MAX_JSON_DEPTH levels.

Python's json module recurses once per level of nesting, so about 2 KB of `[[[[...]]]]`
exhausts the interpreter's recursion limit (about 1000 frames, shared with the request's own
call stack) and the request ends in a RecursionError, a 500. A body just shallow enough to
parse is no safer: the code after the parser recurses over it too (a ChoiceField puts
str(value) in its error message, the browsable API and the JSON renderer walk the data), with
less stack left. So the depth is checked on the text, before json.loads builds anything,
against a limit no real client comes near (the deepest body the API takes, a track confirm,
is 3 levels): nothing after the parser ever sees more than 64 levels.

The other parsers cannot nest: form and multipart bodies are flat lists of fields. Their
size and field count are limited by Django (DATA_UPLOAD_MAX_MEMORY_SIZE,
DATA_UPLOAD_MAX_NUMBER_FIELDS), and core.errors turns those refusals into JSON 413 and 400.

Media types are case-insensitive, but Django's multipart parser checks that the raw
Content-Type starts with "multipart/", so `Multipart/Form-Data; boundary=...` was refused as
invalid. core.middleware rewrites the header with canonical_content_type() before anything
reads the body, for every parser (Django's request.POST, DRF's, a view's own parser_classes).
"""

import io
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels; the API accepts at most {MAX_JSON_DEPTH}."

# A JSON string (brackets inside it are text, not nesting) or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENING = frozenset("[{")

NOT_UNICODE = (
    "The request body contains text that is not valid Unicode (a lone surrogate such as \\ud800); "
    "send UTF-16 surrogates only in pairs."
)
# What can put a surrogate in a parsed string: a \uD800-\uDFFF escape, or one decoded as it is by
# an odd charset (utf-7 turns "+2AA-" into U+D800). Most bodies have neither, and skip the walk.
_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest more than `limit` levels deep."""
    # Most bodies have fewer brackets in all than the limit: no need to look closer.
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif len(token) == 1:
            depth -= 1
    return False


def has_surrogates(data) -> bool:
    """Whether any string of parsed JSON, key or value, holds a surrogate code point."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def canonical_content_type(value: str) -> str:
    """The media type in lower case, the parameters as they were (a multipart boundary is case-sensitive)."""
    media_type, separator, parameters = value.partition(";")
    return media_type.strip().lower() + separator + parameters


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            # Decoded as DRF will decode it: a body in UTF-16 or EBCDIC has no ASCII bracket bytes.
            text = body.decode(parsers.get_encoding(parser_context or {}))
        except (ParseError, UnicodeError):
            text = ""  # DRF's parse below answers these with its own 400
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            # Not reachable within the limit; kept so a mistake in the scan above is a 400, not a 500.
            raise ParseError(TOO_DEEP) from None
        # An escaped backslash (JSON "\\ud800", the six characters \ud800) matches the hint too: the walk decides.
        if _SURROGATE_HINT.search(text) and has_surrogates(data):
            raise ParseError(NOT_UNICODE)
        return data
