"""tracks.tags against real files made with ffmpeg and tagged with mutagen (no binaries committed)."""

from __future__ import annotations

import base64
import random
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from mutagen.flac import Picture
from mutagen.id3 import (
    APIC,
    COMM,
    ID3,
    TALB,
    TBPM,
    TCON,
    TDRC,
    TIT2,
    TKEY,
    TPE1,
    TPE2,
    TPOS,
    TPUB,
    TRCK,
    TSRC,
    TXXX,
    TYER,
    UFID,
    Encoding,
    PictureType,
)
from mutagen.oggvorbis import OggVorbis

from tests.helpers.media import image_bytes, make_tone, tone_bytes
from tests.helpers.tagging import tag_flac, tag_m4a, tag_mp3, tag_wav
from tracks.tags import (
    NOT_RECOGNISED,
    CoverArt,
    NotAudio,
    TagSet,
    parse_number,
    parse_position,
    read_audio_file,
    split_file_name,
    write_id3_tags,
)

RECORDING_ID = "2f1d0b5c-6e7a-4d8e-9a3b-1c2d3e4f5a6b"
ALBUM_ID = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
ARTIST_IDS = ["0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d", "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"]
RELEASE_GROUP_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"

# What MusicBrainz Picard (plus a ReplayGain scanner) writes into a FLAC file.
PICARD_VORBIS = {
    "TITLE": "Nuit Blanche — Été",
    "ARTIST": ["Ada", "Grace"],
    "ALBUMARTIST": "Ada",
    "ALBUM": "Routes",
    "DATE": "2021-03-05",
    "TRACKNUMBER": "3",
    "TRACKTOTAL": "12",
    "DISCNUMBER": "1",
    "DISCTOTAL": "2",
    "GENRE": "Electronic",
    "BPM": "128.00",
    "INITIALKEY": "8A",
    "ISRC": "GBAYE2100001",
    "LABEL": "Night Records",
    "COMMENT": "  mastered loud  ",
    "MUSICBRAINZ_TRACKID": RECORDING_ID,
    "MUSICBRAINZ_ALBUMID": ALBUM_ID,
    "MUSICBRAINZ_ARTISTID": ARTIST_IDS,
    "MUSICBRAINZ_ALBUMARTISTID": ARTIST_IDS[0],
    "MUSICBRAINZ_RELEASEGROUPID": RELEASE_GROUP_ID,
    "REPLAYGAIN_TRACK_GAIN": "-6.50 dB",
    "REPLAYGAIN_TRACK_PEAK": "0.988547",
    "REPLAYGAIN_ALBUM_GAIN": "-7.25 dB",
    "REPLAYGAIN_ALBUM_PEAK": "1.000000",
}

FULL_TAGS = TagSet(
    title="Nuit Blanche — Été",
    artist="Ada; Grace",
    album_artist="Ada",
    album="Routes",
    date="2021-03-05",
    track_number=3,
    track_total=12,
    disc_number=1,
    disc_total=2,
    genre="Electronic",
    bpm=128.0,
    initial_key="8A",
    isrc="GBAYE2100001",
    label="Night Records",
    comment="mastered loud",
    musicbrainz_track_id=RECORDING_ID,
    musicbrainz_album_id=ALBUM_ID,
    musicbrainz_artist_id="; ".join(ARTIST_IDS),
    musicbrainz_album_artist_id=ARTIST_IDS[0],
    musicbrainz_release_group_id=RELEASE_GROUP_ID,
    replaygain_track_gain_db=-6.5,
    replaygain_track_peak=0.988547,
    replaygain_album_gain_db=-7.25,
    replaygain_album_peak=1.0,
)


def _tone(tmp_path: Path, extension: str, name: str = "tone") -> Path:
    """A fresh copy of a cached 2-second tone, so tagging one test's file can't leak into another."""
    path = tmp_path / f"{name}.{extension}"
    path.write_bytes(tone_bytes(extension))
    return path


def _jpeg() -> bytes:
    return image_bytes("jpg")


# --- Properties ------------------------------------------------------------------------------


