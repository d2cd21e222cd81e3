"""Artist and title guessed from an uploaded file's name, before any of its tags are read.

Names arrive as the user's system and habits made them: Windows browsers may send a
backslash path, rippers put a track number first ("01 - ", "1. "), underscores stand for
spaces, and a spaced dash (hyphen, en or em dash) separates the artist from the title.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

# Only a short suffix containing a letter is an extension: "Mr. Big - Song" has none.
_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")
# "01 - ", "1. ", "07) " — but not "50 Cent - ...", which has no separator after the number.
_LEADING_TRACK_NUMBER = re.compile(r"^\d{1,3}\s*[-.)]\s+")
_ARTIST_TITLE_SEPARATOR = re.compile(r"\s+[-–—]\s+")


def split_file_name(file_name: str) -> tuple[str, str]:
    """(artist, title) guessed from a file name: "01 - Artist - Title.flac" -> ("Artist", "Title")."""
    # Browsers on Windows may send backslash paths; either separator ends a directory.
    name = PurePosixPath(file_name.replace("\\", "/")).name.strip()
    stem = _EXTENSION.sub("", name).replace("_", " ")
    stem = " ".join(stem.split())
    stem = _LEADING_TRACK_NUMBER.sub("", stem)
    parts = _ARTIST_TITLE_SEPARATOR.split(stem, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    return "", stem
