"""Zip entry names: `{Artist} - {Title}.mp3`, safe on Windows, macOS and Linux, never leaving the zip's root."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from downloads.naming import MAX_BYTES, MAX_CHARACTERS, entry_name, unique_names


def name(artist: str, title: str, fallback: str = "123") -> str:
    return entry_name(artist=artist, title=title, fallback=fallback)


def test_artist_dash_title():
    assert name("Daft Punk", "One More Time") == "Daft Punk - One More Time.mp3"


def test_no_artist_is_the_title_alone():
    assert name("", "Intro") == "Intro.mp3"


@pytest.mark.parametrize(
    ("artist", "title", "expected"),
    [
        ("AC/DC", "Back in Black", "ACDC - Back in Black.mp3"),
        ("A\\B", 'Say "Hi"?', "AB - Say Hi.mp3"),
        ("x", "a<b>c:d|e*f", "x - abcdef.mp3"),
        ("x", "tab\there\nnewline", "x - tab here newline.mp3"),
        ("x", "nul\x00byte", "x - nulbyte.mp3"),
        ("x", "right\u202eto-left", "x - rightto-left.mp3"),
        ("  spaced  ", "  out.  ", "spaced - out.mp3"),
    ],
)
def test_unsafe_characters_are_removed(artist, title, expected):
    assert name(artist, title) == expected


def test_unicode_and_emoji_stay():
    assert name("Sigur Rós", "Hoppípolla 🎵") == "Sigur Rós - Hoppípolla 🎵.mp3"


def test_unicode_is_composed():
    assert name("Cafe\u0301", "x") == "Café - x.mp3"


@pytest.mark.parametrize("title", ["../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "C:\\Windows\\x"])
def test_paths_cannot_escape_the_root(title):
    result = name("", title)
    assert "/" not in result and "\\" not in result and ":" not in result
    assert not result.startswith(".")


@pytest.mark.parametrize("title", ["..", ".", " ", "", "///", "???"])
def test_a_title_with_nothing_left_is_named_by_the_fallback(title):
    assert name("", title, fallback="98765") == "98765.mp3"


@pytest.mark.parametrize("reserved", ["CON", "con", "PRN", "aux", "NUL", "COM1", "lpt9", "com¹", "CON.txt"])
def test_reserved_windows_names_get_an_underscore(reserved):
    assert name("", reserved) == f"_{reserved}.mp3"


def test_reserved_word_inside_a_longer_name_is_left_alone():
    assert name("Con", "Air") == "Con - Air.mp3"


def test_300_character_titles_are_shortened_to_150_keeping_the_artist():
    result = name("Artist", "t" * 300)
    assert len(result) == MAX_CHARACTERS
    assert result.startswith("Artist - ttt") and result.endswith("t.mp3")


def test_a_300_character_artist_still_fits():
    result = name("a" * 300, "Title")
    assert len(result) == MAX_CHARACTERS and result.endswith(".mp3")


def test_emoji_names_are_limited_to_255_bytes_too():
    result = name("🎧" * 10, "🔥" * 300)
    assert len(result.encode("utf-8")) <= MAX_BYTES
    assert result.startswith("🎧" * 10 + " - 🔥") and result.endswith(".mp3")


def test_shortening_does_not_end_the_name_with_a_space_or_dot():
    title = "x" * 131 + " . " + "y" * 50  # the cut lands on the space and dot
    result = name("Artist", title)
    assert not result[: -len(".mp3")].endswith((" ", "."))


def test_duplicates_are_numbered_case_insensitively():
    names = unique_names([("A", "b", "1"), ("a", "B", "2"), ("A", "b", "3"), ("C", "d", "4")])
    assert names == ["A - b.mp3", "a - B (2).mp3", "A - b (3).mp3", "C - d.mp3"]


def test_a_numbered_duplicate_of_a_long_name_still_fits():
    names = unique_names([("A", "t" * 300, "1"), ("A", "t" * 300, "2")])
    assert names[1].endswith(" (2).mp3") and len(names[1]) <= MAX_CHARACTERS
    assert names[0] != names[1]


@given(st.text(max_size=400), st.text(max_size=400))
def test_any_input_gives_a_safe_flat_name(artist, title):
    result = name(artist, title)
    assert result.endswith(".mp3")
    assert 4 < len(result) <= MAX_CHARACTERS and len(result.encode("utf-8")) <= MAX_BYTES
    assert not any(c in result for c in '<>:"/\\|?*') and not any(ord(c) < 32 for c in result)
    assert result[: -len(".mp3")].strip(" .") == result[: -len(".mp3")]