@pytest.mark.parametrize("sample_rate", [44100, 48000])
@pytest.mark.parametrize(
    ("extension", "expected_format"), [("mp3", "mp3"), ("flac", "flac"), ("wav", "wav"), ("aiff", "aiff")]
)
def test_properties_of_each_format(tmp_path, extension, expected_format, sample_rate):
    path = make_tone(tmp_path / f"tone.{extension}", seconds=2.0, sample_rate=sample_rate)

    properties = read_audio_file(path).properties

    assert properties.format == expected_format
    # MP3 without a Xing/LAME header: mutagen estimates from size and bitrate, padding included.
    assert properties.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert properties.sample_rate == sample_rate
    assert properties.channels == 2
    uncompressed_kbps = round(sample_rate * 2 * 16 / 1000)  # 16-bit stereo PCM
    expected_bitrate = {"mp3": 128, "wav": uncompressed_kbps, "aiff": uncompressed_kbps}
    if extension in expected_bitrate:
        assert properties.bitrate_kbps == expected_bitrate[extension]
    else:  # FLAC: whatever compression achieved, but less than the PCM it encodes
        assert 0 < properties.bitrate_kbps < uncompressed_kbps


@pytest.mark.parametrize(("extension", "expected_format"), [("ogg", "ogg"), ("opus", "opus"), ("m4a", "m4a")])
def test_format_names_of_other_containers(tmp_path, extension, expected_format):
    info = read_audio_file(_tone(tmp_path, extension))

    assert info.properties.format == expected_format
    assert info.properties.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert info.properties.channels == 2


def test_untagged_file_has_empty_tags_and_no_cover(tmp_path):
    info = read_audio_file(_tone(tmp_path, "wav"))

    assert info.tags == TagSet()
    assert info.cover is None


# --- Full tag sets ---------------------------------------------------------------------------


def test_full_tag_set_from_flac(tmp_path):
    path = tag_flac(_tone(tmp_path, "flac"), PICARD_VORBIS)

    assert read_audio_file(path).tags == FULL_TAGS


def _picard_id3_frames() -> list:
    """ID3v2.4 frames the way Picard, foobar2000 and iTunes leave them, written with raw mutagen."""
    utf8 = Encoding.UTF8
    txxx = {
        "MusicBrainz Album Id": [ALBUM_ID],
        "MusicBrainz Artist Id": ARTIST_IDS,
        "MusicBrainz Album Artist Id": [ARTIST_IDS[0]],
        "MusicBrainz Release Group Id": [RELEASE_GROUP_ID],
        "replaygain_track_gain": ["-6.50 dB"],  # lower case, as Picard writes it
        "REPLAYGAIN_TRACK_PEAK": ["0.988547"],  # upper case, as foobar2000 writes it
        "replaygain_album_gain": ["-7.25 dB"],
        "REPLAYGAIN_ALBUM_PEAK": ["1.000000"],
    }
    return [
        TIT2(encoding=utf8, text=["Nuit Blanche — Été"]),
        TPE1(encoding=utf8, text=["Ada", "Grace"]),
        TPE2(encoding=utf8, text=["Ada"]),
        TALB(encoding=utf8, text=["Routes"]),
        TDRC(encoding=utf8, text=["2021-03-05"]),
        TRCK(encoding=utf8, text=["3/12"]),
        TPOS(encoding=utf8, text=["1/2"]),
        TCON(encoding=utf8, text=["Electronic"]),
        TBPM(encoding=utf8, text=["128"]),
        TKEY(encoding=utf8, text=["8A"]),
        TSRC(encoding=utf8, text=["GBAYE2100001"]),
        TPUB(encoding=utf8, text=["Night Records"]),
        # iTunes' machine data comes first; it must not be taken for the comment.
        COMM(encoding=utf8, lang="eng", desc="iTunNORM", text=[" 00000123 00000456"]),
        COMM(encoding=utf8, lang="fra", desc="", text=["mastered loud "]),
        UFID(owner="http://musicbrainz.org", data=RECORDING_ID.encode()),
        *[TXXX(encoding=utf8, desc=desc, text=values) for desc, values in txxx.items()],
    ]


