"""File names of the MP3s in a download's zip: `{Artist} - {Title}.mp3`, safe on every desktop.

A zip made here is unpacked on Windows, macOS and Linux, so a name keeps only what all three
accept, and it can never leave the folder it is unpacked into:

* Removed: the characters Windows forbids (``< > : " / \\ | ? *``), control characters (NUL
  included), and the Unicode format characters that can disguise a name (right-to-left
  overrides, zero-width joiners are kept out of the visible name). Unicode letters and emoji
  stay: every current file system stores them.
* Runs of whitespace become one space; leading and trailing spaces and dots are dropped
  (Windows drops them itself, and a name of only dots would be ``.`` or ``..``).
* Windows' reserved device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension) get
  a leading underscore.
* At most 150 characters including ``.mp3`` (the old backend's rule) and at most 255 bytes in
  UTF-8 (Linux's limit, which 150 four-byte emoji would pass): the title is shortened first.
* Within one zip, names that differ only in letter case are duplicates (Windows and macOS would
  overwrite one with the other): the second becomes ``Name (2).mp3``, the third ``Name (3).mp3``.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARACTERS = 150
MAX_BYTES = 255
EXTENSION = ".mp3"

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WHITESPACE = re.compile(r"\s+")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


def clean(text: str) -> str:
    """`text` with the characters unsafe in a file name removed and its whitespace tidied."""
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text or ""))  # tabs, newlines: spaces
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = _FORBIDDEN.sub("", text)
    return _WHITESPACE.sub(" ", text).strip(" .")


def _fits(name: str) -> bool:
    return len(name) <= MAX_CHARACTERS and len(name.encode("utf-8")) <= MAX_BYTES


def _shortened(text: str, *, before: str, after: str) -> str:
    """The longest start of `text` such that `before + start + after` fits (whole characters)."""
    while text and not _fits(before + text + after):
        text = text[:-1]
    return text.rstrip(" .")


def entry_name(*, artist: str, title: str, fallback: str, suffix: str = "") -> str:
    """`{Artist} - {Title}{suffix}.mp3`; `fallback` (an id) names a track without a usable title."""
    artist, title = clean(artist), clean(title)
    title = title or clean(fallback) or "track"
    prefix = f"{artist} - " if artist else ""
    tail = f"{suffix}{EXTENSION}"
    stem = prefix + title
    if not _fits(stem + tail):
        # The title gives way first; the artist too only when it alone leaves no room.
        short_title = _shortened(title, before=prefix, after=tail)
        stem = prefix + short_title if short_title else _shortened(stem, before="", after=tail)
    stem = stem or "track"
    if _RESERVED.match(stem):
        stem = "_" + _shortened(stem, before="_", after=tail)
    return stem + tail


def unique_names(tracks: list[tuple[str, str, str]]) -> list[str]:
    """Zip entry names for (artist, title, fallback) triples, in order, without case-insensitive duplicates."""
    taken: set[str] = set()
    names = []
    for artist, title, fallback in tracks:
        name = entry_name(artist=artist, title=title, fallback=fallback)
        number = 1
        while name.casefold() in taken:
            number += 1
            name = entry_name(artist=artist, title=title, fallback=fallback, suffix=f" ({number})")
        taken.add(name.casefold())
        names.append(name)
    return names
