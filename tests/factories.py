import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from chants.models import Song
from core.storage import new_staging_key

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


class TrackFactory(factory.django.DjangoModelFactory):
    """A track of a DJ's library; `ready` by default (an MP3 served as uploaded), or `processing=True`."""

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

    class Params:
        processing = factory.Trait(
            status="processing",
            format="flac",
            file_name=factory.LazyAttribute(lambda track: f"{track.artist} - {track.name}.flac"),
            original_key=factory.LazyAttribute(
                lambda track: f"users/{track.owner.pk}/tracks/{track.name}/original.flac"
            ),
            mp3_key="",
            processing_since=factory.LazyFunction(timezone.now),
        )


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