def _write_raw_id3(path: Path, frames: list, v2_version: int = 4) -> Path:
    id3 = ID3()
    for frame in frames:
        id3.add(frame)
    id3.save(path, v2_version=v2_version)
    return path


def test_full_tag_set_from_mp3(tmp_path):
    path = _write_raw_id3(_tone(tmp_path, "mp3"), _picard_id3_frames())

    assert read_audio_file(path).tags == FULL_TAGS


def test_id3v23_year_and_numeric_genre(tmp_path):
    # mutagen upgrades v2.3 on load: TYER becomes TDRC, and "(17)" is ID3v1 genre 17.
    frames = [TYER(encoding=Encoding.LATIN1, text=["1999"]), TCON(encoding=Encoding.LATIN1, text=["(17)"])]
    path = _write_raw_id3(_tone(tmp_path, "mp3"), frames, v2_version=3)

    tags = read_audio_file(path).tags

    assert (tags.date, tags.genre) == ("1999", "Rock")


def test_full_tag_set_and_cover_from_wav_with_id3_chunk(tmp_path):
    cover = CoverArt(data=image_bytes("png"), mime="image/png")
    path = tag_wav(_tone(tmp_path, "wav"), FULL_TAGS, cover)

    info = read_audio_file(path)

    assert info.properties.format == "wav"
    assert info.tags == FULL_TAGS
    assert info.cover == cover


def test_alternative_vorbis_keys_in_ogg(tmp_path):
    path = _tone(tmp_path, "ogg")
    audio = OggVorbis(path)
    audio.update(
        {
            "ALBUM ARTIST": "Ada",  # foobar2000's spelling
            "TRACKNUMBER": "4",
            "TOTALTRACKS": "9",
            "DISCNUMBER": "2/3",
            "KEY": "Am",
            "ORGANIZATION": "Night Records",
            "DESCRIPTION": "from the vault",
        }
    )
    audio.save()

    tags = read_audio_file(path).tags

    assert (tags.album_artist, tags.track_number, tags.track_total) == ("Ada", 4, 9)
    assert (tags.disc_number, tags.disc_total) == (2, 3)
    assert (tags.initial_key, tags.label, tags.comment) == ("Am", "Night Records", "from the vault")


def test_full_tag_set_from_mp4_atoms(tmp_path):
    itunes = "----:com.apple.iTunes:"
    path = tag_m4a(
        _tone(tmp_path, "m4a"),
        {
            "©nam": ["Nuit Blanche — Été"],
            "©ART": ["Ada", "Grace"],
            "aART": ["Ada"],
            "©alb": ["Routes"],
            "©day": ["2021-03-05"],
            "trkn": [(3, 12)],
            "disk": [(1, 2)],
            "©gen": ["Electronic"],
            "tmpo": [128],
            "©cmt": ["mastered loud"],
            itunes + "initialkey": ["8A"],
            itunes + "ISRC": ["GBAYE2100001"],
            itunes + "LABEL": ["Night Records"],
            itunes + "MusicBrainz Track Id": [RECORDING_ID],
            itunes + "MusicBrainz Album Id": [ALBUM_ID],
            itunes + "MusicBrainz Artist Id": ARTIST_IDS,
            itunes + "MusicBrainz Album Artist Id": [ARTIST_IDS[0]],
            itunes + "MusicBrainz Release Group Id": [RELEASE_GROUP_ID],
            itunes + "replaygain_track_gain": ["-6.50 dB"],
            itunes + "replaygain_track_peak": ["0.988547"],
            itunes + "replaygain_album_gain": ["-7.25 dB"],
            itunes + "replaygain_album_peak": ["1.000000"],
        },
        cover_png=image_bytes("png"),
    )

    info = read_audio_file(path)

    assert info.tags == FULL_TAGS
    assert info.cover == CoverArt(data=image_bytes("png"), mime="image/png")


