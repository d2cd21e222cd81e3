import uuid
from datetime import UTC, date, timedelta

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from chants.models import Song
from core.storage import new_staging_key
from wrapped import crypto

DEFAULT_PASSWORD = "correct horse battery staple"
# The management form of the song admin's inline of uploads, which every admin POST needs.
INLINE_FORMSET_FOR_SONG = {"asset_uploads-TOTAL_FORMS": "0", "asset_uploads-INITIAL_FORMS": "0"}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(user, create, extracted, **kwargs):
        if create:
            user.save()

    class Params:
        staff = factory.Trait(is_staff=True)


class SongFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Song

    title = factory.Sequence(lambda n: f"Song {n:05d}")
    artist = factory.Iterator(["Ana Lopez", "The Choir", "Kwame Mensah", "Lea Dubois"])
    album = factory.Iterator(["Hymns", "Live at Home", "Psalms"])
    genre = factory.Iterator(["gospel", "folk", "choral"])
    language = factory.Iterator(["en", "fr", "es"])
    duration_seconds = 200.5
    lyrics = factory.LazyAttribute(lambda song: f"The words of {song.title}, sung slowly.")
    created_by = factory.SubFactory(UserFactory)


class StagedObjectFactory(factory.django.DjangoModelFactory):
    """A staging key an upload URL was just issued for (as core.staging.staged_upload records it).

    `expired=True`: its URL expired longer than the retention ago, so the next sweep deletes it.
    """

    class Meta:
        model = "core.StagedObject"

    class Params:
        user_id = factory.LazyFunction(uuid.uuid4)  # whose upload; no user row is needed for a key
        expired = factory.Trait(
            expires_at=factory.LazyFunction(
                lambda: timezone.now() - timedelta(hours=settings.STORAGE_STAGING_RETENTION_HOURS, minutes=1)
            )
        )

    key = factory.LazyAttribute(lambda staged: new_staging_key(staged.user_id))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(seconds=settings.PRESIGNED_URL_EXPIRES))


class TrackFactory(factory.django.DjangoModelFactory):
    """A track of a DJ's library; `ready` by default (an MP3 served as uploaded).

    `processing=True`: a FLAC queued for its transcode; `awaiting_upload=True`: the placeholder an
    upload URL was issued for, no file received yet.
    """

    class Meta:
        model = "tracks.Track"

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Track {n:05d}")
    artist = "Ana Lopez"
    file_name = factory.LazyAttribute(lambda track: f"{track.artist} - {track.name}.mp3")
    format = "mp3"
    status = "ready"
    original_key = factory.LazyAttribute(lambda track: f"users/{track.owner.pk}/tracks/{track.name}/original.mp3")
    mp3_key = factory.LazyAttribute(lambda track: track.original_key)
    finished_at = factory.LazyFunction(timezone.now)

    class Params:
        processing = factory.Trait(
            status="processing",
            format="flac",
            file_name=factory.LazyAttribute(lambda track: f"{track.artist} - {track.name}.flac"),
            original_key=factory.LazyAttribute(
                lambda track: f"users/{track.owner.pk}/tracks/{track.name}/original.flac"
            ),
            mp3_key="",
            queued_at=factory.LazyFunction(timezone.now),
            finished_at=None,
        )
        awaiting_upload = factory.Trait(
            status="awaiting_upload",
            format="",
            upload_key=factory.LazyAttribute(lambda track: new_staging_key(track.owner.pk)),
            original_key="",
            mp3_key="",
            finished_at=None,
        )


class TrackDetailsFactory(factory.django.DjangoModelFactory):
    """The tag set read from a track's original: the tags its name, artist, album... were taken from."""

    class Meta:
        model = "tracks.TrackDetails"

    track = factory.SubFactory(TrackFactory)
    title = factory.SelfAttribute("track.name")
    artist = factory.SelfAttribute("track.artist")
    album_artist = factory.SelfAttribute("track.artist")
    album = factory.SelfAttribute("track.album")
    date = factory.LazyAttribute(lambda details: str(details.track.year or ""))
    genre = factory.SelfAttribute("track.genre")
    bpm = factory.SelfAttribute("track.bpm")
    initial_key = factory.SelfAttribute("track.musical_key")


class AssetUploadFactory(factory.django.DjangoModelFactory):
    """An upload of a song's audio, its bytes awaited at a staging key; `processing=True` once completed."""

    class Meta:
        model = "chants.AssetUpload"

    song = factory.SubFactory(SongFactory)
    created_by = factory.LazyAttribute(lambda upload: upload.song.created_by)
    kind = "audio"
    file_name = "a.mp3"
    content_type = "audio/mpeg"
    upload_key = factory.LazyAttribute(lambda upload: new_staging_key(upload.created_by.pk))
    status = "awaiting_upload"

    class Params:
        processing = factory.Trait(status="processing", queued_at=factory.LazyFunction(timezone.now))


