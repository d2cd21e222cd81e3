"""Where each TagSet field lives in each tag format: ID3 frames, Vorbis comments, MP4 atoms.

Reading and writing share these tables, so whatever tracks.tags.writing writes is read
back from the same frames. Each table maps a TagSet field to the keys that may hold it,
most common first; the first key present wins. Track/disc numbers hold "3" or "3/12";
totals may also come separately.

A format's tags are first turned into RawTags, from TagSet field name to the list of
strings the file holds for it (e.g. {"track_number": ["3/12"]}); tracks.tags.reading
parses those into a TagSet once for every format.
"""

from __future__ import annotations

RawTags = dict[str, list[str]]

# ID3 text frames. The first frame id is the one we write. (mutagen upgrades every tag to
# v2.4 on load: TYER is merged into TDRC and numeric genres like "(17)" become "Rock";
# TYER stays as a fallback for oddly tagged files.)
ID3_TEXT_FRAMES: dict[str, tuple[str, ...]] = {
    "title": ("TIT2",),
    "artist": ("TPE1",),
    "album_artist": ("TPE2",),
    "album": ("TALB",),
    "date": ("TDRC", "TYER"),
    "track_number": ("TRCK",),
    "disc_number": ("TPOS",),
    "genre": ("TCON",),
    "bpm": ("TBPM",),
    "initial_key": ("TKEY",),
    "isrc": ("TSRC",),
    "label": ("TPUB",),
}

# ID3 user text frames (TXXX), by description as MusicBrainz Picard and foobar2000 write them.
# Matched case-insensitively: ReplayGain descriptions come in both upper and lower case.
ID3_TXXX: dict[str, str] = {
    "musicbrainz_album_id": "MusicBrainz Album Id",
    "musicbrainz_artist_id": "MusicBrainz Artist Id",
    "musicbrainz_album_artist_id": "MusicBrainz Album Artist Id",
    "musicbrainz_release_group_id": "MusicBrainz Release Group Id",
    "replaygain_track_gain_db": "REPLAYGAIN_TRACK_GAIN",
    "replaygain_track_peak": "REPLAYGAIN_TRACK_PEAK",
    "replaygain_album_gain_db": "REPLAYGAIN_ALBUM_GAIN",
    "replaygain_album_peak": "REPLAYGAIN_ALBUM_PEAK",
}

# The MusicBrainz recording id lives in a unique file identifier frame owned by MusicBrainz.
MUSICBRAINZ_UFID_OWNER = "http://musicbrainz.org"

# Vorbis comments (FLAC, Ogg). mutagen lower-cases keys and compares case-insensitively.
VORBIS_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "artist": ("artist",),
    "album_artist": ("albumartist", "album artist"),  # the second is foobar2000's
    "album": ("album",),
    "date": ("date", "year"),
    "track_number": ("tracknumber",),
    "track_total": ("tracktotal", "totaltracks"),
    "disc_number": ("discnumber",),
    "disc_total": ("disctotal", "totaldiscs"),
    "genre": ("genre",),
    "bpm": ("bpm",),
    "initial_key": ("initialkey", "key"),
    "isrc": ("isrc",),
    "label": ("label", "organization", "publisher"),
    "comment": ("comment", "description"),
    "musicbrainz_track_id": ("musicbrainz_trackid",),  # Picard: the *recording* id
    "musicbrainz_album_id": ("musicbrainz_albumid",),
    "musicbrainz_artist_id": ("musicbrainz_artistid",),
    "musicbrainz_album_artist_id": ("musicbrainz_albumartistid",),
    "musicbrainz_release_group_id": ("musicbrainz_releasegroupid",),
    "replaygain_track_gain_db": ("replaygain_track_gain",),
    "replaygain_track_peak": ("replaygain_track_peak",),
    "replaygain_album_gain_db": ("replaygain_album_gain",),
    "replaygain_album_peak": ("replaygain_album_peak",),
}

# MP4 atoms, lower-cased because freeform names vary in case between taggers.
_ITUNES = "----:com.apple.itunes:"
MP4_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("©nam",),
    "artist": ("©art",),
    "album_artist": ("aart",),
    "album": ("©alb",),
    "date": ("©day",),
    "track_number": ("trkn",),  # mutagen gives (3, 12) pairs, see reading._mp4_text
    "disc_number": ("disk",),
    "genre": ("©gen",),  # mutagen already turns the numeric "gnre" atom into ©gen
    "bpm": ("tmpo", _ITUNES + "bpm"),
    "initial_key": (_ITUNES + "initialkey", _ITUNES + "key"),
    "isrc": (_ITUNES + "isrc",),
    "label": (_ITUNES + "label", _ITUNES + "publisher"),
    "comment": ("©cmt",),
    "musicbrainz_track_id": (_ITUNES + "musicbrainz track id",),
    "musicbrainz_album_id": (_ITUNES + "musicbrainz album id",),
    "musicbrainz_artist_id": (_ITUNES + "musicbrainz artist id",),
    "musicbrainz_album_artist_id": (_ITUNES + "musicbrainz album artist id",),
    "musicbrainz_release_group_id": (_ITUNES + "musicbrainz release group id",),
    "replaygain_track_gain_db": (_ITUNES + "replaygain_track_gain",),
    "replaygain_track_peak": (_ITUNES + "replaygain_track_peak",),
    "replaygain_album_gain_db": (_ITUNES + "replaygain_album_gain",),
    "replaygain_album_peak": (_ITUNES + "replaygain_album_peak",),
}