# --- Lenient numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("128.00", 128.0),
        ("128", 128.0),
        (" 128,5 ", 128.5),
        ("-6.50 dB", -6.5),
        ("+1.20 dB", 1.2),
        ("1e-05", 1e-05),
        (".5", 0.5),
        ("fast", None),
        ("", None),
        ("dB -6", None),
        ("9" * 400, None),  # overflows to inf
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3/12", (3, 12)),
        ("03", (3, None)),
        (" 3 / 12 ", (3, 12)),
        ("0/12", (None, 12)),
        ("3/", (3, None)),
        ("/12", (None, 12)),
        ("A1", (None, None)),
        ("-1", (None, None)),
        ("3 of 12", (3, None)),
        ("123456789012345678901234567890", (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_position(text, expected):
    assert parse_position(text) == expected


def test_garbage_numbers_in_a_file_read_as_none(tmp_path):
    path = tag_flac(
        _tone(tmp_path, "flac"),
        {
            "TITLE": "Still Readable",
            "TRACKNUMBER": "side A",
            "TRACKTOTAL": "many",
            "DISCNUMBER": "1/2",
            "DISCTOTAL": "3",  # an explicit total wins over the one after the slash
            "BPM": "0",
            "REPLAYGAIN_TRACK_GAIN": "loud",
            "REPLAYGAIN_TRACK_PEAK": "-0.5",
        },
    )

    tags = read_audio_file(path).tags

    assert tags.title == "Still Readable"
    assert (tags.track_number, tags.track_total) == (None, None)
    assert (tags.disc_number, tags.disc_total) == (1, 3)
    assert tags.bpm is None
    assert tags.replaygain_track_gain_db is None
    assert tags.replaygain_track_peak is None


# --- Cover art -------------------------------------------------------------------------------


def test_flac_front_cover_is_preferred_and_mime_comes_from_the_bytes(tmp_path):
    path = _tone(tmp_path, "flac")
    tag_flac(path, {}, _jpeg(), cover_mime="image/jpeg", picture_type=PictureType.COVER_BACK)
    tag_flac(path, {}, image_bytes("png"), cover_mime="image/jpeg")  # a PNG labelled JPEG

    cover = read_audio_file(path).cover

    assert cover == CoverArt(data=image_bytes("png"), mime="image/png")


def test_flac_without_front_cover_falls_back_to_first_picture(tmp_path):
    path = tag_flac(_tone(tmp_path, "flac"), {}, _jpeg(), cover_mime="", picture_type=PictureType.OTHER)

    assert read_audio_file(path).cover == CoverArt(data=_jpeg(), mime="image/jpeg")


def test_mp3_front_cover_apic_is_preferred(tmp_path):
    path = _write_raw_id3(
        _tone(tmp_path, "mp3"),
        [
            APIC(encoding=Encoding.UTF8, mime="image/jpeg", type=PictureType.ARTIST, desc="band", data=_jpeg()),
            APIC(
                encoding=Encoding.UTF8, mime="image/png", type=PictureType.COVER_FRONT, desc="", data=image_bytes("png")
            ),
        ],
    )

    assert read_audio_file(path).cover == CoverArt(data=image_bytes("png"), mime="image/png")


def test_itunes_machine_comments_are_not_the_comment(tmp_path):
    frames = [COMM(encoding=Encoding.UTF8, lang="eng", desc="iTunSMPB", text=[" 00000000 00000210"])]
    path = _write_raw_id3(_tone(tmp_path, "mp3"), frames)

    assert read_audio_file(path).tags.comment == ""


def test_apic_link_without_image_data_is_not_a_cover(tmp_path):
    # mime "-->" means the data is a URL to the picture, not the picture itself.
    link = APIC(encoding=Encoding.UTF8, mime="-->", type=PictureType.COVER_FRONT, desc="", data=b"http://x/a.jpg")
    path = _write_raw_id3(_tone(tmp_path, "mp3"), [link])

    assert read_audio_file(path).cover is None


def test_ogg_cover_from_metadata_block_picture(tmp_path):
    path = _tone(tmp_path, "ogg")
    picture = Picture()
    picture.type, picture.mime, picture.data = PictureType.COVER_FRONT, "image/jpeg", _jpeg()
    audio = OggVorbis(path)
    audio["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii"), "not base64!"]
    audio.save()

    assert read_audio_file(path).cover == CoverArt(data=_jpeg(), mime="image/jpeg")


# --- Writing ID3 -----------------------------------------------------------------------------


def test_flac_tags_and_cover_survive_the_trip_into_an_mp3(tmp_path):
    flac = tag_flac(_tone(tmp_path, "flac"), PICARD_VORBIS, image_bytes("png"))
    source = read_audio_file(flac)
    mp3 = _tone(tmp_path, "mp3")

    write_id3_tags(mp3, source.tags, source.cover)
    copied = read_audio_file(mp3)

    assert source.tags == FULL_TAGS
    assert copied.tags == source.tags
    assert copied.cover is not None and copied.cover.data == image_bytes("png")
    assert copied.cover == source.cover


def test_written_frames_are_the_standard_ones(tmp_path):
    path = _tone(tmp_path, "mp3")
    write_id3_tags(path, FULL_TAGS, CoverArt(data=_jpeg(), mime="image/jpeg"))

    id3 = ID3(path)

    assert id3.version == (2, 4, 0)
    assert "TSSE" not in id3  # ffmpeg's encoder frame was replaced, not kept
    assert id3["TRCK"].text == ["3/12"]
    assert id3["TPOS"].text == ["1/2"]
    assert id3["UFID:http://musicbrainz.org"].data == RECORDING_ID.encode()
    assert id3["TXXX:MusicBrainz Album Id"].text == [ALBUM_ID]
    assert id3["TXXX:MusicBrainz Release Group Id"].text == [RELEASE_GROUP_ID]
    assert id3["TXXX:REPLAYGAIN_TRACK_GAIN"].text == ["-6.50 dB"]
    assert id3["TXXX:REPLAYGAIN_TRACK_PEAK"].text == ["0.988547"]
    assert id3["TXXX:REPLAYGAIN_ALBUM_PEAK"].text == ["1.000000"]
    [apic] = id3.getall("APIC")
    assert (apic.type, apic.mime, apic.data) == (PictureType.COVER_FRONT, "image/jpeg", _jpeg())


@pytest.mark.parametrize(
    "tags",
    [
        TagSet(),
        TagSet(title="Only a title"),
        TagSet(bpm=127.5, replaygain_track_gain_db=-6.534, replaygain_track_peak=0.98854712),
        TagSet(track_total=12, disc_number=2),  # a total without a number, a number without a total
        TagSet(date="2021", genre="Rock; Pop", artist="Ada; Grace"),
        TagSet(replaygain_album_gain_db=0.0, replaygain_album_peak=1e-05),
    ],
)
def test_write_then_read_gives_the_same_tags(tmp_path, tags):
    path = _tone(tmp_path, "mp3")

    write_id3_tags(path, tags, None)

    assert read_audio_file(path).tags == tags


def test_writing_replaces_existing_id3v1_and_v2_tags(tmp_path):
    path = tag_mp3(_tone(tmp_path, "mp3"), TagSet(title="Old", album="Old Album"), None)
    id3v1 = b"TAG" + b"Old v1 Title".ljust(30, b"\0") + b"\0" * 94 + b"\xff"
    with path.open("ab") as file:
        file.write(id3v1)
    assert read_audio_file(path).tags.album == "Old Album"

    write_id3_tags(path, TagSet(artist="New"), None)

    assert read_audio_file(path).tags == TagSet(artist="New")
    assert path.read_bytes()[-128:-125] != b"TAG"  # the ID3v1 block is gone, not refreshed


def test_a_date_id3_cannot_hold_keeps_its_year(tmp_path):
    path = tag_mp3(_tone(tmp_path, "mp3"), TagSet(date="Spring 2020"), None)

    assert read_audio_file(path).tags.date == "2020"


# --- Not audio -------------------------------------------------------------------------------


def _not_audio_message(path: Path) -> str:
    with pytest.raises(NotAudio) as raised:  # any other exception type fails the test
        read_audio_file(path)
    return str(raised.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")

    assert _not_audio_message(path) == "The file is empty."


def test_text_named_flac(tmp_path):
    path = tmp_path / "notes.flac"
    path.write_text("These are my notes, not a song.\n" * 20)

    assert _not_audio_message(path) == NOT_RECOGNISED
    assert "not a recognisable audio file" in NOT_RECOGNISED


def test_random_bytes_named_mp3(tmp_path):
    path = tmp_path / "noise.mp3"
    path.write_bytes(random.Random(1).randbytes(8192))

    assert _not_audio_message(path) == NOT_RECOGNISED


def test_truncated_flac(tmp_path):
    path = tmp_path / "truncated.flac"
    path.write_bytes(tone_bytes("flac")[:200])

    assert _not_audio_message(path) == NOT_RECOGNISED


def test_wav_without_samples_has_no_duration(tmp_path):
    path = tmp_path / "silent.wav"
    with wave.open(str(path), "wb") as empty:
        empty.setnchannels(2)
        empty.setsampwidth(2)
        empty.setframerate(44100)
        empty.writeframes(b"")

    assert "duration" in _not_audio_message(path)


@pytest.mark.parametrize("extension", ["mp3", "flac", "wav", "aiff", "ogg", "m4a"])
def test_damaged_files_either_read_or_raise_not_audio(tmp_path, extension):
    """Cut and scribbled-over copies of tagged files: mutagen's own exception types never escape."""
    path = _tone(tmp_path, extension, name="original")
    if extension == "flac":
        tag_flac(path, PICARD_VORBIS, image_bytes("png"))
    elif extension == "mp3":
        tag_mp3(path, FULL_TAGS, CoverArt(data=image_bytes("png"), mime="image/png"))
    good = path.read_bytes()
    rng = random.Random(extension)
    damaged = [good[:length] for length in range(1, 600, 13)]
    for _ in range(60):
        scribbled = bytearray(good[:6000])
        for _ in range(rng.randrange(1, 12)):
            scribbled[rng.randrange(len(scribbled))] = rng.randrange(256)
        damaged.append(bytes(scribbled))

    outcomes = set()
    for number, data in enumerate(damaged):
        copy = tmp_path / f"damaged{number}.{extension}"
        copy.write_bytes(data)
        try:
            read_audio_file(copy)
            outcomes.add("read")
        except NotAudio as error:
            assert str(error)
            outcomes.add("not audio")

    assert "not audio" in outcomes


# --- File names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("Artist - Title.flac", ("Artist", "Title")),
        ("Some Track.mp3", ("", "Some Track")),
        ("01 - Artist - Title.flac", ("Artist", "Title")),
        ("01. Title.mp3", ("", "Title")),
        ("07) Artist - Title.wav", ("Artist", "Title")),
        ("music/2021/Artist - Title.mp3", ("Artist", "Title")),
        ("C:\\Users\\me\\Music\\Artist - Title.mp3", ("Artist", "Title")),
        ("  Artist_-_Title_(Remix).mp3  ", ("Artist", "Title (Remix)")),
        ("Artist - Title - Live at Home.m4a", ("Artist", "Title - Live at Home")),
        ("50 Cent - In Da Club.mp3", ("50 Cent", "In Da Club")),
        ("Mr. Big - To Be With You", ("Mr. Big", "To Be With You")),
        ("Track 1.2", ("", "Track 1.2")),
        ("Artist-Title.mp3", ("", "Artist-Title")),
    ],
)
def test_split_file_name(file_name, expected):
    assert split_file_name(file_name) == expected


# --- The package -----------------------------------------------------------------------------


def test_reading_and_writing_tags_loads_no_django():
    # tracks.tags promises pure domain code: a script or worker can use it without settings.
    # A fresh interpreter, since this one has Django loaded already.
    code = (
        "import sys, tracks.tags\n"
        "loaded = {name.partition('.')[0] for name in sys.modules}\n"
        "print(sorted(loaded & {'django', 'rest_framework', 'config'}))"
    )
    project = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