class LearningSettingsFactory(factory.django.DjangoModelFactory):
    """A user's learning settings as stored: SM-2 at 90% retention, or `fsrs=True`.

    Only the row: switching a user who has cards goes through learning.services.settings_update,
    which rebuilds them under the new scheduler.
    """

    class Meta:
        model = "learning.LearningSettings"

    user = factory.SubFactory(UserFactory)
    scheduler = "sm2"
    desired_retention = 0.9

    class Params:
        fsrs = factory.Trait(scheduler="fsrs")


class CardFactory(factory.django.DjangoModelFactory):
    """The review card of a ready track, held by the track's owner; new and due at once by default.

    A card of an existing track: `CardFactory(track=track)`; of a new track of a given user:
    `CardFactory(track__owner=user)` (the card's user is always its track's owner). States (SM-2 unless said):
    - `reviewed=True`: graded 4 once, two hours ago: EF 2.5, 1 repetition, a 1-day interval, due in 22 hours;
    - `due=True`: graded 4 once, three days ago, so due since two days ago;
    - `drilled=True`: graded 3 as a new card just now: in today's drill, next due tomorrow;
    - `fsrs=True`: under FSRS after two Good ratings (Review state), last rated yesterday, due tomorrow.
    """

    class Meta:
        model = "learning.Card"

    track = factory.SubFactory(TrackFactory)
    user = factory.SelfAttribute("track.owner")
    due_at = factory.LazyFunction(timezone.now)

    class Params:
        reviewed = factory.Trait(
            easiness_factor=2.5,  # 2.5 + 0.1 - (5 - 4) * (0.08 + (5 - 4) * 0.02)
            repetitions=1,
            interval_days=1,
            last_reviewed_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2)),
            due_at=factory.LazyAttribute(lambda card: card.last_reviewed_at + timedelta(days=card.interval_days)),
        )
        due = factory.Trait(
            reviewed=True, last_reviewed_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
        )
        drilled = factory.Trait(
            easiness_factor=2.5 + 0.1 - (5 - 3) * (0.08 + (5 - 3) * 0.02),
            repetitions=1,
            interval_days=1,
            last_reviewed_at=factory.LazyFunction(timezone.now),
            due_at=factory.LazyAttribute(lambda card: card.last_reviewed_at + timedelta(days=card.interval_days)),
            drill_day=factory.LazyAttribute(lambda card: card.last_reviewed_at.astimezone(UTC).date()),
        )
        fsrs = factory.Trait(
            # fsrs.Scheduler(desired_retention=0.9), a new card rated Good, then Good again ten minutes later.
            fsrs_state=2,  # fsrs.State.Review
            fsrs_step=None,
            stability=2.3065,
            difficulty=2.111214235785395,
            last_reviewed_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
            due_at=factory.LazyAttribute(lambda card: card.last_reviewed_at + timedelta(days=2)),
        )

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if kwargs["user"].pk != kwargs["track"].owner_id:
            raise ValueError("A card's user is its track's owner: pass track=... or track__owner=..., not user=...")
        return kwargs


class ReviewLogFactory(factory.django.DjangoModelFactory):
    """One grade of a card's history; by default the only grade of a `reviewed` card: 4, given when it says.

    The states are what learning.scheduling.state_of writes: before, a new card due at the review;
    after, the card as it is. For another history, pass the card, grade, time and states that fit it.
    """

    class Meta:
        model = "learning.ReviewLog"

    card = factory.SubFactory(CardFactory, reviewed=True)
    user = factory.SelfAttribute("card.user")
    grade = 4
    reviewed_at = factory.SelfAttribute("card.last_reviewed_at")
    drill = False
    scheduler = "sm2"
    state_before = factory.LazyAttribute(lambda log: _state_of_new_card(due_at=log.reviewed_at))
    state_after = factory.LazyAttribute(lambda log: _state_of(log.card))


def _state_of(card) -> dict:
    from learning.scheduling import state_of

    return state_of(card)


def _state_of_new_card(*, due_at) -> dict:
    from learning.models import Card

    return _state_of(Card(due_at=due_at))


# --- mastering ------------------------------------------------------------------------------------


def _measured_bands() -> list[dict]:
    """Band measures in the engine's shape (mastering.analysis), a plausible electronic mix."""
    edges = (("low", 20, 200, 0.38), ("low_mid", 200, 500, 0.2), ("mid", 500, 2000, 0.22))
    edges += (("high_mid", 2000, 6000, 0.13), ("high", 6000, 20000, 0.07))
    return [
        {
            "band": band,
            "low_hz": float(low),
            "high_hz": float(high),
            "energy_db": -20.0,
            "energy_share": share,
            "peak_dbfs": -3.0,
            "rms_dbfs": -18.0,
            "crest_factor_db": 15.0,
            "dynamic_range_db": 8.0,
            "spectral_centroid_hz": (low + high) / 2,
            "spectral_flatness": 0.2,
            "stereo_width": 0.3,
            "phase_correlation": 0.8,
        }
        for band, low, high, share in edges
    ]


class AnalysisFactory(factory.django.DjangoModelFactory):
    """A producer's analysis waiting for its worker (`pending`, queued now); `done=True` for a measured one."""

    class Meta:
        model = "mastering.Analysis"

    owner = factory.SubFactory(UserFactory)
    file_name = factory.Sequence(lambda n: f"mix {n}.wav")
    audio_key = factory.LazyAttribute(lambda a: f"users/{a.owner.pk}/mastering/analyses/{uuid.uuid4().hex}.wav")
    genre = "Techno"
    format, sample_rate, channels, duration_seconds, size = "wav", 44100, 2, 300.0, 52_920_044
    queued_at = factory.LazyFunction(timezone.now)

    class Params:
        done = factory.Trait(
            status="done",
            finished_at=factory.LazyFunction(timezone.now),
            overall={"integrated_lufs": -9.0, "true_peak_dbtp": -0.8, "plr_db": 8.2, "stereo_width": 0.3},
            bands=factory.LazyFunction(_measured_bands),
            recommendations=[],
            platforms=[],
            target_source="general",
        )


class ReferenceFactory(factory.django.DjangoModelFactory):
    """A built-in generated reference profile, measured (`done`)."""

    class Meta:
        model = "mastering.Reference"

    owner = None
    built_in = True
    generated = True
    name = factory.Sequence(lambda n: f"Generated Techno profile {n}")
    artist = "Generated profile"
    genre = "Techno"
    file_name = factory.LazyAttribute(lambda r: f"{r.name}.wav")
    audio_key = factory.LazyFunction(lambda: f"users/built-in/mastering/references/{uuid.uuid4().hex}.wav")
    format, sample_rate, channels, duration_seconds = "wav", 44100, 2, 30.0
    status = "done"
    finished_at = factory.LazyFunction(timezone.now)
    overall = factory.LazyFunction(lambda: {"integrated_lufs": -8.5, "true_peak_dbtp": -0.3, "plr_db": 8.0})
    bands = factory.LazyFunction(_measured_bands)


class MasteringSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mastering.MasteringSettings"

    user = factory.SubFactory(UserFactory)
    default_genre = "Psytrance"
    default_recommendation_level = "suggestive"


class DownloadFactory(factory.django.DjangoModelFactory):
    """A user's download waiting for its worker (`pending`, queued now), with no tracks yet."""

    class Meta:
        model = "downloads.Download"

    owner = factory.SubFactory(UserFactory)
    total = 1
    queued_at = factory.LazyFunction(timezone.now)


class DownloadTrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "downloads.DownloadTrack"

    download = factory.SubFactory(DownloadFactory)
    position = factory.Sequence(lambda n: n)
    source_id = factory.Sequence(lambda n: str(100000 + n))
    url = factory.Sequence(lambda n: f"https://soundcloud.com/artist/track-{n}")
    title = factory.Sequence(lambda n: f"Track {n}")
    artist = "Artist"


class SpotifyAccountFactory(factory.django.DjangoModelFactory):
    """A linked Spotify account whose refresh token is `refresh-<n>` (encrypted as it is stored)."""

    class Meta:
        model = "wrapped.SpotifyAccount"

    user = factory.SubFactory(UserFactory)
    spotify_user_id = factory.Sequence(lambda n: f"spotify-user-{n}")
    display_name = factory.Sequence(lambda n: f"Listener {n}")
    authorized_at = factory.LazyFunction(timezone.now)
    refresh_token_encrypted = factory.Sequence(lambda n: crypto.encrypt(f"refresh-{n}"))


class WrappedMonthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "wrapped.WrappedMonth"

    user = factory.SubFactory(UserFactory)
    month_key = "2026-11"
    top_track_ids = factory.LazyFunction(lambda: {"short_term": ["t1"], "medium_term": [], "long_term": []})
    top_artist_ids = factory.LazyFunction(lambda: {"short_term": ["a1"], "medium_term": [], "long_term": []})
    top_genres = factory.LazyFunction(lambda: {"short_term": {"techno": 1}, "medium_term": {}, "long_term": {}})
    # A run that ended well; `pending=True` for one still waiting for its worker.
    status = "done"
    finished_at = factory.LazyFunction(timezone.now)

    class Params:
        pending = factory.Trait(status="pending", finished_at=None, queued_at=factory.LazyFunction(timezone.now))


class ReleaseRadarWeekFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "wrapped.ReleaseRadarWeek"

    user = factory.SubFactory(UserFactory)
    week_start = date(2026, 11, 22)
    track_ids = factory.LazyFunction(lambda: ["t1", "t2"])
    status = "done"
    finished_at = factory.LazyFunction(timezone.now)

    class Params:
        pending = factory.Trait(status="pending", finished_at=None, queued_at=factory.LazyFunction(timezone.now))
